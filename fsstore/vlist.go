package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"syscall"
)

// ListObjectVersions returns one page of the bucket's versions: keys in
// ascending byte order, each key's versions newest first. In a bucket
// that never had versioning every object is listed once as the null
// version, IsLatest true (one ListObjects page). Otherwise the keys are
// the union of the plain tree (ListObjects) and the version area (walked
// in the same order, see walkArea), merged; each key's versions are its
// vstate's order.
func (s *Store) ListObjectVersions(ctx context.Context, bucket string, o ListVersionsOptions) (ListVersionsResult, error) {
	var res ListVersionsResult
	if !ValidBucketName(bucket) {
		return res, ErrNoSuchBucket
	}
	versioned, err := s.bucketState(bucket)
	if err != nil {
		return res, err
	}
	if o.MaxKeys <= 0 {
		return res, nil
	}
	if !versioned {
		return s.listUnversioned(ctx, bucket, o)
	}
	l := &vlister{s: s, ctx: ctx, bucket: bucket, o: o}
	return l.run()
}

func (s *Store) listUnversioned(ctx context.Context, bucket string, o ListVersionsOptions) (ListVersionsResult, error) {
	var res ListVersionsResult
	lo := ListOptions{Prefix: o.Prefix, Delimiter: o.Delimiter, After: o.KeyMarker, MaxKeys: o.MaxKeys}
	if o.KeyMarker != "" && o.VersionIDMarker != "" && o.VersionIDMarker != NullVersion {
		// A marker inside the key's versions: its only one is older.
		lo.After = o.KeyMarker
	}
	r, err := s.ListObjects(ctx, bucket, lo)
	if err != nil {
		return res, err
	}
	// Merge objects and prefixes in order to report the last one.
	for _, ob := range r.Objects {
		res.Entries = append(res.Entries, VersionEntry{Key: ob.Key, VersionID: NullVersion, IsLatest: true, Meta: ob.Meta})
	}
	res.CommonPrefixes = r.CommonPrefixes
	res.IsTruncated = r.IsTruncated
	if r.IsTruncated {
		res.NextKeyMarker = r.Next
		if n := len(r.Objects); n > 0 && r.Objects[n-1].Key == r.Next {
			res.NextVersionIDMarker = NullVersion
		}
	}
	return res, nil
}

// vlister builds one page of a versioned bucket's listing.
type vlister struct {
	s      *Store
	ctx    context.Context
	bucket string
	o      ListVersionsOptions
	res    ListVersionsResult
	n      int
	lastCP string
	full   bool // the page is full; the next item makes it truncated
	done   bool
}

// add is called for each key in order; it returns true to stop.
func (l *vlister) add(key string) (bool, error) {
	o := l.o
	if o.Delimiter != "" {
		if i := strings.Index(key[len(o.Prefix):], o.Delimiter); i >= 0 {
			cp := key[:len(o.Prefix)+i+len(o.Delimiter)]
			if cp == l.lastCP || cp == o.KeyMarker {
				return false, nil
			}
			if l.full {
				l.res.IsTruncated = true
				return true, nil
			}
			l.lastCP = cp
			l.res.CommonPrefixes = append(l.res.CommonPrefixes, cp)
			l.res.NextKeyMarker, l.res.NextVersionIDMarker = cp, ""
			l.n++
			l.full = l.n >= o.MaxKeys
			return false, nil
		}
	}
	st, err := l.s.loadState(l.bucket, key)
	if err != nil {
		if errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrKeyTooLong) {
			return false, nil
		}
		return false, err
	}
	defer st.close()
	order := st.order()
	latest := st.latest()
	start := 0
	if key == o.KeyMarker && o.VersionIDMarker != "" {
		start = len(order)
		for i, n := range order {
			if listedID(n) == o.VersionIDMarker {
				start = i + 1
				break
			}
		}
		if start == len(order) && o.VersionIDMarker != NullVersion {
			start = sort.SearchStrings(order, o.VersionIDMarker+"\x00")
		}
	}
	for _, name := range order[start:] {
		var m ObjectMeta
		if st.plain != nil && st.plain.name == name {
			m = st.plain.meta()
		} else {
			ob, err := l.s.openEntry(st, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return false, err
			}
			ob.Close()
			m = ob.Meta
		}
		if l.full {
			l.res.IsTruncated = true
			return true, nil
		}
		_, dm, _, _ := parseEntry(name)
		m.DeleteMarker = dm
		m.VersionID = exposedID(name)
		l.res.Entries = append(l.res.Entries, VersionEntry{Key: key, VersionID: listedID(name),
			IsLatest: name == latest, DeleteMarker: dm, Meta: m})
		l.res.NextKeyMarker, l.res.NextVersionIDMarker = key, listedID(name)
		l.n++
		l.full = l.n >= o.MaxKeys
	}
	return false, nil
}

func (l *vlister) run() (ListVersionsResult, error) {
	after := l.o.KeyMarker
	first := true
	// The key marker itself still has older versions to list.
	if l.o.KeyMarker != "" && l.o.VersionIDMarker != "" && strings.HasPrefix(l.o.KeyMarker, l.o.Prefix) {
		if stop, err := l.add(l.o.KeyMarker); err != nil || stop {
			return l.finish(err)
		}
	}
	_ = first
	skipUnder := ""
	if l.o.Delimiter != "" && strings.HasPrefix(after, l.o.Prefix) && strings.HasSuffix(after, l.o.Delimiter) &&
		strings.Contains(after[len(l.o.Prefix):], l.o.Delimiter) {
		skipUnder = after
	}
	plain := &plainStream{s: l.s, ctx: l.ctx, bucket: l.bucket, prefix: l.o.Prefix, after: after}
	area := &areaStream{s: l.s, bucket: l.bucket, prefix: l.o.Prefix, after: after}
	for {
		pk, pok, err := plain.peek()
		if err != nil {
			return l.finish(err)
		}
		ak, aok, err := area.peek()
		if err != nil {
			return l.finish(err)
		}
		if !pok && !aok {
			return l.finish(nil)
		}
		var k string
		switch {
		case !aok || pok && pk < ak:
			k = pk
			plain.pop()
		case !pok || ak < pk:
			k = ak
			area.pop()
		default:
			k = pk
			plain.pop()
			area.pop()
		}
		if skipUnder != "" && strings.HasPrefix(k, skipUnder) {
			continue
		}
		stop, err := l.add(k)
		if err != nil || stop {
			return l.finish(err)
		}
	}
}

func (l *vlister) finish(err error) (ListVersionsResult, error) {
	if !l.res.IsTruncated {
		l.res.NextKeyMarker, l.res.NextVersionIDMarker = "", ""
	}
	return l.res, err
}

// plainStream yields the keys of the plain tree in order, a ListObjects
// page at a time.
type plainStream struct {
	s              *Store
	ctx            context.Context
	bucket, prefix string
	after          string
	buf            []string
	eof            bool
}

func (p *plainStream) peek() (string, bool, error) {
	for len(p.buf) == 0 && !p.eof {
		r, err := p.s.ListObjects(p.ctx, p.bucket, ListOptions{Prefix: p.prefix, After: p.after, MaxKeys: 1000})
		if err != nil {
			return "", false, err
		}
		for _, ob := range r.Objects {
			p.buf = append(p.buf, ob.Key)
		}
		p.eof = !r.IsTruncated
		if len(r.Objects) > 0 {
			p.after = r.Objects[len(r.Objects)-1].Key
		}
	}
	if len(p.buf) == 0 {
		return "", false, nil
	}
	return p.buf[0], true, nil
}

func (p *plainStream) pop() { p.buf = p.buf[1:] }

// areaStream yields the keys that have entries in the version area, in
// order. The area mirrors stored key paths, every component a directory
// and a key's entries in its %%v directory; walkArea visits it lazily.
type areaStream struct {
	s              *Store
	bucket, prefix string
	after          string
	buf            []string
	eof            bool
}

const areaBatch = 256

func (a *areaStream) peek() (string, bool, error) {
	if len(a.buf) == 0 && !a.eof {
		var keys []string
		err := a.s.walkArea(a.bucket, a.prefix, a.after, func(k string) bool {
			keys = append(keys, k)
			return len(keys) >= areaBatch
		})
		if err != nil {
			return "", false, err
		}
		a.buf = keys
		a.eof = len(keys) < areaBatch
		if len(keys) > 0 {
			a.after = keys[len(keys)-1]
		}
	}
	if len(a.buf) == 0 {
		return "", false, nil
	}
	return a.buf[0], true, nil
}

func (a *areaStream) pop() { a.buf = a.buf[1:] }

// walkArea calls fn for each key with a %%v directory in the bucket's
// version area, in byte order, that starts with prefix and sorts after
// after, until fn returns true.
func (s *Store) walkArea(bucket, prefix, after string, fn func(key string) bool) error {
	_, err := s.walkAreaDir(versionsDir+"/"+bucket, "", true, prefix, after, fn)
	return err
}

type areaItem struct {
	s       string // the key, or the subtree's prefix ending in '/'
	name    string // stored name of the child directory
	subtree bool
}

func (s *Store) walkAreaDir(dir, kprefix string, top bool, prefix, after string, fn func(string) bool) (bool, error) {
	names, err := s.readDirNames(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	items := make([]areaItem, 0, 2*len(names))
	for _, n := range names {
		if n == vSub {
			continue
		}
		c, ok := decodeName(n)
		if !ok {
			continue
		}
		k := kprefix + c
		if !top {
			k = kprefix + "/" + c
		}
		items = append(items, areaItem{k, n, false}, areaItem{k + "/", n, true})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].s < items[j].s })
	for _, it := range items {
		if !it.subtree {
			if it.s <= after || !strings.HasPrefix(it.s, prefix) {
				continue
			}
			if _, err := s.root.Lstat(dir + "/" + it.name + "/" + vSub); err != nil {
				continue
			}
			if fn(it.s) {
				return true, nil
			}
			continue
		}
		if !(strings.HasPrefix(it.s, prefix) || strings.HasPrefix(prefix, it.s)) {
			continue
		}
		if after >= it.s && !strings.HasPrefix(after, it.s) {
			continue
		}
		if stop, err := s.walkAreaDir(dir+"/"+it.name, strings.TrimSuffix(it.s, "/"), false, prefix, after, fn); err != nil || stop {
			return stop, err
		}
	}
	return false, nil
}
