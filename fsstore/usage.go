package fsstore

import (
	"context"
	"errors"
	"io/fs"
)

// usageDir holds one document per bucket with a quota: the handler's usage
// ledger (caddys3/quota.go), opaque here.
const usageDir = internalDir + "/usage"

// lockUsage takes the cross-process lock of the bucket's usage document.
func (s *Store) lockUsage(ctx context.Context, bucket string) (*keyLock, error) {
	// "\x00usage" is never a bucket name: the lock is not a key's.
	return s.lockKey(ctx, "\x00usage", bucket)
}

// UpdateUsageDoc runs change on the bucket's usage document (nil when
// there is none) under a cross-process lock of its own (an OFD lock, as
// lockKey), and stores what change returns when it reports a change. The
// document is replaced by rename, so a crash leaves the old or the new
// one. change may take its time (a walk of the bucket): other updaters of
// the same bucket's document wait, in any process on the shared root.
func (s *Store) UpdateUsageDoc(ctx context.Context, bucket string, change func([]byte) ([]byte, bool, error)) error {
	if !ValidBucketName(bucket) {
		return ErrNoSuchBucket
	}
	lk, err := s.lockUsage(ctx, bucket)
	if err != nil {
		return err
	}
	defer lk.unlock()
	p := usageDir + "/" + bucket + ".json"
	old, err := s.root.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = nil, nil
	}
	if err != nil {
		return storageErr(err)
	}
	doc, changed, err := change(old)
	if err != nil || !changed {
		return err
	}
	if err := s.root.MkdirAll(usageDir, 0o755); err != nil {
		return storageErr(err)
	}
	return s.writeAtomic(p, doc, false)
}
