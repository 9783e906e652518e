package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Multipart uploads live in the internal directory, on the buckets'
// filesystem (parts are joined with copy_file_range and the result is
// published by rename):
//
//	.caddys3/uploads/<bucket>/<id>/upload         uploadRecord (JSON), written before the directory appears
//	.caddys3/uploads/<bucket>/<id>/part-00001     part bytes; metadata (MD5, checksums) as for objects
//	.caddys3/uploads/<bucket>/<id>.completing/    the same directory, claimed by a running Complete
//	.caddys3/uploads/<bucket>/<id>.done           doneRecord (JSON) of a finished Complete
//	.caddys3/uploads/<bucket>/<id>.reclaim-<rand> a dead Complete's claim being taken over (see claim.go)
//
// An upload id is the base32hex (sort-preserving) form of the initiation
// time in nanoseconds followed by 16 random bytes: 39 characters of
// [0-9A-V]. Ids of one key thus sort in initiation order, and an id that is
// not of this form never reaches a path. The upload's directory is created
// in staging and renamed into place, so it never exists without its record.
//
// Part metadata goes through the metaStore like object metadata, under the
// pseudo key "\x00mpu/<id>/part-NNNNN" of the bucket: real keys cannot
// contain NUL, so sidecar records never collide with an object's.
//
// Complete claims the upload by renaming <id> to <id>.completing: of
// racing Completes (in any process) exactly one rename succeeds. The
// claimant checks the parts, joins them into one temp file, publishes it
// like PutObject, writes <id>.done and removes the claimed directory. If
// it fails before publishing it renames the directory back (un-claims), so
// the upload stays usable. While it holds the claim it refreshes the
// claimed directory's mtime; a claim not refreshed for three beats is a
// dead Complete's and is taken over (claim.go). A Complete that finds the
// upload claimed waits (polling, bounded by Store.completeWait and ctx)
// for the done record, for the upload to come back or for the claim to go
// stale, and then either returns the recorded result or claims the upload
// itself. A Complete of a finished upload returns the
// recorded result when it names the same parts, else ErrNoSuchUpload. Done
// records are removed by CleanupUploads once older than its olderThan.
const (
	uploadRecordName = "upload"
	claimSuffix      = ".completing"
	doneSuffix       = ".done"
	partPrefix       = "part-"

	maxPartNumber = 10000
	maxListParts  = 1000

	uploadIDLen = 39 // base32 of 24 bytes, unpadded

	// defaultCompleteWait bounds how long a Complete waits for a
	// concurrent Complete of the same upload.
	defaultCompleteWait = 5 * time.Minute
)

// ErrCompleteInProgress is returned by CompleteMultipartUpload when
// another Complete of the same upload was still running after the wait.
var ErrCompleteInProgress = errors.New("a complete of this upload is in progress")

// uploadRecord is the JSON file "upload" in an upload's directory.
type uploadRecord struct {
	Bucket    string     `json:"bucket"`
	Key       string     `json:"key"`
	Initiated time.Time  `json:"initiated"`
	Meta      ObjectMeta `json:"meta"`
}

func (r *uploadRecord) upload(id string) Upload {
	return Upload{Bucket: r.Bucket, Key: r.Key, UploadID: id, Initiated: r.Initiated.UTC(), Meta: r.Meta}
}

func bucketUploads(bucket string) string      { return uploadsDir + "/" + bucket }
func uploadDir(bucket, id string) string      { return bucketUploads(bucket) + "/" + id }
func claimedDir(bucket, id string) string     { return uploadDir(bucket, id) + claimSuffix }
func doneRecordPath(bucket, id string) string { return uploadDir(bucket, id) + doneSuffix }
func partName(n int) string                   { return fmt.Sprintf("%s%05d", partPrefix, n) }

// partKey is the metaStore key of a part: never a valid object key.
func partKey(id, name string) string { return "\x00mpu/" + id + "/" + name }

// newUploadID returns a fresh id that sorts after the ids made before it
// (clock permitting).
func newUploadID(now time.Time) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixNano()))
	rand.Read(b[8:])
	return base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// validUploadID reports whether id has the form newUploadID makes.
func validUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'V') {
			return false
		}
	}
	return true
}

// parsePartName returns the number of a part file name.
func parsePartName(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, partPrefix)
	if !ok || len(digits) != 5 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, false
	}
	return n, true
}

// resolveUpload validates the arguments naming an upload: an invalid
// bucket name is ErrNoSuchBucket, an invalid key or id ErrNoSuchUpload (no
// upload can have them).
func resolveUpload(bucket, key, id string) (objPath, error) {
	p, err := resolve(bucket, key)
	if errors.Is(err, ErrNoSuchBucket) {
		return p, err
	}
	if err != nil || !validUploadID(id) {
		return p, ErrNoSuchUpload
	}
	return p, nil
}

// CreateMultipartUpload starts an upload of key with meta (Size, ETag and
// LastModified are ignored).
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta) (Upload, error) {
	_, err := resolve(bucket, key)
	if err != nil {
		return Upload{}, err
	}
	if err := s.checkBucket(bucket); err != nil {
		return Upload{}, err
	}
	now := time.Now().UTC()
	meta.Size, meta.ETag, meta.LastModified = 0, "", time.Time{}
	rec := uploadRecord{Bucket: bucket, Key: key, Initiated: now, Meta: meta}
	b, err := json.Marshal(&rec)
	if err != nil {
		return Upload{}, err
	}
	id := newUploadID(now)

	stage := s.tempName("mpu-")
	if err := s.root.Mkdir(stage, 0o755); err != nil {
		return Upload{}, storageErr(err)
	}
	if err := s.writeAtomic(stage+"/"+uploadRecordName, b, false); err != nil {
		s.root.RemoveAll(stage)
		return Upload{}, err
	}
	dir := uploadDir(bucket, id)
	for attempt := 1; ; attempt++ {
		err = s.mkdirAll(bucketUploads(bucket)) // syncgroup.go
		if err == nil {
			err = s.root.Rename(stage, dir)
		}
		// A DeleteBucket may remove the bucket's uploads directory
		// between the two calls.
		if err == nil || !errors.Is(err, fs.ErrNotExist) || attempt == publishAttempts {
			break
		}
	}
	if err != nil {
		s.root.RemoveAll(stage)
		return Upload{}, storageErr(err)
	}
	// DeleteBucket drops uploads after removing the bucket directory: if it
	// ran meanwhile, this upload must not outlive the bucket.
	if err := s.checkBucket(bucket); err != nil {
		s.removeUpload(bucket, id, dir)
		return Upload{}, err
	}
	if s.fsync {
		if err := s.syncDir(bucketUploads(bucket)); err != nil {
			return Upload{}, storageErr(err)
		}
	}
	return rec.upload(id), nil
}

// errNoRecord: the upload directory (or its record) is not there.
var errNoRecord = fmt.Errorf("%w: no upload record", ErrNoSuchUpload)

// loadUploadRecord reads the record in dir, an upload's directory (claimed
// or not).
func (s *Store) loadUploadRecord(dir string) (uploadRecord, error) {
	var rec uploadRecord
	b, err := s.root.ReadFile(dir + "/" + uploadRecordName)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return rec, errNoRecord
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("fsstore: upload record %s: %w", dir, err)
	}
	return rec, nil
}

// openUpload reads the record of the un-claimed upload id of bucket and
// key, first taking over the claim of a Complete that died (see claim.go).
func (s *Store) openUpload(bucket, key, id string) (uploadRecord, error) {
	dir := uploadDir(bucket, id)
	rec, err := s.readUploadRecord(dir, bucket, key)
	if err == errNoRecord && s.recoverClaim(bucket, id, s.claimStaleAfter()) {
		rec, err = s.readUploadRecord(dir, bucket, key)
	}
	return rec, err
}

// readUploadRecord is loadUploadRecord checking that the upload belongs to
// bucket and key (else ErrNoSuchUpload).
func (s *Store) readUploadRecord(dir, bucket, key string) (uploadRecord, error) {
	rec, err := s.loadUploadRecord(dir)
	if err == nil && (rec.Bucket != bucket || rec.Key != key) {
		err = ErrNoSuchUpload
	}
	return rec, err
}

// noSuchUpload turns a missing upload of a missing bucket into
// ErrNoSuchBucket.
func (s *Store) noSuchUpload(bucket string, err error) error {
	if errors.Is(err, ErrNoSuchUpload) {
		if berr := s.checkBucket(bucket); berr != nil {
			return berr
		}
	}
	return err
}

// GetUpload returns the in-progress upload uploadID of bucket/key.
func (s *Store) GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error) {
	if _, err := resolveUpload(bucket, key, uploadID); err != nil {
		return Upload{}, s.noSuchUpload(bucket, err)
	}
	rec, err := s.openUpload(bucket, key, uploadID)
	if err != nil {
		return Upload{}, s.noSuchUpload(bucket, err)
	}
	return rec.upload(uploadID), nil
}

// UploadPart stores part partNumber (1..10000) of an upload, replacing an
// earlier part with that number. body is streamed to a temp file while its
// MD5 is computed; a read error other than io.EOF leaves everything as it
// was. checksums, if set, is called at the clean EOF and its verified
// checksums become the part's Checksums. The part appears by one rename,
// with its metadata.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, checksums func() map[string]string) (Part, error) {
	return s.uploadPart(ctx, bucket, key, uploadID, partNumber, body, checksums, nil, false)
}

// uploadPart is UploadPart, sealing the body with seal when set (sse.go);
// customer: sealed with an SSE-C key.
func (s *Store) uploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, checksums func() map[string]string, seal Sealer, customer bool) (Part, error) {
	if _, err := resolveUpload(bucket, key, uploadID); err != nil {
		return Part{}, s.noSuchUpload(bucket, err)
	}
	if partNumber < 1 || partNumber > maxPartNumber {
		return Part{}, ErrInvalidPartNumber
	}
	dir := uploadDir(bucket, uploadID)
	if _, err := s.openUpload(bucket, key, uploadID); err != nil {
		return Part{}, s.noSuchUpload(bucket, err)
	}
	tmp, f, err := s.createTemp("part-")
	if err != nil {
		return Part{}, err
	}
	part := Part{PartNumber: partNumber}
	part.Size, part.ETag, err = s.copyBodySealed(ctx, f, body, seal)
	if err != nil {
		s.discardTemp(tmp, f)
		return Part{}, err
	}
	if checksums != nil {
		part.Checksums = checksums()
	}
	name := partName(partNumber)
	pkey := partKey(uploadID, name)
	rec := metaRecord{ETag: part.ETag, Checksums: part.Checksums}
	if seal != nil {
		rec.SE = &Encryption{Size: part.Size, Customer: customer}
		part.ETag = rec.SE.etag(part.ETag)
		rec.ETag = part.ETag
	}
	id, err := s.stageMeta(f, bucket, pkey, &rec)
	if err != nil {
		s.discardTemp(tmp, f)
		return Part{}, err
	}
	if s.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, dir+"/"+name)
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrNoSuchUpload // aborted or claimed by a Complete meanwhile
		}
	}
	if err != nil {
		s.root.Remove(tmp)
		s.meta.unstage(id, bucket, pkey)
		return Part{}, storageErr(err)
	}
	s.meta.published(id, bucket, pkey)
	if s.fsync {
		if err := s.syncDir(dir); err != nil {
			return Part{}, storageErr(err)
		}
	}
	part.LastModified = time.Unix(unixSec(id.MTime), 0).UTC()
	return part, nil
}

// readPart returns the part named name in the upload directory dir; ok is
// false when there is no such part (or it has no metadata).
func (s *Store) readPart(dir, bucket, uploadID, name string) (part Part, ok bool, err error) {
	n, valid := parsePartName(name)
	if !valid {
		return Part{}, false, nil
	}
	f, err := s.root.Open(dir + "/" + name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return Part{}, false, nil // missing, or a symlink planted in its place
	}
	if err != nil {
		return Part{}, false, err
	}
	defer f.Close()
	err = withFd(f, func(fd int) error {
		id, mode, err := statID(fd)
		if err != nil || mode != unix.S_IFREG {
			return err
		}
		rec, found, err := s.meta.load(fd, id, bucket, partKey(uploadID, name))
		if err != nil || !found || rec.ETag == "" {
			return err
		}
		part = Part{
			PartNumber:   n,
			ETag:         rec.ETag,
			Size:         rec.SE.sizeOf(id.Size),
			LastModified: time.Unix(unixSec(id.MTime), 0).UTC(),
			Checksums:    rec.Checksums,
		}
		if rec.SE != nil {
			part.sealed = id.Size
		}
		ok = true
		return nil
	})
	return part, ok, err
}

// ListParts returns up to maxParts parts (1000 when maxParts is not in
// 1..1000) with numbers above partNumberMarker, in ascending order.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) ([]Part, bool, error) {
	if _, err := resolveUpload(bucket, key, uploadID); err != nil {
		return nil, false, s.noSuchUpload(bucket, err)
	}
	if maxParts <= 0 || maxParts > maxListParts {
		maxParts = maxListParts
	}
	dir := uploadDir(bucket, uploadID)
	if _, err := s.openUpload(bucket, key, uploadID); err != nil {
		return nil, false, s.noSuchUpload(bucket, err)
	}
	nums, err := s.partNumbers(dir)
	if err != nil {
		return nil, false, s.noSuchUpload(bucket, err)
	}
	var parts []Part
	for _, n := range nums {
		if n <= partNumberMarker {
			continue
		}
		if len(parts) == maxParts {
			return parts, true, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		p, ok, err := s.readPart(dir, bucket, uploadID, partName(n))
		if err != nil {
			return nil, false, err
		}
		if ok {
			parts = append(parts, p)
		}
	}
	return parts, false, nil
}

// partNumbers lists the part numbers present in an upload directory in
// ascending order.
func (s *Store) partNumbers(dir string) ([]int, error) {
	names, err := s.readDirNames(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, ErrNoSuchUpload
	}
	if err != nil {
		return nil, err
	}
	// Part names are fixed width: counting sort by number.
	var present [maxPartNumber + 1]bool
	for _, name := range names {
		if n, ok := parsePartName(name); ok {
			present[n] = true
		}
	}
	var nums []int
	for n, ok := range present {
		if ok {
			nums = append(nums, n)
		}
	}
	return nums, nil
}

// AbortMultipartUpload removes an upload and its parts. Parts being
// uploaded meanwhile fail with ErrNoSuchUpload.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if _, err := resolveUpload(bucket, key, uploadID); err != nil {
		return s.noSuchUpload(bucket, err)
	}
	dir := uploadDir(bucket, uploadID)
	if _, err := s.openUpload(bucket, key, uploadID); err != nil {
		return s.noSuchUpload(bucket, err)
	}
	if !s.removeUpload(bucket, uploadID, dir) {
		return ErrNoSuchUpload // aborted or claimed by a Complete meanwhile
	}
	return nil
}

// removeUpload moves the upload directory dir out of the way (one rename,
// so the upload vanishes atomically) and deletes it with its parts'
// metadata. It reports whether dir was there to move.
func (s *Store) removeUpload(bucket, uploadID, dir string) bool {
	trash := s.tempName("rm-")
	if err := s.root.Rename(dir, trash); err != nil {
		return false
	}
	s.removeUploadTree(bucket, uploadID, trash)
	return true
}

// removeUploadTree deletes a private (claimed or moved away) upload
// directory and its parts' metadata.
func (s *Store) removeUploadTree(bucket, uploadID, dir string) {
	names, _ := s.readDirNames(dir)
	for _, name := range names {
		if _, ok := parsePartName(name); ok {
			s.meta.forget(bucket, partKey(uploadID, name))
		}
	}
	s.root.RemoveAll(dir)
}

// dropUploads removes every upload of bucket (DeleteBucket).
func (s *Store) dropUploads(bucket string) {
	trash := s.tempName("rm-")
	if err := s.root.Rename(bucketUploads(bucket), trash); err != nil {
		return
	}
	names, _ := s.readDirNames(trash)
	for _, name := range names {
		if id, ok := uploadIDOf(name); ok {
			s.removeUploadTree(bucket, id, trash+"/"+name)
		}
	}
	s.root.RemoveAll(trash)
}

// touch sets the mtime of name to now.
func (s *Store) touch(name string) error {
	now := time.Now()
	return s.root.Chtimes(name, now, now)
}

// fileExists reports whether name exists (errors count as existing, so
// that callers keep waiting rather than report a missing upload).
func (s *Store) fileExists(name string) bool {
	_, err := s.root.Lstat(name)
	return !errors.Is(err, fs.ErrNotExist)
}
