package e2e

// DeleteObjects (POST /bucket?delete): per-key results, Quiet mode, the
// integrity header S3 requires (Content-MD5 or, from current SDKs, an
// x-amz-checksum-* header), and the 1000-key limit.

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func objectIDs(keys ...string) []types.ObjectIdentifier {
	out := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		out[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	return out
}

func deleteBody(quiet bool, keys ...string) []byte {
	type obj struct {
		Key string `xml:"Key"`
	}
	type del struct {
		XMLName xml.Name `xml:"Delete"`
		Xmlns   string   `xml:"xmlns,attr"`
		Quiet   bool     `xml:"Quiet,omitempty"`
		Objects []obj    `xml:"Object"`
	}
	d := del{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Quiet: quiet}
	for _, k := range keys {
		d.Objects = append(d.Objects, obj{k})
	}
	b, _ := xml.Marshal(d)
	return b
}

func contentMD5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

type deleteResultXML struct {
	XMLName xml.Name `xml:"DeleteResult"`
	Deleted []struct {
		Key string `xml:"Key"`
	} `xml:"Deleted"`
	Errors []struct {
		Key  string `xml:"Key"`
		Code string `xml:"Code"`
	} `xml:"Error"`
}

func TestDeleteObjects(t *testing.T) {
	for _, ep := range []struct{ name, base string }{{"http", srv.base}, {"https", srv.tlsBase}} {
		t.Run("sdk default/"+ep.name, func(t *testing.T) {
			bucket := makeBucket(t, alice, "mdel")
			cl, spy := spySDK(ep.base)
			keys := []string{"k1", "dir/k2", "a&b <c> \"q\" ü.txt"}
			for _, k := range keys {
				putBytes(t, cl, bucket, k, []byte(k))
			}
			putBytes(t, cl, bucket, "keep", []byte("not named in the request"))
			out, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
				Delete: &types.Delete{Objects: objectIDs(append(keys, "missing")...)}})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			req := spy.last()
			hasChecksum := false
			for h := range req.header {
				if strings.HasPrefix(strings.ToLower(h), "x-amz-checksum-") {
					hasChecksum = true
				}
			}
			if req.header.Get("X-Amz-Trailer") != "" {
				hasChecksum = true
			}
			if !hasChecksum || req.header.Get("Content-Md5") != "" {
				t.Errorf("the SDK sent Content-MD5 %q and no x-amz-checksum-* header (%v): this test means to exercise the checksum-instead-of-MD5 path",
					req.header.Get("Content-Md5"), req.header)
			}
			var deleted []string
			for _, d := range out.Deleted {
				deleted = append(deleted, aws.ToString(d.Key))
			}
			sort.Strings(deleted)
			want := sortedCopy(append(keys, "missing"))
			if fmt.Sprint(deleted) != fmt.Sprint(want) {
				t.Errorf("Deleted %q, want %q (a missing key counts as deleted)", deleted, want)
			}
			if len(out.Errors) != 0 {
				t.Errorf("Errors %+v, want none", out.Errors)
			}
			for _, k := range keys {
				wantAbsent(t, bucket, k)
			}
			if !objectExists(t, bucket, "keep") {
				t.Errorf("an object not named in the request was deleted")
			}
		})
	}

	t.Run("quiet", func(t *testing.T) {
		bucket := makeBucket(t, alice, "mdelq")
		cl := aliceSDK()
		for _, k := range []string{"q1", "q2"} {
			putBytes(t, cl, bucket, k, []byte(k))
		}
		out, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: objectIDs("q1", "q2", "missing"), Quiet: aws.Bool(true)}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		if len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Errorf("Quiet DeleteObjects returned %d Deleted and %d Errors, want none", len(out.Deleted), len(out.Errors))
		}
		wantAbsent(t, bucket, "q1")
		wantAbsent(t, bucket, "q2")
	})

	bucket := makeBucket(t, alice, "mdelraw")
	cl := aliceSDK()
	putBytes(t, cl, bucket, "r1", []byte("r1"))
	raw := func(body []byte, hdr http.Header, who *creds) rawResp {
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr.Set("Content-Type", "application/xml")
		return doRaw(t, rawReq{Method: "POST", Path: "/" + bucket, Query: url.Values{"delete": {""}}, Header: hdr, Body: body, Creds: who})
	}
	t.Run("no Content-MD5 nor checksum", func(t *testing.T) {
		wantXMLError(t, raw(deleteBody(false, "r1"), nil, &alice), 400, "InvalidRequest")
		if !objectExists(t, bucket, "r1") {
			t.Errorf("r1 deleted by a refused request")
		}
	})
	t.Run("wrong Content-MD5", func(t *testing.T) {
		wantXMLError(t, raw(deleteBody(false, "r1"), http.Header{"Content-Md5": {contentMD5([]byte("other"))}}, &alice), 400, "BadDigest")
		if !objectExists(t, bucket, "r1") {
			t.Errorf("r1 deleted by a refused request")
		}
	})
	t.Run("other owner", func(t *testing.T) {
		body := deleteBody(false, "r1")
		wantXMLError(t, raw(body, http.Header{"Content-Md5": {contentMD5(body)}}, &bob), 403, "AccessDenied")
		if !objectExists(t, bucket, "r1") {
			t.Errorf("bob deleted alice's r1")
		}
	})
	t.Run("malformed XML", func(t *testing.T) {
		body := []byte("<Delete><Object><Key>r1</Key></Object>")
		wantXMLError(t, raw(body, http.Header{"Content-Md5": {contentMD5(body)}}, &alice), 400, "MalformedXML")
	})
	t.Run("no objects", func(t *testing.T) {
		body := deleteBody(false)
		wantXMLError(t, raw(body, http.Header{"Content-Md5": {contentMD5(body)}}, &alice), 400, "MalformedXML")
	})
	t.Run("Content-MD5", func(t *testing.T) {
		body := deleteBody(false, "r1", "nope")
		r := raw(body, http.Header{"Content-Md5": {contentMD5(body)}}, &alice)
		wantStatus(t, r, 200)
		var res deleteResultXML
		if err := xml.Unmarshal(r.Body, &res); err != nil {
			t.Fatalf("DeleteResult: %v\n%s", err, r.Body)
		}
		if res.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" {
			t.Errorf("DeleteResult namespace %q", res.XMLName.Space)
		}
		if len(res.Deleted) != 2 || len(res.Errors) != 0 {
			t.Errorf("DeleteResult %s, want 2 Deleted", r.Body)
		}
		wantAbsent(t, bucket, "r1")
	})
	t.Run("1000 keys", func(t *testing.T) {
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = fmt.Sprintf("many/%04d", i)
		}
		out, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: objectIDs(keys...)}})
		if err != nil {
			t.Fatalf("DeleteObjects of 1000 keys: %v", err)
		}
		if len(out.Deleted) != 1000 {
			t.Errorf("DeleteObjects of 1000 keys reported %d Deleted", len(out.Deleted))
		}
	})
	t.Run("1001 keys", func(t *testing.T) {
		keys := make([]string, 1001)
		for i := range keys {
			keys[i] = fmt.Sprintf("many/%04d", i)
		}
		_, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: objectIDs(keys...)}})
		wantSDKError(t, err, 400, "MalformedXML")
	})
	t.Run("no such bucket", func(t *testing.T) {
		_, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(newBucketName("nosuch")), Delete: &types.Delete{Objects: objectIDs("x")}})
		wantSDKError(t, err, 404, "NoSuchBucket")
	})
}
