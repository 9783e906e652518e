package auth

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ownSign signs r (whose headers are set) with SignedHeaders=signed, using
// the example key and date; payload is the x-amz-content-sha256 value put in
// the canonical request whether or not the header is signed.
func ownSign(r *http.Request, signed []string, payload string) *http.Request {
	canonical := canonicalRequest(r, parseQuery(rawQuery(r)), signed, payload)
	sig := hex64(hmacSHA256(exampleKey(), stringToSignV4(exampleDate, exampleScope, canonical)))
	r.Header.Set("Authorization", algoV4+" Credential="+exampleAK+"/"+exampleScope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return r
}

func wantUnsigned(t *testing.T, err error, names ...string) {
	t.Helper()
	var ue *UnsignedHeadersError
	if !errors.As(err, &ue) || !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("error %v, want UnsignedHeadersError %v", err, names)
	}
	if !slices.Equal(ue.Headers, names) {
		t.Fatalf("HeadersNotSigned %v, want %v", ue.Headers, names)
	}
}

// A signature that verifies covers only its SignedHeaders: any other x-amz-*
// header is refused, in every SigV4 form, as S3 does. Headers S3 lets through
// unsigned (Content-Type, Content-MD5, User-Agent, x-amzn-trace-id) and the
// x-amz-* headers the signature binds anyway stay allowed.
func TestUnsignedAmzHeaders(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte("hello, world")
	md5sum := md5.Sum(body)
	contentMD5 := base64.StdEncoding.EncodeToString(md5sum[:])
	sdk := func(extra ...string) *http.Request {
		r := sdkSign(t, "PUT", s3URL("localhost", "b", "k", ""), body, sha256Hex(body), "us-east-1", at, "X-Amz-Meta-Signed", "1")
		for i := 0; i < len(extra); i += 2 {
			r.Header.Add(extra[i], extra[i+1])
		}
		return r
	}
	own := func(signed []string, kv ...string) *http.Request {
		h := hdr(append([]string{"X-Amz-Date", exampleDate, "X-Amz-Content-Sha256", sha256Hex(body)}, kv...)...)
		return ownSign(serverRequest("PUT", "localhost", "/b/k", h, body), signed, sha256Hex(body))
	}
	for _, c := range []struct {
		name     string
		r        func() *http.Request
		now      time.Time
		unsigned []string // nil: accepted
	}{
		{"header mode, all signed", func() *http.Request { return sdk() }, at, nil},
		{"copy source added", func() *http.Request { return sdk("X-Amz-Copy-Source", "b/other") }, at, []string{"x-amz-copy-source"}},
		{"metadata added", func() *http.Request { return sdk("X-Amz-Meta-Evil", "1") }, at, []string{"x-amz-meta-evil"}},
		{"second value of a signed header is signed", func() *http.Request { return sdk("X-Amz-Meta-Signed", "2") }, at, []string{}},
		{"several, sorted, lower-case", func() *http.Request {
			r := sdk("X-Amz-Tagging", "a=b", "X-Amz-Acl", "public-read")
			r.Header["x-amz-grant-read"] = []string{"id=x"} // not canonicalised
			return r
		}, at, []string{"x-amz-acl", "x-amz-grant-read", "x-amz-tagging"}},
		{"checksum header", func() *http.Request { return sdk("X-Amz-Checksum-Crc32", crc32b64(body)) }, at, []string{"x-amz-checksum-crc32"}},
		{"sdk checksum algorithm", func() *http.Request { return sdk("X-Amz-Sdk-Checksum-Algorithm", "CRC32") }, at, []string{"x-amz-sdk-checksum-algorithm"}},
		{"expected bucket owner", func() *http.Request { return sdk("X-Amz-Expected-Bucket-Owner", "x") }, at, []string{"x-amz-expected-bucket-owner"}},
		{"security token", func() *http.Request { return sdk("X-Amz-Security-Token", "x") }, at, []string{"x-amz-security-token"}},
		{"content-type, content-md5, user-agent, trace id unsigned", func() *http.Request {
			return sdk("Content-Type", "text/plain", "Content-Md5", contentMD5, "User-Agent", "x", "X-Amzn-Trace-Id", "Root=1")
		}, at, nil},
		{"x-amz-content-sha256 and x-amz-date unsigned", func() *http.Request {
			return own([]string{"host"})
		}, exampleTime(), nil},
		{"own signer, meta unsigned", func() *http.Request {
			return own([]string{"host", "x-amz-content-sha256", "x-amz-date"}, "X-Amz-Meta-A", "1")
		}, exampleTime(), []string{"x-amz-meta-a"}},
		{"own signer, meta signed", func() *http.Request {
			return own([]string{"host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-a"}, "X-Amz-Meta-A", "1")
		}, exampleTime(), nil},
		{"SignedHeaders in upper case", func() *http.Request {
			r := own([]string{"host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-a"}, "X-Amz-Meta-A", "1")
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-amz-meta-a", "X-Amz-Meta-A", 1))
			return r
		}, exampleTime(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, got, err := verifyAndRead(newTestVerifier(c.now), c.r())
			if c.unsigned == nil {
				if err != nil || string(got) != string(body) {
					t.Fatalf("%v %q", err, got)
				}
				if res.Principal.Anonymous {
					t.Fatal("anonymous")
				}
				return
			}
			if len(c.unsigned) == 0 { // a changed signed header: the signature fails
				mustErrIs(t, err, ErrSignatureDoesNotMatch)
				return
			}
			wantUnsigned(t, err, c.unsigned...)
		})
	}
	// A forger learns nothing: with a bad signature the answer is the
	// signature's, not the unsigned header's.
	r := sdk("X-Amz-Meta-Evil", "1")
	r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-4]+"0000")
	_, err := newTestVerifier(at).Verify(t.Context(), r)
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
	if errors.As(err, new(*UnsignedHeadersError)) {
		t.Fatal("unsigned headers reported before the signature verified")
	}
	// Anonymous requests have no SignedHeaders: nothing to check.
	if _, err := newTestVerifier(at).Verify(t.Context(), serverRequest("GET", "localhost", "/b/k", hdr("X-Amz-Meta-A", "1"), nil)); err != nil {
		t.Fatal(err)
	}
}

// Presigned URLs: x-amz-* the SDK hoists into the query are signed there;
// those it leaves as headers are in X-Amz-SignedHeaders; any other x-amz-*
// header the URL's user adds is refused.
func TestUnsignedAmzHeadersPresigned(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	presign := func(header ...string) *http.Request {
		req, err := http.NewRequest("PUT", s3URL("localhost", "b", "k", "X-Amz-Expires=3600"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		signed, h, err := s.PresignHTTP(context.Background(), sdkCreds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(signed)
		r := serverRequest("PUT", u.Host, u.RequestURI(), http.Header{}, nil)
		for k, vs := range h {
			if !strings.EqualFold(k, "host") {
				r.Header[k] = vs
			}
		}
		return r
	}
	v := newTestVerifier(at.Add(time.Minute))
	// Metadata and ACL stay headers and are signed; the bucket owner is hoisted.
	r := presign("X-Amz-Meta-A", "1", "X-Amz-Acl", "private", "X-Amz-Expected-Bucket-Owner", "o")
	if !strings.Contains(strings.ToLower(r.RequestURI), "x-amz-expected-bucket-owner=o") || r.Header.Get("X-Amz-Meta-A") != "1" {
		t.Fatalf("unexpected presign layout %s %v", r.RequestURI, r.Header)
	}
	if _, err := v.Verify(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "text/plain")
	if _, err := v.Verify(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if _, err := v.Verify(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Copy-Source", "b/other")
	r.Header.Set("X-Amz-Meta-B", "2")
	_, err := v.Verify(t.Context(), r)
	wantUnsigned(t, err, "x-amz-copy-source", "x-amz-meta-b")

	r = presign()
	r.Header.Set("X-Amz-Meta-A", "1")
	_, err = v.Verify(t.Context(), r)
	wantUnsigned(t, err, "x-amz-meta-a")
	// The same name as a (signed) query parameter does not sign the header.
	r = presign()
	r.RequestURI += "&x-amz-meta-a=1"
	r.Header.Set("X-Amz-Meta-A", "1")
	_, err = v.Verify(t.Context(), r)
	mustErrIs(t, err, ErrSignatureDoesNotMatch) // the parameter was added after signing
}

// aws-chunked: the headers that describe the stream (decoded length,
// trailer names, checksum algorithm) are signed by every client and must be.
func TestUnsignedAmzHeadersChunked(t *testing.T) {
	data := []byte("chunked payload")
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	trailer := []string{"x-amz-checksum-crc32:" + crc32b64(data)}
	build := func(signed []string, extra ...string) *http.Request {
		h := hdr(append([]string{"X-Amz-Date", exampleDate, "X-Amz-Content-Sha256", mode, "Content-Encoding", "aws-chunked",
			"X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)), "X-Amz-Trailer", "x-amz-checksum-crc32"}, extra...)...)
		r := serverRequest("PUT", "localhost", "/b/k", h, nil)
		r.ContentLength = -1
		r = ownSign(r, signed, mode)
		a := r.Header.Get("Authorization")
		seed := a[strings.LastIndex(a, "=")+1:]
		return withBody(r, strings.NewReader(string(encodeChunks(exampleKey(), seed, data, nil, trailer))))
	}
	all := []string{"content-encoding", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length", "x-amz-trailer"}
	v := newTestVerifier(exampleTime())
	if _, got, err := verifyAndRead(v, build(all)); err != nil || string(got) != string(data) {
		t.Fatalf("%v %q", err, got)
	}
	for _, drop := range []string{"x-amz-decoded-content-length", "x-amz-trailer"} {
		_, _, err := verifyAndRead(v, build(slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == drop })))
		wantUnsigned(t, err, drop)
	}
	_, _, err := verifyAndRead(v, build(all, "X-Amz-Sdk-Checksum-Algorithm", "CRC32"))
	wantUnsigned(t, err, "x-amz-sdk-checksum-algorithm")
}

// SigV2 has no SignedHeaders: every x-amz-* header is in the string to
// sign, so one added after signing breaks the signature.
func TestSigV2AddedAmzHeaderBreaksSignature(t *testing.T) {
	// AWS's documented upload example (see TestAWSSigV2UploadExample).
	date := "Tue, 27 Mar 2007 21:06:08 +0000"
	d, _ := parseHTTPDate(date)
	v := newTestVerifier(d)
	v.V2BucketFromHost = bucketFromS3Host
	req := func(extra ...string) *http.Request {
		return serverRequest("PUT", "static.johnsmith.net:8080", "/db-backup.dat.gz", hdr(append([]string{
			"User-Agent", "curl/7.15.5", "Date", date, "X-Amz-Acl", "public-read", "Content-Type", "application/x-download",
			"Content-Md5", "4gJE4saaMU4BqNR0kLY+lw==", "X-Amz-Meta-Reviewedby", "joe@johnsmith.net", "X-Amz-Meta-Reviewedby", "jane@johnsmith.net",
			"X-Amz-Meta-Filechecksum", "0x02661779", "X-Amz-Meta-Checksumalgorithm", "crc32",
			"Content-Disposition", "attachment; filename=database.dat", "Content-Encoding", "gzip",
			"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc="}, extra...)...), nil)
	}
	if _, err := v.Verify(t.Context(), req()); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{
		{"X-Amz-Meta-Evil", "1"}, {"X-Amz-Copy-Source", "b/other"}, {"X-Amz-Meta-Reviewedby", "mallory"},
	} {
		_, err := v.Verify(t.Context(), req(extra...))
		mustErrIs(t, err, ErrSignatureDoesNotMatch)
	}
	// Presigned SigV2 (AWS's query example) likewise.
	uri := "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
	v = newTestVerifier(time.Unix(1175139620-60, 0))
	v.V2BucketFromHost = bucketFromS3Host
	if _, err := v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", uri, nil, nil)); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", uri, hdr("X-Amz-Meta-Evil", "1"), nil))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
}

// Any x-amz-* header added to a verified SigV4 request is refused unless the
// signature binds it: the request never verifies with it.
func FuzzUnsignedAmzHeader(f *testing.F) {
	for _, s := range []string{"copy-source", "meta-a", "META-B", "acl", "content-sha256", "date", "meta-signed", "checksum-crc32", "trailer", "", "-", "x"} {
		f.Add(s, "v")
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte("fuzz")
	v := newTestVerifier(at)
	f.Fuzz(func(t *testing.T, suffix, value string) {
		r := sdkSign(t, "PUT", s3URL("localhost", "b", "k", ""), body, sha256Hex(body), "us-east-1", at, "X-Amz-Meta-Signed", "1")
		name := "x-amz-" + strings.ToLower(suffix)
		r.Header[http.CanonicalHeaderKey(name)] = append(r.Header[http.CanonicalHeaderKey(name)], value)
		_, err := v.Verify(t.Context(), r)
		switch {
		case unsignedExempt(name):
			if err != nil && !errors.Is(err, ErrSignatureDoesNotMatch) && !errors.Is(err, ErrInvalidContentSHA256) && !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("%q: %v", name, err)
			}
		case name == "x-amz-meta-signed":
			mustErrIs(t, err, ErrSignatureDoesNotMatch)
		default:
			wantUnsigned(t, err, name)
		}
	})
}
