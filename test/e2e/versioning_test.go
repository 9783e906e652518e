package e2e

// Versioning end to end (issue 15): one bucket's history driven step by
// step through the real server with aws-sdk-go-v2, minio-go and raw
// signed requests. Each step cites the AWS document whose answer it
// checks; the steps run in order (the bucket's state carries over).

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

// versionEntryXML is a <Version> or <DeleteMarker> (or, as ",any"
// collects every element without a field, any other child).
type versionEntryXML struct {
	XMLName   xml.Name
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId"`
	IsLatest  bool   `xml:"IsLatest"`
}

// versionsXML is the raw ListVersionsResult, entries in document order.
type versionsXML struct {
	Any                 []versionEntryXML `xml:",any"`
	IsTruncated         bool              `xml:"IsTruncated"`
	NextKeyMarker       string            `xml:"NextKeyMarker"`
	NextVersionIDMarker string            `xml:"NextVersionIdMarker"`
	Entries             []versionEntryXML
}

// parseVersions reads a ListVersionsResult; Entries are its Version and
// DeleteMarker elements in document order.
func parseVersions(b []byte) (versionsXML, error) {
	var doc versionsXML
	err := xml.Unmarshal(b, &doc)
	for _, e := range doc.Any {
		if e.XMLName.Local == "Version" || e.XMLName.Local == "DeleteMarker" {
			doc.Entries = append(doc.Entries, e)
		}
	}
	return doc, err
}

// vstate is what the steps learn and later steps use.
type vstate struct {
	bucket                 string
	v1, v2, marker, copied string
	cl                     *s3.Client
}

func TestVersioning(t *testing.T) {
	st := &vstate{cl: aliceSDK()}
	st.bucket = makeBucket(t, alice, "versioning")
	key := "doc.txt"
	path := objPath(st.bucket, key)
	raw := func(method, p, query string, hdr http.Header, body []byte) rawResp {
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		return doRaw(t, rawReq{Method: method, Path: p, Query: q, Header: hdr, Body: body, Creds: &alice})
	}
	get := func(version string) ([]byte, *s3.GetObjectOutput, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := st.cl.GetObject(ctxT(t), in)
		if err != nil {
			return nil, nil, err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return b, out, err
	}
	putVersioning := func(body string) rawResp {
		return raw("PUT", "/"+st.bucket, "versioning", nil, []byte(body))
	}
	steps := []struct {
		name, doc string
		run       func(t *testing.T)
	}{
		{"never enabled: empty configuration",
			"GetBucketVersioning: \"If the versioning state has never been set on a bucket, then no versioning state is returned\"",
			func(t *testing.T) {
				out, err := st.cl.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(st.bucket)})
				if err != nil || out.Status != "" {
					t.Fatalf("GetBucketVersioning = %+v, %v", out, err)
				}
				putBytes(t, st.cl, st.bucket, key, []byte("v0 null"))
			}},
		{"unversioned bucket: versionId other than null is InvalidArgument",
			"localstack models.py S3Bucket.get_object (AWS-validated): InvalidArgument \"Invalid version id specified\"",
			func(t *testing.T) {
				r := raw("GET", path, "versionId=0000000000000d000000", nil, nil)
				wantXMLError(t, r, 400, "InvalidArgument")
				if !strings.Contains(string(r.Body), "<ArgumentName>versionId</ArgumentName>") {
					t.Errorf("no ArgumentName: %s", r)
				}
				r = raw("GET", path, "versionId=null", nil, nil)
				wantStatus(t, r, 200)
				if string(r.Body) != "v0 null" || r.Header.Get("X-Amz-Version-Id") != "" {
					t.Errorf("GET ?versionId=null in an unversioned bucket: %s", r)
				}
			}},
		{"bad configurations",
			"localstack test_s3_api.snapshot.json test_bucket_versioning_crud (recorded against AWS); MFA: AccessDenied \"Mfa Authentication must be used for this request\"",
			func(t *testing.T) {
				wantXMLError(t, putVersioning(`<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>`), 400, "MalformedXML")
				wantXMLError(t, putVersioning(`<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>`), 400, "MalformedXML")
				wantXMLError(t, putVersioning(`<VersioningConfiguration></VersioningConfiguration>`), 400, "IllegalVersioningConfigurationException")
				e := wantXMLError(t, putVersioning(`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`), 403, "AccessDenied")
				if e.Message != "Mfa Authentication must be used for this request" {
					t.Errorf("MFA message %q", e.Message)
				}
			}},
		{"enable",
			"PutBucketVersioning; GetBucketVersioning Status",
			func(t *testing.T) {
				_, err := st.cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(st.bucket),
					VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteDisabled}})
				if err != nil {
					t.Fatal(err)
				}
				out, err := st.cl.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(st.bucket)})
				if err != nil || out.Status != types.BucketVersioningStatusEnabled {
					t.Fatalf("GetBucketVersioning = %+v, %v", out, err)
				}
			}},
		{"writes make versions",
			"PutObject, \"Response Syntax\": x-amz-version-id",
			func(t *testing.T) {
				st.v1 = aws.ToString(putBytes(t, st.cl, st.bucket, key, []byte("v1")).VersionId)
				st.v2 = aws.ToString(putBytes(t, st.cl, st.bucket, key, []byte("v2")).VersionId)
				if st.v1 == "" || st.v2 == "" || st.v1 == st.v2 || st.v1 == "null" {
					t.Fatalf("version ids %q %q", st.v1, st.v2)
				}
			}},
		{"reads by version",
			"GetObject/HeadObject versionId; x-amz-version-id; versionId=null is the null version (User Guide, \"Working with objects in a versioning-enabled bucket\")",
			func(t *testing.T) {
				for _, c := range []struct{ version, body, header string }{
					{"", "v2", st.v2}, {st.v2, "v2", st.v2}, {st.v1, "v1", st.v1}, {"null", "v0 null", "null"},
				} {
					b, out, err := get(c.version)
					if err != nil {
						t.Errorf("GET versionId=%q: %v", c.version, err)
						continue
					}
					if string(b) != c.body || aws.ToString(out.VersionId) != c.header {
						t.Errorf("GET versionId=%q: %q (version %q)", c.version, b, aws.ToString(out.VersionId))
					}
				}
				h, err := st.cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key), VersionId: aws.String(st.v1)})
				if err != nil || aws.ToInt64(h.ContentLength) != 2 || aws.ToString(h.VersionId) != st.v1 {
					t.Errorf("HEAD v1: %+v %v", h, err)
				}
			}},
		{"malformed and unknown version ids",
			"InvalidArgument \"Invalid version id specified\" (localstack, fog); NoSuchVersion 404 (Error responses)",
			func(t *testing.T) {
				wantXMLError(t, raw("GET", path, "versionId=not-a-version", nil, nil), 400, "InvalidArgument")
				wantXMLError(t, raw("DELETE", path, "versionId=not-a-version", nil, nil), 400, "InvalidArgument")
				wantXMLError(t, raw("GET", path, "versionId=0000000000000d000000", nil, nil), 404, "NoSuchVersion")
				r := raw("HEAD", path, "versionId=0000000000000d000000", nil, nil)
				wantStatus(t, r, 404)
			}},
		{"DELETE makes a delete marker",
			"DeleteObject: x-amz-delete-marker, x-amz-version-id of the marker",
			func(t *testing.T) {
				out, err := st.cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key)})
				if err != nil || !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) == "" {
					t.Fatalf("DeleteObject: %+v %v", out, err)
				}
				st.marker = aws.ToString(out.VersionId)
			}},
		{"GET of a key whose latest is a marker",
			"GetObject: \"If the current version of the object is a delete marker, Amazon S3 behaves as if the object was deleted and includes x-amz-delete-marker: true\"",
			func(t *testing.T) {
				for _, m := range []string{"GET", "HEAD"} {
					r := raw(m, path, "", nil, nil)
					if m == "GET" {
						wantXMLError(t, r, 404, "NoSuchKey")
					} else {
						wantStatus(t, r, 404)
					}
					if r.Header.Get("X-Amz-Delete-Marker") != "true" || r.Header.Get("X-Amz-Version-Id") != st.marker {
						t.Errorf("%s: headers %v", m, r.Header)
					}
				}
			}},
		{"GET of the marker by its id",
			"GetObject: \"If the specified version in the request is a delete marker, the response returns a 405 Method Not Allowed error and the Last-Modified: timestamp response header\"",
			func(t *testing.T) {
				r := raw("GET", path, "versionId="+st.marker, nil, nil)
				wantXMLError(t, r, 405, "MethodNotAllowed")
				for _, want := range []string{"<Method>GET</Method>", "<ResourceType>DeleteMarker</ResourceType>"} {
					if !strings.Contains(string(r.Body), want) {
						t.Errorf("body lacks %s: %s", want, r)
					}
				}
				if r.Header.Get("X-Amz-Delete-Marker") != "true" || r.Header.Get("Last-Modified") == "" || r.Header.Get("Allow") != "DELETE" {
					t.Errorf("headers %v", r.Header)
				}
				r = raw("HEAD", path, "versionId="+st.marker, nil, nil)
				wantStatus(t, r, 405)
				// PutObjectAcl on a key whose latest is a marker (localstack
				// test_s3.snapshot.json "put-acl-delete-marker").
				r = raw("PUT", path, "acl", http.Header{"X-Amz-Acl": {"private"}}, nil)
				wantXMLError(t, r, 405, "MethodNotAllowed")
				// GetObjectAcl of it is NoSuchKey ("get-acl-delete-marker"),
				// GetObjectTagging 405 (localstack provider.py
				// get_object_tagging).
				wantXMLError(t, raw("GET", path, "acl", nil, nil), 404, "NoSuchKey")
				wantXMLError(t, raw("GET", path, "tagging", nil, nil), 405, "MethodNotAllowed")
			}},
		{"ListObjects hides the key",
			"ListObjectsV2 lists current versions only",
			func(t *testing.T) {
				out, err := st.cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(st.bucket)})
				if err != nil || len(out.Contents) != 0 {
					t.Errorf("ListObjectsV2: %+v %v", out, err)
				}
			}},
		{"ListObjectVersions",
			"ListObjectVersions: versions of a key newest first, Version and DeleteMarker in one order, IsLatest",
			func(t *testing.T) {
				out, err := st.cl.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(st.bucket)})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range out.Versions {
					got = append(got, aws.ToString(v.VersionId))
					if aws.ToBool(v.IsLatest) {
						t.Errorf("version %s IsLatest", aws.ToString(v.VersionId))
					}
				}
				if want := []string{st.v2, st.v1, "null"}; strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("versions %v, want %v", got, want)
				}
				if len(out.DeleteMarkers) != 1 || aws.ToString(out.DeleteMarkers[0].VersionId) != st.marker || !aws.ToBool(out.DeleteMarkers[0].IsLatest) {
					t.Errorf("delete markers %+v", out.DeleteMarkers)
				} else if m := out.DeleteMarkers[0]; m.Owner == nil || aws.ToString(m.Owner.ID) != aws.ToString(out.Versions[0].Owner.ID) || aws.ToString(m.Owner.ID) == "" {
					// DeleteMarkerEntry.Owner: the account that deleted
					// (alice, who also wrote the versions).
					t.Errorf("delete marker owner %+v, versions' %+v", m.Owner, out.Versions[0].Owner)
				}
				// The document interleaves them, newest first.
				r := raw("GET", "/"+st.bucket, "versions", nil, nil)
				if doc, err := parseVersions(r.Body); err != nil || len(doc.Entries) != 4 || doc.Entries[0].XMLName.Local != "DeleteMarker" {
					t.Errorf("document order: %v %s", err, r)
				}
			}},
		{"ListObjectVersions pages",
			"ListObjectVersions: max-keys, NextKeyMarker/NextVersionIdMarker, key-marker/version-id-marker; version-id-marker without key-marker",
			func(t *testing.T) {
				var ids []string
				km, vm := "", ""
				for page := 0; page < 10; page++ {
					q := "versions&max-keys=1"
					if km != "" {
						q += "&key-marker=" + url.QueryEscape(km) + "&version-id-marker=" + url.QueryEscape(vm)
					}
					r := raw("GET", "/"+st.bucket, q, nil, nil)
					doc, err := parseVersions(r.Body)
					if err != nil || len(doc.Entries) != 1 {
						t.Fatalf("page %d: %v %s", page, err, r)
					}
					ids = append(ids, doc.Entries[0].VersionID)
					if !doc.IsTruncated {
						break
					}
					km, vm = doc.NextKeyMarker, doc.NextVersionIDMarker
				}
				if want := []string{st.marker, st.v2, st.v1, "null"}; strings.Join(ids, ",") != strings.Join(want, ",") {
					t.Errorf("paged %v, want %v", ids, want)
				}
				wantXMLError(t, raw("GET", "/"+st.bucket, "versions&version-id-marker="+st.v1, nil, nil), 400, "InvalidArgument")
			}},
		{"copy from a version",
			"CopyObject: x-amz-copy-source versionId, x-amz-copy-source-version-id, x-amz-version-id",
			func(t *testing.T) {
				out, err := st.cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(st.bucket), Key: aws.String("copy.txt"),
					CopySource: aws.String(st.bucket + "/" + key + "?versionId=" + st.v1)})
				if err != nil || aws.ToString(out.CopySourceVersionId) != st.v1 || aws.ToString(out.VersionId) == "" {
					t.Fatalf("CopyObject: %+v %v", out, err)
				}
				st.copied = aws.ToString(out.VersionId)
				b := getBytes(t, st.cl, st.bucket, "copy.txt")
				if string(b) != "v1" {
					t.Errorf("copy = %q", b)
				}
				// The marker cannot be a copy source (localstack
				// test_s3.snapshot.json "copy-object-src-target-delete-marker").
				r := raw("PUT", objPath(st.bucket, "copy2.txt"), "", http.Header{"X-Amz-Copy-Source": {st.bucket + "/" + key + "?versionId=" + st.marker}}, nil)
				wantXMLError(t, r, 400, "InvalidRequest")
			}},
		{"DeleteObjects removes the marker by VersionId",
			"DeleteObjects: Deleted DeleteMarker, DeleteMarkerVersionId (DeletedObject)",
			func(t *testing.T) {
				out, err := st.cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(st.bucket), Delete: &types.Delete{
					Objects: []types.ObjectIdentifier{{Key: aws.String(key), VersionId: aws.String(st.marker)}}}})
				if err != nil || len(out.Deleted) != 1 || len(out.Errors) != 0 {
					t.Fatalf("DeleteObjects: %+v %v", out, err)
				}
				d := out.Deleted[0]
				if aws.ToString(d.VersionId) != st.marker || !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) != st.marker {
					t.Errorf("deleted %+v", d)
				}
				if b, _, err := get(""); err != nil || string(b) != "v2" {
					t.Errorf("after removing the marker: %q %v", b, err)
				}
			}},
		{"DELETE of a version for good",
			"DeleteObject versionId: x-amz-version-id of the version removed; the next newest becomes current",
			func(t *testing.T) {
				out, err := st.cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key), VersionId: aws.String(st.v2)})
				if err != nil || aws.ToString(out.VersionId) != st.v2 || aws.ToBool(out.DeleteMarker) {
					t.Fatalf("DeleteObject v2: %+v %v", out, err)
				}
				if b, _, err := get(""); err != nil || string(b) != "v1" {
					t.Errorf("latest after removing v2: %q %v", b, err)
				}
				wantXMLError(t, raw("GET", path, "versionId="+st.v2, nil, nil), 404, "NoSuchVersion")
			}},
		{"minio-go: versioned listing",
			"minio-go ListObjectsOptions.WithVersions (ListObjectVersions)",
			func(t *testing.T) {
				var seen []string
				for o := range mc(t, alice, false).ListObjects(ctxT(t), st.bucket, minio.ListObjectsOptions{WithVersions: true, Prefix: "doc"}) {
					if o.Err != nil {
						t.Fatal(o.Err)
					}
					seen = append(seen, o.VersionID)
				}
				if want := []string{st.v1, "null"}; strings.Join(seen, ",") != strings.Join(want, ",") {
					t.Errorf("minio versions %v, want %v", seen, want)
				}
			}},
		{"minio-go: RemoveObject with VersionID",
			"minio-go RemoveObjectOptions.VersionID (DeleteObject versionId)",
			func(t *testing.T) {
				if err := mc(t, alice, false).RemoveObject(ctxT(t), st.bucket, key, minio.RemoveObjectOptions{VersionID: "null"}); err != nil {
					t.Fatal(err)
				}
				if _, _, err := get("null"); err == nil {
					t.Error("null version still there")
				}
				if b, _, err := get(""); err != nil || string(b) != "v1" {
					t.Errorf("latest after removing the null version: %q %v", b, err)
				}
			}},
		{"a bucket with versions is not empty",
			"DeleteBucket: BucketNotEmpty while versions or delete markers exist",
			func(t *testing.T) {
				for _, k := range []string{key, "copy.txt"} {
					if _, err := st.cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(k)}); err != nil {
						t.Fatal(err)
					}
				}
				_, err := st.cl.DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String(st.bucket)})
				wantSDKError(t, err, 409, "BucketNotEmpty")
			}},
		{"suspend: writes replace the null version, without an id",
			"User Guide, \"Working with objects in a versioning-suspended bucket\"; localstack test_put_object_on_suspended_bucket",
			func(t *testing.T) {
				r := putVersioning(`<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>`)
				wantStatus(t, r, 200)
				out, err := st.cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(st.bucket), Key: aws.String("s.txt"), Body: bytes.NewReader([]byte("s"))})
				if err != nil || aws.ToString(out.VersionId) != "" {
					t.Fatalf("PutObject suspended: %+v %v", out, err)
				}
				g, err := st.cl.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(st.bucket)})
				if err != nil || g.Status != types.BucketVersioningStatusSuspended {
					t.Errorf("GetBucketVersioning %+v %v", g, err)
				}
				_, gout, err := func() ([]byte, *s3.GetObjectOutput, error) {
					out, err := st.cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(st.bucket), Key: aws.String("s.txt")})
					if err != nil {
						return nil, nil, err
					}
					defer out.Body.Close()
					b, err := io.ReadAll(out.Body)
					return b, out, err
				}()
				if err != nil || aws.ToString(gout.VersionId) != "null" {
					t.Errorf("GET in a suspended bucket: %v %+v", err, gout)
				}
			}},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) {
			t.Logf("follows %s", s.doc)
			s.run(t)
		}) {
			// Later steps build on this one.
			t.Fatalf("step %q failed", s.name)
		}
	}
}

// TestVersioningOperations: the other operations' versionId and version
// answers, one row each on a fresh Enabled bucket.
func TestVersioningOperations(t *testing.T) {
	cl := aliceSDK()
	enabled := func(t *testing.T) string {
		b := makeBucket(t, alice, "vops")
		_, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rows := []struct {
		name, doc string
		run       func(t *testing.T, b string)
	}{
		{"CompleteMultipartUpload answers the new version",
			"CompleteMultipartUpload, \"Response Syntax\": x-amz-version-id",
			func(t *testing.T, b string) {
				id := createUpload(t, cl, b, "mp")
				p, err := cl.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(id),
					PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
				if err != nil {
					t.Fatal(err)
				}
				out, err := cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(id),
					MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: p.ETag, PartNumber: aws.Int32(1)}}}})
				if err != nil || aws.ToString(out.VersionId) == "" {
					t.Fatalf("Complete: %+v %v", out, err)
				}
				h, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("mp")})
				if err != nil || aws.ToString(h.VersionId) != aws.ToString(out.VersionId) {
					t.Errorf("HEAD after Complete: %v %v", err, h)
				}
			}},
		{"UploadPartCopy from a version",
			"UploadPartCopy: x-amz-copy-source with versionId; x-amz-copy-source-version-id",
			func(t *testing.T, b string) {
				v1 := aws.ToString(putBytes(t, cl, b, "src", []byte("old bytes")).VersionId)
				putBytes(t, cl, b, "src", []byte("new bytes"))
				id := createUpload(t, cl, b, "dst")
				out, err := cl.UploadPartCopy(ctxT(t), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
					PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src?versionId=" + v1)})
				if err != nil || aws.ToString(out.CopySourceVersionId) != v1 {
					t.Fatalf("UploadPartCopy: %+v %v", out, err)
				}
				_, err = cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
					MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(1)}}}})
				if err != nil {
					t.Fatal(err)
				}
				if got := getBytes(t, cl, b, "dst"); string(got) != "old bytes" {
					t.Errorf("copied %q", got)
				}
			}},
		{"copying a version onto its own key restores it",
			"User Guide, \"Restoring previous versions\": copy a previous version into the same bucket",
			func(t *testing.T, b string) {
				v1 := aws.ToString(putBytes(t, cl, b, "k", []byte("first")).VersionId)
				putBytes(t, cl, b, "k", []byte("second"))
				_, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("k"), CopySource: aws.String(b + "/k?versionId=" + v1)})
				if err != nil {
					t.Fatal(err)
				}
				if got := getBytes(t, cl, b, "k"); string(got) != "first" {
					t.Errorf("restored %q", got)
				}
			}},
		{"ACL of one version",
			"GetObjectAcl/PutObjectAcl versionId (s3:GetObjectVersionAcl, s3:PutObjectVersionAcl)",
			func(t *testing.T, b string) {
				v1 := aws.ToString(putBytes(t, cl, b, "k", []byte("first")).VersionId)
				putBytes(t, cl, b, "k", []byte("second"))
				_, err := cl.PutObjectAcl(ctxT(t), &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1), ACL: types.ObjectCannedACLPublicRead})
				if err != nil {
					t.Fatal(err)
				}
				public := func(version string) bool {
					in := &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("k")}
					if version != "" {
						in.VersionId = aws.String(version)
					}
					out, err := cl.GetObjectAcl(ctxT(t), in)
					if err != nil {
						t.Fatal(err)
					}
					for _, g := range out.Grants {
						if g.Grantee != nil && strings.HasSuffix(aws.ToString(g.Grantee.URI), "/AllUsers") {
							return true
						}
					}
					return false
				}
				if !public(v1) || public("") {
					t.Errorf("public-read on v1: v1 %v, latest %v", public(v1), public(""))
				}
				// Anonymous: v1 is readable by its id, the latest is not.
				r := doRaw(t, rawReq{Method: "GET", Path: objPath(b, "k"), RawQuery: "versionId=" + v1})
				wantStatus(t, r, 200)
				wantXMLError(t, doRaw(t, rawReq{Method: "GET", Path: objPath(b, "k")}), 403, "AccessDenied")
			}},
		{"listing with delimiter, prefix and encoding-type=url",
			"ListObjectVersions: CommonPrefixes, EncodingType url encodes Key, Prefix, Delimiter, KeyMarker",
			func(t *testing.T, b string) {
				putBytes(t, cl, b, "dir/a b", []byte("1"))
				putBytes(t, cl, b, "dir/a b", []byte("2"))
				putBytes(t, cl, b, "dir/sub/x", []byte("3"))
				putBytes(t, cl, b, "top", []byte("4"))
				r := doRaw(t, rawReq{Method: "GET", Path: "/" + b, RawQuery: "versions&prefix=dir%2F&delimiter=%2F&encoding-type=url", Creds: &alice})
				wantStatus(t, r, 200)
				body := string(r.Body)
				for _, want := range []string{"<Key>dir/a+b</Key>", "<Prefix>dir/sub/</Prefix>", "<EncodingType>url</EncodingType>", "<Delimiter>/</Delimiter>", "<Owner><ID>"} {
					if !strings.Contains(body, want) {
						t.Errorf("listing lacks %s: %s", want, body)
					}
				}
				if strings.Contains(body, "<Key>top</Key>") || strings.Count(body, "<Version>") != 2 {
					t.Errorf("listing of dir/: %s", body)
				}
				out, err := cl.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("dir/"), Delimiter: aws.String("/")})
				if err != nil || len(out.Versions) != 2 || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "dir/sub/" {
					t.Errorf("SDK listing: %+v %v", out, err)
				}
			}},
		{"versionId answers: not taken, empty, malformed in a copy source",
			"recorded against AWS in the report \"S3 Compliance: Versioning Mix\" (tests i1, i2, j1, j2, j2a-c, k1, l1); Scality checkQueryVersionId for PutObject, CopyObject, CompleteMultipartUpload",
			func(t *testing.T, b string) {
				put := doRaw(t, rawReq{Method: "PUT", Path: objPath(b, "src"), Body: []byte("x"), Creds: &alice})
				wantStatus(t, put, 200)
				real := put.Header.Get("X-Amz-Version-Id")
				init := doRaw(t, rawReq{Method: "POST", Path: objPath(b, "mp"), RawQuery: "uploads", Creds: &alice})
				wantStatus(t, init, 200)
				uploadID := regexp.MustCompile(`<UploadId>([^<]+)</UploadId>`).FindStringSubmatch(string(init.Body))[1]
				src := func(q string) http.Header { return http.Header{"X-Amz-Copy-Source": {b + "/src?" + q}} }
				for _, c := range []struct {
					method, key, query string
					hdr                http.Header
					code, msg, arg     string
					value              string
				}{
					{"PUT", "k", "versionId=" + real, nil, "InvalidArgument", "This operation does not accept a version-id.", "versionId", real},
					{"PUT", "k", "versionId=null", src("versionId=null"), "InvalidArgument", "This operation does not accept a version-id.", "versionId", "null"},
					{"PUT", "mp", "partNumber=1&uploadId=" + uploadID + "&versionId=", nil, "InvalidArgument", "This operation does not accept a version-id.", "versionId", ""},
					{"PUT", "mp", "partNumber=1&uploadId=" + uploadID + "&versionId=abc", nil, "InvalidArgument", "This operation does not accept a version-id.", "versionId", "abc"},
					{"POST", "mp", "uploads&versionId=" + real, nil, "InvalidArgument", "This operation does not accept a version-id.", "versionId", real},
					{"GET", "src", "acl&versionId=", nil, "InvalidArgument", "Version id cannot be the empty string", "versionId", ""},
					{"PUT", "k2", "", src("versionId="), "InvalidArgument", "Version id cannot be the empty string", "x-amz-copy-source", ""},
					{"PUT", "mp", "partNumber=1&uploadId=" + uploadID, src("versionId="), "InvalidArgument", "Version id cannot be the empty string", "x-amz-copy-source", ""},
					{"PUT", "mp", "partNumber=1&uploadId=" + uploadID, src("versionId=abc"), "InvalidArgument", "Invalid version id specified", "x-amz-copy-source", "abc"},
					{"PUT", "k2", "", src("versionId=abc"), "InvalidRequest", "Invalid Request", "", ""},
				} {
					r := doRaw(t, rawReq{Method: c.method, Path: objPath(b, c.key), RawQuery: c.query, Header: c.hdr, Body: []byte("x"), Creds: &alice})
					e := wantXMLError(t, r, 400, c.code)
					body := string(r.Body)
					if e.Message != c.msg || c.arg != "" && !strings.Contains(body, "<ArgumentName>"+c.arg+"</ArgumentName><ArgumentValue>"+c.value+"</ArgumentValue>") {
						t.Errorf("%s %s?%s: %s, want %q with argument %s=%q", c.method, c.key, c.query, body, c.msg, c.arg, c.value)
					}
				}
				if _, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err == nil {
					t.Error("a refused PUT wrote k")
				}
			}},
		{"DeleteObjects: VersionId in a bucket never versioned",
			"localstack provider.py delete_objects (AWS-validated): NoSuchVersion with Key and VersionId",
			func(t *testing.T, _ string) {
				plain := makeBucket(t, alice, "vops-plain")
				out, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(plain), Delete: &types.Delete{
					Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: aws.String("0000000000000d000000")}}}})
				if err != nil || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "NoSuchVersion" || aws.ToString(out.Errors[0].VersionId) != "0000000000000d000000" {
					t.Errorf("DeleteObjects: %+v %v", out, err)
				}
			}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Logf("follows %s", row.doc)
			row.run(t, enabled(t))
		})
	}
}
