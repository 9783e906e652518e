package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Config says how to run one server process.
type Config struct {
	// Bin is the server binary (see Build).
	Bin string
	// Dir holds the config file, the log (server.log) and the server's
	// home (home/, with Caddy's data and config directories, so its local
	// CA and certificates stay in the test). Start defaults it to
	// t.TempDir(); Launch needs it.
	Dir string

	// The configuration: Caddyfile or JSON text (written to Dir/Caddyfile
	// or Dir/caddy.json), or ConfigFile, a file used as it is (adapted as
	// a Caddyfile unless its name ends in .json). Exactly one is set.
	Caddyfile  string
	JSON       string
	ConfigFile string

	// Env is added to the server's environment. The server does not
	// inherit what could configure it from the test process: HOME,
	// XDG_*, GORACE, CADDYS3_*, CLOUDSTACK_* and CLOUD_SECRET_KEY are
	// dropped (HOME and XDG_* point into Dir, GORACE keeps a data race
	// from stopping the server so the whole report reaches the log).
	Env map[string]string

	// Wait lists the TCP addresses that must accept connections before
	// the server counts as up; the first is Server.Addr.
	Wait []string
	// WaitTLS lists host:port pairs that must complete a TLS handshake
	// trusted by Caddy's local CA (tls internal or local_certs) before
	// the server counts as up. The host is the SNI name; every name is
	// dialed on 127.0.0.1 (see DialLoopback).
	WaitTLS []string
	// Admin is the admin endpoint (host:port) the config enables, for
	// Reload and AdminURL.
	Admin string
	// Timeout bounds the start-up; default 90 s.
	Timeout time.Duration
}

// Server is a running server process. Its output goes to LogPath.
type Server struct {
	// Addr is Config.Wait[0] ("" when Wait is empty).
	Addr string
	// Dir, Home, ConfigPath and LogPath are where its files are.
	Dir, Home, ConfigPath, LogPath string

	cfg     Config
	adapter string
	cmd     *exec.Cmd
	exited  chan struct{}
	stop    sync.Once
	pool    *x509.CertPool
}

// URL is "http://" + Addr.
func (s *Server) URL() string { return "http://" + s.Addr }

// AdminURL is the admin endpoint's base URL ("http://" + Config.Admin).
func (s *Server) AdminURL() string { return "http://" + s.cfg.Admin }

// CAFile is the root certificate of the server's local CA (Caddy writes it
// when a site uses tls internal or local_certs).
func (s *Server) CAFile() string {
	return filepath.Join(s.Home, "data", "caddy", "pki", "authorities", "local", "root.crt")
}

// CAPool holds the local CA's root once WaitTLS has succeeded (nil before,
// or without WaitTLS).
func (s *Server) CAPool() *x509.CertPool { return s.pool }

// Logs is everything the server has written to its log so far.
func (s *Server) Logs() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// Tail is the last n lines of the log.
func (s *Server) Tail(n int) string { return TailFile(s.LogPath, n) }

// Raced reports that the race detector fired in the server.
func (s *Server) Raced() bool { return strings.Contains(s.Logs(), "WARNING: DATA RACE") }

// Exited is closed when the process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Stop ends the server (SIGTERM, SIGKILL after 10 s) and waits for it; it
// may be called more than once.
func (s *Server) Stop() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// Pid is the server process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
// A process that outlives SIGKILL by seconds is stuck in the kernel (a
// FUSE request its filesystem's daemon does not answer): its threads'
// states and kernel stacks go to stderr, once, to say where.
func (s *Server) Kill() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Kill()
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			fmt.Fprintf(os.Stderr, "testserver: pid %d still there 15 s after SIGKILL:\n%s", s.Pid(), kernelStacks(s.Pid()))
			<-s.exited
		}
	})
}

// kernelStacks describes each thread of process pid: its state, the
// kernel function it waits in, and its kernel stack (root only).
func kernelStacks(pid int) string {
	var b strings.Builder
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, t := range tasks {
		stat, _ := os.ReadFile(t + "/stat")
		wchan, _ := os.ReadFile(t + "/wchan")
		stack, _ := os.ReadFile(t + "/stack")
		fields := strings.Fields(string(stat))
		state := "?"
		if len(fields) > 2 {
			state = fields[2]
		}
		fmt.Fprintf(&b, "  thread %s: state %s, waits in %s\n%s", filepath.Base(t), state, wchan, stack)
	}
	return b.String()
}

// Reload writes caddyfile over the config file and runs `caddy reload`
// against Config.Admin (at most 2 minutes).
func (s *Server) Reload(caddyfile string) error {
	if s.cfg.Admin == "" {
		return errors.New("Reload needs Config.Admin")
	}
	if err := os.WriteFile(s.ConfigPath, []byte(caddyfile), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := s.Command(ctx, "reload", "--config", s.ConfigPath, "--adapter", "caddyfile", "--address", s.cfg.Admin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("caddy reload: %v\n%s", err, out)
	}
	return nil
}

// Command is the server binary with args, in the server's directory and
// environment (for `caddy validate` and the like); ctx kills it.
func (s *Server) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.cfg.Bin, args...)
	cmd.Dir, cmd.Env = s.Dir, environ(s.Home, s.cfg.Env)
	return cmd
}

// Prepare writes the config file and makes the directories without
// starting anything: Command then runs the binary on that config.
func Prepare(cfg Config) (*Server, error) {
	if cfg.Bin == "" || cfg.Dir == "" {
		return nil, errors.New("testserver: Config.Bin and Config.Dir are required")
	}
	s := &Server{Dir: cfg.Dir, Home: filepath.Join(cfg.Dir, "home"), LogPath: filepath.Join(cfg.Dir, "server.log"),
		cfg: cfg, adapter: "caddyfile", exited: make(chan struct{})}
	if len(cfg.Wait) > 0 {
		s.Addr = cfg.Wait[0]
	}
	for _, d := range []string{filepath.Join(s.Home, "data"), filepath.Join(s.Home, "config")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.Caddyfile != "" && cfg.JSON == "" && cfg.ConfigFile == "":
		s.ConfigPath = filepath.Join(cfg.Dir, "Caddyfile")
		if err := os.WriteFile(s.ConfigPath, []byte(cfg.Caddyfile), 0o644); err != nil {
			return nil, err
		}
	case cfg.JSON != "" && cfg.Caddyfile == "" && cfg.ConfigFile == "":
		s.ConfigPath, s.adapter = filepath.Join(cfg.Dir, "caddy.json"), ""
		if err := os.WriteFile(s.ConfigPath, []byte(cfg.JSON), 0o644); err != nil {
			return nil, err
		}
	case cfg.ConfigFile != "" && cfg.Caddyfile == "" && cfg.JSON == "":
		s.ConfigPath = cfg.ConfigFile
		if strings.HasSuffix(cfg.ConfigFile, ".json") {
			s.adapter = ""
		}
	default:
		return nil, errors.New("testserver: set exactly one of Config.Caddyfile, JSON and ConfigFile")
	}
	return s, nil
}

// Launch starts the server and waits until it is up (see Config.Wait and
// WaitTLS). On failure the process is stopped and the error carries the
// log's tail. The caller stops the server; it also dies with the thread
// that started it (Pdeathsig).
func Launch(cfg Config) (*Server, error) {
	s, err := Prepare(cfg)
	if err != nil {
		return nil, err
	}
	args := []string{"run", "--config", s.ConfigPath}
	if s.adapter != "" {
		args = append(args, "--adapter", s.adapter)
	}
	logFile, err := os.Create(s.LogPath)
	if err != nil {
		return nil, err
	}
	s.cmd = s.Command(context.Background(), args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); logFile.Close(); close(s.exited) }()
	if err := s.waitUp(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%v; server log (tail):\n%s", err, s.Tail(100))
	}
	return s, nil
}

// Start is Launch for one test: Dir defaults to t.TempDir(), a failure to
// start fails the test, and when the test ends the server is stopped, a
// data race in its log fails the test, and a failed test shows the log's
// tail.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	s, err := Launch(cfg)
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if s.Raced() {
			t.Errorf("the race detector fired in the server (%s):\n%s", s.LogPath, s.Tail(300))
		} else if t.Failed() {
			t.Logf("server log %s (tail):\n%s", s.LogPath, s.Tail(100))
		}
	})
	return s
}

func (s *Server) waitUp() error {
	timeout := s.cfg.Timeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	deadline := time.Now().Add(timeout)
	pending := append(append([]string(nil), s.cfg.Wait...), s.cfg.WaitTLS...)
	tcp := len(s.cfg.Wait)
	var lastErr error
	for len(pending) > 0 {
		select {
		case <-s.exited:
			return errors.New("the server exited during start-up")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server is not up after %v: %s not ready (%v)", timeout, pending[0], lastErr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if tcp > 0 {
			if lastErr = dialOnce(ctx, pending[0]); lastErr == nil {
				lastErr = started(ctx, pending[0])
			}
		} else {
			lastErr = s.handshake(ctx, pending[0])
		}
		cancel()
		if lastErr == nil {
			pending, tcp = pending[1:], tcp-1
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func dialOnce(ctx context.Context, addr string) error {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err == nil {
		c.Close()
	}
	return err
}

// started waits out the moment between an s3 site's listener opening and
// its store being open (caddys3/start.go), which its liveness endpoint
// answers with 503; any other answer (another kind of site, a TLS port)
// counts as started. No answer does not: when a store fails to open,
// Caddy closes the listeners it had opened and exits, and a request
// caught in between fails — taking that for "started" let a server that
// refused its root pass as up (TestDFSRefusesDistributeVolume failed so).
func started(ctx context.Context, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/minio/health/live", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("X-Minio-Server-Status") == "offline" {
		return errors.New("the s3 store is not open yet")
	}
	return nil
}

// handshake completes a TLS handshake with hostport's name as SNI,
// trusting only the local CA (read once it exists).
func (s *Server) handshake(ctx context.Context, hostport string) error {
	if s.pool == nil {
		pem, err := os.ReadFile(s.CAFile())
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return errors.New("no certificate in " + s.CAFile())
		}
		s.pool = pool
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	conn, err := DialLoopback(ctx, "tcp", hostport)
	if err != nil {
		return err
	}
	defer conn.Close()
	return tls.Client(conn, &tls.Config{ServerName: host, RootCAs: s.pool}).HandshakeContext(ctx)
}

// DialLoopback dials addr's port on 127.0.0.1 whatever its host: test host
// names all resolve to the server on loopback (an http.Transport's
// DialContext).
func DialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

// environ is the test process's environment without what could configure
// the server, plus HOME and XDG_* in home, GORACE and env.
func environ(home string, env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := env[name]; ours || name == "HOME" || name == "GORACE" || name == "CLOUD_SECRET_KEY" ||
			strings.HasPrefix(name, "XDG_") || strings.HasPrefix(name, "CADDYS3_") || strings.HasPrefix(name, "CLOUDSTACK_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "GORACE=halt_on_error=0")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// TailFile is the last n lines of the file at path ("" if unreadable).
func TailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
