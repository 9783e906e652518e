package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

const bigSize = 64 << 20

func quotedMD5(b []byte) string { return `"` + md5Hex(b) + `"` }

// TestObjectSizes puts and gets 0 B, 1 KiB and 64 MiB objects, each as one
// PUT, with the SDK (hex sha256 + CRC32 header over HTTP) and minio-go
// (signed aws-chunked streaming).
func TestObjectSizes(t *testing.T) {
	bucket := makeBucket(t, alice, "sizes")
	a := aliceSDK()
	m := mc(t, alice, false)
	for _, size := range []int{0, 1024, bigSize} {
		data := randomBytes(size)
		sum := sha256.Sum256(data)
		t.Run(fmt.Sprintf("sdk/%d", size), func(t *testing.T) {
			ctx := ctxT(t)
			key := fmt.Sprintf("sdk/obj-%d", size)
			out := putBytes(t, a, bucket, key, data)
			if got := aws.ToString(out.ETag); got != quotedMD5(data) {
				t.Errorf("PutObject ETag %s, want %s", got, quotedMD5(data))
			}
			head, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != int64(size) {
				t.Errorf("HeadObject ContentLength %d, want %d", aws.ToInt64(head.ContentLength), size)
			}
			if aws.ToString(head.ETag) != quotedMD5(data) {
				t.Errorf("HeadObject ETag %s, want %s", aws.ToString(head.ETag), quotedMD5(data))
			}
			if head.LastModified == nil || time.Since(*head.LastModified) > time.Hour || time.Until(*head.LastModified) > time.Minute {
				t.Errorf("HeadObject LastModified %v is not about now", head.LastModified)
			}
			get, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			wantStreamed(t, "GetObject", get.Body, int64(size), sum[:])
		})
		t.Run(fmt.Sprintf("minio/%d", size), func(t *testing.T) {
			ctx := ctxT(t)
			key := fmt.Sprintf("minio/obj-%d", size)
			info, err := m.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(size), minio.PutObjectOptions{
				DisableMultipart: true, PartSize: 128 << 20,
			})
			if err != nil {
				t.Fatalf("minio PutObject: %v", err)
			}
			if info.ETag != md5Hex(data) {
				t.Errorf("minio PutObject ETag %s, want %s", info.ETag, md5Hex(data))
			}
			st, err := m.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
			if err != nil {
				t.Fatalf("StatObject: %v", err)
			}
			if st.Size != int64(size) || st.ETag != md5Hex(data) {
				t.Errorf("StatObject size %d etag %s, want %d %s", st.Size, st.ETag, size, md5Hex(data))
			}
			obj, err := m.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatalf("minio GetObject: %v", err)
			}
			wantStreamed(t, "minio GetObject", obj, int64(size), sum[:])
		})
	}
	if wire.payloadCount("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0 {
		t.Errorf("minio-go never sent a signed aws-chunked upload; the streaming path was not exercised")
	}
}

func TestOverwriteAndDelete(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "ovw")
	a := aliceSDK()
	putBytes(t, a, bucket, "k", []byte("first version"))
	out := putBytes(t, a, bucket, "k", []byte("second"))
	if got := string(getBytes(t, a, bucket, "k")); got != "second" {
		t.Errorf("after overwrite got %q", got)
	}
	if aws.ToString(out.ETag) != quotedMD5([]byte("second")) {
		t.Errorf("ETag after overwrite %s", aws.ToString(out.ETag))
	}

	r := doRaw(t, rawReq{Method: "DELETE", Path: objPath(bucket, "k"), Creds: &alice})
	wantStatus(t, r, 204)
	wantAbsent(t, bucket, "k")
	// Deleting a missing key succeeds with 204 too.
	r = doRaw(t, rawReq{Method: "DELETE", Path: objPath(bucket, "never-existed"), Creds: &alice})
	wantStatus(t, r, 204)
	if _, err := a.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("never/existed/either")}); err != nil {
		t.Errorf("SDK DeleteObject of a missing key: %v", err)
	}
	if err := mc(t, alice, false).RemoveObject(ctx, bucket, "missing", minio.RemoveObjectOptions{}); err != nil {
		t.Errorf("minio RemoveObject of a missing key: %v", err)
	}
}

func TestMissingObject(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "missing")
	putBytes(t, aliceSDK(), bucket, "dir/present", []byte("here"))

	_, err := aliceSDK().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
	wantSDKError(t, err, 404, "NoSuchKey")
	r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "nope"), Creds: &alice})
	e := wantXMLError(t, r, 404, "NoSuchKey")
	if e.Key != "nope" {
		t.Errorf("NoSuchKey names key %q", e.Key)
	}
	// A "directory" of the store is not an object.
	r = doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "dir"), Creds: &alice})
	wantXMLError(t, r, 404, "NoSuchKey")
	// Below an existing object.
	r = doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "dir/present/below"), Creds: &alice})
	wantXMLError(t, r, 404, "NoSuchKey")
	_, err = aliceSDK().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
	wantSDKError(t, err, 404, "")

	// HEAD errors have status and headers but no body: read the raw bytes.
	t.Run("HEAD error has no body on the wire", func(t *testing.T) {
		req := buildRaw(t, rawReq{Method: "HEAD", Path: objPath(bucket, "nope"), Creds: &alice})
		conn, err := net.DialTimeout("tcp", srv.hostport, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req.Header.Set("Connection", "close")
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 404 {
			t.Errorf("HEAD missing key: status %d", resp.StatusCode)
		}
		if resp.Header.Get("X-Amz-Request-Id") == "" {
			t.Errorf("HEAD error without x-amz-request-id")
		}
		rest, _ := io.ReadAll(br) // server closes the connection
		if len(rest) != 0 {
			t.Errorf("HEAD error sent %d body bytes: %q", len(rest), rest)
		}
	})
}

func TestMetadataRoundTrip(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "meta")
	a := aliceSDK()
	expires := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	body := []byte("metadata test body")
	_, err := a.PutObject(ctx, &s3.PutObjectInput{
		Bucket:             aws.String(bucket),
		Key:                aws.String("m/obj.txt"),
		Body:               bytes.NewReader(body),
		ContentType:        aws.String("text/plain; charset=utf-8"),
		ContentEncoding:    aws.String("gzip"),
		ContentDisposition: aws.String(`attachment; filename="report.txt"`),
		ContentLanguage:    aws.String("de-CH"),
		CacheControl:       aws.String("max-age=60, private"),
		Expires:            &expires,
		Metadata:           map[string]string{"color": "blue", "multi-word": "a b  c", "empty-ish": "-"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	check := func(t *testing.T, what string, ct, ce, cd, cl, cc, exp *string, md map[string]string) {
		t.Helper()
		eq := func(field string, got *string, want string) {
			if aws.ToString(got) != want {
				t.Errorf("%s %s = %q, want %q", what, field, aws.ToString(got), want)
			}
		}
		eq("Content-Type", ct, "text/plain; charset=utf-8")
		eq("Content-Encoding", ce, "gzip")
		eq("Content-Disposition", cd, `attachment; filename="report.txt"`)
		eq("Content-Language", cl, "de-CH")
		eq("Cache-Control", cc, "max-age=60, private")
		if got, err := http.ParseTime(aws.ToString(exp)); err != nil || !got.Equal(expires) {
			t.Errorf("%s Expires = %q, want %v", what, aws.ToString(exp), expires.Format(http.TimeFormat))
		}
		want := map[string]string{"color": "blue", "multi-word": "a b  c", "empty-ish": "-"}
		for k, v := range want {
			if md[k] != v {
				t.Errorf("%s x-amz-meta-%s = %q, want %q (all: %v)", what, k, md[k], v, md)
			}
		}
		if len(md) != len(want) {
			t.Errorf("%s metadata %v, want %v", what, md, want)
		}
	}
	head, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("m/obj.txt")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	check(t, "HEAD", head.ContentType, head.ContentEncoding, head.ContentDisposition, head.ContentLanguage, head.CacheControl, head.ExpiresString, head.Metadata)
	get, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("m/obj.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("GET body %q (the SDK must not have decoded it)", got)
	}
	check(t, "GET", get.ContentType, get.ContentEncoding, get.ContentDisposition, get.ContentLanguage, get.CacheControl, get.ExpiresString, get.Metadata)

	t.Run("raw headers", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "HEAD", Path: objPath(bucket, "m/obj.txt"), Creds: &alice})
		wantStatus(t, r, 200)
		if r.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("Accept-Ranges = %q", r.Header.Get("Accept-Ranges"))
		}
		if lm := r.Header.Get("Last-Modified"); !strings.HasSuffix(lm, " GMT") {
			t.Errorf("Last-Modified %q is not an RFC 1123 GMT date", lm)
		}
		if r.Header.Get("X-Amz-Meta-Color") != "blue" {
			t.Errorf("x-amz-meta-color = %q", r.Header.Get("X-Amz-Meta-Color"))
		}
		if r.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Errorf("HEAD Content-Length = %q, want %d", r.Header.Get("Content-Length"), len(body))
		}
	})

	t.Run("default content type", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "no-type"), Body: []byte("x"), Creds: &alice})
		wantStatus(t, r, 200)
		if r.Header.Get("ETag") != quotedMD5([]byte("x")) {
			t.Errorf("raw PUT ETag %q, want %q", r.Header.Get("ETag"), quotedMD5([]byte("x")))
		}
		r = doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "no-type"), Creds: &alice})
		wantStatus(t, r, 200)
		if ct := r.Header.Get("Content-Type"); ct != "binary/octet-stream" {
			t.Errorf("default Content-Type %q, want binary/octet-stream", ct)
		}
	})

	t.Run("minio-go", func(t *testing.T) {
		m := mc(t, alice, false)
		_, err := m.PutObject(ctx, bucket, "m/minio", strings.NewReader("hello"), 5, minio.PutObjectOptions{
			ContentType:  "application/json",
			CacheControl: "no-cache",
			UserMetadata: map[string]string{"Owner-Note": "from minio"},
		})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		st, err := m.StatObject(ctx, bucket, "m/minio", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		if st.ContentType != "application/json" || st.Metadata.Get("Cache-Control") != "no-cache" {
			t.Errorf("StatObject content type %q cache control %q", st.ContentType, st.Metadata.Get("Cache-Control"))
		}
		if st.UserMetadata["Owner-Note"] != "from minio" {
			t.Errorf("StatObject user metadata %v", st.UserMetadata)
		}
	})
}

// TestRanges checks single byte ranges on a 1 KiB object.
func TestRanges(t *testing.T) {
	bucket := makeBucket(t, alice, "range")
	data := randomBytes(1024)
	putBytes(t, aliceSDK(), bucket, "r", data)
	for _, tc := range []struct {
		rng        string
		from, to   int // inclusive
		contentRng string
	}{
		{"bytes=0-9", 0, 9, "bytes 0-9/1024"},
		{"bytes=100-100", 100, 100, "bytes 100-100/1024"},
		{"bytes=1000-", 1000, 1023, "bytes 1000-1023/1024"},
		{"bytes=-16", 1008, 1023, "bytes 1008-1023/1024"},
		{"bytes=1000-5000", 1000, 1023, "bytes 1000-1023/1024"},
		{"bytes=0-", 0, 1023, "bytes 0-1023/1024"},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "r"), Creds: &alice, Header: http.Header{"Range": {tc.rng}}})
			wantStatus(t, r, 206)
			if got := r.Header.Get("Content-Range"); got != tc.contentRng {
				t.Errorf("Content-Range %q, want %q", got, tc.contentRng)
			}
			if !bytes.Equal(r.Body, data[tc.from:tc.to+1]) {
				t.Errorf("range body: %d bytes, want %d", len(r.Body), tc.to-tc.from+1)
			}
			if r.Header.Get("ETag") != quotedMD5(data) {
				t.Errorf("206 ETag %q is not the whole object's", r.Header.Get("ETag"))
			}
		})
	}
	for _, rng := range []string{"bytes=1024-", "bytes=2000-3000"} {
		t.Run(rng, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, "r"), Creds: &alice, Header: http.Header{"Range": {rng}}})
			wantXMLError(t, r, 416, "InvalidRange")
		})
	}
	t.Run("sdk", func(t *testing.T) {
		out, err := aliceSDK().GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String("bytes=10-19")})
		if err != nil {
			t.Fatalf("GetObject range: %v", err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(b, data[10:20]) || aws.ToString(out.ContentRange) != "bytes 10-19/1024" || aws.ToInt64(out.ContentLength) != 10 {
			t.Errorf("SDK range: %d bytes, Content-Range %q, Content-Length %d", len(b), aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength))
		}
		_, err = aliceSDK().GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String("bytes=5000-")})
		wantSDKError(t, err, 416, "InvalidRange")
	})
	t.Run("minio-go", func(t *testing.T) {
		opts := minio.GetObjectOptions{}
		if err := opts.SetRange(512, 515); err != nil {
			t.Fatal(err)
		}
		obj, err := mc(t, alice, false).GetObject(ctxT(t), bucket, "r", opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(b, data[512:516]) {
			t.Errorf("minio range: %x, %v", b, err)
		}
	})
}

// TestConditionalGets checks If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since on GET and HEAD.
func TestConditionalGets(t *testing.T) {
	bucket := makeBucket(t, alice, "cond")
	data := []byte("conditional body")
	putBytes(t, aliceSDK(), bucket, "c", data)
	etag := quotedMD5(data)
	r := doRaw(t, rawReq{Method: "HEAD", Path: objPath(bucket, "c"), Creds: &alice})
	lm, err := http.ParseTime(r.Header.Get("Last-Modified"))
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", r.Header.Get("Last-Modified"), err)
	}
	before := lm.Add(-time.Hour).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	same := lm.Format(http.TimeFormat)

	for _, tc := range []struct {
		name   string
		hdr    http.Header
		status int
		code   string
	}{
		{"If-Match matching", http.Header{"If-Match": {etag}}, 200, ""},
		{"If-Match star", http.Header{"If-Match": {"*"}}, 200, ""},
		{"If-Match other", http.Header{"If-Match": {`"0123456789abcdef0123456789abcdef"`}}, 412, "PreconditionFailed"},
		{"If-None-Match matching", http.Header{"If-None-Match": {etag}}, 304, ""},
		{"If-None-Match other", http.Header{"If-None-Match": {`"0123456789abcdef0123456789abcdef"`}}, 200, ""},
		{"If-Modified-Since later", http.Header{"If-Modified-Since": {after}}, 304, ""},
		{"If-Modified-Since same second", http.Header{"If-Modified-Since": {same}}, 304, ""},
		{"If-Modified-Since earlier", http.Header{"If-Modified-Since": {before}}, 200, ""},
		{"If-Unmodified-Since earlier", http.Header{"If-Unmodified-Since": {before}}, 412, "PreconditionFailed"},
		{"If-Unmodified-Since later", http.Header{"If-Unmodified-Since": {after}}, 200, ""},
		// RFC 7232: If-Unmodified-Since is ignored when If-Match is present.
		{"If-Match wins over If-Unmodified-Since", http.Header{"If-Match": {etag}, "If-Unmodified-Since": {before}}, 200, ""},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(method+" "+tc.name, func(t *testing.T) {
				r := doRaw(t, rawReq{Method: method, Path: objPath(bucket, "c"), Creds: &alice, Header: tc.hdr})
				switch {
				case tc.status == 200:
					wantStatus(t, r, 200)
					if method == "GET" && !bytes.Equal(r.Body, data) {
						t.Errorf("body %q", r.Body)
					}
				case tc.status == 304:
					wantStatus(t, r, 304)
					if len(r.Body) != 0 {
						t.Errorf("304 with a body: %q", r.Body)
					}
					if r.Header.Get("ETag") != etag {
						t.Errorf("304 ETag %q, want %q", r.Header.Get("ETag"), etag)
					}
				case method == "HEAD":
					wantStatus(t, r, tc.status)
					if len(r.Body) != 0 {
						t.Errorf("HEAD %d with a body: %q", tc.status, r.Body)
					}
				default:
					wantXMLError(t, r, tc.status, tc.code)
				}
			})
		}
	}
	t.Run("sdk", func(t *testing.T) {
		ctx := ctxT(t)
		a := aliceSDK()
		_, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), IfMatch: aws.String(`"ffffffffffffffffffffffffffffffff"`)})
		wantSDKError(t, err, 412, "PreconditionFailed")
		_, err = a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), IfNoneMatch: aws.String(etag)})
		wantSDKError(t, err, 304, "")
		out, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), IfMatch: aws.String(etag)})
		if err != nil {
			t.Fatalf("GetObject If-Match: %v", err)
		}
		out.Body.Close()
	})
}

// TestResponseOverrides checks response-content-type and friends.
func TestResponseOverrides(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "override")
	a := aliceSDK()
	_, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"), Body: strings.NewReader("override me"), ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2032, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := a.GetObject(ctx, &s3.GetObjectInput{
		Bucket:                     aws.String(bucket),
		Key:                        aws.String("o"),
		ResponseContentType:        aws.String("application/x-custom"),
		ResponseContentDisposition: aws.String(`attachment; filename="o.bin"`),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseExpires:            &exp,
	})
	if err != nil {
		t.Fatalf("GetObject with overrides: %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "override me" {
		t.Errorf("body %q", b)
	}
	for _, c := range [][3]string{
		{"Content-Type", aws.ToString(out.ContentType), "application/x-custom"},
		{"Content-Disposition", aws.ToString(out.ContentDisposition), `attachment; filename="o.bin"`},
		{"Cache-Control", aws.ToString(out.CacheControl), "no-store"},
		{"Content-Language", aws.ToString(out.ContentLanguage), "fr"},
		{"Content-Encoding", aws.ToString(out.ContentEncoding), "identity"},
	} {
		if c[1] != c[2] {
			t.Errorf("override %s = %q, want %q", c[0], c[1], c[2])
		}
	}
	if got, err := http.ParseTime(aws.ToString(out.ExpiresString)); err != nil || !got.Equal(exp) {
		t.Errorf("override Expires = %q, want %s", aws.ToString(out.ExpiresString), exp.Format(http.TimeFormat))
	}
	// The overrides do not change what is stored.
	head, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("o")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/plain" {
		t.Errorf("stored Content-Type changed to %q", aws.ToString(head.ContentType))
	}
}

// TestSpecialKeys: keys with spaces, '+', '%', unicode and other URL-special
// characters round-trip exactly through both clients and through listing.
func TestSpecialKeys(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "keys")
	a := aliceSDK()
	m := mc(t, alice, false)
	keys := []string{
		"with space", "plus+sign", "percent%41%", "unicode/ü/日本語.txt", "question?mark",
		"hash#tag", "amp&eq=x", "semi;colon,comma", "tilde~", "paren(1)[2]{3}", "star*", "quote'dq\"",
		"dollar$at@", "caret^pipe|", "back\\slash", "colon:key", "a/b/c/d/e/f/g/h/deep",
		"1024/" + strings.Repeat("k", 200) + "/" + strings.Repeat("k", 200) + "/" + strings.Repeat("k", 200) + "/" +
			strings.Repeat("k", 200) + "/" + strings.Repeat("k", 1024-5-4*201),
	}
	if n := len(keys[len(keys)-1]); n != 1024 {
		t.Fatalf("test bug: long key has %d bytes", n)
	}
	for i, k := range keys {
		body := []byte(fmt.Sprintf("body of %q", k))
		if i%2 == 0 {
			putBytes(t, a, bucket, k, body)
		} else if _, err := m.PutObject(ctx, bucket, k, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Errorf("minio PutObject %q: %v", k, err)
			continue
		}
		if got := getBytes(t, a, bucket, k); !bytes.Equal(got, body) {
			t.Errorf("SDK GET %q = %q", k, got)
		}
		if _, err := m.StatObject(ctx, bucket, k, minio.StatObjectOptions{}); err != nil {
			t.Errorf("minio StatObject %q: %v", k, err)
		}
	}
	var listed []string
	p := s3.NewListObjectsV2Paginator(a, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(7)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
	}
	if want := sortedCopy(keys); !slices.Equal(listed, want) {
		t.Errorf("listing:\n got %q\nwant %q", listed, want)
	}
	t.Run("KeyTooLongError", func(t *testing.T) {
		long := strings.Repeat("k", 200) + "/" + strings.Repeat("k", 200) + "/" + strings.Repeat("k", 200) + "/" +
			strings.Repeat("k", 200) + "/" + strings.Repeat("k", 221)
		if len(long) != 1025 {
			t.Fatalf("test bug: %d", len(long))
		}
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, long), Body: []byte("x"), Creds: &alice})
		wantXMLError(t, r, 400, "KeyTooLongError")
	})
}
