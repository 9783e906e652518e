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
	fi, err := s.root.Lstat(bucket)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return ErrNoSuchBucket
	}
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
	if err := s.checkBucket(bucket); err != nil {
		return ObjectMeta{}, err
	}
	if p.marker {
		return s.putMarker(ctx, bucket, key, p, body, opts)
	}

	tmp, f, err := s.createTemp("put-")
	if err != nil {
		return ObjectMeta{}, err
	}
	size, etag, err := s.copyBody(ctx, f, body)
	if err != nil {
		s.discardTemp(tmp, f)
		return ObjectMeta{}, err
	}
	m, _, err := s.publishTemp(ctx, bucket, key, p, tmp, f, opts.metaAtEOF(size, etag), opts.IfMatch, opts.IfNoneMatch)
	return m, err
}

// discardTemp closes and removes an unpublished temp file.
func (s *Store) discardTemp(tmp string, f *os.File) {
	f.Close()
	s.root.Remove(tmp)
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

// publishTemp makes the temp file f (at tmp, holding meta.Size bytes) the
// object at key with meta (ETag set, LastModified ignored): metadata staged
// with the file, optional fsync, the IfMatch check, then rename (or link
// for ifNoneMatch "*"). It always consumes f and tmp. published reports
// whether the object became visible; an error after that is a failed
// directory fsync.
func (s *Store) publishTemp(ctx context.Context, bucket, key string, p objPath, tmp string, f *os.File, meta ObjectMeta, ifMatch, ifNoneMatch string) (_ ObjectMeta, published bool, _ error) {
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
	if err := f.Close(); err != nil {
		return ObjectMeta{}, false, storageErr(err)
	}
	if testHookStaged != nil {
		testHookStaged(bucket, key)
	}
	if ifMatch != "" {
		// Check and rename under the key's lock (see lock.go).
		l, err := s.lockKey(ctx, bucket, key)
		if err != nil {
			return ObjectMeta{}, false, err
		}
		err = s.checkIfMatch(ctx, bucket, key, ifMatch)
		if err == nil {
			err = s.publish(bucket, p, tmp, ifNoneMatch == "*")
		}
		l.unlock()
		if err != nil {
			return ObjectMeta{}, false, err
		}
	} else if err := s.publish(bucket, p, tmp, ifNoneMatch == "*"); err != nil {
		return ObjectMeta{}, false, err
	}
	published = true
	s.meta.published(id, bucket, key)
	m := rec.meta(meta.Size, unixSec(id.MTime))
	if s.fsync {
		if err := s.syncDir(join(bucket, p.dir())); err != nil {
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
		m, rerr := body.Read(buf)
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

// publish moves the staged temp file to the key's path, creating parent
// directories as needed and retrying when a concurrent delete prunes them.
func (s *Store) publish(bucket string, p objPath, tmp string, exclusive bool) error {
	target := join(bucket, p.rel)
	for attempt := 1; ; attempt++ {
		var err error
		if exclusive {
			err = s.root.Link(tmp, target)
		} else {
			err = s.root.Rename(tmp, target)
		}
		if err == nil {
			if exclusive {
				s.root.Remove(tmp)
			}
			return nil
		}
		retry := attempt < publishAttempts
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if merr := s.mkdirAllIn(bucket, p.dir()); merr != nil && merr != errRetry {
				return merr
			}
			if !retry {
				return err
			}
		case errors.Is(err, syscall.ENOTDIR):
			return ErrObjectParentIsFile
		case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY):
			fi, lerr := s.root.Lstat(target)
			switch {
			case lerr == nil && fi.IsDir():
				// An empty leftover directory is not a key: replace it.
				if !retry || !s.rmdirIfNoKey(bucket, p.rel) {
					return ErrObjectIsDirectory
				}
			case lerr == nil && exclusive:
				return ErrPreconditionFailed
			case errors.Is(lerr, fs.ErrNotExist) && retry:
				// deleted meanwhile: try again
			default:
				return err
			}
		default:
			return storageErr(err)
		}
	}
}

// mkdirAllIn creates rel and its parents below the bucket directory,
// never the bucket directory itself.
func (s *Store) mkdirAllIn(bucket, rel string) error {
	if rel == "" {
		return s.checkBucket(bucket)
	}
	br, err := s.root.OpenRoot(bucket)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNoSuchBucket
	}
	if err != nil {
		return err
	}
	defer br.Close()
	err = br.MkdirAll(rel, 0o755)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
		return storageErr(err)
	}
	// A file in the way, or a directory pruned under our feet: look.
	if berr := s.checkBucket(bucket); berr != nil {
		return berr
	}
	for i := 0; i <= len(rel); i++ {
		if i < len(rel) && rel[i] != '/' {
			continue
		}
		fi, err := br.Lstat(rel[:i])
		if errors.Is(err, fs.ErrNotExist) {
			return errRetry
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return ErrObjectParentIsFile
		}
	}
	return errRetry
}

// putMarker stores a folder marker: the directory rel with marker metadata.
// Markers hold no bytes.
func (s *Store) putMarker(ctx context.Context, bucket, key string, p objPath, body io.Reader, opts PutOptions) (ObjectMeta, error) {
	size, etag, err := s.copyBody(ctx, io.Discard, body)
	if err != nil {
		return ObjectMeta{}, err
	}
	if size != 0 {
		return ObjectMeta{}, fmt.Errorf("%w: a key ending in '/' cannot hold data", ErrInvalidKey)
	}
	meta := opts.metaAtEOF(0, etag)
	if opts.IfMatch != "" {
		l, err := s.lockKey(ctx, bucket, key)
		if err != nil {
			return ObjectMeta{}, err
		}
		defer l.unlock()
		if err := s.checkIfMatch(ctx, bucket, key, opts.IfMatch); err != nil {
			return ObjectMeta{}, err
		}
	}
	rec := recordOf(&meta)
	rec.MTime = time.Now().Unix()
	for attempt := 1; ; attempt++ {
		err := s.mkdirAllIn(bucket, p.rel)
		if err == nil {
			err = s.setMarkerAt(bucket, key, p.rel, &rec, opts.IfNoneMatch == "*")
		}
		if err == errRetry && attempt < publishAttempts {
			continue
		}
		if err != nil {
			return ObjectMeta{}, err
		}
		break
	}
	if s.fsync {
		s.syncDir(join(bucket, p.rel))
		if err := s.syncDir(join(bucket, p.dir())); err != nil {
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
	case errors.Is(err, fs.ErrNotExist):
		return errRetry
	case errors.Is(err, syscall.ENOTDIR):
		return ErrObjectParentIsFile
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
			return ErrObjectParentIsFile
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
