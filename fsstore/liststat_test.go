package fsstore

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// eager spreads the stats of any directory with two files or more over
// three goroutines, two stats each at a time.
var eager = statFanout{min: 2, workers: 3, per: 2}

// listAllPages lists bucket with o page by page and describes every page.
func listAllPages(t *testing.T, s *Store, bucket string, o ListOptions) []string {
	t.Helper()
	var pages []string
	for range 10000 {
		res, err := s.ListObjects(ctx, bucket, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		var b strings.Builder
		for _, ob := range res.Objects {
			fmt.Fprintf(&b, "%s=%s/%d/%d ", ob.Key, ob.Meta.ETag, ob.Meta.Size, ob.Meta.LastModified.Unix())
		}
		fmt.Fprintf(&b, "cp=%q truncated=%v next=%q", res.CommonPrefixes, res.IsTruncated, res.Next)
		pages = append(pages, b.String())
		if !res.IsTruncated {
			return pages
		}
		o.After = res.Next
	}
	t.Fatalf("%+v: no end after 10000 pages", o)
	return nil
}

// TestListParallelStatsMatchSerial: brief listings whose stats are issued
// ahead by several goroutines list the same pages as the serial path on
// random trees, for prefixes, delimiters ("/", another, none) and page
// sizes around the directories' sizes, with fanouts that always spread
// and the default one on directories larger than a worker's batch.
func TestListParallelStatsMatchSerial(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	rng := rand.New(rand.NewPCG(18, 1))
	seg := func() string {
		const alphabet = "abc-_"
		b := make([]byte, 1+rng.IntN(2))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	keys := map[string]bool{}
	for len(keys) < 400 {
		parts := make([]string, 1+rng.IntN(3))
		for i := range parts {
			parts[i] = seg()
		}
		k := strings.Join(parts, "/")
		if rng.IntN(20) == 0 {
			k += "/" // a directory marker
		}
		keys[k] = true
	}
	for i := range 300 { // one directory larger than the default batch
		keys[fmt.Sprintf("big/%04d", i)] = true
	}
	var prefixes []string
	for k := range keys {
		put(t, s, "bkt", k, []byte(strings.Repeat("x", len(k)+rng.IntN(50))))
		if i := strings.LastIndexByte(k, '/'); i > 0 && len(prefixes) < 8 {
			prefixes = append(prefixes, k[:i+1], k[:i])
		}
	}
	prefixes = append(prefixes, "", "a", "b/", "big/", "big/01", "zzz")
	for _, prefix := range prefixes {
		for _, delim := range []string{"", "/", "b"} {
			for _, maxKeys := range []int{1, 2, 33, 65, 300, 301, 1000} {
				o := ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, Brief: true}
				s.statFanout = statFanout{}
				want := listAllPages(t, s, "bkt", o)
				for _, f := range []statFanout{eager, defaultStatFanout(), {min: 64, workers: 2, per: 32}} {
					s.statFanout = f
					if got := listAllPages(t, s, "bkt", o); !slices.Equal(got, want) {
						t.Fatalf("%+v with fanout %+v:\n got %q\nwant %q", o, f, got, want)
					}
				}
			}
		}
	}
}

// TestListParallelStatsVanished: names removed, or replaced by a
// directory or a symlink, between the directory's read and their stats
// issued ahead are not listed, as on the serial path; only the room's
// worth of files is statted.
func TestListParallelStatsVanished(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	for i := range 100 {
		put(t, s, "bkt", fmt.Sprintf("k%03d", i), []byte(fmt.Sprint(i)))
	}
	d, list := bucketDirList(t, s, "bkt")
	dir := filepath.Join(rootPath(s), "bkt")
	gone := map[string]bool{}
	for i := 10; i < 20; i++ {
		gone[fmt.Sprintf("k%03d", i)] = true
		if err := os.Remove(filepath.Join(dir, fmt.Sprintf("k%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	gone["k020"], gone["k021"] = true, true
	if err := os.Remove(filepath.Join(dir, "k020")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "k020"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "k021")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("k022", filepath.Join(dir, "k021")); err != nil {
		t.Fatal(err)
	}

	if b := eager.prefetchStats(dirFd(d), list, 3, "", 5); b == nil || len(b.idx) != 5 || b.idx[0] != 3 {
		t.Fatalf("room 5 from entry 3: statted %+v", b)
	}
	if b := eager.prefetchStats(dirFd(d), list, list.lowerBound("k09"), "k09", 1000); b == nil || len(b.idx) != 10 {
		t.Fatalf("prefix k09: statted %+v", b)
	}
	b := eager.prefetchStats(dirFd(d), list, 0, "", 1000)
	if b == nil || len(b.idx) != 100 {
		t.Fatalf("statted %+v, want all 100", b)
	}
	w := walker{s: s, ctx: ctx, bucket: "bkt", brief: true}
	for i := range list.len() {
		name := list.stored(i)
		pre := b.take(i)
		if pre == nil {
			t.Fatalf("%s: no stat issued ahead", name)
		}
		m, ok, err := w.briefLoad(dirFd(d), name, pre, -1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ok == gone[name] {
			t.Errorf("%s: listed %v, removed or replaced %v", name, ok, gone[name])
		}
		if ok && m.Size != int64(len(strings.TrimLeft(name[1:], "0"))) && name != "k000" {
			t.Errorf("%s: size %d", name, m.Size)
		}
	}
}

// BenchmarkListBriefStats: a cached brief page of 1,000 keys in one
// directory, its stats issued in order (serial) or ahead in parallel.
func BenchmarkListBriefStats(b *testing.B) {
	s := newStore(b, false)
	mustBucket(b, s, "bkt")
	for i := range 1000 {
		put(b, s, "bkt", fmt.Sprintf("obj%04d", i), []byte("x"))
	}
	waitSettled()
	for _, f := range []struct {
		name   string
		fanout statFanout
	}{{"serial", statFanout{}}, {"parallel", defaultStatFanout()}} {
		b.Run(f.name, func(b *testing.B) {
			s.statFanout = f.fanout
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1000, Brief: true})
				if err != nil || len(res.Objects) != 1000 {
					b.Fatal(len(res.Objects), err)
				}
			}
		})
	}
}
