package fsstore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The lock decision, every mode × bypass × operation (S3 User Guide, "How
// S3 Object Lock works": GOVERNANCE yields to s3:BypassGovernanceRetention,
// COMPLIANCE to nobody, a legal hold to nobody; extending is always
// allowed; an expired retention protects nothing).
func TestLockDecision(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	later, sooner, past := now.Add(48*time.Hour), now.Add(time.Hour), now.Add(-time.Hour)
	cur := now.Add(24 * time.Hour)
	type op int
	const (
		del op = iota
		extend
		shorten
		remove
		toGovernance
		toCompliance
	)
	ops := map[op]string{del: "delete", extend: "extend", shorten: "shorten", remove: "remove", toGovernance: "to-governance", toCompliance: "to-compliance"}
	decide := func(m ObjectMeta, o op, bypass bool) error {
		switch o {
		case del:
			return CheckDelete(m, now, bypass)
		case extend:
			return CheckRetentionChange(m, m.LockMode, later, now, bypass)
		case shorten:
			return CheckRetentionChange(m, m.LockMode, sooner, now, bypass)
		case remove:
			return CheckRetentionChange(m, "", time.Time{}, now, bypass)
		case toGovernance:
			return CheckRetentionChange(m, LockGovernance, later, now, bypass)
		default:
			return CheckRetentionChange(m, LockCompliance, later, now, bypass)
		}
	}
	gov := ObjectMeta{LockMode: LockGovernance, LockUntil: cur}
	comp := ObjectMeta{LockMode: LockCompliance, LockUntil: cur}
	expired := ObjectMeta{LockMode: LockCompliance, LockUntil: past}
	hold := ObjectMeta{LegalHold: LegalHoldOn}
	holdOff := ObjectMeta{LegalHold: LegalHoldOff}
	cases := []struct {
		name    string
		m       ObjectMeta
		bypass  bool
		allowed []op // every other op is refused
	}{
		{"none", ObjectMeta{}, false, []op{del, extend, shorten, remove, toGovernance, toCompliance}},
		{"governance", gov, false, []op{extend, toGovernance}},
		{"governance+bypass", gov, true, []op{del, extend, shorten, remove, toGovernance, toCompliance}},
		{"compliance", comp, false, []op{extend, toCompliance}},
		{"compliance+bypass", comp, true, []op{extend, toCompliance}},
		{"expired compliance", expired, false, []op{del, extend, shorten, remove, toGovernance, toCompliance}},
		{"legal hold", hold, true, []op{extend, shorten, remove, toGovernance, toCompliance}},
		{"legal hold off", holdOff, false, []op{del, extend, shorten, remove, toGovernance, toCompliance}},
	}
	for _, c := range cases {
		for o, name := range ops {
			want := false
			for _, a := range c.allowed {
				want = want || a == o
			}
			err := decide(c.m, o, c.bypass)
			if (err == nil) != want || (err != nil && !errors.Is(err, ErrObjectLocked)) {
				t.Errorf("%s: %s = %v, want allowed %v", c.name, name, err, want)
			}
		}
	}
}

func wormBucket(t *testing.T, s *Store, cfg *ObjectLockConfig) {
	t.Helper()
	if err := s.CreateBucketWith(ctx, "vbk", "owner", NewBucket{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		if err := s.SetBucketObjectLock(ctx, "vbk", *cfg); err != nil {
			t.Fatal(err)
		}
	}
}

func TestObjectLockStore(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		wormBucket(t, s, nil)
		info, err := s.Bucket(ctx, "vbk")
		if err != nil || info.Versioning != VersioningEnabled || info.ObjectLock == nil {
			t.Fatalf("locked bucket: %+v %v", info, err)
		}
		if err := s.SetBucketVersioning(ctx, "vbk", VersioningSuspended); !errors.Is(err, ErrVersioningLocked) {
			t.Fatalf("suspend: %v", err)
		}
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		m1, err := s.PutObject(ctx, "vbk", "k", eofReader{}, PutOptions{Meta: ObjectMeta{LockMode: LockGovernance, LockUntil: until}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.HeadObjectVersion(ctx, "vbk", "k", m1.VersionID)
		if err != nil || got.LockMode != LockGovernance || !got.LockUntil.Equal(until) {
			t.Fatalf("head: %+v %v", got, err)
		}
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", m1.VersionID, ""); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("delete governance: %v", err)
		}
		// A delete without version id adds a marker.
		if r, err := s.DeleteObjectVersion(ctx, "vbk", "k", "", ""); err != nil || !r.DeleteMarker {
			t.Fatalf("marker: %+v %v", r, err)
		}
		// Shortening needs bypass; compliance cannot be shortened at all.
		if err := s.SetObjectRetention(ctx, "vbk", "k", m1.VersionID, LockGovernance, until.Add(-time.Minute), false); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("shorten: %v", err)
		}
		if err := s.SetObjectRetention(ctx, "vbk", "k", m1.VersionID, LockCompliance, until, false); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("to compliance without bypass: %v", err)
		}
		if err := s.SetObjectRetention(ctx, "vbk", "k", m1.VersionID, LockCompliance, until, true); err != nil {
			t.Fatalf("to compliance: %v", err)
		}
		if _, err := s.DeleteObjectVersionOpts(ctx, "vbk", "k", m1.VersionID, "", DeleteOptions{BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("delete compliance with bypass: %v", err)
		}
		if err := s.SetObjectRetention(ctx, "vbk", "k", m1.VersionID, "", time.Time{}, true); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("remove compliance: %v", err)
		}
		// Legal hold blocks a delete even when the retention expired.
		m2 := put(t, s, "vbk", "k", []byte("two"))
		if err := s.SetObjectLegalHold(ctx, "vbk", "k", m2.VersionID, LegalHoldOn); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.HeadObject(ctx, "vbk", "k"); got.LegalHold != LegalHoldOn {
			t.Fatalf("latest legal hold %q (plain file and entry share the record)", got.LegalHold)
		}
		if _, err := s.DeleteObjectVersionOpts(ctx, "vbk", "k", m2.VersionID, "", DeleteOptions{BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("delete held: %v", err)
		}
		if err := s.SetObjectLegalHold(ctx, "vbk", "k", m2.VersionID, LegalHoldOff); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", m2.VersionID, ""); err != nil {
			t.Fatalf("delete released: %v", err)
		}
		// Expired retention protects nothing.
		defer func() { lockNow = time.Now }()
		lockNow = func() time.Time { return until.Add(time.Second) }
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", m1.VersionID, ""); err != nil {
			t.Fatalf("delete expired: %v", err)
		}
	})
}

func TestObjectLockBucketConfig(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "vbk")
		if err := s.SetBucketObjectLock(ctx, "vbk", ObjectLockConfig{}); !errors.Is(err, ErrLockNeedsVersioning) {
			t.Fatalf("unversioned: %v", err)
		}
		if err := s.SetObjectLegalHold(ctx, "vbk", "k", "", LegalHoldOn); !errors.Is(err, ErrNoObjectLock) {
			t.Fatalf("hold without lock: %v", err)
		}
		if err := s.SetBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
			t.Fatal(err)
		}
		old := put(t, s, "vbk", "old", []byte("x"))
		if err := s.SetBucketObjectLock(ctx, "vbk", ObjectLockConfig{Mode: LockCompliance, Days: 2}); err != nil {
			t.Fatalf("versioned: %v", err)
		}
		start := time.Now()
		m := put(t, s, "vbk", "k", []byte("x"))
		want := start.AddDate(0, 0, 2)
		if m.LockMode != LockCompliance || m.LockUntil.Before(want.Add(-time.Second)) || m.LockUntil.After(want.Add(time.Minute)) {
			t.Fatalf("default retention: %s %s, want about %s", m.LockMode, m.LockUntil, want)
		}
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", m.VersionID, ""); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("delete default-retained: %v", err)
		}
		// A version written before lock was enabled is not protected.
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "old", old.VersionID, ""); err != nil {
			t.Fatalf("delete pre-lock version: %v", err)
		}
		if err := s.SetBucketObjectLock(ctx, "vbk", ObjectLockConfig{Mode: LockGovernance, Years: 1}); err != nil {
			t.Fatal(err)
		}
		m = put(t, s, "vbk", "y", []byte("x"))
		if m.LockMode != LockGovernance || m.LockUntil.Before(start.AddDate(1, 0, -1)) {
			t.Fatalf("years: %s %s", m.LockMode, m.LockUntil)
		}
	})
}

// Two goroutines stand for two processes: the decision and the act are
// under the key's file lock, which serialises them alike. Either the
// delete ran first (the version is gone and the hold fails with
// ErrNoSuchVersion) or the hold did (the delete is refused).
func TestObjectLockRace(t *testing.T) {
	s := newStore(t, false)
	wormBucket(t, s, nil)
	for i := range 30 {
		key := fmt.Sprintf("k%d", i)
		m := put(t, s, "vbk", key, []byte("x"))
		var wg sync.WaitGroup
		var delErr, holdErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, delErr = s.DeleteObjectVersion(ctx, "vbk", key, m.VersionID, "") }()
		go func() { defer wg.Done(); holdErr = s.SetObjectLegalHold(ctx, "vbk", key, m.VersionID, LegalHoldOn) }()
		wg.Wait()
		_, headErr := s.HeadObjectVersion(ctx, "vbk", key, m.VersionID)
		switch {
		case delErr == nil && errors.Is(holdErr, ErrNoSuchVersion) && errors.Is(headErr, ErrNoSuchVersion):
		case errors.Is(delErr, ErrObjectLocked) && holdErr == nil && headErr == nil:
		default:
			t.Fatalf("%s: delete %v, hold %v, head %v", key, delErr, holdErr, headErr)
		}
	}
}
