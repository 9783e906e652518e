package fsstore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// collidingParts make keys that are prefixes of each other, end in '/',
// hold empty, "." and ".." components and look like escapes.
var collidingParts = []string{"a", "a", "b", "", "", ".", "..", "%%", "%%dir.a", "%%file.a", "%%empty", "a-", "a0", "é"}

// collidingKeys is a seeded set of distinct keys with many collisions.
func collidingKeys(rng *rand.Rand, n int) []string {
	set := map[string]bool{}
	for _, k := range []string{"a", "a/", "a/b", "a//b", "a/b/", "a/b/c", "d/", "d/x", "d//x", "d//", "./x", "../", "..", "%%dir.a/x", "a/%%file.b"} {
		set[k] = true
	}
	for len(set) < n {
		var comps []string
		for range 1 + rng.IntN(4) {
			comps = append(comps, collidingParts[rng.IntN(len(collidingParts))])
		}
		k := strings.Join(comps, "/")
		if rng.IntN(4) == 0 {
			k += "/"
		}
		if k != "" {
			set[k] = true
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
}

// writeKey stores body at key with a put or, when viaComplete, a
// multipart upload of two parts (one when body is short).
func writeKey(t *testing.T, s *Store, key string, body []byte, viaComplete bool) {
	t.Helper()
	if !viaComplete {
		m, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(body), PutOptions{})
		if err != nil || m.ETag != md5hex(body) {
			t.Fatalf("put %q: %v %+v", key, err, m)
		}
		return
	}
	u := create(t, s, "bkt", key)
	var parts []Part
	if len(body) > 1 {
		parts = append(parts, uploadPart(t, s, u, 1, body[:1]), uploadPart(t, s, u, 2, body[1:]))
	} else {
		parts = append(parts, uploadPart(t, s, u, 1, body))
	}
	if _, err := s.CompleteMultipartUpload(ctx, "bkt", key, u.UploadID, completeParts(parts...), CompleteOptions{}); err != nil {
		t.Fatalf("complete %q: %v", key, err)
	}
}

// checkKeySpace compares every key's bytes and the listings, page by page,
// with the model.
func checkKeySpace(t *testing.T, s *Store, rng *rand.Rand, model map[string][]byte, what string) {
	t.Helper()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range model {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		got, m := readObject(t, s, "bkt", k)
		if !bytes.Equal(got, model[k]) || m.Size != int64(len(got)) {
			t.Fatalf("%s: get %q: %q, want %q", what, k, got, model[k])
		}
	}
	var prefixes = []string{"", "a", "a/", "a//", "d/", "%%", "."}
	for range 6 {
		if len(keys) > 0 {
			k := keys[rng.IntN(len(keys))]
			prefixes = append(prefixes, k[:rng.IntN(len(k)+1)])
		}
	}
	for _, prefix := range prefixes {
		for _, delim := range []string{"", "/"} {
			for _, maxKeys := range []int{1, 2, 3, 1000} {
				starts := []string{""}
				if len(keys) > 0 {
					starts = append(starts, keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]+"/")
				}
				for _, after := range starts {
					o := ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, After: after}
					for pages := 0; ; pages++ {
						got, err := s.ListObjects(ctx, "bkt", o)
						if err != nil {
							t.Fatal(err)
						}
						want := refList(keys, o)
						if !sameListing(got, want) {
							t.Fatalf("%s: %+v:\n got %q %q %v %q\nwant %q %q %v %q", what, o, keysOf(got), got.CommonPrefixes, got.IsTruncated, got.Next,
								keysOf(want), want.CommonPrefixes, want.IsTruncated, want.Next)
						}
						for _, e := range got.Objects {
							if e.Meta.Size != int64(len(model[e.Key])) {
								t.Fatalf("%s: listed %q with size %d", what, e.Key, e.Meta.Size)
							}
						}
						if !got.IsTruncated {
							break
						}
						if pages > len(keys) {
							t.Fatal("pagination does not end")
						}
						o.After = got.Next // V1 NextMarker, V2 continuation
					}
				}
			}
		}
	}
	checkLayout(t, s, "bkt")
}

// wantEscapes fails unless the bucket holds both kinds of escapes.
func wantEscapes(t *testing.T, s *Store) {
	t.Helper()
	if e := checkLayout(t, s, "bkt"); e[nameDir] == 0 || e[nameFile] == 0 {
		t.Fatalf("no collisions exercised: %v", e)
	}
}

// checkLayout walks the bucket directory and checks the invariants of
// collide.go: no plain directory next to its %%dir escape, a %%file escape
// only next to a plain directory, every entry a name the store makes.
func checkLayout(t *testing.T, s *Store, bucket string) (escapes [3]int) {
	t.Helper()
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]os.FileMode{}
		for _, e := range ents {
			kinds[e.Name()] = e.Type()
		}
		for _, e := range ents {
			name := e.Name()
			_, kind, ok := decodeNameKind(name)
			if !ok {
				t.Errorf("%s/%s: not a name the store makes", dir, name)
				continue
			}
			escapes[kind]++
			switch kind {
			case nameDir:
				plain := strings.TrimPrefix(name, escDir)
				if !e.IsDir() || kinds[plain].IsDir() {
					t.Errorf("%s/%s: escape dir next to plain %v", dir, name, kinds[plain])
				}
			case nameFile:
				plain := strings.TrimPrefix(name, escFile)
				if !e.Type().IsRegular() || !kinds[plain].IsDir() {
					t.Errorf("%s/%s: escaped file without a plain directory", dir, name)
				}
			}
			if e.IsDir() {
				walk(filepath.Join(dir, name))
			}
		}
	}
	walk(filepath.Join(rootPath(s), bucket))
	return escapes
}

// TestEveryKey writes a seeded set of colliding keys in random order (puts
// and Completes, overwrites), deletes them in random order, and checks
// every key and every listing against the model after each phase.
func TestEveryKey(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			listModes(t, func(t *testing.T, s *Store) {
				s.minPartSize = 1
				mustBucket(t, s, "bkt")
				rng := rand.New(rand.NewPCG(seed, 15))
				keys := collidingKeys(rng, 70)
				model := map[string][]byte{}
				write := func(k string, round int) {
					body := []byte(fmt.Sprintf("%d:%q", round, k))
					if strings.HasSuffix(k, "/") && rng.IntN(2) == 0 {
						body = nil
					}
					complete := len(body) > 0 && rng.IntN(4) == 0
					writeKey(t, s, k, body, complete)
					model[k] = body
				}
				for _, i := range rng.Perm(len(keys)) {
					write(keys[i], 0)
				}
				checkKeySpace(t, s, rng, model, "written")
				wantEscapes(t, s)
				// Overwrites (a marker may become a body and back).
				for _, i := range rng.Perm(len(keys))[:len(keys)/3] {
					write(keys[i], 1)
				}
				checkKeySpace(t, s, rng, model, "overwritten")
				order := rng.Perm(len(keys))
				for n, i := range order {
					if err := s.DeleteObject(ctx, "bkt", keys[i]); err != nil {
						t.Fatal(err)
					}
					delete(model, keys[i])
					if n == len(keys)/2 {
						checkKeySpace(t, s, rng, model, "half deleted")
						// Rewrite some deleted keys.
						for _, j := range order[:n/3] {
							write(keys[j], 2)
						}
						checkKeySpace(t, s, rng, model, "rewritten")
					}
				}
				for k := range model {
					if err := s.DeleteObject(ctx, "bkt", k); err != nil {
						t.Fatal(err)
					}
				}
				checkKeySpace(t, s, rng, map[string][]byte{}, "deleted")
				if ents, _ := os.ReadDir(filepath.Join(rootPath(s), "bkt")); len(ents) != 0 {
					t.Errorf("left in the bucket: %v", ents)
				}
			})
		})
	}
}

// TestEveryKeyConcurrent races writers and deleters of colliding keys, in
// two Stores sharing one root. Each key belongs to one goroutine (so its
// final state is known), but the keys of different goroutines collide.
func TestEveryKeyConcurrent(t *testing.T) {
	s1 := newStore(t, false)
	s2, err := Open(Options{Root: rootPath(s1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	mustBucket(t, s1, "bkt")
	owned := [][]string{
		{"a", "d/", "x/y/z"},
		{"a/", "a/b/", "d//x"},
		{"a/b", "d//", "x"},
		{"a//b", "d/x", "x/y"},
		{"a/b/c", "d", "x/"},
		{"a/b//", "d/x/y", "x/y/"},
	}
	final := make([]map[string][]byte, len(owned))
	var wg sync.WaitGroup
	for g, keys := range owned {
		final[g] = map[string][]byte{}
		wg.Go(func() {
			s := s1
			if g%2 == 1 {
				s = s2
			}
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 300 {
				k := keys[rng.IntN(len(keys))]
				if rng.IntN(3) == 0 {
					if err := s.DeleteObject(ctx, "bkt", k); err != nil {
						t.Errorf("delete %q: %v", k, err)
						return
					}
					delete(final[g], k)
					continue
				}
				body := []byte(fmt.Sprintf("%d.%d", g, i))
				if strings.HasSuffix(k, "/") && rng.IntN(2) == 0 {
					body = nil
				}
				if _, err := s.PutObject(ctx, "bkt", k, bytes.NewReader(body), PutOptions{}); err != nil {
					t.Errorf("put %q: %v", k, err)
					return
				}
				final[g][k] = body
				if got, err := s.OpenObject(ctx, "bkt", k); err == nil {
					got.Close() // a reader racing the others; may miss while deleted by no one
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	model := map[string][]byte{}
	for _, m := range final {
		for k, v := range m {
			model[k] = v
		}
	}
	checkKeySpace(t, s1, rand.New(rand.NewPCG(1, 2)), model, "after the race")
	checkKeySpace(t, s2, rand.New(rand.NewPCG(3, 4)), model, "after the race (second store)")
	checkMarkerForms(t, s1, model)
}

// checkMarkerForms checks that no key ending in '/' has both forms.
func checkMarkerForms(t *testing.T, s *Store, model map[string][]byte) {
	t.Helper()
	for k := range model {
		if !strings.HasSuffix(k, "/") {
			continue
		}
		p, _ := keyPath(k)
		d, drel, err := s.findDir("bkt", p.rel)
		if err != nil {
			t.Fatalf("%q: %v", k, err)
		}
		var marker bool
		withFd(d, func(fd int) error {
			id, _, _ := statID(fd)
			_, marker, _ = s.meta.loadMarker(fd, id.Ino, "bkt", k)
			return nil
		})
		d.Close()
		var st unix.Stat_t
		body := unix.Lstat(filepath.Join(rootPath(s), "bkt", drel, escEmpty), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
		if marker && body || marker != (len(model[k]) == 0) {
			t.Errorf("%q: marker %v, body file %v, model %q", k, marker, body, model[k])
		}
	}
}
