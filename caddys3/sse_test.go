package caddys3

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testMasterKey is the master key of the in-process tests (hex).
var testMasterKey = strings.Repeat("5a", 32)

func testEncryption() *EncryptionConfig {
	return &EncryptionConfig{Keys: []MasterKeyConfig{{ID: "test-1", Key: testMasterKey}}}
}

const sseS3ConfigXML = `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`

// ssePattern is a body whose every 16-byte window is easy to find on disk.
func ssePattern(n int) []byte {
	return bytes.Repeat([]byte("PLAINTEXT-MARK-0"), n/16)
}

func sseHeader(v string) http.Header { return http.Header{"X-Amz-Server-Side-Encryption": {v}} }

// TestSSES3PutGet: an SSE-S3 object is sealed on disk, served as its
// plaintext (whole, ranged, headed) with the plaintext's ETag and size.
func TestSSES3PutGet(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) { h.Encryption = testEncryption() })
	mustStatus(t, serveSigned(t, h, "PUT", "/sse", nil), 200)
	body := ssePattern(200 << 10)
	rec := serveSignedWith(t, h, "PUT", "/sse/obj", body, sseHeader("AES256"))
	mustStatus(t, rec, 200)
	sum := md5.Sum(body)
	if got := rec.Header().Get("ETag"); got != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("ETag %s, want the plaintext's MD5", got)
	}
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Errorf("PUT answer without x-amz-server-side-encryption: %v", rec.Header())
	}
	onDisk, err := os.ReadFile(filepath.Join(h.Root, "sse", "obj"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("PLAINTEXT-MARK")) {
		t.Fatal("the file on disk holds the plaintext")
	}

	rec = serveSigned(t, h, "GET", "/sse/obj", nil)
	mustStatus(t, rec, 200)
	if !bytes.Equal(rec.Body.Bytes(), body) || rec.Header().Get("Content-Length") != "204800" {
		t.Fatalf("GET: %d bytes (Content-Length %s)", rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
	rec = serveSignedWith(t, h, "GET", "/sse/obj", nil, http.Header{"Range": {"bytes=70000-74095"}})
	mustStatus(t, rec, 206)
	if !bytes.Equal(rec.Body.Bytes(), body[70000:74096]) {
		t.Fatal("ranged GET: wrong bytes")
	}
	rec = serveSigned(t, h, "HEAD", "/sse/obj", nil)
	if rec.Header().Get("Content-Length") != "204800" || rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatalf("HEAD: %v", rec.Header())
	}
	rec = serveSigned(t, h, "GET", "/sse?list-type=2", nil)
	if !strings.Contains(rec.Body.String(), "<Size>204800</Size>") {
		t.Fatalf("listing does not show the plaintext size: %s", rec.Body.String())
	}

	// A plain PUT in the same bucket stays a plain file.
	mustStatus(t, serveSigned(t, h, "PUT", "/sse/plain", body), 200)
	if plain, _ := os.ReadFile(filepath.Join(h.Root, "sse", "plain")); !bytes.Equal(plain, body) {
		t.Fatal("an unencrypted object is not stored as its bytes")
	}
}

// TestSSEAsks: what a write's header and the bucket default ask, and the
// answer.
func TestSSEAsks(t *testing.T) {
	withKeys := provisionServeTestHandler(t, func(h *Handler) { h.Encryption = testEncryption() })
	noKeys := provisionServeTestHandler(t, nil)
	for _, h := range []*Handler{withKeys, noKeys} {
		mustStatus(t, serveSigned(t, h, "PUT", "/bkt", nil), 200)
	}
	cases := []struct {
		name   string
		h      *Handler
		hdr    http.Header
		status int
		code   string
	}{
		{"AES256", withKeys, sseHeader("AES256"), 200, ""},
		{"AES256 without keys", noKeys, sseHeader("AES256"), 501, "NotImplemented"},
		{"aws:kms", withKeys, sseHeader("aws:kms"), 501, "NotImplemented"},
		{"aws:kms:dsse", withKeys, sseHeader("aws:kms:dsse"), 501, "NotImplemented"},
		{"lower-case aes256", withKeys, sseHeader("aes256"), 400, "InvalidArgument"},
		{"unknown", withKeys, sseHeader("ROT13"), 400, "InvalidArgument"},
	}
	for _, c := range cases {
		rec := serveSignedWith(t, c.h, "PUT", "/bkt/k", []byte("data"), c.hdr)
		if rec.Code != c.status || c.code != "" && !strings.Contains(rec.Body.String(), "<Code>"+c.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", c.name, rec.Code, rec.Body.String(), c.status, c.code)
		}
	}
	// Multipart uploads: by header, and by the bucket's default; refused
	// without keys.
	for _, c := range []struct {
		h      *Handler
		hdr    http.Header
		status int
	}{{withKeys, sseHeader("AES256"), 200}, {noKeys, sseHeader("AES256"), 501}, {withKeys, sseHeader("aws:kms"), 501}} {
		rec := serveSignedWith(t, c.h, "POST", "/bkt/mp?uploads", nil, c.hdr)
		if rec.Code != c.status || c.status == 200 && rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
			t.Errorf("CreateMultipartUpload %v: %d %v", c.hdr, rec.Code, rec.Header())
		}
	}
	mustStatus(t, serveSigned(t, withKeys, "PUT", "/bkt?encryption", []byte(sseS3ConfigXML)), 200)
	if rec := serveSigned(t, withKeys, "POST", "/bkt/mp?uploads", nil); rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Errorf("CreateMultipartUpload in a bucket with default encryption: %d %v", rec.Code, rec.Header())
	}
}

// TestSSEMultipart: parts of an encrypted upload are sealed one by one,
// Complete joins them as they are, and reads across part boundaries
// decrypt; UploadPartCopy fills an encrypted upload too.
func TestSSEMultipart(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) { h.Encryption = testEncryption() })
	mustStatus(t, serveSigned(t, h, "PUT", "/mpb", nil), 200)
	src := ssePattern(70000)
	mustStatus(t, serveSigned(t, h, "PUT", "/mpb/src", src), 200)
	rec := serveSignedWith(t, h, "POST", "/mpb/obj?uploads", nil, sseHeader("AES256"))
	mustStatus(t, rec, 200)
	var init struct{ UploadId string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &init); err != nil {
		t.Fatal(err)
	}
	p1 := ssePattern(5 << 20)
	p1[0] = 'A' // the parts differ
	rec = serveSigned(t, h, "PUT", "/mpb/obj?partNumber=1&uploadId="+init.UploadId, p1)
	mustStatus(t, rec, 200)
	e1 := rec.Header().Get("ETag")
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Error("UploadPart answer without x-amz-server-side-encryption")
	}
	rec = serveSignedWith(t, h, "PUT", "/mpb/obj?partNumber=2&uploadId="+init.UploadId, nil,
		http.Header{"X-Amz-Copy-Source": {"/mpb/src"}, "X-Amz-Copy-Source-Range": {"bytes=10-60009"}})
	mustStatus(t, rec, 200)
	var cp struct{ ETag string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &cp); err != nil {
		t.Fatal(err)
	}
	rec = serveSigned(t, h, "GET", "/mpb/obj?uploadId="+init.UploadId, nil)
	if !strings.Contains(rec.Body.String(), "<Size>5242880</Size>") || !strings.Contains(rec.Body.String(), "<Size>60000</Size>") {
		t.Errorf("ListParts does not show plaintext sizes: %s", rec.Body.String())
	}
	complete := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + e1 + "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + cp.ETag + "</ETag></Part></CompleteMultipartUpload>"
	rec = serveSigned(t, h, "POST", "/mpb/obj?uploadId="+init.UploadId, []byte(complete))
	mustStatus(t, rec, 200)
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Error("Complete answer without x-amz-server-side-encryption")
	}
	want := append(append([]byte(nil), p1...), src[10:60010]...)
	if onDisk, _ := os.ReadFile(filepath.Join(h.Root, "mpb", "obj")); bytes.Contains(onDisk, []byte("PLAINTEXT-MARK")) {
		t.Fatal("the joined file holds the plaintext")
	}
	if got := serveSigned(t, h, "GET", "/mpb/obj", nil).Body.Bytes(); !bytes.Equal(got, want) {
		t.Fatalf("GET: %d bytes, want %d", len(got), len(want))
	}
	for _, rg := range [][2]int{{5<<20 - 100, 5<<20 + 100}, {5 << 20, 5<<20 + 59999}, {0, 10}, {5<<20 - 1, 5<<20 - 1}} {
		rec := serveSignedWith(t, h, "GET", "/mpb/obj", nil, http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", rg[0], rg[1])}})
		if !bytes.Equal(rec.Body.Bytes(), want[rg[0]:rg[1]+1]) {
			t.Errorf("range %v: %d bytes, wrong", rg, rec.Body.Len())
		}
	}
	if rec := serveSigned(t, h, "GET", "/mpb/obj?partNumber=2", nil); !bytes.Equal(rec.Body.Bytes(), src[10:60010]) {
		t.Errorf("partNumber=2: %d %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serveSigned(t, h, "HEAD", "/mpb/obj", nil); rec.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("HEAD Content-Length %s", rec.Header().Get("Content-Length"))
	}
}

// TestBucketEncryption: PUT, GET, DELETE ?encryption, and the default
// applied to a write that asks nothing.
func TestBucketEncryption(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) { h.Encryption = testEncryption() })
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt2", nil), 200)
	rec := serveSigned(t, h, "GET", "/bkt2?encryption", nil)
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "ServerSideEncryptionConfigurationNotFoundError") {
		t.Fatalf("GET without a configuration: %d %s", rec.Code, rec.Body.String())
	}
	bad := map[string]string{
		"not XML":       "<nope",
		"no rule":       `<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>`,
		"two rules":     strings.Replace(sseS3ConfigXML, "</Rule>", "</Rule><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>", 1),
		"bad algorithm": strings.Replace(sseS3ConfigXML, "AES256", "AES128", 1),
	}
	for name, doc := range bad {
		if rec := serveSigned(t, h, "PUT", "/bkt2?encryption", []byte(doc)); rec.Code != 400 || !strings.Contains(rec.Body.String(), "MalformedXML") {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	withKMSKey := strings.Replace(sseS3ConfigXML, "</SSEAlgorithm>", "</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>", 1)
	if rec := serveSigned(t, h, "PUT", "/bkt2?encryption", []byte(withKMSKey)); rec.Code != 400 || !strings.Contains(rec.Body.String(), "KMSMasterKeyID is not applicable") {
		t.Errorf("AES256 with a KMS key: %d %s", rec.Code, rec.Body.String())
	}
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt2?encryption", []byte(sseS3ConfigXML)), 200)
	rec = serveSigned(t, h, "GET", "/bkt2?encryption", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<SSEAlgorithm>AES256</SSEAlgorithm>") {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body.String())
	}
	body := ssePattern(4096)
	rec = serveSigned(t, h, "PUT", "/bkt2/by-default", body)
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatal("a PUT in a bucket with default encryption is not encrypted")
	}
	if onDisk, _ := os.ReadFile(filepath.Join(h.Root, "bkt2", "by-default")); bytes.Contains(onDisk, []byte("PLAINTEXT-MARK")) {
		t.Fatal("default encryption stored the plaintext")
	}
	// A copy follows the destination bucket's default, decrypting the
	// source.
	mustStatus(t, serveSigned(t, h, "PUT", "/plainbk", nil), 200)
	rec = serveSignedWith(t, h, "PUT", "/plainbk/copy", nil, http.Header{"X-Amz-Copy-Source": {"/bkt2/by-default"}})
	mustStatus(t, rec, 200)
	if plain, _ := os.ReadFile(filepath.Join(h.Root, "plainbk", "copy")); !bytes.Equal(plain, body) {
		t.Fatal("a copy of an encrypted object into a plain bucket is not its plaintext")
	}
	mustStatus(t, serveSigned(t, h, "DELETE", "/bkt2?encryption", nil), 204)
	if rec := serveSigned(t, h, "GET", "/bkt2?encryption", nil); rec.Code != 404 {
		t.Fatalf("GET after DELETE: %d", rec.Code)
	}
	if !bytes.Equal(serveSigned(t, h, "GET", "/bkt2/by-default", nil).Body.Bytes(), body) {
		t.Fatal("an object written under the old default is not readable")
	}
}
