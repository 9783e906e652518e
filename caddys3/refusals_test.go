package caddys3

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// TestRefusalTableShape: every row names real operations, a canonical
// header, a lower-case form field exactly when the form can carry it, and
// an answer.
func TestRefusalTableShape(t *testing.T) {
	for _, f := range refusalTable {
		if f.feature == "" || f.answer == nil || len(f.ops) == 0 {
			t.Errorf("%s: incomplete row", f.header)
		}
		if http.CanonicalHeaderKey(f.header) != f.header {
			t.Errorf("%s: not in canonical form (%s)", f.header, http.CanonicalHeaderKey(f.header))
		}
		if f.field != strings.ToLower(f.field) {
			t.Errorf("%s: form field %q not lower-case", f.header, f.field)
		}
		if (f.field != "") != slices.Contains(f.ops, OpPostObject) {
			t.Errorf("%s: form field %q without PostObject, or PostObject without a field", f.header, f.field)
		}
		for _, op := range f.ops {
			if _, ok := opByName[op]; !ok {
				t.Errorf("%s: no operation %s", f.header, op)
			}
		}
	}
}

// refusalRequest is a verified request of op carrying hdr (or, for
// PostObject, the same names as form fields).
func refusalRequest(op Op, hdr map[string]string, method string, query url.Values) *request {
	r := httptest.NewRequest(http.MethodGet, "http://s3.test/b/k", nil)
	req := &request{r: r, op: opByName[op], query: query, who: auth.Principal{Method: method}}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if op == OpPostObject {
		req.form = &auth.PostForm{Fields: map[string]string{}}
		for k, v := range hdr {
			req.form.Fields[strings.ToLower(k)] = v
		}
	}
	return req
}

// TestRefusals: each header (or form field) on each operation it applies
// to is answered with S3's error for it; the operation never runs.
func TestRefusals(t *testing.T) {
	const (
		sseNotSupportedMsg = "x-amz-server-side-encryption header is not supported for this operation."
		notImplementedMsg  = "A header you provided implies functionality that is not implemented."
	)
	type want struct {
		code s3err.Code
		msg  string
	}
	cases := []struct {
		header, value string
		ops           []Op
		want          want
	}{
		{"X-Amz-Server-Side-Encryption", "AES256", []Op{OpGetObject, OpHeadObject, OpUploadPart, OpUploadPartCopy}, want{s3err.InvalidArgument, sseNotSupportedMsg}},
		{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "arn:aws:kms:us-east-1:1:key/x", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
		{"X-Amz-Server-Side-Encryption-Context", "e30=", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
		{"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
		{"X-Amz-Storage-Class", "GLACIER", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
		{"X-Amz-Storage-Class", "REDUCED_REDUNDANCY", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
		{"X-Amz-Storage-Class", "standard", objectWrites, want{s3err.InvalidStorageClass, "The storage class you specified is not valid"}},
		{"X-Amz-Storage-Class", "PLATINUM", objectWrites, want{s3err.InvalidStorageClass, "The storage class you specified is not valid"}},
		{"X-Amz-Website-Redirect-Location", "/elsewhere", objectWrites, want{s3err.NotImplemented, notImplementedMsg}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		for _, op := range c.ops {
			covered[c.header+" "+string(op)] = true
			err := refusalRequest(op, map[string]string{c.header: c.value}, "v4-header", nil).refused()
			if !isCode(err, c.want.code) {
				t.Errorf("%s: %s on %s: %v, want %s", op, c.header, c.value, err, c.want.code)
				continue
			}
			if ae := err.(*apiError); ae.Message != c.want.msg {
				t.Errorf("%s: %s: message %q, want %q", op, c.header, ae.Message, c.want.msg)
			}
		}
	}
	// Every row of the table is exercised.
	for _, f := range refusalTable {
		for _, op := range f.ops {
			if !covered[f.header+" "+string(op)] {
				t.Errorf("no case for %s on %s", f.header, op)
			}
		}
	}

	// A form's fields are its headers: a header on the form request is not.
	req := refusalRequest(OpPostObject, nil, "", nil)
	req.r.Header.Set("X-Amz-Website-Redirect-Location", "/x")
	if err := req.refused(); err != nil {
		t.Errorf("PostObject with a refused request header (not a field): %v", err)
	}
	// A presigned URL carries headers in its query.
	req = refusalRequest(OpPutObject, nil, "v4-presigned", url.Values{"x-amz-website-redirect-location": {"/x"}})
	if err := req.refused(); !isCode(err, s3err.NotImplemented) {
		t.Errorf("presigned PUT with a refused header in the query: %v", err)
	}
	req = refusalRequest(OpPutObject, nil, "v4-header", url.Values{"x-amz-server-side-encryption": {"AES256"}})
	if err := req.refused(); err != nil {
		t.Errorf("header-signed PUT with an unsigned SSE query parameter: %v", err)
	}
}

// TestRefusalsAccept: what asks for nothing we lack goes through.
func TestRefusalsAccept(t *testing.T) {
	for _, c := range []struct {
		op  Op
		hdr map[string]string
	}{
		{OpPutObject, map[string]string{"X-Amz-Storage-Class": "STANDARD"}},
		{OpPostObject, map[string]string{"X-Amz-Storage-Class": "STANDARD"}},
		{OpCreateMultipartUpload, map[string]string{"X-Amz-Storage-Class": "STANDARD"}},
		{OpPutObject, map[string]string{"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": "false"}},
		{OpPutObject, map[string]string{"X-Amz-Tagging": ""}},
		{OpPutObject, map[string]string{"X-Amz-Request-Payer": "requester"}},
		{OpPutObject, map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Sdk-Checksum-Algorithm": "CRC32"}},
		{OpCreateBucket, map[string]string{"X-Amz-Bucket-Object-Lock-Enabled": "false"}},
		{OpCreateBucket, map[string]string{"X-Amz-Object-Ownership": "ObjectWriter"}},
		{OpCopyObject, map[string]string{"X-Amz-Tagging-Directive": "COPY"}},
		// Tags are stored (tagging.go).
		{OpPutObject, map[string]string{"X-Amz-Tagging": "a=b"}},
		{OpCreateMultipartUpload, map[string]string{"X-Amz-Tagging": "a=b"}},
		{OpCopyObject, map[string]string{"X-Amz-Tagging-Directive": "REPLACE", "X-Amz-Tagging": "a=b"}},
		{OpCopyObject, map[string]string{"X-Amz-Metadata-Directive": "REPLACE", "X-Amz-Storage-Class": "STANDARD"}},
		// Headers that do not belong to an operation are ignored, as S3
		// ignores them.
		{OpDeleteObject, map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}},
		{OpListObjectsV2, map[string]string{"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256"}},
		{OpGetObject, map[string]string{"X-Amz-Object-Lock-Mode": "COMPLIANCE"}},
		{OpGetObject, map[string]string{"X-Amz-Checksum-Mode": "ENABLED"}},
		{OpCompleteMultipartUpload, map[string]string{"X-Amz-Checksum-Type": "FULL_OBJECT"}},
	} {
		if err := refusalRequest(c.op, c.hdr, "v4-header", nil).refused(); err != nil {
			t.Errorf("%s %v: %v", c.op, c.hdr, err)
		}
	}
}

// TestRefusalsServe: through the handler, a refused PUT stores nothing; an
// anonymous GET may not override response headers; a wrong expected
// bucket owner is denied.
func TestRefusalsServe(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt", nil), 200)
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt/k", []byte("x")), 200)

	rec := serveSignedWith(t, h, "PUT", "/bkt/secret", []byte("data"), http.Header{
		"X-Amz-Website-Redirect-Location": {"/elsewhere"},
	})
	mustStatus(t, rec, http.StatusNotImplemented)
	if !strings.Contains(rec.Body.String(), "<Header>x-amz-website-redirect-location</Header>") {
		t.Errorf("NotImplemented without the header named: %s", rec.Body)
	}
	if _, err := h.store.HeadObject(t.Context(), "bkt", "secret"); !errors.Is(err, fsstore.ErrNoSuchKey) {
		t.Errorf("refused PUT left an object: %v", err)
	}

	rec = serveSignedWith(t, h, "GET", "/bkt/k", nil, http.Header{"X-Amz-Expected-Bucket-Owner": {"someone-else"}})
	mustStatus(t, rec, http.StatusForbidden)
	rec = serveSignedWith(t, h, "GET", "/bkt/k", nil, http.Header{"X-Amz-Expected-Bucket-Owner": {"tester"}})
	mustStatus(t, rec, http.StatusOK)
	rec = serveSignedWith(t, h, "PUT", "/bkt/k2", nil, http.Header{"X-Amz-Copy-Source": {"/bkt/k"}, "X-Amz-Source-Expected-Bucket-Owner": {"someone-else"}})
	mustStatus(t, rec, http.StatusForbidden)

	// A public object: anonymous reads are allowed, overrides are not.
	mustStatus(t, serveSignedWith(t, h, "PUT", "/bkt/pub", []byte("<p>"), http.Header{"X-Amz-Acl": {"public-read"}}), 200)
	anon := func(target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://s3.test"+target, nil)
		rec := httptest.NewRecorder()
		if err := h.ServeHTTP(rec, r, nil); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	mustStatus(t, anon("/bkt/pub"), 200)
	rec = anon("/bkt/pub?response-content-type=text/html")
	mustStatus(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "<Message>Request specific response headers cannot be used for anonymous GET requests.</Message>") {
		t.Errorf("anonymous override: %s", rec.Body)
	}
	rec = serveSigned(t, h, "GET", "/bkt/pub?response-content-type=text/x-signed", nil)
	mustStatus(t, rec, 200)
	if ct := rec.Header().Get("Content-Type"); ct != "text/x-signed" {
		t.Errorf("signed override: Content-Type %q", ct)
	}
}
