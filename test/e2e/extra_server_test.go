package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/testserver"
)

// startExtraServer runs one more server process of the harness's binary,
// for tests that need a second node or a server they can kill and restart:
// caddyfile with {{PORT}} and {{ROOT}} replaced, in dir, with bob's secret
// in the environment. It is stopped when the test ends, and a data race in
// its log fails the test.
func startExtraServer(t *testing.T, dir, caddyfile, root string, port int) *testserver.Server {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return testserver.Start(t, testserver.Config{
		Bin:       srv.bin,
		Dir:       dir,
		Caddyfile: strings.NewReplacer("{{PORT}}", fmt.Sprint(port), "{{ROOT}}", root).Replace(caddyfile),
		Env:       map[string]string{bobSecretEnv: bobSecret},
		Wait:      []string{addr},
	})
}
