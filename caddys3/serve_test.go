package caddys3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddys3/caddys3/caddys3/credentials/static"
)

const (
	serveTestKey    = "AKIASERVETEST0000001"
	serveTestSecret = "servetestsecret000000000000000000000000"
)

// provisionServeTestHandler provisions a real Handler on a temp root, the
// way Caddy does, with one static key.
func provisionServeTestHandler(t *testing.T, tweak func(*Handler)) *Handler {
	t.Helper()
	h := &Handler{
		Root:           t.TempDir(),
		CredentialsRaw: static.ModuleMap(static.Key{AccessKeyID: serveTestKey, Secret: serveTestSecret, Owner: "tester"}),
	}
	if tweak != nil {
		tweak(h)
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })
	return h
}

// serveSigned sends a SigV4-signed request straight to the handler.
func serveSigned(t *testing.T, h *Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return serveSignedWith(t, h, method, target, body, nil)
}

// serveSignedWith is serveSigned with extra (signed) headers.
func serveSignedWith(t *testing.T, h *Handler, method, target string, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	return serveSignedIn(t, h, "us-east-1", method, target, body, hdr)
}

// serveSignedIn is serveSignedWith signed for region.
func serveSignedIn(t *testing.T, h *Handler, region, method, target string, body []byte, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://s3.test"+target, bytes.NewReader(body))
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: serveTestKey, SecretAccessKey: serveTestSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payload, "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, r, nil); err != nil {
		t.Fatalf("ServeHTTP returned %v; the handler must answer every request itself", err)
	}
	return rec
}

func mustStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body.String())
	}
}

// startUpload creates bucket/key and uploads one part, returning the upload
// id and the part's ETag.
func startUpload(t *testing.T, h *Handler, bucket, key string) (uploadID, etag string) {
	t.Helper()
	mustStatus(t, serveSigned(t, h, "PUT", "/"+bucket, nil), 200)
	rec := serveSigned(t, h, "POST", "/"+bucket+"/"+key+"?uploads", nil)
	mustStatus(t, rec, 200)
	var init struct{ UploadId string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &init); err != nil || init.UploadId == "" {
		t.Fatalf("initiate: %v %s", err, rec.Body.String())
	}
	rec = serveSigned(t, h, "PUT", "/"+bucket+"/"+key+"?partNumber=1&uploadId="+init.UploadId, []byte("only part"))
	mustStatus(t, rec, 200)
	return init.UploadId, rec.Header().Get("ETag")
}

func completeBody(etag string) []byte {
	return []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag + "</ETag></Part></CompleteMultipartUpload>")
}

// A Complete that outlasts keepAliveAfter commits a 200 with the XML
// declaration, keeps the connection alive with spaces, and then sends the
// result — or, for a late failure, the error inside the 200 body, as S3 does.
func TestCompleteKeepAlive(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) {
		h.keepAliveAfter = time.Nanosecond
		h.keepAliveInterval = time.Nanosecond
	})
	id, etag := startUpload(t, h, "keepalive", "obj")
	rec := serveSigned(t, h, "POST", "/keepalive/obj?uploadId="+id, completeBody(etag))
	mustStatus(t, rec, 200)
	body := rec.Body.String()
	if !strings.HasPrefix(body, xml.Header) || !strings.Contains(body, "<CompleteMultipartUploadResult") {
		t.Fatalf("committed complete body: %q", body)
	}
	if rec.Header().Get("Content-Length") != "" {
		t.Errorf("a committed response cannot announce a length")
	}
	var res struct{ ETag string }
	if err := xml.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(body, xml.Header))), &res); err != nil || !strings.HasSuffix(res.ETag, `-1"`) {
		t.Fatalf("result %q: %v", body, err)
	}
	got := serveSigned(t, h, "GET", "/keepalive/obj", nil)
	mustStatus(t, got, 200)
	if got.Body.String() != "only part" {
		t.Errorf("object holds %q", got.Body.String())
	}

	// The failure must come after the keep-alive committed the 200. With a
	// 1 ns timer that is nearly always so, but a fast failure can still win
	// the race against the timer's goroutine: then the answer is a plain
	// 400, which is correct too, and we try again for the committed case.
	failures := h.metrics.requests.WithLabelValues(string(OpCompleteMultipartUpload), "InvalidPart")
	committed := false
	bucket := ""
	for attempt := 0; attempt < 20 && !committed; attempt++ {
		bucket = "keepalive-fail-" + strconv.Itoa(attempt)
		id2, _ := startUpload(t, h, bucket, "obj")
		before := testutil.ToFloat64(failures)
		rec = serveSigned(t, h, "POST", "/"+bucket+"/obj?uploadId="+id2, completeBody(`"00000000000000000000000000000000"`))
		// Counted by its real outcome, committed or not.
		if got := testutil.ToFloat64(failures) - before; got != 1 {
			t.Errorf("InvalidPart counted %v times in caddy_s3_requests_total", got)
		}
		var e struct{ Code string }
		if err := xml.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(rec.Body.String(), xml.Header))), &e); err != nil || e.Code != "InvalidPart" {
			t.Fatalf("failure body %q: %v", rec.Body.String(), err)
		}
		switch rec.Code {
		case 200: // already committed when the failure came
			committed = true
		case 400:
		default:
			t.Fatalf("status %d", rec.Code)
		}
	}
	if !committed {
		t.Fatal("the keep-alive never committed before the failure in 20 tries")
	}
	mustStatus(t, serveSigned(t, h, "GET", "/"+bucket+"/obj", nil), 404)
}

// A committed Complete in a versioning-Enabled bucket sends the new
// version's id among its headers, as S3 does (CompleteMultipartUpload,
// "Response Syntax": x-amz-version-id), and that is the id GET finds.
func TestCompleteKeepAliveVersionID(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) {
		h.keepAliveAfter = time.Nanosecond
		h.keepAliveInterval = time.Nanosecond
	})
	for attempt := 0; ; attempt++ {
		bucket := "keepalive-v" + strconv.Itoa(attempt)
		mustStatus(t, serveSigned(t, h, "PUT", "/"+bucket, nil), 200)
		mustStatus(t, serveSigned(t, h, "PUT", "/"+bucket+"?versioning", []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)), 200)
		id, etag := startUpload(t, h, bucket, "obj")
		rec := serveSigned(t, h, "POST", "/"+bucket+"/obj?uploadId="+id, completeBody(etag))
		mustStatus(t, rec, 200)
		if rec.Header().Get("Content-Length") != "" {
			if attempt < 20 {
				continue // answered before the keep-alive committed: try again
			}
			t.Fatal("the keep-alive never committed in 20 tries")
		}
		vid := rec.Header().Get("X-Amz-Version-Id")
		if vid == "" || vid == "null" {
			t.Fatalf("committed Complete answered x-amz-version-id %q", vid)
		}
		got := serveSigned(t, h, "GET", "/"+bucket+"/obj", nil)
		mustStatus(t, got, 200)
		if got.Header().Get("X-Amz-Version-Id") != vid || got.Body.String() != "only part" {
			t.Fatalf("GET: version %q body %q, Complete answered %q", got.Header().Get("X-Amz-Version-Id"), got.Body.String(), vid)
		}
		return
	}
}

// Without a slow complete the answer is an ordinary response with a length.
func TestCompleteFastIsPlain(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	id, _ := startUpload(t, h, "plain", "obj")
	rec := serveSigned(t, h, "POST", "/plain/obj?uploadId="+id, completeBody(`"00000000000000000000000000000000"`))
	mustStatus(t, rec, 400)
	if !strings.Contains(rec.Body.String(), "<Code>InvalidPart</Code>") {
		t.Fatalf("body %s", rec.Body.String())
	}
}

// The handler's cleanup loop removes uploads older than
// abort_incomplete_after, and leaves younger ones.
func TestAbortIncompleteAfter(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) {
		h.AbortIncompleteAfter = caddy.Duration(time.Second)
	})
	id, _ := startUpload(t, h, "stale", "obj")
	list := func() string {
		rec := serveSigned(t, h, "GET", "/stale?uploads", nil)
		mustStatus(t, rec, 200)
		return rec.Body.String()
	}
	if !strings.Contains(list(), id) {
		t.Fatal("fresh upload not listed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(list(), id) {
		if time.Now().After(deadline) {
			t.Fatal("upload older than abort_incomplete_after was not removed within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	rec := serveSigned(t, h, "GET", "/stale/obj?uploadId="+id, nil)
	mustStatus(t, rec, 404)
	if !strings.Contains(rec.Body.String(), "NoSuchUpload") {
		t.Errorf("body %s", rec.Body.String())
	}
}

// After Cleanup (a config reload replaced this handler) a late request gets
// a retryable 503 instead of blocking or touching a closed store.
func TestRequestAfterCleanup(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	mustStatus(t, serveSigned(t, h, "PUT", "/late", nil), 200)
	if err := h.Cleanup(); err != nil {
		t.Fatal(err)
	}
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- serveSigned(t, h, "GET", "/late", nil) }()
	select {
	case rec := <-done:
		mustStatus(t, rec, 503)
		if !strings.Contains(rec.Body.String(), "<Code>ServiceUnavailable</Code>") {
			t.Errorf("body %s", rec.Body.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request after Cleanup blocked")
	}
}
