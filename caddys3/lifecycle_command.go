package caddys3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
)

// `caddy s3 lifecycle run`: one lifecycle pass now, for operators and
// tests. It reads the s3 handler of a config (root and lifecycle
// options), joins the root as one more node and runs a pass under the
// same lease as the servers, waiting for it while a server's pass runs.
func init() {
	s3Subcommands = append(s3Subcommands, lifecycleCommand)
}

func lifecycleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lifecycle run --config <file> [--adapter <name>] [--wait <duration>]",
		Short: "Runs a lifecycle pass of the s3 handler's root now",
		Long: `
Runs one pass of the lifecycle executor over the root of the (first) s3
handler in the config, as the servers' background loop does: expired
objects, noncurrent versions and delete markers, old multipart uploads.
It takes the same lease as the servers sharing the root, waiting up to
--wait while one of them holds it, and prints the pass's counts as JSON.`,
	}
	run := &cobra.Command{
		Use:   "run",
		Short: "Run one lifecycle pass now",
		RunE:  caddycmd.WrapCommandFuncForCobra(cmdLifecycleRun),
	}
	run.Flags().StringP("config", "c", "", "Configuration file (required)")
	run.Flags().StringP("adapter", "a", "", "Name of config adapter")
	run.Flags().Duration("wait", time.Minute, "How long to wait for the lease")
	cmd.AddCommand(run)
	return cmd
}

func cmdLifecycleRun(fl caddycmd.Flags) (int, error) {
	if fl.String("config") == "" {
		return caddy.ExitCodeFailedStartup, errors.New("--config is required")
	}
	cfg, _, _, err := caddycmd.LoadConfig(fl.String("config"), fl.String("adapter"))
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	h, err := firstS3Handler(cfg)
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	root, err := caddy.NewReplacer().ReplaceOrErr(h.Root, true, true)
	if err != nil {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("root: %w", err)
	}
	store, err := fsstore.Open(fsstore.Options{Root: filepath.Clean(root)})
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	defer store.Close()
	logger := caddy.Log()
	// This process counts no usage: a bucket it changes has its usage
	// ledger dropped, and the next server to need it walks the bucket.
	forget := func(ctx context.Context, b fsstore.BucketInfo) (func(), error) {
		return func() { store.ForgetUsage(ctx, b.Name) }, nil
	}
	exec := newLifecycleExecutor(store, h.Lifecycle, logger, nil, forget)
	ctx := context.Background()
	deadline := time.Now().Add(fl.Duration("wait"))
	for {
		res, err := exec.RunPass(ctx)
		if err != nil {
			return caddy.ExitCodeFailedQuit, err
		}
		if res.Ran {
			return caddy.ExitCodeSuccess, json.NewEncoder(os.Stdout).Encode(res)
		}
		if time.Now().After(deadline) {
			return caddy.ExitCodeFailedQuit, fmt.Errorf("the lifecycle lease is held by node %s", res.Holder)
		}
		logger.Info("s3: lifecycle lease held elsewhere; waiting", zap.String("holder", res.Holder))
		time.Sleep(200 * time.Millisecond)
	}
}

// firstS3Handler finds the first s3 handler of a JSON config (servers
// in name order, routes in order), wherever routes nest it.
func firstS3Handler(cfg []byte) (*Handler, error) {
	var doc any
	if err := json.Unmarshal(cfg, &doc); err != nil {
		return nil, err
	}
	var found json.RawMessage
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if t["handler"] == "s3" && found == nil {
				found, _ = json.Marshal(t)
				return
			}
			for _, k := range slices.Sorted(maps.Keys(t)) {
				walk(t[k])
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(doc)
	if found == nil {
		return nil, errors.New("the config has no s3 handler")
	}
	h := new(Handler)
	if err := json.Unmarshal(found, h); err != nil {
		return nil, fmt.Errorf("s3 handler: %w", err)
	}
	return h, nil
}
