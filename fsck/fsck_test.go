package fsck

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/caddys3/caddys3/fsstore"
)

var ctx = context.Background()

// openStore opens root as a server would; the store is closed at the
// end of the test, or earlier by the function returned.
func openStore(t *testing.T, root string) (*fsstore.Store, func() error) {
	t.Helper()
	s, err := fsstore.Open(fsstore.Options{Root: root, KeepTemp: true})
	if err != nil {
		t.Fatal(err)
	}
	closeOnce := sync.OnceValue(s.Close)
	t.Cleanup(func() { closeOnce() })
	return s, closeOnce
}

func write(t *testing.T, path string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

// damaged is a root damaged in every way a check looks for (but sidecars,
// see fsstore's TestOrphanSidecars), with the handle of a server's store.
func damaged(t *testing.T) (string, *fsstore.Store, func() error) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	s, closeStore := openStore(t, root)
	for _, b := range []string{"bkt", "gone"} {
		if err := s.CreateBucket(ctx, b, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PutObject(ctx, "bkt", "good", bytes.NewReader([]byte("good")), fsstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMultipartUpload(ctx, "bkt", "upload", fsstore.ObjectMeta{}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "bkt", "dir", "hand.txt"), []byte("copied by hand"))     // no metadata
	write(t, filepath.Join(root, "made-by-hand", "inside"), []byte("in a hand-made dir")) // not a bucket
	write(t, filepath.Join(root, "Not_A_Bucket", "x"), []byte("x"))                       // cannot be adopted
	if err := os.Remove(filepath.Join(root, "gone")); err != nil {                        // record without directory
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "bkt", "%%bogus"), []byte("unreachable"))                // does not decode
	write(t, filepath.Join(root, "bkt", "%%weird", "below"), []byte("also"))              // nor does this directory
	write(t, filepath.Join(root, "bkt", "latin1-\xe9t\xe9"), []byte("not UTF-8"))         // no key reaches it
	write(t, filepath.Join(root, "stray.txt"), []byte("stray"))                           // top-level file
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "bkt", "link")); err != nil { // symlink
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	write(t, filepath.Join(root, ".caddys3", "tmp", "w-legacy"), []byte("stale"))
	os.Chtimes(filepath.Join(root, ".caddys3", "tmp", "w-legacy"), old, old)
	write(t, filepath.Join(root, ".caddys3", "tmp", "w-fresh"), []byte("fresh"))
	return root, s, closeStore
}

var wantFound = map[Kind]int{
	NoMetadata: 1, NotBucket: 2, BucketNoDir: 1, Undecodable: 3, Symlink: 1,
	StrayFile: 1, StaleTemp: 1, StaleUpload: 1,
}

func checkCounts(t *testing.T, what string, got, want map[Kind]int) {
	t.Helper()
	for _, k := range Kinds {
		if got[k] != want[k] {
			t.Errorf("%s %s = %d, want %d", what, k, got[k], want[k])
		}
	}
}

func TestReportOnly(t *testing.T) {
	root, s, _ := damaged(t)
	var lines []string
	var last Progress
	r, err := Check(ctx, s, Options{UploadAge: time.Nanosecond, Owner: "bob",
		Progress: func(p Progress) { last = p },
		Found: func(k Kind, rel string, repaired bool) {
			lines = append(lines, string(k)+" "+rel)
			if repaired {
				t.Errorf("repaired %s %s without --repair", k, rel)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, "found", r.Found, wantFound)
	checkCounts(t, "repaired", r.Repaired, nil)
	if r.Buckets != 1 || r.Objects != 2 {
		t.Errorf("walked %d buckets %d objects, want 1 and 2", r.Buckets, r.Objects)
	}
	if last != (Progress{Buckets: 1, BucketsDone: 1, Bucket: "bkt", Entries: 7, Objects: 2}) {
		t.Errorf("last progress %+v", last)
	}
	if len(lines) != 11 {
		t.Errorf("found lines %q", lines)
	}
	// Nothing changed.
	if m, err := s.RepairObject(ctx, "bkt", "dir/hand.txt", false); err != nil || !m {
		t.Errorf("the check repaired an object: %v %v", m, err)
	}
	for _, p := range []string{".caddys3/tmp/w-legacy", "bkt/%%bogus", "made-by-hand/inside"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := s.Bucket(ctx, "made-by-hand"); err == nil {
		t.Error("adopted without --repair")
	}
}

func TestRepair(t *testing.T) {
	root, s, _ := damaged(t)
	r, err := Check(ctx, s, Options{Repair: true, Owner: "bob", Quarantine: true, UploadAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	found := maps.Clone(wantFound)
	found[NoMetadata]++ // the adopted bucket's file, found in the walk after adoption
	checkCounts(t, "found", r.Found, found)
	checkCounts(t, "repaired", r.Repaired, map[Kind]int{
		NoMetadata: 2,
		NotBucket:  1, BucketNoDir: 1, Undecodable: 3, StaleTemp: 1, StaleUpload: 1,
	})
	if r.Unrepaired() != 3 { // Not_A_Bucket, the symlink, stray.txt
		t.Errorf("unrepaired = %d", r.Unrepaired())
	}
	// Objects without metadata have their ETag and the default type.
	for bk, body := range map[[2]string][]byte{{"bkt", "dir/hand.txt"}: []byte("copied by hand"), {"made-by-hand", "inside"}: []byte("in a hand-made dir")} {
		// Asked before any read, which would repair it too.
		if missing, err := s.RepairObject(ctx, bk[0], bk[1], false); err != nil || missing {
			t.Errorf("%v still without metadata: %v", bk, err)
		}
		o, err := s.OpenObject(ctx, bk[0], bk[1])
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if o.Meta.ETag != md5hex(body) || o.Meta.ContentType != fsstore.DefaultContentType {
			t.Errorf("%v: %+v", bk, o.Meta)
		}
	}
	if info, err := s.Bucket(ctx, "made-by-hand"); err != nil || info.Owner != "bob" {
		t.Errorf("adopted bucket: %+v %v", info, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "gone")); err != nil || !fi.IsDir() {
		t.Errorf("bucket directory not given back: %v", err)
	}
	for _, p := range []string{"%%bogus", "%%weird/below", "latin1-\xe9t\xe9"} {
		if _, err := os.Lstat(filepath.Join(root, "bkt", p)); !os.IsNotExist(err) {
			t.Errorf("%s still in the bucket: %v", p, err)
		}
		if _, err := os.Lstat(filepath.Join(root, ".caddys3/lost+found/bkt", p)); err != nil {
			t.Errorf("%s not in lost+found: %v", p, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, ".caddys3/tmp/w-legacy")); !os.IsNotExist(err) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, ".caddys3/tmp/w-fresh")); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
	// Object data is never removed: the unrepairable stay where they are.
	for _, p := range []string{"Not_A_Bucket/x", "stray.txt", "bkt/link", "bkt/good"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	// A second pass finds only what cannot be repaired.
	r, err = Check(ctx, s, Options{Repair: true, Owner: "bob", Quarantine: true})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, "second pass found", r.Found, map[Kind]int{NotBucket: 1, Symlink: 1, StrayFile: 1})
}

// Offline, every temp file is stale, and a root with a live server is
// refused.
func TestOffline(t *testing.T) {
	root, server, closeServer := damaged(t)
	if _, err := Check(ctx, server, Options{Offline: true}); err != nil {
		t.Fatalf("the only store (LiveNodes excludes itself): %v", err)
	}
	other, _ := openStore(t, root)
	if _, err := Check(ctx, other, Options{Offline: true}); err == nil {
		t.Fatal("offline check ran while another store is live")
	}
	closeServer()
	r, err := Check(ctx, other, Options{Offline: true, Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Found[StaleTemp] < 2 || r.Repaired[StaleTemp] != r.Found[StaleTemp] {
		t.Errorf("offline temp files: found %d repaired %d, want both", r.Found[StaleTemp], r.Repaired[StaleTemp])
	}
	if _, err := os.Lstat(filepath.Join(root, ".caddys3/tmp/w-fresh")); !os.IsNotExist(err) {
		t.Errorf("fresh temp file kept offline: %v", err)
	}
}
