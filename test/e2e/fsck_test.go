package e2e

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/testserver"
)

// startOnFreePort is startExtraServer on a free port, in a temporary
// directory.
func startOnFreePort(t *testing.T, root string, s3opts ...string) *testserver.Server {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return startExtraServer(t, "", port, root, s3opts...)
}

// runFsck runs `caddy s3 fsck` of the server binary with args and returns
// its output and exit status.
func runFsck(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(srv.bin, append([]string{"s3", "fsck"}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fsck %v: %v", args, err)
	}
	return string(out), code
}

// Files copied into a bucket by hand get their ETag at the first read
// (up to repair_max_size); a larger one answers InvalidObjectState until
// `caddy s3 fsck --repair`, run while the server uses the root, repairs
// it. A directory made by hand becomes alice's bucket with --owner.
func TestFsckHandCopiedObjects(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	s := startOnFreePort(t, root, "repair_max_size 1KiB")
	base := s.URL()
	b := newBucketName("fsck-hand")
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + b, Creds: &alice}), 200)
	small, big := randomBytes(1000), randomBytes(4096)
	for name, body := range map[string][]byte{"small.bin": small, "dir/big.bin": big} {
		p := filepath.Join(root, b, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r := doRaw(t, rawReq{Method: "HEAD", Base: base, Path: objPath(b, "small.bin"), Creds: &alice})
	wantStatus(t, r, 200)
	if r.Header.Get("ETag") != `"`+md5Hex(small)+`"` || r.Header.Get("Content-Type") != "binary/octet-stream" {
		t.Errorf("HEAD of a hand-copied file: %s", r)
	}
	r = doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(b, "small.bin"), Creds: &alice})
	if r.Status != 200 || string(r.Body) != string(small) || r.Header.Get("ETag") != `"`+md5Hex(small)+`"` {
		t.Errorf("GET of a hand-copied file: %d %v", r.Status, r.Header)
	}

	r = doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(b, "small.bin"), Query: url.Values{"acl": {""}}, Creds: &alice})
	if r.Status != 200 || !strings.Contains(string(r.Body), "<Owner><ID>alice</ID>") {
		t.Errorf("the bucket's owner does not own the repaired object: %s", r)
	}

	wantStatus(t, doRaw(t, rawReq{Method: "HEAD", Base: base, Path: objPath(b, "dir/big.bin"), Creds: &alice}), http.StatusForbidden)
	e := wantXMLError(t, doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(b, "dir/big.bin"), Creds: &alice}), http.StatusForbidden, "InvalidObjectState")
	if !strings.Contains(e.Message, "caddy s3 fsck --repair") {
		t.Errorf("message %q does not say how to repair", e.Message)
	}

	hand := newBucketName("fsck-adopt")
	if err := os.MkdirAll(filepath.Join(root, hand), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, hand, "k"), []byte("v"), 0o644)
	wantXMLError(t, doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(hand, "k"), Creds: &alice}), 404, "NoSuchBucket")

	out, code := runFsck(t, "--root", root, "--offline", "--repair")
	if code == 0 || !strings.Contains(out, "servers are running on this root") {
		t.Errorf("offline check while a server runs: exit %d\n%s", code, out)
	}
	out, code = runFsck(t, "--root", root)
	if code != 1 || !strings.Contains(out, "found    objects without metadata: "+b+"/dir/big.bin") ||
		!strings.Contains(out, "found    directories that are not buckets: "+hand) {
		t.Errorf("check: exit %d\n%s", code, out)
	}
	out, code = runFsck(t, "--root", root, "--repair", "--owner", "alice")
	if code != 0 || !strings.Contains(out, "repaired objects without metadata: "+b+"/dir/big.bin") {
		t.Errorf("repair: exit %d\n%s", code, out)
	}
	r = doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(b, "dir/big.bin"), Creds: &alice})
	if r.Status != 200 || string(r.Body) != string(big) || r.Header.Get("ETag") != `"`+md5Hex(big)+`"` {
		t.Errorf("GET after the repair: %d %v", r.Status, r.Header)
	}
	r = doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(hand, "k"), Creds: &alice})
	if r.Status != 200 || string(r.Body) != "v" || r.Header.Get("ETag") != `"`+md5Hex([]byte("v"))+`"` {
		t.Errorf("GET in the adopted bucket: %s", r)
	}
	wantXMLError(t, doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(hand, "k"), Creds: &bob}), 403, "AccessDenied")
}
