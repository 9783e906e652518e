package fsstore

import (
	"context"
	"errors"
	"fmt"
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

// openKey opens the file (or marker directory) of an existing key and
// reads its metadata record: a missing one is ErrNoSuchKey, or
// ErrNoSuchBucket when the bucket is gone. A data file without a record
// (dropped in by hand) gets an empty one. marker reports a marker
// directory (whose record holds its time); a key ending in '/' with a
// body is the file of its empty last component (see putMarker).
//
// The directory and the file are looked up at their plain names first, so
// a key that does not collide costs what it always did; collision escapes
// are tried only where a plain name failed (see collide.go).
func (s *Store) openKey(bucket, key string) (f *os.File, rec metaRecord, id fileID, marker bool, err error) {
	return s.openKeyWith(bucket, key, s.loadOpen)
}

// openKeyWith is openKey reading a data file's record with load.
func (s *Store) openKeyWith(bucket, key string, load openLoader) (f *os.File, rec metaRecord, id fileID, marker bool, err error) {
	p, err := resolve(bucket, key)
	if err != nil {
		return nil, rec, id, false, err
	}
	dir, name := p.dir(), p.base()
	if p.marker {
		dir, name = p.rel, escEmpty
	} else if f, id, ok := s.openPlainFile(bucket, p.rel); ok {
		return load(f, id, bucket, key)
	}
	d, _, err := s.findDir(bucket, dir)
	if err != nil {
		return nil, rec, id, false, s.missing(bucket, err)
	}
	if p.marker {
		var ok bool
		err = withFd(d, func(fd int) error {
			var mode uint32
			if id, mode, err = statID(fd); err != nil || mode != unix.S_IFDIR {
				return err
			}
			rec, ok, err = s.meta.loadMarker(fd, id.Ino, bucket, key)
			return err
		})
		if err != nil || ok {
			if err != nil {
				d.Close()
				return nil, rec, id, false, err
			}
			return d, rec, id, true, nil
		}
	}
	f, id, err = openLeaf(d, name)
	d.Close()
	if err != nil {
		return nil, rec, id, false, s.missing(bucket, err)
	}
	return load(f, id, bucket, key)
}

// openLoader reads the metadata record of key's open data file f (closed
// on failure), returning openKey's results.
type openLoader func(f *os.File, id fileID, bucket, key string) (*os.File, metaRecord, fileID, bool, error)

// loadOpen is the openLoader reading the whole record.
func (s *Store) loadOpen(f *os.File, id fileID, bucket, key string) (*os.File, metaRecord, fileID, bool, error) {
	var rec metaRecord
	err := withFd(f, func(fd int) error {
		var err error
		rec, _, err = s.meta.load(fd, id, bucket, key)
		return err
	})
	if err != nil {
		f.Close()
		return nil, rec, id, false, err
	}
	return f, rec, id, false, nil
}

// missing maps a failed lookup of a key: a missing path is ErrNoSuchKey
// (or ErrNoSuchBucket); other errors (e.g. permission) are never
// disguised as a missing key.
func (s *Store) missing(bucket string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP) {
		versioned, berr := s.bucketState(bucket)
		if berr != nil {
			return berr
		}
		if versioned {
			return errMissVersioned
		}
		return ErrNoSuchKey
	}
	return err
}

// errMissVersioned is ErrNoSuchKey from missing in a versioned bucket: the
// plain file is missing, the version area says why (see latestFromArea).
var errMissVersioned = fmt.Errorf("%w (versioned bucket)", ErrNoSuchKey)

func (s *Store) openObject(bucket, key string, forMarkerBody bool) (*Object, error) {
	f, rec, id, marker, err := s.openKey(bucket, key)
	if errors.Is(err, errMissVersioned) {
		return s.latestFromArea(bucket, key, forMarkerBody)
	}
	if err != nil {
		return nil, err
	}
	if !marker {
		if rec.ETag == "" {
			if rec, err = s.repairAtRead(f, id, bucket, key, rec); err != nil {
				f.Close()
				return nil, err
			}
		}
		return &Object{File: f, Meta: rec.meta(id.Size, unixSec(id.MTime))}, nil
	}
	// A marker has no bytes; hand out the shared empty file so callers
	// can treat every object alike.
	f.Close()
	f = nil
	if forMarkerBody {
		if f, err = s.root.Open(emptyFile); err != nil {
			return nil, err
		}
	}
	return &Object{File: f, Meta: rec.meta(0, rec.MTime)}, nil
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
