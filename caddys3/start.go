package caddys3

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
)

// Caddy provisions a configuration both to run it and to validate it
// (caddy validate, caddy adapt --validate) and gives modules no way to
// tell the two apart; only apps are started, and only for a run. So the
// handler opens its store — which creates the root, .caddys3/ and a node
// heartbeat — from the Start of a small app, "caddys3", that each handler
// of a configuration registers with while it is provisioned. Validation
// thus checks the configuration and touches nothing on disk.

func init() {
	caddy.RegisterModule(new(startApp))
}

// startApp opens the stores of the s3 handlers of one configuration when
// Caddy starts it. It has no configuration of its own: a handler's
// Provision loads it with ctx.App.
type startApp struct {
	mu       sync.Mutex
	handlers []*Handler
}

// CaddyModule returns the Caddy module information.
func (*startApp) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  startAppName,
		New: func() caddy.Module { return new(startApp) },
	}
}

const startAppName = "caddys3"

// Start opens the store of every handler registered with the app; the
// first failure fails the start of the whole configuration, as a failed
// Provision would.
func (a *startApp) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, h := range a.handlers {
		if err := h.start(); err != nil {
			return err
		}
	}
	return nil
}

// Stop does nothing: each handler's Cleanup closes its store.
func (a *startApp) Stop() error { return nil }

// runtime is the state a handler has only once started.
type runtime struct {
	// root is the resolved storage root.
	root string
	// started is closed once the store is open: requests that arrive
	// earlier (Caddy may start the http app first) wait for it.
	started chan struct{}
	// probe checks the store for readiness (health.go).
	probe storeProbe
	// pingers are the credential sources that can tell whether their
	// database answers.
	pingers []pinger
	// sources are the names of the credential sources.
	sources []string
	ready   *readiness
}

// storeProbe is what readiness and the start log ask of the store.
type storeProbe interface {
	ProbeWritable() error
	MetadataMode() string
}

// startWithConfig registers the handler with its configuration's start
// app, or starts it at once when it is provisioned outside an HTTP server
// of a Caddy configuration (embedded uses and in-process tests), where
// nothing else would.
func (h *Handler) startWithConfig(ctx caddy.Context) error {
	h.started = make(chan struct{})
	h.ready = newReadiness()
	if _, inServer := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); !inServer {
		return h.start()
	}
	app, err := ctx.App(startAppName)
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	a := app.(*startApp)
	a.mu.Lock()
	a.handlers = append(a.handlers, h)
	a.mu.Unlock()
	return nil
}

// start opens the store (creating the root if needed), prepares the admin
// API's user store and starts the periodic cleanup.
func (h *Handler) start() error {
	var onUsage fsstore.UsageHook
	if h.usage != nil {
		onUsage = h.usage.add
	}
	store, err := fsstore.Open(fsstore.Options{
		OnUsage:         onUsage,
		Root:            h.root,
		Fsync:           h.Fsync == "always",
		NoCopyFileRange: h.CopyFileRange == "off",
		StaleTempAge:    time.Duration(h.StaleTempAge),
		RepairMaxSize:   h.RepairMaxSize,
		KeepsOwnUploads: keepsOwnUploads,
	})
	if err != nil {
		// h.store stays a nil interface (not a nil *Store), so Cleanup
		// closes nothing.
		return fmt.Errorf("s3: opening store at %s: %w", h.root, err)
	}
	if h.admin != nil {
		if err := h.admin.Users.Init(); err != nil {
			store.Close()
			return fmt.Errorf("s3: admin API: %w", err)
		}
	}
	h.store, h.probe = store, store
	cleanupCtx, cancel := context.WithCancel(context.Background())
	h.stopCleanup = cancel
	go h.cleanupLoop(cleanupCtx)
	if h.usage != nil {
		go h.usageLoop(cleanupCtx)
	}
	h.startLifecycle(store)
	h.logger.Info("s3: store open", zap.String("root", h.root), zap.String("metadata", store.MetadataMode()))
	close(h.started)
	return nil
}

// awaitStart waits until the store is open or the request is given up.
func (h *Handler) awaitStart(ctx context.Context) bool {
	select {
	case <-h.started:
		return true
	case <-ctx.Done():
		return false
	}
}
