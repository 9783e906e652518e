package fsstore

import (
	"bytes"
	"testing"
)

// TestPutReplaceChangedUnderIt: an overwrite that finds its key taken,
// whose key another node then deletes, or deletes and makes a directory
// of keys, between the failed link and the rename (testHookStaged runs
// there): the put still publishes its bytes at the key (the rename takes
// a freed name; over a directory of keys it goes the general way, to the
// key's escape), the other node's key survives, and no staging name is
// left behind.
func TestPutReplaceChangedUnderIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, other *Store)
	}{
		{"deleted", func(t *testing.T, other *Store) {
			if err := other.DeleteObject(ctx, "bkt", "k"); err != nil {
				t.Error(err)
			}
		}},
		{"made a directory of keys", func(t *testing.T, other *Store) {
			if err := other.DeleteObject(ctx, "bkt", "k"); err != nil {
				t.Error(err)
			}
			if _, err := other.PutObject(ctx, "bkt", "k/inner", bytes.NewReader([]byte("inner")), PutOptions{}); err != nil {
				t.Error(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, false)
			if !s.unnamed {
				t.Fatal("no unnamed staging")
			}
			other, err := open(Options{Root: rootPath(s)}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			mustBucket(t, s, "bkt")
			put(t, s, "bkt", "k", []byte("old"))
			changed := false
			testHookStaged = func(_, key string) {
				if key == "k" && !changed {
					changed = true
					tc.change(t, other)
				}
			}
			defer func() { testHookStaged = nil }()
			put(t, s, "bkt", "k", []byte("new"))
			if !changed {
				t.Fatal("the overwrite never reached its rename")
			}
			if got, _ := readObject(t, s, "bkt", "k"); string(got) != "new" {
				t.Fatalf("k holds %q", got)
			}
			if tc.name != "deleted" {
				if got, _ := readObject(t, s, "bkt", "k/inner"); string(got) != "inner" {
					t.Fatalf("k/inner holds %q", got)
				}
			}
			if left := tmpEntries(t, s); len(left) != 0 {
				t.Fatalf("staging entries left: %v", left)
			}
		})
	}
}
