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
}

// CompletePart names a part in a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber int
	ETag       string // quotes optional
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

// MissingPartChecksumError: a part of an upload created with a checksum
// algorithm has no checksum of it, so Complete cannot compute the
// object's. Nothing is published; the upload stays in place.
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

// MinPartSize is S3's minimum size of every part but the last.
const MinPartSize = 5 << 20
