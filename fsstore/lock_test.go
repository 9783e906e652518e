package fsstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The If-Match race runs writers in two Stores of this process and in a
// child process (this test binary re-executed, see TestIfMatchLockChild),
// all on one root. Every writer stages its object, then waits at
// testHookStaged until all 32 have staged, so that they race exactly at
// check-and-rename.

const (
	lockEnvRoot    = "FSSTORE_LOCK_CHILD_ROOT"
	lockEnvSidecar = "FSSTORE_LOCK_CHILD_SIDECAR"
	lockEnvETag    = "FSSTORE_LOCK_CHILD_ETAG"
	lockEnvN       = "FSSTORE_LOCK_CHILD_N"
	lockEnvReady   = "FSSTORE_LOCK_CHILD_READY" // file the child creates when all its writers staged
	lockEnvGo      = "FSSTORE_LOCK_CHILD_GO"    // file the parent creates to release them
	lockBucket     = "lockbkt"
	lockKeyName    = "dir/k"
)

func lockBody(who string) []byte { return []byte("body of writer " + who) }

// waitFile polls for path until deadline.
func waitFile(path string, deadline time.Time) bool {
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// TestIfMatchLockChild is the child side of TestIfMatchAcrossStores; run
// directly (without its environment) it does nothing.
func TestIfMatchLockChild(t *testing.T) {
	root := os.Getenv(lockEnvRoot)
	if root == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv(lockEnvN))
	s, err := open(Options{Root: root}, os.Getenv(lockEnvSidecar) == "1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var staged atomic.Int32
	goFile := os.Getenv(lockEnvGo)
	testHookStaged = func(string, string) {
		if int(staged.Add(1)) == n {
			os.WriteFile(os.Getenv(lockEnvReady), nil, 0o644)
		}
		waitFile(goFile, time.Now().Add(time.Minute))
	}
	defer func() { testHookStaged = nil }()
	etag := os.Getenv(lockEnvETag)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Go(func() {
			who := fmt.Sprintf("child-%d", i)
			_, err := s.PutObject(context.Background(), lockBucket, lockKeyName, bytes.NewReader(lockBody(who)), PutOptions{IfMatch: `"` + etag + `"`})
			res := "ok"
			switch {
			case errors.Is(err, ErrPreconditionFailed):
				res = "412"
			case err != nil:
				res = "error " + strings.ReplaceAll(err.Error(), "\n", " ")
			}
			mu.Lock()
			fmt.Printf("LOCKRESULT %s %s\n", who, res)
			mu.Unlock()
		})
	}
	wg.Wait()
}

// TestIfMatchAcrossStores races 32 If-Match writers expecting the same
// ETag: 12 in each of two Stores of this process and 8 in a child process,
// all on one root. Exactly one must win; the object must then hold the
// winner's bytes and metadata.
func TestIfMatchAcrossStores(t *testing.T) {
	modes(t, func(t *testing.T, s0 *Store) {
		const perStore, inChild = 12, 8
		root := rootPath(s0)
		sidecar := "0"
		if _, ok := s0.meta.(*sidecarMeta); ok {
			sidecar = "1"
		}
		mustBucket(t, s0, lockBucket)
		base := put(t, s0, lockBucket, lockKeyName, []byte("base"))
		s1, err := open(Options{Root: root}, sidecar == "1")
		if err != nil {
			t.Fatal(err)
		}
		defer s1.Close()
		stores := []*Store{s0, s1}

		dir := t.TempDir()
		ready, goFile := filepath.Join(dir, "ready"), filepath.Join(dir, "go")
		release := make(chan struct{})
		var staged atomic.Int32
		allStaged := make(chan struct{})
		testHookStaged = func(string, string) {
			if int(staged.Add(1)) == 2*perStore {
				close(allStaged)
			}
			<-release
		}
		defer func() { testHookStaged = nil }()

		cmd := exec.Command(os.Args[0], "-test.run=^TestIfMatchLockChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockEnvRoot+"="+root, lockEnvSidecar+"="+sidecar, lockEnvETag+"="+base.ETag,
			lockEnvN+"="+strconv.Itoa(inChild), lockEnvReady+"="+ready, lockEnvGo+"="+goFile)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}

		results := map[string]string{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 2 * perStore {
			wg.Go(func() {
				who := fmt.Sprintf("store%d-%d", i%2, i)
				_, err := stores[i%2].PutObject(ctx, lockBucket, lockKeyName, bytes.NewReader(lockBody(who)), PutOptions{IfMatch: base.ETag})
				res := "ok"
				switch {
				case errors.Is(err, ErrPreconditionFailed):
					res = "412"
				case err != nil:
					res = "error " + err.Error()
				}
				mu.Lock()
				results[who] = res
				mu.Unlock()
			})
		}
		select {
		case <-allStaged:
		case <-time.After(time.Minute):
			t.Fatal("in-process writers did not stage")
		}
		if !waitFile(ready, time.Now().Add(time.Minute)) {
			cmd.Process.Kill()
			t.Fatal("child writers did not stage")
		}
		// Release everyone at once.
		if err := os.WriteFile(goFile, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		close(release)
		wg.Wait()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v\n%s", err, stdout.String())
		}
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			f := strings.SplitN(sc.Text(), " ", 3)
			if len(f) == 3 && f[0] == "LOCKRESULT" {
				results[f[1]] = f[2]
			}
		}
		if len(results) != 2*perStore+inChild {
			t.Fatalf("got %d results, want %d: %v", len(results), 2*perStore+inChild, results)
		}
		var winners []string
		for who, res := range results {
			switch res {
			case "ok":
				winners = append(winners, who)
			case "412":
			default:
				t.Errorf("%s: %s", who, res)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("want exactly one winner, got %v", winners)
		}
		got, m := readObject(t, s1, lockBucket, lockKeyName)
		if want := lockBody(winners[0]); !bytes.Equal(got, want) || m.ETag != md5hex(want) {
			t.Errorf("object holds %q (ETag %s), want the winner %s's %q", got, m.ETag, winners[0], want)
		}
		if left := tmpEntries(t, s0); len(left) != 0 {
			t.Errorf("temp files left: %v", left)
		}
	})
}

// TestIfMatchLockWaitBoundedByContext: a conditional publish waiting for a
// held key lock gives up with the context's error and publishes nothing,
// while unconditional puts never wait for the lock.
func TestIfMatchLockWaitBoundedByContext(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	base := put(t, s, "bkt", "k", []byte("base"))
	other, err := open(Options{Root: rootPath(s)}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l, err := other.lockKey(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()

	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.PutObject(c, "bkt", "k", bytes.NewReader([]byte("cond")), PutOptions{IfMatch: base.ETag})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("conditional put under a held lock: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if got, _ := readObject(t, s, "bkt", "k"); string(got) != "base" {
		t.Errorf("object is %q after a timed-out conditional put", got)
	}

	// Lock-free paths: unconditional put and If-None-Match create.
	done := make(chan error, 2)
	go func() {
		_, err := s.PutObject(ctx, "bkt", "k", bytes.NewReader([]byte("plain")), PutOptions{})
		done <- err
	}()
	go func() {
		_, err := s.PutObject(ctx, "bkt", "new", bytes.NewReader([]byte("new")), PutOptions{IfNoneMatch: "*"})
		done <- err
	}()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an unconditional put waited for the key lock")
		}
	}

	// Released, the conditional put goes through (against the new ETag).
	l.unlock()
	m, err := s.PutObject(ctx, "bkt", "k", bytes.NewReader([]byte("cond")), PutOptions{IfMatch: md5hex([]byte("plain"))})
	if err != nil {
		t.Fatal(err)
	}
	if m.ETag != md5hex([]byte("cond")) {
		t.Errorf("ETag %s", m.ETag)
	}
	if dir, file := lockPath("bkt", "k"); !exists(t, filepath.Join(rootPath(s), file)) || !strings.HasPrefix(file, locksDir+"/") || filepath.Base(dir) != filepath.Base(file)[:2] {
		t.Errorf("lock file %s not where documented", file)
	}
}

// TestIfMatchLockComplete: CompleteMultipartUpload with If-Match takes the
// same lock as PutObject.
func TestIfMatchLockComplete(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	base := put(t, s, "bkt", "k", []byte("base"))
	u, err := s.CreateMultipartUpload(ctx, "bkt", "k", ObjectMeta{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.UploadPart(ctx, "bkt", "k", u.UploadID, 1, bytes.NewReader([]byte("part")), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.lockKey(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	parts := completeParts(p)
	if _, err := s.CompleteMultipartUpload(c, "bkt", "k", u.UploadID, parts, CompleteOptions{IfMatch: base.ETag}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Complete under a held lock: %v, want DeadlineExceeded", err)
	}
	l.unlock()
	if _, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, parts, CompleteOptions{IfMatch: base.ETag}); err != nil {
		t.Fatal(err)
	}
	if got, _ := readObject(t, s, "bkt", "k"); string(got) != "part" {
		t.Errorf("object is %q", got)
	}
}
