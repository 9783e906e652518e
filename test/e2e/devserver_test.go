package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// devServer runs `caddy s3-server` with args; it returns the lines printed
// up to the "Try:" line and the one after it, and stderr so far. The
// process is killed when the test ends.
func devServer(t *testing.T, args ...string) (out []string, stderr *lockedWriter) {
	t.Helper()
	cmd := exec.Command(srv.bin, append([]string{"s3-server"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+cmd.Dir, "XDG_DATA_HOME="+cmd.Dir, "XDG_CONFIG_HOME="+cmd.Dir, "S3_ACCESS_KEY=", "S3_SECRET_KEY=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = new(lockedWriter)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("s3-server ended before its Try: line; printed %q, stderr:\n%s", out, stderr)
			}
			out = append(out, l)
			if len(out) >= 2 && out[len(out)-2] == "Try:" {
				go io.Copy(io.Discard, stdout)
				return out, stderr
			}
		case <-timeout:
			t.Fatalf("no Try: line within a minute; printed %q", out)
		}
	}
}

// lockedWriter lets the test read stderr while the process writes it
// (exec copies into it from its own goroutine).
type lockedWriter struct {
	mu sync.Mutex
	w  strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// TestDevServer: the s3-server command prints where data and metadata
// live and a Try: line that works when pasted into a shell (run with the
// real aws CLI), refuses a port another copy already serves, and warns
// loudly when it listens beyond loopback with the published secret.
func TestDevServer(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "data")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	out, _ := devServer(t, "--listen", addr, "--root", root)
	text := strings.Join(out, "\n")
	if !regexp.MustCompile(`(?m)^  data: +` + regexp.QuoteMeta(root) + ` \(metadata in (xattrs|sidecars)\)$`).MatchString(text) {
		t.Errorf("no data line with the metadata mode:\n%s", text)
	}
	try := out[len(out)-1]
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is needed (test/install-deps installs it)")
	}
	cmd := exec.Command("bash", "-c", try)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Try: line %q failed: %v\n%s", try, err, b)
	}
	if fi, err := os.Stat(filepath.Join(root, "demo")); err != nil || !fi.IsDir() {
		t.Errorf("the Try: line made no bucket demo: %v", err)
	}

	// A second copy on the same port is refused.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	second := exec.CommandContext(ctx, srv.bin, "s3-server", "--listen", addr, "--root", t.TempDir())
	second.Dir = t.TempDir()
	second.Env = append(os.Environ(), "HOME="+second.Dir)
	b, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "another process already serves this address") {
		t.Errorf("a second s3-server on %s: %v\n%s", addr, err, b)
	}
	if st, _, _ := getHealth(t, http.MethodGet, "http://"+addr, "/minio/health/live"); st != http.StatusOK {
		t.Errorf("the first server after the second was refused: %d", st)
	}

	// Everywhere, with the published key: a loud warning; the Try: line
	// dials loopback.
	port2, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	out, stderr := devServer(t, "--listen", fmt.Sprintf(":%d", port2), "--root", t.TempDir())
	// stderr is copied by exec's own goroutine: give it a moment.
	for end := time.Now().Add(5 * time.Second); !strings.Contains(stderr.String(), "PUBLISHED") && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "WARNING: listening on") || !strings.Contains(stderr.String(), "PUBLISHED") {
		t.Errorf("no warning for the published key beyond loopback; stderr:\n%s", stderr)
	}
	if try := out[len(out)-1]; !strings.Contains(try, fmt.Sprintf("--endpoint-url http://127.0.0.1:%d ", port2)) {
		t.Errorf("Try: line %q does not dial loopback", try)
	}
}
