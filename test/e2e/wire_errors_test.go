package e2e

import (
	"context"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// errorElements are the child elements of an S3 <Error> document, by name.
func errorElements(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var doc struct {
		Elems []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not an XML error: %v: %s", err, body)
	}
	m := map[string]string{}
	for _, e := range doc.Elems {
		m[e.XMLName.Local] = e.Value
	}
	return m
}

// spacedHex is how S3 writes StringToSignBytes and CanonicalRequestBytes.
func spacedHex(s string) string {
	parts := make([]string, len(s))
	for i := range len(s) {
		parts[i] = hex.EncodeToString([]byte{s[i]})
	}
	return strings.Join(parts, " ")
}

// signFor signs req as alice for another region (buildRaw signs for ours).
func signFor(t *testing.T, req *http.Request, reg string) *http.Request {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", sha256Hex(nil))
	err := rawSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret},
		req, sha256Hex(nil), "s3", reg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// presignQuery is a SigV4 query whose parameters S3 refuses before it
// looks at the signature.
func presignQuery(cred, date, expires string) string {
	q := url.Values{
		"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Credential": {cred}, "X-Amz-Date": {date},
		"X-Amz-Expires": {expires}, "X-Amz-SignedHeaders": {"host"}, "X-Amz-Signature": {strings.Repeat("0", 64)},
	}
	return q.Encode()
}

// TestWireErrors: each row is a request and S3's exact answer to it:
// status, code, message and the extra elements S3 sends.
func TestWireErrors(t *testing.T) {
	bucket := makeBucket(t, alice, "wireerr")
	putBytes(t, aliceSDK(), bucket, "k", []byte("object bytes"))
	obj := "/" + bucket + "/k"
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	skewed := now.Add(-time.Hour).Truncate(time.Second)
	// An upload with two 3-byte parts: the first is under 5 MiB and not last.
	ctx := ctxT(t)
	mpu, err := aliceSDK().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	uploadID := aws.ToString(mpu.UploadId)
	for n, body := range []string{"aaa", "bbb"} {
		_, err := aliceSDK().UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(int32(n + 1)), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
	}
	complete := func(etag1 string) func(*testing.T) rawResp {
		body := `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"` + etag1 + `"</ETag></Part>` +
			`<Part><PartNumber>2</PartNumber><ETag>"` + md5Hex([]byte("bbb")) + `"</ETag></Part></CompleteMultipartUpload>`
		return func(t *testing.T) rawResp {
			return doRaw(t, rawReq{Method: "POST", Path: "/" + bucket + "/mp", Query: url.Values{"uploadId": {uploadID}}, Body: []byte(body), Creds: &alice})
		}
	}

	type row struct {
		name string
		req  func(t *testing.T) rawResp
		// status, code and message S3 answers; code "" is a success whose
		// body contains message.
		status        int
		code, message string
		elems         map[string]string // elements with their exact values
		check         func(t *testing.T, elems map[string]string)
	}
	raw := func(r rawReq) func(*testing.T) rawResp {
		return func(t *testing.T) rawResp { return doRaw(t, r) }
	}
	rows := []row{
		// vgw tests/integration/general.go RouterListVersionsWithKey (S3's
		// text for ListObjectVersions sent to a key; versity/versitygw#1688
		// quotes the S3 response).
		{name: "GET ?versions on a key", req: raw(rawReq{Method: "GET", Path: obj, Query: url.Values{"versions": {""}}, Creds: &alice}),
			status: 400, code: "InvalidRequest", message: "There is no such thing as the ?versions sub-resource for a key"},
		// The same sub-resource with PUT: never a write of the object.
		{name: "PUT ?versions on a key", req: raw(rawReq{Method: "PUT", Path: obj, Query: url.Values{"versions": {""}}, Body: []byte("overwritten"), Creds: &alice}),
			status: 400, code: "InvalidRequest", message: "There is no such thing as the ?versions sub-resource for a key"},
		// vgw RouterGetUploadsWithKey: ListMultipartUploads sent to a key.
		{name: "GET ?uploads on a key", req: raw(rawReq{Method: "GET", Path: obj, Query: url.Values{"uploads": {""}}, Creds: &alice}),
			status: 400, code: "InvalidRequest", message: "Key is not expected for the GET method ?uploads subresource"},
		// vgw RouterPutPartNumberWithoutUploadId (its REST tests run
		// against S3 directly): the parameter's name is the value too.
		{name: "PUT ?partNumber without uploadId", req: raw(rawReq{Method: "PUT", Path: obj, Query: url.Values{"partNumber": {"1"}}, Body: []byte("x"), Creds: &alice}),
			status: 400, code: "InvalidArgument", message: "This operation does not accept partNumber without uploadId",
			elems: map[string]string{"ArgumentName": "partNumber", "ArgumentValue": "partNumber"}},
		// vgw RouterPUTObjectOnlyUploadId: ResourceType UPLOAD.
		{name: "PUT ?uploadId without partNumber", req: raw(rawReq{Method: "PUT", Path: obj, Query: url.Values{"uploadId": {"u"}}, Creds: &alice}),
			status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.",
			elems: map[string]string{"Method": "PUT", "ResourceType": "UPLOAD"}},
		// S3's answer to a POST on an object (quoted in write-ups of
		// presigned POSTs): Method POST, ResourceType OBJECT.
		{name: "POST on an object", req: raw(rawReq{Method: "POST", Path: obj, Creds: &alice}),
			status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.",
			elems: map[string]string{"Method": "POST", "ResourceType": "OBJECT"}},
		// vgw RouterPostRoot: ResourceType SERVICE.
		{name: "POST on the service", req: raw(rawReq{Method: "POST", Path: "/", Creds: &alice}),
			status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.",
			elems: map[string]string{"Method": "POST", "ResourceType": "SERVICE"}},
		// S3 dispatches a bucket's sub-resource at a key path as at the
		// bucket's (measured against s3.amazonaws.com, brekkylab/backlot#267):
		// GET ?location answers the bucket's location, not the object.
		{name: "GET ?location at a key path", req: raw(rawReq{Method: "GET", Path: obj, Query: url.Values{"location": {""}}, Creds: &alice}),
			status: 200, message: "<LocationConstraint"},
		// S3 limits the header section to 8 KiB (vgw
		// request-header-section-too-large-error.go: MaxSizeAllowed).
		{name: "headers over 8 KiB", req: raw(rawReq{Method: "GET", Path: obj, Header: http.Header{"X-Amz-Meta-Pad": {strings.Repeat("p", 9000)}}}),
			status: 400, code: "RequestHeaderSectionTooLarge", message: "Your request header section exceeds the maximum allowed size.",
			elems: map[string]string{"MaxSizeAllowed": "8192"}},
		// docs: "Error responses" (SignatureDoesNotMatch); the elements in
		// S3's order with the byte dumps as S3 writes them (vgw
		// signature-does-not-match-error.go).
		{name: "wrong secret", req: raw(rawReq{Method: "GET", Path: obj, Creds: &creds{aliceKey, "wrong-secret-0000000000000000000000000000"}}),
			status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			elems: map[string]string{"AWSAccessKeyId": aliceKey},
			check: func(t *testing.T, e map[string]string) {
				if len(e["SignatureProvided"]) != 64 || e["StringToSign"] == "" || e["CanonicalRequest"] == "" {
					t.Errorf("SignatureProvided %q, StringToSign %q, CanonicalRequest %q", e["SignatureProvided"], e["StringToSign"], e["CanonicalRequest"])
				}
				if e["StringToSignBytes"] != spacedHex(e["StringToSign"]) || e["CanonicalRequestBytes"] != spacedHex(e["CanonicalRequest"]) {
					t.Errorf("byte dumps %q / %q", e["StringToSignBytes"], e["CanonicalRequestBytes"])
				}
			}},
		// docs: "Error responses" (RequestTimeTooSkewed): RequestTime as
		// sent, ServerTime in ISO 8601, the 15-minute limit.
		{name: "clock skew", req: raw(rawReq{Method: "GET", Path: obj, Creds: &alice, SignTime: skewed}),
			status: 403, code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large.",
			elems: map[string]string{"RequestTime": skewed.Format("20060102T150405Z"), "MaxAllowedSkewMilliseconds": "900000"},
			check: func(t *testing.T, e map[string]string) {
				if st, err := time.Parse(time.RFC3339, e["ServerTime"]); err != nil || time.Since(st).Abs() > time.Minute {
					t.Errorf("ServerTime %q", e["ServerTime"])
				}
			}},
		// docs: "Error responses" (NoSuchUpload); S3 names the upload.
		{name: "no such upload", req: raw(rawReq{Method: "GET", Path: obj, Query: url.Values{"uploadId": {"nope"}}, Creds: &alice}),
			status: 404, code: "NoSuchUpload", message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
			elems: map[string]string{"UploadId": "nope"}},
		// Presigned URL parameters (vgw s3err/presigned-urls.go; the same
		// texts in localstack's presigned_url.py).
		{name: "presign expires over a week", req: raw(rawReq{Method: "GET", Path: obj, RawQuery: presignQuery(aliceKey+"/"+day+"/"+region+"/s3/aws4_request", amzDate, "700000")}),
			status: 400, code: "AuthorizationQueryParametersError", message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{name: "presign wrong service", req: raw(rawReq{Method: "GET", Path: obj, RawQuery: presignQuery(aliceKey+"/"+day+"/"+region+"/s4/aws4_request", amzDate, "60")}),
			status: 400, code: "AuthorizationQueryParametersError", message: `Error parsing the X-Amz-Credential parameter; incorrect service "s4". This endpoint belongs to "s3".`},
		{name: "presign credential date", req: raw(rawReq{Method: "GET", Path: obj, RawQuery: presignQuery(aliceKey+"/20200101/"+region+"/s3/aws4_request", amzDate, "60")}),
			status: 400, code: "AuthorizationQueryParametersError", message: `Invalid credential date "20200101". This date is not the same as X-Amz-Date: "` + day + `".`},
		{name: "presign malformed credential", req: raw(rawReq{Method: "GET", Path: obj, RawQuery: presignQuery("nonsense", amzDate, "60")}),
			status: 400, code: "AuthorizationQueryParametersError", message: `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		// S3's answer to a header signed for another region, with Region
		// (vgw s3err/sigv4.go; the text users quote from S3).
		{name: "header signed for another region", req: func(t *testing.T) rawResp {
			req, err := http.NewRequest("GET", srv.base+obj, nil)
			if err != nil {
				t.Fatal(err)
			}
			return send(t, signFor(t, req, "eu-west-1"))
		}, status: 400, code: "AuthorizationHeaderMalformed", message: "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting '" + region + "'",
			elems: map[string]string{"Region": region}},
		// vgw invalid-argument.go: ArgumentName x-amz-copy-source.
		{name: "copy source without a key", req: raw(rawReq{Method: "PUT", Path: "/" + bucket + "/k2", Header: http.Header{"X-Amz-Copy-Source": {bucket}}, Creds: &alice}),
			status: 400, code: "InvalidArgument", message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
			elems: map[string]string{"ArgumentName": "x-amz-copy-source", "ArgumentValue": bucket}},
		// docs: ListObjectsV2 encoding-type; S3 names the argument.
		{name: "bad encoding-type", req: raw(rawReq{Method: "GET", Path: "/" + bucket, Query: url.Values{"encoding-type": {"bogus"}}, Creds: &alice}),
			status: 400, code: "InvalidArgument", message: "Invalid Encoding Method specified in Request",
			elems: map[string]string{"ArgumentName": "encoding-type", "ArgumentValue": "bogus"}},
		// vgw invalid-argument.go (ArgumentName x-amz-content-sha256): the
		// text lists the SigV4a streaming forms too, as S3's does.
		{name: "bad x-amz-content-sha256", req: raw(rawReq{Method: "PUT", Path: "/" + bucket + "/k3", Body: []byte("x"), PayloadHash: "bogus", Creds: &alice}),
			status: 400, code: "InvalidArgument", message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
			elems: map[string]string{"ArgumentName": "x-amz-content-sha256", "ArgumentValue": "bogus"}},
		// docs: UploadPart partNumber 1..10000; vgw invalid-argument.go.
		{name: "part number 0", req: raw(rawReq{Method: "PUT", Path: obj, Query: url.Values{"partNumber": {"0"}, "uploadId": {"u"}}, Body: []byte("x"), Creds: &alice}),
			status: 400, code: "InvalidArgument", message: "Part number must be an integer between 1 and 10000, inclusive",
			elems: map[string]string{"ArgumentName": "partNumber", "ArgumentValue": "0"}},
		// docs: "Error responses" (InvalidPart); S3 names the upload, the
		// part and the ETag asked for (vgw invalid-part-error.go).
		{name: "complete with a wrong part ETag", req: complete(strings.Repeat("0", 32)),
			status: 400, code: "InvalidPart", message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
			elems: map[string]string{"UploadId": uploadID, "PartNumber": "1", "ETag": strings.Repeat("0", 32)}},
		// S3's answer to a part under 5 MiB that is not the last, as a
		// client recorded it from S3 (RequestId and HostId S3's own):
		// ProposedSize, MinSizeAllowed, PartNumber, ETag unquoted.
		{name: "complete with a small part", req: complete(md5Hex([]byte("aaa"))),
			status: 400, code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size",
			elems: map[string]string{"ProposedSize": "3", "MinSizeAllowed": "5242880", "PartNumber": "1", "ETag": md5Hex([]byte("aaa"))}},
		// docs: "Error responses" (MalformedXML): S3's text has no final
		// period.
		{name: "malformed complete body", req: raw(rawReq{Method: "POST", Path: obj, Query: url.Values{"uploadId": {"u"}}, Body: []byte("<nope"), Creds: &alice}),
			status: 400, code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema"},
		// S3's CORS refusals name the method asked for and the resource's
		// type (recorded by localstack's and others' CORS tests).
		{name: "preflight on a missing bucket", req: func(t *testing.T) rawResp {
			return preflight(t, srv.base, "/"+newBucketName("nocors"), "http://app.example", "PUT", "")
		}, status: 403, code: "AccessForbidden", message: "CORSResponse: Bucket not found",
			elems: map[string]string{"Method": "PUT", "ResourceType": "BUCKET"}},
		{name: "preflight without CORS rules", req: func(t *testing.T) rawResp {
			return preflight(t, srv.base, obj, "http://app.example", "GET", "")
		}, status: 403, code: "AccessForbidden", message: "CORSResponse: CORS is not enabled for this bucket.",
			elems: map[string]string{"Method": "GET", "ResourceType": "OBJECT"}},
		// docs: "Error responses" (NotImplemented).
		{name: "unimplemented sub-resource", req: raw(rawReq{Method: "GET", Path: "/" + bucket, Query: url.Values{"logging": {""}}, Creds: &alice}),
			status: 501, code: "NotImplemented", message: "A header you provided implies functionality that is not implemented."},
	}
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			r := c.req(t)
			if c.code == "" {
				wantStatus(t, r, c.status)
				if !strings.Contains(string(r.Body), c.message) {
					t.Errorf("body lacks %q: %s", c.message, r)
				}
				return
			}
			e := wantXMLError(t, r, c.status, c.code)
			if e.Message != c.message {
				t.Errorf("message %q\nwant    %q", e.Message, c.message)
			}
			elems := errorElements(t, r.Body)
			for k, v := range c.elems {
				if elems[k] != v {
					t.Errorf("<%s> %q, want %q", k, elems[k], v)
				}
			}
			if c.check != nil {
				c.check(t, elems)
			}
		})
	}
	if got := string(getBytes(t, aliceSDK(), bucket, "k")); got != "object bytes" {
		t.Errorf("a refused request changed the object to %q", got)
	}
}
