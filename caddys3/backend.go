package caddys3

import (
	"context"
	"io"
	"time"

	"github.com/caddys3/caddys3/fsstore"
)

// Backend is what the handler needs of the store: buckets and their
// documents, objects, listings and multipart uploads, in the store's own
// small types and sentinel errors (mapped in errors.go). fsstore
// implements it; tagging and locking will extend it.
type Backend interface {
	ListBuckets(ctx context.Context) ([]fsstore.BucketInfo, error)
	CreateBucketWithACL(ctx context.Context, name, owner string, acl []byte) error
	CreateBucketWith(ctx context.Context, name, owner string, nb fsstore.NewBucket) error
	Bucket(ctx context.Context, name string) (fsstore.BucketInfo, error)
	SetBucketDoc(ctx context.Context, name string, doc fsstore.BucketDoc, data []byte) error
	DeleteBucket(ctx context.Context, name string) error
	SetBucketQuota(ctx context.Context, name string, bytes int64) error
	HandOverBucket(ctx context.Context, name, from, to string, notAfter time.Time, acl []byte) (bool, error)
	UpdateUsageDoc(ctx context.Context, bucket string, change func([]byte) ([]byte, bool, error)) error
	// NodeID names this process among the nodes sharing the root;
	// NodeAlive says whether a node's heartbeat is fresh.
	NodeID() string
	NodeAlive(id string) bool
	// StoredBytes sums the bucket's stored files (the usage walk).
	StoredBytes(ctx context.Context, bucket string, limit int64) (bytes, files int64, complete bool, err error)

	PutObject(ctx context.Context, bucket, key string, body io.Reader, opts fsstore.PutOptions) (fsstore.ObjectMeta, error)
	OpenObject(ctx context.Context, bucket, key string) (*fsstore.Object, error)
	HeadObject(ctx context.Context, bucket, key string) (fsstore.ObjectMeta, error)
	SetObjectACL(ctx context.Context, bucket, key string, acl []byte) error
	DeleteObject(ctx context.Context, bucket, key string) error
	ListObjects(ctx context.Context, bucket string, o fsstore.ListOptions) (fsstore.ListResult, error)

	// Versioning (docs/design-versions-and-keys.md, Part 2): versionID ""
	// is the latest version, fsstore.NullVersion the null version.
	SetBucketVersioning(ctx context.Context, bucket, status string) error
	OpenObjectVersion(ctx context.Context, bucket, key, versionID string) (*fsstore.Object, error)
	HeadObjectVersion(ctx context.Context, bucket, key, versionID string) (fsstore.ObjectMeta, error)
	SetObjectACLVersion(ctx context.Context, bucket, key, versionID string, acl []byte) error
	// SetObjectTags replaces the tags of key's current version
	// (versionID "") or of the version named.
	SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) error
	DeleteObjectVersion(ctx context.Context, bucket, key, versionID, owner string) (fsstore.DeleteResult, error)
	ListObjectVersions(ctx context.Context, bucket string, o fsstore.ListVersionsOptions) (fsstore.ListVersionsResult, error)

	CreateMultipartUpload(ctx context.Context, bucket, key string, meta fsstore.ObjectMeta) (fsstore.Upload, error)
	GetUpload(ctx context.Context, bucket, key, uploadID string) (fsstore.Upload, error)
	UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, checksums func() map[string]string) (fsstore.Part, error)
	UploadPartSealed(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, checksums func() map[string]string, seal fsstore.Sealer, e *fsstore.Encryption) (fsstore.Part, error)
	ListParts(ctx context.Context, bucket, key, uploadID string, partNumberMarker, maxParts int) ([]fsstore.Part, bool, error)
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []fsstore.CompletePart, opts fsstore.CompleteOptions) (fsstore.ObjectMeta, error)
	// FixVersion fixes the version id of a Complete before it publishes
	// (fsstore.VersionSlot).
	FixVersion(ctx context.Context, bucket string, slot *fsstore.VersionSlot) string
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket string, o fsstore.ListUploadsOptions) (fsstore.ListUploadsResult, error)
	// CleanupUploads removes uploads older than olderThan (and stale temp
	// files); the handler runs it periodically.
	CleanupUploads(ctx context.Context, olderThan time.Duration) (removed int, err error)

	objectLockBackend // objectlock.go

	Close() error
}

var _ Backend = (*fsstore.Store)(nil)
