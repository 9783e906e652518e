package e2e

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/internal/testserver"
)

// HTTP/1.1 faults of the transport, driven over raw TCP: a client that
// stalls mid-body, broken chunked framing, a refusal while the body is
// still coming, Expect: 100-continue refused, and an empty body with
// Expect followed by another request on the same connection.

// faultConn is a raw connection to base ("http://host:port") with a
// deadline that bounds the whole test.
func faultConn(t *testing.T, base string, d time.Duration) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(d))
	return c, bufio.NewReader(c)
}

// writeHead writes the request line and headers of req (signed by
// buildRaw) plus extra header lines, and nothing of the body.
func writeHead(t *testing.T, c net.Conn, req *http.Request, extra ...string) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	if req.ContentLength > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", req.ContentLength)
	}
	_ = req.Header.Write(&b)
	for _, l := range extra {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := c.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// readAnswer reads one final response (skipping 1xx) and its body; a
// "Connection: close" (which net/http takes out of the header) comes back
// as the header "X-Test-Close: 1".
func readAnswer(t *testing.T, br *bufio.Reader, method string) rawResp {
	t.Helper()
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		if resp.StatusCode >= 200 {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading the response body: %v", err)
			}
			if resp.Close {
				resp.Header.Set("X-Test-Close", "1")
			}
			return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
		}
	}
}

// unsignedPut is a PUT of key signed by alice with UNSIGNED-PAYLOAD and
// the given Content-Length (0 for none).
func unsignedPut(t *testing.T, base, bucket, key string, length int64) *http.Request {
	req := buildRaw(t, rawReq{Method: "PUT", Base: base, Path: objPath(bucket, key), Creds: &alice, PayloadHash: "UNSIGNED-PAYLOAD"})
	req.ContentLength = length
	return req
}

func wantCode(t *testing.T, r rawResp, status int, code string) {
	t.Helper()
	var e xmlError
	if r.Status != status || xml.Unmarshal(r.Body, &e) != nil || e.Code != code {
		t.Errorf("want %d %s, got %s", status, code, r)
	}
}

// A client that stops sending mid-body gets 400 RequestTimeout once
// Caddy's read_body_idle timeout (default 1m; 2s here) fires, not a 500,
// and nothing is stored.
func TestFaultStalledBodyRequestTimeout(t *testing.T) {
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := extraConfig(port, root, "off")
	cfg.Caddyfile = strings.Replace(cfg.Caddyfile, "skip_install_trust\n", "skip_install_trust\n\tservers {\n\t\ttimeouts {\n\t\t\tread_body_idle 2s\n\t\t}\n\t}\n", 1)
	cfg.Dir = dir
	testserver.Start(t, cfg)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/stall", Creds: &alice}), 200)

	c, br := faultConn(t, base, 20*time.Second)
	writeHead(t, c, unsignedPut(t, base, "stall", "k", 100))
	if _, err := c.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := readAnswer(t, br, "PUT")
	took := time.Since(start)
	wantCode(t, r, 400, "RequestTimeout")
	if took > 10*time.Second {
		t.Errorf("the answer took %v", took)
	}
	if r.Header.Get("X-Test-Close") == "" {
		t.Errorf("want Connection: close after a timed-out body, got %v", r.Header)
	}
	wantStatus(t, doRaw(t, rawReq{Method: "GET", Base: base, Path: "/stall/k", Creds: &alice}), 404)
}

// Broken chunked framing is the client's fault: 400, nothing published.
func TestFaultMalformedChunkedBody(t *testing.T) {
	bucket := makeBucket(t, alice, "chunk")
	for name, body := range map[string]string{
		"bad-size":  "5\r\nhello\r\nzz\r\n",
		"oversized": "5\r\nhello\r\nfffffffffffffffffff\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, br := faultConn(t, srv.base, 15*time.Second)
			writeHead(t, c, unsignedPut(t, srv.base, bucket, name, 0), "Transfer-Encoding: chunked")
			if _, err := c.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
			r := readAnswer(t, br, "PUT")
			if r.Status != 400 {
				t.Errorf("want 400, got %s", r)
			}
			wantCode(t, r, 400, "IncompleteBody")
			wantAbsent(t, bucket, name)
		})
	}
}

// A refusal while the body is still arriving reaches a client that sends
// its whole body before it reads (as Python's http.client does). The
// client's send buffer is shrunk to 4 KiB so the kernels cannot hold the
// body for it: the server must read it. Before the bounded drain of
// settleBody, net/http read 256 KiB and closed, and every write of these
// bodies failed with a broken pipe before the answer could be read.
func TestFaultEarlyRefusalReadable(t *testing.T) {
	bucket := makeBucket(t, alice, "early")
	for _, size := range []int{512 << 10, 768 << 10} {
		body := bytes.Repeat([]byte("x"), size)
		c, br := faultConn(t, srv.base, 15*time.Second)
		if err := c.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", objPath(bucket, "anon"), srv.hostport, len(body))
		if _, err := c.Write(append([]byte(head), body...)); err != nil {
			t.Fatalf("%d bytes: sending the body: %v", size, err)
		}
		r := readAnswer(t, br, "PUT")
		wantCode(t, r, 403, "AccessDenied")
	}
}

// Expect: 100-continue on a request refused before its body is read: the
// refusal comes at once, and the connection closes (the body never came).
func TestFaultContinueRefusedAtOnce(t *testing.T) {
	bucket := makeBucket(t, alice, "expect")
	c, br := faultConn(t, srv.base, 10*time.Second)
	start := time.Now()
	head := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", objPath(bucket, "anon"), srv.hostport)
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil {
		t.Fatalf("no answer after %v: %v", time.Since(start), err)
	}
	if resp.StatusCode != 403 {
		t.Errorf("want 403 without 100 Continue, got %d", resp.StatusCode)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the refusal took %v", took)
	}
	if !resp.Close {
		t.Errorf("want the connection closed after a refusal with the body unsent")
	}
}

// An empty PUT with Expect: 100-continue gets 100 Continue before its
// answer (S3 does; botocore misreads the connection's next response
// otherwise), and the next request on the connection is answered at once.
func TestFaultEmptyContinueThenNext(t *testing.T) {
	bucket := makeBucket(t, alice, "empty")
	c, br := faultConn(t, srv.base, 10*time.Second)
	writeHead(t, c, unsignedPut(t, srv.base, bucket, "e", 0), "Content-Length: 0", "Expect: 100-continue")
	resp, err := http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusContinue {
		t.Errorf("want 100 Continue first, got %d", resp.StatusCode)
	}
	if resp.StatusCode < 200 {
		wantStatus(t, readAnswer(t, br, "PUT"), 200)
	} else {
		resp.Body.Close()
	}
	start := time.Now()
	writeHead(t, c, unsignedPut(t, srv.base, bucket, "b", 1), "Expect: 100-continue")
	resp, err = http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue for the next request, got %v %v", resp, err)
	}
	if _, err := c.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, readAnswer(t, br, "PUT"), 200)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the next request took %v", took)
	}
}

// The same with boto3 (pip's python3 on PATH), which sends Expect:
// 100-continue on every PutObject: put a, empty e, then b on the same
// connection with an 8 s read timeout; b must not wait for it.
func TestFaultEmptyContinueBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 (with boto3) is needed: ", err)
	}
	bucket := makeBucket(t, alice, "boto")
	script := `
import sys, time, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
    aws_secret_access_key=sys.argv[3], region_name="us-east-1",
    config=Config(read_timeout=8, retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
for k, body in (("a", b"x"), ("e", b""), ("b", b"y")):
    t = time.time()
    s3.put_object(Bucket=sys.argv[4], Key=k, Body=body)
    print(k, round(time.time() - t, 2))
`
	cmd := exec.Command(py, "-c", script, srv.base, aliceKey, aliceSecret, bucket)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	// Each put's own time, as the script measured it (not Python's start,
	// which a loaded machine makes slow): a put that waited for the
	// empty body would take the 8 s read timeout, or fail with it.
	timed := 0
	for _, line := range strings.Split(string(out), "\n") {
		var key string
		var secs float64
		if n, _ := fmt.Sscanf(line, "%s %g", &key, &secs); n != 2 || !strings.Contains("aeb", key) || len(key) != 1 {
			continue // a warning Python printed
		}
		timed++
		if secs > 6 {
			t.Errorf("PutObject of %s took %.2f s:\n%s", key, secs, out)
		}
	}
	if timed != 3 {
		t.Errorf("boto3 timed %d puts, want 3:\n%s", timed, out)
	}
	for _, k := range []string{"a", "e", "b"} {
		if !objectExists(t, bucket, k) {
			t.Errorf("%s was not stored", k)
		}
	}
}
