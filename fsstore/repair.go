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
	"path"
	"strings"
	"syscall"
	"time"
)

// Objects without metadata. A file copied into a bucket directory by hand,
// or restored by a backup tool that dropped extended attributes, has no
// metadata record: no ETag, content type or owner. A read gives it one,
// once: it hashes the file (MD5, the ETag of a single-part upload) and
// stores the record with the store's own writer (the xattr, or the sidecar
// naming this inode), so later reads and listings see it. Hashing is
// bounded by Options.RepairMaxSize: a larger file fails the read with
// ErrMetadataMissing rather than reading gigabytes for a HEAD; the fsck
// command (RepairObject) repairs it whatever its size. In sidecar mode a
// restored file finds its old record again (see restoredRecord).

// DefaultRepairMaxSize is the largest file a read hashes (Options.RepairMaxSize 0).
const DefaultRepairMaxSize = 64 << 20

// DefaultContentType is what a repaired record says of its content: AWS's
// default for an object stored without a Content-Type.
const DefaultContentType = "binary/octet-stream"

// ErrMetadataMissing: the object has no metadata record and is too large to
// hash at read time (or changed while it was hashed).
var ErrMetadataMissing = errors.New("fsstore: object has no metadata record")

// repairLockWait bounds how long a read waits for the key's publish lock
// before it gives up repairing and fails (a conditional write holds it for
// one rename).
const repairLockWait = 10 * time.Second

func repairLimit(n int64) int64 {
	if n == 0 {
		return DefaultRepairMaxSize
	}
	return n
}

// repairAtRead gives the open data file f (of bucket/key, identity id), read
// with the record rec that has no ETag, its record if it is small enough.
func (s *Store) repairAtRead(f *os.File, id fileID, bucket, key string, rec metaRecord) (metaRecord, error) {
	if s.repairMax < 0 || id.Size > s.repairMax {
		return rec, fmt.Errorf("%w: %d bytes, more than the %d a read hashes", ErrMetadataMissing, id.Size, max(s.repairMax, 0))
	}
	ctx, cancel := context.WithTimeout(context.Background(), repairLockWait)
	defer cancel()
	rec, err := s.fillRecord(ctx, f, id, bucket, key)
	if err != nil && rec.ETag != "" {
		// Computed but not stored: serve it; the next read tries again.
		return rec, nil
	}
	return rec, err
}

// repairOpened is repairAtRead for a version o of bucket/key opened by a
// versioned read, whose metadata carries what its entry's name says.
func (s *Store) repairOpened(o *Object, bucket, key string) error {
	var id fileID
	if err := withFd(o.File, func(fd int) (err error) { id, _, err = statID(fd); return err }); err != nil {
		return err
	}
	rec, err := s.repairAtRead(o.File, id, bucket, key, metaRecord{})
	if err != nil {
		return err
	}
	o.Meta.ETag, o.Meta.ContentType = rec.ETag, rec.ContentType
	return nil
}

// fillRecord hashes f and stores its ETag (and the default content type,
// and the bucket's owner as the object's) in its record, keeping whatever
// else the record holds. It stores under the key's publish lock, as
// conditional writers do, and stores nothing if the file changed while it
// was hashed (a copy still being written: ErrMetadataMissing). When only
// storing fails (a read-only root, the lock busy), it returns the record
// it would have stored with the error.
func (s *Store) fillRecord(ctx context.Context, f *os.File, id fileID, bucket, key string) (metaRecord, error) {
	h := md5.New()
	bp := s.bufs.Get().(*[]byte)
	_, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, id.Size), *bp)
	s.bufs.Put(bp)
	if err != nil {
		return metaRecord{}, fmt.Errorf("hashing %s/%s: %w", bucket, key, err)
	}
	etag := hex.EncodeToString(h.Sum(nil))
	// The bucket's owner owns what nobody wrote through S3.
	var owner string
	if info, err := s.Bucket(ctx, bucket); err == nil {
		owner = info.Owner
	}
	fill := func(r *metaRecord) {
		switch old, ok := s.restoredRecord(bucket, key, id, etag); {
		case r.ETag != "":
		case ok:
			*r = old
		default:
			r.ETag = etag
			if r.ContentType == "" {
				r.ContentType = DefaultContentType
			}
			if r.Owner == "" {
				r.Owner = owner
			}
		}
	}
	var rec metaRecord
	err = s.storeFilled(ctx, f, id, bucket, key, func(r *metaRecord) { fill(r); rec = *r })
	if err != nil && !errors.Is(err, ErrMetadataMissing) && rec.ETag == "" {
		fill(&rec)
	}
	if err != nil {
		return rec, fmt.Errorf("repairing the record of %s/%s: %w", bucket, key, err)
	}
	return rec, nil
}

// storeFilled rewrites the record of f with fill under the key's lock,
// unless f is no longer the file id that was hashed.
func (s *Store) storeFilled(ctx context.Context, f *os.File, id fileID, bucket, key string, fill func(*metaRecord)) error {
	l, err := s.lockKey(ctx, bucket, key)
	if err != nil {
		return fmt.Errorf("locking: %w", err)
	}
	defer l.unlock()
	return withFd(f, func(fd int) error {
		now, _, err := statID(fd)
		if err != nil {
			return err
		}
		if now != id {
			return fmt.Errorf("%w: the file changed while it was hashed", ErrMetadataMissing)
		}
		if err := s.editFd(fd, bucket, key, func(r *metaRecord) error { fill(r); return nil }); err != nil {
			return err
		}
		// A file put there by hand: its bytes were never counted.
		s.usageStale(ctx, bucket)
		return nil
	})
}

// restoredRecord finds, in sidecar mode, the record a file-level restore
// (rsync, tar) left behind for the file id of bucket/key: restores make
// new inodes, so no record names this one, but the record of the same
// key whose file had this size and modification time (to the second:
// some archive formats keep no more) and whose ETag is this file's MD5
// (or a multipart ETag, which cannot be recomputed) describes these bytes.
func (s *Store) restoredRecord(bucket, key string, id fileID, etag string) (metaRecord, bool) {
	sm, ok := s.meta.(*sidecarMeta)
	if !ok {
		return metaRecord{}, false
	}
	names, _ := s.readDirNames(sidecarDir(bucket, key))
	for _, name := range names {
		old, ok, err := sm.read(bucket, key, name)
		if err != nil || !ok || name == markerRecord || old.Bucket != bucket || old.Key != key ||
			old.ID.Size != id.Size || unixSec(old.ID.MTime) != unixSec(id.MTime) {
			continue
		}
		if old.Meta.ETag == etag || strings.Contains(old.Meta.ETag, "-") {
			return old.Meta, true
		}
	}
	return metaRecord{}, false
}

// RepairObject looks at key's object (its plain file, not a folder marker)
// and reports whether it has no metadata record; with repair it gives it
// one, whatever its size. A key that names no object (removed meanwhile)
// or a folder marker is not missing anything.
func (s *Store) RepairObject(ctx context.Context, bucket, key string, repair bool) (missing bool, err error) {
	f, rec, id, marker, err := s.openKey(bucket, key)
	if errors.Is(err, ErrNoSuchKey) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if marker || rec.ETag != "" {
		return false, nil
	}
	if repair {
		_, err = s.fillRecord(ctx, f, id, bucket, key)
	}
	return true, err
}

// SidecarMode reports whether metadata lives in sidecar records (the root's
// filesystem has no user xattrs) rather than in xattrs.
func (s *Store) SidecarMode() bool {
	_, ok := s.meta.(*sidecarMeta)
	return ok
}

// StaleUploads counts the multipart uploads CleanupUploads(olderThan)
// would abort: those initiated before now-olderThan and every upload of a
// bucket that no longer exists.
func (s *Store) StaleUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	buckets, err := s.readDirNames(uploadsDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, bucket := range buckets {
		if !ValidBucketName(bucket) {
			continue
		}
		ups, err := s.scanUploads(ctx, bucket, "")
		if err != nil {
			return n, fmt.Errorf("uploads of %s: %w", bucket, err)
		}
		_, berr := s.Bucket(ctx, bucket)
		for _, u := range ups {
			if errors.Is(berr, ErrNoSuchBucket) || u.Initiated.Before(cutoff) {
				n++
			}
		}
	}
	return n, nil
}

// LiveNodes returns the ids of the other Stores whose heartbeat says they
// are running on this root (see node.go).
func (s *Store) LiveNodes() ([]string, error) {
	names, err := s.readDirNames(nodesDir)
	if err != nil {
		return nil, err
	}
	alive := map[string]bool{}
	var live []string
	for _, id := range names {
		if id != s.node && s.nodeAlive(id, alive) {
			live = append(live, id)
		}
	}
	return live, nil
}

// RootDir is the directory the store was opened on.
func (s *Store) RootDir() string { return s.root.Name() }

// OrphanSidecars finds the sidecar records that describe nothing: their
// bucket has no record, or no file (for a marker record: no directory)
// under the root has the identity they name. Records younger than the
// sidecar grace are left alone, as the store's own pruning does (a put
// stages its record before it publishes the file). With repair it removes
// them. found gets each one's path relative to the root.
func (s *Store) OrphanSidecars(ctx context.Context, repair bool, found func(rel string)) (int, error) {
	if !s.SidecarMode() {
		return 0, nil
	}
	files, dirs, err := s.identities(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-sidecarGrace)
	n := 0
	err = fs.WalkDir(os.DirFS(s.root.Name()), metaDir, func(rel string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return nil
		}
		b, err := s.root.ReadFile(rel)
		if err != nil {
			return nil // removed meanwhile
		}
		var rec sidecarRecord
		orphan := json.Unmarshal(b, &rec) != nil
		if !orphan {
			_, berr := s.Bucket(ctx, rec.Bucket)
			live := files[rec.ID]
			if path.Base(rel) == markerRecord {
				live = dirs[rec.ID.Ino]
			}
			orphan = errors.Is(berr, ErrNoSuchBucket) || !live
		}
		if !orphan {
			return nil
		}
		n++
		found(rel)
		if repair {
			s.root.Remove(rel)
			s.root.Remove(path.Dir(rel)) // fails harmlessly unless empty
		}
		return nil
	})
	return n, err
}

// identities walks the root but for the sidecars and returns the identity
// of every regular file and the inode of every directory: a sidecar record
// names one of those when it describes anything.
func (s *Store) identities(ctx context.Context) (map[fileID]bool, map[uint64]bool, error) {
	files, dirs := map[fileID]bool{}, map[uint64]bool{}
	err := fs.WalkDir(os.DirFS(s.root.Name()), ".", func(rel string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walked
			}
			return err
		}
		if rel == metaDir {
			return fs.SkipDir
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case !ok:
		case e.IsDir():
			dirs[st.Ino] = true
		case e.Type().IsRegular():
			files[fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}] = true
		}
		return nil
	})
	return files, dirs, err
}

// KeyOfPath is the key stored at rel, a file's path below its bucket
// directory; ok is false when no key reaches rel: a name the store never
// makes (an escape it does not know), or one that makes no valid key (not
// UTF-8, too long).
func KeyOfPath(rel string) (key string, ok bool) {
	key, ok = keyFromPath(rel, false)
	if ok {
		_, err := keyPath(key)
		ok = err == nil
	}
	return key, ok
}
