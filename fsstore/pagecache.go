package fsstore

import (
	"os"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Page inputs: what lets a caller keep a whole listing page.
//
// A brief page (ListOptions.Brief) is a function of what its walk read:
// the sorted listing of each directory it looked into (which keys exist,
// which subdirectories hold keys, what lies after the page and so decides
// IsTruncated and Next) and, for each key it loaded, its data file's stat
// and the listing fields of its record. With ListOptions.Inputs the walk
// writes these down (ListResult.Inputs): each directory's stamp (as
// listcache.go validates a cached listing) and each loaded file's device,
// inode, size, mtime and ctime (as listfields.go validates cached fields).
// PageUnchanged re-reads them all: one open and fstat per directory, one
// fstatat per key. When every one is unchanged, the walk would read the
// same listings, the same stats and (the ctime being unchanged) the same
// records, and so build the same page; the caller may then answer with
// what it made of the page before (caddys3 keeps the encoded document).
//
// Racy inputs. Timestamps are coarse: a change in the same tick as the
// read could leave a stamp unchanged. As for the two caches, a page is
// given inputs only when every directory's and file's ctime is strictly
// older than a filesystem clock reading taken before the walk began; any
// change after the walk read something then gives it a later ctime. A
// directory marker's record (an xattr of the directory, read before its
// listing, and which may end the walk or decide a common prefix on its
// own) is covered by the directory's stamp, taken after it is read.
//
// Pages that cannot be given inputs: those with a key that vanished or
// stopped being a regular file during the walk, a directory removed while
// read, and full (non-brief) pages, and every page of a store without the
// listing fields cache (sidecar records change without the data file's
// ctime).
//
// Bound. The page reflects every change visible in the attributes the
// revalidation reads: locally every completed change. Over NFS each
// directory is opened (close-to-open revalidates its attributes, as for
// the listing cache) but each file is only stat()ed, which the attribute
// cache may answer: a record rewritten in place by another node (or a
// file edited by hand) may be listed with its old fields for up to the
// attribute cache time, the bound listfields.go already states; a key
// added, removed or replaced changes its directory and shows at once.

// PageInputs is what a listing page was built from; see PageUnchanged.
type PageInputs struct {
	dirs  []pageDir
	files []pageFile // sorted by dir
	names []byte     // the files' stored names, each followed by a NUL
}

type pageDir struct {
	rel   string // stored path below the bucket
	stamp dirStamp
}

type pageFile struct {
	dir                int32 // index in dirs
	nameOff, nameLen   uint32
	dev, ino           uint64
	size, mtime, ctime int64 // ns
}

// Cost is about the memory p holds, in bytes.
func (p *PageInputs) Cost() int64 {
	n := int64(len(p.names)) + int64(len(p.files))*56 + 64
	for _, d := range p.dirs {
		n += int64(len(d.rel)) + 72
	}
	return n
}

// pageRecorder collects the inputs of one walk; a nil one records nothing.
type pageRecorder struct {
	in     PageInputs
	clock  int64 // filesystem clock read before the walk
	racy   bool  // an input too fresh to be revalidated by its ctime
	failed bool  // the page depends on something not recorded
}

// newPageRecorder starts recording a walk of s, if asked for and possible.
func (s *Store) newPageRecorder(o ListOptions) *pageRecorder {
	if !o.Inputs || !o.Brief || s.listFields == nil {
		return nil
	}
	return &pageRecorder{clock: s.listClock.now()}
}

// dir records a directory listing read with stamp st at the stored path
// rel, returning its index for the files loaded from it.
func (r *pageRecorder) dir(rel string, st dirStamp) int32 {
	if r == nil {
		return -1
	}
	if st.ino == 0 { // removed while read (goneEmpty)
		r.failed = true
	}
	r.racy = r.racy || st.ctime >= r.clock
	r.in.dirs = append(r.in.dirs, pageDir{rel: rel, stamp: st})
	return int32(len(r.in.dirs) - 1)
}

// markerDir records the directory d at rel after its marker (a record in
// its xattr) was read: a page may end, or a common prefix be decided, on
// the marker before the directory's listing is read and recorded. A
// marker changed since it was read gives a stamp too fresh to keep.
func (r *pageRecorder) markerDir(d *os.File, rel string) {
	if r == nil {
		return
	}
	var st unix.Stat_t
	if err := withFd(d, func(fd int) error { return unix.Fstat(fd, &st) }); err != nil {
		r.failed = true
		return
	}
	r.dir(rel, stampOf(&st))
}

// file records the final stat of the file name loaded from directory dir.
func (r *pageRecorder) file(dir int32, name string, st *unix.Stat_t) {
	if r == nil {
		return
	}
	r.racy = r.racy || st.Ctim.Nano() >= r.clock
	r.in.files = append(r.in.files, pageFile{dir: dir, nameOff: uint32(len(r.in.names)), nameLen: uint32(len(name)),
		dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()})
	r.in.names = append(append(r.in.names, name...), 0) // for fstatatName
}

// fail marks the page as depending on something not recorded.
func (r *pageRecorder) fail() {
	if r != nil {
		r.failed = true
	}
}

// inputs is what was recorded, nil when the page cannot be revalidated;
// a racy page refreshes the clock so that a later one may be kept.
func (r *pageRecorder) inputs(s *Store) *PageInputs {
	if r == nil || r.failed {
		return nil
	}
	if r.racy {
		s.listClock.refresh(s)
		return nil
	}
	in := &r.in
	slices.SortStableFunc(in.files, func(a, b pageFile) int { return int(a.dir - b.dir) })
	return in
}

// PageUnchanged reports whether every input of a page of bucket still
// reads as when the page was built (see PageInputs): then listing the page
// again would give the same result. A page of many keys from a few
// directories is checked from several goroutines (the store's statFanout,
// as liststat.go spreads a walk's stats): the same system calls, a lower
// latency on a server with idle cores.
func (s *Store) PageUnchanged(bucket string, in *PageInputs) bool {
	if in == nil || s.checkBucket(bucket) != nil {
		return false
	}
	fds := make([]int, 0, len(in.dirs))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	f, spread := 0, s.statFanout.workers >= 2 && len(in.files) >= s.statFanout.min && len(in.dirs) <= maxSpreadDirs
	var st unix.Stat_t
	for i, d := range in.dirs {
		fd, err := s.root.openat(join(bucket, d.rel), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return false
		}
		fds = append(fds, fd)
		if unix.Fstat(fd, &st) != nil || stampOf(&st) != d.stamp {
			return false
		}
		if spread {
			continue // the files once every directory is open
		}
		for ; f < len(in.files) && in.files[f].dir == int32(i); f++ {
			if !in.fileUnchanged(fd, f) {
				return false
			}
		}
		unix.Close(fds[len(fds)-1])
		fds = fds[:len(fds)-1]
	}
	if spread {
		return in.filesUnchanged(fds, s.statFanout)
	}
	return f == len(in.files)
}

// maxSpreadDirs bounds the directories held open to check a page's files
// from several goroutines.
const maxSpreadDirs = 64

// fileUnchanged reports whether file f, in the open directory dfd, still
// shows its recorded stat.
func (p *PageInputs) fileUnchanged(dfd, f int) bool {
	pf := &p.files[f]
	var st unix.Stat_t
	return fstatatName(dfd, p.names[pf.nameOff:pf.nameOff+pf.nameLen+1], &st) == nil &&
		st.Dev == pf.dev && st.Ino == pf.ino && st.Size == pf.size &&
		st.Mtim.Nano() == pf.mtime && st.Ctim.Nano() == pf.ctime
}

// filesUnchanged checks every file, its directory open in fds, through
// the walk's statFanout.spread (liststat.go); after the first change the
// rest are skipped.
func (p *PageInputs) filesUnchanged(fds []int, fan statFanout) bool {
	var changed atomic.Bool
	fan.spread(len(p.files), func(f int) {
		if !changed.Load() && !p.fileUnchanged(fds[p.files[f].dir], f) {
			changed.Store(true)
		}
	})
	return !changed.Load()
}
