package fsstore

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Listing cache.
//
// A listing page walks directories in the byte order of their decoded
// entries (a directory d sorting as d+"/"), which needs every directory
// read whole and sorted. For a directory of a million files that is far
// more than a page costs, so the sorted listings of large directories are
// kept in a per-Store LRU (bounded in bytes) and reused by later pages.
//
// Validation. A cached listing carries the stamp (device, inode, size,
// nlink, mtime and ctime in nanoseconds) of the directory when it was read.
// Every use fstat()s the open directory (one syscall, which a walk needs
// anyway to open it) and uses the listing only if the stamp is unchanged:
// creating, removing or renaming an entry, in this process or any other
// sharing the root, changes the directory's mtime and ctime. Timestamps
// are coarse (a kernel tick, often 1–10 ms), so a change in the same tick
// as the read would leave the stamp unchanged; a listing is therefore
// cached only when the directory's ctime is strictly older than the
// filesystem's own clock at the time of the stat that precedes the read.
// That clock is read from the ctime of a file created in the staging
// directory (the same filesystem, so on NFS the server's clock): any later
// change to the directory gets a ctime at least that value, different from
// the cached one. ctime cannot be set by utimes(2), so touch(1) cannot fake
// an unchanged stamp.
//
// Bound: a listing reflects every change visible in the directory's
// attributes when the page's walk opened it. Locally that is every
// completed rename/unlink. Over NFS it is every change made by another
// client before this client revalidates the directory's attributes, which
// close-to-open consistency does at each open (so do not mount with nocto;
// the attribute cache, actimeo, does not extend it, because the walk opens
// the directory for every page).
//
// (A filesystem clock stepped back could in theory give a later change
// the very same ctime in nanoseconds; nothing else can.)
//
// Cost: a directory that changed since it was cached is read and sorted
// again for the next page (a million entries: about one second on a
// 2-core VM with ext4), so paging through a huge flat directory while it
// is being written costs a full read per page; keys spread over
// directories do not.
//
// Small directories (stat size below listCacheMinDirSize) are read for
// every page: it is cheap and keeps them from churning the LRU.
const (
	defaultListCacheBytes = 128 << 20
	listCacheMinDirSize   = 16 << 10
	// listProbeEvery limits how often a walk refreshes the filesystem
	// clock; until the next refresh a freshly changed directory is simply
	// read again.
	listProbeEvery = 10 * time.Millisecond
)

// dirList is the sorted listing of one directory: for each entry that is
// or may hold keys, its sort key — a regular file's decoded name, a
// directory's decoded name plus "/" — in byte order, packed into one
// string. Decoded names hold no '/', so a sort key ends in '/' exactly when
// it names a directory, and the stored name is encodeName of the rest.
type dirList struct {
	buf   string
	off   []uint32 // entry i is buf[off[i]:off[i+1]]
	stamp dirStamp
	// esc holds, in ascending order, the indices of the entries stored
	// under a collision escape (%%dir.n, %%file.n; see collide.go): nil
	// for almost every directory.
	esc []uint32
	// byName, in listings of the version area only (see areaList), holds
	// the indices of the directory entries in byte order of their names
	// without the trailing '/': the order of the keys they stand for.
	byName []uint32
	// more: entries follow the last one here, which is a window of the
	// index file served to one walk (listpage.go).
	more bool
}

func (l *dirList) len() int        { return len(l.off) - 1 }
func (l *dirList) at(i int) string { return l.buf[l.off[i]:l.off[i+1]] }
func (l *dirList) cost() int64 {
	return int64(len(l.buf)) + 4*int64(len(l.off)) + 4*int64(len(l.esc)) + 4*int64(len(l.byName)) + 256
}

// stored is the on-disk name of entry i.
func (l *dirList) stored(i int) string {
	sk := l.at(i)
	if l.esc != nil {
		if _, found := slices.BinarySearch(l.esc, uint32(i)); found {
			if isDirKey(sk) {
				return escDir + storedName(sk)
			}
			return escFile + storedName(sk)
		}
	}
	return storedName(sk)
}

// lowerBound is the index of the first sort key >= s.
func (l *dirList) lowerBound(s string) int {
	return sort.Search(l.len(), func(i int) bool { return l.at(i) >= s })
}

// startAfter is the index of the first entry that is, or holds, a key
// sorting after rest (the part of After below this directory): the first
// sort key > rest, or the directory just before it when rest lies inside
// it.
func (l *dirList) startAfter(rest string) int {
	i := sort.Search(l.len(), func(i int) bool { return l.at(i) > rest })
	if i > 0 {
		if sk := l.at(i - 1); isDirKey(sk) && strings.HasPrefix(rest, sk) {
			i--
		}
	}
	return i
}

func isDirKey(sk string) bool { return strings.HasSuffix(sk, "/") }

// storedName is the on-disk name of the entry with sort key sk.
func storedName(sk string) string { return encodeName(strings.TrimSuffix(sk, "/")) }

// dirStamp identifies one state of a directory.
type dirStamp struct {
	dev, ino, nlink uint64
	size            int64
	mtime, ctime    int64 // ns
}

func stampOf(st *unix.Stat_t) dirStamp {
	return dirStamp{dev: st.Dev, ino: st.Ino, nlink: uint64(st.Nlink), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
}

// listCache is an LRU of sorted directory listings keyed by bucket and
// stored path, bounded by the bytes they hold.
type listCache struct {
	max int64

	mu   sync.Mutex
	used int64
	ents map[string]*list.Element // of *cacheEnt
	lru  list.List                // front: most recently used
}

type cacheEnt struct {
	key string
	l   *dirList
}

func newListCache(max int64) *listCache {
	return &listCache{max: max, ents: map[string]*list.Element{}}
}

func (c *listCache) get(key string, stamp dirStamp) *dirList {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.ents[key]
	if !ok {
		return nil
	}
	ce := e.Value.(*cacheEnt)
	if ce.l.stamp != stamp {
		c.remove(e)
		return nil
	}
	c.lru.MoveToFront(e)
	return ce.l
}

func (c *listCache) put(key string, l *dirList) {
	if l.cost() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.ents[key]; ok {
		c.remove(e)
	}
	c.ents[key] = c.lru.PushFront(&cacheEnt{key, l})
	c.used += l.cost()
	for c.used > c.max {
		c.remove(c.lru.Back())
	}
}

func (c *listCache) remove(e *list.Element) {
	ce := c.lru.Remove(e).(*cacheEnt)
	delete(c.ents, ce.key)
	c.used -= ce.l.cost()
}

// stats returns the number of cached listings and their cost in bytes.
func (c *listCache) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ents), c.used
}

// dirList returns the sorted listing of the open directory d, the stored
// path rel of bucket: from the cache when the directory is unchanged since
// it was cached, else read (and cached if the directory is large and its
// stamp settled).
func (s *Store) dirList(d *os.File, bucket, rel string) (*dirList, error) {
	return s.cachedList(d, bucket, bucket+"/"+rel, nil, nil)
}

// cachedList is dirList under the cache key key (a directory of bucket);
// prep, if set, completes a listing just read, before it is cached; page,
// if set, lets a memory miss be served a window of the index file that
// holds that page (listpage.go).
func (s *Store) cachedList(d *os.File, bucket, key string, prep func(*dirList), page *pageStart) (*dirList, error) {
	var l *dirList
	err := withFd(d, func(fd int) error {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		c := s.listCache
		if c == nil || st.Size < s.listCacheMin {
			var err error
			l, err = s.readDirList(fd, stampOf(&st))
			if err == nil && prep != nil {
				prep(l)
			}
			return goneEmpty(&l, err)
		}
		if l = c.get(key, stampOf(&st)); l != nil {
			return nil
		}
		var hadIndex bool
		if page != nil {
			if l, hadIndex = s.indexWindow(bucket, key, stampOf(&st), page); l != nil {
				return nil
			}
		} else if l, hadIndex = s.loadListIndex(bucket, key, stampOf(&st)); l != nil { // listindex.go
			if prep != nil && l.byName == nil {
				prep(l)
			}
			c.put(key, l)
			return nil
		}
		settled, err := s.settled(fd, &st)
		if err != nil {
			return err
		}
		if l, err = s.readDirList(fd, stampOf(&st)); err != nil {
			return goneEmpty(&l, err)
		}
		if prep != nil {
			prep(l)
		}
		if settled {
			c.put(key, l)
			s.saveListIndex(bucket, key, l, hadIndex)
		}
		return nil
	})
	return l, err
}

// errDirGone: the directory being read was removed after it was opened.
var errDirGone = errors.New("fsstore: directory removed while listed")

// goneEmpty turns errDirGone into an empty listing (never cached).
func goneEmpty(l **dirList, err error) error {
	if err == errDirGone {
		*l = &dirList{off: []uint32{0}}
		return nil
	}
	return err
}

// settled reports whether the directory fd, whose stat is *st, has a ctime
// strictly older than the filesystem clock, so that any later change gives
// it another stamp. It may refresh the clock, and then re-stats fd into
// *st (the stat must follow the clock reading).
func (s *Store) settled(fd int, st *unix.Stat_t) (bool, error) {
	if st.Ctim.Nano() < s.listClock.now() {
		return true, nil
	}
	if !s.listClock.refresh(s) {
		return false, nil
	}
	if err := unix.Fstat(fd, st); err != nil {
		return false, err
	}
	return st.Ctim.Nano() < s.listClock.now(), nil
}

// direntBufSize is the getdents buffer: large, so a big directory takes few
// system calls.
const direntBufSize = 128 << 10

var direntBufs = sync.Pool{New: func() any { b := make([]byte, direntBufSize); return &b }}

// readDirList reads the directory fd (from its start; fd must be freshly
// opened) and sorts it. Entries other than regular files and directories,
// "." and "..", and names the store never makes are left out.
func (s *Store) readDirList(fd int, stamp dirStamp) (*dirList, error) {
	s.dirReads.Add(1)
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	var raw []byte             // sort keys, unsorted
	var offs []uint32          // start of each in raw
	var escaped map[string]int // sort keys of collision escapes, counted
	esc := []byte(escPrefix)
	for {
		n, err := unix.Getdents(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ENOENT) {
			// Removed since it was opened (a concurrent delete pruned
			// it): it is empty now, and so is its listing.
			return nil, errDirGone
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		for p := 0; p < n; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			reclen := int(binary.NativeEndian.Uint16(buf[p+16:]))
			typ := buf[p+18]
			name := buf[p+19 : p+reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			p += reclen
			if typ == unix.DT_UNKNOWN { // some filesystems (older XFS, some NFS) do not say
				var st unix.Stat_t
				if unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
					continue
				}
				switch st.Mode & unix.S_IFMT {
				case unix.S_IFREG:
					typ = unix.DT_REG
				case unix.S_IFDIR:
					typ = unix.DT_DIR
				}
			}
			if typ != unix.DT_REG && typ != unix.DT_DIR {
				continue // symlinks, sockets, ...: not keys
			}
			kind := namePlain
			if bytes.HasPrefix(name, esc) || len(name) <= 2 && name[0] == '.' && (len(name) == 1 || name[1] == '.') {
				c, k, ok := decodeNameKind(string(name))
				if !ok || k == nameDir && typ != unix.DT_DIR || k == nameFile && typ != unix.DT_REG {
					continue // not made by the store
				}
				name, kind = []byte(c), k
			}
			offs = append(offs, uint32(len(raw)))
			raw = append(raw, name...)
			if typ == unix.DT_DIR {
				raw = append(raw, '/')
			}
			if kind != namePlain {
				if escaped == nil {
					escaped = map[string]int{}
				}
				escaped[string(raw[offs[len(offs)-1]:])]++
			}
		}
	}
	if len(raw) > math.MaxUint32 {
		return nil, errors.New("fsstore: directory listing larger than 4 GiB")
	}
	// Sort substrings of one string: no allocation per name, and the
	// string comparisons of slices.Sort are the fastest at hand.
	all := string(raw)
	names := make([]string, len(offs))
	for i, o := range offs {
		end := len(all)
		if i+1 < len(offs) {
			end = int(offs[i+1])
		}
		names[i] = all[o:end]
	}
	slices.Sort(names)
	var escIdx []uint32
	if escaped != nil {
		names, escIdx = dedupEscaped(names, escaped)
	}
	var b strings.Builder
	b.Grow(len(all))
	off := make([]uint32, len(names)+1)
	for i, name := range names {
		off[i] = uint32(b.Len())
		b.WriteString(name)
	}
	off[len(names)] = uint32(b.Len())
	return &dirList{buf: b.String(), off: off, stamp: stamp, esc: escIdx}, nil
}

// dedupEscaped keeps one entry per sort key in the sorted names, the plain
// one where a plain and an escaped entry share it (only after a crash or
// in a race's window, see collide.go: the plain one is then the newer),
// and returns the indices of the entries kept that are escaped (escaped
// counts the escaped entries per sort key).
func dedupEscaped(names []string, escaped map[string]int) ([]string, []uint32) {
	var idx []uint32
	out := names[:0]
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if escaped[names[i]] == j-i {
			idx = append(idx, uint32(len(out)))
		}
		out = append(out, names[i])
		i = j
	}
	return out, idx
}
