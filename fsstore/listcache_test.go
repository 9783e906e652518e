package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitSettled waits until directory changes made so far are older than the
// filesystem clock's tick, so a listing read now may be cached.
func waitSettled() { time.Sleep(30 * time.Millisecond) }

// TestListCacheFlatPaging pages through a flat directory: the directory is
// read once and every later page is served from the cached listing, found
// by binary search.
func TestListCacheFlatPaging(t *testing.T) {
	s := newStore(t, false)
	s.listCacheMin = 1
	mustBucket(t, s, "bkt")
	var keys []string
	for i := range 2000 {
		k := fmt.Sprintf("flat/k%05d", (i*7919)%2000)
		if i%97 == 0 {
			k += "/" // markers are directories in the same listing
		}
		keys = append(keys, k)
		put(t, s, "bkt", k, nil)
	}
	slices.Sort(keys)
	waitSettled()
	before := s.dirReads.Load()
	var got []string
	o := ListOptions{Prefix: "flat/", MaxKeys: 50}
	pages := 0
	for {
		res, err := s.ListObjects(ctx, "bkt", o)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, keysOf(res)...)
		if !res.IsTruncated {
			break
		}
		o.After = res.Next
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("listing differs: %d keys, want %d", len(got), len(keys))
	}
	// One read of flat/ (and of the bucket directory, which is not walked
	// for this prefix) plus the marker directories, each read once when
	// descended into: at most one read per directory, not per page.
	reads := s.dirReads.Load() - before
	if markers := int64(len(keys)/97 + 1); reads > 1+markers {
		t.Fatalf("%d pages did %d directory reads", pages, reads)
	}
	// Listing again reads only the (small, but cached too) marker dirs: 0.
	before = s.dirReads.Load()
	if res, err := s.ListObjects(ctx, "bkt", ListOptions{Prefix: "flat/", After: keys[1000], MaxKeys: 5}); err != nil || keysOf(res)[0] != keys[1001] {
		t.Fatal(keysOf(res), err)
	}
	if reads := s.dirReads.Load() - before; reads != 0 {
		t.Fatalf("a cached page read %d directories", reads)
	}
}

// TestListCacheSeesOtherInstance writes through a second Store on the same
// root (another server sharing it) and lists through the first right after
// each write, with no pause: the first store's cached listing must never
// hide or resurrect a key, however close the write follows the read.
func TestListCacheSeesOtherInstance(t *testing.T) {
	modes(t, func(t *testing.T, s1 *Store) {
		s1.listCacheMin = 0
		s2, err := open(Options{Root: rootPath(s1)}, !isXattr(s1))
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		mustBucket(t, s1, "bkt")
		for i := range 150 {
			put(t, s1, "bkt", fmt.Sprintf("d/k%04d", i), []byte("x"))
		}
		waitSettled()
		listAll(t, s1, "bkt", ListOptions{Prefix: "d/"}) // cache it
		want := map[string]bool{}
		for i := range 150 {
			want[fmt.Sprintf("d/k%04d", i)] = true
		}
		check := func(what string) {
			t.Helper()
			got := listAll(t, s1, "bkt", ListOptions{Prefix: "d/"})
			if len(got) != len(want) {
				t.Fatalf("%s: listed %d keys, want %d", what, len(got), len(want))
			}
			for _, k := range got {
				if !want[k] {
					t.Fatalf("%s: listed %q", what, k)
				}
			}
		}
		for i := range 120 {
			k := fmt.Sprintf("d/n%04d", i)
			if _, err := s2.PutObject(ctx, "bkt", k, bytes.NewReader([]byte("y")), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			want[k] = true
			check("after put " + k)
			if i%3 == 0 {
				old := fmt.Sprintf("d/k%04d", i)
				if err := s2.DeleteObject(ctx, "bkt", old); err != nil {
					t.Fatal(err)
				}
				delete(want, old)
				check("after delete " + old)
			}
			if i%40 == 39 {
				waitSettled() // let the listing be cached again
				check("settled")
			}
		}
		if n, _ := s1.listCache.stats(); n == 0 {
			t.Fatal("nothing cached")
		}
	})
}

func isXattr(s *Store) bool { _, ok := s.meta.(*xattrMeta); return ok }

// TestListCacheReplacedDirectory replaces a cached directory by another
// (rename), which keeps the path but not the inode.
func TestListCacheReplacedDirectory(t *testing.T) {
	s := newStore(t, false)
	s.listCacheMin = 0
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "d/a", nil)
	put(t, s, "bkt", "e/b", nil)
	waitSettled()
	if got := listAll(t, s, "bkt", ListOptions{Prefix: "d/"}); !slices.Equal(got, []string{"d/a"}) {
		t.Fatal(got)
	}
	bd := filepath.Join(rootPath(s), "bkt")
	if err := renameNoReplace(filepath.Join(bd, "e"), filepath.Join(bd, "d")); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s, "bkt", ListOptions{Prefix: "d/"}); !slices.Equal(got, []string{"d/b"}) {
		t.Fatal(got)
	}
}

// renameNoReplace moves directory from over the (non-empty) directory to
// by moving to away first.
func renameNoReplace(from, to string) error {
	if err := os.Rename(to, to+".old"); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// TestListCacheBounded lists many large directories through a small cache.
func TestListCacheBounded(t *testing.T) {
	s := newStore(t, false)
	s.listCacheMin = 0
	s.listCache = newListCache(4 << 10)
	mustBucket(t, s, "bkt")
	for d := range 20 {
		for i := range 30 {
			put(t, s, "bkt", fmt.Sprintf("d%02d/%s%03d", d, strings.Repeat("x", 20), i), nil)
		}
	}
	waitSettled()
	for range 3 {
		if got := listAll(t, s, "bkt", ListOptions{}); len(got) != 600 {
			t.Fatal(len(got))
		}
	}
	n, used := s.listCache.stats()
	if used > 4<<10 || n == 0 {
		t.Fatalf("%d listings of %d bytes", n, used)
	}
	// A listing larger than the whole cache is not cached.
	c := newListCache(10)
	c.put("x", &dirList{buf: "abc", off: []uint32{0, 3}})
	if n, _ := c.stats(); n != 0 {
		t.Fatal("oversized listing cached")
	}
}

// TestListCacheDisabled: ListCacheBytes < 0 turns the cache off.
func TestListCacheDisabled(t *testing.T) {
	s, err := Open(Options{Root: filepath.Join(t.TempDir(), "root"), ListCacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.listCache != nil {
		t.Fatal("cache enabled")
	}
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "a/b", nil)
	if got := listAll(t, s, "bkt", ListOptions{}); !slices.Equal(got, []string{"a/b"}) {
		t.Fatal(got)
	}
}

// TestListCacheRacyStamp: a listing is cached only when the directory's
// ctime is older than the filesystem clock, since a change within the same
// timestamp tick would not change the stamp (this kernel's multigrain
// timestamps hide that race, so the clock is set by hand here).
func TestListCacheRacyStamp(t *testing.T) {
	s := newStore(t, false)
	s.listCacheMin = 0
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "d/a", nil)
	fi, err := os.Stat(filepath.Join(rootPath(s), "bkt", "d"))
	if err != nil {
		t.Fatal(err)
	}
	ctime := fi.Sys().(*syscall.Stat_t).Ctim.Nano()
	c := s.listCache
	list := func() {
		t.Helper()
		if got := listAll(t, s, "bkt", ListOptions{Prefix: "d/"}); !slices.Equal(got, []string{"d/a"}) {
			t.Fatal(got)
		}
	}
	// The clock has not passed the ctime and may not be probed: not cached.
	s.listClock.ns.Store(ctime)
	s.listClock.lastProbe = time.Now().Add(time.Hour)
	list()
	if _, ok := c.ents["bkt/d"]; ok {
		t.Fatal("cached a listing whose stamp may not change with the next write")
	}
	// Once the clock has passed it, the listing is cached and reused.
	s.listClock.ns.Store(ctime + 1)
	list()
	if _, ok := c.ents["bkt/d"]; !ok {
		t.Fatal("settled listing not cached")
	}
	reads := s.dirReads.Load()
	list()
	if s.dirReads.Load() != reads {
		t.Fatal("cached listing not used")
	}
	// A probe of the real clock settles it too, once the directory's
	// timestamp tick is over.
	waitSettled()
	s.listClock.ns.Store(0)
	s.listClock.lastProbe = time.Time{}
	c.remove(c.ents["bkt/d"])
	list()
	if _, ok := c.ents["bkt/d"]; !ok {
		t.Fatal("probe did not settle an old directory")
	}
	if len(tmpEntries(t, s)) != 0 {
		t.Fatal("probe file left")
	}
}
