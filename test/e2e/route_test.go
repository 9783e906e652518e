package e2e

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestHandlePathRoute drives the same store under /s3/ (handle_path strips
// the prefix; signatures still cover the path the client sent).
func TestHandlePathRoute(t *testing.T) {
	ctx := ctxT(t)
	sub := sdk(alice, srv.base+"/s3")
	bucket := newBucketName("route")
	if _, err := sub.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket under /s3: %v", err)
	}
	data := randomBytes(5000)
	if _, err := sub.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("via route/ü"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject under /s3: %v", err)
	}
	if got := getBytes(t, sub, bucket, "via route/ü"); !bytes.Equal(got, data) {
		t.Errorf("GET under /s3 differs")
	}
	// Same store at the root.
	if got := getBytes(t, aliceSDK(), bucket, "via route/ü"); !bytes.Equal(got, data) {
		t.Errorf("GET at / of an object put under /s3 differs")
	}
	out, err := sub.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatalf("ListObjectsV2 under /s3: %v", err)
	}
	if len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "via route/" {
		t.Errorf("ListObjectsV2 under /s3: %+v", out.CommonPrefixes)
	}
	buckets, err := sub.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets under /s3: %v", err)
	}
	found := false
	for _, b := range buckets.Buckets {
		found = found || aws.ToString(b.Name) == bucket
	}
	if !found {
		t.Errorf("ListBuckets under /s3 misses %s", bucket)
	}

	t.Run("presigned", func(t *testing.T) {
		req, err := s3.NewPresignClient(sub).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("via route/ü")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(req.URL, "/s3/"+bucket+"/") {
			t.Fatalf("presigned URL %s is not under /s3/", req.URL)
		}
		r := httpGet(t, req.URL)
		wantStatus(t, r, 200)
		if !bytes.Equal(r.Body, data) {
			t.Errorf("presigned GET under /s3 differs")
		}
		// The signature covers /s3/...: the same query at / must fail.
		wantXMLError(t, httpGet(t, strings.Replace(req.URL, "/s3/", "/", 1)), 403, "SignatureDoesNotMatch")
	})
	t.Run("errors", func(t *testing.T) {
		_, err := sub.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
		wantSDKError(t, err, 404, "NoSuchKey")
		_, err = sdk(creds{aliceKey, "wrong-secret-0000000000000000000000000000"}, srv.base+"/s3").ListBuckets(ctx, &s3.ListBucketsInput{})
		wantSDKError(t, err, 403, "SignatureDoesNotMatch")
		r := doRaw(t, rawReq{Method: "GET", Path: "/s3/" + bucket, Query: url.Values{"logging": {""}}, Creds: &alice})
		wantXMLError(t, r, 501, "NotImplemented")
		r = doRaw(t, rawReq{Method: "GET", Path: "/s3/"})
		wantXMLError(t, r, 403, "AccessDenied")
	})
	if _, err := sub.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("via route/ü")}); err != nil {
		t.Errorf("DeleteObject under /s3: %v", err)
	}
	if _, err := sub.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("DeleteBucket under /s3: %v", err)
	}
}

// TestNotImplemented: unimplemented sub-resources answer 501, never a wrong
// success.
func TestNotImplemented(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "notimpl")
	putBytes(t, aliceSDK(), bucket, "k", []byte("unchanged"))
	for _, tc := range []struct {
		method, path, sub string
	}{
		{"GET", "/" + bucket, "logging"},
		{"PUT", "/" + bucket, "website"},
		{"GET", "/" + bucket, "replication"},
		{"GET", "/" + bucket + "/k", "torrent"},
		{"PUT", "/" + bucket + "/k", "restore"},
	} {
		t.Run(tc.method+" "+tc.path+"?"+tc.sub, func(t *testing.T) {
			var body []byte
			if tc.method == "PUT" {
				body = []byte(`<Tagging><TagSet/></Tagging>`)
			}
			r := doRaw(t, rawReq{Method: tc.method, Path: tc.path, Query: url.Values{tc.sub: {""}}, Body: body, Creds: &alice})
			wantXMLError(t, r, 501, "NotImplemented")
		})
	}
	if got := string(getBytes(t, aliceSDK(), bucket, "k")); got != "unchanged" {
		t.Errorf("a NotImplemented PUT changed the object to %q", got)
	}
	_, err := aliceSDK().GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 501, "NotImplemented")
}

// TestPathTraversal: keys with ".." components are literal keys of the
// bucket, and nothing is written outside the storage root or into another
// bucket.
func TestPathTraversal(t *testing.T) {
	bucket := makeBucket(t, alice, "trav")
	victim := makeBucket(t, bob, "victim")
	putBytes(t, bobSDK(), victim, "secret", []byte("bob's secret"))
	marker := "escape-" + bucket[len(bucket)-6:]
	// S3 keys may contain "..": each path is stored as that literal key
	// inside the bucket (the percent-encoded forms decode to the same
	// key) and reads back from the same path, also where a key is the
	// parent "directory" of a key stored before it (AWS stores both, and
	// so do we).
	for _, c := range []struct {
		path     string
		conflict bool // a prefix of a key stored before it
	}{
		{"/" + bucket + "/../" + marker, false},
		{"/" + bucket + "/../../" + marker, false},
		{"/" + bucket + "/../../../" + marker, false},
		{"/" + bucket + "/a/../../../" + marker, false},
		{"/" + bucket + "/%2E%2E/%2E%2E/" + marker, false},
		{"/" + bucket + "/..%2F..%2F" + marker, false},
		{"/" + bucket + "/a/%2e%2e/%2e%2e/%2e%2e/" + marker, false},
		{"/" + bucket + "/../" + victim + "/" + marker, false},
		{"/" + bucket + "/..", true},   // "../" + marker is stored
		{"/" + bucket + "/a/..", true}, // "a/../../../" + marker is stored
	} {
		p := c.path
		t.Run(p, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "PUT", Path: signedForm(t, p), SendPath: p, Body: []byte("escaped!"), Creds: &alice})
			wantStatus(t, r, 200)
			g := doRaw(t, rawReq{Method: "GET", Path: signedForm(t, p), SendPath: p, Creds: &alice})
			if g.Status != 200 || string(g.Body) != "escaped!" {
				t.Errorf("PUT %s stored, but GET of the same key gives %s", p, g)
			}
		})
	}
	// Reading through traversal names a key in alice's bucket, which does
	// not exist: it does not reach bob's bucket.
	for _, p := range []string{
		"/" + bucket + "/../" + victim + "/secret",
		"/" + bucket + "/%2E%2E/" + victim + "/secret",
		"/" + bucket + "/..%2F" + victim + "%2Fsecret",
	} {
		t.Run("GET "+p, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "GET", Path: signedForm(t, p), SendPath: p, Creds: &alice})
			if e := wantXMLError(t, r, 404, "NoSuchKey"); e.Key != "../"+victim+"/secret" {
				t.Errorf("GET %s: NoSuchKey names key %q, want %q", p, e.Key, "../"+victim+"/secret")
			}
			if bytes.Contains(r.Body, []byte("bob's secret")) {
				t.Errorf("GET %s returned bob's object", p)
			}
		})
	}
	// Look for the marker anywhere in the work directory.
	var found []string
	inBucket := filepath.Join(srv.root, bucket) + string(filepath.Separator)
	_ = filepath.WalkDir(srv.work, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), marker) && !strings.HasPrefix(path, inBucket) {
			found = append(found, path)
		}
		return nil
	})
	if len(found) > 0 {
		t.Errorf("traversal wrote files outside the bucket: %v", found)
	}
	out, err := bobSDK().ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(victim)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if !slices.Equal(keys, []string{"secret"}) {
		t.Errorf("victim bucket now holds %q", keys)
	}
	if got := string(getBytes(t, bobSDK(), victim, "secret")); got != "bob's secret" {
		t.Errorf("victim object changed to %q", got)
	}
	// Nothing appeared next to the storage root.
	entries, _ := os.ReadDir(filepath.Dir(srv.root))
	for _, e := range entries {
		if e.Name() != filepath.Base(srv.root) {
			t.Errorf("unexpected entry %s next to the storage root", e.Name())
		}
	}
}

// signedForm is the S3 canonical URI of p: each '/'-separated segment
// decoded and URI-encoded once ("%2E%2E" becomes "..", "%2F" stays), so a
// percent-encoded path passes the signature check and reaches the key
// validation.
func signedForm(t *testing.T, p string) string {
	t.Helper()
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		d, err := url.PathUnescape(seg)
		if err != nil {
			t.Fatal(err)
		}
		segs[i] = strings.ReplaceAll(escapeKey(d), "/", "%2F")
	}
	return strings.Join(segs, "/")
}

// TestRequestIDs: every response, success or error, carries a unique
// x-amz-request-id (and x-amz-id-2); TestMain also checks every response
// seen by any client.
func TestRequestIDs(t *testing.T) {
	bucket := makeBucket(t, alice, "reqid")
	seen := map[string]bool{}
	for _, r := range []rawResp{
		doRaw(t, rawReq{Method: "GET", Path: "/", Creds: &alice}),
		doRaw(t, rawReq{Method: "GET", Path: "/"}),
		doRaw(t, rawReq{Method: "HEAD", Path: "/" + bucket, Creds: &alice}),
		doRaw(t, rawReq{Method: "HEAD", Path: "/" + bucket + "/missing", Creds: &alice}),
		doRaw(t, rawReq{Method: "GET", Path: "/" + bucket + "/missing", Creds: &alice}),
		doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket + "/k", Body: []byte("x"), Creds: &alice}),
		doRaw(t, rawReq{Method: "GET", Path: "/" + bucket + "/k", Creds: &alice, Header: http.Header{"If-None-Match": {quotedMD5([]byte("x"))}}}),
		doRaw(t, rawReq{Method: "DELETE", Path: "/" + bucket + "/k", Creds: &alice}),
		doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: url.Values{"tagging": {""}}, Creds: &alice}),
		doRaw(t, rawReq{Method: "GET", Path: "/s3/" + bucket, Creds: &alice}),
	} {
		id := r.Header.Get("X-Amz-Request-Id")
		if id == "" {
			t.Errorf("no x-amz-request-id on %s", r)
		} else if seen[id] {
			t.Errorf("x-amz-request-id %s repeated", id)
		}
		seen[id] = true
		if r.Header.Get("X-Amz-Id-2") == "" {
			t.Errorf("no x-amz-id-2 on HTTP %d", r.Status)
		}
	}
}

// A bucket where versioning was never enabled: GetBucketVersioning answers
// an empty configuration (rclone and others ask), and only to the owner.
func TestGetBucketVersioning(t *testing.T) {
	bucket := makeBucket(t, alice, "vers")
	out, err := aliceSDK().GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != "" || out.MFADelete != "" {
		t.Errorf("versioning status %q mfa %q, want empty", out.Status, out.MFADelete)
	}
	_, err = bobSDK().GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 403, "AccessDenied")
}

// TestGetObjectTagging: tags are not stored, so every object has an empty
// tag set (aws-cli v2 reads it before each multipart copy); a missing key
// is NoSuchKey and another account's object AccessDenied.
func TestGetObjectTagging(t *testing.T) {
	bucket := makeBucket(t, alice, "tagging")
	putBytes(t, aliceSDK(), bucket, "k", []byte("x"))
	out, err := aliceSDK().GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if out.TagSet == nil || len(out.TagSet) != 0 {
		t.Errorf("TagSet = %#v, want empty", out.TagSet)
	}
	_, err = aliceSDK().GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	wantSDKError(t, err, 404, "NoSuchKey")
	_, err = bobSDK().GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantSDKError(t, err, 403, "AccessDenied")
	// Setting tags: tagging_test.go.
}
