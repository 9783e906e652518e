package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/testserver"
)

// extraConfig is one more server process of the harness's binary, for
// tests that need a second node or a server they can kill, restart or
// reload: a loopback HTTP site on port serving root with alice's and bob's
// keys (bob's secret from the environment, as in the harness), s3opts as
// more lines of its s3 block, and the admin endpoint at admin ("off" for
// none).
func extraConfig(port int, root, admin string, s3opts ...string) testserver.Config {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := testserver.Config{
		Bin: srv.bin,
		Caddyfile: fmt.Sprintf(`{
	admin %s
	persist_config off
	default_bind 127.0.0.1
	auto_https off
	skip_install_trust
}

http://%s {
	s3 {
		root %s
		region us-east-1
		%s
		credentials static {
			key AKIAEXAMPLEALICE0001 alicesecret0000000000000000000000000000 alice
			key AKIAEXAMPLEBOB000001 {env.%s} bob
		}
	}
}
`, admin, addr, root, strings.Join(s3opts, "\n\t\t"), bobSecretEnv),
		Env:  map[string]string{bobSecretEnv: bobSecret},
		Wait: []string{addr},
	}
	if admin != "off" {
		cfg.Admin = admin
	}
	return cfg
}

// startExtraServer starts extraConfig without an admin endpoint in dir
// ("" for a temporary one). It is stopped when the test ends, and a data
// race in its log fails the test.
func startExtraServer(t *testing.T, dir string, port int, root string, s3opts ...string) *testserver.Server {
	t.Helper()
	cfg := extraConfig(port, root, "off", s3opts...)
	cfg.Dir = dir
	return testserver.Start(t, cfg)
}
