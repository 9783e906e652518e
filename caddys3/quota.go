package caddys3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Bucket usage and hard quotas (the admin API's datausageinfo and
// set-bucket-quota) come from a per-bucket ledger under the root,
// .caddys3/usage/<bucket>.json, read and changed only under its
// cross-process lock (fsstore.UpdateUsageDoc), so every node sharing the
// root decides against the same numbers. Kept when the admin API is on
// (admin_api_keys; every node of a root must then have it).
//
//   - bytes: what the bucket stores, maintained incrementally. The store
//     reports the exact change of every publish and delete as it happens
//     (fsstore.Options.OnUsage); the node gathers them per bucket
//     (usageTracker) and adds them to the ledger when the request that
//     made them ends, in the same locked step that ends its reservation.
//   - reservations: the requests still changing the bucket, on any node,
//     each with its node and the bytes it may add (for the quota).
//   - seq: bumped by every reservation and every addition.
//
// A write is admitted when bytes + reservations + its size <= quota, and
// its reservation is taken in the same locked step: concurrent writes on
// any number of nodes cannot pass the quota together. Staged parts do not
// count (usage is what is stored), Complete counts its parts.
//
// Reconciliation: bytes can be off only when a node died between a change
// and its addition, or the filesystem cannot say what a rename replaced
// (no RENAME_EXCHANGE: NFS, some FUSE filesystems). The first shows as a
// reservation of a dead node (its heartbeat, fsstore's node.go: released
// as soon as the node is dead, within 30 s, or when its lease ends), the
// second as an inexact change; either marks the ledger for a walk. A walk
// runs in the background, at most once per reconcileEvery per bucket
// across nodes, bounded at usageMaxFiles files, without the lock; its sum
// replaces bytes only if no request changed the bucket meanwhile (no
// reservation then or at its end, seq unchanged), else the next quiet
// moment walks again. A bucket's first ledger is made by a walk, under
// the lock (its quota check must not guess).
const (
	reconcileEvery = 10 * time.Second
	usageLease     = 15 * time.Minute
	usageMaxFiles  = 1_000_000
	usageFlush     = 2 * time.Second
)

type usageLedger struct {
	Created time.Time `json:"created"`
	Bytes   int64     `json:"bytes"`
	// Objects counts the stored files (versions and delete markers) as of
	// the last walk.
	Objects int64 `json:"objects"`
	Seq     int64 `json:"seq"`
	// Walked is when the last walk began (the rate limit).
	Walked time.Time `json:"walked"`
	// Rebuild: Bytes may be off; a walk is due.
	Rebuild bool            `json:"rebuild,omitempty"`
	Res     []usageReserved `json:"res,omitempty"`
}

type usageReserved struct {
	ID    string    `json:"id"`
	Node  string    `json:"node"`
	Bytes int64     `json:"bytes"`
	Until time.Time `json:"until"`
	// Stores: the request changes what the bucket stores (not a part).
	Stores bool `json:"stores,omitempty"`
}

// usageTracker gathers the store's reports of this node's changes per
// bucket until a ledger takes them.
type usageTracker struct {
	mu      sync.Mutex
	pending map[string]usageChange
	walking map[string]bool
	// every is reconcileEvery (tests lower it).
	every time.Duration
	// walks counts the walks this node began, for tests.
	walks atomic.Int64
}

type usageChange struct {
	bytes   int64
	inexact bool
}

func newUsageTracker() *usageTracker {
	return &usageTracker{pending: map[string]usageChange{}, walking: map[string]bool{}, every: reconcileEvery}
}

// add is the store's usage hook.
func (t *usageTracker) add(bucket string, n int64, inexact bool) {
	t.mu.Lock()
	c := t.pending[bucket]
	c.bytes += n
	c.inexact = c.inexact || inexact
	t.pending[bucket] = c
	t.mu.Unlock()
}

// take removes and returns the bucket's gathered change.
func (t *usageTracker) take(bucket string) usageChange {
	t.mu.Lock()
	c := t.pending[bucket]
	delete(t.pending, bucket)
	t.mu.Unlock()
	return c
}

func (t *usageTracker) pendingBuckets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.pending))
	for b := range t.pending {
		out = append(out, b)
	}
	return out
}

func (u *usageLedger) reserved() (n int64) {
	for _, r := range u.Res {
		n += r.Bytes
	}
	return n
}

// storing reports whether a request that changes what the bucket stores
// is running.
func (u *usageLedger) storing() bool {
	for _, r := range u.Res {
		if r.Stores {
			return true
		}
	}
	return false
}

// absorb adds this node's gathered change for the bucket.
func (h *Handler) absorb(bucket string, u *usageLedger) (changed bool) {
	c := h.usage.take(bucket)
	if c.bytes == 0 && !c.inexact {
		return false
	}
	u.Bytes += c.bytes
	u.Rebuild = u.Rebuild || c.inexact
	u.Seq++
	return true
}

// expire drops the reservations of dead nodes and past their lease: what
// such a request stored is unknown until a walk.
func (h *Handler) expire(u *usageLedger, now time.Time) (changed bool) {
	self := h.store.NodeID()
	// One heartbeat check per node, not per reservation: this runs under
	// the ledger's lock on every request to a tracked bucket.
	alive := map[string]bool{self: true}
	live := func(node string) bool {
		v, ok := alive[node]
		if !ok {
			v = h.store.NodeAlive(node)
			alive[node] = v
		}
		return v
	}
	keep := u.Res[:0]
	for _, r := range u.Res {
		if now.After(r.Until) || !live(r.Node) {
			if r.Stores {
				u.Rebuild = true
			}
			changed = true
			continue
		}
		keep = append(keep, r)
	}
	u.Res = keep
	return changed
}

// changeLedger runs change on the bucket's ledger under its lock: a
// missing one, or one of an earlier bucket of the same name, is first
// made by a walk; dead reservations expire and this node's gathered
// changes are added before change sees it. A walk that is due starts
// in the background.
func (h *Handler) changeLedger(ctx context.Context, bucket string, created time.Time, change func(u *usageLedger, now time.Time) bool) error {
	return h.store.UpdateUsageDoc(ctx, bucket, func(old []byte) ([]byte, bool, error) {
		now := time.Now()
		var u usageLedger
		changed := false
		if old == nil || json.Unmarshal(old, &u) != nil || !u.Created.Equal(created) {
			u = usageLedger{Created: created}
			h.usage.take(bucket) // the walk sees those changes
			w, _, err := h.walkUsage(ctx, bucket)
			if err != nil {
				return nil, false, err
			}
			u.Bytes, u.Objects, u.Walked = w.Size, w.Objects, now
			changed = true
		}
		if h.expire(&u, now) {
			changed = true
		}
		if h.absorb(bucket, &u) {
			changed = true
		}
		if change(&u, now) {
			changed = true
		}
		if u.Rebuild && !u.storing() && now.Sub(u.Walked) >= h.usage.every {
			h.kickWalk(bucket, created)
		}
		if !changed {
			return nil, false, nil
		}
		b, err := json.Marshal(u)
		return b, true, err
	})
}

// trackUsage reserves the request's place in its bucket's ledger: refused
// with MinIO's XMinioAdminBucketQuotaExceeded (400) when it would take the
// bucket over its hard quota (the code MinIO answers and its clients,
// minio-js in CloudStack's bucket browser, minio-java and mc, show; AWS
// has no quota error). The size counted is what the request declares
// (PUT, part, POST form), the source's (copies) or the upload's parts
// (Complete). release(ok) adds what the request changed and ends the
// reservation.
func (h *Handler) trackUsage(req *request) (release func(ok bool), err error) {
	release = func(bool) {}
	if h.usage == nil || req.bucket == nil {
		return release, nil
	}
	quota := req.bucket.Quota
	var adding int64
	stores := true
	switch req.op.name {
	case OpPutObject, OpUploadPart:
		if req.res != nil && req.res.DecodedLength >= 0 {
			adding = req.res.DecodedLength
		}
		stores = req.op.name == OpPutObject
	case OpPostObject:
		adding = max(req.r.ContentLength, 0)
	case OpCopyObject, OpUploadPartCopy:
		if req.source != nil {
			adding = req.source.Meta.Size
		}
		stores = req.op.name == OpCopyObject
	case OpCompleteMultipartUpload:
		if quota > 0 {
			parts, _, err := h.store.ListParts(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId"), 0, 10000)
			if err != nil {
				return release, nil // the operation answers NoSuchUpload itself
			}
			for _, p := range parts {
				adding += p.Size
			}
		}
	case OpDeleteObject, OpDeleteObjects:
	default:
		return release, nil
	}
	if !stores && quota <= 0 {
		return release, nil // a part changes no usage
	}
	// The request's own changes go to acc, and reach the ledger with its
	// release: counted earlier, its bytes would stand in the ledger twice
	// (stored and reserved) until then, and refuse writes that fit.
	acc := new(usageAcc)
	release, refused, err := h.reserveUsage(req.ctx, req.t.bucket, req.bucket.Created, quota, adding, stores, acc)
	if err == nil && refused {
		err = newError(s3err.XMinioAdminBucketQuotaExceeded)
	}
	if err == nil {
		req.ctx = fsstore.WithUsageSink(req.ctx, acc.add)
	}
	return release, err
}

// usageAcc gathers one request's changes (fsstore.WithUsageSink).
type usageAcc struct {
	mu sync.Mutex
	c  usageChange
}

func (a *usageAcc) add(_ string, n int64, inexact bool) {
	a.mu.Lock()
	a.c.bytes += n
	a.c.inexact = a.c.inexact || inexact
	a.mu.Unlock()
}

func (a *usageAcc) take() usageChange {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.c
	a.c = usageChange{}
	return c
}

// reserveUsage takes a reservation of adding bytes (refused, with quota
// > 0, when they would not fit) in the bucket's ledger. release ends it
// and adds what this node changed meanwhile.
func (h *Handler) reserveUsage(ctx context.Context, bucket string, created time.Time, quota, adding int64, stores bool, acc *usageAcc) (release func(ok bool), refused bool, err error) {
	release = func(bool) {}
	var idb [12]byte
	rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	err = h.changeLedger(ctx, bucket, created, func(u *usageLedger, now time.Time) bool {
		if quota > 0 && u.Bytes+u.reserved()+adding > quota {
			refused = true
			return false
		}
		u.Res = append(u.Res, usageReserved{ID: id, Node: h.store.NodeID(), Bytes: adding, Until: now.Add(usageLease), Stores: stores})
		u.Seq++
		return true
	})
	if err != nil || refused {
		return release, refused, err
	}
	return func(bool) {
		// The request may be gone; the ledger must still hear of it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err := h.changeLedger(rctx, bucket, created, func(u *usageLedger, _ time.Time) bool {
			changed := false
			if acc != nil {
				if c := acc.take(); c.bytes != 0 || c.inexact {
					u.Bytes += c.bytes
					u.Rebuild = u.Rebuild || c.inexact
					u.Seq++
					changed = true
				}
			}
			for i, r := range u.Res {
				if r.ID == id {
					u.Res = append(u.Res[:i], u.Res[i+1:]...)
					u.Seq++
					return true
				}
			}
			return changed // the reservation expired meanwhile
		})
		if err != nil {
			h.logger.Warn("s3: usage ledger: a reservation stays until its lease ends",
				zap.String("bucket", bucket), zap.Error(err))
		}
	}, false, nil
}

// usageChanging is the lifecycle executor's Changing: a pass that
// expires versions of a bucket holds a reservation across it, like a
// request, so what it removes reaches the ledger when it ends and a
// crash mid-pass makes the bucket walked.
func (h *Handler) usageChanging(ctx context.Context, b fsstore.BucketInfo) (func(), error) {
	if h.usage == nil {
		return func() {}, nil
	}
	release, _, err := h.reserveUsage(ctx, b.Name, b.Created, 0, 0, true, nil)
	return func() { release(true) }, err
}

// kickWalk starts a background walk of bucket on this node unless one
// runs.
func (h *Handler) kickWalk(bucket string, created time.Time) {
	t := h.usage
	t.mu.Lock()
	if t.walking[bucket] {
		t.mu.Unlock()
		return
	}
	t.walking[bucket] = true
	t.mu.Unlock()
	go func() {
		defer func() {
			t.mu.Lock()
			delete(t.walking, bucket)
			t.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := h.reconcile(ctx, bucket, created); err != nil {
			h.logger.Warn("s3: usage walk", zap.String("bucket", bucket), zap.Error(err))
		}
	}()
}

// reconcile walks the bucket when its ledger asks for it and no request
// is changing it, and keeps the sum if none did during the walk.
func (h *Handler) reconcile(ctx context.Context, bucket string, created time.Time) error {
	var seq int64
	start := false
	err := h.changeLedger(ctx, bucket, created, func(u *usageLedger, now time.Time) bool {
		if !u.Rebuild || u.storing() || now.Sub(u.Walked) < h.usage.every {
			return false
		}
		start, seq, u.Walked = true, u.Seq, now
		return true
	})
	if err != nil || !start {
		return err
	}
	h.usage.walks.Add(1)
	w, _, err := h.walkUsage(ctx, bucket)
	if err != nil {
		return err
	}
	return h.changeLedger(ctx, bucket, created, func(u *usageLedger, _ time.Time) bool {
		if u.Seq != seq || u.storing() {
			return false // changed meanwhile: the next quiet moment walks again
		}
		u.Bytes, u.Objects, u.Rebuild = w.Size, w.Objects, false
		u.Seq++
		return true
	})
}

// usageLoop adds this node's changes made outside requests (the store's
// own deletes) to their ledgers every usageFlush, and once more at stop.
func (h *Handler) usageLoop(ctx context.Context) {
	t := time.NewTicker(usageFlush)
	defer t.Stop()
	for {
		done := false
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
		}
		for _, bucket := range h.usage.pendingBuckets() {
			info, err := h.store.Bucket(context.Background(), bucket)
			if err != nil {
				h.usage.take(bucket) // gone: nothing to count
				continue
			}
			fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := h.changeLedger(fctx, bucket, info.Created, func(*usageLedger, time.Time) bool { return false }); err != nil {
				h.logger.Warn("s3: usage ledger", zap.String("bucket", bucket), zap.Error(err))
			}
			cancel()
		}
		if done {
			return
		}
	}
}
