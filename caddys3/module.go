// Package caddys3 is the Caddy HTTP handler that serves the S3 REST API
// (module http.handlers.s3, Caddyfile directive s3). It is the only package
// that knows Caddy or HTTP: it routes requests, verifies them with the auth
// package, calls the fsstore package and writes S3 responses and errors.
package caddys3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/internal/keyring"
	"github.com/caddys3/caddys3/lifecycle/executor"
	"github.com/caddys3/caddys3/objstore"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("s3", parseCaddyfile)
	// Ordered before file_server so a site can mix s3 with other handlers
	// (reverse_proxy /client* …) without a global `order` option.
	httpcaddyfile.RegisterDirectiveOrder("s3", httpcaddyfile.Before, "file_server")
}

// DefaultMaxObjectSize is S3's limit for a single PUT: 5 GiB.
const DefaultMaxObjectSize int64 = 5 << 30

// Handler serves the S3 REST API from a filesystem root.
type Handler struct {
	// Root is the directory holding the buckets, one sub-directory each.
	// Placeholders such as {env.S3_ROOT} are expanded. Required.
	Root string `json:"root,omitempty"`

	// Region is the region clients sign for and GetBucketLocation reports.
	// Default: us-east-1.
	Region string `json:"region,omitempty"`

	// Domains are base domains for virtual-hosted-style requests: a request
	// for bucket.<domain> addresses the bucket "bucket". Path-style requests
	// always work.
	Domains []string `json:"domains,omitempty"`

	// Credentials are the sources of the access keys that may sign
	// requests, by name: modules in the s3.credentials namespace, such as
	// "static" (a list of keys) and "cloudstack" (CloudStack's database).
	// The static source is asked first, then the others in the order of
	// their names; the first that knows a key answers.
	CredentialsRaw caddy.ModuleMap `json:"credentials,omitempty" caddy:"namespace=s3.credentials"`

	// MaxObjectSize is the largest single PUT in bytes. Default 5 GiB.
	MaxObjectSize int64 `json:"max_object_size,omitempty"`

	// Fsync makes every write fsync the file and its directory before it is
	// published: "always" or "never" (default "never": rely on rename
	// atomicity and the filesystem's own write-back).
	Fsync string `json:"fsync,omitempty"`

	// AbortIncompleteAfter is the age after which unfinished multipart
	// uploads are removed with their parts. Default 7 days.
	AbortIncompleteAfter caddy.Duration `json:"abort_incomplete_after,omitempty"`

	// StaleTempAge is how long an upload's temp file must be untouched
	// before it counts as left over by a crash and is removed (at start and
	// with the periodic cleanup). Only age is safe: another instance
	// sharing the root may still be writing it. Default 1h.
	StaleTempAge caddy.Duration `json:"stale_temp_age,omitempty"`

	// RepairMaxSize is the largest object found without its metadata
	// record (copied in by hand) that a GET or HEAD hashes to give it its
	// ETag, stored once; a larger one answers 403 InvalidObjectState until
	// caddy s3 fsck --repair runs. Default 64 MiB; -1: never hash on a read.
	RepairMaxSize int64 `json:"repair_max_size,omitempty"`

	// CopyFileRange joins multipart parts with copy_file_range(2) so the
	// filesystem can avoid a second full copy: "on" (default) or "off" for
	// NFS servers that mishandle it.
	CopyFileRange string `json:"copy_file_range,omitempty"`

	// LogKeys puts object keys in the access log (field s3_key). Default
	// false: the log gets only the key's length in bytes (s3_key_length),
	// since keys may carry personal data.
	LogKeys bool `json:"log_keys,omitempty"`

	// AdminAccounts are canonical IDs (CloudStack: account UUIDs; static
	// keys: their owner) that may read and write every bucket, whatever
	// its ACL and policy. Nobody else, not even CloudStack's root admins,
	// gets into another account's bucket without a grant.
	AdminAccounts []string `json:"admin_accounts,omitempty"`

	// ReservedBuckets are bucket names CreateBucket refuses, for a host
	// name shared with other routes (CloudStack's /client and /share).
	ReservedBuckets []string `json:"reserved_buckets,omitempty"`

	// AdminAPIKeys are the access key ids (of any credential source,
	// usually a static key kept for this) that may call the MinIO admin
	// API at /minio/admin/v3/, as CloudStack's MinIO object-storage
	// provider does. Empty: the admin API is off. See admin_hook.go.
	AdminAPIKeys []string `json:"admin_api_keys,omitempty"`

	// HealthLive and HealthReady are paths answered, without
	// authentication, with 200 while the process is up (live) and while
	// the root is writable and the credential database answers (ready),
	// 503 otherwise; GET and HEAD only. MinIO's /minio/health/live and
	// /minio/health/ready are always answered the same way. See health.go.
	HealthLive  string `json:"health_live,omitempty"`
	HealthReady string `json:"health_ready,omitempty"`

	// runtime is what the handler opens when Caddy starts the config, not
	// when it only provisions it (caddy validate); see start.go.
	runtime

	// admin serves the admin API; usage caches bucket usage (both nil
	// when it is off).
	admin *objstore.Admin
	usage *usageTracker

	// CORSOrigins are the origins (scheme://host[:port], one "*" wildcard
	// each, or "*" alone for every origin) whose browsers may call every
	// bucket that has no CORS configuration of its own: preflights are
	// answered and responses carry Access-Control-Allow-Origin and
	// Access-Control-Expose-Headers (ETag, x-amz-request-id, …). A bucket's
	// own configuration always wins. Default: none, so only buckets with
	// a CORS configuration are reachable from other origins. CloudStack's
	// bucket browser needs its UI's origin here.
	CORSOrigins []string `json:"cors_origins,omitempty"`

	// Lifecycle configures the executor of buckets' lifecycle rules
	// (lifecycle_run.go); nil: the defaults.
	Lifecycle *LifecycleOptions `json:"lifecycle,omitempty"`
	lc        *lifecycleRuntime
	// lcMetrics receives the executor's passes (metrics).
	lcMetrics executor.Observer

	// corsDefault is the CORS rule CORSOrigins stands for (nil: none).
	corsDefault *access.CORSConfig

	// Encryption holds the master keys of SSE-S3 (sse_config.go).
	Encryption *EncryptionConfig `json:"encryption,omitempty"`
	keys       *keyring.Keyring  // nil: none configured

	store       Backend
	policies    *policyCache
	listPages   *listPageCache // pagecache.go
	stopCleanup context.CancelFunc
	verifier    *auth.Verifier
	logger      *zap.Logger
	// reqPrefix and reqSeq make request ids unique across instances and
	// cheap to generate.
	reqPrefix string
	reqSeq    *atomic.Uint64
	// keepAliveAfter and keepAliveInterval pace the whitespace S3 sends
	// while a long CompleteMultipartUpload runs (tests shorten them).
	keepAliveAfter    time.Duration
	keepAliveInterval time.Duration
	// metrics is where requests are counted (see metrics.go).
	metrics *s3Metrics
	// drain is read-held by every request being served; Cleanup takes it
	// before closing the store, so a config reload does not break
	// requests still running on this (old) handler.
	drain *sync.RWMutex
	// released is set (under drain's write lock) once the store is closed:
	// a request that still reaches this old handler is told to retry.
	released bool
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.s3",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision resolves placeholders and builds the verifier; the store is
// opened when Caddy starts the config (start.go), so that caddy validate
// creates nothing under the root.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.corsDefault = corsDefault(h.CORSOrigins)
	if h.Root == "" {
		return fmt.Errorf("s3: root is required")
	}
	repl := caddy.NewReplacer()

	root, err := repl.ReplaceOrErr(h.Root, true, true)
	if err != nil {
		return fmt.Errorf("s3: root: %w", err)
	}
	if h.Region == "" {
		h.Region = "us-east-1"
	}
	if h.MaxObjectSize == 0 {
		h.MaxObjectSize = DefaultMaxObjectSize
	}

	if h.AbortIncompleteAfter == 0 {
		h.AbortIncompleteAfter = caddy.Duration(7 * 24 * time.Hour)
	}
	if err := h.provisionEncryption(repl); err != nil {
		return err
	}
	if len(h.AdminAPIKeys) > 0 {
		// The admin API reports and limits bucket usage (quota.go); the
		// store reports to it once open (start.go).
		h.usage = newUsageTracker()
	}
	h.root = filepath.Clean(root)
	provider, err := h.loadCredentials(ctx)
	if err != nil {
		return err
	}
	if provider, err = h.provisionAdminAPI(h.root, provider); err != nil {
		return err
	}
	h.provisionMetrics(ctx, provider)
	h.lcMetrics = lifecycleMetricsOf(ctx.GetMetricsRegistry())
	h.verifier = &auth.Verifier{
		Region:           h.Region,
		Provider:         provider,
		V2BucketFromHost: h.bucketFromHost,
	}

	var b [4]byte
	_, _ = rand.Read(b[:])
	h.reqPrefix = strings.ToUpper(hex.EncodeToString(b[:]))
	h.reqSeq = new(atomic.Uint64)
	h.policies = new(policyCache)
	h.listPages = newListPageCache(listPageCacheBytes)
	h.drain = new(sync.RWMutex)
	if h.keepAliveAfter == 0 {
		h.keepAliveAfter = 2 * time.Second
	}
	if h.keepAliveInterval == 0 {
		h.keepAliveInterval = 10 * time.Second
	}
	h.logProvisioned()
	return h.startWithConfig(ctx)
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if h.MaxObjectSize < 0 {
		return fmt.Errorf("s3: max_object_size must be positive")
	}
	switch h.Fsync {
	case "", "always", "never":
	default:
		return fmt.Errorf("s3: fsync must be always or never, not %q", h.Fsync)
	}
	switch h.CopyFileRange {
	case "", "on", "off":
	default:
		return fmt.Errorf("s3: copy_file_range must be on or off, not %q", h.CopyFileRange)
	}
	if h.StaleTempAge < 0 {
		return fmt.Errorf("s3: stale_temp_age must be positive")
	}
	if h.AbortIncompleteAfter < 0 {
		return fmt.Errorf("s3: abort_incomplete_after must be positive")
	}
	for _, p := range []string{h.HealthLive, h.HealthReady} {
		if err := validHealthPath(p); p != "" && err != nil {
			return fmt.Errorf("s3: health path %q: %w", p, err)
		}
	}
	return validCORSOrigins(h.CORSOrigins)
}

// cleanupInterval is how often abandoned multipart uploads are looked for:
// hourly, or more often when abort_incomplete_after is short.
func cleanupInterval(age time.Duration) time.Duration {
	return min(max(age/4, 100*time.Millisecond), time.Hour)
}

// cleanupLoop removes abandoned multipart uploads at start and then
// periodically, until Cleanup stops it.
func (h *Handler) cleanupLoop(ctx context.Context) {
	age := time.Duration(h.AbortIncompleteAfter)
	if h.StaleTempAge > 0 {
		age = min(age, time.Duration(h.StaleTempAge))
	}
	t := time.NewTicker(cleanupInterval(age))
	defer t.Stop()
	for {
		n, err := h.store.CleanupUploads(ctx, time.Duration(h.AbortIncompleteAfter))
		if err != nil && ctx.Err() == nil {
			h.logger.Warn("s3: removing abandoned multipart uploads", zap.Error(err))
		} else if n > 0 {
			h.logger.Info("s3: removed abandoned multipart uploads", zap.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Cleanup stops background work and releases the store (Caddy cleans up
// the credential modules itself). Caddy calls it on a config reload while
// requests may still run on this handler: then the release waits for them
// in the background.
func (h *Handler) Cleanup() error {
	if h.stopCleanup != nil {
		h.stopCleanup()
	}
	h.stopLifecycle()
	if h.drain == nil {
		return h.release()
	}
	if h.drain.TryLock() {
		defer h.drain.Unlock()
		h.released = true
		return h.release()
	}
	go func() {
		h.drain.Lock()
		defer h.drain.Unlock()
		h.released = true
		if err := h.release(); err != nil {
			h.logger.Warn("s3: closing the store", zap.Error(err))
		}
	}()
	return nil
}

func (h *Handler) release() error {
	if h.store != nil {
		return h.store.Close()
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
