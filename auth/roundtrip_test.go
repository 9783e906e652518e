package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var sdkCreds = aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSecret}

// s3URL escapes a key the way S3 clients put it on the wire.
func s3URL(host, bucket, key, query string) string {
	u := "http://" + host + "/" + bucket
	if key != "" {
		u += "/" + uriEncode(key, false)
	}
	if query != "" {
		u += "?" + query
	}
	return u
}

// toServer turns a signed client request into what net/http's server
// hands a handler.
func toServer(t testing.TB, req *http.Request, body []byte) *http.Request {
	t.Helper()
	r := req.Clone(context.Background())
	r.RequestURI = req.URL.RequestURI()
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

func sdkSign(t testing.TB, method, rawURL string, body []byte, payloadHash, region string, at time.Time, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), sdkCreds, req, payloadHash, "s3", region, at); err != nil {
		t.Fatal(err)
	}
	return toServer(t, req, body)
}

func sdkPresign(t *testing.T, method, rawURL string, expires int, region string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(expires))
	req.URL.RawQuery = q.Encode()
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, h, err := s.PresignHTTP(context.Background(), sdkCreds, req, "UNSIGNED-PAYLOAD", "s3", region, at)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	r := serverRequest(method, u.Host, u.RequestURI(), http.Header{}, nil)
	for k, vs := range h {
		if !strings.EqualFold(k, "host") {
			r.Header[k] = vs
		}
	}
	return r
}

var awkwardKeys = []string{
	"plain.txt", "dir/sub/file", "a b+c", "ü/€ (1)$!*'&=,;@:.txt", "a/../b", "./x", "a//b", "dir/", "..",
	"100%", "tilde~_-.", "q?mark#hash", "sp  ace",
}

func TestSDKHeaderRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := newTestVerifier(at.Add(time.Minute))
	body := []byte("hello, world")
	for _, key := range awkwardKeys {
		for _, query := range []string{"", "acl", "uploadId=abc%2Fdef&partNumber=3", "prefix=a%20b&delimiter=%2F&list-type=2&empty=", "x=%2B&x=+&y=%E2%82%AC"} {
			r := sdkSign(t, "PUT", s3URL("localhost:9000", "bucket", key, query), body, sha256Hex(body), "us-east-1", at,
				"Content-Type", "text/plain", "X-Amz-Meta-Note", "  two  spaces  ")
			res, got, err := verifyAndRead(v, r)
			if err != nil {
				t.Fatalf("key %q query %q: %v", key, query, err)
			}
			if !bytes.Equal(got, body) || res.Principal.Method != "v4-header" {
				t.Fatalf("key %q: body %q", key, got)
			}
		}
	}
	// Unsigned payload with a virtual-hosted host and an explicit port.
	r := sdkSign(t, "GET", "http://bucket.s3.example.com:8443/k", nil, "UNSIGNED-PAYLOAD", "us-east-1", at)
	if _, _, err := verifyAndRead(v, r); err != nil {
		t.Fatal(err)
	}
}

func TestSDKHeaderFailures(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte("payload")
	sign := func(header ...string) *http.Request {
		return sdkSign(t, "PUT", s3URL("localhost", "b", "k", "x=1"), body, sha256Hex(body), "us-east-1", at, header...)
	}
	v := newTestVerifier(at)
	check := func(name string, r *http.Request, target error) {
		t.Helper()
		_, _, err := verifyAndRead(v, r)
		if target == nil && err != nil || target != nil && !errors.Is(err, target) {
			t.Errorf("%s: got %v, want %v", name, err, target)
		}
	}
	r := sign("X-Amz-Meta-A", "1")
	r.Header.Set("X-Amz-Meta-A", "2")
	check("tampered header", r, ErrSignatureDoesNotMatch)

	r = sign()
	r.RequestURI = strings.Replace(r.RequestURI, "/k", "/K", 1)
	check("tampered path", r, ErrSignatureDoesNotMatch)

	r = sign()
	r.RequestURI += "&y=2"
	check("added query", r, ErrSignatureDoesNotMatch)

	r = sign()
	r.Host = "other"
	check("other host", r, ErrSignatureDoesNotMatch)

	r = sign()
	r.Body = io.NopCloser(strings.NewReader("PAYLOAD"))
	check("tampered body", r, ErrXAmzContentSHA256Mismatch)

	r = sign()
	r.Body = io.NopCloser(strings.NewReader("pay"))
	check("short body", r, ErrIncompleteBody)

	r = sign()
	r.Header.Del("X-Amz-Content-Sha256")
	check("no content sha", r, ErrInvalidRequest)

	r = sign()
	r.Header.Set("X-Amz-Content-Sha256", "nonsense")
	check("bad content sha", r, ErrInvalidContentSHA256)

	r = sign()
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
	check("sigv4a payload", r, ErrUnsupportedSignatureAlgorithm)

	r = sign()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
	check("sigv4a", r, ErrUnsupportedSignatureAlgorithm)

	r = sign()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), exampleAK, "AKIDUNKNOWN", 1))
	check("unknown key", r, ErrInvalidAccessKeyID)

	r = sign()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/ec2/", 1))
	check("wrong service", r, ErrAuthorizationHeaderMalformed)

	r = sign()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260301/", "/20260302/", 1))
	check("scope date", r, ErrAuthorizationHeaderMalformed)

	r = sdkSign(t, "GET", s3URL("localhost", "b", "k", ""), nil, "UNSIGNED-PAYLOAD", "eu-west-1", at)
	_, err := v.Verify(t.Context(), r)
	var re *RegionError
	if !errors.As(err, &re) || re.Got != "eu-west-1" || re.Expected != "us-east-1" {
		t.Errorf("wrong region: %v", err)
	}

	for _, d := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		skewed := newTestVerifier(at.Add(d))
		_, err := skewed.Verify(t.Context(), sign())
		var se *SkewError
		if !errors.As(err, &se) || !se.ServerTime.Equal(at.Add(d)) || se.MaxAllowed != 15*time.Minute {
			t.Errorf("skew %v: %v", d, err)
		}
	}
	if _, err := newTestVerifier(at.Add(14*time.Minute)).Verify(t.Context(), sign()); err != nil {
		t.Errorf("14 minutes of skew: %v", err)
	}

	r = sign()
	r.Header.Set("Authorization", "Bearer x")
	check("unknown scheme", r, ErrAuthorizationHeaderMalformed)

	r = sign()
	r.RequestURI += "&X-Amz-Signature=abc"
	check("two mechanisms", r, ErrInvalidRequest)

	r = sign()
	sm := mismatch(t, v, withAuth(r, func(s string) string { return s[:len(s)-1] + "0" }))
	if sm.CanonicalRequest == "" || !strings.HasPrefix(sm.StringToSign, "AWS4-HMAC-SHA256\n") || sm.AccessKeyID != exampleAK {
		t.Errorf("mismatch details: %+v", sm)
	}
}

func withAuth(r *http.Request, f func(string) string) *http.Request {
	r.Header.Set("Authorization", f(r.Header.Get("Authorization")))
	return r
}

func mismatch(t *testing.T, v *Verifier, r *http.Request) *SignatureMismatchError {
	t.Helper()
	_, err := v.Verify(t.Context(), r)
	var sm *SignatureMismatchError
	if !errors.As(err, &sm) {
		t.Fatalf("got %v, want a signature mismatch", err)
	}
	return sm
}

func TestSDKPresignRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, key := range awkwardKeys {
		r := sdkPresign(t, "GET", s3URL("localhost:9000", "bucket", key, "response-content-type=text%2Fplain"), 3600, "us-east-1", at)
		res, _, err := verifyAndRead(newTestVerifier(at.Add(59*time.Minute)), r)
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		if res.Principal.Method != "v4-presigned" {
			t.Fatal(res.Principal.Method)
		}
	}
	r := func() *http.Request {
		return sdkPresign(t, "PUT", s3URL("localhost", "b", "k", ""), 3600, "us-east-1", at)
	}
	_, err := newTestVerifier(at.Add(time.Hour+time.Second)).Verify(t.Context(), r())
	mustErrIs(t, err, ErrExpiredRequest)
	_, err = newTestVerifier(at.Add(-time.Hour)).Verify(t.Context(), r())
	mustErrIs(t, err, ErrAccessDenied)

	req := r()
	req.RequestURI = strings.Replace(req.RequestURI, "/b/k", "/b/j", 1)
	_, err = newTestVerifier(at).Verify(t.Context(), req)
	mustErrIs(t, err, ErrSignatureDoesNotMatch)

	_, err = newTestVerifier(at).Verify(t.Context(), sdkPresign(t, "GET", s3URL("localhost", "b", "k", ""), 3600, "eu-west-1", at))
	mustErrIs(t, err, ErrAuthorizationQueryParamsError)

	for _, bad := range []struct{ from, to string }{
		{"X-Amz-Expires=3600", "X-Amz-Expires=604801"},
		{"X-Amz-Expires=3600", "X-Amz-Expires=0"},
		{"X-Amz-Expires=3600", "X-Amz-Expires=-1"},
		{"X-Amz-Expires=3600", "X-Amz-Expires=x"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=HMAC"},
		{"X-Amz-Expires=3600", ""},
		{"X-Amz-Date=", "X-Amz-Date=2026"},
		{"X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"},
	} {
		req := r()
		req.RequestURI = strings.Replace(req.RequestURI, bad.from, bad.to, 1)
		_, err := newTestVerifier(at).Verify(t.Context(), req)
		if !errors.Is(err, ErrAuthorizationQueryParamsError) && !errors.Is(err, ErrSignatureDoesNotMatch) {
			t.Errorf("%s: %v", bad.to, err)
		}
		if bad.to != "X-Amz-SignedHeaders=x-amz-date" && !errors.Is(err, ErrAuthorizationQueryParamsError) {
			t.Errorf("%s: %v", bad.to, err)
		}
	}
	req = r()
	req.RequestURI = strings.Replace(req.RequestURI, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1)
	_, err = newTestVerifier(at).Verify(t.Context(), req)
	mustErrIs(t, err, ErrUnsupportedSignatureAlgorithm)
}

// The signing-key cache is shared by concurrent requests (run with -race).
func TestConcurrentVerify(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := newTestVerifier(at)
	reqs := make([]*http.Request, 32)
	for i := range reqs {
		reqs[i] = sdkSign(t, "GET", s3URL("localhost", "b", "k"+strconv.Itoa(i), ""), nil, "UNSIGNED-PAYLOAD", "us-east-1", at)
	}
	done := make(chan error)
	for _, r := range reqs {
		go func() {
			_, _, err := verifyAndRead(v, r)
			done <- err
		}()
	}
	for range reqs {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
