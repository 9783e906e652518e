package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Listing benchmarks of a versioned bucket: one page of ListObjectVersions
// and of ListObjects (V2) at the start, in the middle (a key marker) and at
// the end of the bucket, with and without delimiter "/", on a bucket of
// 1,000 keys × 10 versions and one of 100,000 keys × 10 versions (1,000,000
// versions). A page should cost what it returns, not the bucket's size, so
// the figures of the two should be about the same per item returned.
//
// Keys are d%04d/k%05d in 100 directories: 10 keys to a directory in the
// small bucket, 1,000 in the large one, so a page returns the same items
// in both (a delimiter page, 100, 49 and 1 common prefixes each rolling up
// 10 or 1,000 keys). The buckets are built once through the
// Store API (PutObject of 1-byte bodies, 4 writers) under
// $TMPDIR/caddys3-vbench/ and reused by later runs (a file "complete"
// marks a finished one; delete the directory to rebuild). The large one
// takes minutes and about 1 GB of inodes, so it is built only when
// CADDYS3_VBENCH=1; otherwise its benchmarks skip. Benchmarks never run in
// `go test` without -bench, so CI does not build either.
//
//	CADDYS3_VBENCH=1 go test ./fsstore -run XXX -bench 'VersionsPage|V2Page' -benchtime 20x
//
// dirreads/op counts directory listings read from disk per page (plain
// tree and version area; a key's own version-area directory is one).
//
// Figures (2-core shared VM, ext4, -benchtime 20x -count 3, medians;
// noisy): ListObjectVersions, no delimiter, start/middle/end: 26.9/26.4/—
// ms (1,000 keys; the end page has 140 versions) and 26.0/25.9/25.6 ms
// (100,000 keys), 1,000 versions a page; delimiter "/", 100/49/1 common
// prefixes: 5.7/2.6/0.14 ms and 10.1/4.8/0.20 ms. ListObjects (V2),
// 1,000 keys a page: 14.4/13.3/13.1 ms (100,000 keys); delimiter "/":
// 1.6/0.83/0.28 ms. Before the delimiter fix a delimiter page of
// ListObjectVersions on the large bucket took 15.2 s (start) and 2.7 s
// (middle), walking every key.

const vbenchVersions = 10

func vbenchStore(b *testing.B, keys int) *Store {
	b.Helper()
	if keys > 1000 && os.Getenv("CADDYS3_VBENCH") != "1" {
		b.Skip("the 1,000,000-version bucket is built only with CADDYS3_VBENCH=1")
	}
	return vbenchStoreOf(b, fmt.Sprintf("k%d-v%d", keys, vbenchVersions), keys, vbenchVersions,
		func(i int) string { return vbenchKey(i, keys) })
}

// vbenchStoreOf is vbenchStore for the bucket called name of keys keys
// (key(i) for i < keys) with versions versions each.
func vbenchStoreOf(b *testing.B, name string, keys, versions int, key func(int) string) *Store {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "caddys3-vbench", name)
	root := filepath.Join(dir, "root")
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err != nil {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		vbenchBuild(b, root, keys, versions, key)
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Open(Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// vbenchKey is key i of n: 100 directories d%04d/, n/100 keys in each.
func vbenchKey(i, n int) string { return fmt.Sprintf("d%04d/k%05d", i/(n/100), i%(n/100)) }

func vbenchBuild(b *testing.B, root string, keys, versions int, key func(int) string) {
	start := time.Now()
	s, err := Open(Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, "vbench", "owner"); err != nil {
		b.Fatal(err)
	}
	if err := s.SetBucketVersioning(ctx, "vbench", VersioningEnabled); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= keys {
					return
				}
				for v := range versions {
					if _, err := s.PutObject(ctx, "vbench", key(i), bytes.NewReader([]byte{byte('0' + v)}), PutOptions{}); err != nil {
						errs <- err
						return
					}
				}
				if i%10000 == 9999 {
					b.Logf("%d keys after %v", i+1, time.Since(start).Round(time.Second))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d keys × %d versions in %v", keys, versions, time.Since(start).Round(time.Second))
}

// vbenchMarks are the pages measured: where the page starts.
func vbenchMarks(keys int) []struct{ name, marker string } {
	return []struct{ name, marker string }{
		{"start", ""},
		{"middle", vbenchKey(keys/2, keys)},
		{"end", vbenchKey(keys-keys/100-keys/200, keys)},
	}
}

func vbenchSizes(b *testing.B, f func(b *testing.B, keys int)) {
	for _, keys := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) { f(b, keys) })
	}
}

func BenchmarkListVersionsPage(b *testing.B) {
	vbenchSizes(b, func(b *testing.B, keys int) {
		s := vbenchStore(b, keys)
		for _, delim := range []string{"", "/"} {
			for _, m := range vbenchMarks(keys) {
				marker := m.marker
				if delim == "/" && marker != "" {
					marker = marker[:6] // the common prefix d%04d/
				}
				b.Run(fmt.Sprintf("delim=%q/%s", delim, m.name), func(b *testing.B) {
					o := ListVersionsOptions{Delimiter: delim, KeyMarker: marker, MaxKeys: 1000}
					reads0, items := s.dirReads.Load(), 0
					for b.Loop() {
						r, err := s.ListObjectVersions(ctx, "vbench", o)
						if err != nil {
							b.Fatal(err)
						}
						items = len(r.Entries) + len(r.CommonPrefixes)
						if items == 0 {
							b.Fatal("empty page")
						}
					}
					b.ReportMetric(float64(s.dirReads.Load()-reads0)/float64(b.N), "dirreads/op")
					b.ReportMetric(float64(items), "items/op")
				})
			}
		}
	})
}

func BenchmarkListV2Page(b *testing.B) {
	vbenchSizes(b, func(b *testing.B, keys int) {
		s := vbenchStore(b, keys)
		for _, delim := range []string{"", "/"} {
			for _, m := range vbenchMarks(keys) {
				after := m.marker
				if delim == "/" && after != "" {
					after = after[:6]
				}
				b.Run(fmt.Sprintf("delim=%q/%s", delim, m.name), func(b *testing.B) {
					o := ListOptions{Delimiter: delim, After: after, MaxKeys: 1000}
					reads0, items := s.dirReads.Load(), 0
					for b.Loop() {
						r, err := s.ListObjects(ctx, "vbench", o)
						if err != nil {
							b.Fatal(err)
						}
						items = len(r.Objects) + len(r.CommonPrefixes)
						if items == 0 {
							b.Fatal("empty page")
						}
					}
					b.ReportMetric(float64(s.dirReads.Load()-reads0)/float64(b.N), "dirreads/op")
					b.ReportMetric(float64(items), "items/op")
				})
			}
		}
	})
}

// BenchmarkListVersionsPageFlat: one page (1,000 versions) from the middle
// of a flat bucket, 10,000 keys f%05d × 3 versions without '/', so the
// version area's bucket directory holds every key. Built like the others
// (about half a minute, always). The walk takes that directory's sorted
// listing from the listing cache (one fstat, a binary search), so a page
// costs what it returns; before, every page read and sorted all 10,000
// names (dirreads/op counts them, with each listed key's own directory).
//
//	go test ./fsstore -run XXX -bench VersionsPageFlat -benchtime 20x -count 3
//
// Figures (2-core shared VM, ext4, -benchtime 20x -count 3, medians,
// noisy): 41.6 ms a page, 334 dirreads/op (the listed keys' own area
// directories); 62.2 ms and 335 dirreads/op when the walk read the area's
// bucket directory (10,000 names) for every page. The rest is per key.
func BenchmarkListVersionsPageFlat(b *testing.B) {
	const keys = 10_000
	key := func(i int) string { return fmt.Sprintf("f%05d", i) }
	s := vbenchStoreOf(b, "flat-k10000-v3", keys, 3, key)
	o := ListVersionsOptions{KeyMarker: key(keys / 2), MaxKeys: 1000}
	reads0 := s.dirReads.Load()
	for b.Loop() {
		r, err := s.ListObjectVersions(ctx, "vbench", o)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Entries) != o.MaxKeys {
			b.Fatalf("%d entries", len(r.Entries))
		}
	}
	b.ReportMetric(float64(s.dirReads.Load()-reads0)/float64(b.N), "dirreads/op")
}
