// Command fsbench measures fsstore listings on big buckets: it builds a
// flat bucket (every key in one directory) and a nested tree (three levels
// of directories) of -keys keys each, in a fresh directory under -dir (on
// the disk under test), and reports for each: build rate, time to the
// first page from a freshly opened store, full enumeration in pages of
// 1000 (keys/s, cold and warm listing cache), a page deep in the listing
// (with and without the listing cache), a delimiter listing of the top
// level, and the process's peak RSS after each step.
//
//	go run ./bench/fsbench -keys 1000000
//	go run ./bench/fsbench -keys 100000 -layout flat -keep
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/caddys3/caddys3/fsstore"
)

var ctx = context.Background()

func main() {
	keys := flag.Int("keys", 1_000_000, "keys per bucket")
	dir := flag.String("dir", "", "parent of the benchmark root (default: $TMPDIR); must be on the disk under test")
	layout := flag.String("layout", "flat,nested", "layouts to build: flat, nested or both")
	workers := flag.Int("workers", 2*runtime.GOMAXPROCS(0), "concurrent writers while building")
	size := flag.Int("size", 0, "object size in bytes")
	keep := flag.Bool("keep", false, "keep the benchmark root (its path is printed)")
	dropCaches := flag.Bool("drop-caches", false, "drop the kernel's page, dentry and inode caches before the cold listings (needs root)")
	flag.Parse()

	layouts := strings.Split(*layout, ",")
	if len(layouts) > 1 {
		// One process per layout, so that each reports its own peak RSS.
		for _, l := range layouts {
			args := []string{"-layout=" + l}
			flag.Visit(func(f *flag.Flag) {
				if f.Name != "layout" {
					args = append(args, "-"+f.Name+"="+f.Value.String())
				}
			})
			cmd := exec.Command(os.Args[0], args...)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				log.Fatalf("layout %s: %v", l, err)
			}
		}
		return
	}
	root, err := os.MkdirTemp(*dir, "fsbench-")
	if err != nil {
		log.Fatal(err)
	}
	if *keep {
		fmt.Println("root:", root)
	} else {
		defer os.RemoveAll(root)
	}
	fmt.Printf("fsbench %s: %d keys per bucket, %d writers, %d-byte objects, root %s, GOMAXPROCS %d\n",
		layouts[0], *keys, *workers, *size, root, runtime.GOMAXPROCS(0))
	var name func(i int) string
	switch l := layouts[0]; l {
	case "flat":
		name = flatKey
	case "nested":
		name = nestedKey(*keys)
	default:
		log.Fatalf("unknown layout %q", l)
	}
	run(root, layouts[0], *keys, *workers, *size, name, *dropCaches)
}

// flatKey names key i of a flat bucket. Names sort like their numbers.
func flatKey(i int) string { return fmt.Sprintf("k%08d", i) }

// nestedKey names the n keys of f×f directories of f keys (f = cube root of
// n). Names sort like their numbers.
func nestedKey(n int) func(int) string {
	f := int(math.Ceil(math.Cbrt(float64(n))))
	return func(i int) string { return fmt.Sprintf("d%04d/e%04d/k%06d", i/(f*f), i/f%f, i%f) }
}

// scatter is a permutation of 0..n-1 that does not follow sort order.
func scatter(i, n int) int {
	const p = 7919 // prime; gcd with n is 1 unless 7919 divides n
	if n%p == 0 {
		return i
	}
	return int(int64(i) * p % int64(n))
}

func run(root, layout string, n, workers, size int, name func(int) string, dropCaches bool) {
	bucket := "bench-" + layout
	s := open(root, 0)
	if err := s.CreateBucket(ctx, bucket, "bench"); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n== %s: %d keys\n", layout, n)

	// Build.
	body := bytes.Repeat([]byte("x"), size)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := s.PutObject(ctx, bucket, name(scatter(i, n)), bytes.NewReader(body), fsstore.PutOptions{}); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("build:                     %8.1f s  %9.0f keys/s   peak RSS %s\n", d.Seconds(), float64(n)/d.Seconds(), peakRSS())
	s.Close()
	time.Sleep(50 * time.Millisecond) // let the last directory changes settle (see fsstore/listcache.go)

	if dropCaches {
		drop()
	}
	// Cold: a fresh store, nothing cached in it.
	s = open(root, 0)
	start = time.Now()
	res, err := s.ListObjects(ctx, bucket, fsstore.ListOptions{MaxKeys: 1000})
	if err != nil || len(res.Objects) != 1000 && n >= 1000 {
		log.Fatal(len(res.Objects), err)
	}
	fmt.Printf("first page (fresh store):  %8.1f ms                  peak RSS %s\n", ms(time.Since(start)), peakRSS())

	enumerate := func(what string, s *fsstore.Store, o fsstore.ListOptions, want int) {
		o.MaxKeys = 1000
		start := time.Now()
		count, pages := 0, 0
		var worst time.Duration
		for {
			t := time.Now()
			res, err := s.ListObjects(ctx, bucket, o)
			if err != nil {
				log.Fatal(err)
			}
			worst = max(worst, time.Since(t))
			pages++
			count += len(res.Objects) + len(res.CommonPrefixes)
			if !res.IsTruncated {
				break
			}
			o.After = res.Next
		}
		d := time.Since(start)
		if want >= 0 && count != want {
			log.Fatalf("%s: listed %d entries, want %d", what, count, want)
		}
		fmt.Printf("%-26s %8.1f s  %9.0f keys/s   %d pages, slowest %.1f ms, peak RSS %s\n",
			what+":", d.Seconds(), float64(count)/d.Seconds(), pages, ms(worst), peakRSS())
	}
	enumerate("full enumeration", s, fsstore.ListOptions{}, n)
	enumerate("full enumeration, again", s, fsstore.ListOptions{}, n)

	// A page from the middle, as a continuation would ask for.
	mid := name(n / 2)
	page := func(what string, s *fsstore.Store) {
		const rounds = 5
		start := time.Now()
		for range rounds {
			res, err := s.ListObjects(ctx, bucket, fsstore.ListOptions{After: mid, MaxKeys: 1000})
			if err != nil || len(res.Objects) == 0 {
				log.Fatal(err)
			}
		}
		fmt.Printf("%-26s %8.2f ms per page\n", what+":", ms(time.Since(start))/rounds)
	}
	page("page after the middle key", s)
	nc := open(root, -1)
	page("same, listing cache off", nc)
	nc.Close()

	// Delimiter listing of the top level.
	top := -1
	if layout == "flat" {
		top = n
	}
	enumerate("delimiter '/' top level", s, fsstore.ListOptions{Delimiter: "/"}, top)
	s.Close()
}

func open(root string, cacheBytes int64) *fsstore.Store {
	s, err := fsstore.Open(fsstore.Options{Root: filepath.Join(root, "store"), ListCacheBytes: cacheBytes})
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func peakRSS() string {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return fmt.Sprintf("%.0f MiB", float64(ru.Maxrss)/1024)
}

func drop() {
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		log.Printf("drop caches: %v", err)
	}
}
