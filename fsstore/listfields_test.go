package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func BenchmarkList1000Brief(b *testing.B) {
	s := newStore(b, false)
	mustBucket(b, s, "bkt")
	for i := range 1000 {
		put(b, s, "bkt", fmt.Sprintf("d%02d/obj%04d", i%10, i), []byte("x"))
	}
	waitSettled()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1000, Brief: true})
		if err != nil || len(res.Objects) != 1000 {
			b.Fatal(len(res.Objects), err)
		}
	}
}

// briefPage lists bucket briefly and returns each key's listed fields.
func briefPage(t *testing.T, s *Store, bucket string) map[string]string {
	t.Helper()
	res, err := s.ListObjects(ctx, bucket, ListOptions{MaxKeys: 1000, Brief: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range res.Objects {
		m := o.Meta
		got[o.Key] = fmt.Sprintf("%s/%d/%d/%s", m.ETag, m.Size, m.LastModified.Unix(), m.Owner)
	}
	return got
}

// fieldsOf is what briefPage shows for key, from a full read.
func fieldsOf(t *testing.T, s *Store, bucket, key string) string {
	t.Helper()
	_, m := readObject(t, s, bucket, key)
	return fmt.Sprintf("%s/%d/%d/%s", m.ETag, m.Size, m.LastModified.Unix(), m.Owner)
}

// TestListFieldsFresh: a brief listing served from the listing fields
// cache shows every change made since by another Store on the same root
// or by hand, between two pages: a key replaced, a file renamed over
// another, a file rewritten in place (same inode), and its record
// rewritten in place with the same size and mtime (only the ctime tells).
func TestListFieldsFresh(t *testing.T) {
	s := newStore(t, false)
	s2 := secondStore(t, s)
	mustBucket(t, s, "bkt")
	for _, k := range []string{"a", "b", "c", "d/e", "f"} {
		put(t, s, "bkt", k, []byte("first "+k))
	}
	check := func(what string) {
		t.Helper()
		got := briefPage(t, s, "bkt")
		for k, v := range got {
			if want := fieldsOf(t, s, "bkt", k); v != want {
				t.Errorf("%s: %s listed as %s, is %s", what, k, v, want)
			}
		}
	}
	waitSettled()
	check("first listing")
	if n := s.listFields.lru.Len(); n != 5 {
		t.Fatalf("%d files cached, want 5", n)
	}
	dir := filepath.Join(rootPath(s), "bkt")

	put(t, s2, "bkt", "a", []byte("second, longer body"))
	check("replaced by another store")

	if err := os.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
	check("renamed over by hand")
	if _, ok := briefPage(t, s, "bkt")["b"]; ok {
		t.Error("renamed-away key still listed")
	}

	waitSettled()
	check("settled")
	p := filepath.Join(dir, "d", "e")
	if err := os.WriteFile(p, []byte("rewritten in place, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("rewritten in place by hand")

	waitSettled()
	check("settled again")
	fi, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	editETagByHand(t, filepath.Join(dir, "f"), "first f", "by hand")
	if fi2, err := os.Stat(filepath.Join(dir, "f")); err != nil || fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("setxattr changed size or mtime", err)
	}
	if got := briefPage(t, s, "bkt")["f"]; !strings.HasPrefix(got, md5hex([]byte("by hand"))) {
		t.Errorf("record rewritten by hand listed as %s", got)
	}
}

// TestListFieldsRacyStamp: a file's listing fields are cached only when
// its ctime is older than the filesystem clock read before its record, as
// a change in the same timestamp tick would leave its stamp unchanged.
func TestListFieldsRacyStamp(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "a", nil)
	fi, err := os.Stat(filepath.Join(rootPath(s), "bkt", "a"))
	if err != nil {
		t.Fatal(err)
	}
	ctime := fi.Sys().(*syscall.Stat_t).Ctim.Nano()
	s.listClock.ns.Store(ctime)
	s.listClock.lastProbe = time.Now().Add(time.Hour) // no probe
	briefPage(t, s, "bkt")
	if n := s.listFields.lru.Len(); n != 0 {
		t.Fatal("cached the fields of a file whose stamp may not change with the next write")
	}
	s.listClock.ns.Store(ctime + 1)
	briefPage(t, s, "bkt")
	if n := s.listFields.lru.Len(); n != 1 {
		t.Fatal("settled file not cached")
	}
}

// TestListFieldsOnlyBrief: a full listing (user metadata, ACL) never comes
// from the cache, and the sidecar store has none.
func TestListFieldsOnlyBrief(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	if _, err := s.PutObject(ctx, "bkt", "a", strings.NewReader("x"), PutOptions{Meta: ObjectMeta{ContentType: "text/plain", UserMeta: map[string]string{"k": "v"}}}); err != nil {
		t.Fatal(err)
	}
	waitSettled()
	briefPage(t, s, "bkt")
	res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 10})
	if err != nil || len(res.Objects) != 1 {
		t.Fatal(res, err)
	}
	if m := res.Objects[0].Meta; m.ContentType != "text/plain" || m.UserMeta["k"] != "v" {
		t.Errorf("full listing lost metadata: %+v", m)
	}
	if sc := newStore(t, true); sc.listFields != nil {
		t.Error("sidecar store caches listing fields")
	}
}

// TestListFieldsConcurrentWrites: brief listings racing with overwrites
// list for each key the ETag and size of one of the bodies written to it,
// never a mix of two (run with -race).
func TestListFieldsConcurrentWrites(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	bodies := [][]byte{[]byte("one"), []byte("second body")}
	valid := map[string]bool{}
	for _, b := range bodies {
		valid[fmt.Sprintf("%s/%d", md5hex(b), len(b))] = true
	}
	for i := range 20 {
		put(t, s, "bkt", fmt.Sprintf("k%02d", i), bodies[0])
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := range 200 {
			if _, err := s.PutObject(ctx, "bkt", fmt.Sprintf("k%02d", n%20), bytes.NewReader(bodies[n%2]), PutOptions{}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1000, Brief: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if f := fmt.Sprintf("%s/%d", o.Meta.ETag, o.Meta.Size); !valid[f] {
				t.Fatalf("%s listed as %s", o.Key, f)
			}
		}
	}
}

// editETagByHand rewrites the ETag in the record of the file at p from
// the MD5 of from to that of to, with setxattr (size and mtime unchanged).
func editETagByHand(t *testing.T, p, from, to string) {
	t.Helper()
	raw := make([]byte, 4096)
	n, err := unix.Getxattr(p, xattrName, raw)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw[:n], []byte(md5hex([]byte(from))), []byte(md5hex([]byte(to))), 1)
	if err := unix.Setxattr(p, xattrName, edited, 0); err != nil {
		t.Fatal(err)
	}
}

// TestListFieldsVersionsOfUnversioned: ListObjectVersions of a bucket never
// versioned lists through the cache too, and as freshly.
func TestListFieldsVersionsOfUnversioned(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "a", []byte("v"))
	waitSettled()
	etag := func() string {
		t.Helper()
		r, err := s.ListObjectVersions(ctx, "bkt", ListVersionsOptions{MaxKeys: 10, Brief: true})
		if err != nil || len(r.Entries) != 1 {
			t.Fatal(r, err)
		}
		return r.Entries[0].Meta.ETag
	}
	if etag() != md5hex([]byte("v")) || s.listFields.lru.Len() != 1 {
		t.Fatal("not listed through the cache")
	}
	editETagByHand(t, filepath.Join(rootPath(s), "bkt", "a"), "v", "by hand")
	if got := etag(); got != md5hex([]byte("by hand")) {
		t.Errorf("listed ETag %s after the record was edited", got)
	}
}
