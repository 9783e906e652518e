package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/internal/testserver"
)

// getHealth sends an unsigned method request to base+path and returns the
// status, the MinIO status header and the body.
func getHealth(t *testing.T, method, base, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Minio-Server-Status"), string(body)
}

// TestHealthEndpoints: the configured paths and MinIO's answer GET and
// HEAD without authentication; readiness turns 503 (with MinIO's
// X-Minio-Server-Status: offline) when nothing can be created under the
// root's .caddys3/ and back to 200 when it can, while liveness stays 200;
// other methods on those paths are S3 requests as before.
func TestHealthEndpoints(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	s := startExtraServer(t, "", port, root, "health_live /healthz", "health_ready /readyz")
	base := s.URL()
	live := []string{"/healthz", "/minio/health/live"}
	ready := []string{"/readyz", "/minio/health/ready"}
	for _, p := range append(live, ready...) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if st, off, body := getHealth(t, m, base, p); st != http.StatusOK || off != "" || body != "" {
				t.Errorf("%s %s: %d %q %q, want 200 with an empty body", m, p, st, off, body)
			}
		}
	}
	// Not a health probe: an anonymous PUT is an S3 request (refused).
	if st, _, body := getHealth(t, http.MethodPut, base, "/minio/health/live"); st != http.StatusNotFound || !strings.Contains(body, "<Code>NoSuchBucket</Code>") {
		t.Errorf("PUT /minio/health/live: %d %s", st, body)
	}

	// The staging directory replaced by a file: no temp file can be made.
	tmp := filepath.Join(root, ".caddys3", "tmp")
	if err := os.Rename(tmp, tmp+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		os.Remove(tmp)
		os.Rename(tmp+".away", tmp)
	}
	defer restore()
	waitHealth(t, base, ready, http.StatusServiceUnavailable, "offline")
	waitHealth(t, base, live, http.StatusOK, "")
	restore()
	waitHealth(t, base, ready, http.StatusOK, "")
	// The provision and start lines: sources by name, never a secret.
	for _, want := range []string{`"msg":"s3: configured","root":"` + root + `"`, `"credentials":["static"]`, `"msg":"s3: store open"`, `"metadata":"`} {
		if !strings.Contains(s.Logs(), want) {
			t.Errorf("the log lacks %s", want)
		}
	}
	if strings.Contains(s.Logs(), "alicesecret") || strings.Contains(s.Logs(), "no credentials configured") {
		t.Error("the log shows a secret or the anonymous-only warning")
	}
	if logs := s.Logs(); !strings.Contains(logs, "s3: not ready") || !strings.Contains(logs, "s3: ready again") {
		t.Errorf("the readiness changes are not logged:\n%s", s.Tail(20))
	}
}

// waitHealth waits (readiness is cached for a second) until every path
// answers a GET with status and the MinIO status header off.
func waitHealth(t *testing.T, base string, paths []string, status int, off string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range paths {
		for {
			st, o, _ := getHealth(t, http.MethodGet, base, p)
			if st == status && o == off {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %d %q, want %d %q", p, st, o, status, off)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestValidateCreatesNothing: caddy validate provisions the s3 handler
// without creating its root (or anything under an existing one); the
// first start creates them.
func TestValidateCreatesNothing(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "not", "yet", "root")
	cfg := extraConfig(port, root, "off", "admin_api_keys AKIAEXAMPLEALICE0001")
	cfg.Dir = dir
	s, err := testserver.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	validate := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := s.Command(ctx, "validate", "--config", s.ConfigPath, "--adapter", "caddyfile").CombinedOutput(); err != nil {
			t.Fatalf("caddy validate: %v\n%s", err, out)
		}
	}
	validate()
	if _, err := os.Stat(filepath.Join(dir, "not")); !os.IsNotExist(err) {
		t.Fatalf("caddy validate created the root's parents (stat: %v)", err)
	}

	s = startExtraServer(t, dir, port, root, "admin_api_keys AKIAEXAMPLEALICE0001")
	// The listener may be up before the store is open: readiness says when.
	waitHealth(t, s.URL(), []string{"/minio/health/ready"}, http.StatusOK, "")
	for _, p := range []string{".caddys3/tmp", ".caddys3/buckets", ".caddys3/objstore/users"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("the first start did not create %s: %v", p, err)
		}
	}
	s.Stop()
	before := treeOf(t, root)
	validate()
	if after := treeOf(t, root); after != before {
		t.Errorf("caddy validate changed the root:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// treeOf lists every path under root with its modification time.
func treeOf(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %s\n", p, fi.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCaddyfileErrorShowsLineAndValue: caddy validate names the file, the
// line and the bad value.
func TestCaddyfileErrorShowsLineAndValue(t *testing.T) {
	dir := t.TempDir()
	cfg := extraConfig(1, filepath.Join(dir, "root"), "off", "max_object_size lots")
	cfg.Dir = dir
	s, err := testserver.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.Command(ctx, "validate", "--config", s.ConfigPath, "--adapter", "caddyfile").CombinedOutput()
	if err == nil {
		t.Fatalf("caddy validate accepted max_object_size lots:\n%s", out)
	}
	line := 1 + strings.Count(cfg.Caddyfile[:strings.Index(cfg.Caddyfile, "max_object_size lots")], "\n")
	if want := fmt.Sprintf(`max_object_size "lots" is not a size (such as 5GiB, 100MB or 1048576), at %s:%d`, s.ConfigPath, line); !strings.Contains(strings.ReplaceAll(string(out), `\"`, `"`), want) { // the log line is JSON
		t.Errorf("caddy validate (%v) said:\n%s\nwant %q in it", err, out, want)
	}
}

// TestNoCredentialsWarns: an s3 block without any credential source warns
// at provision that it serves anonymous requests only.
func TestNoCredentialsWarns(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := extraConfig(port, t.TempDir(), "off")
	cfg.Caddyfile = cfg.Caddyfile[:strings.Index(cfg.Caddyfile, "\t\tcredentials static {")] + "\t}\n}\n"
	cfg.Dir = t.TempDir()
	s := testserver.Start(t, cfg)
	if !strings.Contains(s.Logs(), "s3: no credentials configured: this s3 block serves anonymous requests only") {
		t.Errorf("no warning for an s3 block without credentials:\n%s", s.Tail(15))
	}
}
