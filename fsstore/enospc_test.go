package fsstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
)

// fullDisk returns a directory on a 1 MiB filesystem: a tmpfs mounted for
// the test. Where mounting is not permitted it returns a plain directory
// and makes every object and part write fail with ENOSPC once 1 MiB has
// been written (through testHookWrite), which exercises the same paths
// for data (not for metadata and directory entries).
func fullDisk(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0755")
	if err == nil {
		t.Cleanup(func() {
			if err := syscall.Unmount(dir, 0); err != nil {
				t.Errorf("unmount %s: %v", dir, err)
			}
		})
		return dir
	}
	t.Logf("mounting a tmpfs: %v; simulating a full disk with an injected ENOSPC", err)
	var written atomic.Int64
	testHookWrite = func(n int) error {
		if written.Add(int64(n)) > 1<<20 {
			return &os.PathError{Op: "write", Path: "temp", Err: syscall.ENOSPC}
		}
		return nil
	}
	t.Cleanup(func() { testHookWrite = nil })
	return dir
}

// TestInsufficientStorage fills a small filesystem with puts, overwrites,
// parts and a Complete: each fails with ErrInsufficientStorage, publishes
// nothing, leaves no temp file and keeps what was there.
func TestInsufficientStorage(t *testing.T) {
	for _, sidecar := range []bool{false, true} {
		for _, fsync := range []bool{false, true} {
			name := map[bool]string{false: "xattr", true: "sidecar"}[sidecar] + map[bool]string{false: "", true: "-fsync"}[fsync]
			t.Run(name, func(t *testing.T) { testInsufficientStorage(t, sidecar, fsync) })
		}
	}
}

func testInsufficientStorage(t *testing.T, sidecar, fsync bool) {
	s, err := open(Options{Root: filepath.Join(fullDisk(t), "root"), Fsync: fsync}, sidecar)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.minPartSize = 1
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "keep", []byte("old"))
	full := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrInsufficientStorage) {
			t.Fatalf("%s: %v, want ErrInsufficientStorage", what, err)
		}
		if left := tmpEntries(t, s); len(left) != 0 {
			t.Fatalf("%s: temp files left: %v", what, left)
		}
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	_, err = s.PutObject(ctx, "bkt", "new/big", bytes.NewReader(big), PutOptions{})
	full("put", err)
	if _, err := s.HeadObject(ctx, "bkt", "new/big"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("failed put is visible: %v", err)
	}
	_, err = s.PutObject(ctx, "bkt", "keep", bytes.NewReader(big), PutOptions{})
	full("overwrite", err)
	_, err = s.PutObject(ctx, "bkt", "new/big", bytes.NewReader(big), PutOptions{IfNoneMatch: "*"})
	full("create-only put", err)
	if b, _ := readObject(t, s, "bkt", "keep"); string(b) != "old" {
		t.Fatalf("overwritten by a failed put: %q", b)
	}

	// Parts fill the disk; the part that does not fit fails, the others stay.
	u, err := s.CreateMultipartUpload(ctx, "bkt", "mp", ObjectMeta{})
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte("p"), 300<<10)
	var parts []CompletePart
	for n := 1; n <= 2; n++ {
		p, err := s.UploadPart(ctx, "bkt", "mp", u.UploadID, n, bytes.NewReader(part), nil)
		if err != nil {
			t.Fatalf("part %d: %v", n, err)
		}
		parts = append(parts, CompletePart{PartNumber: n, ETag: p.ETag})
	}
	_, err = s.UploadPart(ctx, "bkt", "mp", u.UploadID, 3, bytes.NewReader(big), nil)
	full("part", err)
	if ps, _, err := s.ListParts(ctx, "bkt", "mp", u.UploadID, 0, 0); err != nil || len(ps) != 2 {
		t.Fatalf("parts after a failed part: %+v %v", ps, err)
	}
	// Joining 600 KiB of parts needs 600 KiB more.
	_, err = s.CompleteMultipartUpload(ctx, "bkt", "mp", u.UploadID, parts, CompleteOptions{})
	full("complete", err)
	if _, err := s.HeadObject(ctx, "bkt", "mp"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("failed complete is visible: %v", err)
	}
	// The upload is left as it was: it can be completed once there is room.
	if err := s.DeleteObject(ctx, "bkt", "keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadPart(ctx, "bkt", "mp", u.UploadID, 2, bytes.NewReader([]byte("small")), nil); err != nil {
		t.Fatal(err)
	}
	testHookWrite = nil // the simulated disk has room again too
	parts = parts[:1]
	m, err := s.CompleteMultipartUpload(ctx, "bkt", "mp", u.UploadID, parts, CompleteOptions{})
	if err != nil {
		t.Fatalf("complete after freeing space: %v", err)
	}
	if b, _ := readObject(t, s, "bkt", "mp"); !bytes.Equal(b, part) || m.Size != int64(len(part)) {
		t.Fatalf("completed object: %d bytes", len(b))
	}
	if got := listAll(t, s, "bkt", ListOptions{}); !equalStrings(got, []string{"mp"}) {
		t.Fatalf("listing %q", got)
	}
}

func TestStorageErrQuota(t *testing.T) {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		err := storageErr(&os.PathError{Op: "write", Path: "x", Err: e})
		if !errors.Is(err, ErrInsufficientStorage) || !errors.Is(err, e) {
			t.Fatal(err)
		}
	}
	if err := storageErr(&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}); errors.Is(err, ErrInsufficientStorage) {
		t.Fatal(err)
	}
}
