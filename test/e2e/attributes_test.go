package e2e

// GetObjectAttributes and GET/HEAD ?partNumber= end to end (issue 16,
// "Also"): raw signed requests for the exact answers, aws-sdk-go-v2 and
// minio-go for what clients parse. Each row cites where its expected
// value comes from.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

// attributesXML is a GetObjectAttributesResponse (API Reference,
// GetObjectAttributes "Response Syntax").
type attributesXML struct {
	XMLName  xml.Name `xml:"GetObjectAttributesResponse"`
	ETag     *string  `xml:"ETag"`
	Checksum *struct {
		ChecksumCRC32 string `xml:"ChecksumCRC32"`
		ChecksumType  string `xml:"ChecksumType"`
	} `xml:"Checksum"`
	ObjectParts *struct {
		PartsCount           int   `xml:"PartsCount"`
		IsTruncated          *bool `xml:"IsTruncated"`
		NextPartNumberMarker *int  `xml:"NextPartNumberMarker"`
		MaxParts             *int  `xml:"MaxParts"`
		Parts                []struct {
			PartNumber    int    `xml:"PartNumber"`
			Size          int64  `xml:"Size"`
			ChecksumCRC32 string `xml:"ChecksumCRC32"`
		} `xml:"Part"`
	} `xml:"ObjectParts"`
	StorageClass *string `xml:"StorageClass"`
	ObjectSize   *int64  `xml:"ObjectSize"`
}

// attrFixture is what the table's rows read.
type attrFixture struct {
	bucket, vbucket       string
	small                 []byte   // "single": one PUT
	plain, comp           [][]byte // "mp-plain" (no checksum), "mp-comp" (CRC32 COMPOSITE)
	compETag, v1, v2, vmp string
}

func attrSetup(t *testing.T) *attrFixture {
	cl := aliceSDK()
	f := &attrFixture{bucket: makeBucket(t, alice, "attrs"), vbucket: makeBucket(t, alice, "attrsv"), small: []byte("0123456789")}
	putBytes(t, cl, f.bucket, "single", f.small)
	putBytes(t, cl, f.bucket, "empty", nil)
	f.plain = [][]byte{randomBytes(5 * mib), randomBytes(5*mib + 7), randomBytes(10)}
	id, parts := uploadAll(t, cl, f.bucket, "mp-plain", f.plain...)
	completeUpload(t, cl, f.bucket, "mp-plain", id, etagsOnly(parts))

	f.comp = [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(3)}
	id = createUpload(t, cl, f.bucket, "mp-comp", func(in *s3.CreateMultipartUploadInput) {
		in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite
	})
	var done []types.CompletedPart
	for i, p := range f.comp {
		done = append(done, uploadPart(t, cl, f.bucket, "mp-comp", id, int32(i+1), p, func(in *s3.UploadPartInput) {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}))
	}
	f.compETag = aws.ToString(completeUpload(t, cl, f.bucket, "mp-comp", id, done).ETag)

	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(f.vbucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	f.v1 = aws.ToString(putBytes(t, cl, f.vbucket, "k", []byte("first")).VersionId)
	id, parts = uploadAll(t, cl, f.vbucket, "k", f.plain...)
	f.vmp = aws.ToString(completeUpload(t, cl, f.vbucket, "k", id, etagsOnly(parts)).VersionId)
	f.v2 = aws.ToString(putBytes(t, cl, f.vbucket, "k", []byte("second")).VersionId)
	putBytes(t, cl, f.vbucket, "gone", []byte("x"))
	if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(f.vbucket), Key: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGetObjectAttributes(t *testing.T) {
	f := attrSetup(t)
	attrs := func(bucket, key, want string, query url.Values, hdr ...string) rawReq {
		q := url.Values{"attributes": {""}}
		for k, v := range query {
			q[k] = v
		}
		h := http.Header{}
		if want != "-" {
			h.Set("X-Amz-Object-Attributes", want)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		return rawReq{Method: "GET", Path: objPath(bucket, key), Query: q, Header: h, Creds: &alice}
	}
	smallETag := md5Hex(f.small)
	cases := []struct {
		name    string
		req     rawReq
		status  int
		code    string
		message string
		header  map[string]string // "" value: the header must be absent
		check   func(t *testing.T, a attributesXML)
	}{
		// versitygw GetObjectAttributes_empty_attrs, _invalid_attrs,
		// _invalid_single_attribute (run against S3): the header is
		// checked before the key is looked up.
		{name: "no header", req: attrs(f.bucket, "single", "-", nil), status: 400, code: "InvalidRequest",
			message: "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty"},
		{name: "empty header", req: attrs(f.bucket, "single", "", nil), status: 400, code: "InvalidRequest"},
		{name: "an unknown attribute", req: attrs(f.bucket, "single", "ETag,Invalid_argument", nil), status: 400, code: "InvalidArgument",
			message: "Invalid attribute name specified."},
		{name: "an unknown attribute of a missing key", req: attrs(f.bucket, "nope", "invalid_attr", nil), status: 400, code: "InvalidArgument"},
		{name: "missing key", req: attrs(f.bucket, "nope", "ETag", nil), status: 404, code: "NoSuchKey"},
		{name: "x-amz-max-parts not an integer", req: attrs(f.bucket, "mp-comp", "ObjectParts", nil, "X-Amz-Max-Parts", "-1"), status: 400, code: "InvalidArgument",
			message: "Argument max-parts must be an integer between 0 and 2147483647."},
		// versitygw GetObjectAttributes_existing_object: the ETag unquoted,
		// ObjectSize, StorageClass STANDARD, no Checksum for an object
		// written without one; Last-Modified in the headers.
		{name: "one PUT", req: attrs(f.bucket, "single", "ETag,ObjectSize,StorageClass,ObjectParts", nil), status: 200,
			header: map[string]string{"Last-Modified": "?", "X-Amz-Version-Id": "", "ETag": ""},
			check: func(t *testing.T, a attributesXML) {
				if aws.ToString(a.ETag) != smallETag || a.ObjectSize == nil || *a.ObjectSize != 10 || aws.ToString(a.StorageClass) != "STANDARD" {
					t.Errorf("got %+v", a)
				}
				// minio-java PR 1691: an object of one PUT has no ObjectParts.
				if a.Checksum != nil || a.ObjectParts != nil {
					t.Errorf("Checksum %+v ObjectParts %+v", a.Checksum, a.ObjectParts)
				}
			}},
		{name: "only what is asked", req: attrs(f.bucket, "single", "ObjectSize", nil), status: 200,
			check: func(t *testing.T, a attributesXML) {
				if a.ETag != nil || a.StorageClass != nil || a.ObjectSize == nil {
					t.Errorf("got %+v", a)
				}
			}},
		// Without a COMPOSITE checksum only the count (AWS Support in
		// boto/boto3 issue 3509: Parts are listed only for objects
		// uploaded with an additional checksum).
		{name: "multipart without checksum", req: attrs(f.bucket, "mp-plain", "ObjectParts,ETag", nil), status: 200,
			check: func(t *testing.T, a attributesXML) {
				if a.ObjectParts == nil || a.ObjectParts.PartsCount != 3 || len(a.ObjectParts.Parts) != 0 {
					t.Errorf("ObjectParts %+v", a.ObjectParts)
				}
				if `"`+aws.ToString(a.ETag)+`"` != mpETag(f.plain...) { // unquoted here
					t.Errorf("ETag %s", aws.ToString(a.ETag))
				}
			}},
		// A COMPOSITE upload lists its parts with their checksums, paged
		// as ListParts (localstack PR 12764 and its AWS-validated
		// snapshots; the object's checksum without "-3").
		{name: "COMPOSITE, first page", req: attrs(f.bucket, "mp-comp", "ObjectParts,Checksum", nil, "X-Amz-Max-Parts", "2"), status: 200,
			check: func(t *testing.T, a attributesXML) {
				p := a.ObjectParts
				if p == nil || p.PartsCount != 3 || len(p.Parts) != 2 || p.IsTruncated == nil || !*p.IsTruncated ||
					p.NextPartNumberMarker == nil || *p.NextPartNumberMarker != 2 || p.MaxParts == nil || *p.MaxParts != 2 {
					t.Fatalf("ObjectParts %+v", p)
				}
				for i, part := range p.Parts {
					if part.PartNumber != i+1 || part.Size != int64(len(f.comp[i])) || part.ChecksumCRC32 != crc32B64(f.comp[i]) {
						t.Errorf("part %d: %+v", i+1, part)
					}
				}
				whole := compositeCRC32(f.comp...)
				if a.Checksum == nil || a.Checksum.ChecksumCRC32 != whole[:len(whole)-2] || a.Checksum.ChecksumType != "COMPOSITE" {
					t.Errorf("Checksum %+v, want %s without -3", a.Checksum, whole)
				}
			}},
		{name: "COMPOSITE, after part 2", req: attrs(f.bucket, "mp-comp", "ObjectParts", nil, "X-Amz-Part-Number-Marker", "2"), status: 200,
			check: func(t *testing.T, a attributesXML) {
				p := a.ObjectParts
				if p == nil || len(p.Parts) != 1 || p.Parts[0].PartNumber != 3 || p.Parts[0].Size != 3 || *p.IsTruncated {
					t.Fatalf("ObjectParts %+v", p)
				}
			}},
		// versionId: the version's attributes and its id in
		// x-amz-version-id (API Reference, GetObjectAttributes
		// "Response Syntax").
		{name: "a version by id", req: attrs(f.vbucket, "k", "ETag,ObjectSize", url.Values{"versionId": {f.v1}}), status: 200,
			header: map[string]string{"X-Amz-Version-Id": f.v1},
			check: func(t *testing.T, a attributesXML) {
				if aws.ToString(a.ETag) != md5Hex([]byte("first")) || *a.ObjectSize != 5 {
					t.Errorf("got %+v", a)
				}
			}},
		{name: "the latest version", req: attrs(f.vbucket, "k", "ETag", nil), status: 200,
			header: map[string]string{"X-Amz-Version-Id": f.v2}},
		{name: "a multipart version", req: attrs(f.vbucket, "k", "ObjectParts", url.Values{"versionId": {f.vmp}}), status: 200,
			check: func(t *testing.T, a attributesXML) {
				if a.ObjectParts == nil || a.ObjectParts.PartsCount != 3 {
					t.Errorf("ObjectParts %+v", a.ObjectParts)
				}
			}},
		// A delete marker as the latest version: 404 NoSuchKey with
		// x-amz-delete-marker (GetObjectAttributes "Response Syntax").
		{name: "latest is a delete marker", req: attrs(f.vbucket, "gone", "ETag", nil), status: 404, code: "NoSuchKey",
			header: map[string]string{"X-Amz-Delete-Marker": "true"}},
		{name: "a malformed version id", req: attrs(f.vbucket, "k", "ETag", url.Values{"versionId": {"bogus"}}), status: 400, code: "InvalidArgument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := doRaw(t, c.req)
			if c.code != "" {
				e := wantXMLError(t, r, c.status, c.code)
				if c.message != "" && e.Message != c.message {
					t.Errorf("message %q, want %q", e.Message, c.message)
				}
			} else {
				wantStatus(t, r, c.status)
			}
			for k, v := range c.header {
				switch got := r.Header.Get(k); {
				case v == "?" && got == "", v != "?" && got != v:
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if c.check != nil && r.Status == 200 {
				var a attributesXML
				if err := xml.Unmarshal(r.Body, &a); err != nil {
					t.Fatalf("%v: %s", err, r.Body)
				}
				c.check(t, a)
			}
		})
	}

	// aws-sdk-go-v2 parses the same answer (GetObjectAttributesOutput).
	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		out, err := aliceSDK().GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(f.bucket), Key: aws.String("mp-comp"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectParts, types.ObjectAttributesChecksum, types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass}})
		if err != nil {
			t.Fatal(err)
		}
		if `"`+aws.ToString(out.ETag)+`"` != f.compETag || aws.ToInt64(out.ObjectSize) != int64(len(concat(f.comp...))) || out.StorageClass != types.StorageClassStandard {
			t.Errorf("ETag %s size %d class %s", aws.ToString(out.ETag), aws.ToInt64(out.ObjectSize), out.StorageClass)
		}
		if out.ObjectParts == nil || aws.ToInt32(out.ObjectParts.TotalPartsCount) != 3 || len(out.ObjectParts.Parts) != 3 ||
			aws.ToString(out.ObjectParts.Parts[2].ChecksumCRC32) != crc32B64(f.comp[2]) || aws.ToInt64(out.ObjectParts.Parts[2].Size) != 3 {
			t.Errorf("ObjectParts %+v", out.ObjectParts)
		}
		if out.Checksum == nil || out.Checksum.ChecksumType != types.ChecksumTypeComposite || out.LastModified == nil {
			t.Errorf("Checksum %+v LastModified %v", out.Checksum, out.LastModified)
		}
		// A versioned object: VersionId in the output.
		vout, err := aliceSDK().GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(f.vbucket), Key: aws.String("k"),
			VersionId: aws.String(f.v1), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
		if err != nil || aws.ToString(vout.VersionId) != f.v1 || aws.ToInt64(vout.ObjectSize) != 5 {
			t.Errorf("version: %+v %v", vout, err)
		}
	})

	// minio-go's GetObjectAttributes (it refuses an answer with an ETag
	// header, and reads ObjectParts.PartsCount).
	t.Run("minio-go", func(t *testing.T) {
		a, err := mc(t, alice, false).GetObjectAttributes(ctxT(t), f.bucket, "mp-comp", minio.ObjectAttributesOptions{MaxParts: 2})
		if err != nil {
			t.Fatal(err)
		}
		if a.ObjectParts.PartsCount != 3 || len(a.ObjectParts.Parts) != 2 || !a.ObjectParts.IsTruncated || a.ObjectParts.Parts[1].ChecksumCRC32 != crc32B64(f.comp[1]) {
			t.Errorf("ObjectParts %+v", a.ObjectParts)
		}
		if a.ObjectSize != len(concat(f.comp...)) || a.StorageClass != "STANDARD" {
			t.Errorf("size %d class %q", a.ObjectSize, a.StorageClass)
		}
		v, err := mc(t, alice, false).GetObjectAttributes(ctxT(t), f.vbucket, "k", minio.ObjectAttributesOptions{VersionID: f.v1})
		if err != nil || v.VersionID != f.v1 || v.ObjectSize != 5 {
			t.Errorf("version: %+v %v", v, err)
		}
	})
}

func TestGetObjectPartNumber(t *testing.T) {
	f := attrSetup(t)
	part := func(method, bucket, key, n string, query url.Values, hdr ...string) rawReq {
		q := url.Values{"partNumber": {n}}
		for k, v := range query {
			q[k] = v
		}
		h := http.Header{}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		return rawReq{Method: method, Path: objPath(bucket, key), Query: q, Header: h, Creds: &alice}
	}
	total := 0
	for _, p := range f.plain {
		total += len(p)
	}
	p1 := len(f.plain[0])
	cases := []struct {
		name   string
		req    rawReq
		status int
		code   string
		header map[string]string // "" value: absent
		body   []byte
		elems  map[string]string
	}{
		// AWS answers part 1 of a single PUT as the whole object in a
		// range: 206, Content-Range, no x-amz-mp-parts-count (the S3
		// response quoted in versitygw issue 2074; moto PR 7850).
		{name: "one PUT, part 1", req: part("GET", f.bucket, "single", "1", nil), status: 206, body: f.small,
			header: map[string]string{"Content-Range": "bytes 0-9/10", "X-Amz-Mp-Parts-Count": "", "Content-Length": "10"}},
		{name: "one PUT, HEAD part 1", req: part("HEAD", f.bucket, "single", "1", nil), status: 206,
			header: map[string]string{"Content-Range": "bytes 0-9/10", "Content-Length": "10"}},
		// An empty object has no range (versitygw PR 2064).
		{name: "empty, part 1", req: part("GET", f.bucket, "empty", "1", nil), status: 200, body: []byte{},
			header: map[string]string{"Content-Range": ""}},
		// Past the last part: 416 InvalidPartNumber (localstack
		// provider.py get_object, validated against AWS).
		{name: "one PUT, part 2", req: part("GET", f.bucket, "single", "2", nil), status: 416, code: "InvalidPartNumber",
			elems: map[string]string{"PartNumberRequested": "2", "ActualPartCount": "1"}},
		{name: "multipart, part 4", req: part("GET", f.bucket, "mp-plain", "4", nil), status: 416, code: "InvalidPartNumber",
			elems: map[string]string{"PartNumberRequested": "4", "ActualPartCount": "3"}},
		// Not 1..10000: InvalidArgument (versitygw
		// GetObject_invalid_part_number), checked before the key.
		{name: "part 0", req: part("GET", f.bucket, "single", "0", nil), status: 400, code: "InvalidArgument",
			elems: map[string]string{"ArgumentName": "partNumber", "ArgumentValue": "0"}},
		{name: "part 10001 of a missing key", req: part("GET", f.bucket, "nope", "10001", nil), status: 400, code: "InvalidArgument"},
		{name: "part x", req: part("GET", f.bucket, "single", "x", nil), status: 400, code: "InvalidArgument"},
		{name: "part of a missing key", req: part("GET", f.bucket, "nope", "1", nil), status: 404, code: "NoSuchKey"},
		// Range with partNumber (localstack provider.py get_object).
		{name: "with a Range", req: part("GET", f.bucket, "mp-plain", "1", nil, "Range", "bytes=0-1"), status: 400, code: "InvalidRequest"},
		// A multipart object's part: its bytes, Content-Range within the
		// object, x-amz-mp-parts-count (GetObject "Response Syntax").
		{name: "multipart, part 2", req: part("GET", f.bucket, "mp-plain", "2", nil), status: 206, body: f.plain[1],
			header: map[string]string{"X-Amz-Mp-Parts-Count": "3", "ETag": mpETag(f.plain...), // the object's
				"Content-Range": fmt.Sprintf("bytes %d-%d/%d", p1, p1+len(f.plain[1])-1, total)}},
		{name: "multipart, HEAD part 3", req: part("HEAD", f.bucket, "mp-plain", "3", nil), status: 206,
			header: map[string]string{"X-Amz-Mp-Parts-Count": "3", "Content-Length": "10",
				"Content-Range": fmt.Sprintf("bytes %d-%d/%d", total-10, total-1, total)}},
		{name: "multipart, HEAD part 9", req: part("HEAD", f.bucket, "mp-plain", "9", nil), status: 416},
		// With versionId: the part of that version.
		{name: "a multipart version's part 3", req: part("GET", f.vbucket, "k", "3", url.Values{"versionId": {f.vmp}}), status: 206, body: f.plain[2],
			header: map[string]string{"X-Amz-Mp-Parts-Count": "3", "X-Amz-Version-Id": f.vmp}},
		{name: "the latest version's part 1", req: part("GET", f.vbucket, "k", "1", nil), status: 206, body: []byte("second"),
			header: map[string]string{"X-Amz-Mp-Parts-Count": "", "X-Amz-Version-Id": f.v2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := doRaw(t, c.req)
			if c.code != "" {
				wantXMLError(t, r, c.status, c.code)
				for k, v := range c.elems {
					if !bytes.Contains(r.Body, []byte("<"+k+">"+v+"</"+k+">")) {
						t.Errorf("no <%s>%s</%s> in %s", k, v, k, r.Body)
					}
				}
			} else {
				wantStatus(t, r, c.status)
			}
			for k, v := range c.header {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if c.body != nil && !bytes.Equal(r.Body, c.body) {
				t.Errorf("body of %d bytes, want %d", len(r.Body), len(c.body))
			}
		})
	}

	// aws-sdk-go-v2: GetObject and HeadObject with PartNumber read
	// PartsCount and ContentRange.
	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		cl := aliceSDK()
		for n := int32(1); n <= 3; n++ {
			out, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(f.bucket), Key: aws.String("mp-plain"), PartNumber: aws.Int32(n)})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			_, err = got.ReadFrom(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(got.Bytes(), f.plain[n-1]) || aws.ToInt32(out.PartsCount) != 3 {
				t.Errorf("part %d: %d bytes, PartsCount %d, %v", n, got.Len(), aws.ToInt32(out.PartsCount), err)
			}
		}
		head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(f.bucket), Key: aws.String("single"), PartNumber: aws.Int32(1)})
		if err != nil || head.PartsCount != nil || aws.ToInt64(head.ContentLength) != 10 || aws.ToString(head.ContentRange) != "bytes 0-9/10" {
			t.Errorf("HeadObject part 1 of one PUT: %+v %v", head, err)
		}
		_, err = cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(f.bucket), Key: aws.String("single"), PartNumber: aws.Int32(2)})
		wantSDKError(t, err, 416, "InvalidPartNumber")
	})

	// minio-go asks for a part through GetObjectOptions.PartNumber.
	t.Run("minio-go", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctxT(t))
		defer cancel()
		obj, err := mc(t, alice, false).GetObject(ctx, f.bucket, "mp-plain", minio.GetObjectOptions{PartNumber: 3})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		var got bytes.Buffer
		if _, err := got.ReadFrom(obj); err != nil || !bytes.Equal(got.Bytes(), f.plain[2]) {
			t.Errorf("part 3: %d bytes, %v", got.Len(), err)
		}
	})
}
