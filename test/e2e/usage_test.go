package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/caddys3/caddys3/internal/testserver"
)

// TestUsageNodeKilled kills one of two nodes sharing a root (SIGKILL)
// while it holds a quota reservation (a PUT in flight) and while it writes
// and deletes in a burst. The other node must give the reservation's room
// back at once (the dead node's heartbeat names a process that is gone),
// not after the reservation's 15-minute lease, and datausageinfo must come
// back to exactly what the bucket stores, bytes the dead node stored and
// never added included (a walk, at most reconcileEvery = 10 s after).
func TestUsageNodeKilled(t *testing.T) {
	root := t.TempDir()
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	node1 := testserver.Start(t, csConfig(ports[0], root))
	node2 := testserver.Start(t, csConfig(ports[1], root))
	adm := func(method, cmd string, q [][2]string, body []byte) adminAnswer {
		return adminDo(t, javaAdminRequest(t, node2.URL(), method, cmd, q, body, csAdminKey, csAdminSecret))
	}
	ctx := ctxT(t)
	c1, c2 := sdk(alice, node1.URL()), sdk(alice, node2.URL())
	bucket := newBucketName("usagekill")
	if _, err := c1.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const kib = 1 << 10
	if a := adm("PUT", "set-bucket-quota", [][2]string{{"bucket", bucket}}, []byte(fmt.Sprintf(`{"quotatype":"hard","quota":%d}`, 1024*kib))); a.status != 200 {
		t.Fatalf("set-bucket-quota: %s", a)
	}
	putBytes(t, c2, bucket, "keep", randomBytes(300*kib))

	// A PUT of 600 KiB in flight on node 1: its reservation leaves no room
	// for 200 KiB more.
	pr, pw := io.Pipe()
	slow := buildRaw(t, rawReq{Method: "PUT", Base: node1.URL(), Path: "/" + bucket + "/slow", PayloadHash: "UNSIGNED-PAYLOAD", Creds: &alice})
	slow.Body, slow.ContentLength = pr, 600*kib
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := httpClient.Do(slow); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := pw.Write(randomBytes(100 * kib)); err != nil {
		t.Fatal(err)
	}
	put200 := func() error {
		_, err := c2.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("more"), Body: bytes.NewReader(randomBytes(200 * kib))})
		return err
	}
	wantSDKError(t, put200(), 400, "XMinioAdminBucketQuotaExceeded")

	// Node 1 also writes and deletes in a burst; some of it is cut by the
	// kill, between a change on disk and its addition to the ledger.
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; ; i++ {
				key := fmt.Sprintf("burst/%d", r.IntN(8))
				var err error
				if r.IntN(3) == 0 {
					_, err = c1.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				} else {
					_, err = c1.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(randomBytes(1 + r.IntN(2*kib)))})
				}
				if err != nil {
					return // killed
				}
			}
		})
	}
	time.Sleep(time.Second)
	// Bytes node 1 stored and never added to the ledger.
	if err := os.WriteFile(filepath.Join(root, bucket, "lost"), randomBytes(50*kib), 0o644); err != nil {
		t.Fatal(err)
	}
	node1.Kill()
	pw.CloseWithError(errors.New("the node is gone"))
	<-done
	wg.Wait()

	// The room of the dead reservation is back at once.
	if err := put200(); err != nil {
		t.Fatalf("after the kill, a put that fits: %v", err)
	}

	// What the bucket stores, by a listing through node 2.
	var stored int64
	p := s3.NewListObjectVersionsPaginator(c2, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			stored += aws.ToInt64(v.Size)
		}
	}
	var last int64 = -1
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var du struct {
			BucketsSizes map[string]int64 `json:"bucketsSizes"`
		}
		if a := adm("GET", "datausageinfo", nil, nil); a.status != 200 || json.Unmarshal(a.body, &du) != nil {
			t.Fatalf("datausageinfo: %s", a)
		}
		if last = du.BucketsSizes[bucket]; last == stored {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("datausageinfo says %d bytes 30 s after the kill; the bucket stores %d", last, stored)
}
