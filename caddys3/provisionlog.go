package caddys3

import (
	"slices"

	"go.uber.org/zap"
)

// logProvisioned logs one line that says what an s3 block serves (never a
// secret: the credential sources by name only), and warns when no
// credential source is configured, since then every request is anonymous
// and only public buckets and objects answer. Where metadata goes is
// known once the store is open (the "store open" line of start.go).
func (h *Handler) logProvisioned() {
	sources := h.sources
	h.logger.Info("s3: configured",
		zap.String("root", h.root),
		zap.String("region", h.Region),
		zap.Strings("credentials", sources),
		zap.Strings("domains", h.Domains),
		zap.Bool("admin_api", len(h.AdminAPIKeys) > 0),
		zap.Strings("health_paths", slices.DeleteFunc([]string{h.HealthLive, h.HealthReady}, func(s string) bool { return s == "" })))
	if len(sources) == 0 {
		h.logger.Warn("s3: no credentials configured: this s3 block serves anonymous requests only (public buckets and objects)")
	}
}
