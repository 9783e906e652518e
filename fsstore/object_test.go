package fsstore

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestPutRoundTrip(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		body := bytes.Repeat([]byte("hello world "), 100000)
		in := ObjectMeta{
			ContentType:        "text/plain",
			ContentEncoding:    "gzip",
			ContentDisposition: "attachment",
			ContentLanguage:    "en",
			CacheControl:       "no-cache",
			Expires:            "Thu, 01 Dec 2044 16:00:00 GMT",
			UserMeta:           map[string]string{"a": "1", "b-c": "ünïcode"},
			Checksums:          map[string]string{"CRC32": "AAAAAA=="},
			Owner:              "alice",
			Size:               999, ETag: "bogus", // ignored: filled by the store
		}
		before := time.Now().Add(-time.Second)
		got, err := s.PutObject(ctx, "bkt", "dir/sub/file.txt", bytes.NewReader(body), PutOptions{Meta: in})
		if err != nil {
			t.Fatal(err)
		}
		if got.Size != int64(len(body)) || got.ETag != md5hex(body) {
			t.Fatalf("size/etag %d %s", got.Size, got.ETag)
		}
		if got.LastModified.Before(before.Truncate(time.Second)) || got.LastModified.After(time.Now()) || got.LastModified.Nanosecond() != 0 {
			t.Fatalf("LastModified %v", got.LastModified)
		}
		want := in
		want.Size, want.ETag, want.LastModified = got.Size, got.ETag, got.LastModified
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("put meta\n got %+v\nwant %+v", got, want)
		}
		data, om := readObject(t, s, "bkt", "dir/sub/file.txt")
		if !bytes.Equal(data, body) || !reflect.DeepEqual(om, want) {
			t.Fatalf("open meta %+v", om)
		}
		hm, err := s.HeadObject(ctx, "bkt", "dir/sub/file.txt")
		if err != nil || !reflect.DeepEqual(hm, want) {
			t.Fatalf("head %+v %v", hm, err)
		}
		res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 10})
		if err != nil || len(res.Objects) != 1 || !reflect.DeepEqual(res.Objects[0].Meta, want) {
			t.Fatalf("list %+v %v", res, err)
		}
		// The object is a plain file.
		raw, err := os.ReadFile(filepath.Join(rootPath(s), "bkt", "dir", "sub", "file.txt"))
		if err != nil || !bytes.Equal(raw, body) {
			t.Fatal("not a plain file", err)
		}
		// Overwrite replaces bytes and metadata together.
		m2 := put(t, s, "bkt", "dir/sub/file.txt", []byte("short"))
		if m2.ContentType != "" || m2.UserMeta != nil || m2.ETag != md5hex([]byte("short")) {
			t.Fatalf("overwrite meta %+v", m2)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestEmptyObjectAndETag(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		m := put(t, s, "bkt", "empty", nil)
		if m.Size != 0 || m.ETag != "d41d8cd98f00b204e9800998ecf8427e" {
			t.Fatalf("%+v", m)
		}
	})
}

// Checksums runs only at a clean EOF, and what it returns is stored: a
// body whose last read fails (a digest mismatch found at the end) leaves
// nothing behind and never asks for checksums.
func TestPutChecksums(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		boom := errors.New("checksum mismatch")
		calls := 0
		sums := func() map[string]string {
			calls++
			return map[string]string{"SHA256": "x"}
		}
		for _, key := range []string{"k", "deep/er/k", "marker/"} {
			r := &failingReader{data: []byte("data"), err: boom}
			if key == "marker/" {
				r.data = nil
			}
			_, err := s.PutObject(ctx, "bkt", key, r, PutOptions{Checksums: sums})
			if !errors.Is(err, boom) {
				t.Fatalf("%s: %v", key, err)
			}
			if _, err := s.HeadObject(ctx, "bkt", key); !errors.Is(err, ErrNoSuchKey) {
				t.Fatalf("%s exists after rejected put: %v", key, err)
			}
		}
		if calls != 0 {
			t.Fatalf("Checksums called %d times without a clean EOF", calls)
		}
		if ents, _ := os.ReadDir(filepath.Join(rootPath(s), "bkt")); len(ents) != 0 {
			t.Fatalf("bucket holds %v", ents)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
		for _, key := range []string{"k", "marker/"} {
			body := []byte("data")
			if key == "marker/" {
				body = nil
			}
			calls = 0
			m, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(body), PutOptions{
				Meta: ObjectMeta{Checksums: map[string]string{"CRC32": "stale"}}, Checksums: sums,
			})
			if err != nil || calls != 1 || !maps.Equal(m.Checksums, sums()) || m.ETag != md5hex(body) {
				t.Fatal(key, m, err, calls)
			}
			if h, _ := s.HeadObject(ctx, "bkt", key); !maps.Equal(h.Checksums, sums()) {
				t.Fatal(key, h)
			}
		}
		// Without Checksums, Meta.Checksums is stored (a copy keeps its
		// source's).
		m, err := s.PutObject(ctx, "bkt", "copy", bytes.NewReader([]byte("data")), PutOptions{
			Meta: ObjectMeta{Checksums: map[string]string{"CRC32": "kept"}},
		})
		if err != nil || m.Checksums["CRC32"] != "kept" {
			t.Fatal(m, err)
		}
	})
}

func TestFailingReader(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "keep", []byte("old"))
		boom := errors.New("signature mismatch")
		for _, key := range []string{"new", "keep", "a/b/c", "m/"} {
			r := &failingReader{data: bytes.Repeat([]byte("x"), 1<<20), err: boom}
			if key == "m/" {
				r.data = nil
			}
			_, err := s.PutObject(ctx, "bkt", key, r, PutOptions{})
			if !errors.Is(err, boom) {
				t.Fatalf("%s: %v", key, err)
			}
		}
		if _, err := s.HeadObject(ctx, "bkt", "new"); !errors.Is(err, ErrNoSuchKey) {
			t.Fatal(err)
		}
		if b, _ := readObject(t, s, "bkt", "keep"); string(b) != "old" {
			t.Fatalf("old object changed: %q", b)
		}
		if ents, _ := os.ReadDir(filepath.Join(rootPath(s), "bkt")); len(ents) != 1 {
			t.Fatalf("bucket holds %v", ents)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
		// A cancelled context aborts too.
		cctx, cancel := contextWithCancel()
		cancel()
		if _, err := s.PutObject(cctx, "bkt", "c", bytes.NewReader([]byte("x")), PutOptions{}); err == nil {
			t.Fatal("cancelled put succeeded")
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestMissing(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		if _, err := s.PutObject(ctx, "nope", "k", bytes.NewReader(nil), PutOptions{}); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		if _, err := s.OpenObject(ctx, "nope", "k"); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		if err := s.DeleteObject(ctx, "nope", "k"); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		if err := s.DeleteObject(ctx, "nope", "a/b/k"); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		if _, err := s.ListObjects(ctx, "nope", ListOptions{MaxKeys: 1}); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "file", []byte("x"))
		put(t, s, "bkt", "dir/x", []byte("x"))
		for _, k := range []string{"k", "a/b/k", "file/x", "dir", "dir/", "file/", "dir/y/"} {
			if _, err := s.OpenObject(ctx, "bkt", k); !errors.Is(err, ErrNoSuchKey) {
				t.Errorf("open %q: %v", k, err)
			}
			if err := s.DeleteObject(ctx, "bkt", k); err != nil {
				t.Errorf("delete %q: %v", k, err)
			}
		}
		// Deleting "dir" (not a key) must not touch the directory.
		if _, err := s.HeadObject(ctx, "bkt", "dir/x"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestKeyCollisions: keys that are prefixes of others coexist, in both
// write orders, and live where the package doc says.
func TestKeyCollisions(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		root := filepath.Join(rootPath(s), "bkt")
		put(t, s, "bkt", "a", []byte("file"))
		put(t, s, "bkt", "d/x", []byte("x"))
		for _, k := range []string{"a/b", "a/b/c", "a/"} {
			put(t, s, "bkt", k, nil)
		}
		put(t, s, "bkt", "d", []byte("y"))
		if _, err := s.PutObject(ctx, "bkt", "d", bytes.NewReader([]byte("y")), PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
			t.Errorf("put d if-none-match: %v", err)
		}
		// A folder marker coexists with keys below it and with a plain key.
		put(t, s, "bkt", "m/", nil)
		put(t, s, "bkt", "m", []byte("m"))
		// An empty leftover directory (no marker) is not a key and is replaced.
		if err := os.MkdirAll(filepath.Join(root, "left", "over"), 0o755); err != nil {
			t.Fatal(err)
		}
		put(t, s, "bkt", "left/over", []byte("now a file"))
		// A key ending in '/' may hold data, next to keys below it.
		put(t, s, "bkt", "data/", []byte("body"))
		put(t, s, "bkt", "data//x", []byte("x"))
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
		want := map[string]string{"a": "file", "a/b": "", "a/b/c": "", "a/": "", "d": "y", "d/x": "x",
			"m/": "", "m": "m", "left/over": "now a file", "data/": "body", "data//x": "x"}
		for k, v := range want {
			if b, _ := readObject(t, s, "bkt", k); string(b) != v {
				t.Errorf("get %q: %q, want %q", k, b, v)
			}
		}
		keys := listAll(t, s, "bkt", ListOptions{})
		if w := []string{"a", "a/", "a/b", "a/b/c", "d", "d/x", "data/", "data//x", "left/over", "m", "m/"}; !equalStrings(keys, w) {
			t.Fatalf("keys %q want %q", keys, w)
		}
		// Where an operator finds them: the first writer has the plain names.
		for _, p := range []string{"a", "%%dir.a/b", "%%dir.a/%%dir.b/c", "d/x", "%%file.d", "m", "data/%%empty", "data/%%dir.%%empty/x"} {
			if !exists(t, filepath.Join(root, p)) {
				t.Errorf("%s missing", p)
			}
		}
		// Deleting the plain object moves the escaped one back.
		for _, k := range []string{"d/x", "a/b/c"} {
			if err := s.DeleteObject(ctx, "bkt", k); err != nil {
				t.Fatal(err)
			}
		}
		if fi, err := os.Lstat(filepath.Join(root, "d")); err != nil || !fi.Mode().IsRegular() || exists(t, filepath.Join(root, "%%file.d")) {
			t.Errorf("d not moved back: %v %v", fi, err)
		}
		if b, _ := readObject(t, s, "bkt", "a/b"); len(b) != 0 || !exists(t, filepath.Join(root, "%%dir.a", "b")) {
			t.Error("a/b not moved back")
		}
		for k := range want {
			if err := s.DeleteObject(ctx, "bkt", k); err != nil {
				t.Fatal(err)
			}
		}
		if names, _ := os.ReadDir(root); len(names) != 0 {
			t.Errorf("left %v", names)
		}
	})
}

func TestFolderMarkers(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		m := put(t, s, "bkt", "dir/", nil)
		if m.Size != 0 || m.ETag != md5hex(nil) {
			t.Fatal(m)
		}
		put(t, s, "bkt", "dir/a", []byte("a"))
		put(t, s, "bkt", "dir/sub/", nil)
		b, om := readObject(t, s, "bkt", "dir/")
		if len(b) != 0 || om.ETag != m.ETag || !om.LastModified.Equal(m.LastModified) {
			t.Fatalf("%q %+v", b, om)
		}
		keys := listAll(t, s, "bkt", ListOptions{})
		if want := []string{"dir/", "dir/a", "dir/sub/"}; !equalStrings(keys, want) {
			t.Fatalf("keys %v want %v", keys, want)
		}
		// Deleting the marker keeps the keys below; the directory stays.
		if err := s.DeleteObject(ctx, "bkt", "dir/"); err != nil {
			t.Fatal(err)
		}
		if keys := listAll(t, s, "bkt", ListOptions{}); !equalStrings(keys, []string{"dir/a", "dir/sub/"}) {
			t.Fatal(keys)
		}
		// Deleting the last key below a marker keeps the marker directory.
		if err := s.DeleteObject(ctx, "bkt", "dir/a"); err != nil {
			t.Fatal(err)
		}
		if keys := listAll(t, s, "bkt", ListOptions{}); !equalStrings(keys, []string{"dir/sub/"}) {
			t.Fatal(keys)
		}
		if err := s.DeleteObject(ctx, "bkt", "dir/sub/"); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(filepath.Join(rootPath(s), "bkt")); len(ents) != 0 {
			t.Fatalf("bucket holds %v", ents)
		}
		// Re-putting a marker replaces its metadata.
		put(t, s, "bkt", "x/", nil)
		if _, err := s.PutObject(ctx, "bkt", "x/", bytes.NewReader(nil), PutOptions{Meta: ObjectMeta{ContentType: "app/x"}}); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.HeadObject(ctx, "bkt", "x/"); h.ContentType != "app/x" {
			t.Fatal(h)
		}
	})
}

func TestDeletePrunesParents(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "a/b/c/d", []byte("x"))
		put(t, s, "bkt", "a/keep", []byte("x"))
		if err := s.DeleteObject(ctx, "bkt", "a/b/c/d"); err != nil {
			t.Fatal(err)
		}
		if exists(t, filepath.Join(rootPath(s), "bkt", "a", "b")) {
			t.Fatal("empty parents left")
		}
		if !exists(t, filepath.Join(rootPath(s), "bkt", "a", "keep")) {
			t.Fatal("sibling removed")
		}
		if err := s.DeleteObject(ctx, "bkt", "a/keep"); err != nil {
			t.Fatal(err)
		}
		if !exists(t, filepath.Join(rootPath(s), "bkt")) || exists(t, filepath.Join(rootPath(s), "bkt", "a")) {
			t.Fatal("pruning went wrong")
		}
		if err := s.DeleteObject(ctx, "bkt", "a/keep"); err != nil {
			t.Fatal("second delete:", err)
		}
	})
}

func TestConditionalPut(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		for _, key := range []string{"k", "m/"} {
			if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(nil), PutOptions{IfMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
				t.Fatalf("if-match on missing: %v", err)
			}
			m, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(nil), PutOptions{IfNoneMatch: "*"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(nil), PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
				t.Fatalf("if-none-match on existing %s: %v", key, err)
			}
			if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(nil), PutOptions{IfMatch: `"0123"`}); !errors.Is(err, ErrPreconditionFailed) {
				t.Fatalf("if-match wrong: %v", err)
			}
			if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(nil), PutOptions{IfMatch: `"` + m.ETag + `"`}); err != nil {
				t.Fatalf("if-match right: %v", err)
			}
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestPermissionErrorIsNotNoSuchKey(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root bypasses file permissions: run this test again as nobody,
		// from a copy of the test binary that nobody can read.
		asNobody(t, "^TestPermissionErrorIsNotNoSuchKey$")
		return
	}
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "d/k", []byte("x"))
	dir := filepath.Join(rootPath(s), "bkt", "d")
	os.Chmod(dir, 0)
	defer os.Chmod(dir, 0o755)
	_, err := s.OpenObject(ctx, "bkt", "d/k")
	if errors.Is(err, ErrNoSuchKey) || !errors.Is(err, os.ErrPermission) {
		t.Fatal(err)
	}
}

func TestStorageErr(t *testing.T) {
	err := storageErr(&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	if !errors.Is(err, ErrInsufficientStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	if err := storageErr(io.ErrUnexpectedEOF); err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
}

func TestOpenCleansStaleTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	s, err := Open(Options{Root: dir, Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "a/b", []byte("fsync path"))
	s.Close()
	stale := filepath.Join(dir, tmpDir, "put-stale")
	fresh := filepath.Join(dir, tmpDir, "put-fresh")
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(fresh, []byte("x"), 0o644)
	old := time.Now().Add(-2 * defaultStaleTempAge)
	os.Chtimes(stale, old, old)
	s, err = Open(Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if exists(t, stale) || !exists(t, fresh) {
		t.Fatal("stale temp handling")
	}
	if b, _ := readObject(t, s, "bkt", "a/b"); string(b) != "fsync path" {
		t.Fatal(string(b))
	}
}

// TestCleanupTemp removes staging entries by age only: files and
// directories (staged or half-removed uploads) older than the limit go,
// younger ones (another instance's live uploads) stay.
func TestCleanupTemp(t *testing.T) {
	s := newStore(t, false)
	tmp := filepath.Join(rootPath(s), tmpDir)
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"put-old", "part-old", "mpu-old/upload", "rm-old/part-00001"} {
		p := filepath.Join(tmp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
		os.Chtimes(p, old, old)
		os.Chtimes(filepath.Dir(p), old, old)
	}
	os.WriteFile(filepath.Join(tmp, "put-young"), []byte("x"), 0o644)
	n, err := s.CleanupTemp(ctx, 30*time.Minute)
	if err != nil || n != 4 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if left := tmpEntries(t, s); !equalStrings(left, []string{"put-young"}) {
		t.Fatalf("left %v", left)
	}
	// Open with a small StaleTempAge removes young files too.
	time.Sleep(5 * time.Millisecond)
	s2, err := Open(Options{Root: rootPath(s), StaleTempAge: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if left := tmpEntries(t, s2); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}
