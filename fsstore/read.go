package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenObject opens key for reading. Its metadata is read from the same open
// file (fstat and fgetxattr on the fd), so it always describes these bytes
// even if a put replaces the key meanwhile.
func (s *Store) OpenObject(ctx context.Context, bucket, key string) (*Object, error) {
	return s.openObject(bucket, key, true)
}

// HeadObject returns the metadata of key.
func (s *Store) HeadObject(ctx context.Context, bucket, key string) (ObjectMeta, error) {
	o, err := s.openObject(bucket, key, false)
	if err != nil {
		return ObjectMeta{}, err
	}
	if o.File != nil {
		o.Close()
	}
	return o.Meta, nil
}

// openKey opens the file (or marker directory) of an existing key: a
// missing one is ErrNoSuchKey, or ErrNoSuchBucket when the bucket is gone.
func (s *Store) openKey(bucket, key string) (*os.File, objPath, error) {
	p, err := resolve(bucket, key)
	if err != nil {
		return nil, p, err
	}
	f, err := s.openNoFollow(bucket, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP) {
			if berr := s.checkBucket(bucket); berr != nil {
				return nil, p, berr
			}
			return nil, p, ErrNoSuchKey
		}
		return nil, p, err // e.g. permission: never disguised as a missing key
	}
	return f, p, nil
}

// keyRecord reads the metadata record of the key open at fd: a marker
// directory must have one; a data file without one (dropped in by hand)
// gets an empty record.
func (s *Store) keyRecord(fd int, p objPath, bucket, key string) (metaRecord, fileID, error) {
	id, mode, err := statID(fd)
	if err != nil {
		return metaRecord{}, id, err
	}
	if p.marker {
		if mode != unix.S_IFDIR {
			return metaRecord{}, id, ErrNoSuchKey
		}
		rec, ok, err := s.meta.loadMarker(fd, id.Ino, bucket, key)
		if err != nil || !ok {
			return metaRecord{}, id, cmpErr(err, ErrNoSuchKey)
		}
		return rec, id, nil
	}
	if mode != unix.S_IFREG {
		return metaRecord{}, id, ErrNoSuchKey
	}
	rec, _, err := s.meta.load(fd, id, bucket, key)
	return rec, id, err
}

func (s *Store) openObject(bucket, key string, forMarkerBody bool) (*Object, error) {
	f, p, err := s.openKey(bucket, key)
	if err != nil {
		return nil, err
	}
	var meta ObjectMeta
	err = withFd(f, func(fd int) error {
		rec, id, err := s.keyRecord(fd, p, bucket, key)
		if p.marker {
			meta = rec.meta(0, rec.MTime)
		} else {
			meta = rec.meta(id.Size, unixSec(id.MTime))
		}
		return err
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	if p.marker {
		// A marker has no bytes; hand out the shared empty file so callers
		// can treat every object alike.
		f.Close()
		f = nil
		if forMarkerBody {
			if f, err = s.root.Open(emptyFile); err != nil {
				return nil, err
			}
		}
	}
	return &Object{File: f, Meta: meta}, nil
}

// openNoFollow opens the object's file (or marker directory) refusing a
// symlink as the last component: the root confines symlinks, but a planted
// link must not alias another key, bucket or the internal directory.
func (s *Store) openNoFollow(bucket string, p objPath) (*os.File, error) {
	d, err := s.root.Open(join(bucket, p.dir()))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if p.marker {
		flags |= unix.O_DIRECTORY
	}
	var f *os.File
	name := p.base()
	err = withFd(d, func(dfd int) error {
		fd, err := unix.Openat(dfd, name, flags, 0)
		if err != nil {
			return &os.PathError{Op: "openat", Path: join(bucket, p.rel), Err: err}
		}
		f = os.NewFile(uintptr(fd), join(bucket, p.rel))
		return nil
	})
	return f, err
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
