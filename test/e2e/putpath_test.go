package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPutSmallObjectsUnnamed drives the real server with concurrent
// aws-sdk-go-v2 PUTs (CRC32 request checksums) of new keys, with fsync
// always and never, and requires: each object reads back whole with its
// ETag and checksum, the staging directory never gained a name (new keys
// are staged unnamed and linked, docs/put-path.md), an overwrite still
// replaces, and nothing is left in the staging directory.
func TestPutSmallObjectsUnnamed(t *testing.T) {
	eachFsync(t, func(t *testing.T, root, fsync string) {
		cl := putPathNode(t, root, fsync)
		bucket := makeBucketOn(t, cl, "putpath")
		// The first key of a directory makes it, the usual way.
		putBytes(t, cl, bucket, "small/seed", []byte("seed"))
		staging := filepath.Join(root, ".caddys3", "tmp")
		before := ctimeOf(t, staging)

		const n = 32
		bodies := putAtOnce(n, func(i int, body []byte) {
			out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(fmt.Sprintf("small/%02d", i)), Body: bytes.NewReader(body)})
			if err != nil {
				t.Errorf("put %d: %v", i, err)
				return
			}
			if aws.ToString(out.ETag) != `"`+md5Hex(body)+`"` || aws.ToString(out.ChecksumCRC32) == "" {
				t.Errorf("put %d answered ETag %s, CRC32 %q", i, aws.ToString(out.ETag), aws.ToString(out.ChecksumCRC32))
			}
		})
		if after := ctimeOf(t, staging); after != before {
			t.Fatalf("puts of new keys named staging files (staging ctime %v -> %v)", before, after)
		}
		for i := range n {
			got, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("small/%02d", i)),
				ChecksumMode: "ENABLED"})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(got.Body)
			got.Body.Close()
			if err != nil || !bytes.Equal(buf.Bytes(), bodies[i]) || aws.ToString(got.ETag) != `"`+md5Hex(bodies[i])+`"` || aws.ToString(got.ChecksumCRC32) == "" {
				t.Fatalf("get %d: %d bytes, ETag %s, CRC32 %q, %v", i, buf.Len(), aws.ToString(got.ETag), aws.ToString(got.ChecksumCRC32), err)
			}
		}
		putBytes(t, cl, bucket, "small/00", []byte("replaced"))
		if got := getBytes(t, cl, bucket, "small/00"); string(got) != "replaced" {
			t.Fatalf("overwrite reads back %q", got)
		}
		if left, err := os.ReadDir(staging); err != nil || len(left) != 0 {
			t.Fatalf("staging directory holds %v (%v)", left, err)
		}
	})
}

// eachFsync runs fn as a subtest with `fsync always` and `fsync never`,
// each with a fresh root directory.
func eachFsync(t *testing.T, fn func(t *testing.T, root, fsync string)) {
	for _, fsync := range []string{"always", "never"} {
		t.Run("fsync-"+fsync, func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "root"), fsync) })
	}
}

// putPathNode starts a server on root with `fsync <fsync>` and returns
// alice's aws-sdk-go-v2 client of it.
func putPathNode(t *testing.T, root, fsync string) *s3.Client {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	// No lifecycle pass: its lease and state are written through named
	// files in the staging folder, whose ctime TestPutSmallObjectsUnnamed
	// watches to tell that PUTs of new keys name none.
	return sdk(alice, startExtraServer(t, "", port, root, "fsync "+fsync, "lifecycle {", "\toff", "}").URL())
}

func ctimeOf(t *testing.T, path string) syscall.Timespec {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ctim
}

// TestPutOverwriteTwoNodes: two real servers on one root, with fsync
// always and never, overwrite one key 32 times at once (aws-sdk-go-v2,
// 16 through each); the overwrites rename through the descriptors of
// their failed links (docs/put-path.md, "Overwrites"). Both nodes then
// read the same body, whole, with its ETag; a key that is also the
// directory of another key is overwritten without touching that key;
// nothing is left in the staging directory.
func TestPutOverwriteTwoNodes(t *testing.T) {
	eachFsync(t, func(t *testing.T, root, fsync string) {
		nodes := []*s3.Client{putPathNode(t, root, fsync), putPathNode(t, root, fsync)}
		bucket := makeBucketOn(t, nodes[0], "putover")
		putBytes(t, nodes[0], bucket, "d/k", []byte("first"))
		const n = 32
		bodies := putAtOnce(n, func(i int, body []byte) {
			if _, err := nodes[i%2].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket),
				Key: aws.String("d/k"), Body: bytes.NewReader(body)}); err != nil {
				t.Errorf("overwrite %d: %v", i, err)
			}
		})
		got0, got1 := getBytes(t, nodes[0], bucket, "d/k"), getBytes(t, nodes[1], bucket, "d/k")
		if !bytes.Equal(got0, got1) || len(got0) < 4096 || len(got0) >= 4096+n || !bytes.Equal(got0, bodies[len(got0)-4096]) {
			t.Fatalf("after racing overwrites node1 reads %d bytes, node2 %d, not one whole body", len(got0), len(got1))
		}
		head, err := nodes[1].HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("d/k")})
		if err != nil || aws.ToString(head.ETag) != `"`+md5Hex(got0)+`"` {
			t.Fatalf("HEAD through node2: %v, ETag %s", err, aws.ToString(head.ETag))
		}
		// "d" is a directory of keys: its overwrite keeps d/k.
		putBytes(t, nodes[0], bucket, "d", []byte("d, first"))
		putBytes(t, nodes[1], bucket, "d", []byte("d, second"))
		if got := getBytes(t, nodes[0], bucket, "d"); string(got) != "d, second" {
			t.Fatalf("d reads %q", got)
		}
		if got := getBytes(t, nodes[0], bucket, "d/k"); !bytes.Equal(got, got0) {
			t.Fatalf("d/k changed to %d bytes by the overwrite of d", len(got))
		}
		if left, err := os.ReadDir(filepath.Join(root, ".caddys3", "tmp")); err != nil || len(left) != 0 {
			t.Fatalf("staging directory holds %v (%v)", left, err)
		}
	})
}

// putAtOnce runs put(i, body) for i < n all at once, with random bodies
// of 4096+i bytes, and returns the bodies.
func putAtOnce(n int, put func(i int, body []byte)) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = randomBytes(4096 + i)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { put(i, bodies[i]) })
	}
	wg.Wait()
	return bodies
}
