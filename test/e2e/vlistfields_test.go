package e2e

// Brief version listings of a versioned bucket read each version's ETag,
// size and owner through the listing fields cache (fsstore/vlistfields.go);
// this changes versions from a second node and by hand between listings
// and checks every listed version against HEAD of that version.

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sys/unix"
)

// wantVersionsListedAsHead lists every version of bucket in pages of 5
// and checks each one's ETag and size against HEAD of that version; it
// returns "etag size" per "key version".
func wantVersionsListedAsHead(t *testing.T, what string, cl *s3.Client, bucket string) map[string]string {
	t.Helper()
	got := map[string]string{}
	p := s3.NewListObjectVersionsPaginator(cl, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			if v.Owner == nil || aws.ToString(v.Owner.ID) == "" {
				t.Errorf("%s: %s %s listed without an owner", what, aws.ToString(v.Key), aws.ToString(v.VersionId))
			}
			got[aws.ToString(v.Key)+" "+aws.ToString(v.VersionId)] = fmt.Sprintf("%s %d", aws.ToString(v.ETag), aws.ToInt64(v.Size))
		}
	}
	for kv, listed := range got {
		k, id, _ := strings.Cut(kv, " ")
		wantHeadSays(t, what, cl, bucket, k, id, listed)
	}
	return got
}

// wantHeadSays checks the "etag size" listed for key (its version id, or
// "" for the latest) against HEAD.
func wantHeadSays(t *testing.T, what string, cl *s3.Client, bucket, key, id, listed string) {
	t.Helper()
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if id != "" {
		in.VersionId = aws.String(id)
	}
	h, err := cl.HeadObject(ctxT(t), in)
	if err != nil {
		t.Fatalf("%s: HEAD %s %s: %v", what, key, id, err)
	}
	if want := fmt.Sprintf("%s %d", aws.ToString(h.ETag), aws.ToInt64(h.ContentLength)); listed != want {
		t.Errorf("%s: %s %s listed as %s, HEAD says %s", what, key, id, listed, want)
	}
}

// editETagByHand rewrites the ETag in the record of the file p from the
// MD5 of from to that of to with setxattr, as a change by hand: size and
// mtime stay, only the file's ctime changes.
func editETagByHand(t *testing.T, p, from, to string) {
	t.Helper()
	raw := make([]byte, 4096)
	n, err := unix.Getxattr(p, "user.caddys3", raw)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw[:n], []byte(md5Hex([]byte(from))), []byte(md5Hex([]byte(to))), 1)
	if bytes.Equal(edited, raw[:n]) {
		t.Fatalf("%s: the record has no ETag of %q", p, from)
	}
	if err := unix.Setxattr(p, "user.caddys3", edited, 0); err != nil {
		t.Fatal(err)
	}
}

func TestVersionListFieldsFreshAcrossNodesAndByHand(t *testing.T) {
	b := makeBucket(t, alice, "vlfields")
	cl := aliceSDK()
	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for n := range 2 {
			putBytes(t, cl, b, fmt.Sprintf("k%02d", i), []byte(fmt.Sprintf("body %d.%d", i, n)+strings.Repeat("x", n)))
		}
	}
	time.Sleep(50 * time.Millisecond) // past the files' timestamp tick: cacheable
	if got := wantVersionsListedAsHead(t, "first", cl, b); len(got) != 20 {
		t.Fatalf("listed %d versions, want 20", len(got))
	}
	wantVersionsListedAsHead(t, "cached", cl, b)

	node2 := sdk(alice, startSecondNode(t))
	putBytes(t, node2, b, "k03", []byte("a third version, through the second node"))
	if got := wantVersionsListedAsHead(t, "after a new version on node 2", cl, b); len(got) != 21 {
		t.Errorf("listed %d versions, want 21", len(got))
	}
	vs, err := node2.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("k05")})
	if err != nil || len(vs.Versions) != 2 {
		t.Fatal(vs, err)
	}
	if _, err := node2.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k05"),
		VersionId: vs.Versions[1].VersionId}); err != nil {
		t.Fatal(err)
	}
	if got := wantVersionsListedAsHead(t, "after a version deleted on node 2", cl, b); len(got) != 20 {
		t.Errorf("listed %d versions, want 20", len(got))
	}

	// The latest version's ETag rewritten in its record by hand.
	time.Sleep(50 * time.Millisecond)
	wantVersionsListedAsHead(t, "settled", cl, b)
	editETagByHand(t, filepath.Join(srv.root, b, "k07"), "body 7.1x", "by hand")
	got := wantVersionsListedAsHead(t, "after setxattr by hand", cl, b)
	found := false
	for kv, v := range got {
		found = found || strings.HasPrefix(kv, "k07 ") && strings.Contains(v, md5Hex([]byte("by hand")))
	}
	if !found {
		t.Errorf("k07's latest version not listed with the ETag written by hand: %v", got)
	}
}
