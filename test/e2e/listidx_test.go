package e2e

// The listing fields cache (fsstore/listfields.go) keeps each listed
// file's ETag, checksum and owner per node, checked by an fstatat of the
// file on every page. These tests change listed objects from a second
// node and by hand between pages and check every page against HEAD.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// listedFields lists bucket in pages of 10 (ListObjectsV2, and v1 with
// its owner) and returns "etag size" per key.
func listedFields(t *testing.T, cl *s3.Client, bucket string) map[string]string {
	t.Helper()
	got := map[string]string{}
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			got[aws.ToString(o.Key)] = fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size))
		}
	}
	v1, err := cl.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range v1.Contents {
		if f := fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size)); got[aws.ToString(o.Key)] != f || o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
			t.Errorf("v1 lists %s as %s (owner %v), v2 as %s", aws.ToString(o.Key), f, o.Owner, got[aws.ToString(o.Key)])
		}
	}
	return got
}

// wantListedAsHead checks each listed key's ETag and size against HEAD.
func wantListedAsHead(t *testing.T, what string, cl *s3.Client, bucket string) map[string]string {
	t.Helper()
	got := listedFields(t, cl, bucket)
	for k, v := range got {
		wantHeadSays(t, what, cl, bucket, k, "", v)
	}
	return got
}

func TestListFieldsFreshAcrossNodesAndByHand(t *testing.T) {
	b := makeBucket(t, alice, "lfields")
	cl := aliceSDK()
	for i := range 25 {
		putBytes(t, cl, b, fmt.Sprintf("k%02d", i), []byte(fmt.Sprintf("body %d", i)))
	}
	time.Sleep(50 * time.Millisecond) // past the files' timestamp tick: cacheable
	if got := wantListedAsHead(t, "first", cl, b); len(got) != 25 {
		t.Fatalf("listed %d keys, want 25", len(got))
	}
	wantListedAsHead(t, "cached", cl, b)

	node2 := sdk(alice, startSecondNode(t))
	putBytes(t, node2, b, "k03", []byte("replaced through the second node"))
	wantListedAsHead(t, "after a write on node 2", cl, b)

	dir := filepath.Join(srv.root, b)
	if err := os.Rename(filepath.Join(dir, "k07"), filepath.Join(dir, "k08")); err != nil {
		t.Fatal(err)
	}
	if got := wantListedAsHead(t, "after a rename by hand", cl, b); got["k07"] != "" {
		t.Error("k07 still listed after it was renamed away")
	}

	// The ETag rewritten in the record by hand: size and mtime stay, only
	// the file's ctime changes.
	time.Sleep(50 * time.Millisecond)
	wantListedAsHead(t, "settled", cl, b)
	editETagByHand(t, filepath.Join(dir, "k12"), "body 12", "by hand")
	got := wantListedAsHead(t, "after setxattr by hand", cl, b)
	if !strings.Contains(got["k12"], md5Hex([]byte("by hand"))) {
		t.Errorf("k12 listed as %s after its record was edited", got["k12"])
	}
}
