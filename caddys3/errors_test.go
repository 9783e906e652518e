package caddys3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Every sentinel the packages export must map to a client-facing code:
// an unmapped one would surface as a 500.
func TestSentinelsMapToS3Codes(t *testing.T) {
	for _, m := range sentinelCodes {
		if _, ok := s3err.Lookup(m.code); !ok {
			t.Errorf("%v maps to %q, which is not in the error table", m.err, m.code)
		}
		got := toAPIError(fmt.Errorf("context: %w", m.err))
		if got.Code == s3err.InternalError {
			t.Errorf("%v maps to InternalError", m.err)
		}
	}
	typed := []error{
		&auth.SignatureMismatchError{StringToSign: "sts"},
		&auth.SkewError{RequestTime: time.Now(), ServerTime: time.Now(), MaxAllowed: 15 * time.Minute},
		&auth.RegionError{Got: "eu-west-1", Expected: "us-east-1"},
		&auth.UnsignedHeadersError{Headers: []string{"x-amz-acl"}},
	}
	want := []s3err.Code{s3err.SignatureDoesNotMatch, s3err.RequestTimeTooSkewed, s3err.AuthorizationHeaderMalformed, s3err.AccessDenied}
	for i, err := range typed {
		if got := toAPIError(fmt.Errorf("wrapped: %w", err)); got.Code != want[i] {
			t.Errorf("%T maps to %s, want %s", err, got.Code, want[i])
		}
	}
	// The store's Complete checksum errors answer as S3 does.
	for _, c := range []struct {
		err     error
		code    s3err.Code
		message string
	}{
		{&fsstore.MissingPartChecksumError{Algorithm: "CRC32C", PartNumber: 2}, s3err.InvalidRequest,
			"The upload was created using a crc32c checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request."},
		{&fsstore.ChecksumMismatchError{Algorithm: "SHA256"}, s3err.BadDigest,
			"The sha256 you specified for the object did not match what was computed."},
	} {
		if got := toAPIError(fmt.Errorf("wrapped: %w", c.err)); got.Code != c.code || got.Status != 400 || got.Message != c.message {
			t.Errorf("%T maps to %s/%d %q", c.err, got.Code, got.Status, got.Message)
		}
	}
	if got := toAPIError(fmt.Errorf("disk on fire")); got.Code != s3err.InternalError || got.Status != 500 {
		t.Errorf("unknown error maps to %s/%d", got.Code, got.Status)
	}
	// The sentinel lists are checked against the packages' exported errors.
	for _, err := range []error{fsstore.ErrNoSuchBucket, fsstore.ErrNoSuchKey, fsstore.ErrBucketExists,
		fsstore.ErrBucketAlreadyOwned, fsstore.ErrBucketNotEmpty, fsstore.ErrInvalidBucketName,
		fsstore.ErrInvalidKey, fsstore.ErrKeyTooLong, fsstore.ErrObjectParentIsFile,
		fsstore.ErrObjectIsDirectory, fsstore.ErrPreconditionFailed, fsstore.ErrInsufficientStorage,
		fsstore.ErrNoSuchUpload, fsstore.ErrInvalidPart, fsstore.ErrInvalidPartOrder, fsstore.ErrEntityTooSmall,
		fsstore.ErrInvalidPartNumber, fsstore.ErrCompleteInProgress, fsstore.ErrMissingPartChecksum, fsstore.ErrBadDigest} {
		if got := toAPIError(err); got.Status >= 500 && got.Code != s3err.InsufficientStorage {
			t.Errorf("fsstore error %v maps to %s", err, got.Code)
		}
	}
}

// Unsigned x-amz-* headers answer as S3 does: 403 AccessDenied naming them,
// lower-case and joined by ", ", in HeadersNotSigned.
func TestUnsignedHeadersError(t *testing.T) {
	e := toAPIError(fmt.Errorf("wrapped: %w", &auth.UnsignedHeadersError{Headers: []string{"x-amz-copy-source", "x-amz-meta-a"}}))
	e.Resource = "/b/k"
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("PUT", "/b/k", nil), "REQ1", e)
	var parsed struct {
		Code, Message, HeadersNotSigned string
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 403 || parsed.Code != "AccessDenied" ||
		parsed.Message != "There were headers present in the request which were not signed" ||
		parsed.HeadersNotSigned != "x-amz-copy-source, x-amz-meta-a" {
		t.Fatalf("%d %+v\n%s", rec.Code, parsed, rec.Body)
	}
}

func TestWriteError(t *testing.T) {
	e := newError(s3err.NoSuchKey)
	e.Bucket, e.Key, e.Resource = "b", "k", "/b/k"
	rec := httptest.NewRecorder()
	rec.Header().Set("ETag", `"x"`)
	writeError(rec, httptest.NewRequest("GET", "/b/k", nil), "REQ1", e)
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/xml" || rec.Header().Get("ETag") != "" {
		t.Fatalf("status %d headers %v", rec.Code, rec.Header())
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %s", body)
	}
	var parsed struct {
		Code, Message, Key, BucketName, Resource, RequestId string
	}
	if err := xml.Unmarshal([]byte(body), &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Code != "NoSuchKey" || parsed.Key != "k" || parsed.BucketName != "b" || parsed.RequestId != "REQ1" || parsed.Message == "" {
		t.Errorf("parsed %+v", parsed)
	}

	head := httptest.NewRecorder()
	writeError(head, httptest.NewRequest(http.MethodHead, "/b/k", nil), "REQ2", newError(s3err.NoSuchKey))
	if head.Code != 404 || head.Body.Len() != 0 {
		t.Errorf("HEAD error: %d with %d body bytes", head.Code, head.Body.Len())
	}
}
