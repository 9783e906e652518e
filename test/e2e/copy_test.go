package e2e

// CopyObject: metadata directives, copying onto itself, cross-bucket copies,
// URL-encoded source keys, x-amz-copy-source-if-* conditions and the
// CopyObjectResult body.

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func putWithMeta(t *testing.T, cl *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	_, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType:        aws.String("text/plain"),
		CacheControl:       aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="src.txt"`),
		Metadata:           map[string]string{"color": "blue", "shape": "round"},
	})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

func head(t *testing.T, cl *s3.Client, bucket, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func copySrc(bucket, key string) *string { return aws.String(bucket + "/" + escapeKey(key)) }

func TestCopyObjectMetadataDirective(t *testing.T) {
	bucket := makeBucket(t, alice, "cpmeta")
	cl := aliceSDK()
	ctx := ctxT(t)
	data := []byte("copy me, with my metadata")
	putWithMeta(t, cl, bucket, "src", data)

	wantSourceMeta := func(t *testing.T, key string) {
		t.Helper()
		h := head(t, cl, bucket, key)
		if aws.ToString(h.ContentType) != "text/plain" || aws.ToString(h.CacheControl) != "max-age=60" ||
			aws.ToString(h.ContentDisposition) != `attachment; filename="src.txt"` {
			t.Errorf("%s: Content-Type %q Cache-Control %q Content-Disposition %q, want the source's", key,
				aws.ToString(h.ContentType), aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition))
		}
		if len(h.Metadata) != 2 || h.Metadata["color"] != "blue" || h.Metadata["shape"] != "round" {
			t.Errorf("%s: metadata %v, want the source's color=blue shape=round", key, h.Metadata)
		}
		if aws.ToString(h.ETag) != quotedMD5(data) {
			t.Errorf("%s: ETag %s, want %s", key, aws.ToString(h.ETag), quotedMD5(data))
		}
	}

	t.Run("default is COPY", func(t *testing.T) {
		out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst-default"), CopySource: copySrc(bucket, "src")})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != quotedMD5(data) || out.CopyObjectResult.LastModified == nil {
			t.Errorf("CopyObjectResult %+v, want ETag %s and LastModified", out.CopyObjectResult, quotedMD5(data))
		}
		wantSourceMeta(t, "dst-default")
		if !bytes.Equal(getBytes(t, cl, bucket, "dst-default"), data) {
			t.Errorf("copied content differs")
		}
	})
	t.Run("COPY ignores new metadata", func(t *testing.T) {
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst-copy"), CopySource: copySrc(bucket, "src"),
			MetadataDirective: types.MetadataDirectiveCopy, Metadata: map[string]string{"color": "green"}, ContentType: aws.String("application/json")})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		wantSourceMeta(t, "dst-copy")
	})
	t.Run("REPLACE", func(t *testing.T) {
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst-replace"), CopySource: copySrc(bucket, "src"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"color": "green"}, ContentType: aws.String("application/json")})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		h := head(t, cl, bucket, "dst-replace")
		if len(h.Metadata) != 1 || h.Metadata["color"] != "green" {
			t.Errorf("metadata %v, want exactly color=green", h.Metadata)
		}
		if aws.ToString(h.ContentType) != "application/json" {
			t.Errorf("Content-Type %q, want application/json", aws.ToString(h.ContentType))
		}
		if aws.ToString(h.CacheControl) != "" || aws.ToString(h.ContentDisposition) != "" {
			t.Errorf("REPLACE kept Cache-Control %q / Content-Disposition %q", aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition))
		}
		if aws.ToString(h.ETag) != quotedMD5(data) || !bytes.Equal(getBytes(t, cl, bucket, "dst-replace"), data) {
			t.Errorf("REPLACE changed the content or its ETag (%s)", aws.ToString(h.ETag))
		}
	})
	t.Run("unknown directive", func(t *testing.T) {
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst-bogus"), CopySource: copySrc(bucket, "src"),
			MetadataDirective: types.MetadataDirective("BOGUS")})
		wantSDKError(t, err, 400, "InvalidArgument")
		wantAbsent(t, bucket, "dst-bogus")
	})
}

func TestCopyObjectOntoItself(t *testing.T) {
	bucket := makeBucket(t, alice, "cpself")
	cl := aliceSDK()
	ctx := ctxT(t)
	data := []byte("self")
	putWithMeta(t, cl, bucket, "me", data)
	for _, d := range []types.MetadataDirective{"", types.MetadataDirectiveCopy} {
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("me"), CopySource: copySrc(bucket, "me"), MetadataDirective: d})
		wantSDKError(t, err, 400, "InvalidRequest")
	}
	before := head(t, cl, bucket, "me")
	time.Sleep(1100 * time.Millisecond) // LastModified has one-second resolution
	out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("me"), CopySource: copySrc(bucket, "me"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"edited": "yes"}, ContentType: aws.String("text/markdown")})
	if err != nil {
		t.Fatalf("CopyObject onto itself with REPLACE: %v", err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != quotedMD5(data) {
		t.Errorf("CopyObjectResult ETag %s, want %s", aws.ToString(out.CopyObjectResult.ETag), quotedMD5(data))
	}
	h := head(t, cl, bucket, "me")
	if len(h.Metadata) != 1 || h.Metadata["edited"] != "yes" || aws.ToString(h.ContentType) != "text/markdown" {
		t.Errorf("after the REPLACE self-copy: metadata %v Content-Type %q", h.Metadata, aws.ToString(h.ContentType))
	}
	if !h.LastModified.After(*before.LastModified) {
		t.Errorf("LastModified %v not after the original %v", h.LastModified, before.LastModified)
	}
	if !bytes.Equal(getBytes(t, cl, bucket, "me"), data) {
		t.Errorf("content changed by the self-copy")
	}
}

func TestCopyObjectCrossBucket(t *testing.T) {
	src := makeBucket(t, alice, "cpsrc")
	dst := makeBucket(t, alice, "cpdst")
	bobs := makeBucket(t, bob, "cpbob")
	cl := aliceSDK()
	ctx := ctxT(t)
	data := randomBytes(3*mib + 11)
	putWithMeta(t, cl, src, "dir/obj", data)
	out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copied/obj"), CopySource: copySrc(src, "dir/obj")})
	if err != nil {
		t.Fatalf("cross-bucket CopyObject: %v", err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != quotedMD5(data) {
		t.Errorf("ETag %s, want %s", aws.ToString(out.CopyObjectResult.ETag), quotedMD5(data))
	}
	if !bytes.Equal(getBytes(t, cl, dst, "copied/obj"), data) {
		t.Errorf("cross-bucket copy content differs")
	}
	if h := head(t, cl, dst, "copied/obj"); h.Metadata["color"] != "blue" {
		t.Errorf("cross-bucket copy metadata %v", h.Metadata)
	}
	// The leading-slash form of x-amz-copy-source.
	if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("slash"), CopySource: aws.String("/" + src + "/dir/obj")}); err != nil {
		t.Errorf("CopyObject with x-amz-copy-source /bucket/key: %v", err)
	}
	t.Run("errors", func(t *testing.T) {
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"), CopySource: copySrc(src, "no/such/key")})
		wantSDKError(t, err, 404, "NoSuchKey")
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"), CopySource: copySrc(newBucketName("nosuch"), "k")})
		wantSDKError(t, err, 404, "NoSuchBucket")
		// Bob's bucket: alice may neither read from it nor write into it.
		putBytes(t, bobSDK(), bobs, "secret", []byte("bob's"))
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("stolen"), CopySource: copySrc(bobs, "secret")})
		wantSDKError(t, err, 403, "AccessDenied")
		wantAbsent(t, dst, "stolen")
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bobs), Key: aws.String("planted"), CopySource: copySrc(src, "dir/obj")})
		wantSDKError(t, err, 403, "AccessDenied")
	})
}

// TestCopyObjectSourceKeyEncoding: x-amz-copy-source is URL-encoded; keys
// with spaces, '+', '%', unicode and '?' copy to the right object.
func TestCopyObjectSourceKeyEncoding(t *testing.T) {
	bucket := makeBucket(t, alice, "cpenc")
	cl := aliceSDK()
	m := mc(t, alice, false)
	ctx := ctxT(t)
	keys := []string{
		"with space.txt",
		"plus+sign.txt",
		"ünïcødé/ключ/日本.txt",
		"mix a+b ü/€ x=1&y.bin",
		"percent%20literal",
		"question?mark",
		"plus+and space",
	}
	for i, k := range keys {
		data := []byte("content of " + k)
		putBytes(t, cl, bucket, k, data)
		t.Run(k, func(t *testing.T) {
			dst := "copies/sdk-" + string(rune('a'+i))
			if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: copySrc(bucket, k)}); err != nil {
				t.Fatalf("CopyObject from %q: %v", k, err)
			}
			if got := getBytes(t, cl, bucket, dst); !bytes.Equal(got, data) {
				t.Errorf("copy of %q holds %q", k, got)
			}
			// Destination key with the same characters, through minio-go.
			mdst := "copies/minio " + k
			if _, err := m.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: mdst}, minio.CopySrcOptions{Bucket: bucket, Object: k}); err != nil {
				t.Fatalf("minio CopyObject from %q: %v", k, err)
			}
			if got := getBytes(t, cl, bucket, mdst); !bytes.Equal(got, data) {
				t.Errorf("minio copy of %q holds %q", k, got)
			}
		})
	}
	// A '+' sent unencoded is a literal '+' (path decoding, not form decoding).
	t.Run("raw literal plus", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "copies/raw-plus"), Creds: &alice,
			Header: http.Header{"X-Amz-Copy-Source": {bucket + "/plus+sign.txt"}}})
		wantStatus(t, r, 200)
		if got := getBytes(t, cl, bucket, "copies/raw-plus"); string(got) != "content of plus+sign.txt" {
			t.Errorf("copy of plus+sign.txt holds %q", got)
		}
	})
}

func TestCopyObjectConditions(t *testing.T) {
	bucket := makeBucket(t, alice, "cpcond")
	cl := aliceSDK()
	ctx := ctxT(t)
	data := []byte("conditional source")
	putBytes(t, cl, bucket, "src", data)
	h := head(t, cl, bucket, "src")
	etag := aws.ToString(h.ETag)
	lm := *h.LastModified // second resolution, as sent in Last-Modified
	hourBefore, hourAfter := lm.Add(-time.Hour), lm.Add(time.Hour)

	cases := []struct {
		name string
		set  func(*s3.CopyObjectInput)
		ok   bool
	}{
		{"if-match current", func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(etag) }, true},
		{"if-match other", func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) }, false},
		{"if-none-match current", func(in *s3.CopyObjectInput) { in.CopySourceIfNoneMatch = aws.String(etag) }, false},
		{"if-none-match other", func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
		}, true},
		{"if-modified-since before", func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = &hourBefore }, true},
		{"if-modified-since last-modified", func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = &lm }, false},
		{"if-unmodified-since after", func(in *s3.CopyObjectInput) { in.CopySourceIfUnmodifiedSince = &hourAfter }, true},
		{"if-unmodified-since before", func(in *s3.CopyObjectInput) { in.CopySourceIfUnmodifiedSince = &hourBefore }, false},
		// S3's documented combinations: a true if-match wins over a false
		// if-unmodified-since; a false if-none-match fails even with a
		// true if-modified-since.
		{"if-match true + if-unmodified-since false", func(in *s3.CopyObjectInput) {
			in.CopySourceIfMatch = aws.String(etag)
			in.CopySourceIfUnmodifiedSince = &hourBefore
		}, true},
		{"if-none-match false + if-modified-since true", func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch = aws.String(etag)
			in.CopySourceIfModifiedSince = &hourBefore
		}, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := "dst-" + string(rune('a'+i))
			in := &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: copySrc(bucket, "src")}
			c.set(in)
			_, err := cl.CopyObject(ctx, in)
			if c.ok {
				if err != nil {
					t.Fatalf("CopyObject: %v", err)
				}
				if !bytes.Equal(getBytes(t, cl, bucket, dst), data) {
					t.Errorf("copied content differs")
				}
				return
			}
			wantSDKError(t, err, 412, "PreconditionFailed")
			wantAbsent(t, bucket, dst)
		})
	}
}

// TestCopyObjectResultBody checks the raw CopyObjectResult document.
func TestCopyObjectResultBody(t *testing.T) {
	bucket := makeBucket(t, alice, "cpbody")
	cl := aliceSDK()
	data := []byte("raw copy")
	putBytes(t, cl, bucket, "src", data)
	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "dst"), Creds: &alice,
		Header: http.Header{"X-Amz-Copy-Source": {"/" + bucket + "/src"}}})
	wantStatus(t, r, 200)
	var res struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		ETag         string   `xml:"ETag"`
		LastModified string   `xml:"LastModified"`
	}
	if err := xml.Unmarshal(r.Body, &res); err != nil {
		t.Fatalf("CopyObjectResult: %v\n%s", err, r.Body)
	}
	if res.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" {
		t.Errorf("CopyObjectResult namespace %q", res.XMLName.Space)
	}
	if res.ETag != quotedMD5(data) {
		t.Errorf("CopyObjectResult ETag %q, want %q", res.ETag, quotedMD5(data))
	}
	if lm, err := time.Parse(time.RFC3339Nano, res.LastModified); err != nil || time.Since(lm) > time.Hour || time.Until(lm) > time.Minute {
		t.Errorf("CopyObjectResult LastModified %q (%v)", res.LastModified, err)
	}
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
		t.Errorf("Content-Type %q", ct)
	}
}
