package fsstore

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// fakeDirSync is an injected directory fsync that counts its runs and can
// hold each one until released.
type fakeDirSync struct {
	started, ended atomic.Int64
	running        atomic.Int64
	overlapped     atomic.Bool
	hold           chan chan error // non-nil: each run takes its result from a channel sent here
}

func (f *fakeDirSync) run() error {
	f.started.Add(1)
	if f.running.Add(1) > 1 {
		f.overlapped.Store(true)
	}
	var err error
	if f.hold != nil {
		res := make(chan error)
		f.hold <- res
		err = <-res
	} else {
		runtime.Gosched()
	}
	f.running.Add(-1)
	f.ended.Add(1)
	return err
}

// callersOf is how many callers hold dir's entry.
func callersOf(g *syncGroup, dir string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.dirs[dir]; d != nil {
		return d.callers
	}
	return 0
}

// nextRun is the result channel of the next held sync run.
func nextRun(t *testing.T, f *fakeDirSync) chan error {
	t.Helper()
	select {
	case res := <-f.hold:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a sync to run")
		return nil
	}
}

// result is the next caller's result.
func result(t *testing.T, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a caller to return")
		return nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Callers that arrive while a sync runs neither return with it nor get its
// result: they share the next one, run once for all of them, and get its
// error; the first caller gets the first run's result.
func TestSyncGroupRoundAfterArrival(t *testing.T) {
	errSecond := errors.New("second round failed")
	for _, tc := range []struct {
		name      string
		secondErr error
	}{{"ok", nil}, {"error", errSecond}} {
		t.Run(tc.name, func(t *testing.T) {
			var g syncGroup
			f := &fakeDirSync{hold: make(chan chan error)}
			first := make(chan error, 1)
			go func() { first <- g.sync("b/d", f.run) }()
			firstRun := nextRun(t, f) // the first sync is running

			const waiters = 8
			results := make(chan error, waiters)
			for range waiters {
				go func() { results <- g.sync("b/d", f.run) }()
			}
			waitFor(t, "waiters to join", func() bool { return callersOf(&g, "b/d") == waiters+1 })

			firstRun <- nil
			if err := result(t, first); err != nil {
				t.Fatalf("first caller: %v", err)
			}
			secondRun := nextRun(t, f) // one waiter runs the next sync for all
			select {
			case err := <-results:
				t.Fatalf("a waiter returned (%v) before the sync that began after its arrival ended", err)
			case <-time.After(20 * time.Millisecond):
			}
			secondRun <- tc.secondErr
			for range waiters {
				if err := result(t, results); err != tc.secondErr {
					t.Fatalf("waiter got %v, want %v", err, tc.secondErr)
				}
			}
			if n := f.started.Load(); n != 2 {
				t.Fatalf("%d syncs ran for %d callers, want 2", n, waiters+1)
			}
			if n := g.size(); n != 0 {
				t.Fatalf("%d idle entries left", n)
			}
		})
	}
}

// Directories do not wait for each other's syncs.
func TestSyncGroupDirectoriesIndependent(t *testing.T) {
	var g syncGroup
	f := &fakeDirSync{hold: make(chan chan error)}
	go g.sync("b/a", f.run)
	held := nextRun(t, f)
	var other fakeDirSync
	if err := g.sync("b/c", other.run); err != nil || other.ended.Load() != 1 {
		t.Fatalf("other directory: err %v, %d syncs", err, other.ended.Load())
	}
	held <- nil
	waitFor(t, "entries to go", func() bool { return g.size() == 0 })
}

// Under load every caller returns only after a sync that started after it
// arrived has ended, syncs of one directory never overlap, callers share
// them, and no entry outlives its callers.
func TestSyncGroupConcurrent(t *testing.T) {
	var g syncGroup
	dirs := []string{"b", "b/x", "c"}
	fakes := make(map[string]*fakeDirSync)
	for _, d := range dirs {
		fakes[d] = &fakeDirSync{}
	}
	const callers, each = 16, 200
	var eg errgroup.Group
	for i := range callers {
		eg.Go(func() error {
			for j := range each {
				dir := dirs[(i+j)%len(dirs)]
				f := fakes[dir]
				before := f.started.Load()
				if err := g.sync(dir, f.run); err != nil {
					return err
				}
				// Syncs of a directory run one at a time, so more ended
				// than had started at arrival means one that started
				// after it has ended.
				if after := f.ended.Load(); after <= before {
					return fmt.Errorf("%s: returned with %d syncs ended, %d started at arrival", dir, after, before)
				}
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for d, f := range fakes {
		if f.overlapped.Load() {
			t.Errorf("syncs of %s overlapped", d)
		}
		total += f.started.Load()
	}
	if g.size() != 0 {
		t.Fatalf("%d idle entries left", g.size())
	}
	t.Logf("%d syncs for %d calls", total, callers*each)
}
