package e2e

// The on-disk listing index (fsstore/listindex.go): the sorted listing of
// a large directory written under .caddys3/listidx/ by the node that read
// it, and loaded by other nodes (and after a restart) while the
// directory's stamp is unchanged. These tests run several server
// processes on one root and change the directory through S3 and by hand
// between listings.

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sys/unix"
)

// bigFlatBucket makes a bucket of n keys k00000… by hand: one object PUT
// through S3 gives the metadata record that every file then gets.
func bigFlatBucket(t *testing.T, n int) (bucket string, keys []string) {
	t.Helper()
	cl := aliceSDK()
	bucket = makeBucket(t, alice, "lidx")
	putBytes(t, cl, bucket, "template", nil)
	dir := filepath.Join(srv.root, bucket)
	rec := make([]byte, 64<<10)
	size, err := unix.Getxattr(filepath.Join(dir, "template"), "user.caddys3", rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("template")}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k := fmt.Sprintf("k%05d", i)
		fd, err := unix.Open(filepath.Join(dir, k), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		err = unix.Fsetxattr(fd, "user.caddys3", rec[:size], 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	time.Sleep(50 * time.Millisecond) // past the directory's ctime tick: indexable
	return bucket, keys
}

// indexInode is the inode of the bucket's only index file (0: none).
func indexInode(t *testing.T, bucket string) uint64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.root, ".caddys3", "listidx", bucket, "*"))
	if len(files) > 1 {
		t.Fatalf("index files %v, want one", files)
	}
	if len(files) == 0 {
		return 0
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// indexDescribes reports whether the bucket's only index file records the
// directory dir as it is now (its inode and ctime, little endian at 16 and
// 48 in the header, fsstore/listindex.go): a file written after the
// directory's last change. (An inode number alone cannot tell: a file
// rewritten twice may get the first one's number back.)
func indexDescribes(t *testing.T, bucket, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.root, ".caddys3", "listidx", bucket, "*"))
	if len(files) != 1 {
		t.Fatalf("index files %v, want one", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil || len(b) < 56 {
		t.Fatalf("index file: %d bytes, %v", len(b), err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return binary.LittleEndian.Uint64(b[16:]) == st.Ino &&
		int64(binary.LittleEndian.Uint64(b[48:])) == st.Ctim.Nano()
}

// firstPage is the keys of the first ListObjectsV2 page (1,000 keys).
func firstPage(t *testing.T, cl *s3.Client, bucket string) []string {
	t.Helper()
	out, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func TestListIndexAcrossNodesAndByHand(t *testing.T) {
	bucket, want := bigFlatBucket(t, 20_000)
	node1 := aliceSDK()
	if got := firstPage(t, node1, bucket); !slices.Equal(got, want[:1000]) {
		t.Fatalf("node 1 first page: %d keys from %v", len(got), got[:1])
	}
	ino := indexInode(t, bucket)
	if ino == 0 {
		t.Fatal("no index written for a directory of 20,000 entries")
	}

	// A fresh node serves its first page from the index: it does not
	// read the directory, so it does not write the index again.
	node2 := sdk(alice, startSecondNode(t))
	if got := firstPage(t, node2, bucket); !slices.Equal(got, want[:1000]) {
		t.Fatalf("node 2 first page: %d keys", len(got))
	}
	if now := indexInode(t, bucket); now != ino {
		t.Fatal("node 2 rewrote the index instead of loading it")
	}

	// Node 1 adds and removes keys: node 2 sees it at once.
	putBytes(t, node1, bucket, "a-new", []byte("new"))
	if _, err := node1.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k00003")}); err != nil {
		t.Fatal(err)
	}
	want = append([]string{"a-new"}, slices.Delete(want, 3, 4)...)
	if got := listAllKeys(t, node2, bucket, ""); !slices.Equal(got, want) {
		t.Fatalf("node 2 after node 1's changes: %d keys, want %d", len(got), len(want))
	}

	// By hand: a file renamed into the directory, another removed.
	dir := filepath.Join(srv.root, bucket)
	if err := os.WriteFile(filepath.Join(srv.root, "staged-by-hand"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(srv.root, "staged-by-hand"), filepath.Join(dir, "b-hand")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "k00010")); err != nil {
		t.Fatal(err)
	}
	want = slices.Insert(slices.DeleteFunc(want, func(k string) bool { return k == "k00010" }), 1, "b-hand")
	for i, cl := range []*s3.Client{node1, node2} {
		if got := firstPage(t, cl, bucket); !slices.Equal(got, want[:1000]) {
			t.Fatalf("node %d after changes by hand: first page from %v, want from %v", i+1, got[:3], want[:3])
		}
	}

	// Settled, the next listing that reads the directory writes the index
	// again; a torn copy of it is ignored by a third node.
	time.Sleep(50 * time.Millisecond)
	firstPage(t, node2, bucket)
	if !indexDescribes(t, bucket, dir) {
		t.Fatal("the index of the changed directory was not rewritten")
	}
	rewritten := indexInode(t, bucket)
	files, _ := filepath.Glob(filepath.Join(srv.root, ".caddys3", "listidx", bucket, "*"))
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(files[0], fi.Size()-100); err != nil {
		t.Fatal(err)
	}
	node3 := sdk(alice, startSecondNode(t))
	if got := listAllKeys(t, node3, bucket, ""); !slices.Equal(got, want) {
		t.Fatalf("node 3 with a torn index: %d keys, want %d", len(got), len(want))
	}

	// A byte flipped by hand in the last block of names: a fresh node's
	// first page reads only the first blocks and is served from the file
	// (which it leaves as it is); paging on reaches the damage, and the
	// node reads the directory instead and writes the file again.
	repaired := indexInode(t, bucket)
	if repaired == rewritten || repaired == 0 {
		t.Fatal("node 3 did not write the torn index again")
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-20] ^= 1
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	flipped := indexInode(t, bucket)
	node4 := sdk(alice, startSecondNode(t))
	if got := firstPage(t, node4, bucket); !slices.Equal(got, want[:1000]) {
		t.Fatalf("node 4 first page: %d keys", len(got))
	}
	if indexInode(t, bucket) != flipped {
		t.Fatal("node 4's first page rewrote an index whose first blocks are sound")
	}
	if got := listAllKeys(t, node4, bucket, ""); !slices.Equal(got, want) {
		t.Fatalf("node 4 with a flipped byte in the last block: %d keys, want %d", len(got), len(want))
	}
	if indexInode(t, bucket) == flipped {
		t.Fatal("node 4 did not write the damaged index again")
	}
}
