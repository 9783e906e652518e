package caddys3

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// Writes to a bucket well under its quota walk it once (to start the
// ledger), not once per write.
func TestQuotaLedgerNoWalkPerWrite(t *testing.T) {
	h := quotaHandler(t, "")
	mustStatus(t, serveSigned(t, h, "PUT", "/qwalk", nil), 200)
	setQuota(t, h, "qwalk", 1000)
	for i := range 20 {
		mustStatus(t, serveSigned(t, h, "PUT", fmt.Sprintf("/qwalk/k%d", i), []byte("0123456789")), 200)
	}
	if n := h.usage.walks.Load(); n != 1 {
		t.Fatalf("%d walks for 20 writes under the quota, want 1", n)
	}
	s3XML(t, serveSigned(t, h, "PUT", "/qwalk/big", bytes.Repeat([]byte("x"), 801)), 400, "XMinioAdminBucketQuotaExceeded")
}

// Deletes and overwrites make the ledger high; a write it would refuse
// reconciles it with a walk (at most once a second), and is admitted when
// the bucket really has room.
func TestQuotaLedgerReconciles(t *testing.T) {
	h := quotaHandler(t, "")
	mustStatus(t, serveSigned(t, h, "PUT", "/qrec", nil), 200)
	setQuota(t, h, "qrec", 10)
	mustStatus(t, serveSigned(t, h, "PUT", "/qrec/a", []byte("0123456")), 200)
	s3XML(t, serveSigned(t, h, "PUT", "/qrec/b", []byte("0123")), 400, "XMinioAdminBucketQuotaExceeded")
	mustStatus(t, serveSigned(t, h, "DELETE", "/qrec/a", nil), 204)
	time.Sleep(reconcileEvery + 100*time.Millisecond)
	mustStatus(t, serveSigned(t, h, "PUT", "/qrec/b", []byte("0123")), 200)
	// An overwrite is checked in full against what is stored (as MinIO
	// does): b's 4 bytes plus 6 fit, and leave 6 stored, which the ledger
	// (10) overstates until a walk: c's 4 bytes are admitted after one.
	mustStatus(t, serveSigned(t, h, "PUT", "/qrec/b", []byte("012345")), 200)
	time.Sleep(reconcileEvery + 100*time.Millisecond)
	walks := h.usage.walks.Load()
	mustStatus(t, serveSigned(t, h, "PUT", "/qrec/c", []byte("0123")), 200)
	if h.usage.walks.Load() != walks+1 {
		t.Fatal("no reconciliation walk")
	}
	// Full now: refused from the ledger, without another walk.
	s3XML(t, serveSigned(t, h, "PUT", "/qrec/d", []byte("0")), 400, "XMinioAdminBucketQuotaExceeded")
	if h.usage.walks.Load() != walks+1 {
		t.Fatal("a walk within reconcileEvery")
	}
}

// A reservation left by a writer that died holds its room until its lease
// ends, on every node; after that it counts as written until a walk
// finds the truth.
func TestQuotaLedgerDeadReservation(t *testing.T) {
	h := quotaHandler(t, "")
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead", nil), 200)
	setQuota(t, h, "qdead", 10)
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead/a", []byte("012")), 200)
	edit := func(until time.Time) {
		t.Helper()
		err := h.store.UpdateUsageDoc(t.Context(), "qdead", func(old []byte) ([]byte, bool, error) {
			var u usageLedger
			if err := json.Unmarshal(old, &u); err != nil {
				return nil, false, err
			}
			u.Res = []usageReserved{{ID: "dead", Bytes: 7, Epoch: u.Epoch, Until: until, Stores: true}}
			b, err := json.Marshal(u)
			return b, true, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	edit(time.Now().Add(time.Hour))
	time.Sleep(reconcileEvery + 100*time.Millisecond)
	s3XML(t, serveSigned(t, h, "PUT", "/qdead/b", []byte("0")), 400, "XMinioAdminBucketQuotaExceeded")
	edit(time.Now().Add(-time.Second))
	time.Sleep(reconcileEvery + 100*time.Millisecond)
	mustStatus(t, serveSigned(t, h, "PUT", "/qdead/b", []byte("0")), 200)
}

// Two nodes on one root (two handlers, two stores) share the ledger:
// concurrent writes on both cannot pass the quota together.
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- serveSigned(t, nodes[i%2], "PUT", fmt.Sprintf("/qnodes/k%d", i), body).Code
		}()
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
	u, err := nodes[0].bucketUsage(t.Context(), "qnodes", true)
	if ok != 5 || err != nil || u.Size != 5*part {
		t.Fatalf("%d writes admitted, usage %d (%v); the quota is exactly 5 of them", ok, u.Size, err)
	}
}

// Writes made while a bucket has no quota are not in its ledger: setting a
// quota again makes the next check walk.
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
