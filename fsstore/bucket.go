package fsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// bucketRecord is the JSON in .caddys3/buckets/<name>.json.
type bucketRecord struct {
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
	// Documents the caddys3 handler keeps with the bucket, opaque here:
	// the ACL and CORS rules as JSON, the policy as submitted (a string,
	// so GetBucketPolicy can answer it byte for byte).
	ACL    json.RawMessage `json:"acl,omitempty"`
	Policy string          `json:"policy,omitempty"`
	CORS   json.RawMessage `json:"cors,omitempty"`
	// Versioning is "" (never set), "Enabled" or "Suspended".
	Versioning string `json:"versioning,omitempty"`
	// Tags: the bucket's tag set (BucketTagging), opaque here.
	Tags json.RawMessage `json:"tags,omitempty"`
	// ObjectLock is set once object lock is on (retention.go).
	ObjectLock *ObjectLockConfig `json:"objectLock,omitempty"`
	// Ownership is the ObjectOwnership of the bucket's ownership
	// controls ("" for none); PublicAccess its public access block as
	// the handler encoded it (ownership.go).
	Ownership    string          `json:"own,omitempty"`
	PublicAccess json.RawMessage `json:"pab,omitempty"`
	// Quota is the hard quota in bytes set by the admin API's
	// set-bucket-quota; 0 for none.
	Quota int64 `json:"quota,omitempty"`
	// Lifecycle: the lifecycle configuration (package lifecycle), opaque here.
	Lifecycle json.RawMessage `json:"lc,omitempty"`
	// Encryption is the default encryption document (caddys3/sse_bucket.go).
	Encryption json.RawMessage `json:"sse,omitempty"`
}

func recordPath(name string) string { return bucketsDir + "/" + name + ".json" }

// CreateBucket creates bucket name for owner. The record is published with
// link(2), which fails if it exists, so of concurrent creators (in any
// process) exactly one wins; the directory is created after it.
func (s *Store) CreateBucket(ctx context.Context, name, owner string) error {
	return s.CreateBucketWithACL(ctx, name, owner, nil)
}

// CreateBucketWithACL is CreateBucket with the bucket's ACL document set
// in the same atomic publish.
func (s *Store) CreateBucketWithACL(ctx context.Context, name, owner string, acl []byte) error {
	return s.CreateBucketWith(ctx, name, owner, NewBucket{ACL: acl})
}

// NewBucket is what a bucket is created with, in its first record: its
// ACL document, its ownership controls (x-amz-object-ownership, "" for
// none) and whether object lock (and so versioning) is on from the start.
// One atomic publish sets them all, so a bucket never exists without
// them (a BucketOwnerEnforced bucket with ACLs enabled, a locked bucket
// unprotected).
type NewBucket struct {
	ACL        []byte
	Ownership  string
	ObjectLock bool
}

// CreateBucketWith is CreateBucket with what nb says.
func (s *Store) CreateBucketWith(ctx context.Context, name, owner string, nb NewBucket) error {
	rec := bucketRecord{Owner: owner, ACL: nb.ACL, Ownership: nb.Ownership}
	if nb.ObjectLock {
		rec.Versioning, rec.ObjectLock = VersioningEnabled, &ObjectLockConfig{}
	}
	if err := s.createBucket(ctx, name, rec); err != nil {
		return err
	}
	if nb.ObjectLock {
		if err := s.flagVersioned(name); err != nil {
			return err
		}
		if err := s.mkdirAll(versionsDir + "/" + name); err != nil {
			return storageErr(err)
		}
	}
	return nil
}

// createBucket publishes the new bucket's record rec (Created is set
// here) and makes its directory.
func (s *Store) createBucket(ctx context.Context, name string, rec bucketRecord) error {
	if !ValidBucketName(name) {
		return ErrInvalidBucketName
	}
	rec.Created = time.Now().UTC().Truncate(time.Second)
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	err = s.writeAtomic(recordPath(name), b, true)
	if errors.Is(err, fs.ErrExist) {
		info, rerr := s.Bucket(ctx, name)
		if rerr != nil {
			return rerr
		}
		if info.Owner != rec.Owner {
			return ErrBucketExists
		}
		// Repair a create that died between record and directory.
		if merr := s.root.Mkdir(name, 0o755); merr != nil && !errors.Is(merr, fs.ErrExist) {
			return storageErr(merr)
		}
		return ErrBucketAlreadyOwned
	}
	if err != nil {
		return err
	}
	if err := s.root.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return storageErr(err)
	}
	if s.fsync {
		s.syncDir(".")
	}
	return nil
}

// Bucket returns the record of bucket name (read on every call, decoded
// once per content: bucketcache.go). Its documents are shared: read-only.
func (s *Store) Bucket(ctx context.Context, name string) (BucketInfo, error) {
	info, err := s.bucketInfo(name)
	if err != nil {
		return BucketInfo{}, err
	}
	if info.Versioning != "" {
		if err := s.healVersionedFlag(name); err != nil && !errors.Is(err, ErrNoSuchBucket) {
			return BucketInfo{}, fmt.Errorf("fsstore: bucket %s: versioning flag: %w", name, err)
		}
	}
	return info, nil
}

// SetBucketQuota sets the bucket's hard quota in bytes (0 clears it).
func (s *Store) SetBucketQuota(ctx context.Context, name string, bytes int64) error {
	return s.updateRecord(ctx, name, func(rec *bucketRecord) (bool, error) {
		changed := rec.Quota != bytes
		rec.Quota = bytes
		return changed, nil
	})
}

// HandOverBucket gives bucket name to owner to, with acl as its new ACL
// document, when (atomically, under the record's cross-process lock) it
// is still owned by from and was created no later than notAfter; it
// reports whether it did. The admin API hands a bucket the admin made to
// the account a policy names (caddys3/handover.go).
func (s *Store) HandOverBucket(ctx context.Context, name, from, to string, notAfter time.Time, acl []byte) (bool, error) {
	done := false
	err := s.updateRecord(ctx, name, func(rec *bucketRecord) (bool, error) {
		if rec.Owner != from || rec.Created.After(notAfter) {
			return false, nil
		}
		rec.Owner, rec.ACL, done = to, acl, true
		return true, nil
	})
	return done, err
}

// BucketDoc names a document kept with a bucket.
type BucketDoc int

const (
	BucketACL BucketDoc = iota
	BucketPolicy
	BucketCORS
	BucketTagging
	BucketOwnership    // the ObjectOwnership value, as bytes
	BucketPublicAccess // the public access block
	BucketLifecycle    // the lifecycle configuration
	BucketEncryption   // the default encryption
)

// SetBucketDoc replaces (data nil: removes) one of the bucket's documents
// (see updateRecord).
func (s *Store) SetBucketDoc(ctx context.Context, name string, doc BucketDoc, data []byte) error {
	return s.updateRecord(ctx, name, func(rec *bucketRecord) (bool, error) {
		switch doc {
		case BucketACL:
			rec.ACL = data
		case BucketPolicy:
			rec.Policy = string(data)
		case BucketCORS:
			rec.CORS = data
		case BucketTagging:
			rec.Tags = data
		case BucketOwnership:
			rec.Ownership = string(data)
		case BucketPublicAccess:
			rec.PublicAccess = data
		case BucketLifecycle:
			rec.Lifecycle = data
		case BucketEncryption:
			rec.Encryption = data
		default:
			return false, fmt.Errorf("fsstore: unknown bucket document %d", doc)
		}
		return true, nil
	})
}

// readRecord reads and decodes the bucket's record (ErrNoSuchBucket when
// there is none).
func (s *Store) readRecord(name string) (bucketRecord, error) {
	if !ValidBucketName(name) {
		return bucketRecord{}, ErrNoSuchBucket
	}
	b, err := s.root.ReadFile(recordPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return bucketRecord{}, ErrNoSuchBucket
	}
	if err != nil {
		return bucketRecord{}, err
	}
	return decodeRecord(name, b)
}

// decodeRecord decodes the record raw of bucket name.
func decodeRecord(name string, raw []byte) (bucketRecord, error) {
	var rec bucketRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return bucketRecord{}, fmt.Errorf("fsstore: bucket record %s: %w", name, err)
	}
	return rec, nil
}

// updateRecord changes the bucket's record with change and publishes it
// when change reports a change. Read-modify-write is serialised across
// processes with the per-key lock (bucket "" never names a real bucket),
// so concurrent updates of different fields do not lose each other; the
// record is replaced by rename, so readers see the old or the new one.
func (s *Store) updateRecord(ctx context.Context, name string, change func(*bucketRecord) (bool, error)) error {
	if !ValidBucketName(name) {
		return ErrNoSuchBucket
	}
	lk, err := s.lockKey(ctx, "", name)
	if err != nil {
		return err
	}
	defer lk.unlock()
	rec, err := s.readRecord(name)
	if err != nil {
		return err
	}
	changed, err := change(&rec)
	if err != nil || !changed {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.writeAtomic(recordPath(name), b, false)
}

// ListBuckets returns every bucket sorted by name.
func (s *Store) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	names, err := s.readDirNames(bucketsDir)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]BucketInfo, 0, len(names))
	for _, n := range names {
		name, ok := strings.CutSuffix(n, ".json")
		if !ok || !ValidBucketName(name) {
			continue
		}
		info, err := s.Bucket(ctx, name)
		if errors.Is(err, ErrNoSuchBucket) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteBucket removes an empty bucket. The directory goes first (rmdir
// fails if anything is in it, atomically against concurrent puts, which
// never recreate the bucket directory), then the bucket's multipart
// uploads, then the record.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if _, err := s.Bucket(ctx, name); err != nil {
		return err
	}
	// Versions and delete markers keep a bucket, as in S3.
	if has, err := s.areaHasEntries(versionsDir + "/" + name); err != nil {
		return err
	} else if has {
		return ErrBucketNotEmpty
	}
	err := s.root.Remove(name)
	if isNotEmpty(err) {
		// Empty directories left by crashed or racing writers are not keys.
		if d, oerr := s.root.Open(name); oerr == nil {
			s.pruneEmptyDirs(d, name, "")
			d.Close()
		}
		err = s.root.Remove(name)
	}
	switch {
	case isNotEmpty(err):
		return ErrBucketNotEmpty
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	// In-progress uploads do not keep a bucket; a CreateMultipartUpload
	// racing with this sees the directory gone and undoes itself.
	s.dropUploads(name)
	s.root.RemoveAll(versionsDir + "/" + name)
	s.root.RemoveAll(listIdxDir + "/" + name) // sorted listings (listindex.go)
	if err := s.root.Remove(recordPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// The quota ledger (usage.go); a later bucket of the name would not
	// trust it anyway (its creation time differs).
	s.root.Remove(usageDir + "/" + name + ".json")
	return nil
}

func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

// pruneEmptyDirs removes, depth first, the directories below d that hold
// no key (no files, no folder markers). rel is d's path below the bucket.
func (s *Store) pruneEmptyDirs(d *os.File, bucket, rel string) {
	ents, err := d.ReadDir(-1)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		withFd(d, func(dfd int) error {
			cfd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			crel := joinRel(rel, name)
			child := os.NewFile(uintptr(cfd), crel)
			s.pruneEmptyDirs(child, bucket, crel)
			marker, _ := s.isMarker(child, bucket, crel)
			child.Close()
			if !marker {
				unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
			}
			return nil
		})
	}
}
