package e2e

// The listing page cache (caddys3/pagecache.go, fsstore/pagecache.go)
// answers a repeated ListObjects/ListObjectsV2 request with the document
// it made before while the store finds every directory and file the page
// was built from unchanged. This test repeats the same requests after
// changes made through a second node and by hand and checks every page
// against what the test knows is stored and against HEAD.

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// pagedListing lists bucket through every request shape the page cache
// keys on (listedFields' v2 in pages of 10 and v1, v2 with "/" and
// fetch-owner in pages of 3, v2 with encoding-type url, v2 with
// start-after, v1 with markers in pages of 5) and returns "etag
// size" per key, failing unless every shape lists the same keys and
// fields and the delimited listings the expected prefixes.
func pagedListing(t *testing.T, cl *s3.Client, bucket string) map[string]string {
	t.Helper()
	got := listedFields(t, cl, bucket) // v2 in pages of 10, v1 with owners
	same := func(what, key, f string) {
		if got[key] != f {
			t.Errorf("%s lists %s as %q, pages of 10 as %q", what, key, f, got[key])
		}
	}
	// Delimited, per directory: every key under a listed prefix.
	seen := 0
	for _, dir := range append([]string{""}, prefixesOf(got)...) {
		p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dir),
			Delimiter: aws.String("/"), MaxKeys: aws.Int32(3), FetchOwner: aws.Bool(true)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Contents {
				same("delimited", aws.ToString(o.Key), fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size)))
				if o.Owner == nil {
					t.Errorf("no owner for %s with fetch-owner", aws.ToString(o.Key))
				}
				seen++
			}
		}
	}
	if seen != len(got) {
		t.Errorf("delimited listings show %d keys, pages of 10 %d", seen, len(got))
	}
	enc, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: "url"})
	if err != nil {
		t.Fatal(err)
	}
	startAfter := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("d")})
	var keys []string
	for _, o := range enc.Contents {
		keys = append(keys, aws.ToString(o.Key))
		same("url-encoded", aws.ToString(o.Key), fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size)))
	}
	if want := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Errorf("url-encoded listing %q, pages of 10 %q", keys, want)
	}
	for startAfter.HasMorePages() {
		out, err := startAfter.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			same("start-after", aws.ToString(o.Key), fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size)))
		}
	}
	marker := ""
	for {
		out, err := cl.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String(marker), MaxKeys: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			same("v1", aws.ToString(o.Key), fmt.Sprintf("%s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size)))
			marker = aws.ToString(o.Key)
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
	}
	return got
}

// prefixesOf is the directory prefixes ("a/", "a/b/") of keys.
func prefixesOf(keys map[string]string) []string {
	set := map[string]bool{}
	for k := range keys {
		for i := range len(k) {
			if k[i] == '/' {
				set[k[:i+1]] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func TestListPageCacheFreshAcrossNodesAndByHand(t *testing.T) {
	b := makeBucket(t, alice, "pagecache")
	cl := aliceSDK()
	bodies := map[string]string{}
	for i := range 30 {
		k := fmt.Sprintf("d%d/k%02d", i%3, i)
		if i%4 == 0 {
			k = fmt.Sprintf("top%02d", i)
		}
		bodies[k] = fmt.Sprintf("body %d", i)
		putBytes(t, cl, b, k, []byte(bodies[k]))
	}
	check := func(what string) {
		t.Helper()
		got := pagedListing(t, cl, b)
		if want := slices.Sorted(maps.Keys(bodies)); !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
			t.Fatalf("%s: listed %q, stored %q", what, slices.Sorted(maps.Keys(got)), want)
		}
		for k, v := range got {
			wantHeadSays(t, what, cl, b, k, "", v)
		}
		pagedListing(t, cl, b) // once more: these pages may now be kept
	}
	settle := func() { time.Sleep(50 * time.Millisecond) } // past the timestamp tick: pages kept
	settle()
	check("first")
	check("repeated")

	node2 := sdk(alice, startSecondNode(t))
	dir := filepath.Join(srv.root, b)
	steps := []struct {
		what string
		do   func()
	}{
		{"a key replaced on node 2", func() {
			bodies["d1/k01"] = "replaced on node 2, longer"
			putBytes(t, node2, b, "d1/k01", []byte(bodies["d1/k01"]))
		}},
		{"a key in a new directory on node 2", func() {
			bodies["d9/new"] = "new"
			putBytes(t, node2, b, "d9/new", []byte("new"))
		}},
		{"a key deleted on node 2", func() {
			if _, err := node2.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("d2/k02")}); err != nil {
				t.Fatal(err)
			}
			delete(bodies, "d2/k02")
		}},
		{"a file removed by hand", func() {
			if err := os.Remove(filepath.Join(dir, "top04")); err != nil {
				t.Fatal(err)
			}
			delete(bodies, "top04")
		}},
		{"a file renamed in by hand", func() {
			if err := os.Rename(filepath.Join(dir, "d0", "k03"), filepath.Join(dir, "d1", "k99")); err != nil {
				t.Fatal(err)
			}
			bodies["d1/k99"] = bodies["d0/k03"]
			delete(bodies, "d0/k03")
		}},
		{"a record edited by hand", func() {
			editETagByHand(t, filepath.Join(dir, "d2", "k05"), bodies["d2/k05"], "by hand")
			bodies["d2/k05"] = "by hand"
		}},
		{"a file truncated by hand", func() {
			if err := os.Truncate(filepath.Join(dir, "d2", "k14"), 2); err != nil {
				t.Fatal(err)
			}
		}},
		{"the last directory's only key deleted on node 2", func() {
			if _, err := node2.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("d9/new")}); err != nil {
				t.Fatal(err)
			}
			delete(bodies, "d9/new")
		}},
	}
	for _, s := range steps {
		s.do()
		check("after " + s.what)
		settle()
		check("settled after " + s.what)
	}
	if got := pagedListing(t, cl, b)["d2/k05"]; !strings.Contains(got, md5Hex([]byte("by hand"))) {
		t.Errorf("d2/k05 listed as %s after its record was edited", got)
	}
}
