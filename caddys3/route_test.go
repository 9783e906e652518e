package caddys3

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	copyHdr := http.Header{"X-Amz-Copy-Source": {"/b/k"}}
	cases := []struct {
		method, bucket, key, query string
		header                     http.Header
		want                       Op
	}{
		{"GET", "", "", "", nil, OpListBuckets},
		{"PUT", "", "", "", nil, OpMethodNotAllowed},
		{"PUT", "b", "", "", nil, OpCreateBucket},
		{"HEAD", "b", "", "", nil, OpHeadBucket},
		{"DELETE", "b", "", "", nil, OpDeleteBucket},
		{"GET", "b", "", "location", nil, OpGetBucketLocation},
		{"PUT", "b", "", "location", nil, OpMethodNotAllowed},
		{"GET", "b", "", "", nil, OpListObjects},
		{"GET", "b", "", "list-type=2&prefix=a", nil, OpListObjectsV2},
		{"GET", "b", "", "list-type=1", nil, OpListObjects},
		{"GET", "b", "", "versioning", nil, OpGetBucketVersioning},
		{"PUT", "b", "", "versioning", nil, OpPutBucketVersioning},
		{"DELETE", "b", "", "versioning", nil, OpMethodNotAllowed},
		{"GET", "b", "", "versions", nil, OpListObjectVersions},
		{"GET", "b", "", "versions&prefix=a&key-marker=k&version-id-marker=v", nil, OpListObjectVersions},
		{"PUT", "b", "", "versions", nil, OpMethodNotAllowed},
		{"PUT", "b", "", "acl", nil, OpPutBucketACL},
		{"GET", "b", "", "acl", nil, OpGetBucketACL},
		{"DELETE", "b", "", "acl", nil, OpMethodNotAllowed},
		{"PUT", "b", "", "policy", nil, OpPutBucketPolicy},
		{"GET", "b", "", "policy", nil, OpGetBucketPolicy},
		{"DELETE", "b", "", "policy", nil, OpDeleteBucketPolicy},
		{"POST", "b", "", "policy", nil, OpMethodNotAllowed},
		{"PUT", "b", "", "cors", nil, OpPutBucketCORS},
		{"GET", "b", "", "cors", nil, OpGetBucketCORS},
		{"DELETE", "b", "", "cors", nil, OpDeleteBucketCORS},
		{"PUT", "b", "", "lifecycle", nil, OpPutBucketLifecycleConfiguration},
		{"DELETE", "b", "", "lifecycle", nil, OpDeleteBucketLifecycle},
		{"PUT", "b", "", "logging", nil, OpNotImplemented},
		{"OPTIONS", "b", "", "", nil, OpPreflight},
		{"OPTIONS", "b", "k", "uploads", nil, OpPreflight},
		{"OPTIONS", "", "", "", nil, OpPreflight},
		{"POST", "b", "", "delete", nil, OpDeleteObjects},
		{"GET", "b", "", "delete", nil, OpMethodNotAllowed},
		{"GET", "b", "", "uploads", nil, OpListMultipartUploads},
		{"GET", "b", "", "uploads&prefix=a&key-marker=x", nil, OpListMultipartUploads},
		{"POST", "b", "", "uploads", nil, OpMethodNotAllowed},
		{"PATCH", "b", "", "", nil, OpMethodNotAllowed},
		{"POST", "b", "", "", http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, OpPostObject},
		{"POST", "b", "", "", nil, OpNotImplemented},
		{"GET", "b", "k", "", nil, OpGetObject},
		{"GET", "b", "k", "response-content-type=x&x-id=GetObject", nil, OpGetObject},
		{"HEAD", "b", "k", "", nil, OpHeadObject},
		{"PUT", "b", "k", "", nil, OpPutObject},
		{"PUT", "b", "k", "x-id=PutObject", nil, OpPutObject},
		{"DELETE", "b", "k", "", nil, OpDeleteObject},
		{"PUT", "b", "k", "", copyHdr, OpCopyObject},
		{"PUT", "b", "k", "partNumber=2&uploadId=u", copyHdr, OpUploadPartCopy},
		{"PUT", "b", "k", "tagging", nil, OpPutObjectTagging},
		{"GET", "b", "k", "tagging", nil, OpGetObjectTagging},
		{"DELETE", "b", "k", "tagging", nil, OpDeleteObjectTagging},
		{"POST", "b", "k", "tagging", nil, OpMethodNotAllowed},
		{"GET", "b", "", "tagging", nil, OpGetBucketTagging},
		{"PUT", "b", "", "tagging", nil, OpPutBucketTagging},
		{"DELETE", "b", "", "tagging", nil, OpDeleteBucketTagging},
		{"PUT", "b", "k", "partNumber=1&uploadId=x", nil, OpUploadPart},
		{"PUT", "b", "k", "uploadId=x", nil, OpMethodNotAllowed},
		{"POST", "b", "k", "uploads", nil, OpCreateMultipartUpload},
		{"GET", "b", "k", "uploads", nil, OpRejected},
		{"PUT", "b", "k", "uploads", nil, OpMethodNotAllowed},
		{"GET", "b", "k", "versions", nil, OpRejected},
		{"PUT", "b", "k", "versions", nil, OpRejected},
		{"HEAD", "b", "k", "versions", nil, OpRejected},
		{"PUT", "b", "k", "partNumber=1", nil, OpRejected},
		{"PUT", "b", "k", "partNumber=1", copyHdr, OpRejected},
		// A bucket's sub-resource at a key path is the bucket's.
		{"GET", "b", "k", "location", nil, OpGetBucketLocation},
		{"GET", "b", "k", "policy", nil, OpGetBucketPolicy},
		{"PUT", "b", "k", "cors", nil, OpPutBucketCORS},
		{"GET", "b", "k", "versioning", nil, OpGetBucketVersioning},
		{"GET", "b", "k", "lifecycle", nil, OpGetBucketLifecycleConfiguration},
		{"POST", "b", "k", "delete", nil, OpDeleteObjects},
		{"HEAD", "b", "k", "location", nil, OpMethodNotAllowed},
		{"GET", "b", "k", "list-type=2", nil, OpGetObject},
		{"POST", "b", "k", "uploadId=x", nil, OpCompleteMultipartUpload},
		{"DELETE", "b", "k", "uploadId=x", nil, OpAbortMultipartUpload},
		{"GET", "b", "k", "uploadId=x&max-parts=2", nil, OpListParts},
		{"HEAD", "b", "k", "uploadId=x", nil, OpMethodNotAllowed},
		{"GET", "b", "k", "partNumber=1", nil, OpGetObject},
		{"HEAD", "b", "k", "partNumber=1", nil, OpHeadObject},
		{"GET", "b", "k", "partNumber=1&versionId=null", nil, OpGetObject},
		{"GET", "b", "k", "attributes", nil, OpGetObjectAttributes},
		{"GET", "b", "k", "attributes&versionId=null", nil, OpGetObjectAttributes},
		{"PUT", "b", "k", "attributes", nil, OpMethodNotAllowed},
		{"GET", "b", "k", "acl", nil, OpGetObjectACL},
		{"PUT", "b", "k", "acl", nil, OpPutObjectACL},
		{"DELETE", "b", "k", "acl", nil, OpMethodNotAllowed},
		{"GET", "b", "k", "versionId=null", nil, OpGetObject},
		{"GET", "b", "k", "versionId=3", nil, OpGetObject},
		{"HEAD", "b", "k", "versionId=3", nil, OpHeadObject},
		{"DELETE", "b", "k", "versionId=3", nil, OpDeleteObject},
		{"GET", "b", "k", "acl&versionId=3", nil, OpGetObjectACL},
		{"PUT", "b", "k", "acl&versionId=3", nil, OpPutObjectACL},
		{"GET", "b", "k", "tagging&versionId=3", nil, OpGetObjectTagging},
		{"PUT", "b", "k", "tagging&versionId=3", nil, OpPutObjectTagging},
		{"DELETE", "b", "k", "tagging&versionId=3", nil, OpDeleteObjectTagging},
		// Operations that take no versionId refuse one.
		{"PUT", "b", "k", "versionId=3", nil, OpRejected},
		{"PUT", "b", "k", "versionId=null", nil, OpRejected},
		{"PUT", "b", "k", "versionId=3", copyHdr, OpRejected},
		{"POST", "b", "k", "uploads&versionId=3", nil, OpRejected},
		{"POST", "b", "k", "", nil, OpMethodNotAllowed},
		// Over 8 KiB of headers is refused before anything else.
		{"GET", "b", "k", "", http.Header{"X-Amz-Meta-Big": {strings.Repeat("v", 8200)}}, OpRejected},
		{"GET", "b", "k", "", http.Header{"X-Amz-Meta-Big": {strings.Repeat("v", 8000)}}, OpGetObject},
	}
	for _, c := range cases {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		hdr := c.header
		if hdr == nil {
			hdr = http.Header{}
		}
		if got := classify(c.method, c.bucket, c.key, q, hdr).name; got != c.want {
			t.Errorf("classify(%s %s/%s?%s) = %s, want %s", c.method, c.bucket, c.key, c.query, got, c.want)
		}
	}
}

func TestSplitPath(t *testing.T) {
	cases := []struct{ path, bucket, key string }{
		{"/", "", ""},
		{"", "", ""},
		{"/b", "b", ""},
		{"/b/", "b", ""},
		{"/b/k", "b", "k"},
		{"/b/a//c", "b", "a//c"},
		{"/b/a/../x", "b", "a/../x"},
		{"/b/dir/", "b", "dir/"},
		{"/b//etc/passwd", "b", "/etc/passwd"},
	}
	for _, c := range cases {
		b, k := splitPath(c.path)
		if b != c.bucket || k != c.key {
			t.Errorf("splitPath(%q) = %q, %q; want %q, %q", c.path, b, k, c.bucket, c.key)
		}
	}
}

func TestBucketFromHost(t *testing.T) {
	h := &Handler{Domains: []string{"s3.example.com"}}
	cases := map[string]string{
		"s3.example.com":                "",
		"bucket.s3.example.com":         "bucket",
		"Bucket.S3.Example.com:8443":    "bucket",
		"my.dotted.b.s3.example.com":    "my.dotted.b",
		"bucket.s3.example.com.":        "bucket",
		"127.0.0.1:9000":                "",
		"bucket.s3.example.com.evil.io": "",
	}
	for host, want := range cases {
		if got := h.bucketFromHost(host); got != want {
			t.Errorf("bucketFromHost(%q) = %q, want %q", host, got, want)
		}
	}
	if got := (&Handler{}).bucketFromHost("bucket.s3.example.com"); got != "" {
		t.Errorf("no domains configured: got %q", got)
	}
}

func TestParseCopySource(t *testing.T) {
	cases := []struct {
		in, bucket, key string
		ok              bool
	}{
		{"/b/k", "b", "k", true},
		{"b/k", "b", "k", true},
		{"/b/dir/a%20b%2Bc", "b", "dir/a b+c", true},
		{"b/%E2%9C%93", "b", "✓", true},
		{"b/k?versionId=null", "b", "k", true},
		{"b/k?versionId=123", "b", "k", true},
		{"b", "", "", false},
		{"/b/", "", "", false},
		{"b/%zz", "", "", false},
	}
	for _, c := range cases {
		b, k, _, _, err := parseCopySource(c.in)
		if (err == nil) != c.ok || b != c.bucket || k != c.key {
			t.Errorf("parseCopySource(%q) = %q, %q, %v", c.in, b, k, err)
		}
	}
}
