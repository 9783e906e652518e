package fsstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errRetry says a concurrent delete removed a directory we just made.
var errRetry = errors.New("fsstore: directory vanished, retry")

// testHookStaged, set by tests only, runs when a put or Complete has its
// data and metadata staged and is about to publish them.
var testHookStaged func(bucket, key string)

// testHookWrite, set by tests only, runs before n bytes of an object or
// part are written to a temp file; an error stands for the write's.
var testHookWrite func(n int) error

func writeHook(n int) error {
	if testHookWrite != nil {
		return testHookWrite(n)
	}
	return nil
}

// publishAttempts bounds the retries against concurrent directory pruning.
const publishAttempts = 8

// resolve validates bucket and key and maps the key to its path.
func resolve(bucket, key string) (objPath, error) {
	if !ValidBucketName(bucket) {
		return objPath{}, ErrNoSuchBucket
	}
	return keyPath(key)
}

// checkBucket reports ErrNoSuchBucket unless the bucket directory exists.
// Object operations never create it, so a bucket being deleted cannot be
// resurrected by a racing put.
func (s *Store) checkBucket(bucket string) error {
	_, err := s.bucketState(bucket)
	return err
}

// PutObject stores body at key. Nothing is visible until body returned a
// clean EOF; then bytes and metadata appear together by one rename (or
// link, for IfNoneMatch "*"). Any other read error aborts the put and is
// returned wrapped, for errors.Is and errors.As.
func (s *Store) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectMeta, error) {
	p, err := resolve(bucket, key)
	if err != nil {
		return ObjectMeta{}, err
	}
	tmp, f, err := s.createStaging("put-") // tmp "": unnamed, see putunnamed.go
	if err != nil {
		return ObjectMeta{}, err
	}
	size, etag, err := s.copyBodySealed(ctx, f, body, opts.Seal)
	if err != nil {
		s.discardTemp(tmp, f)
		return ObjectMeta{}, err
	}
	// Whether the bucket exists and is versioned is read once the body is
	// in (one Lstat): a long upload during which versioning is first
	// enabled publishes as a versioned write, under the key's lock. The
	// handler has found the bucket before the body; a put to a missing
	// bucket through the store alone costs its temp file, then fails.
	versioned, err := s.bucketState(bucket)
	if err != nil {
		s.discardTemp(tmp, f)
		return ObjectMeta{}, err
	}
	if p.marker && size == 0 && !versioned {
		s.discardTemp(tmp, f)
		return s.putMarker(ctx, bucket, key, p, opts.metaAtEOF(0, etag), opts)
	}
	meta := opts.metaAtEOF(size, etag)
	if tmp == "" {
		m, named, err := s.publishUnnamed(ctx, bucket, key, p, f, meta, opts, versioned)
		if named == "" {
			return m, err
		}
		tmp = named
	}
	m, _, err := s.publishTemp(ctx, bucket, key, p, tmp, f, meta, opts.IfMatch, opts.IfNoneMatch, versioned, nil)
	return m, err
}

// discardTemp closes and removes an unpublished temp file.
func (s *Store) discardTemp(tmp string, f *os.File) {
	f.Close()
	if tmp != "" { // "": unnamed, gone with its descriptor
		s.root.Remove(tmp)
	}
}

// stageMeta attaches rec to the open, fully written temp file f as the
// metadata of bucket/key and returns the file's identity (the inode, size
// and mtime the record describes).
func (s *Store) stageMeta(f *os.File, bucket, key string, rec *metaRecord) (fileID, error) {
	var id fileID
	err := withFd(f, func(fd int) error {
		var err error
		if id, _, err = statID(fd); err != nil {
			return err
		}
		return s.meta.stage(fd, id, bucket, key, rec)
	})
	return id, err
}

// publishTemp (in a versioned bucket: publishVersioned) makes the temp file f (at tmp, holding meta.Size bytes) the
// object at key with meta (ETag set, LastModified ignored): metadata staged
// with the file, optional fsync, the IfMatch check, then rename (or link
// for ifNoneMatch "*"). It always consumes f and tmp. slot, when not
// nil, may hold the version id fixed in advance (see VersionSlot). published reports
// whether the object became visible; an error after that is a failed
// directory fsync.
func (s *Store) publishTemp(ctx context.Context, bucket, key string, p objPath, tmp string, f *os.File, meta ObjectMeta, ifMatch, ifNoneMatch string, versioned bool, slot *VersionSlot) (_ ObjectMeta, published bool, _ error) {
	if versioned || slot.isFixed() {
		return s.publishVersioned(ctx, bucket, key, p, tmp, f, meta, ifMatch, ifNoneMatch, slot)
	}
	var id fileID
	staged := false
	defer func() {
		if !published {
			s.discardTemp(tmp, f)
			if staged {
				s.meta.unstage(id, bucket, key)
			}
		}
	}()
	rec := recordOf(&meta)
	id, err := s.stageMeta(f, bucket, key, &rec)
	if err != nil {
		return ObjectMeta{}, false, err
	}
	staged = true
	if s.fsync {
		if err := f.Sync(); err != nil {
			return ObjectMeta{}, false, storageErr(err)
		}
	}
	return s.publishStaged(ctx, bucket, key, p, tmp, f, id, &rec, meta.Size, ifMatch, ifNoneMatch)
}

// publishStaged is publishTemp once f carries its metadata record rec
// (and is synced, with fsync): it closes f and publishes tmp. Unless
// published, the caller removes tmp and unstages; an error after
// publication is a failed directory fsync.
func (s *Store) publishStaged(ctx context.Context, bucket, key string, p objPath, tmp string, f *os.File, id fileID, rec *metaRecord, size int64, ifMatch, ifNoneMatch string) (_ ObjectMeta, published bool, _ error) {
	if err := f.Close(); err != nil {
		return ObjectMeta{}, false, storageErr(err)
	}
	if testHookStaged != nil {
		testHookStaged(bucket, key)
	}
	drel, err := s.publishLocked(ctx, bucket, key, p, tmp, ifMatch, ifNoneMatch == "*")
	if err != nil {
		return ObjectMeta{}, false, err
	}
	s.meta.published(id, bucket, key)
	m := rec.meta(size, unixSec(id.MTime))
	if s.fsync {
		if err := s.syncDir(join(bucket, drel)); err != nil {
			return m, true, storageErr(err)
		}
	}
	return m, true, nil
}

func unixSec(ns int64) int64 { return time.Unix(0, ns).Unix() }

// copyBody streams body into w, hashing on the way. Read errors come back
// wrapped but unchanged for errors.Is; write errors are storage errors.
func (s *Store) copyBody(ctx context.Context, w io.Writer, body io.Reader) (int64, string, error) {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	h := md5.New()
	var n int64
	if body == nil {
		body = eofReader{}
	}
	for {
		if err := ctx.Err(); err != nil {
			return 0, "", err
		}
		m, rerr := fill(body, buf)
		if m > 0 {
			h.Write(buf[:m])
			if err := writeHook(m); err != nil {
				return 0, "", storageErr(err)
			}
			if _, err := w.Write(buf[:m]); err != nil {
				return 0, "", storageErr(err)
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, hex.EncodeToString(h.Sum(nil)), nil
		}
		if rerr != nil {
			return 0, "", fmt.Errorf("fsstore: reading body: %w", rerr)
		}
	}
}

// eofReader is the nil body: empty.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// checkIfMatch checks If-Match against the current object. Callers hold
// the key's lock (lockKey) from the check through the publish, which makes
// the check atomic against other conditional writers; see lock.go for the
// bound against lock-free writers.
func (s *Store) checkIfMatch(ctx context.Context, bucket, key, want string) error {
	cur, err := s.HeadObject(ctx, bucket, key)
	if errors.Is(err, ErrNoSuchKey) {
		return ErrPreconditionFailed
	}
	if err != nil {
		return err
	}
	if want != "*" && strings.Trim(want, `"`) != cur.ETag {
		return ErrPreconditionFailed
	}
	return nil
}

// publishLocked publishes the staged temp file at key, taking the key's
// lock when the publish must be atomic with a check: If-Match (see
// lock.go), and a key ending in '/', which has two forms (a marker
// directory when empty, else the file named by the empty last component,
// see putMarker) that writers must not interleave. It returns the actual
// stored path of the directory the file went to.
func (s *Store) publishLocked(ctx context.Context, bucket, key string, p objPath, tmp, ifMatch string, exclusive bool) (string, error) {
	if ifMatch != "" || p.marker {
		l, err := s.lockKey(ctx, bucket, key)
		if err != nil {
			return "", err
		}
		defer l.unlock()
	}
	if ifMatch != "" {
		if err := s.checkIfMatch(ctx, bucket, key, ifMatch); err != nil {
			return "", err
		}
	}
	if !p.marker {
		return s.publish(ctx, bucket, p, tmp, exclusive)
	}
	if exclusive {
		if _, err := s.HeadObject(ctx, bucket, key); err == nil {
			return "", ErrPreconditionFailed
		}
	}
	drel, err := s.publish(ctx, bucket, bodyPath(p), tmp, exclusive)
	if err == nil {
		s.clearMarker(bucket, key, drel)
	}
	return drel, err
}

// bodyPath is where the bytes of the marker-shaped key p ("d/") go when it
// has a body, or comes from a multipart upload: the file named by its
// empty last component ("d/%%empty"), by the general rule.
func bodyPath(p objPath) objPath {
	return objPath{rel: p.rel + "/" + escEmpty}
}

// clearMarker removes the marker metadata of the directory drel, whose key
// now has a body.
func (s *Store) clearMarker(bucket, key, drel string) {
	d, err := s.root.Open(join(bucket, drel))
	if err != nil {
		return
	}
	defer d.Close()
	withFd(d, func(fd int) error { return s.meta.removeMarker(fd, bucket, key) })
}

// publish moves the staged temp file to the key's path, creating parent
// directories as needed (with collision escapes, see collide.go) and
// retrying when a concurrent delete prunes them. It returns the actual
// stored path of the directory holding the file.
func (s *Store) publish(ctx context.Context, bucket string, p objPath, tmp string, exclusive bool) (string, error) {
	// The common case: the plain path, one rename (or, under the name
	// lock, link).
	var err error
	if exclusive {
		err = s.placeExclusive(ctx, bucket, p.dir(), p.base(), tmp, join(bucket, p.rel))
	} else {
		err = s.placeFile(ctx, bucket, tmp, join(bucket, p.rel), false)
	}
	switch {
	case err == nil:
		return p.dir(), nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrExist),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY):
	default:
		return "", storageErr(err)
	}
	for range publishAttempts {
		drel, err := s.makeDir(ctx, bucket, p.dir())
		if err == nil {
			err = s.publishLeaf(ctx, bucket, drel, p.base(), tmp, exclusive)
		}
		if err != errRetry {
			return drel, err
		}
	}
	return "", fmt.Errorf("fsstore: publishing %s: its directory kept vanishing", join(bucket, p.rel))
}

// putMarker stores an empty key ending in '/' ("d/") as a folder marker:
// the directory of its last non-empty component ("d", or its %%dir escape)
// with marker metadata. The same key with a body is the file "d/%%empty"
// (see publishLocked); writing one form removes the other, under the
// key's lock.
func (s *Store) putMarker(ctx context.Context, bucket, key string, p objPath, meta ObjectMeta, opts PutOptions) (ObjectMeta, error) {
	l, err := s.lockKey(ctx, bucket, key)
	if err != nil {
		return ObjectMeta{}, err
	}
	defer l.unlock()
	if opts.IfMatch != "" {
		if err := s.checkIfMatch(ctx, bucket, key, opts.IfMatch); err != nil {
			return ObjectMeta{}, err
		}
	}
	exclusive := opts.IfNoneMatch == "*"
	if exclusive {
		if _, err := s.HeadObject(ctx, bucket, key); err == nil {
			return ObjectMeta{}, ErrPreconditionFailed
		}
	}
	rec := recordOf(&meta)
	rec.MTime = time.Now().Unix()
	var drel string
	for attempt := 1; ; attempt++ {
		var err error
		drel, err = s.makeDir(ctx, bucket, p.rel)
		if err == nil {
			// Under the directory's name lock, against a concurrent prune
			// (see rmdirIfNoKey).
			var l *keyLock
			if l, err = s.lockName(ctx, bucket, parentOf(drel), drel[strings.LastIndexByte(drel, '/')+1:]); err == nil {
				err = s.setMarkerAt(bucket, key, drel, &rec, exclusive)
				l.unlock()
			}
		}
		if err == errRetry && attempt < publishAttempts {
			continue
		}
		if err != nil {
			return ObjectMeta{}, err
		}
		break
	}
	// Drop the body form, if the key had one.
	if d, err := s.root.Open(join(bucket, drel)); err == nil {
		id, removed, _ := s.removeLeaf(bucket, drel, d, escEmpty)
		d.Close()
		if removed {
			s.meta.removed(id, bucket, key)
		}
	}
	if s.fsync {
		s.syncDir(join(bucket, drel))
		if err := s.syncDir(join(bucket, parentOf(drel))); err != nil {
			return ObjectMeta{}, storageErr(err)
		}
	}
	return rec.meta(0, rec.MTime), nil
}

// setMarkerAt sets marker metadata on the directory rel, then checks the
// directory is still linked: a concurrent delete may have pruned it while
// it was empty.
func (s *Store) setMarkerAt(bucket, key, rel string, rec *metaRecord, exclusive bool) error {
	path := join(bucket, rel)
	d, err := s.root.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return errRetry // pruned or replaced since made
	case err != nil:
		return err
	}
	defer d.Close()
	var ino uint64
	err = withFd(d, func(fd int) error {
		id, mode, err := statID(fd)
		if err != nil {
			return err
		}
		if mode != unix.S_IFDIR {
			return errRetry
		}
		ino = id.Ino
		return s.meta.setMarker(fd, ino, bucket, key, rec, exclusive)
	})
	if err != nil {
		return err
	}
	fi, err := s.root.Lstat(path)
	if err != nil || fi.Sys().(*unix.Stat_t).Ino != ino {
		return errRetry
	}
	return nil
}
