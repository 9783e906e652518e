package fsstore

import (
	"strings"
	"testing"
	"time"
)

// ExpireVersion shows the check the key's versions newest first and acts
// only on its approval: a key rewritten since the executor looked keeps
// its new object.
func TestExpireVersionChecks(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "plain")
	old := put(t, s, "plain", "k", []byte("old"))
	put(t, s, "plain", "k", []byte("new!"))
	sameObject := func(v []KeyVersion) bool {
		return len(v) == 1 && v[0].ETag == old.ETag && v[0].Modified.Equal(old.LastModified)
	}
	if acted, err := s.ExpireVersion(ctx, "plain", "k", "", sameObject); err != nil || acted {
		t.Fatalf("rewritten key expired: %v, %v", acted, err)
	}
	if _, err := s.HeadObject(ctx, "plain", "k"); err != nil {
		t.Fatal(err)
	}
	if acted, err := s.ExpireVersion(ctx, "plain", "k", "", func([]KeyVersion) bool { return true }); err != nil || !acted {
		t.Fatalf("approved expiry: %v, %v", acted, err)
	}
	if _, err := s.HeadObject(ctx, "plain", "k"); err != ErrNoSuchKey {
		t.Fatalf("after expiry: %v", err)
	}

	mustBucket(t, s, "ver")
	if err := s.SetBucketVersioning(ctx, "ver", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, s, "ver", "k", []byte("1"))
	v2 := put(t, s, "ver", "k", []byte("22"))
	var seen []KeyVersion
	record := func(v []KeyVersion) bool { seen = v; return true }
	if acted, err := s.ExpireVersion(ctx, "ver", "k", "", record); err != nil || !acted {
		t.Fatalf("marker: %v, %v", acted, err)
	}
	if len(seen) != 2 || seen[0].VersionID != v2.VersionID || seen[1].VersionID != v1.VersionID || seen[0].ETag != v2.ETag || seen[1].DeleteMarker {
		t.Fatalf("check saw %+v", seen)
	}
	if acted, err := s.ExpireVersion(ctx, "ver", "k", v1.VersionID, func(v []KeyVersion) bool {
		seen = v
		return false
	}); err != nil || acted {
		t.Fatalf("refused check acted: %v, %v", acted, err)
	}
	if len(seen) != 3 || !seen[0].DeleteMarker || seen[0].ETag != "" {
		t.Fatalf("check saw %+v", seen)
	}
	if acted, err := s.ExpireVersion(ctx, "ver", "k", v1.VersionID, record); err != nil || !acted {
		t.Fatalf("noncurrent: %v, %v", acted, err)
	}
	res, err := s.ListObjectVersions(ctx, "ver", ListVersionsOptions{MaxKeys: 10})
	if err != nil || len(res.Entries) != 2 || !res.Entries[0].DeleteMarker || res.Entries[1].VersionID != v2.VersionID {
		t.Fatalf("versions left %+v, %v", res.Entries, err)
	}
}

// A lease is one node's until it expires or the node is gone; its holder
// renews it; a released lease is free.
func TestLease(t *testing.T) {
	a := newStore(t, false)
	b, err := open(Options{Root: a.root.Name()}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now()
	ok, mine, err := a.TakeLease(ctx, "x", now, time.Minute)
	if !ok || err != nil || mine.Holder != a.node {
		t.Fatal(ok, mine, err)
	}
	if ok, cur, err := b.TakeLease(ctx, "x", now, time.Minute); ok || err != nil || cur.Holder != a.node {
		t.Fatalf("b took a's lease: %v %+v %v", ok, cur, err)
	}
	if ok, _, err := a.TakeLease(ctx, "x", now.Add(30*time.Second), time.Minute); !ok || err != nil {
		t.Fatal("renewal refused", err)
	}
	if ok, _, _ := b.TakeLease(ctx, "x", now.Add(2*time.Minute), time.Minute); !ok {
		t.Fatal("expired lease not taken over")
	}
	if ok, _, _ := a.TakeLease(ctx, "x", now.Add(2*time.Minute), time.Minute); ok {
		t.Fatal("a took b's fresh lease")
	}
	if err := b.ReleaseLease(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := a.TakeLease(ctx, "x", now.Add(2*time.Minute), time.Minute); !ok {
		t.Fatal("released lease not free")
	}
	if !strings.HasPrefix(leasePath("x"), internalDir+"/") {
		t.Fatal("lease outside the internal directory")
	}
}
