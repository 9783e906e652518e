package fsstore

import (
	"os"
	"path/filepath"
	"testing"
)

// openPlainFile opens a plain key's file in one lookup and declines
// everything the general path must decide: a key stored under a
// collision escape, a marker, a missing key, a symlink on the way or at
// the end. OpenObject answers each as before.
func TestOpenPlainFile(t *testing.T) {
	s := newStore(t, false)
	if !s.root.openat2 {
		t.Fatal("openat2 unavailable: the fast path is off on this kernel")
	}
	mustBucket(t, s, "fast")
	put(t, s, "fast", "dir/plain", []byte("plain"))
	put(t, s, "fast", "a/b", []byte("below"))
	put(t, s, "fast", "a", []byte("escaped")) // stored as %%file.a: "a" is a directory
	put(t, s, "fast", "m/", nil)
	if err := os.Symlink("plain", filepath.Join(rootPath(s), "fast", "dir", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("dir", filepath.Join(rootPath(s), "fast", "ldir")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		fast bool
		want string // OpenObject's body; "" for ErrNoSuchKey
	}{
		{"dir/plain", true, "plain"},
		{"a/b", true, "below"},
		{"a", false, "escaped"},
		{"m/", false, ""},
		{"missing", false, ""},
		{"dir/link", false, ""},
		{"ldir/plain", false, ""},
	} {
		p, err := resolve("fast", c.key)
		if err != nil {
			t.Fatal(err)
		}
		f, _, ok := s.openPlainFile("fast", p.rel)
		if ok {
			f.Close()
		}
		if ok != c.fast {
			t.Errorf("%s: fast path %v, want %v", c.key, ok, c.fast)
		}
		if c.key == "m/" {
			continue // a marker: an empty object, see the marker tests
		}
		got, err := s.OpenObject(ctx, "fast", c.key)
		switch {
		case c.want == "" && err != ErrNoSuchKey:
			t.Errorf("%s: OpenObject %v, want ErrNoSuchKey", c.key, err)
		case c.want != "" && err != nil:
			t.Errorf("%s: OpenObject: %v", c.key, err)
		case c.want != "":
			b := make([]byte, 64)
			n, _ := got.Read(b)
			got.Close()
			if string(b[:n]) != c.want {
				t.Errorf("%s: read %q, want %q", c.key, b[:n], c.want)
			}
		}
	}
}
