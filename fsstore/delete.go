package fsstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// DeleteObject removes key; a missing key is not an error. Directories
// left empty are removed up to the bucket directory.
//
// In a bucket that has versioning it is DeleteObjectVersion(key, ""): a
// delete marker.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	if _, err := resolve(bucket, key); err != nil {
		return err
	}
	versioned, err := s.bucketState(bucket)
	if err != nil {
		return err
	}
	if versioned {
		_, err := s.DeleteObjectVersion(ctx, bucket, key, "", "")
		return err
	}
	return s.deletePlain(bucket, key, true)
}

// deletePlain removes the plain file (or marker) of key; forget drops
// its metadata (not in versioned buckets, whose version area may still
// link the same inode: see deletePlainV).
func (s *Store) deletePlain(bucket, key string, forget bool) error {
	p, err := resolve(bucket, key)
	if err != nil {
		return err
	}
	if p.marker {
		return s.deleteMarker(bucket, key, p, forget)
	}
	d, drel, err := s.findDir(bucket, p.dir())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return s.checkBucket(bucket)
		}
		return err
	}
	id, removed, err := s.removeLeaf(bucket, drel, d, p.base())
	d.Close()
	if err != nil {
		return err
	}
	if removed {
		if id.Ino != 0 && forget {
			s.meta.removed(id, bucket, key)
		}
		s.pruneParents(bucket, drel)
	}
	return nil
}

// deleteMarker deletes a key ending in '/' in both its forms: marker
// metadata on its directory, and the file of its empty last component.
func (s *Store) deleteMarker(bucket, key string, p objPath, forget bool) error {
	d, drel, err := s.findDir(bucket, p.rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return s.checkBucket(bucket)
		}
		return err
	}
	removed := false
	err = withFd(d, func(fd int) error {
		id, mode, err := statID(fd)
		if err != nil || mode != unix.S_IFDIR {
			return err
		}
		_, ok, err := s.meta.loadMarker(fd, id.Ino, bucket, key)
		if err != nil || !ok {
			return err
		}
		removed = true
		return s.meta.removeMarker(fd, bucket, key)
	})
	if err == nil {
		var id fileID
		var gone bool
		id, gone, err = s.removeLeaf(bucket, drel, d, escEmpty)
		if gone && id.Ino != 0 && forget {
			s.meta.removed(id, bucket, key)
		}
		removed = removed || gone
	}
	d.Close()
	if err != nil {
		return err
	}
	if removed {
		s.pruneParents(bucket, drel)
	}
	return nil
}

// pruneParents removes rel and its parents while they hold no key,
// stopping below the bucket directory.
func (s *Store) pruneParents(bucket, rel string) {
	for rel != "" && s.rmdirIfNoKey(bucket, rel) {
		rel = parentOf(rel)
	}
}

// rmdirIfNoKey removes the directory rel if it is empty and not a folder
// marker. A directory that is not empty (the common case) costs one
// getdents; an empty one is checked and removed under its name lock,
// which putMarker holds while it sets a marker, so a marker is never lost
// to a concurrent prune. When the plain directory n goes, an escaped file
// %%file.n moves back to n (see collide.go).
func (s *Store) rmdirIfNoKey(bucket, rel string) bool {
	d, err := s.root.Open(join(bucket, rel))
	if err != nil {
		return false
	}
	_, err = d.Readdirnames(1)
	d.Close()
	if err != io.EOF {
		return false // not empty, or unreadable
	}
	parent, name := parentOf(rel), rel[strings.LastIndexByte(rel, '/')+1:]
	l, err := s.lockName(context.Background(), bucket, parent, name)
	if err != nil {
		return false
	}
	defer l.unlock()
	d, err = s.root.Open(join(bucket, rel))
	if err != nil {
		return false
	}
	marker, err := s.isMarker(d, bucket, rel)
	d.Close()
	if marker || err != nil {
		return false
	}
	pd, err := s.root.Open(join(bucket, parent))
	if err != nil {
		return false
	}
	defer pd.Close()
	// AT_REMOVEDIR: never unlinks a file that replaced the directory.
	if withFd(pd, func(fd int) error { return unix.Unlinkat(fd, name, unix.AT_REMOVEDIR) }) != nil {
		return false
	}
	s.afterRmdirLocked(bucket, parent, name)
	return true
}

// isMarker reports whether the open directory d (stored path rel below the
// bucket) carries folder-marker metadata.
func (s *Store) isMarker(d *os.File, bucket, rel string) (bool, error) {
	var ok bool
	err := withFd(d, func(fd int) error {
		id, mode, err := statID(fd)
		if err != nil || mode != unix.S_IFDIR {
			return err
		}
		key, valid := keyFromPath(rel, true)
		if !valid {
			return nil // a name the store never makes: not a marker
		}
		_, ok, err = s.meta.loadMarker(fd, id.Ino, bucket, key)
		return err
	})
	return ok, err
}
