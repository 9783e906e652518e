package fsstore

import (
	"bytes"
	"errors"
	"math/rand/v2"
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
		"a":          {rel: "a"},
		"a/b/c":      {rel: "a/b/c"},
		"dir/":       {rel: "dir", marker: true},
		"a/b/":       {rel: "a/b", marker: true},
		"é ~+%":      {rel: "é ~+%"},
		"...":        {rel: "..."},
		"a/.b/..c":   {rel: "a/.b/..c"},
		"/":          {rel: "%%empty", marker: true},
		"//":         {rel: "%%empty/%%empty", marker: true},
		"/a":         {rel: "%%empty/a"},
		"a//b":       {rel: "a/%%empty/b"},
		"a/b//":      {rel: "a/b/%%empty", marker: true},
		".":          {rel: "%%dot"},
		"..":         {rel: "%%dotdot"},
		"./":         {rel: "%%dot", marker: true},
		"../":        {rel: "%%dotdot", marker: true},
		"./x":        {rel: "%%dot/x"},
		"a/../b":     {rel: "a/%%dotdot/b"},
		"../../etc":  {rel: "%%dotdot/%%dotdot/etc"},
		"%%":         {rel: "%%%"},
		"%%empty":    {rel: "%%%empty"},
		"x/%%%/y":    {rel: "x/%%%%/y"},
		"%x%%/%":     {rel: "%x%%/%"},
		".caddys3/k": {rel: ".caddys3/k"},
	}
	for k, want := range ok {
		got, err := keyPath(k)
		if err != nil || got != want {
			t.Errorf("keyPath(%q) = %+v, %v; want %+v", k, got, err, want)
		}
		if back, ok := keyFromPath(got.rel, got.marker); !ok || back != k {
			t.Errorf("keyFromPath round trip %q -> %q %v", k, back, ok)
		}
	}
	invalid := []string{"", "a\x00b", "\xff\xfe", "a/\xc0/b"}
	for _, k := range invalid {
		if _, err := keyPath(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("keyPath(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	long := []string{strings.Repeat("a", 1025), strings.Repeat("a", 256), "x/" + strings.Repeat("b", 256) + "/y",
		"%%" + strings.Repeat("c", 253), "x/%%" + strings.Repeat("c", 253) + "/"}
	for _, k := range long {
		if _, err := keyPath(k); !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("keyPath(len %d) = %v, want ErrKeyTooLong", len(k), err)
		}
	}
	for _, k := range []string{
		strings.Repeat(strings.Repeat("a", 255)+"/", 3) + strings.Repeat("c", 255),
		"%%" + strings.Repeat("c", 252),
		strings.Repeat("/", 1024),
	} {
		if _, err := keyPath(k); err != nil {
			t.Errorf("%d-byte key: %v", len(k), err)
		}
	}
	// Names the store never makes do not decode.
	for _, name := range []string{"", ".", "..", "%%", "%%x", "%%Empty", "%%dot2"} {
		if c, ok := decodeName(name); ok {
			t.Errorf("decodeName(%q) = %q", name, c)
		}
	}
}

// TestNameEscapingRandom checks encodeName/decodeName on random
// components built from the characters that matter.
func TestNameEscapingRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []string{"%", ".", "a", "é", " ", "+", "%%", "empty", "dot", "\x01", "~"}
	seen := map[string]string{}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		c := b.String()
		name := encodeName(c)
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			t.Fatalf("encodeName(%q) = %q", c, name)
		}
		if back, ok := decodeName(name); !ok || back != c {
			t.Fatalf("decodeName(encodeName(%q)) = %q %v", c, back, ok)
		}
		if prev, ok := seen[name]; ok && prev != c {
			t.Fatalf("%q and %q both stored as %q", prev, c, name)
		}
		seen[name] = c
	}
}

// TestTraversal checks that hostile keys are stored inside their bucket
// (escaped), hostile bucket names are rejected, and nothing is created
// outside the root or in the internal directory.
func TestTraversal(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		parent := filepath.Dir(rootPath(s))
		if err := os.WriteFile(filepath.Join(parent, "secret"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		record, err := os.ReadFile(filepath.Join(rootPath(s), recordPath("bkt")))
		if err != nil {
			t.Fatal(err)
		}
		// ("." and ".." are keys too, but conflict with "./x" and "../x" as "a"
		// does with "a/b"; TestWeirdKeysRoundTrip stores them.)
		keys := []string{"../x", "../../x", "a/../../b", "/etc/passwd", "a/./b", "a//b", "../secret", "./x",
			"../.caddys3/buckets/bkt.json", "../../../../../../../../tmp/evil", ".caddys3/tmp/x", "./", "../", "//", "/"}
		for _, k := range keys {
			body := []byte("evil " + k)
			if strings.HasSuffix(k, "/") {
				body = nil
			}
			m := put(t, s, "bkt", k, body)
			if got, gm := readObject(t, s, "bkt", k); !bytes.Equal(got, body) || gm.ETag != m.ETag {
				t.Errorf("%q read back %q", k, got)
			}
		}
		for _, k := range []string{"a\x00b", "..\x00/x"} {
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
		sorted := slices.Sorted(slices.Values(keys))
		if got := listAll(t, s, "bkt", ListOptions{}); !slices.Equal(got, sorted) {
			t.Errorf("listing\n got %q\nwant %q", got, sorted)
		}
		for _, p := range []string{"../", "../x", "/", "/etc", "a/../", ".", "./", "//", ".caddys3/"} {
			var want []string
			for _, k := range sorted {
				if strings.HasPrefix(k, p) {
					want = append(want, k)
				}
			}
			if got := listAll(t, s, "bkt", ListOptions{Prefix: p}); !slices.Equal(got, want) {
				t.Errorf("list prefix %q: %q, want %q", p, got, want)
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
		// Nothing outside the bucket changed.
		if b, err := os.ReadFile(filepath.Join(parent, "secret")); err != nil || string(b) != "x" {
			t.Fatalf("secret: %q %v", b, err)
		}
		if b, _ := os.ReadFile(filepath.Join(rootPath(s), recordPath("bkt"))); !bytes.Equal(b, record) {
			t.Fatal("bucket record changed")
		}
		if exists(t, "/tmp/evil") {
			t.Fatal("/tmp/evil was created")
		}
		for _, k := range keys {
			if err := s.DeleteObject(ctx, "bkt", k); err != nil {
				t.Fatalf("delete %q: %v", k, err)
			}
		}
		if ents, _ := os.ReadDir(filepath.Join(rootPath(s), "bkt")); len(ents) != 0 {
			t.Fatalf("bucket holds %v after deleting every key", ents)
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
		// Names the store never makes are not keys.
		os.WriteFile(filepath.Join(rootPath(s), "bkt", "%%bogus"), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(rootPath(s), "bkt", "%%empty"), []byte("x"), 0o644) // would be the key ""
		os.Mkdir(filepath.Join(rootPath(s), "bkt", "%%odd"), 0o755)
		os.WriteFile(filepath.Join(rootPath(s), "bkt", "%%odd", "k"), []byte("x"), 0o644)
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
