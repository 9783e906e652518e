package fsstore

import "context"

// SetObjectACL replaces the ACL document of the object at key, leaving its
// bytes and other metadata alone. The record is rewritten on the open data
// file (or marker directory): a put that replaces the key meanwhile wins,
// as if the ACL change had come just before it.
func (s *Store) SetObjectACL(ctx context.Context, bucket, key string, acl []byte) error {
	f, rec, id, marker, err := s.openKey(bucket, key)
	if err != nil {
		return err
	}
	defer f.Close()
	rec.ACL = acl
	return withFd(f, func(fd int) error {
		if marker {
			return s.meta.setMarker(fd, id.Ino, bucket, key, &rec, false)
		}
		// stage writes the record for this very file (xattr on the fd, or
		// the sidecar named by its identity).
		return s.meta.stage(fd, id, bucket, key, &rec)
	})
}
