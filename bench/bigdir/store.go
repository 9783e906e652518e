package main

import (
	"context"
	"fmt"
	"time"

	"github.com/caddys3/caddys3/fsstore"
	"golang.org/x/sys/unix"
)

// storePages times, rounds times over, the first brief page (1,000 keys)
// and the page after it, listed in this process through a freshly opened
// Store on root — what a freshly started server does for them, without
// HTTP, signing and XML — and the Close after them, which waits for the
// background load of the directory's index file into the memory cache.
// CPU is this process's (user+system, all threads), so it includes that
// load where it overlaps a page.
func storePages(root, bucket, prefix string, rounds int) error {
	ctx := context.Background()
	for r := range rounds {
		st, err := fsstore.Open(fsstore.Options{Root: root})
		if err != nil {
			return err
		}
		after := ""
		for p := range 2 {
			t0, c0 := time.Now(), cpuTime()
			res, err := st.ListObjects(ctx, bucket, fsstore.ListOptions{Prefix: prefix, MaxKeys: 1000, After: after, Brief: true})
			if err != nil {
				st.Close()
				return err
			}
			fmt.Printf("round %d page %d: %d keys in %.1f ms, CPU %.1f ms\n", r+1, p+1, len(res.Objects), ms(time.Since(t0)), ms(cpuTime()-c0))
			after = res.Next
		}
		t0, c0 := time.Now(), cpuTime()
		if err := st.Close(); err != nil {
			return err
		}
		fmt.Printf("round %d close: %.1f ms, CPU %.1f ms\n", r+1, ms(time.Since(t0)), ms(cpuTime()-c0))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
