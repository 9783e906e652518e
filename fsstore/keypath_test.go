package fsstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValidBucketName(t *testing.T) {
	good := []string{"abc", "my-bucket", "my.bucket", "a1b", "123", strings.Repeat("a", 63), "1.2.3", "1.2.3.4a"}
	bad := []string{"", "ab", strings.Repeat("a", 64), "Abc", "a_b", "-ab", "ab-", ".ab", "ab.", "a..b", "a.-b", "a-.b",
		"192.168.1.1", ".caddys3", "..", "a/b", "a b", "ab\x00"}
	for _, n := range good {
		if !ValidBucketName(n) {
			t.Errorf("%q should be valid", n)
		}
	}
	for _, n := range bad {
		if ValidBucketName(n) {
			t.Errorf("%q should be invalid", n)
		}
	}
}

func TestKeyPath(t *testing.T) {
	ok := map[string]objPath{
		"a":        {rel: "a"},
		"a/b/c":    {rel: "a/b/c"},
		"dir/":     {rel: "dir", marker: true},
		"a/b/":     {rel: "a/b", marker: true},
		"é ~+%":    {rel: "é ~+%"},
		"...":      {rel: "..."},
		"a/.b/..c": {rel: "a/.b/..c"},
	}
	for k, want := range ok {
		got, err := keyPath(k)
		if err != nil || got != want {
			t.Errorf("keyPath(%q) = %+v, %v; want %+v", k, got, err, want)
		}
		if back := keyFromPath(got.rel, got.marker); back != k {
			t.Errorf("keyFromPath round trip %q -> %q", k, back)
		}
	}
	invalid := []string{"", "/", "/etc/passwd", "../x", "a/../../b", "a/./b", ".", "..", "a//b", "a/b//",
		"a\x00b", "\xff\xfe", "./", "../"}
	for _, k := range invalid {
		if _, err := keyPath(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("keyPath(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	long := []string{strings.Repeat("a", 1025), strings.Repeat("a", 256), "x/" + strings.Repeat("b", 256) + "/y"}
	for _, k := range long {
		if _, err := keyPath(k); !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("keyPath(len %d) = %v, want ErrKeyTooLong", len(k), err)
		}
	}
	if _, err := keyPath(strings.Repeat(strings.Repeat("a", 255)+"/", 3) + strings.Repeat("c", 255)); err != nil {
		t.Errorf("1023-byte key of 255-byte components: %v", err)
	}
}

// TestTraversal checks that hostile keys and bucket names are rejected and
// nothing is created outside the root or in the internal directory.
func TestTraversal(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		parent := filepath.Dir(rootPath(s))
		if err := os.WriteFile(filepath.Join(parent, "secret"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		keys := []string{"../x", "../../x", "a/../../b", "/etc/passwd", "a\x00b", "..", ".", "a/./b", "a//b", "../secret", "../.caddys3/buckets/bkt.json"}
		for _, k := range keys {
			if _, err := s.PutObject(ctx, "bkt", k, bytes.NewReader([]byte("evil")), PutOptions{}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("put %q: %v", k, err)
			}
			if _, err := s.OpenObject(ctx, "bkt", k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("open %q: %v", k, err)
			}
			if err := s.DeleteObject(ctx, "bkt", k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("delete %q: %v", k, err)
			}
		}
		for _, b := range []string{".caddys3", "..", "../x", "", ".", "bkt/..", "Bkt"} {
			if _, err := s.PutObject(ctx, b, "k", bytes.NewReader(nil), PutOptions{}); err == nil {
				t.Errorf("put into bucket %q succeeded", b)
			}
			if _, err := s.OpenObject(ctx, b, "buckets/bkt.json"); err == nil {
				t.Errorf("open in bucket %q succeeded", b)
			}
			if _, err := s.ListObjects(ctx, b, ListOptions{MaxKeys: 10}); err == nil {
				t.Errorf("list bucket %q succeeded", b)
			}
			if err := s.CreateBucket(ctx, b, "o"); err == nil {
				t.Errorf("create bucket %q succeeded", b)
			}
		}
		for _, p := range []string{"../", "../x", "/", "/etc", "a/../"} {
			res, err := s.ListObjects(ctx, "bkt", ListOptions{Prefix: p, MaxKeys: 10})
			if err != nil || len(res.Objects)+len(res.CommonPrefixes) != 0 {
				t.Errorf("list prefix %q: %+v %v", p, res, err)
			}
		}
		// A symlink planted in a bucket is neither listed nor followed out.
		if err := os.Symlink(filepath.Join(parent, "secret"), filepath.Join(rootPath(s), "bkt", "link")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenObject(ctx, "bkt", "link"); err == nil {
			t.Error("symlink out of the root was opened")
		}
		// Nor a symlink to another place inside the root.
		if err := os.Symlink("../.caddys3/buckets/bkt.json", filepath.Join(rootPath(s), "bkt", "inner")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenObject(ctx, "bkt", "inner"); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("symlink inside the root: %v", err)
		}
		os.Remove(filepath.Join(rootPath(s), "bkt", "inner"))
		res, _ := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 10})
		if len(res.Objects) != 0 {
			t.Errorf("listed %+v", res.Objects)
		}
		names, _ := os.ReadDir(parent)
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		if !slices.Equal(got, []string{"root", "secret"}) {
			t.Errorf("outside the root: %v", got)
		}
		rootNames, _ := os.ReadDir(rootPath(s))
		got = nil
		for _, n := range rootNames {
			got = append(got, n.Name())
		}
		if !slices.Equal(got, []string{".caddys3", "bkt"}) {
			t.Errorf("root holds %v", got)
		}
	})
}
