package caddys3

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/s3err"
)

// Every POST error of the auth package maps to its own S3 code and keeps
// its detail as the message when the detail is one of AWS's texts (else
// the code's default); none becomes an InternalError.
func TestPostErrorMapping(t *testing.T) {
	cases := []struct {
		err    error
		code   s3err.Code
		status int
		msg    string
	}{
		{fmt.Errorf("%w: bad framing", auth.ErrMalformedPOSTRequest), s3err.MalformedPOSTRequest, 400, "The body of your POST request is not well-formed multipart/form-data."},
		{fmt.Errorf("%w: Invalid Policy: Invalid JSON.", auth.ErrInvalidPolicyDocument), s3err.InvalidPolicyDocument, 400, "Invalid Policy: Invalid JSON."},
		{fmt.Errorf("%w: too large", auth.ErrPostPreDataTooLarge), s3err.MaxPostPreDataLengthExceededError, 400, "Your POST request fields preceding the upload file were too large."},
		{fmt.Errorf("%w: no file", auth.ErrIncorrectNumberOfFiles), s3err.IncorrectNumberOfFilesInPostRequest, 400, "POST requires exactly one file upload per request."},
		{fmt.Errorf("%w: Bucket POST must contain a field named 'policy'.", auth.ErrPostMissingField), s3err.InvalidArgument, 400, "Bucket POST must contain a field named 'policy'."},
		{&auth.PolicyError{Detail: "Policy expired."}, s3err.AccessDenied, 403, "Invalid according to Policy: Policy expired."},
		{fmt.Errorf("wrapped: %w", &auth.PolicyError{Detail: "Extra input fields: x"}), s3err.AccessDenied, 403, "Invalid according to Policy: Extra input fields: x"},
		{&auth.SignatureMismatchError{StringToSign: "p"}, s3err.SignatureDoesNotMatch, 403, ""},
		{fmt.Errorf("%w: short", auth.ErrIncompleteBody), s3err.IncompleteBody, 400, ""},
		{newError(s3err.EntityTooSmall), s3err.EntityTooSmall, 400, ""},
	}
	for _, c := range cases {
		ae := toAPIError(c.err)
		if ae.Code != c.code || ae.Status != c.status || (c.msg != "" && ae.Message != c.msg) {
			t.Errorf("%v -> %s %d %q, want %s %d %q", c.err, ae.Code, ae.Status, ae.Message, c.code, c.status, c.msg)
		}
	}
}

func TestObjectURL(t *testing.T) {
	cases := []struct {
		host, uri, orig string
		vhost           bool
		want            string
	}{
		{"127.0.0.1:9000", "/b", "", false, "http://127.0.0.1:9000/b/dir/a%20b+c"},
		{"127.0.0.1:9000", "/b/", "", false, "http://127.0.0.1:9000/b/dir/a%20b+c"},
		{"example.com", "/b", "/s3/b/", false, "http://example.com/s3/b/dir/a%20b+c"},
		{"b.s3.example.com", "/", "", true, "http://b.s3.example.com/dir/a%20b+c"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", c.uri, nil)
		r.Host = c.host
		if c.orig != "" {
			orig := httptest.NewRequest("POST", c.orig, nil)
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.OriginalRequestCtxKey, *orig))
		}
		if got := objectURL(r, "b", "dir/a b+c", c.vhost); got != c.want {
			t.Errorf("objectURL(%s %s) = %s, want %s", c.host, c.uri, got, c.want)
		}
	}
}
