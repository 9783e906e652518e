package caddys3

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/spf13/cobra"

	"github.com/caddys3/caddys3/caddys3/credentials/static"
)

// Development defaults of the s3-server command. They are printed at start
// and the listener is loopback-only unless --listen says otherwise.
const (
	devAccessKey = "AKIACADDYS3DEV000001"
	devSecretKey = "caddys3-dev-secret-change-me-000000000000"
	devListen    = "127.0.0.1:9000"
	devRoot      = "./caddys3-data"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "s3-server",
		Usage: "[--listen <addr>] [--root <dir>] [--access-key <id>] [--secret-key <secret>] [--region <name>] [--domain <base>] [--access-log]",
		Short: "Runs an S3 endpoint on an embedded default configuration",
		Long: `
Starts an S3-compatible endpoint for development and demos: plain HTTP on
127.0.0.1:9000, buckets under ./caddys3-data, one static access key. The
endpoint and key are printed at start. Keys may also come from the
environment (S3_ACCESS_KEY, S3_SECRET_KEY). For production, write a
Caddyfile with the s3 directive (see Caddyfile.example).`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.Flags().StringP("listen", "l", devListen, "Address to listen on")
			cmd.Flags().StringP("root", "r", devRoot, "Directory that holds the buckets")
			cmd.Flags().String("access-key", "", "Access key id (default $S3_ACCESS_KEY or "+devAccessKey+")")
			cmd.Flags().String("secret-key", "", "Secret access key (default $S3_SECRET_KEY or the printed development secret)")
			cmd.Flags().String("region", "us-east-1", "Region clients sign for")
			cmd.Flags().StringSlice("domain", nil, "Base domain for virtual-hosted-style buckets (repeatable)")
			cmd.Flags().BoolP("access-log", "a", false, "Enable the access log")
			cmd.RunE = caddycmd.WrapCommandFuncForCobra(cmdS3Server)
		},
	})
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func cmdS3Server(fs caddycmd.Flags) (int, error) {
	caddy.TrapSignals()

	listen := fs.String("listen")
	root, err := filepath.Abs(fs.String("root"))
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	accessKey := firstNonEmpty(fs.String("access-key"), os.Getenv("S3_ACCESS_KEY"), devAccessKey)
	secretKey := firstNonEmpty(fs.String("secret-key"), os.Getenv("S3_SECRET_KEY"), devSecretKey)
	domains, err := fs.GetStringSlice("domain")
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("--listen %q: %w", listen, err)
	}
	if err := checkDevListen(listen); err != nil { // devserver.go
		return caddy.ExitCodeFailedStartup, err
	}

	handler := &Handler{
		Root:           root,
		Region:         fs.String("region"),
		Domains:        domains,
		CredentialsRaw: static.ModuleMap(static.Key{AccessKeyID: accessKey, Secret: secretKey, Owner: "owner"}),
	}
	server := &caddyhttp.Server{
		Listen:            []string{listen},
		ReadHeaderTimeout: caddy.Duration(30 * time.Second),
		Routes: caddyhttp.RouteList{{
			HandlersRaw: []json.RawMessage{caddyconfig.JSONModuleObject(handler, "handler", "s3", nil)},
		}},
		AutoHTTPS: &caddyhttp.AutoHTTPSConfig{Disabled: true},
	}
	if fs.Bool("access-log") {
		server.Logs = &caddyhttp.ServerLogConfig{}
	}
	persist := false
	cfg := &caddy.Config{
		Admin: &caddy.AdminConfig{Disabled: true, Config: &caddy.ConfigSettings{Persist: &persist}},
		AppsRaw: caddy.ModuleMap{
			"http": caddyconfig.JSON(caddyhttp.App{Servers: map[string]*caddyhttp.Server{"s3": server}}, nil),
		},
	}
	if err := caddy.Run(cfg); err != nil {
		return caddy.ExitCodeFailedStartup, err
	}

	if secretKey == devSecretKey && !loopbackOnly(listen) {
		warnPublishedKey(os.Stderr, listen)
	}
	// Print the secret only when it is the well-known development default:
	// a secret the operator supplied stays out of terminals and logs.
	shown := secretKey
	if secretKey != devSecretKey {
		shown = "(as given by --secret-key or $S3_SECRET_KEY; the line below reads $S3_SECRET_KEY, or $AWS_SECRET_ACCESS_KEY for --secret-key)"
	}
	endpoint := "http://" + dialAddress(listen)
	fmt.Printf(`
caddys3 is serving S3 on %s
  data:       %s (metadata in %s)
  access key: %s
  secret key: %s
  region:     %s
Try:
  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s aws --endpoint-url %s s3 mb s3://demo
`, endpoint, root, devMetadataMode(), accessKey, shown, handler.Region,
		accessKey, trySecret(secretKey, os.Getenv("S3_SECRET_KEY")), handler.Region, endpoint)
	select {}
}
