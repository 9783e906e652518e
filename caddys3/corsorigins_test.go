package caddys3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

const (
	corsUI    = "https://ui.example:8443"
	corsOther = "https://other.example"
	corsEvil  = "https://evil.example"
)

// corsTestHandler has cors_origins (if any), a bucket "plain" without a
// CORS configuration and a bucket "own" whose configuration allows only
// corsOther.
func corsTestHandler(t *testing.T, origins ...string) *Handler {
	t.Helper()
	h := provisionServeTestHandler(t, func(h *Handler) { h.CORSOrigins = origins })
	for _, b := range []string{"plain", "own"} {
		mustStatus(t, serveSigned(t, h, "PUT", "/"+b, nil), 200)
	}
	cors := `<CORSConfiguration><CORSRule><AllowedOrigin>` + corsOther + `</AllowedOrigin>` +
		`<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>` +
		`<ExposeHeader>x-amz-meta-only</ExposeHeader></CORSRule></CORSConfiguration>`
	mustStatus(t, serveSigned(t, h, "PUT", "/own?cors", []byte(cors)), 200)
	return h
}

func servePreflight(t *testing.T, h *Handler, origin, target string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("OPTIONS", "http://s3.test"+target, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", "PUT")
	r.Header.Set("Access-Control-Request-Headers", "authorization, x-amz-date, x-amz-content-sha256, x-amz-meta-owner")
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, r, nil); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestCORSOriginsDecision: who answers a browser's preflight and actual
// request, cors_origins or the bucket's own configuration.
func TestCORSOriginsDecision(t *testing.T) {
	h := corsTestHandler(t, corsUI)
	none := corsTestHandler(t)
	for _, c := range []struct {
		name           string
		h              *Handler
		origin, target string
		status         int
		allow          string // Access-Control-Allow-Origin wanted ("" none)
		expose         string // a header Access-Control-Expose-Headers must list
	}{
		{"listed origin, bucket without CORS", h, corsUI, "/plain/k", 200, corsUI, "ETag"},
		{"listed origin, bucket path only", h, corsUI, "/plain", 200, corsUI, "x-amz-request-id"},
		{"listed origin, no such bucket", h, corsUI, "/missing/k", 200, corsUI, "ETag"},
		{"listed origin, service level", h, corsUI, "/", 200, corsUI, "ETag"},
		{"unlisted origin", h, corsEvil, "/plain/k", 403, "", ""},
		{"the bucket's own configuration wins over cors_origins", h, corsUI, "/own/k", 403, "", ""},
		{"the bucket's own configuration allows its origin", h, corsOther, "/own/k", 200, corsOther, "x-amz-meta-only"},
		{"no cors_origins: bucket without CORS", none, corsUI, "/plain/k", 403, "", ""},
		{"no cors_origins: no such bucket", none, corsUI, "/missing/k", 403, "", ""},
	} {
		t.Run("preflight: "+c.name, func(t *testing.T) {
			rec := servePreflight(t, c.h, c.origin, c.target)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			checkCORS(t, rec.Header(), c.allow, c.expose)
			if c.status == 200 && !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "x-amz-meta-owner") {
				t.Errorf("Access-Control-Allow-Headers %q lacks the requested x-amz-meta-owner", rec.Header().Get("Access-Control-Allow-Headers"))
			}
		})
	}
	for _, c := range []struct {
		name, origin, target string
		h                    *Handler
		status               int
		allow, expose        string
	}{
		{"listed origin, bucket without CORS", corsUI, "/plain?location", h, 200, corsUI, "ETag"},
		{"listed origin, error answers readable", corsUI, "/plain/missing-key", h, 404, corsUI, "x-amz-request-id"},
		{"listed origin, no such bucket", corsUI, "/missing?location", h, 404, corsUI, "ETag"},
		{"unlisted origin", corsEvil, "/plain?location", h, 200, "", ""},
		{"the bucket's own configuration wins over cors_origins", corsUI, "/own?location", h, 200, "", ""},
		{"the bucket's own configuration allows its origin", corsOther, "/own?location", h, 200, corsOther, "x-amz-meta-only"},
		{"no cors_origins", corsUI, "/plain?location", none, 200, "", ""},
	} {
		t.Run("request: "+c.name, func(t *testing.T) {
			rec := serveSignedWith(t, c.h, "GET", c.target, nil, http.Header{"Origin": {c.origin}})
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			checkCORS(t, rec.Header(), c.allow, c.expose)
			if c.h == h && !strings.HasPrefix(c.target, "/own") && !strings.Contains(rec.Header().Get("Vary"), "Origin") {
				t.Errorf("with cors_origins, Vary %q lacks Origin", rec.Header().Get("Vary"))
			}
		})
	}
	t.Run("request: a bad signature is readable cross-origin", func(t *testing.T) {
		r := httptest.NewRequest("GET", "http://s3.test/plain?location", nil)
		r.Header.Set("Origin", corsUI)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+serveTestKey+"/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		r.Header.Set("X-Amz-Date", "20200101T000000Z")
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, r, nil)
		if rec.Code != 403 {
			t.Fatalf("status %d, want 403: %s", rec.Code, rec.Body)
		}
		checkCORS(t, rec.Header(), corsUI, "ETag")
	})
}

func checkCORS(t *testing.T, hdr http.Header, allow, expose string) {
	t.Helper()
	if got := hdr.Get("Access-Control-Allow-Origin"); got != allow {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, allow)
	}
	if allow == "" {
		if got := hdr.Get("Access-Control-Expose-Headers"); got != "" {
			t.Errorf("Access-Control-Expose-Headers %q without an allowed origin", got)
		}
		return
	}
	if hdr.Get("Access-Control-Allow-Credentials") != "" && allow == corsUI {
		t.Errorf("cors_origins sent Access-Control-Allow-Credentials")
	}
	list := strings.Split(hdr.Get("Access-Control-Expose-Headers"), ", ")
	found := false
	for _, e := range list {
		found = found || strings.EqualFold(e, expose)
	}
	if !found {
		t.Errorf("Access-Control-Expose-Headers %q lacks %s", hdr.Get("Access-Control-Expose-Headers"), expose)
	}
	if !strings.Contains(hdr.Get("Vary"), "Origin") {
		t.Errorf("Vary %q lacks Origin", hdr.Get("Vary"))
	}
}

// TestCORSOriginsStar: "*" allows every origin, answered with "*".
func TestCORSOriginsStar(t *testing.T) {
	h := corsTestHandler(t, "*")
	rec := servePreflight(t, h, corsEvil, "/plain/k")
	mustStatus(t, rec, 200)
	checkCORS(t, rec.Header(), "*", "ETag")
	rec = serveSignedWith(t, h, "GET", "/plain?location", nil, http.Header{"Origin": {corsEvil}})
	checkCORS(t, rec.Header(), "*", "ETag")
	// The bucket's own configuration still decides for its bucket.
	checkCORS(t, servePreflight(t, h, corsEvil, "/own/k").Header(), "", "")
}

// TestCORSOriginsWildcard: one "*" in an origin matches a host pattern.
func TestCORSOriginsWildcard(t *testing.T) {
	h := corsTestHandler(t, "https://*.example:8443")
	checkCORS(t, servePreflight(t, h, corsUI, "/plain/k").Header(), corsUI, "ETag")
	checkCORS(t, servePreflight(t, h, "http://ui.example:8443", "/plain/k").Header(), "", "")
}

func TestCORSOriginsValidate(t *testing.T) {
	for _, c := range []struct {
		origins []string
		ok      bool
	}{
		{nil, true},
		{[]string{"*"}, true},
		{[]string{"https://cloud.example.com", "http://10.0.0.1:8080"}, true},
		{[]string{"https://*.example.com"}, true},
		{[]string{"*", "https://a.example"}, false},
		{[]string{"cloud.example.com"}, false},
		{[]string{"https://cloud.example.com/client"}, false},
		{[]string{"ftp://cloud.example.com"}, false},
		{[]string{"https://*.*.example.com"}, false},
	} {
		if err := validCORSOrigins(c.origins); (err == nil) != c.ok {
			t.Errorf("validCORSOrigins(%q) = %v, want ok=%v", c.origins, err, c.ok)
		}
		h := &Handler{CORSOrigins: c.origins}
		if err := h.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate with cors_origins %q = %v, want ok=%v", c.origins, err, c.ok)
		}
	}
}

func TestCORSOriginsCaddyfile(t *testing.T) {
	var h Handler
	d := caddyfile.NewTestDispenser(`s3 {
		root /srv
		cors_origins https://cloud.example.com http://10.1.1.1:8080
		cors_origins https://*.example.org
	}`)
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	want := []string{"https://cloud.example.com", "http://10.1.1.1:8080", "https://*.example.org"}
	if strings.Join(h.CORSOrigins, " ") != strings.Join(want, " ") {
		t.Fatalf("cors_origins %q, want %q", h.CORSOrigins, want)
	}
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("s3 {\n cors_origins\n}")); err == nil {
		t.Fatal("cors_origins without an origin accepted")
	}
}
