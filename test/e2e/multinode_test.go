package e2e

// Two servers on one root: a second process of the same binary (srv.bin),
// on its own port and with its own Caddyfile, serves the storage root of
// the main server. Everything correctness-relevant lives in that root, so
// a write through either node must be visible through the other at once:
// reads, heads, deletes and listings (the listing cache validates the
// directory with an fstat on every use), and conditional writes must be
// decided once across both (If-None-Match "*" by link(2), If-Match by the
// per-key lock, see fsstore/lock.go).

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// startSecondNode starts another server process on srv.root and returns
// its base URL; it is stopped (and its log checked for data races) when
// the test ends.
func startSecondNode(t *testing.T) string {
	t.Helper()
	return startOnFreePort(t, srv.root).URL()
}

// httpStatus is the HTTP status of an SDK error (0 for success or a
// non-HTTP error).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func listAllKeys(t *testing.T, cl *s3.Client, bucket, prefix string) []string {
	t.Helper()
	keys, err := listedKeys(t, cl, bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// listedKeys is every key of bucket under prefix through cl (usable from
// goroutines, unlike listAllKeys).
func listedKeys(t *testing.T, cl *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			return keys, fmt.Errorf("ListObjectsV2 %s: %w", bucket, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// TestTwoNodesSharedRoot interleaves writers and readers on the main
// server and a second server process sharing its root.
func TestTwoNodesSharedRoot(t *testing.T) {
	base2 := startSecondNode(t)
	sharedRootRaces(t, []*s3.Client{aliceSDK(), sdk(alice, base2)}, fullRaces, func(t *testing.T, prefix string) string {
		return makeBucket(t, alice, prefix)
	})
}

// raceScale sizes sharedRootRaces: the keys of the flat listing and its
// rounds, the rounds of conditional creates and of conditional
// overwrites.
type raceScale struct{ listKeys, listRounds, createRounds, overwriteRounds int }

// fullRaces is the size on a local disk.
var fullRaces = raceScale{listKeys: 400, listRounds: 16, createRounds: 8, overwriteRounds: 4}

// sharedRootRaces runs the cross-node races on nodes (clients of servers
// sharing one root; at least two), each write through one node and each
// check through another. newBucket makes a bucket through the first.
func sharedRootRaces(t *testing.T, nodes []*s3.Client, scale raceScale, newBucket func(t *testing.T, prefix string) string) {
	nNodes := len(nodes)
	name := make([]string, nNodes)
	for i := range name {
		name[i] = fmt.Sprintf("node%d", i+1)
	}
	// Buckets made on one node are there on the others.
	bucket := newBucket(t, "multi")
	for i, cl := range nodes[1:] {
		if _, err := cl.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("%s HeadBucket of a bucket made on node1: %v", name[i+1], err)
		}
	}

	t.Run("create-overwrite-delete", func(t *testing.T) {
		const key = "shared/obj"
		for i := range 24 {
			w, r := nodes[i%nNodes], nodes[(i+1)%nNodes]
			data := []byte(fmt.Sprintf("generation %d written through %s", i, name[i%nNodes]))
			out := putBytes(t, w, bucket, key, data)
			if got := getBytes(t, r, bucket, key); !bytes.Equal(got, data) {
				t.Fatalf("round %d: %s reads %q after %s wrote %q", i, name[(i+1)%nNodes], got, name[i%nNodes], data)
			}
			h, err := r.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(h.ETag) != aws.ToString(out.ETag) || aws.ToInt64(h.ContentLength) != int64(len(data)) {
				t.Fatalf("round %d: HEAD on the other node: ETag %s size %d, want %s %d", i,
					aws.ToString(h.ETag), aws.ToInt64(h.ContentLength), aws.ToString(out.ETag), len(data))
			}
			if i%3 == 2 {
				if _, err := r.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
					t.Fatal(err)
				}
				_, err := w.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				wantSDKError(t, err, 404, "NoSuchKey")
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		// A flat directory large enough for the listing cache (16 KiB of
		// directory), filled through both nodes.
		n := scale.listKeys
		pad := strings.Repeat("x", 48)
		want := make([]string, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range n {
			want[i] = fmt.Sprintf("flat/%04d-%s", i, pad)
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				_, err := nodes[i%nNodes].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(want[i]), Body: bytes.NewReader([]byte{byte(i)})})
				if err != nil {
					t.Errorf("PutObject %s: %v", want[i], err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for _, cl := range nodes {
			if got := listAllKeys(t, cl, bucket, "flat/"); !equalKeys(got, want) {
				t.Fatalf("listing has %d keys, want %d", len(got), len(want))
			}
		}
		cur := append([]string(nil), want...)
		for i := range scale.listRounds {
			w, r := nodes[i%nNodes], nodes[(i+1)%nNodes]
			// Warm the reader's cache, write through the other node, list
			// again at once.
			listAllKeys(t, r, bucket, "flat/")
			k := fmt.Sprintf("flat/%04d-new-%d", i*25, i)
			putBytes(t, w, bucket, k, []byte("n"))
			cur = sortedCopy(append(cur, k))
			if got := listAllKeys(t, r, bucket, "flat/"); !equalKeys(got, cur) {
				t.Fatalf("round %d: %s's listing misses %s written through %s (%d keys, want %d)", i, name[(i+1)%nNodes], k, name[i%nNodes], len(got), len(cur))
			}
			gone := cur[i*7]
			if _, err := w.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(gone)}); err != nil {
				t.Fatal(err)
			}
			cur = append(cur[:i*7:i*7], cur[i*7+1:]...)
			if got := listAllKeys(t, r, bucket, "flat/"); !equalKeys(got, cur) {
				t.Fatalf("round %d: %s's listing still has %s deleted through %s (%d keys, want %d)", i, name[(i+1)%nNodes], gone, name[i%nNodes], len(got), len(cur))
			}
		}
	})

	t.Run("conditional-create", func(t *testing.T) {
		for round := range scale.createRounds {
			key := fmt.Sprintf("cond/create-%d", round)
			const perNode = 8
			status := make([]int, nNodes*perNode)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range nNodes * perNode {
				wg.Go(func() {
					<-start
					_, err := nodes[i%nNodes].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
						Body: bytes.NewReader([]byte(fmt.Sprintf("writer %d", i))), IfNoneMatch: aws.String("*")})
					status[i] = 200
					if err != nil {
						status[i] = httpStatus(err)
						if status[i] == 0 {
							t.Errorf("writer %d: %v", i, err)
						}
					}
				})
			}
			close(start)
			wg.Wait()
			winner := checkOneWinner(t, status)
			if winner < 0 {
				continue
			}
			want := fmt.Sprintf("writer %d", winner)
			for j, cl := range nodes {
				if got := getBytes(t, cl, bucket, key); string(got) != want {
					t.Errorf("round %d: %s reads %q, want the winner's %q", round, name[j], got, want)
				}
			}
		}
	})

	t.Run("conditional-overwrite", func(t *testing.T) {
		const key = "cond/match"
		etag := aws.ToString(putBytes(t, nodes[0], bucket, key, []byte("base")).ETag)
		for round := range scale.overwriteRounds {
			const perNode = 8
			status := make([]int, nNodes*perNode)
			etags := make([]string, nNodes*perNode)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range nNodes * perNode {
				wg.Go(func() {
					<-start
					out, err := nodes[i%nNodes].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
						Body: bytes.NewReader([]byte(fmt.Sprintf("round %d writer %d", round, i))), IfMatch: aws.String(etag)})
					status[i] = 200
					if err != nil {
						status[i] = httpStatus(err)
						if status[i] == 0 {
							t.Errorf("writer %d: %v", i, err)
						}
						return
					}
					etags[i] = aws.ToString(out.ETag)
				})
			}
			close(start)
			wg.Wait()
			winner := checkOneWinner(t, status)
			if winner < 0 {
				return
			}
			etag = etags[winner]
			want := fmt.Sprintf("round %d writer %d", round, winner)
			for j, cl := range nodes {
				if got := getBytes(t, cl, bucket, key); string(got) != want {
					t.Errorf("round %d: %s reads %q, want the winner's %q", round, name[j], got, want)
				}
			}
		}
	})

	t.Run("delete-bucket", func(t *testing.T) {
		b := newBucket(t, "multi-del")
		putBytes(t, nodes[1], b, "k", []byte("v"))
		if _, err := nodes[0].DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
		if _, err := nodes[1].DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		_, err := nodes[0].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(nil)})
		wantSDKError(t, err, 404, "NoSuchBucket")
		var nsb *types.NoSuchBucket
		_, err = nodes[0].ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		if !errors.As(err, &nsb) {
			t.Errorf("node1 lists a bucket deleted through node2: %v", err)
		}
	})
}

// checkOneWinner asserts that exactly one status is 200 and every other is
// 412, and returns the winner's index (-1 when that fails).
func checkOneWinner(t *testing.T, status []int) int {
	t.Helper()
	winner := -1
	for i, s := range status {
		switch s {
		case 200:
			if winner >= 0 {
				t.Errorf("writers %d and %d both won: %v", winner, i, status)
				return -1
			}
			winner = i
		case 412:
		default:
			t.Errorf("writer %d got HTTP %d: %v", i, s, status)
		}
	}
	if winner < 0 {
		t.Errorf("no writer won: %v", status)
	}
	return winner
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
