package fsstore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// weirdParts are key components that need escaping, look like escapes, or
// sit next to '/' in byte order.
var weirdParts = []string{"", "", ".", "..", "...", "%%", "%%empty", "%%dot", "%", "%2F", "a", "a b", "+", "obj",
	"obj+", "obj-x", "obj0", "é", "~", "-", "\x01", ".caddys3"}

func randomWeirdKey(rng *rand.Rand) string {
	var comps []string
	for range 1 + rng.IntN(4) {
		comps = append(comps, weirdParts[rng.IntN(len(weirdParts))])
	}
	k := strings.Join(comps, "/")
	if rng.IntN(5) == 0 {
		k += "/"
	}
	return k
}

// TestWeirdKeysRoundTrip puts and deletes random keys with empty, "." and
// ".." components, escape look-alikes, leading and doubled '/' and folder
// markers, checking every operation and listing against an in-memory
// model.
func TestWeirdKeysRoundTrip(t *testing.T) {
	for seed := range uint64(2) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			listModes(t, func(t *testing.T, s *Store) { testWeirdKeys(t, s, seed) })
		})
	}
}

func testWeirdKeys(t *testing.T, s *Store, seed uint64) {
	mustBucket(t, s, "bkt")
	rng := rand.New(rand.NewPCG(seed, 99))
	model := map[string][]byte{}
	for round := range 6 {
		for range 60 {
			k := randomWeirdKey(rng)
			if rng.IntN(4) == 0 && len(model) > 0 {
				// Delete an existing key (or, sometimes, a missing one).
				if rng.IntN(3) > 0 {
					keys := slices.Sorted(func(yield func(string) bool) {
						for k := range model {
							if !yield(k) {
								return
							}
						}
					})
					k = keys[rng.IntN(len(keys))]
				}
				if err := s.DeleteObject(ctx, "bkt", k); err != nil {
					t.Fatalf("delete %q: %v", k, err)
				}
				delete(model, k)
				continue
			}
			body := []byte(fmt.Sprintf("%d:%q", round, k))
			if strings.HasSuffix(k, "/") && rng.IntN(2) == 0 {
				body = nil // a folder marker
			}
			m, err := s.PutObject(ctx, "bkt", k, bytes.NewReader(body), PutOptions{})
			switch {
			case k == "":
				if !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("empty key: %v", err)
				}
			case err != nil:
				t.Fatalf("put %q: %v", k, err)
			default:
				if m.ETag != md5hex(body) {
					t.Fatalf("put %q: etag %s", k, m.ETag)
				}
				model[k] = body
			}
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range model {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			got, m := readObject(t, s, "bkt", k)
			if !bytes.Equal(got, model[k]) || m.ETag != md5hex(model[k]) {
				t.Fatalf("get %q: %q %+v", k, got, m)
			}
		}
		if got := listAll(t, s, "bkt", ListOptions{}); !slices.Equal(got, keys) {
			t.Fatalf("round %d listing\n got %q\nwant %q", round, got, keys)
		}
		// Random prefixes (cut from stored keys, so they hit), delimiters,
		// page sizes and After values, paged to the end.
		for range 30 {
			o := ListOptions{MaxKeys: 1 + rng.IntN(7)}
			if len(keys) > 0 && rng.IntN(4) > 0 {
				k := keys[rng.IntN(len(keys))]
				o.Prefix = k[:rng.IntN(len(k)+1)]
			}
			o.Delimiter = []string{"", "/", "/", ".", "%"}[rng.IntN(5)]
			if len(keys) > 0 && rng.IntN(3) == 0 {
				o.After = keys[rng.IntN(len(keys))]
			}
			for pages := 0; ; pages++ {
				got, err := s.ListObjects(ctx, "bkt", o)
				if err != nil {
					t.Fatal(err)
				}
				want := refList(keys, o)
				if !sameListing(got, want) {
					t.Fatalf("%+v:\n got %q %q %v %q\nwant %q %q %v %q", o, keysOf(got), got.CommonPrefixes, got.IsTruncated, got.Next,
						keysOf(want), want.CommonPrefixes, want.IsTruncated, want.Next)
				}
				if !got.IsTruncated {
					break
				}
				if pages > len(keys) {
					t.Fatal("pagination does not end")
				}
				o.After = got.Next
			}
		}
	}
	// Every key deleted leaves an empty bucket directory.
	for k := range model {
		if err := s.DeleteObject(ctx, "bkt", k); err != nil {
			t.Fatal(err)
		}
	}
	if got := listAll(t, s, "bkt", ListOptions{}); len(got) != 0 {
		t.Fatalf("left %q", got)
	}
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
}
