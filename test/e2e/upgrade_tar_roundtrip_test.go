package e2e

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestUpgradeRootTar: tarRoot and untarRoot keep what the golden root
// needs (modes, mtimes to the nanosecond, user.* xattrs of files and
// directories, hard links), and untarRoot refuses names escaping the root.
func TestUpgradeRootTar(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	sub := filepath.Join(src, "b", "%%dir")
	if err := os.MkdirAll(sub, 0o750); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sub, "obj")
	if err := os.WriteFile(file, []byte("bytes"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(file, filepath.Join(src, "b", "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, sub} {
		if err := unix.Setxattr(p, "user.caddys3.meta", []byte("{\"x\":\"\x00\xff\"}"), 0); err != nil {
			t.Fatalf("setxattr on %s (the test filesystem needs user xattrs): %v", p, err)
		}
	}
	mt := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	for _, p := range []string{file, sub, filepath.Join(src, "b"), src} {
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		mt = mt.Add(time.Second + 7)
	}
	tgz := filepath.Join(dir, "root.tar.gz")
	if err := tarRoot(src, tgz); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := untarRoot(tgz, dst); err != nil {
		t.Fatal(err)
	}
	diffs, err := sameTrees(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	var a, b unix.Stat_t
	if err := unix.Stat(filepath.Join(dst, "b", "%%dir", "obj"), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(filepath.Join(dst, "b", "link"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino {
		t.Error("the hard link is a copy after the round trip")
	}

	for _, name := range []string{"../escape", "/abs", "a/../../escape"} {
		bad := filepath.Join(dir, "bad.tar.gz")
		f, err := os.Create(bad)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		tw := tar.NewWriter(zw)
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		root := filepath.Join(dir, "bad-root")
		_ = os.RemoveAll(root)
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := untarRoot(bad, root); err == nil || !strings.Contains(err.Error(), "escapes the root") {
			t.Errorf("untarRoot of an entry %q: %v, want it refused", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
			t.Errorf("an entry %q was written outside the root", name)
		}
	}
}
