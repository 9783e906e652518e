package caddys3

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/s3err"
)

func TestDroppedSignedHeader(t *testing.T) {
	const v4 = "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=%s, Signature=00"
	cases := []struct {
		name, authz, query string
		present            []string
		srv                *caddyhttp.Server
		want               string
	}{
		{name: "underscore signed, absent", authz: "host;x-amz-date;x-amz-meta-upload_id", want: "x-amz-meta-upload_id"},
		{name: "dot signed, absent", authz: "host;x-amz-meta-file.name;x-amz-date", want: "x-amz-meta-file.name"},
		{name: "upper-case SignedHeaders", authz: "host;X-Amz-Meta-Upload_id", want: "x-amz-meta-upload_id"},
		{name: "allowlisted, present", authz: "host;x-amz-meta-upload_id", present: []string{"X-Amz-Meta-Upload_id"}},
		{name: "plain absent header is not Caddy's doing", authz: "host;x-amz-meta-color"},
		{name: "hyphenated twin of an allowlisted name", authz: "host;x-amz-meta-upload-id",
			srv: &caddyhttp.Server{ExpectedUnderscoreHeaders: []string{"X-Amz-Meta-Upload_id"}}, want: "x-amz-meta-upload-id"},
		{name: "twin of a glob", authz: "host;x-amz-meta-file-name",
			srv: &caddyhttp.Server{ExpectedDotHeaders: []string{"x-amz-meta-file.*"}}, want: "x-amz-meta-file-name"},
		{name: "no twin", authz: "host;x-amz-meta-color",
			srv: &caddyhttp.Server{ExpectedUnderscoreHeaders: []string{"x-amz-meta-upload_id"}}},
		{name: "presigned", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host%3Bx-amz-meta-upload_id", want: "x-amz-meta-upload_id"},
		{name: "sigv2 lists nothing", authz: "-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/b/k?"+c.query, nil)
			switch c.authz {
			case "":
			case "-":
				r.Header.Set("Authorization", "AWS AK:sig")
			default:
				r.Header.Set("Authorization", strings.Replace(v4, "%s", c.authz, 1))
			}
			for _, h := range c.present {
				r.Header[h] = []string{"1"}
			}
			if c.srv != nil {
				r = r.WithContext(context.WithValue(r.Context(), caddyhttp.ServerCtxKey, c.srv))
			}
			if got := droppedSignedHeader(r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExplainSignatureFailure(t *testing.T) {
	mismatch := &auth.SignatureMismatchError{AccessKeyID: "AK"}

	r := httptest.NewRequest("PUT", "/b/k", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-meta-upload_id,Signature=00")
	ae := toAPIError(explainSignatureFailure(r, mismatch))
	if ae.Code != s3err.InvalidArgument || ae.Status != 400 || !strings.Contains(ae.Message, "x-amz-meta-upload_id") {
		t.Errorf("v4: got %d %s %q", ae.Status, ae.Code, ae.Message)
	}
	if len(ae.extra) == 0 || ae.extra[0].XMLName.Local != "ArgumentName" || ae.extra[0].Value != "x-amz-meta-upload_id" {
		t.Errorf("v4: ArgumentName missing: %+v", ae.extra)
	}
	if !errors.Is(ae, auth.ErrSignatureDoesNotMatch) {
		t.Error("the cause is lost")
	}

	// Another error is left alone, even with a dropped header.
	other := errors.New("boom")
	if got := explainSignatureFailure(r, other); got != other {
		t.Errorf("other error changed: %v", got)
	}

	// SigV2: still a mismatch, explained.
	r = httptest.NewRequest("PUT", "/b/k", nil)
	r.Header.Set("Authorization", "AWS AK:sig")
	ae = toAPIError(explainSignatureFailure(r, mismatch))
	if ae.Code != s3err.SignatureDoesNotMatch || !strings.Contains(ae.Message, "expected_underscore_headers") {
		t.Errorf("v2: got %s %q", ae.Code, ae.Message)
	}

	// SigV4 without a dropped header: the plain mismatch.
	r = httptest.NewRequest("PUT", "/b/k", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00")
	if got := explainSignatureFailure(r, mismatch); got != error(mismatch) {
		t.Errorf("v4 without dropped header changed: %v", got)
	}
}
