package fsstore

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// versionLines lists every version of vbk, briefly or with full reads.
func versionLines(t *testing.T, s *Store, brief bool) []string {
	t.Helper()
	r, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 1000, Brief: brief})
	if err != nil || r.IsTruncated {
		t.Fatal(r.IsTruncated, err)
	}
	var out []string
	for _, e := range r.Entries {
		m := e.Meta
		out = append(out, fmt.Sprintf("%s %s latest=%v dm=%v %s/%d/%d/%s/%s", e.Key, e.VersionID, e.IsLatest, e.DeleteMarker,
			m.ETag, m.Size, m.LastModified.Unix(), m.Owner, m.ChecksumAlgorithm))
	}
	return out
}

// areaFile is the path of the version area entry of key's version id.
func areaFile(t *testing.T, s *Store, key, id string) string {
	t.Helper()
	st, err := s.loadState("vbk", key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	for _, n := range st.names {
		if listedID(n) == id {
			return filepath.Join(rootPath(s), st.vdir, n)
		}
	}
	t.Fatalf("%s: no entry for version %s in %q", key, id, st.names)
	return ""
}

// TestVersionListFieldsFresh: a brief ListObjectVersions of a versioned
// bucket, served from the listing fields cache, lists what full reads of
// each version show after every change by a second Store on the same
// root or by hand: a version added, a version deleted, a version's record
// edited in place (only its ctime tells), the latest version rewritten in
// place, an area entry removed, and one replaced by another file.
func TestVersionListFieldsFresh(t *testing.T) {
	s := newStore(t, false)
	s2 := secondStore(t, s)
	vstoreBucket(t, s, VersioningEnabled)
	ids := map[string][]string{} // key: version ids, oldest first
	putV := func(st *Store, key, body string) {
		t.Helper()
		m := put(t, st, "vbk", key, []byte(body))
		ids[key] = append(ids[key], m.VersionID)
	}
	for i := range 3 {
		putV(s, "a", fmt.Sprintf("a body %d", i))
	}
	putV(s, "b", "b body")
	putV(s, "c/d", "c/d body 0")
	putV(s, "c/d", "c/d body 1")
	if _, err := s.DeleteObjectVersion(ctx, "vbk", "c/d", "", "owner"); err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		full := versionLines(t, s, false)
		if brief := versionLines(t, s, true); !slices.Equal(brief, full) {
			t.Errorf("%s: brief listing\n%q\nfull reads\n%q", what, brief, full)
		}
	}
	waitSettled()
	check("first listing")
	if s.listFields.lru.Len() < 5 {
		t.Fatalf("%d files cached after listing 6 versions", s.listFields.lru.Len())
	}

	putV(s2, "a", "a body 3, longer")
	check("a version added by another store")

	waitSettled()
	check("settled")
	if _, err := s2.DeleteObjectVersion(ctx, "vbk", "a", ids["a"][1], "owner"); err != nil {
		t.Fatal(err)
	}
	check("a version deleted by another store")

	waitSettled()
	check("settled")
	editETagByHand(t, areaFile(t, s, "c/d", ids["c/d"][0]), "c/d body 0", "edited")
	editETagByHand(t, filepath.Join(rootPath(s), "vbk", "b"), "b body", "edited too")
	check("records edited in place by hand")

	waitSettled()
	check("settled")
	if err := os.WriteFile(filepath.Join(rootPath(s), "vbk", "a"), []byte("rewritten in place"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("latest version rewritten in place by hand")

	waitSettled()
	check("settled")
	if err := os.Remove(areaFile(t, s, "a", ids["a"][0])); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(areaFile(t, s, "a", ids["a"][3]), areaFile(t, s, "a", ids["a"][2])); err != nil {
		t.Fatal(err)
	}
	check("area entries removed and renamed over by hand")
}

// BenchmarkListVersionsVersioned: a page of 1,000 versions (500 keys of a
// versioned bucket, two versions each) read in full (what every
// versioned listing did before) or through the listing fields cache.
func BenchmarkListVersionsVersioned(b *testing.B) {
	s := newStore(b, false)
	mustBucket(b, s, "vbk")
	if err := s.SetBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		put(b, s, "vbk", fmt.Sprintf("d%02d/obj%04d", i%10, i/2), []byte("x"))
	}
	waitSettled()
	for _, brief := range []bool{false, true} {
		b.Run(map[bool]string{false: "full", true: "brief"}[brief], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 1000, Brief: brief})
				if err != nil || len(r.Entries) != 1000 {
					b.Fatal(len(r.Entries), err)
				}
			}
		})
	}
}
