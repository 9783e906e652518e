package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// newFsyncStore is a Store with Options.Fsync and the bucket "bkt".
func newFsyncStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{Root: filepath.Join(t.TempDir(), "root"), Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mustBucket(t, s, "bkt")
	return s
}

// With fsync every publish path makes its directory durable through the
// Store's sync group: while a sync of the key's directory is held, the
// publish does not return, and it returns once a later one has run.
func TestFsyncPublishJoinsDirSync(t *testing.T) {
	s := newFsyncStore(t)
	mustBucket(t, s, "ver")
	if err := s.SetBucketVersioning(ctx, "ver", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	put(t, s, "bkt", "d/old", []byte("old"))
	put(t, s, "bkt", "nd/x", []byte("x"))
	up, err := s.CreateMultipartUpload(ctx, "bkt", "d/mp", ObjectMeta{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("new body")
	for _, tc := range []struct {
		name, dir string
		publish   func() error
	}{
		{"new key (link)", "bkt/d", func() error {
			_, err := s.PutObject(ctx, "bkt", "d/new", bytes.NewReader(body), PutOptions{})
			return err
		}},
		{"overwrite (rename)", "bkt/d", func() error {
			_, err := s.PutObject(ctx, "bkt", "d/old", bytes.NewReader(body), PutOptions{})
			return err
		}},
		{"if-none-match (named)", "bkt/d", func() error {
			_, err := s.PutObject(ctx, "bkt", "d/cond", bytes.NewReader(body), PutOptions{IfNoneMatch: "*"})
			return err
		}},
		{"new directory (its parent)", "bkt/nd", func() error {
			_, err := s.PutObject(ctx, "bkt", "nd/sub/k", bytes.NewReader(body), PutOptions{})
			return err
		}},
		{"versioned", "ver/d", func() error {
			_, err := s.PutObject(ctx, "ver", "d/v", bytes.NewReader(body), PutOptions{})
			return err
		}},
		{"part", uploadDir("bkt", up.UploadID), func() error {
			_, err := s.UploadPart(ctx, "bkt", "d/mp", up.UploadID, 1, bytes.NewReader(body), nil)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			defer free() // a failed subtest leaves no sync held
			held := make(chan error, 1)
			go func() {
				held <- s.dirSyncs.sync(tc.dir, func() error { <-release; return nil })
			}()
			waitFor(t, "the held sync", func() bool { return callersOf(&s.dirSyncs, tc.dir) == 1 })
			done := make(chan error, 1)
			go func() { done <- tc.publish() }()
			waitFor(t, "the publish to join", func() bool { return callersOf(&s.dirSyncs, tc.dir) == 2 })
			select {
			case err := <-done:
				t.Fatalf("returned (%v) while the directory's sync that began before it was running", err)
			case <-time.After(20 * time.Millisecond):
			}
			free()
			if err := result(t, held); err != nil {
				t.Fatal(err)
			}
			if err := result(t, done); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "entries to go", func() bool { return s.dirSyncs.size() == 0 })
		})
	}
}

// Concurrent fsync publishes into one directory, new keys and overwrites,
// all succeed, read back whole, and leave no sync state behind.
func TestFsyncConcurrentPublishes(t *testing.T) {
	s := newFsyncStore(t)
	const writers, each = 8, 10
	var g errgroup.Group
	for i := range writers {
		g.Go(func() error {
			for j := range each {
				for _, key := range []string{fmt.Sprintf("d/k%d-%d", i, j), "d/shared"} {
					if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader([]byte(key)), PutOptions{}); err != nil {
						return fmt.Errorf("put %s: %w", key, err)
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range writers {
		for j := range each {
			key := fmt.Sprintf("d/k%d-%d", i, j)
			if b, _ := readObject(t, s, "bkt", key); string(b) != key {
				t.Fatalf("%s holds %q", key, b)
			}
		}
	}
	if b, _ := readObject(t, s, "bkt", "d/shared"); string(b) != "d/shared" {
		t.Fatalf("d/shared holds %q", b)
	}
	if n := s.dirSyncs.size(); n != 0 {
		t.Fatalf("%d sync entries left", n)
	}
}

// mkdirAllMade reports the parent of each directory it made, and only
// those: none for a path that exists, the root as "".
func TestMkdirAllMadeParents(t *testing.T) {
	s := newStore(t, false)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"x/y/z", []string{"", "x", "x/y"}},
		{"x/y/w", []string{"x/y"}},
		{"x/y/w", nil},
		{"x//v/./u", []string{"x", "x//v/."}},
	} {
		var got []string
		if err := s.root.mkdirAllMade(tc.name, 0o755, func(p string, _ int, _ string) { got = append(got, p) }); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("mkdirAllMade(%q) made in %q, want %q", tc.name, got, tc.want)
		}
	}
}

// With fsync, a directory made for a version area, an uploads folder or a
// sidecar record is synced into its parent before mkdirAll returns.
func TestFsyncMkdirAllSyncsMadeParents(t *testing.T) {
	s := newFsyncStore(t)
	if err := s.mkdirAll("m/n"); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- s.dirSyncs.sync("m/n", func() error { <-release; return nil }) }()
	waitFor(t, "the held sync", func() bool { return callersOf(&s.dirSyncs, "m/n") == 1 })
	if err := s.mkdirAll("m/n"); err != nil { // nothing made: nothing to wait for
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.mkdirAll("m/n/o") }()
	waitFor(t, "mkdirAll to join", func() bool { return callersOf(&s.dirSyncs, "m/n") == 2 })
	select {
	case err := <-done:
		t.Fatalf("returned (%v) before its parent's sync", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := result(t, held); err != nil {
		t.Fatal(err)
	}
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

// With fsync a publish into a directory it found already made (by hand
// here: another node, or a request of this node still syncing it into its
// parent) does not return before a sync of that parent that began after
// it; once seen, the directory costs no more syncs of its parent, until it
// is removed and made again. A directory this node made is seen already.
func TestFsyncPublishNamesFoundDirDurably(t *testing.T) {
	s := newFsyncStore(t)
	put(t, s, "bkt", "first", []byte("x")) // the bucket's own name
	byHand := filepath.Join(s.root.Name(), "bkt", "byhand")
	if err := os.Mkdir(byHand, 0o755); err != nil {
		t.Fatal(err)
	}
	// hold syncs "bkt" until the returned function is called.
	hold := func() (free func() error) {
		release := make(chan struct{})
		held := make(chan error, 1)
		go func() { held <- s.dirSyncs.sync("bkt", func() error { <-release; return nil }) }()
		waitFor(t, "the held sync", func() bool { return callersOf(&s.dirSyncs, "bkt") == 1 })
		return func() error { close(release); return result(t, held) }
	}
	publish := func(key string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := s.PutObject(ctx, "bkt", key, bytes.NewReader([]byte(key)), PutOptions{})
			done <- err
		}()
		return done
	}
	mustWait := func(key string) {
		t.Helper()
		free := hold()
		done := publish(key)
		waitFor(t, key+" to join the parent's sync", func() bool { return callersOf(&s.dirSyncs, "bkt") == 2 })
		select {
		case err := <-done:
			t.Fatalf("%s returned (%v) before its directory's name was synced", key, err)
		case <-time.After(20 * time.Millisecond):
		}
		if err := free(); err != nil {
			t.Fatal(err)
		}
		if err := result(t, done); err != nil {
			t.Fatal(err)
		}
	}
	mustNotWait := func(key string) {
		t.Helper()
		free := hold()
		if err := result(t, publish(key)); err != nil {
			t.Fatal(err)
		}
		if err := free(); err != nil {
			t.Fatal(err)
		}
	}

	mustWait("byhand/new")       // a new key: the unnamed link
	mustNotWait("byhand/new")    // seen: an overwrite (rename) does not sync bkt
	mustNotWait("byhand/second") // nor does another new key
	// Made by this node: synced into bkt once, when made, and never again.
	var bktSyncs int
	s.dirSyncs.mu.Lock()
	s.dirSyncs.onRun = func(dir string) {
		if dir == "bkt" {
			bktSyncs++
		}
	}
	s.dirSyncs.mu.Unlock()
	put(t, s, "bkt", "made/a", []byte("a"))
	s.dirSyncs.mu.Lock()
	s.dirSyncs.onRun = nil
	n := bktSyncs
	s.dirSyncs.mu.Unlock()
	if n != 1 {
		t.Fatalf("a PUT that made bkt/made synced bkt %d times, want 1", n)
	}
	mustNotWait("made/b")

	for _, k := range []string{"byhand/new", "byhand/second"} {
		if err := s.DeleteObject(ctx, "bkt", k); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(byHand) // pruned already, or removed here
	if err := os.Mkdir(byHand, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWait("byhand/again") // another incarnation of the directory
}
