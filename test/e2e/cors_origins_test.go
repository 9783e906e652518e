package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestCorsOrigins: a real server with `cors_origins` answers browsers from
// the listed origins for every bucket without a CORS configuration of its
// own (preflights, signed and anonymous requests, errors included) and
// exposes ETag; a bucket's own configuration wins; other origins get no
// CORS headers. The harness's own server (no cors_origins) answers none.
func TestCorsOrigins(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	const ui, cloud, other, evil = "http://ui.example:8080", "https://mgmt.cloud.example", "https://other.example", "https://evil.example"
	s := startExtraServer(t, "", port, t.TempDir(), "cors_origins "+ui+" https://*.cloud.example")
	base := s.URL()
	plain, own := newBucketName("corso-plain"), newBucketName("corso-own")
	for _, b := range []string{plain, own} {
		wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + b, Creds: &alice}), 200)
	}
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + plain + "/k", Body: []byte("v"), Creds: &alice}), 200)
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + own + "/k", Body: []byte("v"), Creds: &alice}), 200)
	ownCORS := `<CORSConfiguration><CORSRule><AllowedOrigin>` + other + `</AllowedOrigin><AllowedMethod>GET</AllowedMethod>` +
		`<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>x-amz-request-id</ExposeHeader></CORSRule></CORSConfiguration>`
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + own, Query: map[string][]string{"cors": {""}}, Body: []byte(ownCORS), Creds: &alice}), 200)

	preflight := func(base, origin, path string) rawResp {
		return doRaw(t, rawReq{Method: "OPTIONS", Base: base, Path: path, Header: http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {"PUT"},
			"Access-Control-Request-Headers": {"authorization,x-amz-date,x-amz-content-sha256,content-md5,x-amz-meta-owner"},
		}})
	}
	for _, c := range []struct {
		name, base, origin, path string
		status                   int
		allow                    string
	}{
		{"listed origin, bucket without CORS", base, ui, "/" + plain + "/new", 200, ui},
		{"wildcard origin", base, cloud, "/" + plain + "/new", 200, cloud},
		{"listed origin, no such bucket", base, ui, "/" + newBucketName("corso-none") + "/k", 200, ui},
		{"unlisted origin", base, evil, "/" + plain + "/new", 403, ""},
		{"the bucket's own CORS configuration wins", base, ui, "/" + own + "/new", 403, ""},
		{"the bucket's own CORS configuration allows its origin", base, other, "/" + own + "/new", 200, other},
		{"no cors_origins (the harness's server)", srv.base, ui, "/" + makeBucket(t, alice, "corso-h") + "/new", 403, ""},
	} {
		t.Run("preflight "+c.name, func(t *testing.T) {
			r := preflight(c.base, c.origin, c.path)
			wantStatus(t, r, c.status)
			wantCORS(t, r, c.allow)
			if c.allow != "" && !strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "x-amz-meta-owner") {
				t.Errorf("Access-Control-Allow-Headers %q", r.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
	for _, c := range []struct {
		name, origin, path string
		signed             bool
		status             int
		allow              string
	}{
		{"signed GET, bucket without CORS", ui, "/" + plain + "/k", true, 200, ui},
		{"anonymous GET refused, readable cross-origin", ui, "/" + plain + "/k", false, 403, ui},
		{"signed GET of a missing key, readable cross-origin", ui, "/" + plain + "/missing", true, 404, ui},
		{"unlisted origin", evil, "/" + plain + "/k", true, 200, ""},
		{"the bucket's own CORS configuration wins", ui, "/" + own + "/k", true, 200, ""},
	} {
		t.Run("request "+c.name, func(t *testing.T) {
			req := rawReq{Method: "GET", Base: base, Path: c.path, Header: http.Header{"Origin": {c.origin}}}
			if c.signed {
				req.Creds = &alice
			}
			r := doRaw(t, req)
			wantStatus(t, r, c.status)
			wantCORS(t, r, c.allow)
		})
	}
}

// wantCORS asserts Access-Control-Allow-Origin (empty: no CORS headers at
// all) and, when allowed, that ETag is exposed without credentials.
func wantCORS(t *testing.T, r rawResp, allow string) {
	t.Helper()
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != allow {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, allow)
	}
	if allow == "" {
		for k := range r.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: %q without an allowed origin", k, r.Header.Get(k))
			}
		}
		return
	}
	if allow == "https://other.example" {
		return // the bucket's own rule: its own ExposeHeaders
	}
	exp := ", " + r.Header.Get("Access-Control-Expose-Headers") + ","
	for _, h := range []string{"ETag", "x-amz-version-id", "x-amz-request-id"} {
		if !strings.Contains(exp, ", "+h+",") {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exp, h)
		}
	}
	if r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("cors_origins sent Access-Control-Allow-Credentials")
	}
}
