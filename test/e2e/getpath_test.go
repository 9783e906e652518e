package e2e

// The small-GET path (docs/get-path.md): each node keeps bucket records
// decoded in memory. A change made through another node, or by hand on
// disk, must be seen by the very next request.

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestBucketRecordCacheTwoNodes warms node 1's bucket record before each
// change made through node 2 (policy, CORS, versioning, deletion and
// re-creation by another owner) and one made by hand, and checks node 1's
// next request.
func TestBucketRecordCacheTwoNodes(t *testing.T) {
	base2 := startSecondNode(t)
	ctx := ctxT(t)
	a1, a2, b1, b2 := aliceSDK(), sdk(alice, base2), bobSDK(), sdk(bob, base2)
	bucket := makeBucket(t, alice, "bcache")
	bk := aws.String(bucket)
	putBytes(t, a1, bucket, "obj", []byte("cached bucket"))
	bobGet := func() error {
		_, err := b1.GetObject(ctx, &s3.GetObjectInput{Bucket: bk, Key: aws.String("obj")})
		return err
	}

	// Policy: set and removed on node 2, obeyed by node 1 at once.
	wantSDKError(t, bobGet(), 403, "AccessDenied")
	putPolicy(t, a2, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`))
	if err := bobGet(); err != nil {
		t.Fatalf("node 1 after node 2 allowed bob by policy: %v", err)
	}
	if _, err := a2.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bk}); err != nil {
		t.Fatal(err)
	}
	wantSDKError(t, bobGet(), 403, "AccessDenied")

	// CORS: a rule set on node 2 answers a GET with an Origin on node 1.
	origin := func() string {
		r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "obj"), Creds: &alice, Header: http.Header{"Origin": {"http://app.example"}}})
		wantStatus(t, r, 200)
		return r.Header.Get("Access-Control-Allow-Origin")
	}
	if got := origin(); got != "" {
		t.Fatalf("CORS header %q without a CORS configuration", got)
	}
	rules := []types.CORSRule{{AllowedOrigins: []string{"http://app.example"}, AllowedMethods: []string{"GET"}}}
	if _, err := a2.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bk, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatal(err)
	}
	if got := origin(); got != "http://app.example" {
		t.Fatalf("node 1's CORS header %q after node 2 set a rule for the origin", got)
	}

	// Versioning: enabled on node 2, node 1's next PUT is versioned.
	if _, err := a2.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bk,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if out := putBytes(t, a1, bucket, "obj", []byte("v2")); aws.ToString(out.VersionId) == "" {
		t.Fatal("node 1 wrote without a version id after node 2 enabled versioning")
	}
	if _, err := a2.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bk,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	// Suspended: node 1's PUT replaces the null version (the bucket's
	// first, 13-byte object), where a stale "Enabled" would add one.
	putBytes(t, a1, bucket, "obj", []byte("v3"))
	h, err := a1.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bk, Key: aws.String("obj"), VersionId: aws.String("null")})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt64(h.ContentLength); n != 2 {
		t.Fatalf("null version has %d bytes after node 1's PUT to a bucket node 2 suspended, want 2", n)
	}

	// Deletion on node 2 and re-creation by bob: node 1 answers for bob's
	// bucket, not alice's.
	recordFile := filepath.Join(srv.root, ".caddys3", "buckets", bucket+".json")
	aliceRecord, err := os.ReadFile(recordFile)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := a2.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bk})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		if _, err := a2.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bk, Key: v.Key, VersionId: v.VersionId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a2.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bk}); err != nil {
		t.Fatal(err)
	}
	_, err = a1.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bk})
	wantSDKError(t, err, 404, "NotFound")
	if _, err := b2.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bk}); err != nil {
		t.Fatal(err)
	}
	listAs := func(cl *s3.Client) error {
		_, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bk})
		return err
	}
	wantSDKError(t, listAs(a1), 403, "AccessDenied")
	if err := listAs(b1); err != nil {
		t.Fatalf("node 1, bob listing the bucket he re-created on node 2: %v", err)
	}

	// By hand: alice's old record put back in place of bob's (written in
	// place, as an editor might), read by node 1 at its next request.
	if err := os.WriteFile(recordFile, bytes.TrimSpace(aliceRecord), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := listAs(a1); err != nil {
		t.Fatalf("node 1, alice after her record was restored by hand: %v", err)
	}
	wantSDKError(t, listAs(b1), 403, "AccessDenied")
	// Clean up: the restored record is versioned and CORS'd; the bucket is
	// empty.
	if _, err := a1.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bk}); err != nil {
		t.Fatal(err)
	}
}
