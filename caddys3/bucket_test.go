package caddys3

import (
	"net/http"
	"strings"
	"testing"
)

// The owner re-creating its bucket: 200 in us-east-1 (AWS's legacy
// behaviour, CreateBucket API reference), 409 BucketAlreadyOwnedByYou in
// every other region.
func TestCreateBucketAgainByOwner(t *testing.T) {
	for _, c := range []struct {
		region string
		status int
		code   string
	}{
		{"us-east-1", http.StatusOK, ""},
		{"eu-west-1", http.StatusConflict, "<Code>BucketAlreadyOwnedByYou</Code>"},
	} {
		t.Run(c.region, func(t *testing.T) {
			h := provisionServeTestHandler(t, func(h *Handler) { h.Region = c.region })
			mustStatus(t, serveSignedIn(t, h, c.region, "PUT", "/bkt", nil, http.Header{"X-Amz-Acl": {"public-read"}}), http.StatusOK)
			rec := serveSignedIn(t, h, c.region, "PUT", "/bkt", nil, nil)
			mustStatus(t, rec, c.status)
			if c.code != "" && !strings.Contains(rec.Body.String(), c.code) {
				t.Errorf("body %s, want %s", rec.Body, c.code)
			}
			// us-east-1 "resets the bucket access control lists": the
			// re-create's (default, private) ACL replaces public-read.
			acl := serveSignedIn(t, h, c.region, "GET", "/bkt?acl", nil, nil)
			mustStatus(t, acl, http.StatusOK)
			if public := strings.Contains(acl.Body.String(), "AllUsers"); public != (c.status != http.StatusOK) {
				t.Errorf("after re-create, public-read grant present: %v: %s", public, acl.Body)
			}
		})
	}
}
