package fsstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// usageTally adds up what a store's usage hook hears, per bucket.
type usageTally struct {
	mu      sync.Mutex
	bytes   map[string]int64
	inexact map[string]bool
}

func (u *usageTally) hook(bucket string, n int64, inexact bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.bytes[bucket] += n
	if inexact {
		u.inexact[bucket] = true
	}
}

func countingStore(t *testing.T, sidecar bool) (*Store, *usageTally) {
	t.Helper()
	u := &usageTally{bytes: map[string]int64{}, inexact: map[string]bool{}}
	s, err := open(Options{Root: filepath.Join(t.TempDir(), "root"), OnUsage: u.hook}, sidecar)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.minPartSize = 1
	return s, u
}

// walkedBytes is the bucket's usage by definition: the sizes of all its
// versions but delete markers.
func walkedBytes(t *testing.T, s *Store, bucket string) int64 {
	t.Helper()
	var n int64
	o := ListVersionsOptions{MaxKeys: 1000}
	for {
		res, err := s.ListObjectVersions(context.Background(), bucket, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Entries {
			if !e.DeleteMarker {
				n += e.Meta.Size
			}
		}
		if !res.IsTruncated {
			return n
		}
		o.KeyMarker, o.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
}

func (u *usageTally) check(t *testing.T, s *Store, bucket, step string) {
	t.Helper()
	u.mu.Lock()
	got, inexact := u.bytes[bucket], u.inexact[bucket]
	u.mu.Unlock()
	if want := walkedBytes(t, s, bucket); got != want || inexact {
		t.Fatalf("after %s: counted %d bytes (inexact %v), the bucket holds %d", step, got, inexact, want)
	}
	// The usage walk finds the same bytes from the files.
	if stored, _, complete, err := s.StoredBytes(context.Background(), bucket, 1<<20); stored != got || !complete || err != nil {
		t.Fatalf("after %s: StoredBytes %d (%v, %v), counted %d", step, stored, complete, err, got)
	}
}

// The hook hears exactly what every write and delete path changes, in each
// versioning state: after each step the running sum equals a walk. (With
// the hook lines removed from placeCounted, dropCounted, unlinkEntry or
// publishNoncurrent this fails at the first step of that path.)
func TestUsageCountsEveryPath(t *testing.T) {
	for _, status := range []string{"", VersioningEnabled, VersioningSuspended} {
		for _, sidecar := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sidecar=%v", status, sidecar), func(t *testing.T) {
				s, u := countingStore(t, sidecar)
				ctx := context.Background()
				b := "count"
				mustBucket(t, s, b)
				if status != "" {
					if err := s.SetBucketVersioning(ctx, b, status); err != nil {
						t.Fatal(err)
					}
				}
				step := func(name string, err error) {
					t.Helper()
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					u.check(t, s, b, name)
				}
				putN := func(key string, n int) error {
					_, err := s.PutObject(ctx, b, key, bytes.NewReader(bytes.Repeat([]byte("x"), n)), PutOptions{})
					return err
				}
				step("put a", putN("a", 100))
				step("overwrite a", putN("a", 30))
				step("put a/b under a file a", putN("a/b", 7))
				step("put d/ with a body", putN("d/", 11))
				step("put e/ empty", putN("e/", 0))
				step("exclusive put", func() error {
					_, err := s.PutObject(ctx, b, "x", strings.NewReader("12345"), PutOptions{IfNoneMatch: "*"})
					return err
				}())
				step("multipart", func() error {
					up, err := s.CreateMultipartUpload(ctx, b, "m", ObjectMeta{})
					if err != nil {
						return err
					}
					var parts []CompletePart
					for i := 1; i <= 2; i++ {
						p, err := s.UploadPart(ctx, b, "m", up.UploadID, i, strings.NewReader(strings.Repeat("p", 50*i)), nil)
						if err != nil {
							return err
						}
						parts = append(parts, CompletePart{PartNumber: i, ETag: p.ETag})
					}
					_, err = s.CompleteMultipartUpload(ctx, b, "m", up.UploadID, parts, CompleteOptions{})
					return err
				}())
				step("overwrite m", putN("m", 1))
				step("delete a", s.DeleteObject(ctx, b, "a"))
				step("delete d/", s.DeleteObject(ctx, b, "d/"))
				step("put a again", putN("a", 13))
				step("delete null a", func() error {
					_, err := s.DeleteObjectVersion(ctx, b, "a", NullVersion, "")
					return err
				}())
				if status == "" {
					return
				}
				// Versions by id: delete the latest (the next is
				// re-published) and a noncurrent one.
				step("v1", putN("v", 40))
				step("v2", putN("v", 41))
				step("v3", putN("v", 42))
				res, err := s.ListObjectVersions(ctx, b, ListVersionsOptions{Prefix: "v", MaxKeys: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range res.Entries {
					_, err := s.DeleteObjectVersion(ctx, b, e.Key, e.VersionID, "")
					step("delete version "+e.VersionID, err)
				}
				step("enable after suspend", s.SetBucketVersioning(ctx, b, VersioningEnabled))
				step("w1", putN("w", 5))
				step("suspend", s.SetBucketVersioning(ctx, b, VersioningSuspended))
				step("w null", putN("w", 6))
				step("w null again", putN("w", 8))
				step("w delete marker", s.DeleteObject(ctx, b, "w"))
			})
		}
	}
}

// Writers and deleters racing on the same keys (unversioned writes take no
// key lock) still sum to what the bucket holds: the exchange and the
// private rename tell each of them what it replaced. (With placeCounted's
// exchange replaced by Lstat + rename, this fails within a few rounds.)
func TestUsageCountsRacingWriters(t *testing.T) {
	for _, status := range []string{"", VersioningEnabled, VersioningSuspended} {
		t.Run("status="+status, func(t *testing.T) {
			s, u := countingStore(t, false)
			ctx := context.Background()
			b := "race"
			mustBucket(t, s, b)
			if status != "" {
				if err := s.SetBucketVersioning(ctx, b, status); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), 7))
					for range 150 {
						key := []string{"k", "k", "j", "k/x"}[r.IntN(4)]
						if r.IntN(3) == 0 {
							if err := s.DeleteObject(ctx, b, key); err != nil {
								t.Error(err)
							}
							continue
						}
						body := bytes.Repeat([]byte{'r'}, 1+r.IntN(300))
						if _, err := s.PutObject(ctx, b, key, bytes.NewReader(body), PutOptions{}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			u.check(t, s, b, "the race")
		})
	}
}

// BenchmarkPutCounted prices the usage hook: new keys and overwrites of
// 4 KiB, without a hook and with one (the admin API's mode).
func BenchmarkPutCounted(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 4096)
	for _, counted := range []bool{false, true} {
		for _, overwrite := range []bool{false, true} {
			b.Run(fmt.Sprintf("counted=%v/overwrite=%v", counted, overwrite), func(b *testing.B) {
				var hook UsageHook
				if counted {
					hook = func(string, int64, bool) {}
				}
				s, err := open(Options{Root: filepath.Join(b.TempDir(), "root"), OnUsage: hook}, false)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				mustBucket(b, s, "bkt")
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					key := fmt.Sprintf("dir%d/obj%d", i%16, i)
					if overwrite {
						key = fmt.Sprintf("dir%d/obj%d", i%16, i%64)
					}
					if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(data), PutOptions{}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// A file copied into a bucket by hand was never counted: the repair that
// gives it a record says so, to the hook (the server then walks) or, in
// a process without one (caddy s3 fsck), by removing the bucket's usage
// document so that the next server rebuilds it by a walk.
func TestUsageStaleAfterRepair(t *testing.T) {
	ctx := context.Background()
	handCopy := func(t *testing.T, s *Store) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(rootPath(s), "hand", "copied"), []byte("by hand"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("hook", func(t *testing.T) {
		s, u := countingStore(t, false)
		mustBucket(t, s, "hand")
		handCopy(t, s)
		o, err := s.OpenObject(ctx, "hand", "copied")
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if !u.inexact["hand"] {
			t.Fatal("the repair at read did not report the uncounted bytes")
		}
	})
	t.Run("fsck", func(t *testing.T) {
		s := newStore(t, false)
		mustBucket(t, s, "hand")
		if err := s.UpdateUsageDoc(ctx, "hand", func([]byte) ([]byte, bool, error) { return []byte(`{}`), true, nil }); err != nil {
			t.Fatal(err)
		}
		handCopy(t, s)
		if _, err := s.RepairObject(ctx, "hand", "copied", true); err != nil {
			t.Fatal(err)
		}
		if exists(t, filepath.Join(rootPath(s), usageDir, "hand.json")) {
			t.Fatal("the usage document survived a repair that found uncounted bytes")
		}
	})
}
