package e2e

// Tagging end to end (issue 16): object tags per version, bucket tags,
// x-amz-tagging on every write, the tag condition keys of bucket
// policies, through raw signed requests, aws-sdk-go-v2 and minio-go. Each
// row cites the AWS document or observed AWS answer it checks.

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/tags"
)

// tagDocE2E is a Tagging document of key, value pairs.
func tagDocE2E(kv ...string) []byte {
	var b strings.Builder
	b.WriteString("<Tagging><TagSet>")
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", kv[i], kv[i+1])
	}
	b.WriteString("</TagSet></Tagging>")
	return []byte(b.String())
}

func manyTags(n int) []string {
	var kv []string
	for i := range n {
		kv = append(kv, fmt.Sprintf("k%d", i), "v")
	}
	return kv
}

func contentMD5Of(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// sdkTags renders an SDK tag set as "k=v" strings in answer order.
func sdkTags(ts []types.Tag) []string {
	var out []string
	for _, t := range ts {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

func sdkTagSet(kv ...string) *types.Tagging {
	tg := &types.Tagging{TagSet: []types.Tag{}}
	for i := 0; i+1 < len(kv); i += 2 {
		tg.TagSet = append(tg.TagSet, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tg
}

// TestTaggingErrors: every refusal answers AWS's code and text, and
// leaves the tags as they were.
func TestTaggingErrors(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "tagerr")
	putBytes(t, cl, bucket, "obj", []byte("data"))
	if _, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Tagging: sdkTagSet("keep", "me")}); err != nil {
		t.Fatal(err)
	}
	obj := objPath(bucket, "obj")
	withMD5 := func(body []byte, kv ...string) http.Header {
		h := http.Header{"Content-Md5": {contentMD5Of(body)}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	copySrc := "/" + bucket + "/obj"
	type row struct {
		name, method, path, query string
		header                    http.Header
		body                      []byte
		status                    int
		code, msg                 string
	}
	body := func(b []byte) []byte { return b }
	rows := []row{
		// "Note that Amazon S3 limits the maximum number of tags to 10 tags
		// per object" (API_PutObjectTagging); the answer observed from S3
		// (terraform-provider-aws issue 41747).
		{"11 tags", "PUT", obj, "tagging", withMD5(tagDocE2E(manyTags(11)...)), body(tagDocE2E(manyTags(11)...)), 400, "BadRequest", "Object tags cannot be greater than 10"},
		// 128 / 256 Unicode characters (User Guide, "Categorizing your
		// objects using tags"); texts: versitygw / mint against S3.
		{"key of 129", "PUT", obj, "tagging", withMD5(tagDocE2E(strings.Repeat("k", 129), "v")), tagDocE2E(strings.Repeat("k", 129), "v"), 400, "InvalidTag", "The TagKey you have provided is invalid"},
		{"value of 257", "PUT", obj, "tagging", withMD5(tagDocE2E("k", strings.Repeat("v", 257))), tagDocE2E("k", strings.Repeat("v", 257)), 400, "InvalidTag", "The TagValue you have provided is invalid"},
		{"tab in a key", "PUT", obj, "tagging", withMD5(tagDocE2E("te\tst", "v")), tagDocE2E("te\tst", "v"), 400, "InvalidTag", "The TagKey you have provided is invalid"},
		// "Tags that are associated with an object must have unique tag keys."
		{"duplicate keys", "PUT", obj, "tagging", withMD5(tagDocE2E("k", "1", "k", "2")), tagDocE2E("k", "1", "k", "2"), 400, "InvalidTag", "Cannot provide multiple Tags with the same key"},
		// "The reserved prefix is aws:" (Billing, tag restrictions).
		{"aws: key", "PUT", obj, "tagging", withMD5(tagDocE2E("aws:k", "v")), tagDocE2E("aws:k", "v"), 400, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		// MalformedXML: "The XML provided does not match the schema".
		{"not a Tagging document", "PUT", obj, "tagging", withMD5([]byte("<Tagging><TagSet>")), []byte("<Tagging><TagSet>"), 400, "MalformedXML", ""},
		{"tag without Value", "PUT", obj, "tagging", withMD5([]byte("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")), []byte("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>"), 400, "MalformedXML", ""},
		// Content-MD5 is required (botocore requestChecksumRequired).
		{"no integrity header", "PUT", obj, "tagging", nil, tagDocE2E("k", "v"), 400, "InvalidRequest", "Missing required header for this request: Content-MD5"},
		{"missing key", "GET", objPath(bucket, "nope"), "tagging", nil, nil, 404, "NoSuchKey", ""},
		{"missing key put", "PUT", objPath(bucket, "nope"), "tagging", withMD5(tagDocE2E("k", "v")), tagDocE2E("k", "v"), 404, "NoSuchKey", ""},
		// x-amz-tagging: S3's answers recorded in aws-cli issue 2841 and
		// terraform-provider-aws issue 19895.
		{"header shorthand", "PUT", objPath(bucket, "h1"), "", hdr("X-Amz-Tagging", "TagSet=[{Key=string,Value=string}]"), []byte("x"), 400, "InvalidArgument",
			"The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."},
		{"header encoded shorthand", "PUT", objPath(bucket, "h2"), "", hdr("X-Amz-Tagging", "TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D"), []byte("x"), 400, "InvalidTag", "The TagKey you have provided is invalid"},
		{"header 11 tags", "PUT", objPath(bucket, "h3"), "", hdr("X-Amz-Tagging", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11"), []byte("x"), 400, "BadRequest", "Object tags cannot be greater than 10"},
		{"header duplicate", "POST", objPath(bucket, "h4"), "uploads", hdr("X-Amz-Tagging", "a=1&a=2"), nil, 400, "InvalidArgument",
			"The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."},
		// x-amz-tagging-directive: COPY | REPLACE (API_CopyObject).
		{"tagging directive MERGE", "PUT", objPath(bucket, "c1"), "", hdr("X-Amz-Copy-Source", copySrc, "X-Amz-Tagging-Directive", "MERGE"), nil, 400, "InvalidArgument", "Unknown tagging directive."},
		// Bucket tags: NoSuchTagSet (ErrorResponses; s3-tests
		// test_set_bucket_tagging), 50 tags, system tags.
		{"bucket without tags", "GET", "/" + bucket, "tagging", nil, nil, 404, "NoSuchTagSet", "The TagSet does not exist"},
		{"bucket 51 tags", "PUT", "/" + bucket, "tagging", withMD5(tagDocE2E(manyTags(51)...)), tagDocE2E(manyTags(51)...), 400, "BadRequest", "Bucket tag count cannot be greater than 50"},
		{"bucket aws: key", "PUT", "/" + bucket, "tagging", withMD5(tagDocE2E("aws:k", "v")), tagDocE2E("aws:k", "v"), 400, "InvalidTag", "System tags cannot be added/updated by requester"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			q, err := url.ParseQuery(r.query)
			if err != nil {
				t.Fatal(err)
			}
			resp := doRaw(t, rawReq{Method: r.method, Path: r.path, Query: q, Header: r.header, Body: r.body, Creds: &alice})
			e := wantXMLError(t, resp, r.status, r.code)
			if r.msg != "" && e.Message != r.msg {
				t.Errorf("message %q, want %q", e.Message, r.msg)
			}
		})
	}
	out, err := cl.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err != nil || !slices.Equal(sdkTags(out.TagSet), []string{"keep=me"}) {
		t.Errorf("tags after refusals %v, %v", sdkTags(out.TagSet), err)
	}
	for _, k := range []string{"h1", "h2", "h3", "c1"} {
		if _, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err == nil {
			t.Errorf("%s was written by a refused request", k)
		}
	}
}

// TestTaggingObjects drives the tag set of objects through aws-sdk-go-v2
// and raw requests: x-amz-tagging on PUT, CreateMultipartUpload, Copy and
// POST; GetObjectTagging, PutObjectTagging, DeleteObjectTagging; and
// x-amz-tagging-count on GET and HEAD.
func TestTaggingObjects(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "tagobj")
	get := func(key string) []string {
		t.Helper()
		out, err := cl.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObjectTagging %s: %v", key, err)
		}
		return sdkTags(out.TagSet)
	}
	want := func(what string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: tags %v, want %v", what, got, want)
		}
	}
	count := func(key string) string {
		t.Helper()
		r := doRaw(t, rawReq{Method: "HEAD", Path: objPath(bucket, key), Creds: &alice})
		wantStatus(t, r, 200)
		g := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, key), Creds: &alice})
		if g.Header.Get("X-Amz-Tagging-Count") != r.Header.Get("X-Amz-Tagging-Count") {
			t.Errorf("GET and HEAD disagree on x-amz-tagging-count: %q, %q", g.Header.Get("X-Amz-Tagging-Count"), r.Header.Get("X-Amz-Tagging-Count"))
		}
		return r.Header.Get("X-Amz-Tagging-Count")
	}

	// PutObject's x-amz-tagging, "encoded as URL Query parameters"
	// (API_PutObject); answered in key order (s3-tests
	// test_put_obj_with_tags), a bare name with the empty value.
	_, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a"), Body: strings.NewReader("a"),
		Tagging: aws.String("team=blue%20sky&env=dev&bare")})
	if err != nil {
		t.Fatal(err)
	}
	want("PutObject x-amz-tagging", get("a"), "bare=", "env=dev", "team=blue sky")
	// x-amz-tagging-count: "The number of tags, if any, on the object"
	// (API_GetObject, API_HeadObject): only when there are some.
	if c := count("a"); c != "3" {
		t.Errorf("x-amz-tagging-count %q, want 3", c)
	}
	if head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("a")}); err != nil || aws.ToInt32(head.TagCount) != 3 {
		t.Errorf("SDK TagCount %v, %v", head, err)
	}
	putBytes(t, cl, bucket, "plain", []byte("p"))
	if c := count("plain"); c != "" {
		t.Errorf("x-amz-tagging-count %q on an untagged object", c)
	}
	want("untagged", get("plain"))

	// PutObjectTagging replaces the set; an empty set and
	// DeleteObjectTagging remove it ("If you send this request with an
	// empty tag set, Amazon S3 deletes the existing tag set").
	if _, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("a"),
		Tagging: sdkTagSet("ключ", "値", "x", "_.:/=+-@")}); err != nil {
		t.Fatal(err)
	}
	want("PutObjectTagging", get("a"), "x=_.:/=+-@", "ключ=値")
	if getBytes(t, cl, bucket, "a")[0] != 'a' {
		t.Error("PutObjectTagging changed the bytes")
	}
	del := doRaw(t, rawReq{Method: "DELETE", Path: objPath(bucket, "a"), Query: url.Values{"tagging": {""}}, Creds: &alice})
	wantStatus(t, del, 204) // API_DeleteObjectTagging: 204
	want("DeleteObjectTagging", get("a"))
	if c := count("a"); c != "" {
		t.Errorf("x-amz-tagging-count %q after DeleteObjectTagging", c)
	}
	if _, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("a"), Tagging: sdkTagSet("k", "v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("a"), Tagging: sdkTagSet()}); err != nil {
		t.Fatal(err)
	}
	want("empty TagSet", get("a"))
	// A new PUT of the key starts with its own tags (none).
	if _, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("a"), Tagging: sdkTagSet("k", "v")}); err != nil {
		t.Fatal(err)
	}
	putBytes(t, cl, bucket, "a", []byte("a2"))
	want("overwritten", get("a"))

	// CreateMultipartUpload's x-amz-tagging is applied at Complete.
	mp, err := cl.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), Tagging: aws.String("phase=upload")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := cl.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1), ChecksumCRC32: part.ChecksumCRC32}}}}); err != nil {
		t.Fatal(err)
	}
	want("multipart", get("mp"), "phase=upload")

	// CopyObject: the directive defaults to COPY (API_CopyObject).
	src := aws.String(bucket + "/mp")
	if _, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: src}); err != nil {
		t.Fatal(err)
	}
	want("copy, default directive", get("copy"), "phase=upload")
	if _, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: src,
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("phase=copied&n=2")}); err != nil {
		t.Fatal(err)
	}
	want("copy, REPLACE", get("copy"), "n=2", "phase=copied")
	if _, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy2"), CopySource: src,
		TaggingDirective: types.TaggingDirectiveReplace}); err != nil {
		t.Fatal(err)
	}
	want("copy, REPLACE without tags", get("copy2"))
	// The metadata directive does not decide the tags.
	if _, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy3"), CopySource: src,
		MetadataDirective: types.MetadataDirectiveReplace, Tagging: aws.String("ignored=yes")}); err != nil {
		t.Fatal(err)
	}
	want("copy, metadata REPLACE, tagging COPY", get("copy3"), "phase=upload")

	// POST: the form's tagging field is a Tagging document ("POST
	// Object", form fields: "tagging ... <Tagging><TagSet>...").
	later := time.Now().Add(10 * time.Minute)
	doc := string(tagDocE2E("via", "form"))
	f := v4PostForm(t, alice, bucket, "posted", later, [][2]string{{"tagging", doc}},
		map[string]string{"key": "posted"}, map[string]string{"tagging": doc})
	f.fileName, f.file = "f.txt", []byte("form data")
	wantStatus(t, postForm(t, srv.base, "/"+bucket, f), 204)
	want("POST tagging field", get("posted"), "via=form")
	bad := v4PostForm(t, alice, bucket, "posted-bad", later, [][2]string{{"tagging", "via=form"}},
		map[string]string{"key": "posted-bad"}, map[string]string{"tagging": "via=form"})
	bad.fileName, bad.file = "f.txt", []byte("form data")
	wantXMLError(t, postForm(t, srv.base, "/"+bucket, bad), 400, "MalformedXML")

	// A presigned PUT carries x-amz-tagging in its query, where SDK
	// presigners put x-amz-* headers, and S3 applies it (observed: a
	// presigned x-amz-tagging=a%3Db%26c%3Dd set a=b and c=d).
	u := srv.base + objPath(bucket, "presigned") + "?X-Amz-Expires=300&x-amz-tagging=" + url.QueryEscape("a=b&c=d")
	preq, _ := http.NewRequest("PUT", u, nil)
	signed, _, err := rawSigner().PresignHTTP(ctxT(t), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret},
		preq, "UNSIGNED-PAYLOAD", "s3", region, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, httpPut(t, signed, []byte("presigned"), nil), 200)
	want("presigned x-amz-tagging", get("presigned"), "a=b", "c=d")

	// The answer's document (API_GetObjectTagging sample: namespaced).
	r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "posted"), Query: url.Values{"tagging": {""}}, Creds: &alice})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Body), `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>via</Key><Value>form</Value></Tag></TagSet></Tagging>`) {
		t.Errorf("GetObjectTagging body %s", r.Body)
	}
}

// TestTaggingVersions: tags follow the version; versionId addresses one
// (s3:PutObjectVersionTagging etc.), and the answers carry
// x-amz-version-id (API_PutObjectTagging, API_GetObjectTagging,
// API_DeleteObjectTagging "Response Syntax").
func TestTaggingVersions(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "tagver")
	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(body, tagging string) string {
		out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader(body), Tagging: aws.String(tagging)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	v1, v2 := put("one", "v=1"), put("two", "v=2")
	tagsOf := func(version string) ([]string, string) {
		t.Helper()
		in := &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := cl.GetObjectTagging(ctxT(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return sdkTags(out.TagSet), aws.ToString(out.VersionId)
	}
	if got, v := tagsOf(v1); !slices.Equal(got, []string{"v=1"}) || v != v1 {
		t.Errorf("v1: %v version %q", got, v)
	}
	if got, v := tagsOf(""); !slices.Equal(got, []string{"v=2"}) || v != v2 {
		t.Errorf("current: %v version %q, want v=2 of %s", got, v, v2)
	}
	out, err := cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: aws.String(v1), Tagging: sdkTagSet("old", "yes")})
	if err != nil || aws.ToString(out.VersionId) != v1 {
		t.Fatalf("PutObjectTagging v1: version %q, %v", aws.ToString(out.VersionId), err)
	}
	if got, _ := tagsOf(v1); !slices.Equal(got, []string{"old=yes"}) {
		t.Errorf("v1 after its change: %v", got)
	}
	if got, _ := tagsOf(v2); !slices.Equal(got, []string{"v=2"}) {
		t.Errorf("v2 after v1's change: %v", got)
	}
	// HEAD of a version counts that version's tags.
	head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: aws.String(v1)})
	if err != nil || aws.ToInt32(head.TagCount) != 1 {
		t.Errorf("HEAD v1 TagCount %v, %v", head.TagCount, err)
	}
	dout, err := cl.DeleteObjectTagging(ctxT(t), &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: aws.String(v2)})
	if err != nil || aws.ToString(dout.VersionId) != v2 {
		t.Fatalf("DeleteObjectTagging v2: %v, %v", dout, err)
	}
	if got, _ := tagsOf(v2); len(got) != 0 {
		t.Errorf("v2 after DeleteObjectTagging: %v", got)
	}
	if got, _ := tagsOf(v1); !slices.Equal(got, []string{"old=yes"}) {
		t.Errorf("v1 after v2's delete: %v", got)
	}
	// A version that does not exist; a delete marker (405, localstack's
	// AWS-validated get_object_tagging).
	_, err = cl.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
	if err == nil {
		t.Error("GetObjectTagging of an unknown version succeeded")
	}
	if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), Tagging: sdkTagSet("a", "b")})
	wantSDKError(t, err, 405, "MethodNotAllowed")
	if got, _ := tagsOf(v1); !slices.Equal(got, []string{"old=yes"}) {
		t.Errorf("v1 behind the marker: %v", got)
	}
}

// TestTaggingBuckets: PUT/GET/DELETE ?tagging on the bucket
// (API_PutBucketTagging: "it will overwrite any current tags";
// API_DeleteBucketTagging: 204; NoSuchTagSet when none).
func TestTaggingBuckets(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "tagbkt")
	kv := manyTags(50)
	if _, err := cl.PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: sdkTagSet(kv...)}); err != nil {
		t.Fatal(err)
	}
	out, err := cl.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil || len(out.TagSet) != 50 {
		t.Fatalf("GetBucketTagging: %d tags, %v", len(out.TagSet), err)
	}
	if _, err := cl.PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: sdkTagSet("cost-center", "42")}); err != nil {
		t.Fatal(err)
	}
	out, err = cl.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil || !slices.Equal(sdkTags(out.TagSet), []string{"cost-center=42"}) {
		t.Errorf("after overwrite: %v, %v", sdkTags(out.TagSet), err)
	}
	// Bucket tags are not object tags, and the reverse.
	putBytes(t, cl, bucket, "o", []byte("o"))
	if ot, err := cl.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("o")}); err != nil || len(ot.TagSet) != 0 {
		t.Errorf("object tags in a tagged bucket: %v, %v", ot, err)
	}
	r := doRaw(t, rawReq{Method: "DELETE", Path: "/" + bucket, Query: url.Values{"tagging": {""}}, Creds: &alice})
	wantStatus(t, r, 204)
	_, err = cl.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 404, "NoSuchTagSet")
	// Only the owner (or a policy) may: bob is refused.
	_, err = bobSDK().PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: sdkTagSet("a", "b")})
	wantSDKError(t, err, 403, "AccessDenied")
}

// TestTaggingMinio: minio-go's tagging calls (PutObjectTagging,
// GetObjectTagging, RemoveObjectTagging, UserTags on PutObject, bucket
// tagging) against the server.
func TestTaggingMinio(t *testing.T) {
	m := mc(t, alice, false)
	bucket := makeBucket(t, alice, "tagmc")
	ctx := ctxT(t)
	if _, err := m.PutObject(ctx, bucket, "o", strings.NewReader("data"), 4, minio.PutObjectOptions{UserTags: map[string]string{"team": "blue", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	got, err := m.GetObjectTagging(ctx, bucket, "o", minio.GetObjectTaggingOptions{})
	if err != nil || got.String() != "env=dev&team=blue" {
		t.Errorf("UserTags: %v, %v", got, err)
	}
	st, err := m.StatObject(ctx, bucket, "o", minio.StatObjectOptions{})
	if err != nil || st.UserTagCount != 2 {
		t.Errorf("StatObject UserTagCount %d, %v", st.UserTagCount, err)
	}
	tg, err := tags.NewTags(map[string]string{"a": "1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.PutObjectTagging(ctx, bucket, "o", tg, minio.PutObjectTaggingOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := m.GetObjectTagging(ctx, bucket, "o", minio.GetObjectTaggingOptions{}); err != nil || got.String() != "a=1" {
		t.Errorf("after PutObjectTagging: %v, %v", got, err)
	}
	if err := m.RemoveObjectTagging(ctx, bucket, "o", minio.RemoveObjectTaggingOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := m.GetObjectTagging(ctx, bucket, "o", minio.GetObjectTaggingOptions{}); err != nil || got.String() != "" {
		t.Errorf("after RemoveObjectTagging: %v, %v", got, err)
	}
	bt, err := tags.NewTags(map[string]string{"owner": "ops"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetBucketTagging(ctx, bucket, bt); err != nil {
		t.Fatal(err)
	}
	if got, err := m.GetBucketTagging(ctx, bucket); err != nil || got.String() != "owner=ops" {
		t.Errorf("GetBucketTagging: %v, %v", got, err)
	}
	if err := m.RemoveBucketTagging(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	_, err = m.GetBucketTagging(ctx, bucket)
	wantMinioError(t, err, 404, "NoSuchTagSet")
}

// TestTaggingPolicyConditions: the tag condition keys of a bucket policy
// ("Condition keys for Amazon S3": s3:ExistingObjectTag/<key>,
// s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys) decide bob's
// requests in alice's bucket.
func TestTaggingPolicyConditions(t *testing.T) {
	cl, bobCl := aliceSDK(), bobSDK()
	bucket := makeBucket(t, alice, "tagpol")
	if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("public"), Body: strings.NewReader("p"), Tagging: aws.String("Class=public")}); err != nil {
		t.Fatal(err)
	}
	putBytes(t, cl, bucket, "private", []byte("x"))
	putPolicy(t, cl, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*",
		 "Condition":{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}},
		{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
		 "Condition":{"StringEquals":{"s3:RequestObjectTag/team":"blue"},"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}},
		{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::BUCKET/*",
		 "Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["Class"]},"Null":{"s3:RequestObjectTagKeys":"false"}}}]}`))
	rows := []struct {
		name string
		do   func() error
		ok   bool
	}{
		{"GET a tagged object", func() error { return sdkGet(bobCl, bucket, "public") }, true},
		{"GET an untagged object", func() error { return sdkGet(bobCl, bucket, "private") }, false},
		{"PUT with team=blue", func() error {
			_, err := bobCl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("b1"), Body: strings.NewReader("b"), Tagging: aws.String("team=blue&env=x")})
			return err
		}, true},
		{"PUT with team=red", func() error {
			_, err := bobCl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("b2"), Body: strings.NewReader("b"), Tagging: aws.String("team=red")})
			return err
		}, false},
		{"PUT with an extra key", func() error {
			_, err := bobCl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("b3"), Body: strings.NewReader("b"), Tagging: aws.String("team=blue&cost=1")})
			return err
		}, false},
		{"PUT without tags", func() error { return sdkPut(bobCl, bucket, "b4", "b") }, false},
		{"PutObjectTagging with Class", func() error {
			_, err := bobCl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("private"), Tagging: sdkTagSet("Class", "public")})
			return err
		}, true},
		{"PutObjectTagging with another key", func() error {
			_, err := bobCl.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("public"), Tagging: sdkTagSet("Owner", "bob")})
			return err
		}, false},
	}
	for _, r := range rows {
		err := r.do()
		switch {
		case r.ok && err != nil:
			t.Errorf("%s: %v", r.name, err)
		case !r.ok:
			if err == nil {
				t.Errorf("%s: allowed", r.name)
				continue
			}
			wantSDKError(t, err, 403, "AccessDenied")
		}
	}
	// bob's PutObjectTagging made "private" public: he may read it now.
	wantOK(t, "GET after bob tagged it", sdkGet(bobCl, bucket, "private"))
}
