package fsstore

import "sync"

// Directory fsync group commit (`fsync always`).
//
// Every publish with fsync makes its link or rename durable by fsyncing
// the directory it named the file in. Sixteen PUTs into one bucket
// directory would each fsync it, and on ext4 every one of those fsyncs
// holds the directory's inode lock while it writes the inode out, which
// the next link into the directory waits for. A syncGroup lets the
// publishes into one directory share its fsyncs instead: one caller runs
// an fsync for everyone who arrived while the previous one ran.
//
// The rule that keeps the promise of `fsync always`: a caller arrives
// after its link or rename completed, and returns only after an fsync of
// that directory that started after its arrival has finished. A sync
// already running may have started before the link, so a caller never
// joins it: it waits for it to end and joins the next round, which one
// of that round's callers then runs for all of them. A round's error is
// every one of its callers' error.
//
// State is per directory (its path relative to the root, as the callers
// name it) and removed when no caller is left, so memory is bounded by
// the number of directories being published into at once. A directory
// pruned and made again at the same path while a round is pending has
// lost every name in it, so syncing the new one in the old one's stead
// leaves no acknowledged publish unsynced.
type syncGroup struct {
	mu   sync.Mutex
	dirs map[string]*dirSyncs
	// onRun, if set (tests), is called with each round's directory as
	// its sync starts, under mu.
	onRun func(dir string)
}

// dirSyncs is one directory's state, guarded by syncGroup.mu.
type dirSyncs struct {
	ended   *sync.Cond // broadcast when a round ends
	running bool       // a round's sync is in progress
	next    *syncRound // the round new callers join; nil: none yet
	callers int        // callers holding this entry
}

// syncRound is one fsync shared by the callers that joined it.
type syncRound struct {
	done bool
	err  error
}

// sync makes dir durable for a caller whose change in it has completed:
// it returns once a run of syncFn that began after this call has ended,
// with that run's error. syncFn is the caller's own way to fsync dir (an
// open descriptor, or a path to open); it runs for the whole round.
func (g *syncGroup) sync(dir string, syncFn func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dirs == nil {
		g.dirs = make(map[string]*dirSyncs)
	}
	d := g.dirs[dir]
	if d == nil {
		d = &dirSyncs{ended: sync.NewCond(&g.mu)}
		g.dirs[dir] = d
	}
	d.callers++
	r := d.next
	if r == nil {
		r = &syncRound{}
		d.next = r
	}
	for !r.done {
		if d.running || d.next != r {
			// Another round is running (possibly begun before this
			// caller's change), or this one is and another caller runs it.
			d.ended.Wait()
			continue
		}
		d.running, d.next = true, nil
		if g.onRun != nil {
			g.onRun(dir)
		}
		g.mu.Unlock()
		err := syncFn()
		g.mu.Lock()
		r.err, r.done, d.running = err, true, false
		d.ended.Broadcast()
	}
	if d.callers--; d.callers == 0 {
		delete(g.dirs, dir)
	}
	return r.err
}

// syncMadeDir makes the directory base, just made in the directory
// parent (relative to the root; open as dfd), durable by syncing parent:
// the link or rename that follows into the new directory is synced with
// it, but its own name is in parent. It then counts as durably named
// (named.go).
func (s *Store) syncMadeDir(parent string, dfd int, base string) error {
	if err := s.syncDir(parent); err != nil {
		return err
	}
	s.markNamed(dfd, base)
	return nil
}

// size is how many directories have callers, for tests.
func (g *syncGroup) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.dirs)
}

// mkdirAll makes name (relative to the root) and its missing parents.
// With fsync each directory it made is synced into its parent, so that a
// file published into it and synced there is not lost with its directory
// (as syncMadeDir does for a key's directories). A directory found made
// by another caller gets the same when a publish into it syncs it
// (ensureNamed, named.go).
func (s *Store) mkdirAll(name string) error {
	if !s.fsync {
		return s.root.MkdirAll(name, 0o755)
	}
	var syncErr error
	err := s.root.mkdirAllMade(name, 0o755, func(parent string, dfd int, base string) {
		if syncErr == nil {
			syncErr = s.syncMadeDir(parent, dfd, base)
		}
	})
	if err != nil {
		return err
	}
	return syncErr
}
