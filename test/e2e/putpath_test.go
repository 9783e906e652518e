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
	for _, fsync := range []string{"always", "never"} {
		t.Run("fsync-"+fsync, func(t *testing.T) {
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(t.TempDir(), "root")
			s := startExtraServer(t, "", port, root, "fsync "+fsync)
			cl := sdk(alice, s.URL())
			bucket := newBucketName("putpath")
			if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			// The first key of a directory makes it, the usual way.
			putBytes(t, cl, bucket, "small/seed", []byte("seed"))
			staging := filepath.Join(root, ".caddys3", "tmp")
			before := ctimeOf(t, staging)

			const n = 32
			bodies := make([][]byte, n)
			var wg sync.WaitGroup
			for i := range n {
				bodies[i] = randomBytes(4096 + i)
				wg.Go(func() {
					out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket),
						Key: aws.String(fmt.Sprintf("small/%02d", i)), Body: bytes.NewReader(bodies[i])})
					if err != nil {
						t.Errorf("put %d: %v", i, err)
						return
					}
					if aws.ToString(out.ETag) != `"`+md5Hex(bodies[i])+`"` || aws.ToString(out.ChecksumCRC32) == "" {
						t.Errorf("put %d answered ETag %s, CRC32 %q", i, aws.ToString(out.ETag), aws.ToString(out.ChecksumCRC32))
					}
				})
			}
			wg.Wait()
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
}

func ctimeOf(t *testing.T, path string) syscall.Timespec {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ctim
}
