package fsstore

import (
	"context"
	"sync"
	"time"
)

// A VersionSlot lets a caller learn the version id of a write before the
// write publishes. A CompleteMultipartUpload that outlives the server's
// keep-alive delay commits its 200 headers while the parts are still
// being joined, and S3 sends x-amz-version-id among those headers: the
// handler calls Store.FixVersion when it commits, and the Complete then
// publishes under that id. Without the call (the common, quick case) the
// write takes its id as any write does, under the key's lock.
//
// A fixed id carries the time it was fixed. If another write of the key
// publishes in between, that write is newer and stays the latest; the
// fixed one is published as a noncurrent version (S3's rule for
// concurrent writes: the request with the latest timestamp wins).
type VersionSlot struct {
	mu    sync.Mutex
	name  string // the entry name, once fixed or taken
	fixed bool   // the name was fixed by FixVersion before the publish
	// claimed: the write holds its upload's claim, so it is the one that
	// publishes. A Complete waiting for another Complete of its upload
	// answers that one's result: it fixes nothing (and its headers go
	// without a version id).
	claimed bool
	held    chan struct{} // closed by claim
}

// claimWait bounds how long FixVersion waits for its Complete to claim
// the upload: a Complete first in line claims at once, a retry after a
// node died claims once the dead claim is stale, one waiting for a live
// Complete of its upload never does. The commit it delays is the first
// byte of the answer, well inside SDKs' read timeouts (50 s and more).
func (s *Store) claimWait() time.Duration { return s.claimStaleAfter() + 2*time.Second }

func (slot *VersionSlot) heldLocked() chan struct{} {
	if slot.held == nil {
		slot.held = make(chan struct{})
	}
	return slot.held
}

// claim marks the slot's Complete as the holder of its upload's claim.
func (slot *VersionSlot) claim() {
	if slot != nil {
		slot.mu.Lock()
		if !slot.claimed {
			slot.claimed = true
			close(slot.heldLocked())
		}
		slot.mu.Unlock()
	}
}

// FixVersion fixes the version id slot's write will publish under and
// returns it: for a write that is the one to publish (see claimed), a new
// id when the bucket's versioning is Enabled,
// NullVersion when Suspended, "" when the bucket is unversioned (or its
// state cannot be read: the answer then goes without the header). When
// the write has published already, its id. It waits (at most claimWait)
// for the Complete to claim its upload; one that does not claim fixes
// nothing and gets "".
func (s *Store) FixVersion(ctx context.Context, bucket string, slot *VersionSlot) string {
	slot.mu.Lock()
	held := slot.heldLocked()
	slot.mu.Unlock()
	t := time.NewTimer(s.claimWait())
	select {
	case <-held:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.name != "" {
		return listedID(slot.name)
	}
	if !slot.claimed {
		return ""
	}
	versioned, err := s.bucketState(bucket)
	if err != nil || !versioned {
		return ""
	}
	status, err := s.versioningOf(ctx, bucket)
	if err != nil {
		return ""
	}
	if status != VersioningEnabled {
		// The null version takes its time when it publishes: its id
		// is "null" whenever that is.
		return NullVersion
	}
	slot.name, slot.fixed = newEntryName(time.Now().UnixNano(), false, false), true
	return listedID(slot.name)
}

// take returns the slot's fixed name, or fixes the one fresh makes (a nil
// slot always takes fresh). It runs under the key's lock.
func (slot *VersionSlot) take(fresh func() string) (name string, fixed bool) {
	if slot == nil {
		return fresh(), false
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.name == "" {
		slot.name = fresh()
	}
	return slot.name, slot.fixed
}

// isFixed reports whether FixVersion fixed the slot's id: the write must
// then publish as a version even if it saw the bucket unversioned (it
// raced the first enabling of versioning).
func (slot *VersionSlot) isFixed() bool {
	if slot == nil {
		return false
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	return slot.fixed
}
