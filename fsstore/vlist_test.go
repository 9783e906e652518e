package fsstore

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestVersionsListDelimiterSkipsSubtrees: a delimiter page of
// ListObjectVersions rolls a common prefix up without reading the
// directories below it, in the plain tree and in the version area. The
// bucket has two prefixes of 40 directories each (one live, one only
// delete markers and old versions, so only in the version area); reading
// them would be 80+ directory listings (s.dirReads counts both trees'
// reads), a rolled-up page needs a handful per prefix.
func TestVersionsListDelimiterSkipsSubtrees(t *testing.T) {
	s := newStore(t, false)
	vstoreBucket(t, s, VersioningEnabled)
	for i := range 40 {
		for _, p := range []string{"a", "z"} {
			k := fmt.Sprintf("%s/d%02d/k", p, i)
			put(t, s, "vbk", k, []byte("1"))
			put(t, s, "vbk", k, []byte("2"))
			if p == "z" {
				if _, err := s.DeleteObjectVersion(ctx, "vbk", k, "", "owner"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	put(t, s, "vbk", "b", []byte("x"))
	put(t, s, "vbk", "c/x", []byte("x"))

	before := s.dirReads.Load()
	r, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{Delimiter: "/", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	reads := s.dirReads.Load() - before
	if got := strings.Join(r.CommonPrefixes, " "); got != "a/ c/ z/" || len(r.Entries) != 1 || r.Entries[0].Key != "b" || r.IsTruncated {
		t.Fatalf("page: prefixes %q, entries %+v, truncated %v", got, r.Entries, r.IsTruncated)
	}
	// Per tree: the bucket directory, and for each prefix its directory
	// and the first one below it that holds a key.
	t.Logf("%d directory reads", reads)
	if reads > 16 {
		t.Errorf("one delimiter page read %d directories; it should not walk the rolled-up prefixes", reads)
	}

	// Page by page (MaxKeys 1): each page starts past the previous
	// common prefix without walking it either.
	before = s.dirReads.Load()
	o := ListVersionsOptions{Delimiter: "/", MaxKeys: 1}
	var got []string
	for range 10 {
		r, err := s.ListObjectVersions(ctx, "vbk", o)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.CommonPrefixes...)
		for _, e := range r.Entries {
			got = append(got, e.Key)
		}
		if !r.IsTruncated {
			break
		}
		o.KeyMarker, o.VersionIDMarker = r.NextKeyMarker, r.NextVersionIDMarker
	}
	if strings.Join(got, " ") != "a/ b c/ z/" {
		t.Fatalf("pages: %q", got)
	}
	if reads := s.dirReads.Load() - before; reads > 4*16 {
		t.Errorf("four one-item pages read %d directories", reads)
	}
}

// TestVersionsListPrefixDelimiterModel checks prefixes and delimiters
// other than "/" against the full listing (which TestVersionsListModel
// checks against a model): a page with Prefix and Delimiter lists the
// full listing's entries under the prefix, those with the delimiter after
// the prefix rolled up into common prefixes, across page sizes.
func TestVersionsListPrefixDelimiterModel(t *testing.T) {
	s := newStore(t, false)
	vstoreBucket(t, s, VersioningEnabled)
	rng := rand.New(rand.NewPCG(15, 7))
	keys := []string{"a", "a/b", "a/b/c", "a-", "a-b/c", "a/", "a//x", "ab-c", "ab-d/e", "b", "b-", "d/", "d/e-f", "d/e-g/h", "%%v", "x/%%v/y", "a/b/", "a/b-c", "a/bb-c/d"}
	for i := range 200 {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(4) == 0 {
			if _, err := s.DeleteObjectVersion(ctx, "vbk", k, "", "owner"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		put(t, s, "vbk", k, []byte(fmt.Sprint(i)))
	}
	full := listVersionsAll(t, s, ListVersionsOptions{MaxKeys: 1000})
	for _, prefix := range []string{"", "a", "a/", "a/b", "d/e", "ab", "x/"} {
		for _, delim := range []string{"/", "-", "b", "/b"} {
			var want []string
			seen := map[string]bool{}
			for _, e := range full {
				k := e[:strings.IndexByte(e, ' ')]
				if !strings.HasPrefix(k, prefix) {
					continue
				}
				if i := strings.Index(k[len(prefix):], delim); i >= 0 {
					cp := k[:len(prefix)+i+len(delim)]
					if !seen[cp] {
						seen[cp] = true
						want = append(want, "P "+cp)
					}
					continue
				}
				want = append(want, e)
			}
			sort.Strings(want)
			for _, mk := range []int{1, 2, 5, 1000} {
				got := listVersionsAll(t, s, ListVersionsOptions{Prefix: prefix, Delimiter: delim, MaxKeys: mk})
				sort.Strings(got)
				if !equalStrings(got, want) {
					t.Fatalf("prefix %q delimiter %q maxkeys %d:\n got %v\nwant %v", prefix, delim, mk, got, want)
				}
			}
		}
	}
}

// TestVersionsListFlatBucketCached: in a flat bucket (no '/' in the keys)
// the version area's bucket directory holds every key, so a walk that
// read it for every page would cost the bucket's size per page. Through
// the listing cache it is read once across pages, and a change made by
// another Store on the same root (a delete marker on a new key: only in
// the version area, not in the plain tree) still shows in the next page.
func TestVersionsListFlatBucketCached(t *testing.T) {
	s := newStore(t, false)
	s.listCacheMin = 0 // 2,000 names count as a large directory
	vstoreBucket(t, s, VersioningEnabled)
	const n = 2000
	for i := range n {
		k := fmt.Sprintf("k%05d", i)
		put(t, s, "vbk", k, []byte("1"))
		put(t, s, "vbk", k, []byte("2"))
	}
	// Let the filesystem clock pass the directories' last change, so that
	// their listings can be cached (see "Validation" in listcache.go).
	time.Sleep(50 * time.Millisecond)

	o := ListVersionsOptions{MaxKeys: 100}
	page := func() ListVersionsResult {
		t.Helper()
		r, err := s.ListObjectVersions(ctx, "vbk", o)
		if err != nil {
			t.Fatal(err)
		}
		if !r.IsTruncated || len(r.Entries) != o.MaxKeys {
			t.Fatalf("page after %q: %d entries, truncated %v", o.KeyMarker, len(r.Entries), r.IsTruncated)
		}
		o.KeyMarker, o.VersionIDMarker = r.NextKeyMarker, r.NextVersionIDMarker
		return r
	}
	pages := func() int64 {
		t.Helper()
		o.KeyMarker, o.VersionIDMarker = "", ""
		before := s.dirReads.Load()
		for p := range 5 {
			r := page()
			if want := fmt.Sprintf("k%05d", 50*p); r.Entries[0].Key != want {
				t.Fatalf("page %d starts at %q, want %q", p, r.Entries[0].Key, want)
			}
		}
		return s.dirReads.Load() - before
	}
	// The walk reads each listed key's own version-area directory (tiny:
	// its %%v), and with listCacheMin 0 caches those too. So the first
	// five pages read 250 key directories and each tree's bucket
	// directory once; the same five pages again read nothing: only fstats.
	if reads := pages(); reads > 250+2 {
		t.Errorf("five pages of a flat bucket read %d directories, want 250 keys' and each tree's bucket directory once", reads)
	}
	if reads := pages(); reads != 0 {
		t.Errorf("five pages of a flat bucket again read %d directories, want none (all cached)", reads)
	}

	// Another Store on the same root: a delete marker on a new key just
	// after the marker (so in the version area only) and a third version
	// of a key of the next page.
	s2 := secondStore(t, s)
	if _, err := s2.DeleteObjectVersion(ctx, "vbk", "k00250a", "", "owner"); err != nil {
		t.Fatal(err)
	}
	put(t, s2, "vbk", "k00260", []byte("3"))
	r := page()
	var got []string
	for _, e := range r.Entries[:25] {
		got = append(got, fmt.Sprintf("%s:%v", e.Key, e.DeleteMarker))
	}
	want := []string{"k00250:false", "k00250:false", "k00250a:true"}
	for i := 251; i < 260; i++ {
		want = append(want, fmt.Sprintf("k%05d:false", i), fmt.Sprintf("k%05d:false", i))
	}
	want = append(want, "k00260:false", "k00260:false", "k00260:false", "k00261:false")
	if !equalStrings(got[:len(want)], want) {
		t.Fatalf("page after another Store's writes:\n got %v\nwant %v", got, want)
	}
}

// TestVersionsListAreaOrder: keys only in the version area (their latest
// a delete marker) are listed in byte order although the area directory's
// listing sorts them as subtrees ("a-/" before "a/", but key "a" before
// "a-"), in one page and page by page.
func TestVersionsListAreaOrder(t *testing.T) {
	listModes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		keys := []string{"a", "a!b", "a-", "a-/x", "a/c", "b"}
		for _, k := range []string{"a/c", "a-", "b", "a", "a-/x", "a!b"} {
			if _, err := s.DeleteObjectVersion(ctx, "vbk", k, "", "owner"); err != nil {
				t.Fatal(err)
			}
		}
		for _, mk := range []int{1, 2, 1000} {
			var got []string
			for _, e := range listVersionsAll(t, s, ListVersionsOptions{MaxKeys: mk}) {
				got = append(got, e[:strings.IndexByte(e, ' ')])
			}
			if !equalStrings(got, keys) {
				t.Fatalf("maxkeys %d: %q, want %q", mk, got, keys)
			}
		}
	})
}
