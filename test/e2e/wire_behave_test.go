package e2e

// TestWireBehave: issue 14's "Behaviours that differ today" (SigV2 bucket
// resources, POST policy keys, CORS on actual requests, Content-Encoding
// and metadata bytes, ranges of empty objects, success_action_redirect,
// UploadPartCopy ranges, CreateBucket in us-east-1, CompleteMultipartUpload
// Location, ListBuckets pages, x-amz-expected-bucket-owner), one row per
// request, each citing where AWS's answer comes from.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// behaveRow is one request and what S3 answers to it.
type behaveRow struct {
	name string
	// do sends the request.
	do     func(t *testing.T) rawResp
	status int
	// code and message of an S3 <Error>; message "" is not compared.
	code, message string
	// errFields are further <Error> elements (ArgumentName, …).
	errFields map[string]string
	// header values compared exactly; "" means absent.
	header map[string]string
	// body, when non-nil, is the exact body.
	body *string
	// check inspects the answer further.
	check func(t *testing.T, r rawResp)
}

func strp(s string) *string { return &s }

// errorFields reads every element of an S3 <Error> body.
func errorFields(t *testing.T, body []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var name string
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch v := tok.(type) {
		case xml.StartElement:
			name = v.Name.Local
		case xml.CharData:
			if name != "" {
				out[name] += string(v)
			}
		case xml.EndElement:
			name = ""
		}
	}
}

func (row behaveRow) run(t *testing.T) {
	r := row.do(t)
	if row.code != "" {
		e := wantXMLError(t, r, row.status, row.code)
		if row.message != "" && e.Message != row.message {
			t.Errorf("message %q, want %q", e.Message, row.message)
		}
		fields := errorFields(t, r.Body)
		for k, want := range row.errFields {
			if fields[k] != want {
				t.Errorf("<%s> %q, want %q: %s", k, fields[k], want, r.Body)
			}
		}
	} else {
		wantStatus(t, r, row.status)
	}
	for k, want := range row.header {
		if got := strings.Join(r.Header.Values(k), ", "); got != want {
			t.Errorf("header %s %q, want %q", k, got, want)
		}
	}
	if row.body != nil && string(r.Body) != *row.body {
		t.Errorf("body %q, want %q", r.Body, *row.body)
	}
	if row.check != nil {
		row.check(t, r)
	}
}

// v2Signed builds a SigV2 header-signed request whose canonical resource
// is resource (what the client signs, which may differ from the path).
func v2Signed(t *testing.T, method, path, rawQuery, resource string, body []byte) *http.Request {
	t.Helper()
	u := srv.base + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	date := time.Now().UTC().Format(http.TimeFormat)
	m := hmac.New(sha1.New, []byte(alice.secret))
	m.Write([]byte(method + "\n\n\n" + date + "\n" + resource))
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+alice.key+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return req
}

type listBucketsPage struct {
	Buckets []struct {
		Name, CreationDate, BucketRegion, BucketArn string
	} `xml:"Buckets>Bucket"`
	ContinuationToken *string `xml:"ContinuationToken"`
	Prefix            *string `xml:"Prefix"`
}

func TestWireBehave(t *testing.T) {
	ctx := ctxT(t)
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "behave")
	data := []byte("0123456789")
	putBytes(t, cl, bucket, "src", data)
	putBytes(t, cl, bucket, "empty", nil)
	v2Bucket := newBucketName("behave-v2")

	// CORS: one rule for the app's origin.
	_, err := cl.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"http://app.example"}, AllowedMethods: []string{"GET", "PUT"},
			ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)}}}})
	if err != nil {
		t.Fatal(err)
	}

	// Multipart uploads for UploadPartCopy and CompleteMultipartUpload.
	newUpload := func(key string) string {
		out, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.UploadId)
	}
	copyID := newUpload("copied")
	mpKey := "dir/a b+c"
	completeBody := func(key, id string) []byte {
		p, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		return []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(p.ETag) + `</ETag></Part></CompleteMultipartUpload>`)
	}
	mpID, mpPrefixID, mpVhostID := newUpload(mpKey), newUpload(mpKey), newUpload(mpKey)
	mpBody, mpPrefixBody, mpVhostBody := completeBody(mpKey, mpID), completeBody(mpKey, mpPrefixID), completeBody(mpKey, mpVhostID)
	_, port, _ := net.SplitHostPort(srv.hostport)
	vhostBase := "http://" + bucket + "." + vhostDomain + ":" + port
	wantLocation := func(base string) func(t *testing.T, r rawResp) {
		return func(t *testing.T, r rawResp) {
			var res struct {
				Location string `xml:"Location"`
			}
			if err := xml.Unmarshal(r.Body, &res); err != nil {
				t.Fatalf("CompleteMultipartUploadResult: %v: %s", err, r.Body)
			}
			want := base + "/" + bucket + "/dir/a%20b%2Bc"
			if base == vhostBase {
				want = base + "/dir/a%20b%2Bc"
			}
			if res.Location != want {
				t.Errorf("Location %q, want %q", res.Location, want)
			}
		}
	}

	// Browser POST forms.
	postWith := func(doc map[string]any, extra ...[2]string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			js, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			policy := base64.StdEncoding.EncodeToString(js)
			m := hmac.New(sha1.New, []byte(alice.secret))
			m.Write([]byte(policy))
			f := &browserForm{fields: append([][2]string{{"key", "posted"}}, extra...), fileName: "f", file: data}
			f.fields = append(f.fields, [2]string{"AWSAccessKeyId", alice.key}, [2]string{"policy", policy},
				[2]string{"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))})
			return postForm(t, srv.base, "/"+bucket, f)
		}
	}
	later := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	bucketCond := map[string]string{"bucket": bucket}

	// ListBuckets: three buckets under one prefix.
	lbPrefix := newBucketName("behave-lb")
	for _, s := range []string{"-1", "-2", "-3"} {
		if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lbPrefix + s)}); err != nil {
			t.Fatal(err)
		}
	}
	var nextToken string
	listPage := func(want []string, more bool) func(t *testing.T, r rawResp) {
		return func(t *testing.T, r rawResp) {
			var page listBucketsPage
			if err := xml.Unmarshal(r.Body, &page); err != nil {
				t.Fatalf("ListAllMyBucketsResult: %v: %s", err, r.Body)
			}
			var names []string
			for _, b := range page.Buckets {
				names = append(names, b.Name)
				if b.BucketRegion != region || b.BucketArn != "arn:aws:s3:::"+b.Name || b.CreationDate == "" {
					t.Errorf("Bucket %+v, want BucketRegion %s and BucketArn arn:aws:s3:::%s", b, region, b.Name)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(want) {
				t.Errorf("buckets %v, want %v", names, want)
			}
			if page.Prefix == nil || *page.Prefix != lbPrefix {
				t.Errorf("Prefix %v, want %q", page.Prefix, lbPrefix)
			}
			if (page.ContinuationToken != nil) != more {
				t.Errorf("ContinuationToken %v, want one: %v", page.ContinuationToken, more)
			}
			if page.ContinuationToken != nil {
				nextToken = *page.ContinuationToken
			}
		}
	}

	raw := func(r rawReq) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp { return doRaw(t, r) }
	}
	v2 := func(method, path, rawQuery, resource string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp { return send(t, v2Signed(t, method, path, rawQuery, resource, nil)) }
	}
	copyRange := func(rng string) func(t *testing.T) rawResp {
		return raw(rawReq{Method: "PUT", Path: objPath(bucket, "copied"),
			Query:  url.Values{"partNumber": {"1"}, "uploadId": {copyID}},
			Header: hdr("X-Amz-Copy-Source", "/"+bucket+"/src", "X-Amz-Copy-Source-Range", rng), Creds: &alice})
	}
	// An object stored with Content-Encoding "deflate, gzip" and metadata
	// that is not US-ASCII: ISO-8859-1 bytes and UTF-8.
	latin1, cjk := "caf\xe9 au lait", "日本語"
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "enc"), Body: data, Creds: &alice,
		Header: http.Header{"Content-Encoding": {"deflate, gzip"}, "X-Amz-Meta-Latin": {latin1}, "X-Amz-Meta-Cjk": {cjk}}}), 200)

	rows := []behaveRow{
		// 1. SigV2 bucket-level requests: botocore signs the resource of a
		// bucket alone as "/bucket/" (handlers.py,
		// remove_bucket_from_url_paths_from_model: "If the request URI is
		// ONLY a bucket, the auth_path must be terminated with a '/'
		// character to generate a signature that the server will accept").
		{name: "SigV2 CreateBucket signed /b/", do: v2("PUT", "/"+v2Bucket, "", "/"+v2Bucket+"/"), status: 200,
			header: map[string]string{"Location": "/" + v2Bucket}},
		{name: "SigV2 HEAD bucket signed /b/", do: v2("HEAD", "/"+bucket, "", "/"+bucket+"/"), status: 200},
		{name: "SigV2 GetBucketAcl signed /b/?acl", do: v2("GET", "/"+bucket, "acl", "/"+bucket+"/?acl"), status: 200,
			check: func(t *testing.T, r rawResp) {
				if !bytes.Contains(r.Body, []byte("<AccessControlPolicy")) {
					t.Errorf("GetBucketAcl body %s", r.Body)
				}
			}},
		{name: "SigV2 ListObjects signed /b/", do: v2("GET", "/"+bucket, "prefix=sr", "/"+bucket+"/"), status: 200,
			check: func(t *testing.T, r rawResp) {
				if !bytes.Contains(r.Body, []byte("<Key>src</Key>")) {
					t.Errorf("ListObjects body %s", r.Body)
				}
			}},
		// botocore's HmacV1Auth.QSAOfInterest signs "versions" and "metrics"
		// and friends; AWS's RESTAuthentication list has "versions".
		{name: "SigV2 GetBucketVersioning signed /b/?versioning", do: v2("GET", "/"+bucket, "versioning", "/"+bucket+"/?versioning"), status: 200},

		// 2. POST policy keys are case-sensitive: ceph/s3-tests
		// test_post_object_condition_is_case_sensitive and
		// test_post_object_expires_is_case_sensitive expect 400 from S3;
		// InvalidPolicyDocument is S3's code for a policy of the wrong
		// shape (ErrorResponses, Amazon S3 API Reference).
		{name: "POST policy with CONDITIONS", do: postWith(map[string]any{"expiration": later, "CONDITIONS": []any{bucketCond}}),
			status: 400, code: "InvalidPolicyDocument"},
		{name: "POST policy with EXPIRATION", do: postWith(map[string]any{"EXPIRATION": later, "conditions": []any{bucketCond}}),
			status: 400, code: "InvalidPolicyDocument"},

		// 3. CORS on an actual request: the same headers as on a preflight
		// bar Allow-Headers (localstack test_s3_cors.snapshot.json,
		// recorded against AWS: "get-right-origin").
		{name: "CORS actual GET", do: raw(rawReq{Method: "GET", Path: objPath(bucket, "src"), Creds: &alice,
			Header: hdr("Origin", "http://app.example")}), status: 200, header: map[string]string{
			"Access-Control-Allow-Origin":      "http://app.example",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods":     "GET, PUT",
			"Access-Control-Expose-Headers":    "ETag",
			"Access-Control-Max-Age":           "3000",
			"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
		}},

		// 4. Content-Encoding is stored and returned as sent (PutObject:
		// "Content-Encoding: Specifies what content encodings have been
		// applied to the object"); a metadata value that is not printable
		// US-ASCII comes back RFC 2047-encoded ("Working with object
		// metadata": "encoded as per RFC 2047 to make them mail-safe
		// before returning"; ceph/s3-tests
		// test_object_set_get_non_utf8_metadata pins the Q form).
		{name: "GET returns them", do: raw(rawReq{Method: "GET", Path: objPath(bucket, "enc"), Creds: &alice,
			Header: hdr("Accept-Encoding", "identity")}), status: 200, header: map[string]string{
			"Content-Encoding": "deflate, gzip",
			"X-Amz-Meta-Latin": "=?UTF-8?Q?caf=C3=A9_au_lait?=",
		}, check: func(t *testing.T, r rawResp) {
			got := r.Header.Get("X-Amz-Meta-Cjk")
			dec, err := new(mime.WordDecoder).DecodeHeader(got)
			if err != nil || dec != cjk || !strings.HasPrefix(got, "=?UTF-8?") {
				t.Errorf("x-amz-meta-cjk %q decodes to %q (%v), want RFC 2047 of %q", got, dec, err, cjk)
			}
		}},

		// 5. A suffix range of an empty object: 200 with no body
		// (apache/arrow-rs-object-store issue 846 records AWS answering
		// "HTTP/1.1 200 OK, Content-Length: 0"; floci-io/floci issue 1141).
		{name: "GET empty object bytes=-1", do: raw(rawReq{Method: "GET", Path: objPath(bucket, "empty"), Creds: &alice,
			Header: hdr("Range", "bytes=-1")}), status: 200, body: strp(""),
			header: map[string]string{"Content-Length": "0", "Content-Range": ""}},
		{name: "HEAD empty object bytes=-1", do: raw(rawReq{Method: "HEAD", Path: objPath(bucket, "empty"), Creds: &alice,
			Header: hdr("Range", "bytes=-1")}), status: 200, body: strp(""),
			header: map[string]string{"Content-Length": "0", "Content-Range": ""}},

		// 6. success_action_redirect gets bucket, key, etag in this order
		// after the URL's own query (ceph/s3-tests
		// test_post_object_success_redirect_action:
		// "{rurl}?bucket={bucket}&key={key}&etag=%22{etag}%22").
		{name: "success_action_redirect", do: postWith(map[string]any{"expiration": later, "conditions": []any{bucketCond,
			map[string]string{"key": "posted"}, []any{"starts-with", "$success_action_redirect", "https://app.example/"}}},
			[2]string{"success_action_redirect", "https://app.example/done?x=1"}), status: 303,
			header: map[string]string{"Location": "https://app.example/done?x=1&bucket=" + bucket + "&key=posted&etag=%22" + md5Hex(data) + "%22"}},

		// 7. UploadPartCopy ranges past the source (localstack
		// test_s3_api.snapshot.json, test_upload_part_copy_range, recorded
		// against AWS in 2026: "upload-part-copy-range-exc-0-100" and
		// "-100-200"; S3 does not answer InvalidRange here).
		{name: "UploadPartCopy range ends past the source", do: copyRange("bytes=0-100"), status: 400, code: "InvalidArgument",
			message:   "Range specified is not valid for source object of size: 10",
			errFields: map[string]string{"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": "bytes=0-100"}},
		{name: "UploadPartCopy range starts past the source", do: copyRange("bytes=100-200"), status: 400, code: "InvalidRequest",
			message: "The specified copy range is invalid for the source object size"},
		{name: "UploadPartCopy malformed range", do: copyRange("0-8"), status: 400, code: "InvalidArgument",
			message:   "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
			errFields: map[string]string{"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": "0-8"}},

		// 8. The owner re-creating its bucket in us-east-1 (the harness's
		// region): "For legacy compatibility, if you re-create an existing
		// bucket that you already own in the North Virginia Region, Amazon
		// S3 returns 200 OK" (CreateBucket, Amazon S3 API Reference).
		{name: "CreateBucket again by its owner in us-east-1", do: raw(rawReq{Method: "PUT", Path: "/" + bucket, Creds: &alice}),
			status: 200, header: map[string]string{"Location": "/" + bucket}},

		// 9. CompleteMultipartUpload's Location is the object's absolute
		// URL (the API reference's example
		// "http://Example-Bucket.s3.<Region>.amazonaws.com/Example-Object"),
		// the key URI-escaped, as the client addressed the bucket.
		{name: "CompleteMultipartUpload Location, path style", do: raw(rawReq{Method: "POST", Path: objPath(bucket, mpKey),
			Query: url.Values{"uploadId": {mpID}}, Body: mpBody, Creds: &alice}), status: 200, check: wantLocation(srv.base)},
		{name: "CompleteMultipartUpload Location under /s3/", do: raw(rawReq{Method: "POST", Path: "/s3" + objPath(bucket, mpKey),
			Query: url.Values{"uploadId": {mpPrefixID}}, Body: mpPrefixBody, Creds: &alice}), status: 200, check: wantLocation(srv.base + "/s3")},
		{name: "CompleteMultipartUpload Location, virtual-hosted style", do: func(t *testing.T) rawResp {
			req := buildRaw(t, rawReq{Method: "POST", Base: vhostBase, Path: "/" + escapeKey(mpKey),
				Query: url.Values{"uploadId": {mpVhostID}}, Body: mpVhostBody, Creds: &alice})
			resp, err := vhostClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
		}, status: 200, check: wantLocation(vhostBase)},

		// 10. ListBuckets pages (ListBuckets, Amazon S3 API Reference:
		// max-buckets, continuation-token, prefix, bucket-region;
		// BucketArn, BucketRegion, ContinuationToken, Prefix; localstack
		// test_s3_list_operations.snapshot.json TestS3ListBuckets).
		{name: "ListBuckets prefix, max-buckets 2", do: raw(rawReq{Method: "GET", Path: "/", Creds: &alice,
			Query: url.Values{"prefix": {lbPrefix}, "max-buckets": {"2"}}}), status: 200,
			check: listPage([]string{lbPrefix + "-1", lbPrefix + "-2"}, true)},
		{name: "ListBuckets next page", do: func(t *testing.T) rawResp {
			return doRaw(t, rawReq{Method: "GET", Path: "/", Creds: &alice,
				Query: url.Values{"prefix": {lbPrefix}, "max-buckets": {"2"}, "continuation-token": {nextToken}}})
		}, status: 200, check: listPage([]string{lbPrefix + "-3"}, false)},
		{name: "ListBuckets bucket-region of this server", do: raw(rawReq{Method: "GET", Path: "/", Creds: &alice,
			Query: url.Values{"prefix": {lbPrefix}, "bucket-region": {region}}}), status: 200,
			check: listPage([]string{lbPrefix + "-1", lbPrefix + "-2", lbPrefix + "-3"}, false)},
		{name: "ListBuckets another bucket-region", do: raw(rawReq{Method: "GET", Path: "/", Creds: &alice,
			Query: url.Values{"prefix": {lbPrefix}, "bucket-region": {"eu-west-1"}}}), status: 200, check: listPage(nil, false)},
		{name: "ListBuckets bad continuation-token", do: raw(rawReq{Method: "GET", Path: "/", Creds: &alice,
			Query: url.Values{"continuation-token": {"!!"}}}), status: 400, code: "InvalidArgument",
			message: "The continuation token provided is incorrect", errFields: map[string]string{"ArgumentName": "continuation-token"}},

		// 11. x-amz-expected-bucket-owner: "If the account ID that you
		// provide does not match the actual owner of the bucket, the
		// request fails with the HTTP status code 403 Forbidden (access
		// denied)" (GetObject, Amazon S3 API Reference) — checked against
		// the bucket, before the key is looked up.
		{name: "expected owner differs, missing key", do: raw(rawReq{Method: "GET", Path: objPath(bucket, "no-such-key"), Creds: &alice,
			Header: hdr("X-Amz-Expected-Bucket-Owner", "bob")}), status: 403, code: "AccessDenied"},
	}
	for _, row := range rows {
		t.Run(row.name, row.run)
	}
}
