package cloudstack

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// wantHealth waits (at most 5 s: readiness is cached for a second) until
// GET base+path answers status, with MinIO's X-Minio-Server-Status: offline
// on a 503.
func wantHealth(t *testing.T, base, path string, status int) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("%s %d", path, status), func() error {
		resp, err := httpClient.Get(base + path)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		if off := resp.Header.Get("X-Minio-Server-Status"); (status == http.StatusServiceUnavailable) != (off == "offline") {
			return fmt.Errorf("X-Minio-Server-Status %q with %d", off, status)
		}
		return nil
	})
}

// wantReady checks readiness on both of the server's sites (one with a
// static key beside the database, one with the database only) and that
// liveness does not depend on the database.
func wantReady(t *testing.T, bases []string, status int) {
	t.Helper()
	for _, base := range bases {
		wantHealth(t, base, "/minio/health/ready", status)
		wantHealth(t, base, "/minio/health/live", http.StatusOK)
	}
}
