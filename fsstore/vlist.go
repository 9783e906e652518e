package fsstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
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
	lo := ListOptions{Prefix: o.Prefix, Delimiter: o.Delimiter, After: o.KeyMarker, MaxKeys: o.MaxKeys, Brief: o.Brief}
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
	brief := l.o.Brief && l.s.listFields != nil // from the listing fields (vlistfields.go)
	load := l.s.loadOpen
	if brief {
		load = l.s.loadOpenListed
	}
	st, err := l.s.loadStateWith(l.bucket, key, load)
	if err != nil {
		if errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrKeyTooLong) {
			return false, nil
		}
		return false, err
	}
	defer st.close()
	order := st.listed()
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
		ok := false
		if st.plain != nil && st.plain.name == name {
			m, ok = st.plain.meta(), true
		} else if brief {
			if m, ok, err = l.s.briefEntry(st, name); err != nil {
				return false, err
			}
		}
		if !ok {
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
	// The key marker itself still has older versions to list.
	if l.o.KeyMarker != "" && l.o.VersionIDMarker != "" && strings.HasPrefix(l.o.KeyMarker, l.o.Prefix) {
		if stop, err := l.add(l.o.KeyMarker); err != nil || stop {
			return l.finish(err)
		}
	}
	plain := &plainStream{s: l.s, ctx: l.ctx, bucket: l.bucket, prefix: l.o.Prefix, delim: l.o.Delimiter, after: after,
		// Each key or common prefix yields at least one item of the
		// page, and one more says it is truncated.
		need: func() int { return l.o.MaxKeys - l.n + 1 }}
	area := &areaStream{s: l.s, bucket: l.bucket, prefix: l.o.Prefix, delim: l.o.Delimiter, after: after}
	// A key marker that is a common prefix: the previous page listed it,
	// and nothing under it is listed again.
	if d := l.o.Delimiter; d != "" && strings.HasPrefix(after, l.o.Prefix) {
		if i := strings.Index(after[len(l.o.Prefix):], d); i >= 0 && len(l.o.Prefix)+i+len(d) == len(after) {
			plain.skip(after)
			area.skip(after)
		}
	}
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
		stop, err := l.add(k)
		if err != nil || stop {
			return l.finish(err)
		}
		// k rolled up into a common prefix: nothing more under it is
		// read, in either tree.
		if cp := l.lastCP; cp != "" && strings.HasPrefix(k, cp) {
			plain.skip(cp)
			area.skip(cp)
		}
	}
}

func (l *vlister) finish(err error) (ListVersionsResult, error) {
	if !l.res.IsTruncated {
		l.res.NextKeyMarker, l.res.NextVersionIDMarker = "", ""
	}
	return l.res, err
}

// pastPrefix is an After for ListObjects that skips every key starting
// with cp: keys are UTF-8, so no key holds the byte 0xff and every key
// under cp sorts before cp+"\xff", every other key after cp beyond it.
// With delimiter "/" the common prefix itself does it without a probe of
// its directory (ListObjects skips the common prefix equal to After).
func pastPrefix(cp, delim string) string {
	if delim == "/" {
		return cp
	}
	return cp + "\xff"
}

// plainStream yields, in order, the keys of the plain tree and, with a
// delimiter, its common prefixes in place of the keys they roll up: a
// ListObjects page at a time (see batch),
// so a common prefix costs what it costs ListObjects (with "/" a probe of
// its directory, not a walk).
type plainStream struct {
	s                     *Store
	ctx                   context.Context
	bucket, prefix, delim string
	after                 string
	need                  func() int // how many more keys the page can take
	size                  int        // of the last ListObjects page
	buf                   []string
	eof                   bool
}

func (p *plainStream) peek() (string, bool, error) {
	for len(p.buf) == 0 && !p.eof {
		// Brief: only the keys are used (add reads their versions), so
		// their records are not read, only checked to be files.
		r, err := p.s.ListObjects(p.ctx, p.bucket, ListOptions{Prefix: p.prefix, Delimiter: p.delim, After: p.after,
			MaxKeys: p.batch(), Brief: true})
		if err != nil {
			return "", false, err
		}
		// Merge keys and common prefixes (each sorted).
		obs, cps := r.Objects, r.CommonPrefixes
		for len(obs) > 0 || len(cps) > 0 {
			if len(cps) == 0 || len(obs) > 0 && obs[0].Key < cps[0] {
				p.buf = append(p.buf, obs[0].Key)
				obs = obs[1:]
			} else {
				p.buf = append(p.buf, cps[0])
				cps = cps[1:]
			}
		}
		p.eof = !r.IsTruncated
		if r.Next != "" {
			p.after = r.Next
			if len(r.CommonPrefixes) > 0 && r.Next == r.CommonPrefixes[len(r.CommonPrefixes)-1] {
				p.after = pastPrefix(r.Next, p.delim)
			}
		}
	}
	if len(p.buf) == 0 {
		return "", false, nil
	}
	return p.buf[0], true, nil
}

// batch is the size of the next ListObjects page: 32 keys, doubling
// with each page, at most what the listing page can still take (a key
// with many versions fills it sooner) and at most 1000.
func (p *plainStream) batch() int {
	p.size = min(max(2*p.size, 32), 1000)
	return max(min(p.size, p.need()), 1)
}

func (p *plainStream) pop() { p.buf = p.buf[1:] }

// skip drops every key starting with cp not yet yielded.
func (p *plainStream) skip(cp string) {
	for len(p.buf) > 0 && strings.HasPrefix(p.buf[0], cp) {
		p.buf = p.buf[1:]
	}
	switch {
	case len(p.buf) > 0:
	case p.after <= cp:
		p.after = pastPrefix(cp, p.delim)
	case strings.HasPrefix(p.after, cp):
		p.after = cp + "\xff"
	}
}

// areaStream yields the keys that have entries in the version area, in
// byte order. The area mirrors stored key paths, every component a
// directory and a key's entries in its %%v directory. It is walked
// depth first, lazily: each directory is read once per page, when the
// walk reaches it, a subtree skipped (a rolled-up common prefix) is never
// opened, and a subtree whose keys all roll up into one common prefix is
// only probed for one key (hasKey), as ListObjects probes a directory.
type areaStream struct {
	s                     *Store
	bucket, prefix, delim string
	after                 string // only keys > after
	past                  string // and, if set, none starting with past
	stack                 []areaFrame
	started               bool
	next                  string
	hasNext               bool
}

type areaFrame struct {
	dir string // the stored path of the directory
	sub string // the keys' prefix below it, ending in '/' ("" at the top)
	// l is the directory's sorted listing: its entries in the order of
	// the subtrees they stand for (sub + name + "/"); l.byName in the
	// order of the keys (sub + name). The walk merges the two, next key
	// l.byName[ki] and next subtree l.at(si).
	l      *dirList
	ki, si int
}

type areaItem struct {
	s       string // the key, or the subtree's prefix ending in '/'
	name    string // stored name of the child directory
	subtree bool
}

// next returns the frame's next item in byte order: a key, or a subtree
// (its prefix, ending in '/'), with the stored name of its directory.
func (f *areaFrame) next() (s, name string, subtree, ok bool) {
	for f.si < f.l.len() && !isDirKey(f.l.at(f.si)) {
		f.si++ // not a directory: no key
	}
	var k string
	if f.ki < len(f.l.byName) {
		k = f.sub + strings.TrimSuffix(f.l.at(int(f.l.byName[f.ki])), "/")
	}
	if f.si < f.l.len() {
		if t := f.sub + f.l.at(f.si); f.ki == len(f.l.byName) || t < k {
			f.si++
			return t, f.l.stored(f.si - 1), true, true
		}
	}
	if f.ki == len(f.l.byName) {
		return "", "", false, false
	}
	f.ki++
	return k, f.l.stored(int(f.l.byName[f.ki-1])), false, true
}

// seek moves the frame's cursors to the first key and the first subtree
// sorting at or after the start of rest (the part below sub of a key or
// prefix), or strictly after every one starting with rest when past.
// It never moves them back.
func (f *areaFrame) seek(rest string, past bool) {
	if past {
		rest += "\xff" // keys are UTF-8: no 0xff byte
	}
	ks := sort.Search(len(f.l.byName), func(i int) bool {
		return strings.TrimSuffix(f.l.at(int(f.l.byName[i])), "/") >= rest
	})
	f.ki, f.si = max(f.ki, ks), max(f.si, f.l.lowerBound(rest))
}

// areaByName sets l.byName (see dirList): the version area's listings
// are walked in key order too.
func areaByName(l *dirList) {
	var idx []uint32
	for i := range l.len() {
		if isDirKey(l.at(i)) {
			idx = append(idx, uint32(i))
		}
	}
	name := func(i uint32) string { return strings.TrimSuffix(l.at(int(i)), "/") }
	slices.SortFunc(idx, func(a, b uint32) int { return strings.Compare(name(a), name(b)) })
	if idx == nil {
		idx = []uint32{}
	}
	l.byName = idx
}

// done reports whether the key k is before the stream's position.
func (a *areaStream) done(k string) bool {
	return k <= a.after || a.past != "" && strings.HasPrefix(k, a.past)
}

// subtreeDone reports whether every key starting with sub is done or
// outside the prefix.
func (a *areaStream) subtreeDone(sub string) bool {
	if !strings.HasPrefix(sub, a.prefix) && !strings.HasPrefix(a.prefix, sub) {
		return true
	}
	if a.after >= sub && !strings.HasPrefix(a.after, sub) {
		return true
	}
	return a.past != "" && strings.HasPrefix(sub, a.past)
}

func (a *areaStream) peek() (string, bool, error) {
	if a.hasNext {
		return a.next, true, nil
	}
	if !a.started {
		a.started = true
		if err := a.push(versionsDir+"/"+a.bucket, ""); err != nil {
			return "", false, err
		}
	}
	for len(a.stack) > 0 {
		f := &a.stack[len(a.stack)-1]
		s, name, subtree, ok := f.next()
		if !ok {
			a.stack = a.stack[:len(a.stack)-1]
			continue
		}
		it := areaItem{s, name, subtree}
		dir := f.dir
		if !it.subtree {
			if a.done(it.s) || !strings.HasPrefix(it.s, a.prefix) {
				continue
			}
			if _, err := a.s.root.Lstat(dir + "/" + it.name + "/" + vSub); err != nil {
				continue
			}
			a.next, a.hasNext = it.s, true
			return it.s, true, nil
		}
		if a.subtreeDone(it.s) {
			continue
		}
		if cp, ok := a.rollup(it.s); ok {
			// Every key below rolls up into cp, and all sort after
			// after: one key anywhere below is enough, and cp stands
			// for it (cp sorts before them, after what came before).
			found, err := a.hasKey(dir + "/" + it.name)
			if err != nil {
				return "", false, err
			}
			if found {
				a.next, a.hasNext = cp, true
				return cp, true, nil
			}
			continue
		}
		if err := a.push(dir+"/"+it.name, it.s); err != nil {
			return "", false, err
		}
	}
	return "", false, nil
}

func (a *areaStream) pop() { a.hasNext = false }

// rollup returns the common prefix every key starting with sub rolls up
// into, if there is one and after does not lie below sub (then the walk
// must find the first key after it, in order).
func (a *areaStream) rollup(sub string) (string, bool) {
	if a.delim == "" || !strings.HasPrefix(sub, a.prefix) || strings.HasPrefix(a.after, sub) {
		return "", false
	}
	i := strings.Index(sub[len(a.prefix):], a.delim)
	if i < 0 {
		return "", false
	}
	return sub[:len(a.prefix)+i+len(a.delim)], true
}

// hasKey reports whether the area directory dir holds a key below it (a
// directory with a %%v directory, at any depth). It reads a few names at
// a time and stops at the first key, in no particular order.
func (a *areaStream) hasKey(dir string) (bool, error) {
	a.s.dirReads.Add(1)
	d, err := a.s.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(64)
		for _, n := range names {
			if n == vSub {
				continue
			}
			if _, ok := decodeName(n); !ok {
				continue
			}
			if _, err := a.s.root.Lstat(dir + "/" + n + "/" + vSub); err == nil {
				return true, nil
			}
			if found, err := a.hasKey(dir + "/" + n); err != nil || found {
				return found, err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ENOENT) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// skip drops every key starting with cp not yet yielded, and leaves the
// directories below cp the walk is in.
func (a *areaStream) skip(cp string) {
	if a.past == "" || !strings.HasPrefix(cp, a.past) {
		a.past = cp
	}
	if a.hasNext && strings.HasPrefix(a.next, cp) {
		a.hasNext = false
	}
	for len(a.stack) > 0 && a.stack[len(a.stack)-1].sub != "" && strings.HasPrefix(a.stack[len(a.stack)-1].sub, cp) {
		a.stack = a.stack[:len(a.stack)-1]
	}
	// Past cp in the directory the walk is in, when cp ends in it (in a
	// flat bucket, a prefix rolling up many keys is not stepped through).
	if n := len(a.stack); n > 0 {
		f := &a.stack[n-1]
		if rest, ok := strings.CutPrefix(cp, f.sub); ok && !strings.Contains(rest, "/") {
			f.seek(rest, true)
		}
	}
}

// push puts the area directory dir, whose keys start with sub, onto the
// walk's stack, its sorted listing from the Store's listing cache (see
// listcache.go: a large directory is read once, then validated by one
// fstat per page) and its cursors at the first key and subtree that can
// still be listed (past after and before the prefix), by binary search.
func (a *areaStream) push(dir, sub string) error {
	d, err := a.s.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	l, err := a.s.cachedList(d, a.bucket, dir, areaByName, nil)
	d.Close()
	if err != nil {
		return err
	}
	f := areaFrame{dir: dir, sub: sub, l: l}
	if rest, ok := strings.CutPrefix(a.after, sub); ok {
		// The first key after rest, the subtree holding it.
		f.ki = sort.Search(len(l.byName), func(i int) bool {
			return strings.TrimSuffix(l.at(int(l.byName[i])), "/") > rest
		})
		f.si = l.startAfter(rest)
	}
	if rest, ok := strings.CutPrefix(a.prefix, sub); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			// Only the subtree rest[:i+1] holds keys of the prefix.
			f.ki = len(l.byName)
			f.seek(rest[:i+1], false)
		} else {
			f.seek(rest, false)
		}
	}
	a.stack = append(a.stack, f)
	return nil
}
