package objstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two stores on one directory stand for two nodes sharing the root:
// readers see one whole version of a user or the other, never a torn or
// missing file, and no temp file is left behind.
func TestUsersSharedAcrossStores(t *testing.T) {
	root := t.TempDir()
	a, err := Open(root, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	const key = "acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"
	if err := a.PutUser(User{AccessKey: key, SecretKey: "s-a-0"}); err != nil {
		t.Fatal(err)
	}
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for i, s := range []*Store{a, b} {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for n := 0; n < 200; n++ {
				if err := s.PutUser(User{AccessKey: key, SecretKey: fmt.Sprintf("s-%d-%d", i, n)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, s := range []*Store{a, b} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				u, err := s.User(key)
				if err != nil || !strings.HasPrefix(u.SecretKey, "s-") || u.Status != "enabled" {
					errs <- fmt.Errorf("read %+v %v", u, err)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, ".caddys3", "objstore", "users"))
	if len(entries) != 1 {
		t.Fatalf("left in the users directory: %v", entries)
	}
	// A crash's temp file is removed at the next start once it is old.
	stale := filepath.Join(root, ".caddys3", "objstore", "users", key+".json.tmp-dead")
	os.WriteFile(stale, []byte("{"), 0o600)
	os.Chtimes(stale, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour))
	if _, err := Open(root, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temp file: %v", err)
	}
}
