package caddys3

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/caddyserver/caddy/v2"
)

// checkDevListen refuses an address another process already serves.
// Caddy's listeners set SO_REUSEPORT, so a second s3-server on the same
// port would silently share it with the first (and each get some of the
// connections); a plain bind, without that option, fails instead.
func checkDevListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("--listen %s: another process already serves this address", addr)
	}
	if err != nil {
		return fmt.Errorf("--listen %s: %w", addr, err)
	}
	return ln.Close()
}

// loopbackOnly reports whether the listen address's host is a loopback
// address or name (an empty host or 0.0.0.0 listens everywhere).
func loopbackOnly(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// warnPublishedKey warns, loudly, that the development secret printed in
// this command's help and source guards an endpoint reachable from other
// machines.
func warnPublishedKey(w io.Writer, listen string) {
	fmt.Fprintf(w, `
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: listening on %s, beyond loopback, with the PUBLISHED
!! development secret key: anyone who can reach this port can read and
!! write every bucket. Set --secret-key or $S3_SECRET_KEY, or listen on
!! 127.0.0.1.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
`, listen)
}

// dialAddress is listen with an unspecified host (":9000", "0.0.0.0:9000",
// "[::]:9000") replaced by the loopback address, for a URL that works.
func dialAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// trySecret is how the "Try:" line sets the secret: the development
// secret itself, the environment variable it came from, or (given with
// --secret-key, which stays off the terminal) a variable the user sets.
func trySecret(secret, fromEnv string) string {
	switch {
	case secret == devSecretKey:
		return "'" + devSecretKey + "'"
	case secret == fromEnv:
		return `"$S3_SECRET_KEY"`
	default:
		return `"$AWS_SECRET_ACCESS_KEY"`
	}
}

// devMetadataMode is where the running s3-server's store keeps metadata
// ("xattrs" or "sidecars"), read from the started configuration.
func devMetadataMode() string {
	app, err := caddy.ActiveContext().App(startAppName)
	if err != nil {
		return "unknown"
	}
	a := app.(*startApp)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.handlers) == 0 || a.handlers[0].probe == nil {
		return "unknown"
	}
	return a.handlers[0].probe.MetadataMode()
}
