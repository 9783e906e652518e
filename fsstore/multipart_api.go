package fsstore

import (
	"errors"
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
	// BeforePublish, if set, runs after the parts were checked and joined
	// and before the object becomes visible; it may set meta fields (e.g.
	// checksums computed from the parts). An error aborts the complete and
	// leaves the upload in place.
	BeforePublish func(meta *ObjectMeta, parts []Part) error
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
)

// MinPartSize is S3's minimum size of every part but the last.
const MinPartSize = 5 << 20
