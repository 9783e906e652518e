package fsstore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// refList is the S3 listing semantics over a sorted key set.
func refList(keys []string, o ListOptions) ListResult {
	var res ListResult
	if o.MaxKeys <= 0 {
		return res
	}
	n, lastCP := 0, ""
	for _, k := range keys {
		if !strings.HasPrefix(k, o.Prefix) || k <= o.After {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp == lastCP || cp == o.After {
					continue
				}
				if n == o.MaxKeys {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				lastCP, res.Next = cp, cp
				n++
				continue
			}
		}
		if n == o.MaxKeys {
			res.IsTruncated = true
			break
		}
		res.Objects = append(res.Objects, ObjectEntry{Key: k})
		res.Next = k
		n++
	}
	return res
}

func keysOf(res ListResult) []string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Key)
	}
	return out
}

func sameListing(got, want ListResult) bool {
	return equalStrings(keysOf(got), keysOf(want)) && equalStrings(got.CommonPrefixes, want.CommonPrefixes) &&
		got.IsTruncated == want.IsTruncated && got.Next == want.Next
}

// Trap sets: keys next to each other in byte order, prefixes of each other.
var trapSets = [][]string{
	{"a-c", "a/b", "a0", "obj", "obj+", "obj0", "obj-x/y", "a/", "é/x", "z~"},
	{"a-c", "a/b/", "a/b/c", "a0", "obj+", "obj/", "obj/z", "obj0", "obj-x/y", "obj-x/", "é/x", "z~"},
	// Keys that need escaping next to their look-alikes.
	{"/", "/a", "//", "a//b", "a/", "a/./c", "./x", "../", "../y", "%%", "%%empty/x", "...", "a b", "a+b", "a%b", "a-/b", "a0", "é/..", "a/../b"},
}

// fillRandom puts traps plus random keys, returning the stored keys sorted.
func fillRandom(t *testing.T, s *Store, bucket string, traps []string, rng *rand.Rand, n int) []string {
	parts := []string{"a", "a-c", "a0", "b", "obj", "obj+", "obj0", "obj-x", "é", "z~", "x.y", "A", "a b", "", ".", "..", "%%"}
	stored := map[string][]byte{}
	try := func(k string) {
		if k == "" {
			return
		}
		var body []byte
		if !strings.HasSuffix(k, "/") {
			body = []byte(k)
		}
		_, err := s.PutObject(ctx, bucket, k, bytes.NewReader(body), PutOptions{})
		switch {
		case err == nil:
			stored[k] = body
		default:
			t.Fatalf("put %q: %v", k, err)
		}
	}
	for _, k := range traps {
		try(k)
	}
	for range n {
		depth := 1 + rng.IntN(3)
		var comps []string
		for range depth {
			comps = append(comps, parts[rng.IntN(len(parts))])
		}
		k := strings.Join(comps, "/")
		if rng.IntN(6) == 0 {
			k += "/"
		}
		try(k)
	}
	// Empty leftover directories are not keys and must never show up.
	for _, d := range []string{"empty", "a/empty/deeper", "obj-x/empty", "zzz/e1/e2"} {
		if err := os.MkdirAll(filepath.Join(rootPath(s), bucket, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]string, 0, len(stored))
	for k := range stored {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestListOrderAndPagination(t *testing.T) {
	for i, traps := range trapSets {
		t.Run(fmt.Sprint("traps", i), func(t *testing.T) {
			run := modes
			if i == 2 {
				run = listModes // the listing cache sorts the same lists: one set suffices
			}
			run(t, func(t *testing.T, s *Store) { testListing(t, s, traps, uint64(i)) })
		})
	}
}

func testListing(t *testing.T, s *Store, traps []string, seed uint64) {
	{
		mustBucket(t, s, "bkt")
		rng := rand.New(rand.NewPCG(seed, 2))
		keys := fillRandom(t, s, "bkt", traps, rng, 120)
		for _, k := range traps {
			if !slices.Contains(keys, k) {
				t.Fatalf("trap %q missing: %v", k, keys)
			}
		}
		// Metadata in listings matches HEAD.
		res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Objects {
			h, err := s.HeadObject(ctx, "bkt", e.Key)
			if err != nil || h.ETag != e.Meta.ETag || h.Size != e.Meta.Size || !h.LastModified.Equal(e.Meta.LastModified) {
				t.Fatalf("%s: list %+v head %+v %v", e.Key, e.Meta, h, err)
			}
			if !strings.HasSuffix(e.Key, "/") && e.Meta.ETag != md5hex([]byte(e.Key)) {
				t.Fatalf("%s: etag %s", e.Key, e.Meta.ETag)
			}
		}
		prefixes := []string{"", "a", "a/", "a-", "a/b", "obj", "obj/", "obj-x/", "é", "é/", "zz", "nothing/", "a/a/", "A"}
		if seed == 2 {
			prefixes = append(prefixes[:8], "/", "a//", "./", ".", "%%", "../", "é/")
		}
		delims := []string{"", "/", "-", "b", "/a"}
		for _, p := range prefixes {
			for _, d := range delims {
				full := refList(keys, ListOptions{Prefix: p, Delimiter: d, MaxKeys: 100000})
				total := len(full.Objects) + len(full.CommonPrefixes)
				for mk := 1; mk <= total+1; mk++ {
					o := ListOptions{Prefix: p, Delimiter: d, MaxKeys: mk}
					for pages := 0; ; pages++ {
						got, err := s.ListObjects(ctx, "bkt", o)
						if err != nil {
							t.Fatal(err)
						}
						want := refList(keys, o)
						if !sameListing(got, want) {
							t.Fatalf("prefix %q delim %q max %d after %q:\n got %v %v %v %q\nwant %v %v %v %q", p, d, mk, o.After,
								keysOf(got), got.CommonPrefixes, got.IsTruncated, got.Next,
								keysOf(want), want.CommonPrefixes, want.IsTruncated, want.Next)
						}
						if !got.IsTruncated {
							break
						}
						if pages > total {
							t.Fatal("pagination does not end")
						}
						o.After = got.Next
					}
					if total > 60 && mk > 3 {
						mk += total / 10 // keep the big listings quick
					}
				}
			}
		}
		// Arbitrary After values (not only returned Next values).
		for range 300 {
			o := ListOptions{
				Prefix:    prefixes[rng.IntN(len(prefixes))],
				Delimiter: delims[rng.IntN(len(delims))],
				MaxKeys:   1 + rng.IntN(8),
				After:     keys[rng.IntN(len(keys))],
			}
			if rng.IntN(3) == 0 {
				o.After += string([]byte{byte(rng.IntN(128))})
			}
			got, err := s.ListObjects(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			if want := refList(keys, o); !sameListing(got, want) {
				t.Fatalf("%+v:\n got %v %v %v\nwant %v %v %v", o, keysOf(got), got.CommonPrefixes, got.IsTruncated,
					keysOf(want), want.CommonPrefixes, want.IsTruncated)
			}
		}
	}
}

func TestListTraps(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	for _, k := range []string{"a-c", "a/b", "a0", "obj", "obj+", "obj0", "obj-x/y", "dir/", "dir/k"} {
		put(t, s, "bkt", k, nil)
	}
	got := listAll(t, s, "bkt", ListOptions{})
	want := []string{"a-c", "a/b", "a0", "dir/", "dir/k", "obj", "obj+", "obj-x/y", "obj0"}
	if !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
	got = listAll(t, s, "bkt", ListOptions{Delimiter: "/"})
	want = []string{"a-c", "a/", "a0", "dir/", "obj", "obj+", "obj-x/", "obj0"}
	if !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
	got = listAll(t, s, "bkt", ListOptions{Prefix: "dir/", Delimiter: "/"})
	if !equalStrings(got, []string{"dir/", "dir/k"}) {
		t.Fatalf("got %v", got)
	}
	// An empty directory under the prefix is no common prefix.
	os.MkdirAll(filepath.Join(rootPath(s), "bkt", "empty", "sub"), 0o755)
	got = listAll(t, s, "bkt", ListOptions{Prefix: "e", Delimiter: "/"})
	if len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	// MaxKeys 0 is an empty page.
	if res, err := s.ListObjects(ctx, "bkt", ListOptions{}); err != nil || len(pageEntries(res)) != 0 {
		t.Fatal(res, err)
	}
	// A prefix naming an object is no directory.
	if res, err := s.ListObjects(ctx, "bkt", ListOptions{Prefix: "obj/", MaxKeys: 5}); err != nil || len(pageEntries(res)) != 0 {
		t.Fatal(res, err)
	}
}

func TestListDoesNotScanOutsidePrefix(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "p/q/k", nil)
	for i := range 50 {
		put(t, s, "bkt", fmt.Sprintf("other/%d/k", i), nil)
	}
	// Make "other" unreadable by the walk: if the listing entered it, it fails.
	if err := os.Rename(filepath.Join(rootPath(s), "bkt", "other"), filepath.Join(rootPath(s), "bkt", "other.moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(rootPath(s), "bkt", "p", "zlink")); err != nil {
		t.Fatal(err)
	}
	got := listAll(t, s, "bkt", ListOptions{Prefix: "p/q/"})
	if !equalStrings(got, []string{"p/q/k"}) {
		t.Fatal(got)
	}
}
