package auth

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/s3err"
)

func TestHeaderChecksums(t *testing.T) {
	body := []byte("the payload")
	md := md5.Sum(body)
	goodMD5 := base64.StdEncoding.EncodeToString(md[:])
	v := newTestVerifier(time.Now())
	sums := map[string]string{}
	for _, algo := range checksum.Algorithms {
		h := newHash(algo)
		h.Write(body)
		sums[algo] = base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	for algo, val := range sums {
		name := "X-Amz-Checksum-" + algo
		res, got, err := verifyAndRead(v, serverRequest("PUT", "h", "/b/k", hdr(name, val, "Content-MD5", goodMD5), body))
		if err != nil || string(got) != string(body) {
			t.Fatalf("%s: %v", algo, err)
		}
		if cs := res.Checksums(); len(cs) != 1 || cs[algo] != val || !res.Principal.Anonymous || res.Principal.Method != "anonymous" {
			t.Fatalf("%s: checksums %v principal %+v", algo, cs, res.Principal)
		}
		_, _, err = verifyAndRead(v, serverRequest("PUT", "h", "/b/k", hdr(name, val), []byte("other payload")))
		mustErrIs(t, err, ErrBadDigest)
		_, err = v.Verify(t.Context(), serverRequest("PUT", "h", "/b/k", hdr(name, val[:len(val)-4]), body))
		mustErrIs(t, err, ErrInvalidRequest)
		if err == nil || !strings.Contains(err.Error(), "Value for x-amz-checksum-"+strings.ToLower(algo)+" header is invalid.") {
			t.Fatalf("message %v", err)
		}
	}
	cases := []struct {
		name   string
		header []string
		body   string
		want   error
	}{
		{"md5 mismatch", []string{"Content-MD5", goodMD5}, "x", ErrBadDigest},
		{"md5 not base64", []string{"Content-MD5", "!!"}, string(body), ErrInvalidDigest},
		{"md5 short", []string{"Content-MD5", "AAAA"}, string(body), ErrInvalidDigest},
		{"two checksums", []string{"X-Amz-Checksum-Crc32", sums["CRC32"], "X-Amz-Checksum-Sha1", sums["SHA1"]}, string(body), ErrInvalidRequest},
		{"anonymous sha256 mismatch", []string{"X-Amz-Content-Sha256", sha256Hex([]byte("x"))}, string(body), ErrXAmzContentSHA256Mismatch},
		{"anonymous signed stream", []string{"X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, string(body), ErrAccessDenied},
	}
	for _, c := range cases {
		_, _, err := verifyAndRead(v, serverRequest("PUT", "h", "/b/k", hdr(c.header...), []byte(c.body)))
		if err == nil || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// CompleteMultipartUpload's checksum header is the object's, not the body's.
	if _, _, err := verifyAndRead(v, serverRequest("POST", "h", "/b/k?uploadId=1", hdr("X-Amz-Checksum-Crc32", sums["CRC32"]), []byte("<xml/>"))); err != nil {
		t.Fatal(err)
	}
	// No checksums, no body.
	res, _, err := verifyAndRead(v, serverRequest("GET", "h", "/b/k", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if cs := res.Checksums(); len(cs) != 0 {
		t.Fatal(cs)
	}
}

// x-amz-sdk-checksum-algorithm must name the algorithm of the checksum
// header or trailer sent, in any case; Result.ChecksumAlgorithm is that
// algorithm.
func TestSDKChecksumAlgorithm(t *testing.T) {
	body := []byte("the payload")
	h := newHash("CRC32")
	h.Write(body)
	crc := base64.StdEncoding.EncodeToString(h.Sum(nil))
	v := newTestVerifier(time.Now())
	for _, c := range []struct {
		name   string
		header []string
		want   *s3err.Text // nil: accepted
		algo   string
	}{
		{"header only", []string{"X-Amz-Checksum-Crc32", crc}, nil, "CRC32"},
		{"matching", []string{"X-Amz-Sdk-Checksum-Algorithm", "CRC32", "X-Amz-Checksum-Crc32", crc}, nil, "CRC32"},
		{"lower case", []string{"X-Amz-Sdk-Checksum-Algorithm", "crc32", "X-Amz-Checksum-Crc32", crc}, nil, "CRC32"},
		{"none", nil, nil, ""},
		{"other algorithm", []string{"X-Amz-Sdk-Checksum-Algorithm", "SHA256", "X-Amz-Checksum-Crc32", crc}, &s3err.SDKChecksumInvalid, ""},
		{"no algorithm", []string{"X-Amz-Sdk-Checksum-Algorithm", "BOGUS", "X-Amz-Checksum-Crc32", crc}, &s3err.SDKChecksumInvalid, ""},
		{"without a checksum", []string{"X-Amz-Sdk-Checksum-Algorithm", "CRC32"}, &s3err.SDKChecksumMissing, ""},
		{"bogus without a checksum", []string{"X-Amz-Sdk-Checksum-Algorithm", "BOGUS"}, &s3err.SDKChecksumMissing, ""},
		{"trailer", []string{"X-Amz-Sdk-Checksum-Algorithm", "CRC32C", "X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"X-Amz-Trailer", "x-amz-checksum-crc32c", "X-Amz-Decoded-Content-Length", "11"}, nil, "CRC32C"},
		{"trailer of another algorithm", []string{"X-Amz-Sdk-Checksum-Algorithm", "CRC32", "X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"X-Amz-Trailer", "x-amz-checksum-crc32c", "X-Amz-Decoded-Content-Length", "11"}, &s3err.SDKChecksumInvalid, ""},
	} {
		res, err := v.Verify(t.Context(), serverRequest("PUT", "h", "/b/k", hdr(c.header...), body))
		var te *TextError
		switch {
		case c.want == nil && (err != nil || res.ChecksumAlgorithm != c.algo):
			t.Errorf("%s: %v %+v", c.name, err, res)
		case c.want != nil && (!errors.As(err, &te) || te.Text != *c.want || !errors.Is(err, ErrInvalidRequest)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.want.Format)
		}
	}
}
