package fsstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vagree checks that readers and listings agree on key in bucket "vbk"
// (the listings first, since a read may repair, see latestFromArea): a
// plain GET answers the same version as the IsLatest entry of
// ListObjectVersions, and ListObjects lists the key exactly when that
// version is not a delete marker. It returns the latest body ("" and false
// when the key is absent).
func vagree(t *testing.T, s *Store, key string) (string, bool) {
	t.Helper()
	listed := false
	for _, k := range listAll(t, s, "vbk", ListOptions{Prefix: key}) {
		listed = listed || k == key
	}
	var latestID string
	var latestMarker, found bool
	lv, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{Prefix: key, MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lv.Entries {
		if e.Key == key && e.IsLatest {
			if found {
				t.Fatalf("%q: two latest versions in %+v", key, lv.Entries)
			}
			found, latestID, latestMarker = true, e.VersionID, e.DeleteMarker
		}
	}
	body, err := vget(t, s, key, "")
	present := err == nil
	if err != nil && !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("get %q: %v", key, err)
	}
	if present != listed || present != (found && !latestMarker) {
		t.Fatalf("%q: GET present %v, ListObjects lists %v, ListObjectVersions latest %v (marker %v)", key, present, listed, found, latestMarker)
	}
	if present {
		m, err := s.HeadObject(ctx, "vbk", key)
		if err != nil || listedID(m.VersionID) != latestID {
			t.Fatalf("%q: HEAD version %q (%v), listed latest %q", key, m.VersionID, err, latestID)
		}
		if got, err := vget(t, s, key, latestID); err != nil || got != body {
			t.Fatalf("%q: latest by id %q (%v), plain GET %q", key, got, err, body)
		}
	}
	return body, present
}

// killedPut runs a put of key that is killed (a panic in the hook)
// between the two steps that publish a version.
func killedPut(s *Store, key, body string) {
	testHookVersionRenamed = func(bucket, key string) { panic("killed") }
	defer func() { testHookVersionRenamed = nil; recover() }()
	s.PutObject(ctx, "vbk", key, strings.NewReader(body), PutOptions{})
}

// A versioned write killed half way, on a key with no plain file (new, or
// whose latest is a delete marker) and on a key with one: every reader and
// listing agrees on the latest version, and the killed write's version is
// either wholly there or not at all.
func TestVersionsKilledWriteAgrees(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		put(t, s, "vbk", "k", []byte("one"))
		put(t, s, "vbk", "gone", []byte("old"))
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "gone", "", "owner"); err != nil {
			t.Fatal(err)
		}
		for key, before := range map[string]string{"new": "", "gone": "", "k": "one"} {
			killedPut(s, key, "crashed-"+key)
			got, ok := vagree(t, s, key)
			if ok && got != "crashed-"+key && got != before || !ok && before != "" {
				t.Fatalf("%q: latest %q (present %v) after a killed write over %q", key, got, ok, before)
			}
			// The next write is the latest everywhere.
			put(t, s, "vbk", key, []byte("after-"+key))
			if got, _ := vagree(t, s, key); got != "after-"+key {
				t.Fatalf("%q: latest %q after the next write", key, got)
			}
		}
	})
}

// A root left by a build that linked a version before renaming it (or a
// power loss that kept the link and lost the rename): the newest version
// is in the area only. The first read of the key re-publishes it as the
// plain file, so from then on ListObjects shows it too.
func TestVersionsAreaOnlyRepublished(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		m := put(t, s, "vbk", "dir/k", []byte("body"))
		if err := os.Remove(filepath.Join(rootPath(s), "vbk", "dir", "k")); err != nil {
			t.Fatal(err)
		}
		if got, err := vget(t, s, "dir/k", ""); got != "body" || err != nil {
			t.Fatalf("get %q %v", got, err)
		}
		if got, _ := vagree(t, s, "dir/k"); got != "body" {
			t.Fatalf("latest %q", got)
		}
		if h, _ := s.HeadObject(ctx, "vbk", "dir/k"); h.VersionID != m.VersionID {
			t.Fatalf("version %q, want %q", h.VersionID, m.VersionID)
		}
	})
}

// Deleting the latest version by id, killed half way: "undeleting" (the
// latest is a marker, the next a data version), removing the latest data
// version over an older one, and over a marker. Readers and listings agree
// at the kill, and the retried delete finishes.
func TestVersionsKilledDeleteAgrees(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		put(t, s, "vbk", "undel", []byte("kept"))
		dm, err := s.DeleteObjectVersion(ctx, "vbk", "undel", "", "owner")
		if err != nil {
			t.Fatal(err)
		}
		put(t, s, "vbk", "two", []byte("old"))
		newer := put(t, s, "vbk", "two", []byte("new"))
		put(t, s, "vbk", "overm", []byte("x"))
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "overm", "", "owner"); err != nil {
			t.Fatal(err)
		}
		last := put(t, s, "vbk", "overm", []byte("y"))
		for _, c := range []struct{ key, vid, after string }{
			{"undel", dm.VersionID, "kept"},
			{"two", newer.VersionID, "old"},
			{"overm", last.VersionID, ""},
		} {
			func() {
				testHookVersionDeleteStep = func(bucket, key string) { panic("killed") }
				defer func() { testHookVersionDeleteStep = nil; recover() }()
				s.DeleteObjectVersion(ctx, "vbk", c.key, c.vid, "owner")
				t.Fatalf("%q: the hook did not run", c.key)
			}()
			vagree(t, s, c.key)
			if _, err := s.DeleteObjectVersion(ctx, "vbk", c.key, c.vid, "owner"); err != nil {
				t.Fatal(err)
			}
			if got, _ := vagree(t, s, c.key); got != c.after {
				t.Fatalf("%q: latest %q after the delete, want %q", c.key, got, c.after)
			}
		}
	})
}

// Deleting by id a version that only the plain file held (its write was
// killed before the link into the area) drops its sidecar record with it:
// the key's sidecar directory holds the records of the versions left.
func TestVersionsKilledWriteDeletedLeavesNoRecord(t *testing.T) {
	s := newStore(t, true)
	vstoreBucket(t, s, VersioningEnabled)
	m1 := put(t, s, "vbk", "k", []byte("one"))
	testHookVersionRenamed = func(bucket, key string) { panic("killed") }
	func() {
		defer func() { recover() }()
		s.PutObject(ctx, "vbk", "k", strings.NewReader("two"), PutOptions{})
	}()
	testHookVersionRenamed = nil
	lv, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 10})
	if err != nil || len(lv.Entries) != 2 {
		t.Fatalf("versions %+v %v", lv.Entries, err)
	}
	if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", lv.Entries[0].VersionID, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := vget(t, s, "k", ""); got != "one" || err != nil {
		t.Fatalf("latest %q %v, want the first version", got, err)
	}
	names, err := os.ReadDir(filepath.Join(rootPath(s), sidecarDir("vbk", "k")))
	if err != nil || len(names) != 1 {
		t.Fatalf("sidecar records of k after deleting the killed version: %v %v, want the one of %s", names, err, m1.VersionID)
	}
}
