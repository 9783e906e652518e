package fsstore

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// indexedStore opens a Store on root that caches and indexes every
// directory of at least 100 entries.
func indexedStore(t *testing.T, root string) *Store {
	t.Helper()
	s, err := open(Options{Root: root}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.listCacheMin, s.listIndexMin = 0, 100
	return s
}

// flatBucket makes bucket bkt on s with n keys flat/kNNNN and returns them.
func flatBucket(t *testing.T, s *Store, n int) []string {
	t.Helper()
	mustBucket(t, s, "bkt")
	var keys []string
	for i := range n {
		k := fmt.Sprintf("flat/k%04d", i)
		put(t, s, "bkt", k, []byte("x"))
		keys = append(keys, k)
	}
	waitSettled()
	return keys
}

// indexFiles lists the index files of bucket bkt.
func indexFiles(t *testing.T, root string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, listIdxDir, "bkt", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// listFresh lists prefix flat/ whole through a new Store on root and
// returns the keys and how many directories it read.
func listFresh(t *testing.T, root string) ([]string, int64) {
	t.Helper()
	s := indexedStore(t, root)
	keys := listAll(t, s, "bkt", ListOptions{Prefix: "flat/"})
	return keys, s.dirReads.Load()
}

// TestListIndexServesOtherNode: a node that built the sorted listing of a
// large directory leaves it on disk; a fresh node lists from it without
// reading the directory, and sees every later change by the first node.
func TestListIndexServesOtherNode(t *testing.T) {
	s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	root := rootPath(s1)
	want := flatBucket(t, s1, 300)
	listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	if n := len(indexFiles(t, root)); n != 1 {
		t.Fatalf("%d index files, want 1 (flat/ only; the bucket directory is small)", n)
	}

	s2 := indexedStore(t, root)
	res, err := s2.ListObjects(ctx, "bkt", ListOptions{Prefix: "flat/", MaxKeys: 100})
	if err != nil || !slices.Equal(keysOf(res), want[:100]) {
		t.Fatalf("first page from the index: %v, %v", keysOf(res), err)
	}
	if r := s2.dirReads.Load(); r != 0 {
		t.Fatalf("a fresh node read %d directories; the index should have served", r)
	}

	// The first node changes the directory: the index no longer matches.
	put(t, s1, "bkt", "flat/new", nil)
	if err := s1.DeleteObject(ctx, "bkt", "flat/k0005"); err != nil {
		t.Fatal(err)
	}
	want = append(slices.Delete(want, 5, 6), "flat/new")
	for _, s := range []*Store{s2, s1} {
		if got := listAll(t, s, "bkt", ListOptions{Prefix: "flat/"}); !slices.Equal(got, want) {
			t.Fatalf("after changes: %d keys, want %d", len(got), len(want))
		}
	}
	// Once settled, the next listing that reads the directory rewrites
	// the index, and a third node is served the new state from it.
	waitSettled()
	listAll(t, s2, "bkt", ListOptions{Prefix: "flat/"})
	got, reads := listFresh(t, root)
	if !slices.Equal(got, want) || reads != 0 {
		t.Fatalf("third node: %d keys (want %d), %d directory reads (want 0)", len(got), len(want), reads)
	}
}

// TestListIndexChangedByHand: files renamed into and removed from the
// directory by hand are seen by a fresh node, whatever the index says.
func TestListIndexChangedByHand(t *testing.T) {
	s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	root := rootPath(s1)
	want := flatBucket(t, s1, 300)
	listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	changeByHand(t, root, "zhand", "k0007")
	want = append(slices.Delete(want, 7, 8), "flat/zhand")
	if got, reads := listFresh(t, root); !slices.Equal(got, want) || reads != 1 {
		t.Fatalf("after changes by hand: %v (want %d keys), %d reads (want 1)", got, len(want), reads)
	}
}

// TestListIndexNeverStaleUnderWrites: a second Store writes right after
// each listing, with no pause, and a fresh Store (empty memory cache, so
// only the index or the directory can serve it) must list every write.
func TestListIndexNeverStaleUnderWrites(t *testing.T) {
	s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	root := rootPath(s1)
	keys := flatBucket(t, s1, 150)
	s2 := indexedStore(t, root)
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	for i := range 60 {
		listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"}) // may write the index
		k := fmt.Sprintf("flat/n%03d", i)
		put(t, s2, "bkt", k, nil)
		want[k] = true
		if i%2 == 0 {
			if err := s2.DeleteObject(ctx, "bkt", keys[i]); err != nil {
				t.Fatal(err)
			}
			delete(want, keys[i])
		}
		got, _ := listFresh(t, root)
		if len(got) != len(want) {
			t.Fatalf("after write %d: a fresh node listed %d keys, want %d", i, len(got), len(want))
		}
		for _, k := range got {
			if !want[k] {
				t.Fatalf("after write %d: a fresh node listed %s", i, k)
			}
		}
		if i%10 == 9 {
			waitSettled() // let the next listing write the index
		}
	}
}

// TestListIndexNotWrittenUnsettled: a listing whose directory's ctime is
// not older than the filesystem clock reading is not written, exactly as
// it is not cached in memory (a change in the same tick would keep the
// stamp).
func TestListIndexNotWrittenUnsettled(t *testing.T) {
	s := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	flatBucket(t, s, 150)
	s.listClock.ns.Store(0)
	s.listClock.lastProbe = time.Now().Add(time.Hour) // no refresh
	listAll(t, s, "bkt", ListOptions{Prefix: "flat/"})
	if f := indexFiles(t, rootPath(s)); len(f) != 0 {
		t.Fatalf("unsettled listing written to %v", f)
	}
}

// TestListIndexBrokenFileIgnored: a torn, corrupted or foreign index file
// is never served; the directory is read and the file rewritten.
func TestListIndexBrokenFileIgnored(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(b []byte) []byte
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func(b []byte) []byte { return nil }},
		{"flipped name byte", func(b []byte) []byte { b[len(b)-20] ^= 1; return b }},
		{"flipped offset", func(b []byte) []byte { b[listIndexHeaderSize+40] ^= 0x10; return b }},
		{"other version", func(b []byte) []byte { b[8]++; return b }},
		{"foreign", func(b []byte) []byte { return []byte("not an index at all\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
			root := rootPath(s1)
			want := flatBucket(t, s1, 200)
			listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
			files := indexFiles(t, root)
			if len(files) != 1 {
				t.Fatalf("index files %v", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[0], tc.corrupt(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, reads := listFresh(t, root); !slices.Equal(got, want) || reads != 1 {
				t.Fatalf("broken index: %d keys (want %d), %d reads (want 1)", len(got), len(want), reads)
			}
			if got, reads := listFresh(t, root); !slices.Equal(got, want) || reads != 0 {
				t.Fatalf("rewritten index: %d keys, %d reads (want 0)", len(got), reads)
			}
		})
	}
}

// TestListIndexDirectoryReplaced: the directory at the indexed path is
// replaced by another one (a new inode), small: the index is not served,
// and is removed.
func TestListIndexDirectoryReplaced(t *testing.T) {
	s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	root := rootPath(s1)
	flatBucket(t, s1, 150)
	listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	dir := filepath.Join(root, "bkt", "flat")
	if err := os.Rename(dir, filepath.Join(root, "moved-away")); err != nil {
		t.Fatal(err)
	}
	put(t, s1, "bkt", "flat/only", nil)
	waitSettled()
	if got, _ := listFresh(t, root); !slices.Equal(got, []string{"flat/only"}) {
		t.Fatalf("replaced directory listed as %d keys", len(got))
	}
	if f := indexFiles(t, root); len(f) != 0 {
		t.Fatalf("index of a replaced, now small directory left: %v", f)
	}
}

// TestListIndexStampWithoutDevice: the device number (which differs
// between NFS clients of one filesystem) is not part of the match.
func TestListIndexStampWithoutDevice(t *testing.T) {
	s := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	flatBucket(t, s, 120)
	listAll(t, s, "bkt", ListOptions{Prefix: "flat/"})
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(rootPath(s), "bkt", "flat"), &st); err != nil {
		t.Fatal(err)
	}
	now := stampOf(&st)
	now.dev++
	l, _ := s.loadListIndex("bkt", "bkt/flat", now)
	if l == nil || l.len() != 120 || l.stamp != now {
		t.Fatal("index not served to a node that numbers the device differently")
	}
	now.ctime++
	if l, found := s.loadListIndex("bkt", "bkt/flat", now); l != nil || !found {
		t.Fatal("index served for another ctime")
	}
}

// TestListIndexDeleteBucket: the bucket's index files go with it.
func TestListIndexDeleteBucket(t *testing.T) {
	s := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	keys := flatBucket(t, s, 120)
	listAll(t, s, "bkt", ListOptions{Prefix: "flat/"})
	for _, k := range keys {
		if err := s.DeleteObject(ctx, "bkt", k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if exists(t, filepath.Join(rootPath(s), listIdxDir, "bkt")) {
		t.Fatal("index folder of a deleted bucket left")
	}
}

// TestListIndexVersionArea: the listings of a versioned bucket's version
// area are indexed too, with the order of their keys.
func TestListIndexVersionArea(t *testing.T) {
	s1 := indexedStore(t, filepath.Join(t.TempDir(), "root"))
	root := rootPath(s1)
	mustBucket(t, s1, "bkt")
	if err := s1.SetBucketVersioning(ctx, "bkt", "Enabled"); err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		put(t, s1, "bkt", fmt.Sprintf("k%04d", 119-i), nil)
		put(t, s1, "bkt", fmt.Sprintf("k%04d", 119-i), []byte("2"))
	}
	waitSettled()
	versions := func(s *Store) []string {
		res, err := s.ListObjectVersions(ctx, "bkt", ListVersionsOptions{MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range res.Entries {
			out = append(out, v.Key+" "+v.VersionID)
		}
		return out
	}
	want := versions(s1)
	if len(want) != 240 || len(indexFiles(t, root)) == 0 {
		t.Fatalf("%d versions, index files %v", len(want), indexFiles(t, root))
	}
	s2 := indexedStore(t, root)
	if got := versions(s2); !slices.Equal(got, want) {
		t.Fatalf("versions from the index differ: %v", got)
	}
	// Each key's own version directory is small and read; the area's
	// top directory (120 entries) comes from the index.
	if r := s2.dirReads.Load(); r != 120 {
		t.Fatalf("fresh node read %d directories of the version area, want 120", r)
	}
}

// TestListIndexEncoding: listings survive the file format, and a file
// whose checksum is right but whose offsets do not fit is refused.
func TestListIndexEncoding(t *testing.T) {
	if n := binary.Size(listIndexHeader{}); n != listIndexHeaderSize {
		t.Fatalf("header is %d bytes, listIndexHeaderSize says %d", n, listIndexHeaderSize)
	}
	stamp := listIndexTestStamp
	for _, l := range []*dirList{
		{off: []uint32{0}},
		{buf: "ab/c", off: []uint32{0, 3, 4}},
		{buf: "ab/cd/e", off: []uint32{0, 3, 4, 6, 7}, esc: []uint32{1, 3}, byName: []uint32{2, 0}},
		{buf: "x", off: []uint32{0, 1}, byName: []uint32{}},
	} {
		l.stamp = stamp
		got, err := decodeFile(t, encodeListIndex(l, listIndexBlockBytes))
		if err != nil {
			t.Fatal(err)
		}
		got.stamp = stamp
		if got.buf != l.buf || !slices.Equal(got.off, l.off) || !slices.Equal(got.esc, l.esc) ||
			!slices.Equal(got.byName, l.byName) || (got.byName == nil) != (l.byName == nil) {
			t.Fatalf("round trip: %+v, want %+v", got, l)
		}
	}
	// Every byte of the header and block table is under its checksum,
	// even those (first keys) no other check would catch.
	two := &dirList{buf: "abcdef", off: []uint32{0, 2, 4, 6}, stamp: stamp}
	good := encodeListIndex(two, 4)
	tableEnd := listIndexHeaderSize + int(binary.LittleEndian.Uint32(good[listIndexHeaderSize-4:])) + 4
	for i := range tableEnd {
		b := slices.Clone(good)
		b[i] ^= 0x20
		if _, err := decodeFile(t, b); err == nil {
			t.Fatalf("byte %d of header and table flipped: accepted", i)
		}
	}
	bad := encodeListIndex(&dirList{buf: "abc", off: []uint32{0, 2, 1, 3}}, listIndexBlockBytes)
	if _, err := decodeFile(t, bad); err == nil {
		t.Fatal("decreasing offsets accepted")
	}
	bad = encodeListIndex(&dirList{buf: "abc", off: []uint32{0, 1, 3}, esc: []uint32{2}}, listIndexBlockBytes)
	if _, err := decodeFile(t, bad); err == nil {
		t.Fatal("escape index past the end accepted")
	}
}

// decodeFile decodes an index file whose stamp is listIndexTestStamp.
func decodeFile(t testing.TB, b []byte) (*dirList, error) {
	f, err := os.CreateTemp(t.TempDir(), "idx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	x, err := readListIndexHead(f, listIndexTestStamp, 1<<30)
	if err != nil {
		return nil, err
	}
	return x.readAll(make([]byte, 64))
}

var listIndexTestStamp = dirStamp{ino: 7, nlink: 3, size: 4096, mtime: 11, ctime: 12}

// BenchmarkListIndexLoad1M loads the index of a directory of a million
// entries (bench/README.md "Listing": first page of a million keys).
func BenchmarkListIndexLoad1M(b *testing.B) {
	s, err := open(Options{Root: filepath.Join(b.TempDir(), "root")}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var buf strings.Builder
	off := []uint32{0}
	for i := range 1_000_000 {
		fmt.Fprintf(&buf, "k%07d", i)
		off = append(off, uint32(buf.Len()))
	}
	l := &dirList{buf: buf.String(), off: off, stamp: dirStamp{ino: 1, ctime: 2}}
	s.saveListIndex("bkt", "bkt/", l, false)
	b.ResetTimer()
	for range b.N {
		if got, _ := s.loadListIndex("bkt", "bkt/", l.stamp); got == nil || got.len() != l.len() {
			b.Fatal("not loaded")
		}
	}
}
