package caddys3

import (
	"strings"

	"github.com/caddys3/caddys3/s3err"
)

// refusal is one row of the table of features asked for by a request
// header (or a browser form's field) that we do not have. Accepting such a
// request and storing the object without the feature would be a wrong
// success: an object "encrypted" in the clear, "locked" but deletable,
// tagged with tags nobody can read back. A feature that lands deletes its
// rows.
type refusal struct {
	// feature names what is asked for (documentation, tests).
	feature string
	// header is the request header that asks, in canonical form; on a
	// presigned URL the same name in the query asks too.
	header string
	// field is the browser form field that asks (PostObject), lower-case;
	// "" when the form has none.
	field string
	// ops are the operations the header (or field) applies to; on others
	// it is ignored, as S3 ignores it.
	ops []Op
	// asks reports whether a value asks for the feature; nil: any
	// non-empty value does.
	asks func(v string) bool
	// answer is the error answered for the value, named by name (the
	// header or field sent).
	answer func(name, v string) *apiError
}

// objectWrites are the operations that create an object with its
// attributes.
var objectWrites = []Op{OpPutObject, OpPostObject, OpCopyObject, OpCreateMultipartUpload}

// Answers.
var (
	// notImplemented names the header as S3's NotImplemented does.
	notImplemented = func(name, _ string) *apiError {
		return newError(s3err.NotImplemented).with("Header", name)
	}
	// sseNotSupported: S3's answer to x-amz-server-side-encryption on an
	// operation that cannot choose the encryption (reads, parts).
	sseNotSupported = func(name, v string) *apiError {
		return newTextError(s3err.SSENotForOperation).withArgument(name, v)
	}
	// storageClass: STANDARD is what we store; the other classes S3 knows
	// are not implemented; anything else is not a storage class.
	storageClass = func(name, v string) *apiError {
		switch v {
		case "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
			"DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE":
			return notImplemented(name, v)
		}
		return newError(s3err.InvalidStorageClass)
	}
)

// Conditions of rows.
var (
	asksTrue   = func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }
	asksNotStd = func(v string) bool { return v != "" && v != "STANDARD" }
)

// refusalTable is the table. Headers a client sends for features we do have
// (x-amz-checksum-*, x-amz-sdk-checksum-algorithm, x-amz-acl, Content-MD5)
// are not here; neither are those that ask nothing of this server:
// x-amz-request-payer (nobody is charged here) and x-amz-storage-class:
// STANDARD (what every object is). x-amz-expected-bucket-owner is checked
// (see checkExpectedOwner).
var refusalTable = []refusal{
	// Server-side encryption with S3's keys (x-amz-server-side-encryption
	// on writes) is sse.go's; on reads and parts S3 refuses the header.
	{feature: "server-side encryption", header: "X-Amz-Server-Side-Encryption",
		ops: []Op{OpGetObject, OpHeadObject, OpUploadPart, OpUploadPartCopy}, answer: sseNotSupported},
	{feature: "server-side encryption (KMS key)", header: "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", field: "x-amz-server-side-encryption-aws-kms-key-id",
		ops: objectWrites, answer: notImplemented},
	{feature: "server-side encryption (KMS context)", header: "X-Amz-Server-Side-Encryption-Context", field: "x-amz-server-side-encryption-context",
		ops: objectWrites, answer: notImplemented},
	{feature: "server-side encryption (bucket key)", header: "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", field: "x-amz-server-side-encryption-bucket-key-enabled",
		ops: objectWrites, asks: asksTrue, answer: notImplemented},

	// Server-side encryption with customer keys (SSE-C) is
	// sse_customer.go's.

	// Storage classes other than STANDARD.
	{feature: "storage classes", header: "X-Amz-Storage-Class", field: "x-amz-storage-class", ops: objectWrites, asks: asksNotStd, answer: storageClass},

	// Static website hosting.
	{feature: "website redirects", header: "X-Amz-Website-Redirect-Location", field: "x-amz-website-redirect-location",
		ops: objectWrites, answer: notImplemented},
}

// refusalsByOp indexes the table by operation.
var refusalsByOp = func() map[Op][]*refusal {
	m := map[Op][]*refusal{}
	for i := range refusalTable {
		f := &refusalTable[i]
		for _, op := range f.ops {
			m[op] = append(m[op], f)
		}
	}
	return m
}()

// refused answers the first row of the table the request asks for: its
// headers (a presigned URL's query too), or a browser form's fields. It
// runs once the request is verified and its scope authorized, before the
// operation can store anything.
func (req *request) refused() error {
	rows := refusalsByOp[req.op.name]
	if len(rows) == 0 {
		return nil
	}
	presigned := req.presigned()
	for _, f := range rows {
		name, v := f.header, ""
		switch {
		case req.form != nil:
			if f.field == "" {
				continue
			}
			name, v = f.field, req.form.Fields[f.field]
		default:
			if vs := req.r.Header[f.header]; len(vs) > 0 {
				v = vs[0]
			} else if presigned {
				v = queryValueFold(req.query, f.header)
			}
		}
		if v == "" || f.asks != nil && !f.asks(v) {
			continue
		}
		return f.answer(strings.ToLower(name), v)
	}
	return nil
}

// queryValueFold is the query parameter named name in any case.
func queryValueFold(q map[string][]string, name string) string {
	for k, vs := range q {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// checkExpectedOwner answers AccessDenied, as S3 does, when
// x-amz-expected-bucket-owner names another owner than the addressed
// bucket's.
func checkExpectedOwner(req *request) error {
	if req.bucket == nil {
		return nil
	}
	if v := req.r.Header.Get("X-Amz-Expected-Bucket-Owner"); v != "" && v != req.bucket.Owner {
		return newError(s3err.AccessDenied)
	}
	return nil
}
