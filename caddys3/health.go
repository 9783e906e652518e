package caddys3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Health endpoints for load balancers and orchestrators, answered before
// authentication and routing, to GET and HEAD only, with an empty body:
//
//   - live (health_live, /minio/health/live): 200 while the process
//     serves HTTP, once its store is open (503 in the moment between the
//     listener opening and the store, as MinIO answers before its object
//     layer is up);
//   - ready (health_ready, /minio/health/ready): 200 when the store is
//     open, a file can be created and removed under the root's .caddys3/,
//     and every credential database answers a ping within readyTimeout;
//     503 otherwise.
//
// MinIO answers its two paths the same way (200, or 503 with
// X-Minio-Server-Status: offline while it cannot serve); many load
// balancer templates probe them. A bucket named "minio" loses the keys
// health/live and health/ready to them, as with MinIO itself.
const (
	minioLivePath  = "/minio/health/live"
	minioReadyPath = "/minio/health/ready"

	// readyTTL is how long a readiness verdict is reused: probes from
	// many balancers cost at most one check a second.
	readyTTL = time.Second
	// readyTimeout bounds the database pings of one check.
	readyTimeout = 2 * time.Second
)

// pinger is a credential source that can tell whether its database
// answers (the cloudstack source).
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness caches the last verdict for readyTTL.
type readiness struct {
	mu      sync.Mutex
	checked time.Time
	err     error
}

func newReadiness() *readiness { return &readiness{} }

// errNotStarted: the configuration is provisioned but its store is not
// open yet.
var errNotStarted = errors.New("the store is not open yet")

// validHealthPath checks a health_live/health_ready value.
func validHealthPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
		return errors.New("must be an absolute path without query")
	}
	return nil
}

// serveHealth answers a health probe and reports whether r was one.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	var err error
	switch p := r.URL.Path; {
	case p == minioLivePath || (h.HealthLive != "" && p == h.HealthLive):
		err = h.startedErr()
	case p == minioReadyPath || (h.HealthReady != "" && p == h.HealthReady):
		err = h.readyErr()
	default:
		return false
	}
	hdr := w.Header()
	id := h.newRequestID()
	hdr.Set("X-Amz-Request-Id", id)
	hdr.Set("X-Amz-Id-2", hostID(id))
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Length", "0")
	if err != nil {
		hdr.Set("X-Minio-Server-Status", "offline")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	w.WriteHeader(http.StatusOK)
	return true
}

// readyErr is the cached readiness verdict (nil: ready). A change of
// verdict is logged with its reason, which the probe's answer does not
// carry.
func (h *Handler) readyErr() error {
	r := h.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked.IsZero() && time.Since(r.checked) < readyTTL {
		return r.err
	}
	err := h.checkReady()
	switch {
	case err != nil && (r.err == nil || r.err.Error() != err.Error()):
		h.logger.Warn("s3: not ready", zap.Error(err))
	case err == nil && r.err != nil:
		h.logger.Info("s3: ready again")
	}
	r.checked, r.err = time.Now(), err
	return err
}

// startedErr is nil once the store is open (errNotStarted before).
func (h *Handler) startedErr() error {
	select {
	case <-h.started:
		return nil
	default:
		return errNotStarted
	}
}

func (h *Handler) checkReady() error {
	if err := h.startedErr(); err != nil {
		return err
	}
	if err := h.probe.ProbeWritable(); err != nil {
		return fmt.Errorf("the root is not writable: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for _, p := range h.pingers {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("the credential database does not answer: %w", err)
		}
	}
	return nil
}
