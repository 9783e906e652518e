package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"time"
)

// The policy of AWS's "Example: Browser-Based Upload using HTTP POST (Using
// AWS Signature Version 4)", with the document's CRLF line ends; AWS
// publishes its signature.
const awsPostPolicyDoc = "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n" +
	"  \"conditions\": [\r\n" +
	"    {\"bucket\": \"sigv4examplebucket\"},\r\n" +
	"    [\"starts-with\", \"$key\", \"user/user1/\"],\r\n" +
	"    {\"acl\": \"public-read\"},\r\n" +
	"    {\"success_action_redirect\": \"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},\r\n" +
	"    [\"starts-with\", \"$Content-Type\", \"image/\"],\r\n" +
	"    {\"x-amz-meta-uuid\": \"14365123651274\"},\r\n" +
	"    {\"x-amz-server-side-encryption\": \"AES256\"},\r\n" +
	"    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],\r\n" +
	"\r\n" +
	"    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},\r\n" +
	"    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\r\n" +
	"    {\"x-amz-date\": \"20151229T000000Z\" }\r\n" +
	"  ]\r\n" +
	"}"

const awsPostSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"

// awsPostFields are the example's form fields (lower-case names), with the
// key after ${filename} substitution.
func awsPostFields() map[string]string {
	return map[string]string{
		"key":                          "user/user1/photo.jpg",
		"acl":                          "public-read",
		"success_action_redirect":      "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
		"content-type":                 "image/jpeg",
		"x-amz-meta-uuid":              "14365123651274",
		"x-amz-server-side-encryption": "AES256",
		"x-amz-credential":             "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		"x-amz-algorithm":              "AWS4-HMAC-SHA256",
		"x-amz-date":                   "20151229T000000Z",
		"x-amz-meta-tag":               "",
		"policy":                       base64.StdEncoding.EncodeToString([]byte(awsPostPolicyDoc)),
		"x-amz-signature":              awsPostSignature,
	}
}

func postVerifier(now time.Time) *Verifier {
	v := newTestVerifier(now)
	return v
}

func TestVerifyPostAWSExample(t *testing.T) {
	now := time.Date(2015, 12, 29, 10, 0, 0, 0, time.UTC)
	v := postVerifier(now)
	pa, err := v.VerifyPost(t.Context(), "sigv4examplebucket", awsPostFields())
	if err != nil {
		t.Fatal(err)
	}
	if pa.Principal.AccessKeyID != exampleAK || pa.Principal.Owner != "owner" || pa.Principal.Method != "v4-post" || pa.Principal.Anonymous {
		t.Errorf("principal %+v", pa.Principal)
	}
	if pa.MinLength != 0 || pa.MaxLength != -1 {
		t.Errorf("length range %d..%d, want 0..-1", pa.MinLength, pa.MaxLength)
	}

	cases := []struct {
		name   string
		bucket string
		now    time.Time
		change func(map[string]string)
		want   error
		detail string
	}{
		{"wrong bucket", "otherbucket", now, nil, ErrAccessDenied, `Policy Condition failed: ["eq", "$bucket", "sigv4examplebucket"]`},
		{"expired", "sigv4examplebucket", time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC), nil, ErrAccessDenied, "Policy expired."},
		{"key outside the prefix", "sigv4examplebucket", now, func(f map[string]string) { f["key"] = "user/user2/photo.jpg" }, ErrAccessDenied, `"$key"`},
		{"content type not image", "sigv4examplebucket", now, func(f map[string]string) { f["content-type"] = "text/html" }, ErrAccessDenied, "$Content-Type"},
		{"one of several content types not image", "sigv4examplebucket", now, func(f map[string]string) { f["content-type"] = "image/png, text/html" }, ErrAccessDenied, "$Content-Type"},
		{"metadata changed", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-meta-uuid"] = "1" }, ErrAccessDenied, "x-amz-meta-uuid"},
		{"extra field", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-meta-evil"] = "1" }, ErrAccessDenied, "Extra input fields: x-amz-meta-evil"},
		{"policy field changed", "sigv4examplebucket", now, func(f map[string]string) {
			f["policy"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(awsPostPolicyDoc, "user/user1/", "", 1)))
		}, ErrSignatureDoesNotMatch, ""},
		{"signature changed", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-signature"] = strings.Repeat("0", 64) }, ErrSignatureDoesNotMatch, ""},
		{"signature not hex", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-signature"] = "zz" }, ErrSignatureDoesNotMatch, ""},
		{"unknown key", "sigv4examplebucket", now, func(f map[string]string) {
			f["x-amz-credential"] = "AKIAUNKNOWN/20151229/us-east-1/s3/aws4_request"
		}, ErrInvalidAccessKeyID, ""},
		{"scope date differs from x-amz-date", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-date"] = "20151230T000000Z" }, ErrAuthorizationHeaderMalformed, ""},
		{"bad x-amz-date", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-date"] = "yesterday" }, ErrAuthorizationHeaderMalformed, ""},
		{"SigV4a", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-algorithm"] = "AWS4-ECDSA-P256-SHA256" }, ErrUnsupportedSignatureAlgorithm, ""},
		{"unknown algorithm", "sigv4examplebucket", now, func(f map[string]string) { f["x-amz-algorithm"] = "HMAC-MD5" }, ErrInvalidRequest, ""},
		{"no credential", "sigv4examplebucket", now, func(f map[string]string) { delete(f, "x-amz-credential") }, ErrPostMissingField, "x-amz-credential"},
		{"no policy", "sigv4examplebucket", now, func(f map[string]string) { delete(f, "policy") }, ErrPostMissingField, "policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := awsPostFields()
			if c.change != nil {
				c.change(f)
			}
			_, err := postVerifier(c.now).VerifyPost(t.Context(), c.bucket, f)
			mustErrIs(t, err, c.want)
			if c.detail != "" && !strings.Contains(err.Error(), c.detail) {
				t.Errorf("error %q lacks %q", err, c.detail)
			}
			var pe *PolicyError
			if errors.Is(c.want, ErrAccessDenied) && (!errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "Invalid according to Policy: ")) {
				t.Errorf("want a PolicyError, got %T %v", err, err)
			}
		})
	}
	t.Run("wrong region names the expected one", func(t *testing.T) {
		v := postVerifier(now)
		v.Region = "eu-west-1"
		_, err := v.VerifyPost(t.Context(), "sigv4examplebucket", awsPostFields())
		var re *RegionError
		if !errors.As(err, &re) || re.Expected != "eu-west-1" || re.Got != "us-east-1" {
			t.Fatalf("error %v, want a RegionError expecting eu-west-1", err)
		}
	})
}

func signPostV2(secret, policy string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func signPostV4(secret, date, policy string) string {
	return hex.EncodeToString(hmacSHA256(deriveKey(secret, date, "us-east-1", "s3"), policy))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestVerifyPostV2(t *testing.T) {
	now := exampleTime()
	// What boto3's generate_presigned_post writes with its default signer.
	policy := b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [{"bucket": "b"}, {"key": "up/x.txt"}, ["content-length-range", 10, 100], {"success_action_status": 201}]}`)
	fields := func() map[string]string {
		return map[string]string{
			"key": "up/x.txt", "awsaccesskeyid": exampleAK, "policy": policy,
			"signature": signPostV2(exampleSecret, policy), "success_action_status": "201",
		}
	}
	pa, err := postVerifier(now).VerifyPost(t.Context(), "b", fields())
	if err != nil {
		t.Fatal(err)
	}
	if pa.Principal.Method != "v2-post" || pa.Principal.AccessKeyID != exampleAK || pa.MinLength != 10 || pa.MaxLength != 100 {
		t.Errorf("got %+v", pa)
	}
	f := fields()
	f["signature"] = signPostV2("wrong secret", policy)
	_, err = postVerifier(now).VerifyPost(t.Context(), "b", f)
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
	f = fields()
	f["awsaccesskeyid"] = "nobody"
	_, err = postVerifier(now).VerifyPost(t.Context(), "b", f)
	mustErrIs(t, err, ErrInvalidAccessKeyID)
	f = fields()
	delete(f, "signature")
	_, err = postVerifier(now).VerifyPost(t.Context(), "b", f)
	mustErrIs(t, err, ErrPostMissingField)
	f = fields()
	f["success_action_status"] = "200"
	_, err = postVerifier(now).VerifyPost(t.Context(), "b", f)
	mustErrIs(t, err, ErrAccessDenied)
	_, err = postVerifier(now.Add(2*time.Hour)).VerifyPost(t.Context(), "b", fields())
	mustErrIs(t, err, ErrAccessDenied)
}

func TestVerifyPostAnonymousAndCase(t *testing.T) {
	pa, err := postVerifier(exampleTime()).VerifyPost(t.Context(), "b", map[string]string{"key": "k"})
	if err != nil || !pa.Principal.Anonymous {
		t.Fatalf("anonymous form: %+v %v", pa, err)
	}
	// Condition names are case-insensitive; '$' fields match lower-case
	// form names.
	policy := b64(`{"expiration": "2013-05-24T01:00:00.000Z", "conditions": [["EQ", "$Key", "k"], ["Starts-With", "$X-Amz-Meta-Color", ""],
		{"X-AMZ-CREDENTIAL": "` + exampleAK + `/20130524/us-east-1/s3/aws4_request"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-date": "` + exampleDate + `"}]}`)
	f := map[string]string{
		"key": "k", "x-amz-meta-color": "blue", "policy": policy,
		"x-amz-credential": exampleAK + "/20130524/us-east-1/s3/aws4_request", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-date": exampleDate,
		"x-amz-signature": signPostV4(exampleSecret, "20130524", policy), "x-ignore-me": "anything",
	}
	if _, err := postVerifier(exampleTime()).VerifyPost(t.Context(), "b", f); err != nil {
		t.Fatal(err)
	}
}

func TestParsePostPolicyErrors(t *testing.T) {
	bad := []string{
		"not base64!",
		b64(`not json`),
		b64(`{"conditions": []}`),
		b64(`{"expiration": "tomorrow", "conditions": []}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z"}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [1]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [{}]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [{"a": ["x"]}]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["eq", "$a"]]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["eq", "a", "b"]]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["in", "$a", "b"]]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", 10, 1]]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", -1, 1]]}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", "a", 1]]}`),
		// The top-level keys are case-sensitive (ceph/s3-tests
		// test_post_object_condition_is_case_sensitive,
		// test_post_object_expires_is_case_sensitive).
		b64(`{"expiration": "2013-05-24T01:00:00Z", "CONDITIONS": []}`),
		b64(`{"EXPIRATION": "2013-05-24T01:00:00Z", "conditions": []}`),
		b64(`{"Expiration": "2013-05-24T01:00:00Z", "Conditions": []}`),
		b64(`{"expiration": 5, "conditions": []}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": {}}`),
		b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [` + strings.Repeat(`{"a":"b"},`, maxPolicyConditions) + `{"a":"b"}]}`),
	}
	for _, p := range bad {
		if _, err := ParsePostPolicy(p); !errors.Is(err, ErrInvalidPolicyDocument) {
			t.Errorf("ParsePostPolicy(%q): %v, want InvalidPolicyDocument", p, err)
		}
	}
	// Operators and field names are not case-sensitive
	// (test_post_object_case_insensitive_condition_fields).
	p, err := ParsePostPolicy(b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["StArTs-WiTh", "$KeY", "foo"], {"bUcKeT": "b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Conditions) != 2 || p.Conditions[0].Op != "starts-with" || p.Conditions[0].Field != "key" || p.Conditions[1].Field != "bucket" {
		t.Errorf("conditions %+v", p.Conditions)
	}
	p, err = ParsePostPolicy(b64(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", "1", "1048576"], {"a": "b", "c": "d"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Conditions) != 3 || p.Conditions[0].Min != 1 || p.Conditions[0].Max != 1048576 {
		t.Errorf("conditions %+v", p.Conditions)
	}
}

// postBody builds a multipart/form-data body with the fields in order and
// the file last (when file is non-nil).
func postBody(t *testing.T, fields [][2]string, fileName string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		w, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(file)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestReadPostForm(t *testing.T) {
	body, ct := postBody(t, [][2]string{{"Key", "a/${filename}"}, {"X-Amz-Meta-Color", "blue"}, {"Policy", "p"}}, "dir/photo.jpg", []byte("file content"))
	form, err := ReadPostForm(bytes.NewReader(body), ct)
	if err != nil {
		t.Fatal(err)
	}
	if form.Fields["key"] != "a/${filename}" || form.Fields["x-amz-meta-color"] != "blue" || form.Fields["policy"] != "p" || len(form.Fields) != 3 {
		t.Errorf("fields %v", form.Fields)
	}
	if form.FileName != "photo.jpg" || form.FileContentType != "application/octet-stream" {
		t.Errorf("file name %q type %q", form.FileName, form.FileContentType)
	}
	got, err := io.ReadAll(form.File)
	if err != nil || string(got) != "file content" {
		t.Errorf("file %q %v", got, err)
	}

	t.Run("fields after the file are ignored", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("key", "k")
		w, _ := mw.CreateFormFile("file", "f")
		w.Write([]byte("data"))
		mw.WriteField("x-amz-meta-late", "v")
		mw.Close()
		form, err := ReadPostForm(&b, mw.FormDataContentType())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(form.File)
		if err != nil || string(got) != "data" || len(form.Fields) != 1 {
			t.Errorf("file %q %v fields %v", got, err, form.Fields)
		}
	})
	t.Run("truncated file", func(t *testing.T) {
		body, ct := postBody(t, [][2]string{{"key", "k"}}, "f", bytes.Repeat([]byte("x"), 10000))
		form, err := ReadPostForm(bytes.NewReader(body[:len(body)-100]), ct)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(form.File)
		mustErrIs(t, err, ErrIncompleteBody)
	})
	errCases := []struct {
		name string
		body func() ([]byte, string)
		want error
	}{
		{"not multipart", func() ([]byte, string) { return []byte("a=b"), "application/x-www-form-urlencoded" }, ErrMalformedPOSTRequest},
		{"no boundary", func() ([]byte, string) { return []byte("x"), "multipart/form-data" }, ErrMalformedPOSTRequest},
		{"no file", func() ([]byte, string) { return postBody(t, [][2]string{{"key", "k"}}, "", nil) }, ErrIncorrectNumberOfFiles},
		{"garbage", func() ([]byte, string) { return []byte("garbage"), "multipart/form-data; boundary=xyz" }, ErrMalformedPOSTRequest},
		{"duplicate field", func() ([]byte, string) { return postBody(t, [][2]string{{"key", "a"}, {"KEY", "b"}}, "f", []byte("x")) }, ErrMalformedPOSTRequest},
		{"huge field", func() ([]byte, string) {
			return postBody(t, [][2]string{{"key", strings.Repeat("k", MaxPostPreData)}}, "f", []byte("x"))
		}, ErrPostPreDataTooLarge},
		{"too many fields", func() ([]byte, string) {
			var f [][2]string
			for i := 0; i <= maxPostFields; i++ {
				f = append(f, [2]string{fmt.Sprintf("x-ignore-%d", i), "v"})
			}
			return postBody(t, f, "f", []byte("x"))
		}, ErrPostPreDataTooLarge},
		{"huge part header", func() ([]byte, string) {
			b := "--xyz\r\nContent-Disposition: form-data; name=\"key\"\r\nX-Pad: " + strings.Repeat("p", 2*MaxPostPreData) + "\r\n\r\nk\r\n--xyz--\r\n"
			return []byte(b), "multipart/form-data; boundary=xyz"
		}, ErrPostPreDataTooLarge},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := c.body()
			_, err := ReadPostForm(bytes.NewReader(body), ct)
			mustErrIs(t, err, c.want)
		})
	}
}
