package fsstore

import (
	"os"
	"path/filepath"
	"testing"
)

// A Suspended write killed after linking its null version and before
// dropping the previous null entry leaves two null entries: the key still
// lists one null version (the newest), GET of "null" serves it, and a
// delete of "null" removes both.
func TestShadowedNullEntries(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		put(t, s, "vbk", "k", []byte("v1"))
		if err := s.SetBucketVersioning(ctx, "vbk", VersioningSuspended); err != nil {
			t.Fatal(err)
		}
		put(t, s, "vbk", "k", []byte("null, newest"))
		st, err := s.loadState("vbk", "k")
		if err != nil {
			t.Fatal(err)
		}
		st.close()
		var null string
		for _, n := range st.names {
			if isNullEntry(n) {
				null = n
			}
		}
		ns, _, _, _ := parseEntry(null)
		// The previous null version the killed write did not drop: older
		// than the newest null, newer than v1 is not required.
		stale := filepath.Join(rootPath(s), st.vdir, newEntryName(ns-1, false, true))
		if err := os.WriteFile(stale, []byte("null, stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		got := listVersionsAll(t, s, ListVersionsOptions{MaxKeys: 1000})
		if len(got) != 2 || got[0] != "k null latest=true" {
			t.Fatalf("versions %v, want the newest null and v1", got)
		}
		if b, err := vget(t, s, "k", NullVersion); err != nil || b != "null, newest" {
			t.Fatalf("GET null: %q %v", b, err)
		}
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", NullVersion, ""); err != nil {
			t.Fatal(err)
		}
		got = listVersionsAll(t, s, ListVersionsOptions{MaxKeys: 1000})
		if len(got) != 1 || got[0][:2] != "k " || got[0][len(got[0])-11:] != "latest=true" {
			t.Fatalf("versions after deleting null: %v, want v1 alone, the latest", got)
		}
		if b, _ := vget(t, s, "k", ""); b != "v1" {
			t.Fatalf("latest %q, want v1", b)
		}
	})
}
