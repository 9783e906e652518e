package fsstore

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Parallel stats for brief listings.
//
// A brief listing's key costs one fstatat(2) of its name (listfields.go),
// most of what a page of cached keys costs the server. The stats do not
// depend on each other, so for a directory whose page needs many of them
// the walk issues them up front, from several goroutines at once, and the
// keys then read their results in order. This does not lower the CPU a
// page costs, it spreads it over cores: a page's latency, which bounds a
// single client's listing rate, falls on a multi-core server.
//
// The walk, its order and what each key shows stay those of the serial
// path: a key's stat is still one fstatat of its name taken during the
// page, after the directory was read; a name that vanished since (ENOENT)
// or is no longer a regular file is skipped as before; the validation
// against the cache and the read of a changed file's record happen in
// order, at the key. Only the stats of the files the page can still take
// are issued (its remaining room plus the one that tells it is
// truncated), so a page ending mid-directory stats no more than the serial
// path does, unless subdirectories between those files fill the page
// first.

// statFanout says when and how widely a directory's stats are spread.
type statFanout struct {
	min     int // fewest stats worth spreading
	workers int // most goroutines (including the walk's own)
	per     int // fewest stats a goroutine is started for
}

// defaultStatFanout spreads over the cores Go may use, at most 8, a
// goroutine for each 32 stats (starting one costs about what a stat does).
func defaultStatFanout() statFanout {
	return statFanout{min: 64, workers: min(runtime.GOMAXPROCS(0), 8), per: 32}
}

// statResult is what a brief key needs of its file's fstatat (a third
// of a unix.Stat_t).
type statResult struct {
	dev, ino           uint64
	mode               uint32
	size, ctime, mtime int64 // mtimes in ns
	err                error
}

func (r *statResult) set(st *unix.Stat_t, err error) {
	r.dev, r.ino, r.mode, r.size, r.ctime, r.mtime, r.err = st.Dev, st.Ino, st.Mode, st.Size, st.Ctim.Nano(), st.Mtim.Nano(), err
}

// stat is r as a unix.Stat_t, with the fields it holds.
func (r *statResult) stat() unix.Stat_t {
	return unix.Stat_t{Dev: r.dev, Ino: r.ino, Mode: r.mode, Size: r.size,
		Ctim: unix.NsecToTimespec(r.ctime), Mtim: unix.NsecToTimespec(r.mtime)}
}

// statBatch holds the stats issued ahead for files of one directory: for
// the entry at index idx[k], res[k].
type statBatch struct {
	idx  []int
	res  []statResult
	next int // the walk's position in idx
}

// take returns the stat issued ahead for entry i, if any; the walk asks in
// ascending order.
func (b *statBatch) take(i int) *statResult {
	if b == nil {
		return nil
	}
	for b.next < len(b.idx) && b.idx[b.next] < i {
		b.next++
	}
	if b.next < len(b.idx) && b.idx[b.next] == i {
		return &b.res[b.next]
	}
	return nil
}

// prefetchStats stats, in parallel, the first room file entries of list
// from index i on whose names start with namePrefix; nil when there are
// too few to be worth it.
func (f statFanout) prefetchStats(dfd int, list *dirList, i int, namePrefix string, room int) *statBatch {
	if f.workers < 2 || room < f.min {
		return nil
	}
	b := &statBatch{idx: make([]int, 0, min(room, list.len()-i))}
	for ; i < list.len() && len(b.idx) < room; i++ {
		sk := list.at(i)
		if !strings.HasPrefix(sk, namePrefix) {
			break
		}
		if sk != "" && !isDirKey(sk) {
			b.idx = append(b.idx, i)
		}
	}
	if len(b.idx) < f.min {
		return nil
	}
	b.res = make([]statResult, len(b.idx))
	f.spread(len(b.idx), func(k int) {
		var st unix.Stat_t
		b.res[k].set(&st, unix.Fstatat(dfd, list.stored(b.idx[k]), &st, unix.AT_SYMLINK_NOFOLLOW))
	})
	return b
}

// spread runs do(k) for every k in [0, n), on up to f.workers goroutines
// (the caller's included), and returns when all are done.
func (f statFanout) spread(n int, do func(k int)) {
	block := max(f.per/2, 1) // handed out at a time, so workers even out
	var next atomic.Int64
	work := func() {
		for {
			end := int(next.Add(int64(block)))
			start := end - block
			if start >= n {
				return
			}
			for k := start; k < min(end, n); k++ {
				do(k)
			}
		}
	}
	var wg sync.WaitGroup
	for range min(f.workers, n/f.per) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
