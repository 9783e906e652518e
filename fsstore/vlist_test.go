package fsstore

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
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
				if _, err := s.DeleteObjectVersion(ctx, "vbk", k, ""); err != nil {
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
			if _, err := s.DeleteObjectVersion(ctx, "vbk", k, ""); err != nil {
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
