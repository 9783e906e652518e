package caddys3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ssecHeaders are the SSE-C headers of key k (prefix hdrSSEC or
// hdrSSECSource).
func ssecHeaders(prefix string, k []byte) http.Header {
	sum := md5.Sum(k)
	return http.Header{
		prefix + "Algorithm": {"AES256"},
		prefix + "Key":       {base64.StdEncoding.EncodeToString(k)},
		prefix + "Key-Md5":   {base64.StdEncoding.EncodeToString(sum[:])},
	}
}

func mergeHeaders(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// wantError fails unless rec is status with code and message.
func wantError(t *testing.T, what string, rec interface {
	Result() *http.Response
}, status int, code, msg string) {
	t.Helper()
	res := rec.Result()
	var e struct{ Code, Message string }
	_ = xml.NewDecoder(res.Body).Decode(&e)
	if res.StatusCode != status || e.Code != code || msg != "" && e.Message != msg {
		t.Errorf("%s: %d %s %q, want %d %s %q", what, res.StatusCode, e.Code, e.Message, status, code, msg)
	}
}

// TestSSEC: SSE-C objects are sealed with the client's key, read only
// with it (AWS's answers for none, a wrong one, a malformed one), copied
// between keys, uploaded in parts with one key; never over plain HTTP
// unless configured.
func TestSSEC(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) {
		h.Encryption = testEncryption()
		h.Encryption.SSECOverHTTP = true // httptest requests are plain HTTP
	})
	keyA, keyB := bytes.Repeat([]byte{0xA}, 32), bytes.Repeat([]byte{0xB}, 32)
	a, b := ssecHeaders(hdrSSEC, keyA), ssecHeaders(hdrSSEC, keyB)
	mustStatus(t, serveSigned(t, h, "PUT", "/ssec", nil), 200)
	body := ssePattern(150000)
	rec := serveSignedWith(t, h, "PUT", "/ssec/obj", body, a)
	mustStatus(t, rec, 200)
	if rec.Header().Get(hdrSSEC+"Algorithm") != "AES256" || rec.Header().Get(hdrSSEC+"Key-Md5") != a.Get(hdrSSEC+"Key-Md5") || rec.Header().Get(hdrSSE) != "" {
		t.Errorf("PUT answer headers: %v", rec.Header())
	}
	if plainSum := md5.Sum(body); strings.Contains(rec.Header().Get("ETag"), hex.EncodeToString(plainSum[:])) {
		t.Error("the SSE-C ETag is the plaintext's MD5; AWS's is opaque")
	}
	onDisk, _ := os.ReadFile(filepath.Join(h.Root, "ssec", "obj"))
	if bytes.Contains(onDisk, []byte("PLAINTEXT-MARK")) || bytes.Contains(onDisk, keyA) {
		t.Fatal("the file holds the plaintext or the key")
	}
	if meta, _ := h.store.HeadObject(t.Context(), "ssec", "obj"); strings.Contains(meta.Encryption.KeyHMAC, base64.StdEncoding.EncodeToString(keyA)) || meta.Encryption.KeyHMAC == "" {
		t.Fatalf("record %+v", meta.Encryption)
	}

	rec = serveSignedWith(t, h, "GET", "/ssec/obj", nil, a)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), body) || rec.Header().Get(hdrSSEC+"Key-Md5") == "" {
		t.Fatalf("GET with the key: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	rec = serveSignedWith(t, h, "GET", "/ssec/obj", nil, mergeHeaders(a, http.Header{"Range": {"bytes=65530-65545"}}))
	if !bytes.Equal(rec.Body.Bytes(), body[65530:65546]) {
		t.Fatal("ranged GET with the key: wrong bytes")
	}
	wantError(t, "GET without the key", serveSigned(t, h, "GET", "/ssec/obj", nil), 400, "InvalidRequest",
		"The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	wantError(t, "GET with another key", serveSignedWith(t, h, "GET", "/ssec/obj", nil, b), 403, "AccessDenied", "")
	if rec := serveSignedWith(t, h, "HEAD", "/ssec/obj", nil, b); rec.Code != 403 {
		t.Errorf("HEAD with another key: %d", rec.Code)
	}
	if rec := serveSignedWith(t, h, "HEAD", "/ssec/obj", nil, a); rec.Code != 200 || rec.Header().Get("Content-Length") != "150000" {
		t.Errorf("HEAD with the key: %d %v", rec.Code, rec.Header())
	}

	bad := func(name string, edit func(http.Header)) http.Header {
		hd := mergeHeaders(a)
		edit(hd)
		return hd
	}
	for _, c := range []struct {
		name   string
		hdr    http.Header
		status int
		code   string
	}{
		{"no algorithm", bad("", func(h http.Header) { h.Del(hdrSSEC + "Algorithm") }), 400, "InvalidArgument"},
		{"algorithm AES128", bad("", func(h http.Header) { h.Set(hdrSSEC+"Algorithm", "AES128") }), 400, "InvalidEncryptionAlgorithmError"},
		{"no key", bad("", func(h http.Header) { h.Del(hdrSSEC + "Key") }), 400, "InvalidArgument"},
		{"short key", bad("", func(h http.Header) { h.Set(hdrSSEC+"Key", base64.StdEncoding.EncodeToString(keyA[:16])) }), 400, "InvalidArgument"},
		{"no MD5", bad("", func(h http.Header) { h.Del(hdrSSEC + "Key-Md5") }), 400, "InvalidArgument"},
		{"wrong MD5", bad("", func(h http.Header) { h.Set(hdrSSEC+"Key-Md5", b.Get(hdrSSEC+"Key-Md5")) }), 400, "InvalidArgument"},
		{"with SSE-S3", bad("", func(h http.Header) { h.Set(hdrSSE, "AES256") }), 400, "InvalidArgument"},
	} {
		wantError(t, "PUT "+c.name, serveSignedWith(t, h, "PUT", "/ssec/bad", []byte("x"), c.hdr), c.status, c.code, "")
	}
	if _, err := h.store.HeadObject(t.Context(), "ssec", "bad"); err == nil {
		t.Error("a refused SSE-C PUT stored an object")
	}

	// A plain object read with a key: not applicable.
	mustStatus(t, serveSigned(t, h, "PUT", "/ssec/plain", []byte("plain")), 200)
	wantError(t, "GET a plain object with a key", serveSignedWith(t, h, "GET", "/ssec/plain", nil, a), 400, "InvalidRequest",
		"The encryption parameters are not applicable to this object.")

	// Copies between keys, and to SSE-S3.
	src := ssecHeaders(hdrSSECSource, keyA)
	wantError(t, "copy without the source key", serveSignedWith(t, h, "PUT", "/ssec/copy", nil, mergeHeaders(b, http.Header{"X-Amz-Copy-Source": {"/ssec/obj"}})),
		400, "InvalidRequest", "")
	rec = serveSignedWith(t, h, "PUT", "/ssec/copy", nil, mergeHeaders(b, src, http.Header{"X-Amz-Copy-Source": {"/ssec/obj"}}))
	mustStatus(t, rec, 200)
	if got := serveSignedWith(t, h, "GET", "/ssec/copy", nil, b).Body.Bytes(); !bytes.Equal(got, body) {
		t.Fatal("the copy under key B reads back wrong")
	}
	wantError(t, "the copy with key A", serveSignedWith(t, h, "GET", "/ssec/copy", nil, a), 403, "AccessDenied", "")
	rec = serveSignedWith(t, h, "PUT", "/ssec/s3copy", nil, mergeHeaders(src, sseHeader("AES256"), http.Header{"X-Amz-Copy-Source": {"/ssec/obj"}}))
	mustStatus(t, rec, 200)
	if got := serveSigned(t, h, "GET", "/ssec/s3copy", nil).Body.Bytes(); !bytes.Equal(got, body) {
		t.Fatal("the SSE-S3 copy of an SSE-C object reads back wrong")
	}

	// Multipart: every part with the upload's key.
	rec = serveSignedWith(t, h, "POST", "/ssec/mp?uploads", nil, a)
	mustStatus(t, rec, 200)
	var init struct{ UploadId string }
	_ = xml.Unmarshal(rec.Body.Bytes(), &init)
	part := "/ssec/mp?partNumber=1&uploadId=" + init.UploadId
	wantError(t, "part without the key", serveSigned(t, h, "PUT", part, body), 400, "InvalidRequest",
		"The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
	wantError(t, "part with another key", serveSignedWith(t, h, "PUT", part, body, b), 400, "InvalidRequest",
		"The provided encryption parameters did not match the ones used originally.")
	rec = serveSignedWith(t, h, "PUT", part, body, a)
	mustStatus(t, rec, 200)
	complete := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + rec.Header().Get("ETag") + "</ETag></Part></CompleteMultipartUpload>"
	mustStatus(t, serveSigned(t, h, "POST", "/ssec/mp?uploadId="+init.UploadId, []byte(complete)), 200)
	if got := serveSignedWith(t, h, "GET", "/ssec/mp", nil, a).Body.Bytes(); !bytes.Equal(got, body) {
		t.Fatal("the SSE-C multipart object reads back wrong")
	}

	// Over plain HTTP, unless configured: refused.
	strict := provisionServeTestHandler(t, nil)
	mustStatus(t, serveSigned(t, strict, "PUT", "/ssec", nil), 200)
	wantError(t, "SSE-C over HTTP", serveSignedWith(t, strict, "PUT", "/ssec/k", body, a), 400, "InvalidRequest",
		"Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
}
