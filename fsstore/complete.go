package fsstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/caddys3/caddys3/checksum"
)

// cfrChunk bounds one copy_file_range call, so a cancelled ctx is noticed
// within a chunk.
const cfrChunk = 256 << 20

// doneRecord is <id>.done: the result of a finished Complete, returned to
// a retry naming the same parts.
type doneRecord struct {
	Key   string     `json:"key"`
	Parts []donePart `json:"parts"`
	Meta  ObjectMeta `json:"meta"`
}

type donePart struct {
	N    int    `json:"n"`
	ETag string `json:"e"` // lower-case, unquoted
}

// CompleteMultipartUpload joins the named parts into the object key and
// ends the upload; see the comment on the multipart layout for how
// concurrent and retried Completes behave.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectMeta, error) {
	p, err := resolveUpload(bucket, key, uploadID)
	if err != nil {
		return ObjectMeta{}, s.noSuchUpload(bucket, err)
	}
	if len(parts) == 0 {
		return ObjectMeta{}, ErrInvalidPartOrder
	}
	want := make([]donePart, len(parts))
	for i, cp := range parts {
		if i > 0 && cp.PartNumber <= parts[i-1].PartNumber {
			return ObjectMeta{}, ErrInvalidPartOrder
		}
		want[i] = donePart{N: cp.PartNumber, ETag: strings.ToLower(strings.Trim(cp.ETag, `"`))}
	}
	dir, claimed := uploadDir(bucket, uploadID), claimedDir(bucket, uploadID)
	deadline := time.Now().Add(s.completeWait)
	delay := 5 * time.Millisecond
	for {
		rec, err := s.readUploadRecord(dir, bucket, key)
		switch {
		case err == nil:
			s.touch(dir) // so the claim appears fresh (see claim.go)
			if err := completeChecksumRules(rec.Meta, opts); err != nil {
				return ObjectMeta{}, err
			}
			err := s.root.Rename(dir, claimed)
			if err == nil {
				return s.complete(ctx, bucket, key, uploadID, p, &rec, parts, want, opts)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return ObjectMeta{}, storageErr(err)
			}
			// Claimed by another Complete since we read the record.
		case err != errNoRecord:
			return ObjectMeta{}, err // another key's upload, or I/O
		}

		// Not claimable: finished, being completed, or gone.
		if m, ok, err := s.completedResult(bucket, key, uploadID, want); ok || err != nil {
			return m, err
		}
		_, err = s.readUploadRecord(claimed, bucket, key)
		switch {
		case err == errNoRecord:
			if s.fileExists(dir) {
				continue // un-claimed meanwhile: try to claim it
			}
			// The done record is written before the claimed directory
			// goes, so a Complete that finished meanwhile shows here.
			if m, ok, err := s.completedResult(bucket, key, uploadID, want); ok || err != nil {
				return m, err
			}
			// A recoverer may hold the claim under its private name for a
			// moment (recoverClaim): then wait for the upload, its claim
			// or its result to reappear.
			if !s.takeOverInProgress(bucket, uploadID) && !s.fileExists(claimed) && !s.fileExists(dir) {
				return ObjectMeta{}, s.noSuchUpload(bucket, ErrNoSuchUpload)
			}
		case err != nil:
			return ObjectMeta{}, err
		}
		if s.recoverClaim(bucket, uploadID, s.claimStaleAfter()) {
			continue // its Complete died: claim the upload (or find its result)
		}
		if time.Now().After(deadline) {
			return ObjectMeta{}, ErrCompleteInProgress
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ObjectMeta{}, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// completedResult returns the recorded result of a finished Complete of
// uploadID; ok is false when there is none. A record for another key or
// another part list is ErrNoSuchUpload: that upload is gone.
func (s *Store) completedResult(bucket, key, uploadID string, want []donePart) (ObjectMeta, bool, error) {
	b, err := s.root.ReadFile(doneRecordPath(bucket, uploadID))
	if errors.Is(err, fs.ErrNotExist) {
		return ObjectMeta{}, false, nil
	}
	if err != nil {
		return ObjectMeta{}, false, err
	}
	var rec doneRecord
	if json.Unmarshal(b, &rec) != nil {
		return ObjectMeta{}, false, nil
	}
	if rec.Key != key || !slices.Equal(rec.Parts, want) {
		return ObjectMeta{}, false, ErrNoSuchUpload
	}
	return rec.Meta, true, nil
}

// complete runs a Complete that holds the claim on uploadID.
func (s *Store) complete(ctx context.Context, bucket, key, uploadID string, p objPath, rec *uploadRecord, parts []CompletePart, want []donePart, opts CompleteOptions) (ObjectMeta, error) {
	dir, claimed := uploadDir(bucket, uploadID), claimedDir(bucket, uploadID)
	unclaim := true
	defer func() {
		if unclaim {
			s.root.Rename(claimed, dir)
		}
	}()
	defer s.holdClaim(claimed)() // the heartbeat, stopped before un-claiming
	opts.Version.claim()

	used := make([]Part, len(want))
	for i, w := range want {
		part, ok, err := s.readPart(claimed, bucket, uploadID, partName(w.N))
		if err == nil && !ok && s.waitClaimed(claimed) {
			part, ok, err = s.readPart(claimed, bucket, uploadID, partName(w.N))
		}
		if err != nil {
			return ObjectMeta{}, err
		}
		if !ok || !strings.EqualFold(part.ETag, w.ETag) {
			return ObjectMeta{}, &PartError{Err: ErrInvalidPart, PartNumber: w.N, ETag: w.ETag}
		}
		if err := partChecksumRules(rec.Meta.ChecksumAlgorithm, parts[i], part); err != nil {
			if re, ok := err.(*ChecksumRuleError); ok {
				re.UploadID = uploadID
			}
			return ObjectMeta{}, err
		}
		if i < len(want)-1 && part.Size < s.minPartSize {
			return ObjectMeta{}, &PartError{Err: ErrEntityTooSmall, PartNumber: w.N, ETag: w.ETag, Size: part.Size, MinSize: s.minPartSize}
		}
		used[i] = part
	}
	sums, err := objectChecksums(rec.Meta, used, opts.ExpectedChecksums[rec.Meta.ChecksumAlgorithm])
	if err != nil {
		return ObjectMeta{}, err
	}
	enc, err := joinedEncryption(rec.Meta.Encryption, used)
	if err != nil {
		return ObjectMeta{}, err
	}

	tmp, f, err := s.createTemp("mpu-")
	if err != nil {
		return ObjectMeta{}, err
	}
	size, err := s.joinParts(ctx, f, claimed, used)
	if err != nil {
		s.discardTemp(tmp, f)
		return ObjectMeta{}, err
	}
	meta := rec.Meta
	meta.Size, meta.ETag, meta.Checksums = enc.sizeOf(size), multipartETag(used), sums
	meta.Encryption = enc
	meta.parts = partsRecordOf(objectParts(used, meta.ChecksumAlgorithm, meta.ChecksumType))
	versioned, err := s.bucketState(bucket)
	var m ObjectMeta
	published := false
	if err != nil {
		s.discardTemp(tmp, f)
	} else {
		m, published, err = s.publishTemp(ctx, bucket, key, p, tmp, f, meta, opts.IfMatch, opts.IfNoneMatch, versioned, opts.Version)
	}
	if !published {
		if errors.Is(err, ErrNoSuchBucket) {
			// Final: the bucket is gone, and its uploads with it.
			unclaim = false
			s.removeUploadTree(bucket, uploadID, claimed)
		}
		return ObjectMeta{}, err
	}
	unclaim = false
	// Record the result before the claimed directory goes, so that a
	// waiting or retried Complete finds one or the other. Without the
	// record (no space left) a retry gets ErrNoSuchUpload; the object is
	// published either way.
	if b, jerr := json.Marshal(doneRecord{Key: key, Parts: want, Meta: m}); jerr == nil {
		s.writeAtomic(doneRecordPath(bucket, uploadID), b, false)
	}
	s.removeUploadTree(bucket, uploadID, claimed)
	return m, err
}

// completeChecksumRules checks what a Complete sends about the whole
// object against the upload (created with meta), as S3 does before it
// looks at the parts: x-amz-checksum-type must be the upload's, and a
// whole-object checksum of one of the newer algorithms (MD5, SHA512,
// xxHash) must be of the upload's algorithm; one of the five older ones
// that is not is ignored (AWS's behaviour pinned by argmin's
// test_complete_multipart_{legacy,new}_object_checksum_without_create_algorithm).
func completeChecksumRules(meta ObjectMeta, opts CompleteOptions) error {
	if opts.ChecksumType != "" && meta.ChecksumType != "" && opts.ChecksumType != meta.ChecksumType {
		return &ChecksumRuleError{Rule: ChecksumModeMismatch, Algorithm: meta.ChecksumType}
	}
	for _, algo := range checksum.Algorithms {
		if _, sent := opts.ExpectedChecksums[algo]; sent && algo != meta.ChecksumAlgorithm && !checksum.Legacy(algo) {
			return &ChecksumRuleError{Rule: ObjectChecksumTypeMismatch, Algorithm: meta.ChecksumAlgorithm, Actual: algo}
		}
	}
	return nil
}

// partChecksumRules checks the checksums a Complete names for one part
// against the part as stored, in S3's order: several checksums or an
// invalid one, a missing one of the upload's algorithm (upload algorithm
// algo), then each against the part's: a wrong one of the upload's
// algorithm (or any, for an upload without one) is ErrInvalidPart, of
// another algorithm a ChecksumRuleError (versitygw's
// validatePartChecksum, which follows AWS).
func partChecksumRules(algo string, cp CompletePart, part Part) error {
	if len(cp.Checksums) > 1 {
		var all strings.Builder
		for _, a := range checksum.Algorithms {
			if v, ok := cp.Checksums[a]; ok {
				all.WriteString(a + ":" + v + ";")
			}
		}
		return &ChecksumRuleError{Rule: PartChecksumInvalid, PartNumber: cp.PartNumber, Value: all.String()}
	}
	if len(cp.Checksums) == 0 {
		if algo != "" {
			return &MissingPartChecksumError{Algorithm: algo, PartNumber: cp.PartNumber}
		}
		return nil
	}
	for a, v := range cp.Checksums {
		if _, ok := checksum.Decode(a, v); !ok {
			return &ChecksumRuleError{Rule: PartChecksumInvalid, PartNumber: cp.PartNumber, Value: v}
		}
		if part.Checksums[a] == v {
			continue
		}
		if algo == "" || a == algo {
			return &ChecksumRuleError{Rule: PartChecksumWrong, Algorithm: algo, Actual: a, PartNumber: cp.PartNumber, Value: cp.ETag}
		}
		return &ChecksumRuleError{Rule: PartChecksumOtherAlgorithm, Algorithm: algo, Actual: a, PartNumber: cp.PartNumber}
	}
	return nil
}

// objectChecksums returns the checksums of the object joined from parts of
// an upload created with meta: none without a ChecksumAlgorithm, else the
// COMPOSITE or FULL_OBJECT checksum combined from the parts' checksums,
// which the client's expected value (if any) must match.
func objectChecksums(meta ObjectMeta, parts []Part, expected string) (map[string]string, error) {
	algo := meta.ChecksumAlgorithm
	if algo == "" {
		return nil, nil
	}
	sums := make([]checksum.Part, len(parts))
	for i, p := range parts {
		v, ok := p.Checksums[algo]
		if !ok {
			return nil, &MissingPartChecksumError{Algorithm: algo, PartNumber: p.PartNumber}
		}
		sums[i] = checksum.Part{Value: v, Size: p.Size}
	}
	combine := checksum.Composite
	if meta.ChecksumType == "FULL_OBJECT" {
		combine = checksum.FullObject
	}
	value, err := combine(algo, sums)
	if err != nil {
		return nil, fmt.Errorf("fsstore: checksum of the upload: %w", err)
	}
	// A client may send a COMPOSITE value without its "-<parts>".
	if expected != "" && expected != value && !strings.HasPrefix(value, expected+"-") {
		return nil, &ChecksumMismatchError{Algorithm: algo}
	}
	return map[string]string{algo: value}, nil
}

// multipartETag is S3's ETag of a multipart object: the MD5 of the
// concatenated binary MD5s of the parts, "-", the number of parts.
func multipartETag(parts []Part) string {
	h := md5.New()
	for _, p := range parts {
		b, _ := hex.DecodeString(p.ETag)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// joinParts copies the parts (files in the upload directory dir) one after
// the other into dst and returns the total size. It uses copy_file_range
// (no copy through user space; a reflink or server-side copy where the
// filesystem offers one) and falls back to a plain copy for the rest of
// the join when the kernel or filesystem refuses it.
func (s *Store) joinParts(ctx context.Context, dst *os.File, dir string, parts []Part) (int64, error) {
	useCFR := !s.noCopyFileRange
	var off int64
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		src, err := s.root.Open(dir + "/" + partName(p.PartNumber))
		if errors.Is(err, fs.ErrNotExist) && s.waitClaimed(dir) {
			src, err = s.root.Open(dir + "/" + partName(p.PartNumber))
		}
		if err != nil {
			return 0, err
		}
		err = s.copyPart(ctx, dst, off, src, p.fileSize(), &useCFR)
		src.Close()
		if err != nil {
			return 0, err
		}
		off += p.fileSize()
	}
	return off, nil
}

// errCFRShort: copy_file_range copied nothing before the end of the part.
var errCFRShort = errors.New("fsstore: copy_file_range returned 0")

// copyPart copies size bytes from the start of src to dst at woff. When
// copy_file_range fails in a way that means "not here" it clears *useCFR
// and finishes with a plain copy.
func (s *Store) copyPart(ctx context.Context, dst *os.File, woff int64, src *os.File, size int64, useCFR *bool) error {
	var done int64
	if *useCFR {
		err := withFd(src, func(rfd int) error {
			return withFd(dst, func(wfd int) error {
				for done < size {
					if err := ctx.Err(); err != nil {
						return err
					}
					roff, wo := done, woff+done
					if err := writeHook(int(min(size-done, cfrChunk))); err != nil {
						return err
					}
					n, err := unix.CopyFileRange(rfd, &roff, wfd, &wo, int(min(size-done, cfrChunk)), 0)
					if errors.Is(err, unix.EINTR) {
						continue
					}
					if err != nil {
						return err
					}
					if n == 0 {
						return errCFRShort
					}
					done += int64(n)
					s.joinedCFR.Add(int64(n))
				}
				return nil
			})
		})
		switch {
		case err == nil:
			return nil
		case err == errCFRShort, errors.Is(err, unix.EXDEV), errors.Is(err, unix.ENOSYS),
			errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EINVAL):
			*useCFR = false
		case errors.Is(err, ctx.Err()):
			return err
		default:
			return storageErr(err)
		}
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	for done < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := src.ReadAt(buf[:min(int64(len(buf)), size-done)], done)
		if n > 0 {
			werr := writeHook(n)
			if werr == nil {
				_, werr = dst.WriteAt(buf[:n], woff+done)
			}
			if werr != nil {
				return storageErr(werr)
			}
			done += int64(n)
			s.joinedCopy.Add(int64(n))
		}
		switch {
		case err == io.EOF && done < size, err == nil && n == 0:
			return io.ErrUnexpectedEOF // the part shrank under us
		case err != nil && err != io.EOF:
			return err
		}
	}
	return nil
}
