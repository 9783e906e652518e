package fsstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// windowedStore opens a Store on root that indexes directories of 100
// entries or more in blocks of about 200 bytes (some 20 names), so that
// pages span many blocks.
func windowedStore(t *testing.T, root string) *Store {
	t.Helper()
	s := indexedStore(t, root)
	s.listIndexBlock = 200
	return s
}

// windowNode is a fresh windowedStore on root that holds in memory the
// listings of the small directories under flat/ (so that dirReads counts
// reads of flat/ itself, whose listing comes from the index or the
// directory).
func windowNode(t *testing.T, root string) *Store {
	t.Helper()
	s := windowedStore(t, root)
	for d := range 12 {
		listAll(t, s, "bkt", ListOptions{Prefix: fmt.Sprintf("flat/k%04d/", d*200+1)})
	}
	s.dirReads.Store(0)
	return s
}

// windowBucket makes bucket bkt with 899 keys under flat/: plain names,
// 12 directories of 3 keys each (4 of them named like a key, so stored
// under a collision escape) and names that sort between the others. It
// returns the root after a listing wrote the index of flat/.
func windowBucket(t *testing.T) (*Store, string) {
	t.Helper()
	s := windowedStore(t, filepath.Join(t.TempDir(), "root"))
	mustBucket(t, s, "bkt")
	for i := range 800 {
		put(t, s, "bkt", fmt.Sprintf("flat/k%04d", i*3), []byte(fmt.Sprint(i)))
	}
	for d := range 12 {
		for j := range 3 {
			put(t, s, "bkt", fmt.Sprintf("flat/k%04d/x%d", d*200+1, j), nil)
		}
	}
	for i := range 63 {
		put(t, s, "bkt", fmt.Sprintf("flat/k%04d-1", i*37), nil)
	}
	waitSettled()
	listAll(t, s, "bkt", ListOptions{Prefix: "flat/"})
	if n := len(indexFiles(t, rootPath(s))); n != 1 {
		t.Fatalf("%d index files, want 1", n)
	}
	if l := s.listCache.get("bkt/flat", s.listCache.ents["bkt/flat"].Value.(*cacheEnt).l.stamp); l == nil || len(l.esc) != 4 {
		t.Fatal("flat/ is not cached with its four escaped entries (escaped directories)")
	}
	return s, rootPath(s)
}

// onePage lists one page with o through s.
func onePage(t *testing.T, s *Store, o ListOptions) string {
	t.Helper()
	res, err := s.ListObjects(ctx, "bkt", o)
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	return fmt.Sprintf("%v cp=%q truncated=%v next=%q", pageEntries(res), res.CommonPrefixes, res.IsTruncated, res.Next)
}

// TestListPageWindowsMatchFullPath: a page served from the blocks of the
// index file (a fresh Store each time: nothing in memory) equals the page
// the whole listing gives, for random markers, prefixes, delimiters and
// page sizes, and no directory is read for it.
func TestListPageWindowsMatchFullPath(t *testing.T) {
	s1, root := windowBucket(t)
	all := listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	r := rand.New(rand.NewPCG(18, 1))
	prefixes := []string{"flat/", "flat/k0", "flat/k02", "flat/k0201", "flat/k12", "flat/k2", "flat/k0201/", "flat/z"}
	for q := range 150 {
		o := ListOptions{Prefix: prefixes[r.IntN(len(prefixes))], MaxKeys: 1 + r.IntN(300)}
		switch r.IntN(4) {
		case 1:
			o.Delimiter = "/"
		case 2:
			o.Delimiter = "1"
		}
		switch r.IntN(3) {
		case 1:
			o.After = all[r.IntN(len(all))]
		case 2:
			o.After = fmt.Sprintf("flat/k%04d", r.IntN(2500))
		}
		o.Brief = r.IntN(2) == 0
		want := onePage(t, s1, o)
		s2 := windowNode(t, root)
		if got := onePage(t, s2, o); got != want {
			t.Fatalf("query %d %+v:\n got %s\nwant %s", q, o, got, want)
		}
		if n := s2.dirReads.Load(); n != 0 {
			t.Fatalf("query %d %+v: %d directories read; the index should have served", q, o, n)
		}
		s2.Close()
	}
}

// TestListPageBrokenIndex: a block torn or flipped, a flipped byte in the
// block table, or a truncated file: every page is still right (the
// directory is read instead) and the file is written again.
func TestListPageBrokenIndex(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(b []byte) []byte
	}{
		{"flipped byte in a late block", func(b []byte) []byte { b[len(b)-30] ^= 1; return b }},
		{"flipped offset in a late block", func(b []byte) []byte { b[len(b)-300] ^= 0x40; return b }},
		{"flipped byte in the block table", func(b []byte) []byte { b[listIndexHeaderSize+30] ^= 1; return b }},
		{"truncated in a block", func(b []byte) []byte { return b[:len(b)-100] }},
		{"truncated in the table", func(b []byte) []byte { return b[:listIndexHeaderSize+20] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s1, root := windowBucket(t)
			want := listAllPages(t, s1, "bkt", ListOptions{Prefix: "flat/", MaxKeys: 70})
			file := indexFiles(t, root)[0]
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			bad := tc.corrupt(slices.Clone(b))
			if err := os.WriteFile(file, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			s2 := windowNode(t, root)
			if got := listAllPages(t, s2, "bkt", ListOptions{Prefix: "flat/", MaxKeys: 70}); !slices.Equal(got, want) {
				t.Fatalf("pages differ from a broken index:\n got %q\nwant %q", got, want)
			}
			if s2.dirReads.Load() == 0 {
				t.Fatal("no page reached the damage")
			}
			s2.Close() // waits for any load in the background
			if now, _ := os.ReadFile(file); !slices.Equal(now, b) {
				t.Fatal("broken index not written again")
			}
		})
	}
}

// TestListPageDirectoryChangedBetweenPages: a node serves a page from the
// index, then the directory changes by hand and through another Store;
// the node's next pages (a window again, or the whole file loaded in the
// background meanwhile) show every change.
func TestListPageDirectoryChangedBetweenPages(t *testing.T) {
	s1, root := windowBucket(t)
	s2 := windowNode(t, root)
	res, err := s2.ListObjects(ctx, "bkt", ListOptions{Prefix: "flat/", MaxKeys: 100})
	if err != nil || s2.dirReads.Load() != 0 {
		t.Fatalf("first page: %v, %d directory reads", err, s2.dirReads.Load())
	}
	changeByHand(t, root, "k2000-byhand", "k2001")
	put(t, s1, "bkt", "flat/k1500-node1", nil)
	if err := s1.DeleteObject(ctx, "bkt", "flat/k1503"); err != nil {
		t.Fatal(err)
	}
	want := listAll(t, windowedStore(t, root), "bkt", ListOptions{Prefix: "flat/"})
	for _, k := range []string{"flat/k2000-byhand", "flat/k1500-node1"} {
		if !slices.Contains(want, k) {
			t.Fatalf("%s not listed at all", k)
		}
	}
	got := append(pageEntries(res), listAll(t, s2, "bkt", ListOptions{Prefix: "flat/", After: res.Next})...)
	if !slices.Equal(got, want) {
		t.Fatalf("pages after the changes: %d entries, want %d", len(got), len(want))
	}
}

// TestListPageConcurrentFirstPages: many first pages at once on one fresh
// node, at different markers, are all right.
func TestListPageConcurrentFirstPages(t *testing.T) {
	s1, root := windowBucket(t)
	all := listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	s2 := windowNode(t, root)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for q := range 8 {
				o := ListOptions{Prefix: "flat/", MaxKeys: 40 + q, After: all[(g*61+q*7)%len(all)], Brief: q%2 == 0}
				want := onePage(t, s1, o)
				if got := onePage(t, s2, o); got != want {
					errs <- fmt.Errorf("%+v:\n got %s\nwant %s", o, got, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := s2.dirReads.Load(); n != 0 {
		t.Fatalf("%d directory reads; the index should have served", n)
	}
}

// TestListPageLoadsWholeIntoMemory: after a page from the index, the
// whole listing lands in the memory cache (so later pages neither read
// the directory nor the file).
func TestListPageLoadsWholeIntoMemory(t *testing.T) {
	_, root := windowBucket(t)
	s2 := windowNode(t, root)
	onePage(t, s2, ListOptions{Prefix: "flat/", MaxKeys: 10})
	for deadline := time.Now().Add(10 * time.Second); ; {
		s2.listCache.mu.Lock()
		_, cached := s2.listCache.ents["bkt/flat"]
		s2.listCache.mu.Unlock()
		if cached {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the listing never reached the memory cache")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.Remove(indexFiles(t, root)[0]); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s2, "bkt", ListOptions{Prefix: "flat/"}); len(got) != 899 || s2.dirReads.Load() != 0 {
		t.Fatalf("%d entries, %d directory reads (want 899 from memory, 0)", len(got), s2.dirReads.Load())
	}
}

// TestListWarmerOneLoadPerDirectory: a second load for a directory whose
// load runs is not started, one for another directory is; Close drops a
// load still waiting for its page, waits for those running and starts no
// more.
func TestListWarmerOneLoadPerDirectory(t *testing.T) {
	var w listWarmer
	release, started := make(chan struct{}), make(chan string, 4)
	var mu sync.Mutex
	var ran []string
	load := func(name string) func() {
		return func() {
			started <- name
			<-release
			mu.Lock()
			ran = append(ran, name)
			mu.Unlock()
		}
	}
	w.start("a", nil, load("a1"))
	w.start("a", nil, load("a2"))
	w.start("b", nil, load("b1"))
	w.start("d", make(chan struct{}), load("d1")) // its page never ends
	<-started
	<-started
	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned while loads ran")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	w.start("c", nil, load("c1"))
	slices.Sort(ran)
	if !slices.Equal(ran, []string{"a1", "b1"}) {
		t.Fatalf("loads run: %v, want a1 and b1", ran)
	}
}

// TestListIndexVersion1Rewritten: a file of format version 1, written by
// the previous release for the directory as it is now, is not read: the
// directory is read once, the file rewritten as version 2 and used from
// then on.
func TestListIndexVersion1Rewritten(t *testing.T) {
	s1, root := windowBucket(t)
	want := listAll(t, s1, "bkt", ListOptions{Prefix: "flat/"})
	file := indexFiles(t, root)[0]
	d, err := os.Open(filepath.Join(root, "bkt", "flat"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := s1.dirList(d, "bkt", "flat")
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, encodeListIndexV1(full), 0o644); err != nil {
		t.Fatal(err)
	}
	for round, wantReads := range []int64{1, 0} {
		s := windowNode(t, root)
		if got := listAll(t, s, "bkt", ListOptions{Prefix: "flat/"}); !slices.Equal(got, want) || s.dirReads.Load() != wantReads {
			t.Fatalf("round %d: %d entries (want %d), %d directory reads (want %d)", round, len(got), len(want), s.dirReads.Load(), wantReads)
		}
		s.Close()
	}
	if b, _ := os.ReadFile(file); binary.LittleEndian.Uint32(b[8:]) != listIndexVersion {
		t.Fatalf("index file is of version %d", binary.LittleEndian.Uint32(b[8:]))
	}
}

// encodeListIndexV1 is the encoder of format version 1 as the previous
// release wrote it: a 72-byte header (magic, version 1, flags, the stamp,
// entry, escape, name-order and name-byte counts), the offsets, escape
// and name-order indices, the names, and one CRC-32C of all before it.
func encodeListIndexV1(l *dirList) []byte {
	type headerV1 struct {
		Magic                 [8]byte
		Version, Flags        uint32
		Ino, Nlink            uint64
		Size, MTime, CTime    int64
		N, NEsc, NByName, Buf uint32
	}
	h := headerV1{Magic: listIndexMagic, Version: 1,
		Ino: l.stamp.ino, Nlink: l.stamp.nlink, Size: l.stamp.size, MTime: l.stamp.mtime, CTime: l.stamp.ctime,
		N: uint32(l.len()), NEsc: uint32(len(l.esc)), NByName: uint32(len(l.byName)), Buf: uint32(len(l.buf))}
	if l.byName != nil {
		h.Flags |= listIndexHasByName
	}
	out, _ := binary.Append(nil, binary.LittleEndian, &h)
	for _, a := range [][]uint32{l.off, l.esc, l.byName} {
		for _, v := range a {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	out = append(out, l.buf...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// TestListPageRecordsReadAhead: the stats a brief page issues ahead bring
// the records their files lack in the listing fields cache with them, and
// the page lists what the full path lists.
func TestListPageRecordsReadAhead(t *testing.T) {
	s1 := newStore(t, false)
	mustBucket(t, s1, "bkt")
	for i := range 100 {
		put(t, s1, "bkt", fmt.Sprintf("k%03d", i), []byte(fmt.Sprint("body ", i)))
	}
	waitSettled()
	s, err := Open(Options{Root: rootPath(s1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.statFanout = eager
	d, list := bucketDirList(t, s, "bkt")
	w := walker{s: s, bucket: "bkt", brief: true, room: func() int { return 60 }}
	if b := w.prefetch(dirFd(d), list, 0, ""); b == nil || len(b.idx) != 60 {
		t.Fatalf("stats issued ahead: %+v", b)
	}
	if n := s.listFields.lru.Len(); n != 60 {
		t.Fatalf("%d records read ahead into the cache, want 60", n)
	}
	brief := listAllPages(t, s, "bkt", ListOptions{MaxKeys: 70, Brief: true})
	if full := listAllPages(t, s1, "bkt", ListOptions{MaxKeys: 70}); !slices.Equal(brief, full) {
		t.Fatalf("brief pages with records read ahead:\n got %q\nwant %q", brief, full)
	}
}

// bucketDirList opens the directory of bucket on s, closed at the end of
// the test, and reads its listing.
func bucketDirList(t *testing.T, s *Store, bucket string) (*os.File, *dirList) {
	t.Helper()
	d, _, err := s.findDir(bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	list, err := s.dirList(d, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	return d, list
}

// changeByHand renames a new empty file into bkt/flat under root as name
// add, and removes the file gone from it, as a person would.
func changeByHand(t *testing.T, root, add, gone string) {
	t.Helper()
	dir := filepath.Join(root, "bkt", "flat")
	staged := filepath.Join(root, "staged")
	if err := os.WriteFile(staged, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staged, filepath.Join(dir, add)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, gone)); err != nil {
		t.Fatal(err)
	}
}
