package fsstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A bucket record changed by another node on the same root (a second
// Store) is seen by the next Bucket call of the first, whose cache holds
// the old record: every document, versioning, deletion and re-creation
// by another owner.
func TestBucketCacheSeesOtherNode(t *testing.T) {
	a := newStore(t, false)
	b, err := Open(Options{Root: rootPath(a)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := a.CreateBucket(ctx, "shared", "alice"); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want func(BucketInfo) bool) {
		t.Helper()
		info, err := a.Bucket(ctx, "shared")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !want(info) {
			t.Fatalf("%s: node A still sees %+v", step, info)
		}
	}
	check("created", func(i BucketInfo) bool { return i.Owner == "alice" && len(i.Policy) == 0 })
	docs := []struct {
		doc  BucketDoc
		data string
		get  func(BucketInfo) []byte
	}{
		{BucketPolicy, `{"Version":"2012-10-17"}`, func(i BucketInfo) []byte { return i.Policy }},
		{BucketACL, `{"grants":[1]}`, func(i BucketInfo) []byte { return i.ACL }},
		{BucketACL, `{"grants":[2]}`, func(i BucketInfo) []byte { return i.ACL }}, // same size
		{BucketCORS, `{"rules":[]}`, func(i BucketInfo) []byte { return i.CORS }},
		{BucketPublicAccess, `{"b":true}`, func(i BucketInfo) []byte { return i.PublicAccess }},
		{BucketPolicy, "", func(i BucketInfo) []byte { return i.Policy }},
	}
	for _, d := range docs {
		var data []byte
		if d.data != "" {
			data = []byte(d.data)
		}
		if err := b.SetBucketDoc(ctx, "shared", d.doc, data); err != nil {
			t.Fatal(err)
		}
		check("doc "+d.data, func(i BucketInfo) bool { return string(d.get(i)) == d.data })
	}
	for _, v := range []string{VersioningEnabled, VersioningSuspended} {
		if err := b.SetBucketVersioning(ctx, "shared", v); err != nil {
			t.Fatal(err)
		}
		check("versioning "+v, func(i BucketInfo) bool { return i.Versioning == v })
	}
	if err := b.DeleteBucket(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bucket(ctx, "shared"); err != ErrNoSuchBucket {
		t.Fatalf("deleted on node B: node A got %v, want ErrNoSuchBucket", err)
	}
	if err := b.CreateBucket(ctx, "shared", "mallory"); err != nil {
		t.Fatal(err)
	}
	check("re-created by another owner", func(i BucketInfo) bool {
		return i.Owner == "mallory" && i.Versioning == "" && len(i.ACL) == 0
	})
}

// A record replaced by hand, in place and with the same size, inode and
// modification time as the cached one, is read anew: the cache is
// validated by content, not by a stamp.
func TestBucketCacheRecordReplacedByHand(t *testing.T) {
	s := newStore(t, false)
	if err := s.CreateBucket(ctx, "hand", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bucket(ctx, "hand"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(rootPath(s), recordPath("hand"))
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(old, []byte(`"alice"`), []byte(`"bobby"`), 1)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(edited, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	info, err := s.Bucket(ctx, "hand")
	if err != nil {
		t.Fatal(err)
	}
	if info.Owner != "bobby" {
		t.Fatalf("owner after the edit: %q, want bobby", info.Owner)
	}
	// A record that no longer decodes is an error, never the cached one.
	if err := os.WriteFile(path, old[:len(old)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Bucket(ctx, "hand"); err == nil {
		t.Fatalf("truncated record: got %+v, want an error", info)
	}
}

// A record larger than the read buffer is read whole, and a caller that
// changes the object lock configuration it was handed does not change
// what the next caller gets.
func TestBucketCacheLargeRecordAndSharedLock(t *testing.T) {
	s := newStore(t, false)
	if err := s.CreateBucketWith(ctx, "big", "alice", NewBucket{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	policy, err := json.Marshal(map[string]string{"pad": string(bytes.Repeat([]byte("p"), 3*recordBufSize))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetBucketDoc(ctx, "big", BucketPolicy, policy); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a miss, then a hit
		info, err := s.Bucket(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(info.Policy, policy) {
			t.Fatalf("policy of %d bytes read as %d bytes", len(policy), len(info.Policy))
		}
		if info.ObjectLock == nil || info.ObjectLock.Mode != "" {
			t.Fatalf("object lock %+v, want on without a default mode", info.ObjectLock)
		}
		info.ObjectLock.Mode = "GOVERNANCE"
	}
}

// Readers and a writer of one bucket's record at once (run with -race):
// every reader sees one of the published records whole, never a mix.
func TestBucketCacheConcurrent(t *testing.T) {
	s := newStore(t, false)
	if err := s.CreateBucket(ctx, "busy", "alice"); err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{"": true}
	docs := make([][]byte, 8)
	for i := range docs {
		docs[i] = []byte(`{"n":` + string(rune('0'+i)) + `}`)
		valid[string(docs[i])] = true
	}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				info, err := s.Bucket(ctx, "busy")
				if err != nil {
					errs <- err
					return
				}
				if !valid[string(info.CORS)] || info.Owner != "alice" {
					errs <- fmt.Errorf("read CORS %q owner %q", info.CORS, info.Owner)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if err := s.SetBucketDoc(ctx, "busy", BucketCORS, docs[i%len(docs)]); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// The cache's memory stays bounded by bytes as well as by buckets, and
// replacing a bucket's record does not count it twice.
func TestBucketCacheBounded(t *testing.T) {
	var c bucketCache
	big := make([]byte, 1<<20)
	for i := range 20 {
		c.put(fmt.Sprintf("b%02d", i), &cachedBucket{raw: big})
		c.put("same", &cachedBucket{raw: big[:1000]})
		held := 0
		for _, e := range c.m {
			held += len(e.raw)
		}
		if held != c.bytes || held > bucketCacheBytes/2 {
			t.Fatalf("after %d records of 1 MiB the cache holds %d bytes and counts %d, bound %d", i+1, held, c.bytes, bucketCacheBytes/2)
		}
	}
	c = bucketCache{}
	for i := range bucketCacheSize + 10 {
		c.put(fmt.Sprint("n", i), &cachedBucket{raw: []byte("{}")})
	}
	if len(c.m) > bucketCacheSize || c.bytes != 2*len(c.m) {
		t.Fatalf("%d entries holding %d bytes, bound %d entries", len(c.m), c.bytes, bucketCacheSize)
	}
}
