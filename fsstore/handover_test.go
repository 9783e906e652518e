package fsstore

import (
	"context"
	"testing"
	"time"
)

// HandOverBucket changes the owner (and ACL) only while the bucket is
// still the expected owner's and was made no later than notAfter: a grant
// older than the bucket, or a bucket someone else owns, is left alone.
func TestHandOverBucket(t *testing.T) {
	s := newStore(t, false)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "hand-over", "admin"); err != nil {
		t.Fatal(err)
	}
	info, _ := s.Bucket(ctx, "hand-over")
	// A grant stored before the bucket was made (a stale one).
	if ok, err := s.HandOverBucket(ctx, "hand-over", "admin", "acct", info.Created.Add(-time.Second), []byte(`{"owner_id":"acct"}`)); ok || err != nil {
		t.Fatalf("older grant: %v %v", ok, err)
	}
	// Another owner's bucket.
	if ok, err := s.HandOverBucket(ctx, "hand-over", "someone", "acct", time.Now(), nil); ok || err != nil {
		t.Fatalf("not from's: %v %v", ok, err)
	}
	if ok, err := s.HandOverBucket(ctx, "hand-over", "admin", "acct", time.Now(), []byte(`{"owner_id":"acct"}`)); !ok || err != nil {
		t.Fatalf("hand over: %v %v", ok, err)
	}
	info, _ = s.Bucket(ctx, "hand-over")
	if info.Owner != "acct" || string(info.ACL) != `{"owner_id":"acct"}` {
		t.Fatalf("after: %+v", info)
	}
	// Once handed, the admin's later grants do nothing.
	if ok, _ := s.HandOverBucket(ctx, "hand-over", "admin", "other", time.Now(), nil); ok {
		t.Fatal("handed twice")
	}
	if _, err := s.HandOverBucket(ctx, "nope", "admin", "acct", time.Now(), nil); err != ErrNoSuchBucket {
		t.Fatalf("missing bucket: %v", err)
	}
}
