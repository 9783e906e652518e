package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPutOverwriteTwoNodes: two real servers on one root, with fsync
// always and never, overwrite one key 32 times at once (aws-sdk-go-v2,
// 16 through each); the overwrites rename through the descriptors of
// their failed links (docs/put-path.md, "Overwrites"). Both nodes then
// read the same body, whole, with its ETag; a key that is also the
// directory of another key is overwritten without touching that key;
// nothing is left in the staging directory.
func TestPutOverwriteTwoNodes(t *testing.T) {
	for _, fsync := range []string{"always", "never"} {
		t.Run("fsync-"+fsync, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			var nodes []*s3.Client
			for range 2 {
				port, err := freePort()
				if err != nil {
					t.Fatal(err)
				}
				nodes = append(nodes, sdk(alice, startExtraServer(t, "", port, root, "fsync "+fsync).URL()))
			}
			bucket := newBucketName("putover")
			if _, err := nodes[0].CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			putBytes(t, nodes[0], bucket, "d/k", []byte("first"))
			const n = 32
			bodies := make([][]byte, n)
			var wg sync.WaitGroup
			for i := range n {
				bodies[i] = randomBytes(4096 + i)
				wg.Go(func() {
					if _, err := nodes[i%2].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket),
						Key: aws.String("d/k"), Body: bytes.NewReader(bodies[i])}); err != nil {
						t.Errorf("overwrite %d: %v", i, err)
					}
				})
			}
			wg.Wait()
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
}
