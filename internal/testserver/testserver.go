// Package testserver builds, starts and stops the real server for the
// end-to-end test packages (test/e2e, test/cloudstack), so each runs the
// same binary the same way: Build the binary once, then Start (in a test)
// or Launch (in TestMain) one server process per config.
package testserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// RepoRoot is the directory holding go.mod, found upwards from the test's
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Build returns the server binary: $CADDYS3_BIN when set, else ./cmd/caddy
// built into dir (with -race when the tests run with it). The go command's
// output goes to standard error; logf, when not nil, reports which binary.
func Build(dir string, logf func(format string, args ...any)) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if bin := os.Getenv("CADDYS3_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", err
		}
		logf("using prebuilt server %s", abs)
		return abs, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "caddy")
	args := []string{"build", "-o", bin}
	if Race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/caddy")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	goBin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	} else if gr := os.Getenv("GOROOT"); gr != "" {
		goBin = filepath.Join(gr, "bin", "go")
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	logf("built %s (race=%v) in %v", bin, Race, time.Since(start).Round(time.Second))
	return bin, nil
}

// FreePort is a loopback TCP port nobody listens on right now.
func FreePort() (int, error) {
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// FreePorts is n different loopback TCP ports nobody listens on right now.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Held open until all are picked, so no port comes twice.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
