package fsstore

import "context"

// SetObjectACL replaces the ACL document of the object at key, leaving its
// bytes and other metadata alone (see editRecord).
func (s *Store) SetObjectACL(ctx context.Context, bucket, key string, acl []byte) error {
	return s.SetObjectACLVersion(ctx, bucket, key, "", acl)
}
