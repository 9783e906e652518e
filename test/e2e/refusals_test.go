package e2e

// Requests that ask for a feature the server does not have (encryption,
// Object Lock, tags, storage classes, website redirects) are refused with
// S3's answer, and nothing is published: before, they succeeded and the
// object was stored without the feature (an SSE-C object read back
// without its key). An anonymous GET may not override response headers.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	msgNotImplemented  = "A header you provided implies functionality that is not implemented."
	msgNotApplicable   = "The encryption parameters are not applicable to this object."
	msgSSENotSupported = "x-amz-server-side-encryption header is not supported for this operation."
	msgNoObjectLock    = "Bucket is missing ObjectLockConfiguration"
	msgStorageClass    = "The storage class you specified is not valid"
	msgAnonOverride    = "Request specific response headers cannot be used for anonymous GET requests."
)

// An SSE-C key, its algorithm and MD5, as aws-cli sends them.
var sseCHeaders = http.Header{
	"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"AES256"},
	"X-Amz-Server-Side-Encryption-Customer-Key":       {"MzJieXRlc2xvbmdzZWNyZXRrZXltdXN0cHJvdmlkZWQ="},
	"X-Amz-Server-Side-Encryption-Customer-Key-Md5":   {"7PpPLAK26ONlVUGOWlusfg=="},
}

var sseCCopySourceHeaders = http.Header{
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm": {"AES256"},
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key":       {"MzJieXRlc2xvbmdzZWNyZXRrZXltdXN0cHJvdmlkZWQ="},
	"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key-Md5":   {"7PpPLAK26ONlVUGOWlusfg=="},
}

// refusedAsk is one header set and S3's answer to it.
type refusedAsk struct {
	name   string
	header http.Header
	status int
	code   string
	msg    string
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func withHeader(a, b http.Header) http.Header {
	h := a.Clone()
	for k, vs := range b {
		h[k] = vs
	}
	return h
}

// objectWriteAsks are refused on PutObject, CopyObject and
// CreateMultipartUpload alike.
var objectWriteAsks = []refusedAsk{
	{"SSE-KMS", hdr("X-Amz-Server-Side-Encryption", "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "arn:aws:kms:us-east-1:111122223333:key/k"), 501, "NotImplemented", msgNotImplemented},
	{"KMS key id alone", hdr("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "k"), 501, "NotImplemented", msgNotImplemented},
	{"KMS context", hdr("X-Amz-Server-Side-Encryption-Context", "e30="), 501, "NotImplemented", msgNotImplemented},
	{"bucket key", hdr("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "true"), 501, "NotImplemented", msgNotImplemented},
	{"SSE-C over HTTP", sseCHeaders, 400, "InvalidRequest", msgSSECInsecure},
	{"Object Lock COMPLIANCE", hdr("X-Amz-Object-Lock-Mode", "COMPLIANCE", "X-Amz-Object-Lock-Retain-Until-Date", "2099-01-01T00:00:00Z"), 400, "InvalidRequest", msgNoObjectLock},
	{"legal hold", hdr("X-Amz-Object-Lock-Legal-Hold", "ON"), 400, "InvalidRequest", msgNoObjectLock},
	{"storage class GLACIER", hdr("X-Amz-Storage-Class", "GLACIER"), 501, "NotImplemented", msgNotImplemented},
	{"storage class not a class", hdr("X-Amz-Storage-Class", "PLATINUM"), 400, "InvalidStorageClass", msgStorageClass},
	{"website redirect", hdr("X-Amz-Website-Redirect-Location", "/other"), 501, "NotImplemented", msgNotImplemented},
}

func wantRefused(t *testing.T, r rawResp, a refusedAsk, head bool) {
	t.Helper()
	if head {
		if r.Status != a.status || len(r.Body) != 0 {
			t.Errorf("HEAD: want %d without a body, got %s", a.status, r)
		}
		return
	}
	if e := wantXMLError(t, r, a.status, a.code); e.Message != a.msg {
		t.Errorf("message %q, want %q", e.Message, a.msg)
	}
}

func TestRefusedHeaders(t *testing.T) {
	bucket := makeBucket(t, alice, "refuse")
	src := []byte("source object\n")
	putBytes(t, aliceSDK(), bucket, "src", src)
	copySource := hdr("X-Amz-Copy-Source", "/"+bucket+"/src")

	t.Run("PutObject", func(t *testing.T) {
		for _, a := range objectWriteAsks {
			t.Run(a.name, func(t *testing.T) {
				key := "put/" + a.name
				r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Header: a.header, Body: []byte("secret data"), Creds: &alice})
				wantRefused(t, r, a, false)
				wantAbsent(t, bucket, key)
			})
		}
	})

	t.Run("CopyObject", func(t *testing.T) {
		asks := append(objectWriteAsks[:len(objectWriteAsks):len(objectWriteAsks)],
			refusedAsk{"SSE-C of the source over HTTP", sseCCopySourceHeaders, 400, "InvalidRequest", msgSSECInsecure})
		for _, a := range asks {
			t.Run(a.name, func(t *testing.T) {
				key := "copy/" + a.name
				r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Header: withHeader(copySource, a.header), Creds: &alice})
				wantRefused(t, r, a, false)
				wantAbsent(t, bucket, key)
			})
		}
	})

	t.Run("CreateMultipartUpload", func(t *testing.T) {
		for _, a := range objectWriteAsks {
			t.Run(a.name, func(t *testing.T) {
				key := "mpu/" + a.name
				r := doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, key), Query: url.Values{"uploads": {""}}, Header: a.header, Creds: &alice})
				wantRefused(t, r, a, false)
			})
		}
		out, err := aliceSDK().ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("mpu/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Uploads) != 0 {
			t.Errorf("refused CreateMultipartUpload left %d uploads", len(out.Uploads))
		}
	})

	t.Run("UploadPart and UploadPartCopy", func(t *testing.T) {
		key := "parts/obj"
		id := createUpload(t, aliceSDK(), bucket, key)
		part := url.Values{"partNumber": {"1"}, "uploadId": {id}}
		for _, c := range []struct {
			a    refusedAsk
			copy bool
		}{
			{refusedAsk{"SSE-C over HTTP", sseCHeaders, 400, "InvalidRequest", msgSSECInsecure}, false},
			{refusedAsk{"SSE-S3", hdr("X-Amz-Server-Side-Encryption", "AES256"), 400, "InvalidArgument", msgSSENotSupported}, false},
			{refusedAsk{"copy SSE-C over HTTP", sseCHeaders, 400, "InvalidRequest", msgSSECInsecure}, true},
			{refusedAsk{"copy SSE-C of the source over HTTP", sseCCopySourceHeaders, 400, "InvalidRequest", msgSSECInsecure}, true},
			{refusedAsk{"copy SSE-S3", hdr("X-Amz-Server-Side-Encryption", "AES256"), 400, "InvalidArgument", msgSSENotSupported}, true},
		} {
			t.Run(c.a.name, func(t *testing.T) {
				h, body := c.a.header, []byte("part data")
				if c.copy {
					h, body = withHeader(copySource, h), nil
				}
				r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Query: part, Header: h, Body: body, Creds: &alice})
				wantRefused(t, r, c.a, false)
			})
		}
		parts, err := aliceSDK().ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts.Parts) != 0 {
			t.Errorf("refused parts were stored: %d", len(parts.Parts))
		}
	})

	t.Run("GetObject and HeadObject", func(t *testing.T) {
		for _, a := range []refusedAsk{
			{"SSE-C over HTTP", sseCHeaders, 400, "InvalidRequest", msgSSECInsecure},
			{"SSE-C algorithm alone over HTTP", hdr("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256"), 400, "InvalidRequest", msgSSECInsecure},
			{"SSE-S3", hdr("X-Amz-Server-Side-Encryption", "AES256"), 400, "InvalidArgument", msgSSENotSupported},
		} {
			for _, method := range []string{"GET", "HEAD"} {
				t.Run(method+" "+a.name, func(t *testing.T) {
					r := doRaw(t, rawReq{Method: method, Path: objPath(bucket, "src"), Header: a.header, Creds: &alice})
					wantRefused(t, r, a, method == "HEAD")
				})
			}
		}
		// A missing key is still NoSuchKey: the object decides first.
		r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "missing"), Header: sseCHeaders, Creds: &alice})
		wantXMLError(t, r, 404, "NoSuchKey")
	})

	// Object lock and ownership controls are served now (objectlock_test,
	// ownership_test); their "off" values still create a plain bucket.
	t.Run("CreateBucket", func(t *testing.T) {
		name := newBucketName("refuse-b")
		r := doRaw(t, rawReq{Method: "PUT", Path: "/" + name, Header: hdr("X-Amz-Bucket-Object-Lock-Enabled", "false", "X-Amz-Object-Ownership", "ObjectWriter"), Creds: &alice})
		wantStatus(t, r, 200)
	})

	t.Run("accepted", func(t *testing.T) {
		for _, h := range []http.Header{
			hdr("X-Amz-Storage-Class", "STANDARD"),
			hdr("X-Amz-Request-Payer", "requester"),
			hdr("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "false"),
			hdr("X-Amz-Expected-Bucket-Owner", "alice"),
		} {
			r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "ok"), Header: h, Body: []byte("ok"), Creds: &alice})
			wantStatus(t, r, 200)
		}
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "ok-copy"), Header: withHeader(copySource, hdr("X-Amz-Tagging-Directive", "COPY", "X-Amz-Storage-Class", "STANDARD")), Creds: &alice})
		wantStatus(t, r, 200)
	})

	t.Run("expected bucket owner", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "owner/k"), Header: hdr("X-Amz-Expected-Bucket-Owner", "bob"), Body: []byte("x"), Creds: &alice})
		wantXMLError(t, r, 403, "AccessDenied")
		wantAbsent(t, bucket, "owner/k")
		r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "owner/c"), Header: withHeader(copySource, hdr("X-Amz-Source-Expected-Bucket-Owner", "bob")), Creds: &alice})
		wantXMLError(t, r, 403, "AccessDenied")
		wantAbsent(t, bucket, "owner/c")
	})
}

// TestRefusedPostFields: a browser form asks with fields, not headers.
func TestRefusedPostFields(t *testing.T) {
	bucket := makeBucket(t, alice, "refuse-post")
	later := time.Now().Add(10 * time.Minute)
	for _, c := range []struct {
		field, value string
		a            refusedAsk
	}{
		{"x-amz-server-side-encryption-aws-kms-key-id", "k", refusedAsk{status: 501, code: "NotImplemented", msg: msgNotImplemented}},
		{"x-amz-server-side-encryption-customer-algorithm", "AES256", refusedAsk{status: 400, code: "InvalidRequest", msg: msgSSECInsecure}},
		{"x-amz-server-side-encryption-customer-key", "MzJieXRlc2xvbmdzZWNyZXRrZXltdXN0cHJvdmlkZWQ=", refusedAsk{status: 400, code: "InvalidRequest", msg: msgSSECInsecure}},
		// A mode without its date is malformed before the bucket's lock is
		// looked at (versitygw's object lock header tests, run against S3).
		{"x-amz-object-lock-mode", "GOVERNANCE", refusedAsk{status: 400, code: "InvalidArgument", msg: "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied."}},
		{"x-amz-object-lock-legal-hold", "ON", refusedAsk{status: 400, code: "InvalidRequest", msg: msgNoObjectLock}},
		{"x-amz-storage-class", "DEEP_ARCHIVE", refusedAsk{status: 501, code: "NotImplemented", msg: msgNotImplemented}},
		{"x-amz-website-redirect-location", "/other", refusedAsk{status: 501, code: "NotImplemented", msg: msgNotImplemented}},
	} {
		t.Run(c.field, func(t *testing.T) {
			key := "post/" + c.field
			f := v4PostForm(t, alice, bucket, key, later, [][2]string{{c.field, c.value}},
				map[string]string{"key": key}, map[string]string{c.field: c.value})
			f.fileName, f.file = "f.txt", []byte("form data")
			r := postForm(t, srv.base, "/"+bucket, f)
			wantRefused(t, r, c.a, false)
			wantAbsent(t, bucket, key)
		})
	}
	// STANDARD is what is stored.
	f := v4PostForm(t, alice, bucket, "post/standard", later, [][2]string{{"x-amz-storage-class", "STANDARD"}},
		map[string]string{"key": "post/standard"}, map[string]string{"x-amz-storage-class": "STANDARD"})
	f.fileName, f.file = "f.txt", []byte("form data")
	wantStatus(t, postForm(t, srv.base, "/"+bucket, f), 204)
}

// TestAnonymousResponseOverrides: a public object's link cannot be turned
// into, say, an HTML page by an anonymous response-content-type.
func TestAnonymousResponseOverrides(t *testing.T) {
	bucket := makeBucket(t, alice, "anon-override")
	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "pub.txt"), Header: hdr("X-Amz-Acl", "public-read", "Content-Type", "text/plain"),
		Body: []byte("<script>alert(1)</script>"), Creds: &alice})
	wantStatus(t, r, 200)
	wantStatus(t, doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "pub.txt")}), 200)

	for _, param := range []string{"response-content-type", "response-content-disposition", "response-content-encoding",
		"response-content-language", "response-cache-control", "response-expires"} {
		r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "pub.txt"), RawQuery: param + "=text%2Fhtml"})
		if e := wantXMLError(t, r, 400, "InvalidRequest"); e.Message != msgAnonOverride {
			t.Errorf("%s: message %q", param, e.Message)
		}
		if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "html") {
			t.Errorf("%s: answered Content-Type %q", param, ct)
		}
	}
	r = doRaw(t, rawReq{Method: "HEAD", Path: objPath(bucket, "pub.txt"), RawQuery: "response-content-type=text%2Fhtml"})
	wantStatus(t, r, 400)

	// Signed, the override is the signer's to make.
	r = doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "pub.txt"), Query: url.Values{"response-content-type": {"text/x-signed"}}, Creds: &bob})
	wantStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/x-signed" {
		t.Errorf("signed override: Content-Type %q", ct)
	}
}
