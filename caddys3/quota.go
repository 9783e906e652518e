package caddys3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/caddys3/caddys3/s3err"
)

// Hard quotas (the admin API's set-bucket-quota) are checked against a
// per-bucket ledger under the root, .caddys3/usage/<bucket>.json, read and
// changed only under its cross-process lock (fsstore.UpdateUsageDoc), so
// every node sharing the root decides against the same numbers:
//
//   - bytes: an upper bound of what the bucket stores, as of its last walk
//     plus every write committed since (a write adds its size; deletes and
//     overwrites do not subtract, they mark the ledger dirty instead);
//   - reservations: the admitted writes still running, on any node.
//
// A write is admitted when bytes + reservations + its size <= quota, and
// its reservation is taken in the same locked step: concurrent writes on
// any number of nodes cannot pass the quota together. Staged parts do not
// count (usage is what is stored), Complete counts its parts.
//
// So a write walks nothing while its bucket is clearly under its quota.
// When the ledger says a write would not fit and it may overstate the
// bucket (dirty), the bucket is walked again (reconciliation), at most
// once per reconcileEvery per bucket across nodes, bounded by
// usageMaxPages; within that second the ledger's refusal stands (on the
// safe side: the bucket may hold less than the ledger says).
//
// Crashes: the ledger is replaced by rename (old or new, never torn). A
// reservation whose writer died is never released and holds its room
// until usageLease ends; then the next check walks the bucket. A missing or unreadable ledger, or one of an
// earlier bucket of the same name (its creation time differs), is
// rebuilt by a walk.
const (
	reconcileEvery = time.Second
	usageLease     = 15 * time.Minute
)

type usageLedger struct {
	Created time.Time `json:"created"`
	Bytes   int64     `json:"bytes"`
	// Epoch counts walks: a reservation taken before the latest walk may
	// already be in it.
	Epoch  int64     `json:"epoch"`
	Walked time.Time `json:"walked"`
	// Dirty: Bytes may be above what is stored (deletes, overwrites,
	// failed or expired writes, reservations a walk may have counted).
	Dirty bool `json:"dirty,omitempty"`
	// Rebuild: the quota was set again; writes made while the bucket had
	// none were not counted, so the next check walks.
	Rebuild bool            `json:"rebuild,omitempty"`
	Res     []usageReserved `json:"res,omitempty"`
}

type usageReserved struct {
	ID    string    `json:"id"`
	Bytes int64     `json:"bytes"`
	Epoch int64     `json:"epoch"`
	Until time.Time `json:"until"`
	// Stores: the write adds what it stores (not a part).
	Stores bool `json:"stores,omitempty"`
}

func (u *usageLedger) reserved() (n int64) {
	for _, r := range u.Res {
		n += r.Bytes
	}
	return n
}

// expire takes reservations past their lease as committed.
func (u *usageLedger) expire(now time.Time) (changed bool) {
	keep := u.Res[:0]
	for _, r := range u.Res {
		if now.After(r.Until) {
			if r.Stores {
				u.Bytes += r.Bytes
			}
			// Its writer died, or took longer than the lease: what it
			// stored is unknown until a walk.
			u.Dirty, u.Rebuild, changed = true, true, true
			continue
		}
		keep = append(keep, r)
	}
	u.Res = keep
	return changed
}

// checkQuota refuses a write that would take its bucket over its hard
// quota, with MinIO's XMinioAdminBucketQuotaExceeded (400): the code MinIO
// answers and its clients (minio-js in CloudStack's bucket browser,
// minio-java, mc) show; AWS has no quota error. The size counted is what
// the request declares (PUT, part, POST form), the source's (copies) or
// the upload's parts (Complete). release(ok) ends the write's reservation;
// ok says the operation succeeded.
func (h *Handler) checkQuota(req *request) (release func(ok bool), err error) {
	release = func(bool) {}
	if h.usage == nil || req.bucket == nil || req.bucket.Quota <= 0 {
		return release, nil
	}
	var adding int64
	// stores: the write adds what it stores (not a part); inexact: adding
	// may be above what it stores (a POST form's length), unknown: below
	// (no declared length).
	stores, inexact, unknown := true, false, false
	switch req.op.name {
	case OpPutObject, OpUploadPart:
		if req.res != nil && req.res.DecodedLength >= 0 {
			adding = req.res.DecodedLength
		} else {
			unknown = true
		}
		stores = req.op.name == OpPutObject
	case OpPostObject:
		adding, inexact = max(req.r.ContentLength, 0), true
	case OpCopyObject, OpUploadPartCopy:
		if req.source != nil {
			adding = req.source.Meta.Size
		}
		stores = req.op.name == OpCopyObject
	case OpCompleteMultipartUpload:
		parts, _, err := h.store.ListParts(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId"), 0, 10000)
		if err != nil {
			return release, nil // the operation answers NoSuchUpload itself
		}
		for _, p := range parts {
			adding += p.Size
		}
	default:
		return release, nil
	}
	bucket, quota, created := req.t.bucket, req.bucket.Quota, req.bucket.Created
	// An overwrite may replace what it adds: the ledger then overstates.
	overstates := inexact || req.bucket.Versioning != "Enabled"
	var idb [12]byte
	rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	refused := false
	err = h.store.UpdateUsageDoc(req.ctx, bucket, func(old []byte) ([]byte, bool, error) {
		now := time.Now()
		var u usageLedger
		changed := false
		if old == nil || json.Unmarshal(old, &u) != nil || !u.Created.Equal(created) {
			u = usageLedger{Created: created}
			if err := h.reconcile(req.ctx, bucket, &u, now); err != nil {
				return nil, false, err
			}
			changed = true
		}
		if u.expire(now) {
			changed = true
		}
		if u.Rebuild {
			if err := h.reconcile(req.ctx, bucket, &u, now); err != nil {
				return nil, false, err
			}
			changed = true
		}
		over := func() bool { return u.Bytes+u.reserved()+adding > quota }
		if over() && u.Dirty && now.Sub(u.Walked) >= reconcileEvery {
			if err := h.reconcile(req.ctx, bucket, &u, now); err != nil {
				return nil, false, err
			}
			changed = true
		}
		if over() {
			refused = true
		} else {
			u.Res = append(u.Res, usageReserved{ID: id, Bytes: adding, Epoch: u.Epoch, Until: now.Add(usageLease), Stores: stores})
			changed = true
		}
		if !changed {
			return nil, false, nil
		}
		b, err := json.Marshal(u)
		return b, true, err
	})
	if err != nil {
		return release, err
	}
	if refused {
		return release, newError(s3err.XMinioAdminBucketQuotaExceeded)
	}
	ctx := req.ctx
	return func(ok bool) {
		// The request may be gone; the ledger must still hear of it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err := h.store.UpdateUsageDoc(rctx, bucket, func(old []byte) ([]byte, bool, error) {
			var u usageLedger
			if old == nil || json.Unmarshal(old, &u) != nil {
				return nil, false, nil
			}
			for i, r := range u.Res {
				if r.ID != id {
					continue
				}
				u.Res = append(u.Res[:i], u.Res[i+1:]...)
				if r.Stores {
					// A failed write may still have published: count it.
					u.Bytes += r.Bytes
					if !ok || overstates || r.Epoch != u.Epoch {
						u.Dirty = true
					}
					if unknown {
						u.Rebuild = true // it may have stored more
					}
				}
				b, err := json.Marshal(u)
				return b, true, err
			}
			return nil, false, nil // expired meanwhile: already counted
		})
		if err != nil {
			h.logger.Warn("s3: quota ledger: a reservation stays until its lease ends",
				zap.String("bucket", bucket), zap.Error(err))
		}
	}, nil
}

// reconcile sets the ledger's bytes from a fresh walk of the bucket. The
// reservations stay: a write that published before the walk is counted
// twice until it is released (on the safe side), and its release then
// marks the ledger dirty (the epoch moved).
func (h *Handler) reconcile(ctx context.Context, bucket string, u *usageLedger, now time.Time) error {
	w, err := h.bucketUsage(ctx, bucket, true)
	if err != nil {
		return err
	}
	u.Bytes, u.Epoch, u.Walked, u.Dirty, u.Rebuild = w.Size, u.Epoch+1, now, false, false
	return nil
}

// markRebuild makes the next quota check of bucket walk it: writes made
// while it had no quota were not counted. set-bucket-quota calls it before
// it changes the quota, so a write that sees the new quota also sees the
// mark (a write admitted under no quota and still running then is the one
// the ledger can miss).
func (h *Handler) markRebuild(ctx context.Context, bucket string) error {
	return h.store.UpdateUsageDoc(ctx, bucket, func(old []byte) ([]byte, bool, error) {
		var u usageLedger
		if old == nil || json.Unmarshal(old, &u) != nil {
			return nil, false, nil // rebuilt anyway
		}
		u.Rebuild = true
		b, err := json.Marshal(u)
		return b, true, err
	})
}
