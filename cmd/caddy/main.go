// Command caddy is Caddy with its standard modules and the caddys3 S3 handler,
// so `go build ./cmd/caddy` produces a working server without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/caddys3/caddys3/caddys3"
)

func main() {
	caddycmd.Main()
}
