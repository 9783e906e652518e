package fsstore

import "strconv"

// PartError is the part of a CompleteMultipartUpload that failed: one not
// uploaded or of another ETag (ErrInvalidPart), or smaller than the
// minimum part size though not the last (ErrEntityTooSmall). S3 names the
// part in its error.
type PartError struct {
	Err        error // ErrInvalidPart or ErrEntityTooSmall
	PartNumber int
	ETag       string // as the request named it, without quotes
	Size       int64  // the stored part's size (ErrEntityTooSmall)
	MinSize    int64  // the minimum part size (ErrEntityTooSmall)
}

func (e *PartError) Error() string {
	return e.Err.Error() + ": part " + strconv.Itoa(e.PartNumber)
}

// Unwrap makes the error match its sentinel.
func (e *PartError) Unwrap() error { return e.Err }
