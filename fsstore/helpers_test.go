package fsstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var ctx = context.Background()

// modes runs f against both metadata stores.
func modes(t *testing.T, f func(t *testing.T, s *Store)) {
	for _, sidecar := range []bool{false, true} {
		name := "xattr"
		if sidecar {
			name = "sidecar"
		}
		t.Run(name, func(t *testing.T) {
			f(t, newStore(t, sidecar))
		})
	}
}

// listModes runs f against both metadata stores and against a store that
// caches the listing of every directory, however small.
func listModes(t *testing.T, f func(t *testing.T, s *Store)) {
	modes(t, f)
	t.Run("cache-all", func(t *testing.T) {
		s := newStore(t, false)
		s.listCacheMin = 0
		f(t, s)
		if n, _ := s.listCache.stats(); n == 0 {
			t.Error("nothing was cached")
		}
	})
}

func newStore(t testing.TB, sidecar bool) *Store {
	t.Helper()
	s, err := open(Options{Root: filepath.Join(t.TempDir(), "root")}, sidecar)
	if err != nil {
		t.Fatal(err)
	}
	if _, isX := s.meta.(*xattrMeta); isX == sidecar {
		t.Fatalf("wrong meta store %T", s.meta)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustBucket(t testing.TB, s *Store, name string) {
	t.Helper()
	if err := s.CreateBucket(ctx, name, "owner"); err != nil {
		t.Fatal(err)
	}
}

func put(t testing.TB, s *Store, bucket, key string, body []byte) ObjectMeta {
	t.Helper()
	m, err := s.PutObject(ctx, bucket, key, bytes.NewReader(body), PutOptions{})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return m
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func readObject(t testing.TB, s *Store, bucket, key string) ([]byte, ObjectMeta) {
	t.Helper()
	o, err := s.OpenObject(ctx, bucket, key)
	if err != nil {
		t.Fatalf("open %q: %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return b, o.Meta
}

// tmpEntries lists what is left in the staging directory.
func tmpEntries(t testing.TB, s *Store) []string {
	t.Helper()
	names, err := s.readDirNames(tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func rootPath(s *Store) string { return s.root.Name() }

func exists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// listAll pages through a listing with MaxKeys 1000, returning keys and
// common prefixes in order.
func listAll(t testing.TB, s *Store, bucket string, o ListOptions) []string {
	t.Helper()
	var out []string
	o.MaxKeys = 1000
	for {
		res, err := s.ListObjects(ctx, bucket, o)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pageEntries(res)...)
		if !res.IsTruncated {
			return out
		}
		o.After = res.Next
	}
}

// pageEntries merges a page's keys and prefixes in byte order.
func pageEntries(res ListResult) []string {
	var out []string
	i, j := 0, 0
	for i < len(res.Objects) || j < len(res.CommonPrefixes) {
		if j == len(res.CommonPrefixes) || (i < len(res.Objects) && res.Objects[i].Key < res.CommonPrefixes[j]) {
			out = append(out, res.Objects[i].Key)
			i++
		} else {
			out = append(out, res.CommonPrefixes[j])
			j++
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// secondStore opens another Store on s's root, as a second node would,
// closed when the test ends.
func secondStore(t *testing.T, s *Store) *Store {
	t.Helper()
	s2, err := Open(Options{Root: rootPath(s)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}
