package e2e

import (
	"bytes"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestEveryKey: keys that are prefixes of each other (formerly 409
// ObjectParentIsFile / ExistingObjectIsDirectory), keys ending in '/' with
// a body, and a multipart upload to one, all stored, read back and listed
// as AWS lists them.
func TestEveryKey(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "everykey")
	want := map[string]string{}
	for _, kv := range [][2]string{
		{"a", "file a"}, {"a/b", "file a/b"}, // parent first
		{"c/d", "file c/d"}, {"c", "file c"}, // child first
		{"dir/", ""}, {"dir/x", "x"}, {"dir//y", "y"}, {"body/", "a body"}, {"body//z", "z"},
		{"a//b", "a//b"}, {"a/", "marker with body"},
	} {
		putBytes(t, cl, bucket, kv[0], []byte(kv[1]))
		want[kv[0]] = kv[1]
	}
	// A multipart upload to a key ending in '/', below an object.
	mp, err := cl.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("a/b/")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := cl.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("a/b/"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("multipart"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("a/b/"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	want["a/b/"] = "multipart"

	for k, v := range want {
		if got := getBytes(t, cl, bucket, k); string(got) != v {
			t.Errorf("GET %q: %q, want %q", k, got, v)
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
	// ListObjectsV2, two keys a page, with and without delimiter.
	var got []string
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
			if aws.ToInt64(o.Size) != int64(len(want[aws.ToString(o.Key)])) {
				t.Errorf("%q listed with size %d", aws.ToString(o.Key), aws.ToInt64(o.Size))
			}
		}
	}
	if !slices.Equal(got, keys) {
		t.Errorf("ListObjectsV2:\n got %q\nwant %q", got, keys)
	}
	v2, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var objs, cps []string
	for _, o := range v2.Contents {
		objs = append(objs, aws.ToString(o.Key))
	}
	for _, c := range v2.CommonPrefixes {
		cps = append(cps, aws.ToString(c.Prefix))
	}
	if !slices.Equal(objs, []string{"a/", "a/b"}) || !slices.Equal(cps, []string{"a//", "a/b/"}) {
		t.Errorf("prefix a/ delimiter /: %q %q", objs, cps)
	}
	// ListObjects (V1) with markers, one key a page.
	got = nil
	marker := ""
	for {
		page, err := cl.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1), Marker: aws.String(marker)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
			marker = aws.ToString(o.Key)
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
	}
	if !slices.Equal(got, keys) {
		t.Errorf("ListObjects:\n got %q\nwant %q", got, keys)
	}
	// Deleting in any order leaves the others readable, then nothing.
	for i, k := range keys {
		if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
		for _, other := range keys[i+1:] {
			if got := getBytes(t, cl, bucket, other); string(got) != want[other] {
				t.Fatalf("after deleting %q: GET %q: %q", k, other, got)
			}
		}
	}
	left, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(left.Contents) != 0 {
		t.Fatalf("left: %v %v", left, err)
	}
	if _, err := cl.DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
}
