package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListObjects returns one page of bucket's keys in S3 byte order.
//
// The bucket is walked depth first, each directory's entries sorted by
// their decoded names with a directory d ordered as d+"/", which yields
// full keys in byte order. The walk starts in the directory named by Prefix
// up to its last '/', finds the first entry after After (and matching the
// rest of Prefix) by binary search in the directory's sorted listing
// (cached for large directories, see listcache.go), skips subtrees that
// sort entirely at or before After, and stops one entry past MaxKeys, so a
// page costs what it returns plus the directories it crosses (each read
// once, unless its listing is cached and unchanged). With Delimiter "/" the
// directories directly under the prefix become common prefixes without
// being walked (only checked to hold a key); any other delimiter is applied
// key by key, which is correct but visits every key under the prefix after
// After.
func (s *Store) ListObjects(ctx context.Context, bucket string, o ListOptions) (ListResult, error) {
	var res ListResult
	if !ValidBucketName(bucket) {
		return res, ErrNoSuchBucket
	}
	if err := s.checkBucket(bucket); err != nil {
		return res, err
	}
	if o.MaxKeys <= 0 {
		return res, nil
	}
	startDir, base, namePrefix := "", "", o.Prefix
	if i := strings.LastIndexByte(o.Prefix, '/'); i >= 0 {
		base, namePrefix = o.Prefix[:i+1], o.Prefix[i+1:]
		var err error
		if startDir, err = encodeRel(o.Prefix[:i]); err != nil {
			return res, nil // no stored key can have this prefix
		}
	}
	asked := startDir
	d, startDir, err := s.findDir(bucket, startDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return res, nil // no directory: no key has this prefix
		}
		return res, err
	}
	defer d.Close()
	l := &lister{s: s, ctx: ctx, bucket: bucket, o: o}
	l.res.Objects = make([]ObjectEntry, 0, min(o.MaxKeys, 1000))
	l.rec = s.newPageRecorder(o)
	if startDir != asked {
		l.rec.fail() // found under a collision escape: PageUnchanged opens the plain path
	}
	served := make(chan struct{})
	defer close(served)
	w := walker{s: s, ctx: ctx, bucket: bucket, after: o.After, onKey: l.key, brief: o.Brief && s.listFields != nil, rec: l.rec, served: served}
	if o.Delimiter == "" || o.Delimiter == "/" { // every file the walk meets is then loaded
		w.room = func() int { return o.MaxKeys - l.n + 1 }
	}
	if o.Delimiter == "/" {
		w.onDir = l.dir
	}
	_, err = w.walk(d, startDir, base, namePrefix, true)
	if err == nil {
		l.res.Inputs = l.rec.inputs(s)
	}
	return l.res, err
}

// keyLoader reads the metadata of a key found by the walker, when the
// page needs it. A value, not a closure: passing it allocates nothing.
type keyLoader struct {
	w         *walker
	d         *os.File // the key's directory, held open by the walk
	name, key string   // its stored name in d, and the key
	pre       *statResult
	marker    *metaRecord // a directory marker's record, already read
	rdir      int32       // d's index in the walk's page recorder
}

// walker visits the keys below a directory in byte order.
type walker struct {
	s      *Store
	ctx    context.Context
	bucket string
	after  string // only keys > after are visited
	onKey  func(key string, load keyLoader) (stop bool, err error)
	// onDir, if set, is called for the directories in the start directory
	// (prefix is the directory's key prefix, ending in "/"; rel its stored
	// path) instead of descending.
	onDir func(prefix, rel string, open func() (*os.File, error)) (stop bool, err error)
	// brief: keys need only their listing fields (listfields.go).
	brief bool
	// room, if set, is how many more keys the page loads; a brief walk
	// then stats a directory's files ahead in parallel (liststat.go).
	room func() int
	rec  *pageRecorder // nil unless the page's inputs are recorded
	// served is closed when the page has been collected (listpage.go).
	served <-chan struct{}
}

// walk visits the directory d at the stored path rel (below the bucket),
// whose keys start with base ("" for the bucket directory, else ending in
// '/'), restricted to entries whose decoded names start with namePrefix.
func (w *walker) walk(d *os.File, rel, base, namePrefix string, top bool) (bool, error) {
	if err := w.ctx.Err(); err != nil {
		return true, err
	}
	skipEmpty := false // the body form of the marker listed here
	if namePrefix == "" && base != "" && base > w.after {
		// The directory's own marker sorts before everything in it.
		var rec metaRecord
		var ok bool
		err := withFd(d, func(fd int) error {
			id, _, err := statID(fd)
			if err == nil {
				rec, ok, err = w.s.meta.loadMarker(fd, id.Ino, w.bucket, base)
			}
			return err
		})
		if err != nil {
			return true, err
		}
		if ok {
			w.rec.markerDir(d, rel) // the marker may decide the page before the listing is read
			stop, err := w.onKey(base, keyLoader{marker: &rec})
			if stop || err != nil {
				return true, err
			}
			skipEmpty = true
		}
	}
	rest, inside := strings.CutPrefix(w.after, base)
	if !inside && w.after > base {
		return false, nil // every key here sorts before after
	}
	page := w.pageStart(namePrefix, rest, inside)
	list, i, err := w.s.pageList(d, w.bucket, rel, page) // listpage.go
	if err != nil {
		return true, err
	}
	rdir := w.rec.dir(rel, list.stamp)
	var pre *statBatch
	if w.brief && w.room != nil {
		pre = w.prefetch(dirFd(d), list, i, namePrefix) // listpagerec.go
	}
	for ; ; i++ {
		if i == list.len() {
			if !list.more { // a window of the index file ends here
				break
			}
			stamp := list.stamp
			if list, i, err = w.s.pageList(d, w.bucket, rel, w.pageAfter(list.at(i-1))); err != nil {
				return true, err
			}
			if list.stamp != stamp {
				w.rec.fail() // the directory changed between windows: the page is not kept
			}
			if i == list.len() {
				break
			}
			if w.brief && w.room != nil {
				pre = w.prefetch(dirFd(d), list, i, namePrefix) // listpagerec.go
			}
		}
		sk := list.at(i)
		if !strings.HasPrefix(sk, namePrefix) {
			break
		}
		k := base + sk
		if !isDirKey(sk) {
			if sk == "" && (skipEmpty || base == "") {
				continue // listed as the marker, or not a key (the empty key)
			}
			stop, err := w.onKey(k, keyLoader{w: w, d: d, name: list.stored(i), key: k, pre: pre.take(i), rdir: rdir})
			if stop || err != nil {
				return true, err
			}
			continue
		}
		name := list.stored(i)
		crel := joinRel(rel, name)
		open := func() (*os.File, error) { return openDirAt(d, name, crel) }
		if top && w.onDir != nil {
			stop, err := w.onDir(k, crel, open)
			if stop || err != nil {
				return true, err
			}
			continue
		}
		cd, err := open()
		if err != nil {
			if goneDir(err) {
				continue // removed or replaced since listed
			}
			return true, err
		}
		stop, err := w.walk(cd, crel, k, "", false)
		cd.Close()
		if stop || err != nil {
			return true, err
		}
	}
	return false, nil
}

// pageStart is where the walk starts in a directory: the first entry
// whose sort key starts with namePrefix and that is or holds a key after
// rest (when inside: after lies in this directory, rest is its part
// below it).
func (w *walker) pageStart(namePrefix, rest string, inside bool) *pageStart {
	p := &pageStart{from: namePrefix, start: func(l *dirList) int {
		i := l.lowerBound(namePrefix)
		if inside {
			i = max(i, l.startAfter(rest))
		}
		return i
	}}
	if inside && rest > p.from {
		p.from = rest
	}
	if w.room != nil {
		p.want = w.room()
	}
	p.served = w.served
	return p
}

// pageAfter is where the walk goes on in a directory after the entry
// whose sort key is last.
func (w *walker) pageAfter(last string) *pageStart {
	p := &pageStart{from: last, start: func(l *dirList) int {
		return sort.Search(l.len(), func(i int) bool { return l.at(i) > last })
	}}
	if w.room != nil {
		p.want = w.room()
	}
	p.served = w.served
	return p
}

// goneDir reports whether opening a listed directory failed because it is
// no longer there (or no longer a directory).
func goneDir(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)
}

// openDirAt opens the sub-directory name of d. name is one component read
// from d and O_NOFOLLOW refuses symlinks, so this stays inside the root.
func openDirAt(d *os.File, name, rel string) (*os.File, error) {
	var f *os.File
	err := withFd(d, func(dfd int) error {
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), rel)
		return nil
	})
	return f, err
}

// load reads the metadata: the marker's, or that of the regular file
// name in d (pre: its stat issued ahead, or nil); ok is false when the
// key vanished or turned out not to be one.
func (l keyLoader) load() (m ObjectMeta, ok bool, err error) {
	if l.marker != nil {
		return l.marker.meta(0, l.marker.MTime), true, nil
	}
	w, name := l.w, l.name
	if w.brief {
		return w.briefLoad(dirFd(l.d), name, l.pre, l.rdir)
	}
	err = withFd(l.d, func(dfd int) error {
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return nil // deleted, or replaced by a symlink, since listed
			}
			return err
		}
		defer unix.Close(fd)
		id, mode, err := statID(fd)
		if err != nil || mode != unix.S_IFREG {
			return err
		}
		rec, _, err := w.s.meta.load(fd, id, w.bucket, l.key)
		m, ok = rec.meta(id.Size, unixSec(id.MTime)), err == nil
		return err
	})
	return m, ok, err
}

// lister collects one page.
type lister struct {
	s      *Store
	ctx    context.Context
	bucket string
	o      ListOptions
	res    ListResult
	n      int
	lastCP string
	rec    *pageRecorder
}

func (l *lister) key(k string, ld keyLoader) (bool, error) {
	if d := l.o.Delimiter; d != "" {
		rest := k[len(l.o.Prefix):]
		if i := strings.Index(rest, d); i >= 0 {
			return l.prefix(l.o.Prefix + rest[:i+len(d)])
		}
	}
	m, ok, err := ld.load()
	if err != nil || !ok {
		return false, err
	}
	if l.n == l.o.MaxKeys {
		l.res.IsTruncated = true
		return true, nil
	}
	l.res.Objects = append(l.res.Objects, ObjectEntry{Key: k, Meta: m})
	l.n++
	l.res.Next = k
	return false, nil
}

// prefix adds a common prefix once. When it equals After, the previous
// page ended with it and every key under it is skipped.
func (l *lister) prefix(cp string) (bool, error) {
	if cp == l.lastCP || cp == l.o.After {
		return false, nil
	}
	if l.n == l.o.MaxKeys {
		l.res.IsTruncated = true
		return true, nil
	}
	l.res.CommonPrefixes = append(l.res.CommonPrefixes, cp)
	l.lastCP = cp
	l.n++
	l.res.Next = cp
	return false, nil
}

// dir turns a directory directly under the prefix into a common prefix
// (delimiter "/") if it holds a key sorting after After.
func (l *lister) dir(cp, rel string, open func() (*os.File, error)) (bool, error) {
	if cp == l.lastCP || cp == l.o.After {
		return false, nil
	}
	after := ""
	if strings.HasPrefix(l.o.After, cp) {
		after = l.o.After
	}
	d, err := open()
	if err != nil {
		if goneDir(err) {
			return false, nil
		}
		return true, err
	}
	found := false
	probe := walker{s: l.s, ctx: l.ctx, bucket: l.bucket, after: after, rec: l.rec,
		onKey: func(string, keyLoader) (bool, error) { found = true; return true, nil }}
	_, err = probe.walk(d, rel, cp, "", false)
	d.Close()
	if err != nil || !found {
		return err != nil, err
	}
	return l.prefix(cp)
}
