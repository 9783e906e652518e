package fsstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Bucket versioning states (BucketInfo.Versioning).
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version id clients send for the null version.
const NullVersion = "null"

// ErrNoSuchVersion: a version id that the key never had (S3: 404
// NoSuchVersion).
var ErrNoSuchVersion = errors.New("fsstore: no such version")

// errNotBuiltYet marks the parts of the versioning API not implemented yet.
var errNotBuiltYet = errors.New("fsstore: versioning not built yet")

// DeleteMarkerError: the addressed object is a delete marker.
// errors.Is(err, ErrNoSuchKey) is true when the latest version of the key is
// a marker (GET/HEAD without versionId). Addressed is true when the caller
// named the marker's version id; then errors.Is(err, ErrNoSuchKey) is false.
type DeleteMarkerError struct {
	VersionID    string
	Addressed    bool
	LastModified time.Time
}

func (e *DeleteMarkerError) Error() string {
	return fmt.Sprintf("fsstore: delete marker %s", e.VersionID)
}

// Is makes errors.Is(err, ErrNoSuchKey) true for an unaddressed marker.
func (e *DeleteMarkerError) Is(target error) bool {
	return target == ErrNoSuchKey && !e.Addressed
}

// DeleteResult is what DeleteObjectVersion did.
type DeleteResult struct {
	VersionID    string // the version removed, or the marker created ("" = null)
	DeleteMarker bool   // a marker was created, or the version removed was a marker
}

// ListVersionsOptions select one page of ListObjectVersions.
type ListVersionsOptions struct {
	Prefix, Delimiter, KeyMarker, VersionIDMarker string
	MaxKeys                                       int // 1..1000 (the handler clamps)
}

// VersionEntry is one version (or delete marker) in a listing.
type VersionEntry struct {
	Key          string
	VersionID    string // NullVersion for the null version
	IsLatest     bool
	DeleteMarker bool
	Meta         ObjectMeta
}

// ListVersionsResult is one page of ListObjectVersions.
type ListVersionsResult struct {
	Entries                            []VersionEntry // key ascending, then newest first
	CommonPrefixes                     []string
	IsTruncated                        bool
	NextKeyMarker, NextVersionIDMarker string
}

// SetBucketVersioning sets the bucket's versioning status, "Enabled" or
// "Suspended".
func (s *Store) SetBucketVersioning(ctx context.Context, bucket, status string) error {
	return errNotBuiltYet
}

// OpenObjectVersion opens one version of key: versionID "" is the latest,
// NullVersion the null version.
func (s *Store) OpenObjectVersion(ctx context.Context, bucket, key, versionID string) (*Object, error) {
	return nil, errNotBuiltYet
}

// HeadObjectVersion is OpenObjectVersion without the bytes.
func (s *Store) HeadObjectVersion(ctx context.Context, bucket, key, versionID string) (ObjectMeta, error) {
	return ObjectMeta{}, errNotBuiltYet
}

// SetObjectACLVersion replaces the ACL of one version of key.
func (s *Store) SetObjectACLVersion(ctx context.Context, bucket, key, versionID string, acl []byte) error {
	return errNotBuiltYet
}

// DeleteObjectVersion deletes key (versionID "") or one version of it.
func (s *Store) DeleteObjectVersion(ctx context.Context, bucket, key, versionID string) (DeleteResult, error) {
	return DeleteResult{}, errNotBuiltYet
}

// ListObjectVersions returns one page of the bucket's versions.
func (s *Store) ListObjectVersions(ctx context.Context, bucket string, o ListVersionsOptions) (ListVersionsResult, error) {
	return ListVersionsResult{}, errNotBuiltYet
}
