package fsstore

import (
	"context"
	"testing"
)

// UpdateUsageDoc keeps one document per bucket: nil at first, stored when
// change reports a change, left alone otherwise, removed with the bucket.
func TestUpdateUsageDoc(t *testing.T) {
	s := newStore(t, false)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "usage-doc", "o"); err != nil {
		t.Fatal(err)
	}
	set := func(doc string, changed bool) (got string) {
		t.Helper()
		err := s.UpdateUsageDoc(ctx, "usage-doc", func(old []byte) ([]byte, bool, error) {
			got = string(old)
			return []byte(doc), changed, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := set(`{"n":1}`, true); got != "" {
		t.Fatalf("first: %q", got)
	}
	if got := set(`{"n":2}`, false); got != `{"n":1}` {
		t.Fatalf("second: %q", got)
	}
	if got := set(`{"n":3}`, true); got != `{"n":1}` {
		t.Fatalf("unchanged was stored: %q", got)
	}
	if err := s.DeleteBucket(ctx, "usage-doc"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "usage-doc", "o"); err != nil {
		t.Fatal(err)
	}
	if got := set(`{}`, false); got != "" {
		t.Fatalf("after the bucket was deleted: %q", got)
	}
}
