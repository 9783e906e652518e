package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// extraServer is one more server process of the harness's binary, for
// tests that need a second node or a server they can kill and restart.
type extraServer struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	base    string
	logPath string
}

// startExtraServer writes caddyfile (with {{PORT}} and {{ROOT}} replaced) to
// dir and runs it; the process is killed when the test ends, and a data
// race in its log fails the test.
func startExtraServer(t *testing.T, dir, caddyfile, root string, port int) *extraServer {
	t.Helper()
	home := filepath.Join(dir, "home")
	for _, d := range []string{filepath.Join(home, "data"), filepath.Join(home, "config")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfPath := filepath.Join(dir, "Caddyfile")
	cf := strings.NewReplacer("{{PORT}}", fmt.Sprint(port), "{{ROOT}}", root).Replace(caddyfile)
	if err := os.WriteFile(cfPath, []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &extraServer{exited: make(chan struct{}), base: fmt.Sprintf("http://127.0.0.1:%d", port),
		logPath: filepath.Join(dir, fmt.Sprintf("server-%d.log", time.Now().UnixNano()))}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(srv.bin, "run", "--config", cfPath, "--adapter", "caddyfile")
	s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = dir, logFile, logFile
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", bobSecretEnv:
			continue
		}
		env = append(env, kv)
	}
	s.cmd.Env = append(env, "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), bobSecretEnv+"="+bobSecret, "GORACE=halt_on_error=0")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.exited) }()
	showLog := func() {
		b, _ := os.ReadFile(s.logPath)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		t.Logf("server log %s (tail):\n%s", s.logPath, b)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if b, _ := os.ReadFile(s.logPath); bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			t.Errorf("the race detector fired in %s", s.logPath)
			showLog()
		} else if t.Failed() {
			showLog()
		}
	})
	hostport := strings.TrimPrefix(s.base, "http://")
	for deadline := time.Now().Add(90 * time.Second); ; {
		select {
		case <-s.exited:
			showLog()
			t.Fatal("server exited early")
		default:
		}
		if c, err := net.DialTimeout("tcp", hostport, time.Second); err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			showLog()
			t.Fatal("server not up after 90s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
