package caddys3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func quotaHandler(t *testing.T, root string) *Handler {
	t.Helper()
	return provisionServeTestHandler(t, func(h *Handler) {
		h.AdminAPIKeys = []string{serveTestKey}
		if root != "" {
			h.Root = root
		}
	})
}

func setQuota(t *testing.T, h *Handler, bucket string, n int64) {
	t.Helper()
	mustStatus(t, serveSignedIn(t, h, "", "PUT", "/minio/admin/v3/set-bucket-quota?bucket="+bucket,
		[]byte(fmt.Sprintf(`{"quotatype":"hard","quota":%d}`, n)), nil), 200)
}

// reportedSize is the bucket's size in datausageinfo.
func reportedSize(t *testing.T, h *Handler, bucket string) int64 {
	t.Helper()
	rec := serveSignedIn(t, h, "", "GET", "/minio/admin/v3/datausageinfo", nil, nil)
	var du struct{ BucketsSizes map[string]int64 }
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &du) != nil {
		t.Fatalf("datausageinfo: %d %s", rec.Code, rec.Body)
	}
	return du.BucketsSizes[bucket]
}

// ledgerOf reads the bucket's ledger as stored.
func ledgerOf(t *testing.T, h *Handler, bucket string) (u usageLedger) {
	t.Helper()
	err := h.store.UpdateUsageDoc(t.Context(), bucket, func(old []byte) ([]byte, bool, error) {
		return nil, false, json.Unmarshal(old, &u)
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Usage follows every write and delete exactly, without walking: a delete
// makes room at once, an overwrite counts only its new size, versions
// count until they are deleted, and datausageinfo reports the same
// numbers. (Before exact counting, a delete left the ledger high until a
// walk a second later: the put of b after deleting a failed.)
func TestUsageLedgerExact(t *testing.T) {
	h := quotaHandler(t, "")
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact", nil), 200)
	setQuota(t, h, "qexact", 10)
	want := func(n int64) {
		t.Helper()
		if got := reportedSize(t, h, "qexact"); got != n {
			t.Fatalf("datausageinfo says %d bytes, the bucket holds %d", got, n)
		}
		if w, _, err := h.walkUsage(t.Context(), "qexact"); err != nil || w.Size != n {
			t.Fatalf("walk: %d, %v; want %d", w.Size, err, n)
		}
	}
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact/a", []byte("0123456")), 200)
	want(7)
	s3XML(t, serveSigned(t, h, "PUT", "/qexact/b", []byte("0123")), 400, "XMinioAdminBucketQuotaExceeded")
	mustStatus(t, serveSigned(t, h, "DELETE", "/qexact/a", nil), 204)
	want(0)
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact/b", []byte("0123")), 200)
	// An overwrite is checked in full against what is stored (as MinIO
	// does): b's 4 bytes plus 6 fit, and leave 6 stored.
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact/b", []byte("012345")), 200)
	want(6)
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact/c", []byte("0123")), 200)
	want(10)
	s3XML(t, serveSigned(t, h, "PUT", "/qexact/d", []byte("0")), 400, "XMinioAdminBucketQuotaExceeded")
	// Versions: every version is stored until it is deleted by id.
	mustStatus(t, serveSigned(t, h, "DELETE", "/qexact/c", nil), 204)
	setQuota(t, h, "qexact", 100)
	mustStatus(t, serveSigned(t, h, "PUT", "/qexact?versioning", []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)), 200)
	put := serveSigned(t, h, "PUT", "/qexact/b", []byte("0123456789"))
	mustStatus(t, put, 200)
	want(16) // null version of b (6) + the new one (10)
	mustStatus(t, serveSigned(t, h, "DELETE", "/qexact/b", nil), 204)
	want(16) // a delete marker stores nothing
	mustStatus(t, serveSigned(t, h, "DELETE", "/qexact/b?versionId="+put.Header().Get("x-amz-version-id"), nil), 204)
	want(6)
	mustStatus(t, serveSigned(t, h, "DELETE", "/qexact/b?versionId=null", nil), 204)
	want(0)
	if n := h.usage.walks.Load(); n != 0 {
		t.Fatalf("%d reconciliation walks; exact counting needs none", n)
	}
}

// A reservation of a node that is gone (no heartbeat) is dropped at the
// next change of the ledger, not after its 15-minute lease, and the
// bucket is walked then, once the walk is due. One of a live node holds
// its room.
func TestUsageLedgerDeadNode(t *testing.T) {
	root := t.TempDir()
	h := quotaHandler(t, root)
	other := quotaHandler(t, root) // a live second node
	h.usage.every = 200 * time.Millisecond
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead", nil), 200)
	setQuota(t, h, "qdead", 10)
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead/a", []byte("012")), 200)
	reserve := func(node string) {
		t.Helper()
		err := h.store.UpdateUsageDoc(t.Context(), "qdead", func(old []byte) ([]byte, bool, error) {
			var u usageLedger
			if err := json.Unmarshal(old, &u); err != nil {
				return nil, false, err
			}
			// The dead request had stored 5 bytes it never added.
			u.Res = []usageReserved{{ID: "r", Node: node, Bytes: 7, Until: time.Now().Add(time.Hour), Stores: true}}
			b, err := json.Marshal(u)
			return b, true, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reserve(other.store.NodeID())
	s3XML(t, serveSigned(t, h, "PUT", "/qdead/b", []byte("0")), 400, "XMinioAdminBucketQuotaExceeded")
	// The other node dies (its heartbeat goes) after storing 5 bytes it
	// never added to the ledger.
	if err := other.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "qdead", "x"), []byte("01234"), 0o644); err != nil {
		t.Fatal(err)
	}
	walks := h.usage.walks.Load()
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead/b", []byte("0")), 200)
	if u := ledgerOf(t, h, "qdead"); len(u.Res) != 0 || !u.Rebuild {
		t.Fatalf("ledger after the dead node's reservation: %+v", u)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.usage.walks.Load() == walks || ledgerOf(t, h, "qdead").Rebuild {
		if time.Now().After(deadline) {
			t.Fatalf("no walk; ledger %+v", ledgerOf(t, h, "qdead"))
		}
		time.Sleep(50 * time.Millisecond)
		reportedSize(t, h, "qdead") // a ledger change starts the walk when due
	}
	if got := reportedSize(t, h, "qdead"); got != 9 {
		t.Fatalf("after the walk: %d bytes, the bucket holds 9", got)
	}
}

// Two nodes on one root (two handlers, two stores) share the ledger:
// concurrent writes on both cannot pass the quota together, and the
// ledger ends exact.
func TestQuotaLedgerTwoNodes(t *testing.T) {
	root := t.TempDir()
	nodes := []*Handler{quotaHandler(t, root), quotaHandler(t, root)}
	mustStatus(t, serveSigned(t, nodes[0], "PUT", "/qnodes", nil), 200)
	const part, n = 256 << 10, 12
	setQuota(t, nodes[1], "qnodes", 5*part)
	body := bytes.Repeat([]byte("q"), part)
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			codes <- serveSigned(t, nodes[i%2], "PUT", fmt.Sprintf("/qnodes/k%d", i), body).Code
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		} else if c != 400 {
			t.Errorf("status %d", c)
		}
	}
	u, _, err := nodes[0].walkUsage(t.Context(), "qnodes")
	if ok != 5 || err != nil || u.Size != 5*part {
		t.Fatalf("%d writes admitted, usage %d (%v); the quota is exactly 5 of them", ok, u.Size, err)
	}
	if got := reportedSize(t, nodes[1], "qnodes"); got != 5*part {
		t.Fatalf("datausageinfo: %d, want %d", got, 5*part)
	}
}

// Writes made while a bucket has no quota count too: a quota set later
// is checked against everything stored.
func TestQuotaLedgerQuotaSetAgain(t *testing.T) {
	h := quotaHandler(t, "")
	mustStatus(t, serveSigned(t, h, "PUT", "/qagain", nil), 200)
	setQuota(t, h, "qagain", 10)
	mustStatus(t, serveSigned(t, h, "PUT", "/qagain/a", []byte("0123456")), 200)
	setQuota(t, h, "qagain", 0)
	mustStatus(t, serveSigned(t, h, "PUT", "/qagain/b", []byte("0123456")), 200)
	setQuota(t, h, "qagain", 20)
	s3XML(t, serveSigned(t, h, "PUT", "/qagain/c", []byte("0123456")), 400, "XMinioAdminBucketQuotaExceeded")
	mustStatus(t, serveSigned(t, h, "PUT", "/qagain/c", []byte("012345")), 200)
}

// A Complete publishes after serve returns (its answer may be kept alive):
// its reservation ends, and its bytes reach the ledger, when its outcome
// is known, not before it published (then its bytes waited for the
// background flush, and its room was free meanwhile).
func TestUsageLedgerComplete(t *testing.T) {
	h := quotaHandler(t, "")
	for i := range 5 {
		bucket := fmt.Sprintf("qcomplete%d", i)
		id, etag := startUpload(t, h, bucket, "obj")
		mustStatus(t, serveSigned(t, h, "POST", "/"+bucket+"/obj?uploadId="+id, completeBody(etag)), 200)
		if u := ledgerOf(t, h, bucket); u.Bytes != int64(len("only part")) || len(u.Res) != 0 {
			t.Fatalf("ledger right after Complete: %+v", u)
		}
	}
}
