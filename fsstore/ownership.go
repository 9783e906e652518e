package fsstore

import "context"

// CreateBucketOwned is CreateBucketWithACL with the bucket's ownership
// controls (x-amz-object-ownership) set in the same atomic publish, so a
// bucket created BucketOwnerEnforced never exists with ACLs enabled.
func (s *Store) CreateBucketOwned(ctx context.Context, name, owner string, acl []byte, ownership string) error {
	return s.createBucket(ctx, name, bucketRecord{Owner: owner, ACL: acl, Ownership: ownership})
}
