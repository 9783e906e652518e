package fsstore

import (
	"context"

	"golang.org/x/sys/unix"
)

// SetObjectACL replaces the ACL document of the object at key, leaving its
// bytes and other metadata alone. The record is rewritten on the open data
// file (or marker directory): a put that replaces the key meanwhile wins,
// as if the ACL change had come just before it.
func (s *Store) SetObjectACL(ctx context.Context, bucket, key string, acl []byte) error {
	f, p, err := s.openKey(bucket, key)
	if err != nil {
		return err
	}
	defer f.Close()
	return withFd(f, func(fd int) error {
		id, mode, err := statID(fd)
		if err != nil {
			return err
		}
		if p.marker {
			if mode != unix.S_IFDIR {
				return ErrNoSuchKey
			}
			rec, ok, err := s.meta.loadMarker(fd, id.Ino, bucket, key)
			if err != nil || !ok {
				return cmpErr(err, ErrNoSuchKey)
			}
			rec.ACL = acl
			return s.meta.setMarker(fd, id.Ino, bucket, key, &rec, false)
		}
		if mode != unix.S_IFREG {
			return ErrNoSuchKey
		}
		rec, _, err := s.meta.load(fd, id, bucket, key)
		if err != nil {
			return err
		}
		rec.ACL = acl
		// stage writes the record for this very file (xattr on the fd, or
		// the sidecar named by its identity).
		return s.meta.stage(fd, id, bucket, key, &rec)
	})
}
