package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

func bucketNames(t *testing.T, cl *s3.Client) []string {
	t.Helper()
	out, err := cl.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("bucket %s without CreationDate", aws.ToString(b.Name))
		}
	}
	return names
}

func TestBucketLifecycle(t *testing.T) {
	ctx := ctxT(t)
	a := aliceSDK()
	name := newBucketName("life")

	if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if !slices.Contains(bucketNames(t, a), name) {
		t.Errorf("ListBuckets does not show the new bucket %s", name)
	}
	if _, err := a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("HeadBucket: %v", err)
	}
	loc, err := a.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
	if err != nil {
		t.Errorf("GetBucketLocation: %v", err)
	} else if c := string(loc.LocationConstraint); c != "" {
		t.Errorf("GetBucketLocation = %q, want empty (us-east-1)", c)
	}

	t.Run("create again in us-east-1 is 200", func(t *testing.T) {
		// AWS's legacy us-east-1 behaviour (CreateBucket API reference):
		// 200 OK for the owner; other regions answer 409
		// BucketAlreadyOwnedByYou (TestWireBehave).
		if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("CreateBucket again: %v", err)
		}
	})
	t.Run("another owner gets BucketAlreadyExists", func(t *testing.T) {
		_, err := bobSDK().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 409, "BucketAlreadyExists")
	})

	putBytes(t, a, name, "dir/obj", []byte("x"))
	t.Run("delete non-empty is BucketNotEmpty", func(t *testing.T) {
		_, err := a.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 409, "BucketNotEmpty")
		r := doRaw(t, rawReq{Method: "DELETE", Path: "/" + name, Creds: &alice})
		wantXMLError(t, r, 409, "BucketNotEmpty")
	})
	if _, err := a.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String("dir/obj")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	// Deleting the last object must leave no directory behind that keeps
	// the bucket "non-empty".
	r := doRaw(t, rawReq{Method: "DELETE", Path: "/" + name, Creds: &alice})
	wantStatus(t, r, 204)

	t.Run("gone", func(t *testing.T) {
		_, err := a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 404, "")
		if slices.Contains(bucketNames(t, a), name) {
			t.Errorf("ListBuckets still shows deleted bucket %s", name)
		}
		_, err = a.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 404, "NoSuchBucket")
		_, err = a.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
		wantSDKError(t, err, 404, "NoSuchBucket")
		_, err = a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String("dir/obj")})
		wantSDKError(t, err, 404, "NoSuchBucket")
		r := doRaw(t, rawReq{Method: "PUT", Path: "/" + name + "/k", Body: []byte("data"), Creds: &alice})
		wantXMLError(t, r, 404, "NoSuchBucket")
		r = doRaw(t, rawReq{Method: "HEAD", Path: "/" + name, Creds: &alice})
		wantStatus(t, r, 404)
		if len(r.Body) != 0 {
			t.Errorf("HEAD error with a body: %q", r.Body)
		}
	})

	t.Run("name can be reused by another owner", func(t *testing.T) {
		b := bobSDK()
		if _, err := b.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("bob CreateBucket of a deleted name: %v", err)
		}
		if _, err := b.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("bob DeleteBucket: %v", err)
		}
	})
}

func TestInvalidBucketNames(t *testing.T) {
	bad := []string{
		"ab",                    // too short
		"Bad_Name",              // upper case and underscore
		"UPPERCASE",             // upper case
		"-leading-dash",         // must start with letter or digit
		"trailing-dash-",        // must end with letter or digit
		"double..dots",          // no ".."
		"dash.-dot",             // no ".-"
		"192.168.10.1",          // IP address
		strings.Repeat("a", 64), // too long
	}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "PUT", Path: "/" + name, Creds: &alice})
			wantXMLError(t, r, 400, "InvalidBucketName")
		})
	}
	t.Run("sdk", func(t *testing.T) {
		_, err := aliceSDK().CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("not_valid")})
		wantSDKError(t, err, 400, "InvalidBucketName")
	})
	t.Run("minio-go with a valid name", func(t *testing.T) {
		// minio-go validates names itself; check a valid one round-trips
		// and that GetBucketLocation through it works.
		m := mc(t, alice, false)
		name := newBucketName("mc-mk")
		if err := m.MakeBucket(ctxT(t), name, minio.MakeBucketOptions{Region: region}); err != nil {
			t.Fatalf("MakeBucket: %v", err)
		}
		ok, err := m.BucketExists(ctxT(t), name)
		if err != nil || !ok {
			t.Errorf("BucketExists = %v, %v", ok, err)
		}
		loc, err := m.GetBucketLocation(ctxT(t), name)
		if err != nil || loc != region {
			t.Errorf("GetBucketLocation = %q, %v", loc, err)
		}
		// us-east-1: the owner re-creating its bucket gets 200 (AWS's
		// legacy behaviour there).
		if err := m.MakeBucket(ctxT(t), name, minio.MakeBucketOptions{Region: region}); err != nil {
			t.Errorf("MakeBucket again: %v", err)
		}
		if err := m.RemoveBucket(ctxT(t), name); err != nil {
			t.Errorf("RemoveBucket: %v", err)
		}
		ok, err = m.BucketExists(ctxT(t), name)
		if err != nil || ok {
			t.Errorf("BucketExists after remove = %v, %v", ok, err)
		}
	})
}

// TestCrossOwnerIsolation: bob can neither see nor touch alice's bucket.
func TestCrossOwnerIsolation(t *testing.T) {
	ctx := ctxT(t)
	a, b := aliceSDK(), bobSDK()
	name := makeBucket(t, alice, "iso")
	putBytes(t, a, name, "secret.txt", []byte("alice's data"))
	bobBucket := makeBucket(t, bob, "iso-bob")

	if slices.Contains(bucketNames(t, b), name) {
		t.Errorf("bob's ListBuckets shows alice's bucket %s", name)
	}
	if !slices.Contains(bucketNames(t, b), bobBucket) {
		t.Errorf("bob's ListBuckets does not show his bucket %s", bobBucket)
	}
	if slices.Contains(bucketNames(t, a), bobBucket) {
		t.Errorf("alice's ListBuckets shows bob's bucket %s", bobBucket)
	}

	_, err := b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	wantSDKError(t, err, 403, "")
	_, err = b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = b.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(name)})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String("secret.txt")})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String("secret.txt")})
	wantSDKError(t, err, 403, "")
	_, err = b.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
	wantSDKError(t, err, 403, "AccessDenied")

	r := doRaw(t, rawReq{Method: "PUT", Path: "/" + name + "/secret.txt", Body: []byte("bob was here"), Creds: &bob})
	wantXMLError(t, r, 403, "AccessDenied")
	r = doRaw(t, rawReq{Method: "PUT", Path: "/" + name + "/bobs-new", Body: []byte("bob was here"), Creds: &bob})
	wantXMLError(t, r, 403, "AccessDenied")
	r = doRaw(t, rawReq{Method: "DELETE", Path: "/" + name + "/secret.txt", Creds: &bob})
	wantXMLError(t, r, 403, "AccessDenied")
	r = doRaw(t, rawReq{Method: "DELETE", Path: "/" + name, Creds: &bob})
	wantXMLError(t, r, 403, "AccessDenied")
	r = doRaw(t, rawReq{Method: "GET", Path: "/" + name + "/secret.txt", Creds: &bob})
	wantXMLError(t, r, 403, "AccessDenied")
	if strings.Contains(string(r.Body), "alice's data") {
		t.Errorf("bob read alice's object")
	}

	// Nothing changed for alice.
	if got := string(getBytes(t, a, name, "secret.txt")); got != "alice's data" {
		t.Errorf("alice's object is now %q", got)
	}
	if objectExists(t, name, "bobs-new") {
		t.Errorf("bob created an object in alice's bucket")
	}
	if _, err := a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("alice's bucket is gone: %v", err)
	}

	// minio-go sees the same.
	m := mc(t, bob, false)
	_, err = m.StatObject(ctx, name, "secret.txt", minio.StatObjectOptions{})
	wantMinioError(t, err, 403, "")
	o, err := m.GetObject(ctx, name, "secret.txt", minio.GetObjectOptions{})
	if err == nil {
		// GetObject is lazy in minio-go; Stat sends the request.
		_, err = o.Stat()
		o.Close()
	}
	wantMinioError(t, err, 403, "AccessDenied")
}
