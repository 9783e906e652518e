package fsstore

import (
	"os"
	"sort"
	"sync"
	"time"
)

// First pages from the index file's blocks.
//
// A node whose memory cache misses a large directory would load its whole
// index file (listindex.go) before the first page: 12 MB and a checksum
// over all of it for a million keys, half the time of that page. A page
// needs a few hundred entries, so the walk asks for a window instead: the
// block table (read with the header, one CRC) is searched for the block
// holding the page's start, and that block — and the next ones, as long
// as the page may need more entries than the window holds after its
// start — is read and checked. The window is a dirList of those entries
// only, with more set when entries follow it; a walk that reaches its end
// asks again from its last entry (list.go), which re-opens and re-checks
// the file against the directory's stamp, so every window a page uses is
// as fresh as a listing read from the directory.
//
// The whole listing still goes to the memory cache for the pages after:
// the first window served for a directory starts one load of the whole
// file in the background (at most one per directory at a time on a node,
// waited for by Close), which begins listWarmDelay after the page that
// started it has been collected, so as not to slow that page down. Until
// it lands, later pages are windows too.
//
// Windows are never cached, written or given to callers other than the
// walk; a window whose file turns out stale, torn or foreign is dropped
// and the directory is read as without an index (and the file rewritten).

// pageStart says where a page starts in a directory.
type pageStart struct {
	from  string             // blocks whose entries all sort before from are skipped
	start func(*dirList) int // the page's first entry in a listing
	want  int                // entries the page may take from it (0: unknown)
	// served, if set, is closed when the page has been collected: the
	// background load of a whole index file waits for it, so that it does
	// not take the cores from the page.
	served <-chan struct{}
}

// pageList returns a listing of the open directory d, the stored path rel
// of bucket, that holds the page starting at p — the whole listing, or a
// window of its index file — and the index of the page's first entry.
func (s *Store) pageList(d *os.File, bucket, rel string, p *pageStart) (*dirList, int, error) {
	l, err := s.cachedList(d, bucket, bucket+"/"+rel, nil, p)
	if err != nil {
		return nil, 0, err
	}
	return l, p.start(l), nil
}

// indexWindow returns the window of the index file of the directory cached
// under key, whose stamp is now, that holds the page starting at p; nil if
// there is no such file or it does not match (found: a file was there).
func (s *Store) indexWindow(bucket, key string, now dirStamp, p *pageStart) (l *dirList, found bool) {
	x, found := s.openListIndex(bucket, key, now)
	if x == nil {
		return nil, found
	}
	defer x.f.Close()
	if len(x.blocks) == 0 || x.h.Flags&listIndexHasByName != 0 {
		return nil, true // nothing to window; version areas load whole
	}
	b := max(sort.Search(len(x.blocks), func(i int) bool { return x.blocks[i].firstKey >= p.from })-1, 0)
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	lb := &listBuilder{}
	e := b + 1
	if x.readBlocks(lb, b, e, *bp) != nil {
		return nil, true
	}
	// Read on while the page may need more than the window holds after
	// its start (and always past a start at the window's very end).
	for e < len(x.blocks) {
		w := lb.list(now)
		need := p.want + 1 - (w.len() - p.start(w))
		if need <= 0 {
			break
		}
		from := e
		for got := 0; e < len(x.blocks) && got < need; e++ {
			got += x.blocks[e].n
		}
		if x.readBlocks(lb, from, e, *bp) != nil {
			return nil, true
		}
	}
	l = lb.list(now)
	l.more = e < len(x.blocks)
	s.listWarm.start(key, p.served, func() {
		if full, _ := s.loadListIndex(bucket, key, now); full != nil {
			s.listCache.put(key, full)
		}
	})
	return l, true
}

// listWarmDelay is how long a background load waits after the page that
// started it was collected: the caller still encodes and sends that page,
// and on a small server the load (tens of ms of CPU for a million keys,
// and the fresh memory it takes) would delay it. Pages asked for in the
// meantime are served windows, which cost little.
const listWarmDelay = 100 * time.Millisecond

// listWarmer runs the background loads of whole index files into a
// Store's memory cache: at most one per directory at a time.
type listWarmer struct {
	delay  time.Duration // after the page, before the load
	mu     sync.Mutex
	busy   map[string]bool
	closed bool
	stop   chan struct{} // closed by close: loads not begun are dropped
	wg     sync.WaitGroup
}

// start runs load for the directory cached under key, delay after served
// is closed (nil: at once), unless a load for it is running or the Store
// is closing.
func (w *listWarmer) start(key string, served <-chan struct{}, load func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.busy[key] {
		return
	}
	if w.busy == nil {
		w.busy, w.stop = map[string]bool{}, make(chan struct{})
	}
	w.busy[key] = true
	stop := w.stop
	w.wg.Go(func() {
		defer func() {
			w.mu.Lock()
			delete(w.busy, key)
			w.mu.Unlock()
		}()
		if served != nil {
			select {
			case <-served:
			case <-stop:
				return
			}
		}
		t := time.NewTimer(w.delay)
		defer t.Stop()
		select {
		case <-t.C:
			load()
		case <-stop:
		}
	})
}

// close starts no more loads, drops those still waiting and waits for
// those running.
func (w *listWarmer) close() {
	w.mu.Lock()
	if w.stop != nil && !w.closed {
		close(w.stop)
	}
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}
