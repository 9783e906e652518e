// Command fsyncceiling measures what the disk itself allows for a durable
// small write, the ceiling of an S3 PUT with `fsync always`: N goroutines
// each create a temp file, write -size bytes, fdatasync it, rename it into
// a target directory and (with -dirsync) fsync that directory, as the
// store does for every PUT. It prints operations per second for each
// concurrency in -c.
//
//	go run ./bench/fsyncceiling -dir /tmp/ceil -c 1,4,16,64 -n 2000
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	dir := flag.String("dir", "", "directory on the filesystem to measure (created; emptied before each run)")
	concs := flag.String("c", "1,4,16,64", "comma-separated concurrencies")
	n := flag.Int("n", 2000, "operations per concurrency")
	size := flag.Int("size", 4096, "bytes per file")
	sync := flag.Bool("sync", true, "fdatasync each file before its rename")
	dirSync := flag.Bool("dirsync", true, "fsync the target directory after each rename")
	xattr := flag.Int("xattr", 0, "also set a user xattr of this many bytes on each file before its sync, as the store sets its metadata record (about 250 bytes)")
	tmpfile := flag.Bool("tmpfile", false, "create each file unnamed (O_TMPFILE) and link it into place instead of renaming a named temp file")
	flag.Parse()
	if *dir == "" {
		log.Fatal("fsyncceiling: -dir is required")
	}
	levels, err := parseList(*concs)
	if err != nil {
		log.Fatalf("fsyncceiling: -c: %v", err)
	}
	fmt.Printf("size=%d xattr=%d sync=%v dirsync=%v tmpfile=%v n=%d dir=%s\n", *size, *xattr, *sync, *dirSync, *tmpfile, *n, *dir)
	for _, c := range levels {
		r := run{dir: *dir, n: *n, size: *size, xattr: make([]byte, *xattr), sync: *sync, dirSync: *dirSync, tmpfile: *tmpfile}
		elapsed, err := r.measure(c)
		if err != nil {
			log.Fatalf("fsyncceiling: concurrency %d: %v", c, err)
		}
		fmt.Printf("c=%-3d %8.0f ops/s  (%d ops in %v)\n", c, float64(*n)/elapsed.Seconds(), *n, elapsed.Round(time.Millisecond))
	}
}

func parseList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}

type run struct {
	dir           string
	n, size       int
	xattr         []byte // "": none
	sync, dirSync bool
	tmpfile       bool
}

// measure runs n operations with c workers on a fresh tmp/ and target/
// under dir, the layout of the store (staging directory and bucket on one
// filesystem), and returns the wall time.
func (r run) measure(c int) (time.Duration, error) {
	if err := os.RemoveAll(r.dir); err != nil {
		return 0, err
	}
	tmp, target := filepath.Join(r.dir, "tmp"), filepath.Join(r.dir, "target")
	for _, d := range []string{tmp, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	tfd, err := unix.Open(target, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", target, err)
	}
	defer unix.Close(tfd)
	data := make([]byte, r.size)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(r.n) {
					return
				}
				name := fmt.Sprintf("f%d-%d", w, i)
				if err := r.one(filepath.Join(tmp, name), filepath.Join(target, name), tfd, data); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	return elapsed, <-errs
}

// one is a single durable small write: create, write, fdatasync, close,
// rename, fsync of the directory.
func (r run) one(tmp, final string, dirFd int, data []byte) error {
	flags, name := unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, tmp
	if r.tmpfile {
		flags, name = unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, filepath.Dir(tmp)
	}
	fd, err := unix.Open(name, flags, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if _, err := unix.Write(fd, data); err != nil {
		unix.Close(fd)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if len(r.xattr) > 0 {
		if err := unix.Fsetxattr(fd, "user.fsyncceiling", r.xattr, 0); err != nil {
			unix.Close(fd)
			return fmt.Errorf("fsetxattr %s: %w", tmp, err)
		}
	}
	if r.sync {
		if err := unix.Fdatasync(fd); err != nil {
			unix.Close(fd)
			return fmt.Errorf("fdatasync %s: %w", tmp, err)
		}
	}
	if r.tmpfile {
		// The unprivileged way to name an O_TMPFILE file (AT_EMPTY_PATH
		// needs CAP_DAC_READ_SEARCH).
		err = unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), unix.AT_FDCWD, final, unix.AT_SYMLINK_FOLLOW)
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("link %s: %w", final, err)
		}
	}
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if !r.tmpfile {
		if err := unix.Rename(tmp, final); err != nil {
			return fmt.Errorf("rename %s: %w", tmp, err)
		}
	}
	if r.dirSync {
		if err := unix.Fsync(dirFd); err != nil {
			return fmt.Errorf("fsync of the directory: %w", err)
		}
	}
	return nil
}
