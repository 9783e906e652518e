package fsstore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A prune killed between removing the plain directory "a" and moving the
// object "a" back from its %%file escape leaves the key at the escape
// only. An If-None-Match "*" put of "a" must still see the key: it fails,
// and the object keeps its bytes.
func TestExclusivePutSeesEscapedFile(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "a/b", []byte("child"))
		put(t, s, "bkt", "a", []byte("old a"))
		dir := filepath.Join(rootPath(s), "bkt")
		if _, err := os.Lstat(filepath.Join(dir, escFile+"a")); err != nil {
			t.Fatalf("a is not at its escape: %v", err)
		}
		// The killed prune: a/b gone, the directory a removed, the
		// escape not yet moved back.
		if err := os.Remove(filepath.Join(dir, "a", "b")); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "a")); err != nil {
			t.Fatal(err)
		}
		_, err := s.PutObject(ctx, "bkt", "a", nil, PutOptions{IfNoneMatch: "*"})
		if !errors.Is(err, ErrPreconditionFailed) {
			t.Fatalf("If-None-Match * put of an existing key: %v, want ErrPreconditionFailed", err)
		}
		if b, _ := readObject(t, s, "bkt", "a"); string(b) != "old a" {
			t.Fatalf("a holds %q", b)
		}
	})
}
