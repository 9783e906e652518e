package fsstore

import "golang.org/x/sys/unix"

// Records read ahead for brief pages.
//
// After its stats (liststat.go), a cold key of a brief page still costs a
// read of its record — open, fstat, fgetxattr, a JSON decode, close — in
// the walk's order, one after another: most of what a first page of
// uncached keys costs. The files whose stats were issued ahead and that
// the listing fields cache (listfields.go) does not hold for that stat
// have their records read ahead too, spread like the stats, into that
// cache. Each key then takes its fields in order exactly as before: from
// the cache when the entry matches the stat it was issued (same inode,
// ctime, size and mtime), else — a file changed between its stat and its
// read ahead, or too fresh to be cached — by reading its record at the
// key. A read ahead that fails is simply not cached; the key's own read
// reports what it finds.

// prefetch issues ahead the stats, and the record reads the listing
// fields cache lacks, of the files a brief page may take from list from
// index i on (whose names start with namePrefix).
func (w *walker) prefetch(dfd int, list *dirList, i int, namePrefix string) *statBatch {
	b := w.s.statFanout.prefetchStats(dfd, list, i, namePrefix, w.room())
	if b == nil || w.s.listFields == nil {
		return b
	}
	var cold []int // positions in b
	fresh := false
	for k := range b.res {
		r := &b.res[k]
		if r.err != nil || r.mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if st := r.stat(); w.s.listFields.valid(&st) == nil {
			cold = append(cold, k)
			fresh = fresh || r.ctime >= w.s.listClock.now()
		}
	}
	if fresh && len(cold) > 0 {
		// Once, here: readers racing to refresh it would find it being
		// read and not cache what they read.
		w.s.listClock.refresh(w.s)
	}
	w.s.statFanout.spread(len(cold), func(c int) {
		name := list.stored(b.idx[cold[c]])
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return
		}
		var st unix.Stat_t
		w.s.listedFieldsOf(fd, w.bucket, &st) // fills the cache
		unix.Close(fd)
	})
	return b
}
