package fsstore

import (
	"errors"
	"strconv"
	"time"
)

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	// Meta is the metadata given at CreateMultipartUpload (content type,
	// user metadata, owner, ...); it becomes the object's at Complete.
	Meta ObjectMeta
}

// Part is one uploaded part.
type Part struct {
	PartNumber   int
	ETag         string // hex MD5 of the part, without quotes
	Size         int64
	LastModified time.Time
	// Checksums of the part by upper-case algorithm, base64.
	Checksums map[string]string
	// sealed is the size of a sealed part's file (Size is its plaintext);
	// 0 for a plain part (sse.go).
	sealed int64
}

// CompletePart names a part in a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber int
	ETag       string // quotes optional
	// Checksums are the part's checksums the request names
	// (<ChecksumCRC32> ...), by algorithm, base64 as sent. Complete
	// checks them against the part's (see ChecksumRuleError).
	Checksums map[string]string
}

// CompleteOptions control CompleteMultipartUpload.
type CompleteOptions struct {
	// IfNoneMatch "*" and IfMatch behave as on PutObject.
	IfNoneMatch string
	IfMatch     string
	// ExpectedChecksums are the whole-object checksums the client sent
	// with Complete (x-amz-checksum-<algo>), by algorithm; only the one of
	// the upload's own algorithm counts. For an upload created with a
	// ChecksumAlgorithm, Complete computes the object's checksum from the
	// parts' checksums (COMPOSITE or FULL_OBJECT, as its ChecksumType
	// says) and fails with a *ChecksumMismatchError unless the expected
	// value is absent, that value, or a COMPOSITE value without its
	// "-<parts>" suffix. Uploads without an algorithm ignore them.
	ExpectedChecksums map[string]string
	// ChecksumType is Complete's x-amz-checksum-type, "" when absent; it
	// must be the upload's.
	ChecksumType string
	// Version, when not nil, lets the caller fix the new version's id
	// before the Complete publishes (Store.FixVersion).
	Version *VersionSlot
}

// ListUploadsOptions select one page of ListMultipartUploads.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsResult is one page of in-progress uploads, ordered by key and
// then by initiation (upload id order for equal times).
type ListUploadsResult struct {
	Uploads            []Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// Multipart sentinel errors.
var (
	ErrNoSuchUpload      = errors.New("no such upload")
	ErrInvalidPart       = errors.New("invalid part")
	ErrInvalidPartOrder  = errors.New("parts not in ascending order")
	ErrEntityTooSmall    = errors.New("part smaller than the minimum part size")
	ErrInvalidPartNumber = errors.New("part number out of range")
	// ErrMissingPartChecksum matches every *MissingPartChecksumError.
	ErrMissingPartChecksum = errors.New("a part has no checksum of the upload's algorithm")
	// ErrBadDigest matches every *ChecksumMismatchError.
	ErrBadDigest = errors.New("checksum does not match")
)

// MissingPartChecksumError: Complete of an upload created with a checksum
// algorithm names a part without a checksum of it, or the part has none,
// so Complete cannot compute the object's. Nothing is published; the
// upload stays in place.
type MissingPartChecksumError struct {
	Algorithm  string
	PartNumber int
}

func (e *MissingPartChecksumError) Error() string {
	return "fsstore: part " + strconv.Itoa(e.PartNumber) + " has no " + e.Algorithm + " checksum"
}

// Is makes the typed error match ErrMissingPartChecksum.
func (e *MissingPartChecksumError) Is(target error) bool { return target == ErrMissingPartChecksum }

// ChecksumMismatchError: CompleteOptions.ExpectedChecksums does not match
// the checksum computed from the parts. Nothing is published; the upload
// stays in place.
type ChecksumMismatchError struct {
	Algorithm string
}

func (e *ChecksumMismatchError) Error() string {
	return "fsstore: the " + e.Algorithm + " checksum sent does not match the one computed from the parts"
}

// Is makes the typed error match ErrBadDigest.
func (e *ChecksumMismatchError) Is(target error) bool { return target == ErrBadDigest }

// ChecksumRule names the checksum rule of S3's a Complete broke.
type ChecksumRule int

const (
	// PartChecksumInvalid: a part's checksum in the request is not the
	// base64 of its algorithm's size, or the part names several (Value).
	PartChecksumInvalid ChecksumRule = iota + 1
	// PartChecksumWrong: a part's checksum of the upload's algorithm (or
	// any, for an upload without one) is not the part's; it matches
	// ErrInvalidPart.
	PartChecksumWrong
	// PartChecksumOtherAlgorithm: a part's checksum of another algorithm
	// than the upload's is not the part's.
	PartChecksumOtherAlgorithm
	// ObjectChecksumTypeMismatch: a whole-object checksum of one of S3's
	// newer algorithms that is not the upload's (Actual; Algorithm ""
	// when the upload has none).
	ObjectChecksumTypeMismatch
	// ChecksumModeMismatch: CompleteOptions.ChecksumType is not the
	// upload's type (Algorithm holds the upload's type).
	ChecksumModeMismatch
)

// ChecksumRuleError: a Complete broke a checksum rule. Nothing is
// published; the upload stays in place.
type ChecksumRuleError struct {
	Rule       ChecksumRule
	Algorithm  string // the upload's algorithm (its type for ChecksumModeMismatch)
	Actual     string // the algorithm sent
	PartNumber int
	Value      string // the checksum(s) sent, for PartChecksumInvalid; the ETag for PartChecksumWrong
	UploadID   string
}

// Is makes a PartChecksumWrong match ErrInvalidPart.
func (e *ChecksumRuleError) Is(target error) bool {
	return target == ErrInvalidPart && e.Rule == PartChecksumWrong
}

func (e *ChecksumRuleError) Error() string {
	return "fsstore: checksum rule " + strconv.Itoa(int(e.Rule)) + " broken at part " + strconv.Itoa(e.PartNumber) +
		" (upload " + e.Algorithm + ", sent " + e.Actual + e.Value + ")"
}

// MinPartSize is S3's minimum size of every part but the last.
const MinPartSize = 5 << 20
