package e2e

// Symlinks planted in the storage root (a backup restore, an NFS user) are
// never followed: keys through them do not exist, writes through them are
// refused, and listings skip them. Plus ListObjectsV2 under concurrent
// puts and deletes of nested keys never answers 5xx.

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestSymlinkIntoOtherBucket(t *testing.T) {
	ab := makeBucket(t, alice, "sym-alice")
	bb := makeBucket(t, bob, "sym-bob")
	cl, bcl := aliceSDK(), bobSDK()
	putBytes(t, cl, ab, "mine", []byte("alice-data"))
	putBytes(t, bcl, bb, "secret", []byte("bob-data"))
	putBytes(t, bcl, bb, "sub/x", []byte("bob-x"))
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside-data"), 0o644); err != nil {
		t.Fatal(err)
	}
	adir := filepath.Join(srv.root, ab)
	for name, target := range map[string]string{
		"d":    "../" + bb,
		"out":  outside,
		"k":    "../" + bb + "/secret",
		"kout": filepath.Join(outside, "secret"),
	} {
		if err := os.Symlink(target, filepath.Join(adir, name)); err != nil {
			t.Fatal(err)
		}
	}
	bobIntact := func() {
		t.Helper()
		if b := getBytes(t, bcl, bb, "secret"); string(b) != "bob-data" {
			t.Errorf("bob's secret: %q", b)
		}
		if b := getBytes(t, bcl, bb, "sub/x"); string(b) != "bob-x" {
			t.Errorf("bob's sub/x: %q", b)
		}
		out, err := bcl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bb)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if fmt.Sprint(keys) != "[secret sub/x]" {
			t.Errorf("bob's keys: %q", keys)
		}
		if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "outside-data" {
			t.Errorf("outside file: %q", b)
		}
	}

	for _, key := range []string{"d/secret", "d/sub/x", "out/secret", "k", "kout"} {
		_, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(ab), Key: aws.String(key)})
		wantSDKError(t, err, 404, "NoSuchKey")
		_, err = cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(ab), Key: aws.String(key)})
		wantSDKError(t, err, 404, "")
		// Copy from a key through a link.
		_, err = cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(ab), Key: aws.String("stolen"),
			CopySource: aws.String(ab + "/" + url.PathEscape(key))})
		wantSDKError(t, err, 404, "NoSuchKey")
	}
	if objectExists(t, ab, "stolen") {
		t.Error("a copy through a symlink created alice/stolen")
	}
	for _, key := range []string{"d/secret", "d/new", "d/sub/new", "out/new", "out/secret", "k/x"} {
		_, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(ab), Key: aws.String(key), Body: bytes.NewReader([]byte("evil"))})
		wantSDKError(t, err, 409, "ObjectParentIsFile")
		_, err = cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(ab), Key: aws.String(key),
			CopySource: aws.String(ab + "/mine")})
		wantSDKError(t, err, 409, "ObjectParentIsFile")
	}
	for _, key := range []string{"d/secret", "d/sub/x", "out/secret"} {
		if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(ab), Key: aws.String(key)}); err != nil {
			t.Errorf("delete %s: %v", key, err)
		}
	}
	out, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(ab)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "mine" {
		t.Errorf("alice's listing shows more than her key: %d entries", len(out.Contents))
	}
	for _, p := range []string{"d/", "out/"} {
		out, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(ab), Prefix: aws.String(p)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 0 {
			t.Errorf("prefix %s lists %d keys through a symlink", p, len(out.Contents))
		}
	}
	bobIntact()
}

func TestListChurn(t *testing.T) {
	b := makeBucket(t, alice, "churn")
	noRetry := func(o *s3.Options) { o.Retryer = aws.NopRetryer{} }
	deadline := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	var pages, writes, fivexx atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, a ...any) {
		mu.Lock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, a...))
		}
		mu.Unlock()
	}
	status := func(err error) int {
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			return re.HTTPStatusCode()
		}
		return 0
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := sdk(alice, srv.base, noRetry)
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				key := fmt.Sprintf("p%d/q%d/r%d/k%d", r.IntN(2), r.IntN(3), r.IntN(3), r.IntN(2))
				if r.IntN(3) == 0 {
					key = fmt.Sprintf("p%d/q%d/k", r.IntN(2), r.IntN(3))
				}
				var err error
				if r.IntN(2) == 0 {
					_, err = cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(nil)})
				} else {
					_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
				}
				if st := status(err); st >= 500 {
					fivexx.Add(1)
					fail("write %s: %v", key, err)
				}
				writes.Add(1)
			}
		}()
	}
	for l := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := sdk(alice, srv.base, noRetry)
			r := rand.New(rand.NewPCG(uint64(l), 8))
			for time.Now().Before(deadline) {
				in := &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(int32(1 + r.IntN(4)))}
				switch r.IntN(3) {
				case 0:
					in.Prefix = aws.String(fmt.Sprintf("p%d/", r.IntN(2)))
				case 1:
					in.Prefix = aws.String(fmt.Sprintf("p%d/q%d/", r.IntN(2), r.IntN(3)))
				}
				if r.IntN(2) == 0 {
					in.Delimiter = aws.String("/")
				}
				for {
					out, err := cl.ListObjectsV2(ctxT(t), in)
					pages.Add(1)
					if err != nil {
						if status(err) >= 500 {
							fivexx.Add(1)
						}
						fail("list %s/%s: %v", aws.ToString(in.Prefix), aws.ToString(in.Delimiter), err)
						break
					}
					if !aws.ToBool(out.IsTruncated) {
						break
					}
					in.ContinuationToken = out.NextContinuationToken
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d ListObjectsV2 pages, %d puts/deletes, %d 5xx", pages.Load(), writes.Load(), fivexx.Load())
	for _, f := range failures {
		t.Error(f)
	}
	if fivexx.Load() != 0 {
		t.Errorf("%d responses were 5xx", fivexx.Load())
	}
}
