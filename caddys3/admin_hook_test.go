package caddys3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func adminJSON(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var e struct{ Code, RequestId string }
	if rec.Code != status || rec.Header().Get("Content-Type") != "application/json" ||
		json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != code || e.RequestId == "" {
		t.Fatalf("got %d %s %s, want %d %s as JSON", rec.Code, rec.Header().Get("Content-Type"), rec.Body, status, code)
	}
}

func s3XML(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status || !strings.Contains(rec.Body.String(), "<Code>"+code+"</Code>") {
		t.Fatalf("got %d %s, want %d %s as XML", rec.Code, rec.Body, status, code)
	}
}

// The admin API answers only where admin_api_keys is set, only to a
// listed key, and the empty region is taken only there.
func TestAdminAPIRouting(t *testing.T) {
	off := provisionServeTestHandler(t, nil)
	s3XML(t, serveSignedIn(t, off, "", "GET", "/minio/admin/v3/info", nil, nil), 400, "AuthorizationHeaderMalformed")
	s3XML(t, serveSignedIn(t, off, "us-east-1", "GET", "/minio/admin/v3/info", nil, nil), 404, "NoSuchBucket")

	on := provisionServeTestHandler(t, func(h *Handler) { h.AdminAPIKeys = []string{serveTestKey} })
	for _, region := range []string{"", "us-east-1"} {
		rec := serveSignedIn(t, on, region, "GET", "/minio/admin/v3/info", nil, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"mode":"online"`) {
			t.Fatalf("info signed for %q: %d %s", region, rec.Code, rec.Body)
		}
	}
	s3XML(t, serveSignedIn(t, on, "", "GET", "/", nil, nil), 400, "AuthorizationHeaderMalformed")
	adminJSON(t, serveSignedIn(t, on, "", "GET", "/minio/admin/v3/list-users", nil, nil), 501, "NotImplemented")
	if rec := serveSigned(t, on, "PUT", "/minio", nil); rec.Code < 400 {
		t.Fatalf("the bucket minio was created: %d", rec.Code)
	}

	other := provisionServeTestHandler(t, func(h *Handler) { h.AdminAPIKeys = []string{"AKIASOMEONEELSE00001"} })
	adminJSON(t, serveSignedIn(t, other, "", "GET", "/minio/admin/v3/info", nil, nil), 403, "AccessDenied")
}

// A hard quota set through the admin API bounds what PUT may add; the
// usage the admin API reports follows.
func TestBucketQuota(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) { h.AdminAPIKeys = []string{serveTestKey} })
	mustStatus(t, serveSigned(t, h, "PUT", "/qbucket", nil), 200)
	mustStatus(t, serveSignedIn(t, h, "", "PUT", "/minio/admin/v3/set-bucket-quota?bucket=qbucket", []byte(`{"quotatype":"hard","quota":10}`), nil), 200)
	s3XML(t, serveSigned(t, h, "PUT", "/qbucket/a", []byte("0123456789x")), 400, "XMinioAdminBucketQuotaExceeded")
	mustStatus(t, serveSigned(t, h, "PUT", "/qbucket/a", []byte("0123456")), 200)
	s3XML(t, serveSigned(t, h, "PUT", "/qbucket/b", []byte("0123")), 400, "XMinioAdminBucketQuotaExceeded")
	mustStatus(t, serveSigned(t, h, "PUT", "/qbucket/b", []byte("012")), 200)
	rec := serveSignedIn(t, h, "", "GET", "/minio/admin/v3/datausageinfo", nil, nil)
	var du struct{ BucketsSizes map[string]int64 }
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &du) != nil || du.BucketsSizes["qbucket"] != 10 {
		t.Fatalf("datausageinfo: %d %s", rec.Code, rec.Body)
	}
	adminJSON(t, serveSignedIn(t, h, "", "PUT", "/minio/admin/v3/set-bucket-quota?bucket=nope", []byte(`{"quotatype":"hard","quota":10}`), nil), 404, "NoSuchBucket")
}

// Concurrent writes on one node cannot take a bucket over its quota
// together: each admitted write counts until it finishes.
func TestBucketQuotaConcurrent(t *testing.T) {
	h := provisionServeTestHandler(t, func(h *Handler) { h.AdminAPIKeys = []string{serveTestKey} })
	mustStatus(t, serveSigned(t, h, "PUT", "/qconc", nil), 200)
	const part, n = 1 << 20, 12
	mustStatus(t, serveSignedIn(t, h, "", "PUT", "/minio/admin/v3/set-bucket-quota?bucket=qconc",
		[]byte(fmt.Sprintf(`{"quotatype":"hard","quota":%d}`, 5*part)), nil), 200)
	body := bytes.Repeat([]byte("q"), part)
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- serveSigned(t, h, "PUT", fmt.Sprintf("/qconc/k%d", i), body).Code
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		} else if c != 400 {
			t.Errorf("status %d", c)
		}
	}
	u, _, err := h.walkUsage(t.Context(), "qconc")
	if ok < 1 || ok > 5 || err != nil || u.Size > 5*part {
		t.Fatalf("%d writes admitted, usage %d (%v); the quota is 5 of them", ok, u.Size, err)
	}
}
