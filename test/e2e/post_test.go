package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// browserForm is a POST upload as an HTML form sends it: fields in
// document order, the file last.
type browserForm struct {
	fields   [][2]string
	fileName string
	file     []byte
	// noFile leaves the file part out.
	noFile bool
}

func (f *browserForm) set(name, value string) {
	for i := range f.fields {
		if strings.EqualFold(f.fields[i][0], name) {
			f.fields[i][1] = value
			return
		}
	}
	f.fields = append(f.fields, [2]string{name, value})
}

func (f *browserForm) del(name string) {
	out := f.fields[:0]
	for _, kv := range f.fields {
		if !strings.EqualFold(kv[0], name) {
			out = append(out, kv)
		}
	}
	f.fields = out
}

func (f *browserForm) encode(t testing.TB) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range f.fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if !f.noFile {
		w, err := mw.CreateFormFile("file", f.fileName)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.file)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// postPolicy is the JSON policy document, base64-encoded.
func postPolicy(t testing.TB, expires time.Time, conditions ...any) string {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conditions})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(doc)
}

// v4PostForm builds a SigV4-signed form the way boto3's
// generate_presigned_post (s3v4) and AWS's documentation do: the policy
// lists every field, including the x-amz-* signing fields.
func v4PostForm(t testing.TB, c creds, bucket, key string, expires time.Time, extra [][2]string, conds ...any) *browserForm {
	t.Helper()
	now := time.Now().UTC()
	date := now.Format("20060102")
	credential := c.key + "/" + date + "/" + region + "/s3/aws4_request"
	amzDate := now.Format("20060102T150405Z")
	conds = append(conds,
		map[string]string{"bucket": bucket},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": credential},
		map[string]string{"x-amz-date": amzDate},
	)
	policy := postPolicy(t, expires, conds...)
	m := hmac.New(sha256.New, signingKey(c.secret, date))
	m.Write([]byte(policy))
	f := &browserForm{fields: [][2]string{{"key", key}}}
	f.fields = append(f.fields, extra...)
	f.fields = append(f.fields,
		[2]string{"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		[2]string{"x-amz-credential", credential},
		[2]string{"x-amz-date", amzDate},
		[2]string{"policy", policy},
		[2]string{"x-amz-signature", hex.EncodeToString(m.Sum(nil))},
	)
	return f
}

// v2PostForm builds a SigV2-signed form (boto3's default signer, legacy
// browser forms): AWSAccessKeyId, policy, signature.
func v2PostForm(t testing.TB, c creds, bucket, key string, expires time.Time, extra [][2]string, conds ...any) *browserForm {
	t.Helper()
	conds = append(conds, map[string]string{"bucket": bucket})
	policy := postPolicy(t, expires, conds...)
	m := hmac.New(sha1.New, []byte(c.secret))
	m.Write([]byte(policy))
	f := &browserForm{fields: [][2]string{{"key", key}}}
	f.fields = append(f.fields, extra...)
	f.fields = append(f.fields,
		[2]string{"AWSAccessKeyId", c.key},
		[2]string{"policy", policy},
		[2]string{"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))},
	)
	return f
}

func postForm(t testing.TB, base, path string, f *browserForm) rawResp {
	t.Helper()
	body, ct := f.encode(t)
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	return send(t, req)
}

type postResponseXML struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func TestBrowserPostUpload(t *testing.T) {
	bucket := makeBucket(t, alice, "post")
	later := time.Now().Add(10 * time.Minute)
	data := []byte("hello from a browser form\n")

	t.Run("v4 with 201, ${filename}, metadata and content type", func(t *testing.T) {
		f := v4PostForm(t, alice, bucket, "uploads/${filename}", later,
			[][2]string{{"Content-Type", "text/plain"}, {"x-amz-meta-color", "blue"}, {"success_action_status", "201"}, {"x-ignore-tracking", "42"}},
			[]any{"starts-with", "$key", "uploads/"},
			[]any{"starts-with", "$Content-Type", "text/"},
			map[string]string{"x-amz-meta-color": "blue"},
			map[string]string{"success_action_status": "201"},
			[]any{"content-length-range", 1, 1 << 20},
		)
		f.fileName, f.file = "greeting.txt", data
		r := postForm(t, srv.base, "/"+bucket, f)
		wantStatus(t, r, 201)
		var pr postResponseXML
		if err := xml.Unmarshal(r.Body, &pr); err != nil {
			t.Fatalf("PostResponse: %v: %s", err, r.Body)
		}
		wantLoc := srv.base + "/" + bucket + "/uploads/greeting.txt"
		if pr.Bucket != bucket || pr.Key != "uploads/greeting.txt" || pr.ETag != quotedMD5(data) || pr.Location != wantLoc {
			t.Errorf("PostResponse %+v, want key uploads/greeting.txt, ETag %s, Location %s", pr, quotedMD5(data), wantLoc)
		}
		if r.Header.Get("ETag") != quotedMD5(data) {
			t.Errorf("ETag header %q", r.Header.Get("ETag"))
		}
		out, err := aliceSDK().GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/greeting.txt")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, data) || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["color"] != "blue" {
			t.Errorf("stored %q, Content-Type %q, metadata %v", got, aws.ToString(out.ContentType), out.Metadata)
		}
	})
	t.Run("v2 with the default 204", func(t *testing.T) {
		f := v2PostForm(t, alice, bucket, "v2/obj", later, nil, map[string]string{"key": "v2/obj"})
		f.fileName, f.file = "x.bin", randomBytes(3<<20)
		r := postForm(t, srv.base, "/"+bucket+"/", f)
		wantStatus(t, r, 204)
		if r.Header.Get("ETag") != quotedMD5(f.file) || r.Header.Get("Location") != srv.base+"/"+bucket+"/v2/obj" {
			t.Errorf("ETag %q, Location %q", r.Header.Get("ETag"), r.Header.Get("Location"))
		}
		if got := getBytes(t, aliceSDK(), bucket, "v2/obj"); !bytes.Equal(got, f.file) {
			t.Errorf("stored %d bytes, want the %d posted", len(got), len(f.file))
		}
	})
	t.Run("success_action_status 200", func(t *testing.T) {
		f := v4PostForm(t, alice, bucket, "s200", later, [][2]string{{"success_action_status", "200"}},
			map[string]string{"key": "s200"}, []any{"eq", "$success_action_status", "200"})
		f.fileName, f.file = "f", data
		r := postForm(t, srv.base, "/"+bucket, f)
		wantStatus(t, r, 200)
		if len(r.Body) != 0 {
			t.Errorf("200 with a body: %q", r.Body)
		}
	})
	t.Run("success_action_redirect", func(t *testing.T) {
		f := v4PostForm(t, alice, bucket, "redir me", later, [][2]string{{"success_action_redirect", "https://app.example/done?x=1"}},
			map[string]string{"key": "redir me"}, []any{"starts-with", "$success_action_redirect", "https://app.example/"})
		f.fileName, f.file = "f", data
		r := postForm(t, srv.base, "/"+bucket, f)
		wantStatus(t, r, 303)
		u, err := url.Parse(r.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Host != "app.example" || u.Path != "/done" || q.Get("x") != "1" || q.Get("bucket") != bucket || q.Get("key") != "redir me" || q.Get("etag") != quotedMD5(data) {
			t.Errorf("redirect Location %s", u)
		}
		if !objectExists(t, bucket, "redir me") {
			t.Errorf("redirected upload not stored")
		}
	})
	t.Run("under the /s3/ prefix", func(t *testing.T) {
		f := v2PostForm(t, alice, bucket, "prefixed", later, [][2]string{{"success_action_status", "201"}},
			map[string]string{"key": "prefixed"}, map[string]string{"success_action_status": "201"})
		f.fileName, f.file = "f", data
		r := postForm(t, srv.base, "/s3/"+bucket, f)
		wantStatus(t, r, 201)
		var pr postResponseXML
		_ = xml.Unmarshal(r.Body, &pr)
		if want := srv.base + "/s3/" + bucket + "/prefixed"; pr.Location != want {
			t.Errorf("Location %q, want %q", pr.Location, want)
		}
	})

	rejected := []struct {
		name   string
		form   func() *browserForm
		status int
		code   string
		msg    string // substring of the message
	}{
		{"file larger than content-length-range", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"}, []any{"content-length-range", 0, 1000})
			f.fileName, f.file = "f", randomBytes(1001)
			return f
		}, 400, "EntityTooLarge", ""},
		{"large file far over the range", func() *browserForm {
			f := v2PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"}, []any{"content-length-range", 0, 1 << 20})
			f.fileName, f.file = "f", randomBytes(4<<20)
			return f
		}, 400, "EntityTooLarge", ""},
		{"file smaller than content-length-range", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"}, []any{"content-length-range", 100, 1000})
			f.fileName, f.file = "f", randomBytes(99)
			return f
		}, 400, "EntityTooSmall", ""},
		{"key outside the policy prefix", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, []any{"starts-with", "$key", "uploads/"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "AccessDenied", "Invalid according to Policy: Policy Condition failed"},
		{"expired policy", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", time.Now().Add(-time.Second), nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "AccessDenied", "Policy expired"},
		{"field not in the policy", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, [][2]string{{"x-amz-meta-sneaky", "1"}}, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "AccessDenied", "Extra input fields: x-amz-meta-sneaky"},
		{"policy for another bucket", func() *browserForm {
			f := v4PostForm(t, alice, "some-other-bucket", "big", later, nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "AccessDenied", "$bucket"},
		{"wrong secret (v4)", func() *browserForm {
			f := v4PostForm(t, creds{aliceKey, "not-alices-secret"}, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "SignatureDoesNotMatch", ""},
		{"wrong secret (v2)", func() *browserForm {
			f := v2PostForm(t, creds{aliceKey, "not-alices-secret"}, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "SignatureDoesNotMatch", ""},
		{"unknown access key", func() *browserForm {
			f := v2PostForm(t, creds{"AKIANOBODY", "x"}, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "InvalidAccessKeyId", ""},
		{"bob's valid policy on alice's bucket", func() *browserForm {
			f := v4PostForm(t, bob, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.fileName, f.file = "f", data
			return f
		}, 403, "AccessDenied", ""},
		{"anonymous form", func() *browserForm {
			return &browserForm{fields: [][2]string{{"key", "big"}}, fileName: "f", file: data}
		}, 403, "AccessDenied", ""},
		{"no key field", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.del("key")
			f.fileName, f.file = "f", data
			return f
		}, 400, "InvalidArgument", "key"},
		{"no file", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.noFile = true
			return f
		}, 400, "IncorrectNumberOfFilesInPostRequest", ""},
		{"malformed policy", func() *browserForm {
			f := v2PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"})
			policy := base64.StdEncoding.EncodeToString([]byte(`{"conditions": []}`))
			m := hmac.New(sha1.New, []byte(alice.secret))
			m.Write([]byte(policy))
			f.set("policy", policy)
			f.set("signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
			f.fileName, f.file = "f", data
			return f
		}, 400, "InvalidPolicyDocument", "expiration"},
		{"SigV4a", func() *browserForm {
			f := v4PostForm(t, alice, bucket, "big", later, nil, map[string]string{"key": "big"})
			f.set("x-amz-algorithm", "AWS4-ECDSA-P256-SHA256")
			f.fileName, f.file = "f", data
			return f
		}, 501, "NotImplemented", ""},
	}
	for _, c := range rejected {
		t.Run(c.name, func(t *testing.T) {
			r := postForm(t, srv.base, "/"+bucket, c.form())
			e := wantXMLError(t, r, c.status, c.code)
			if c.msg != "" && !strings.Contains(e.Message, c.msg) {
				t.Errorf("message %q lacks %q", e.Message, c.msg)
			}
			wantAbsent(t, bucket, "big")
		})
	}

	t.Run("multipart body ends inside the file", func(t *testing.T) {
		f := v4PostForm(t, alice, bucket, "truncated", later, nil, map[string]string{"key": "truncated"})
		f.fileName, f.file = "f", randomBytes(256<<10)
		body, ct := f.encode(t)
		head := fmt.Sprintf("POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", bucket, srv.hostport, ct, len(body))
		wantXMLError(t, halfClosed(t, head, body[:len(body)-(100<<10)]), 400, "IncompleteBody")
		wantAbsent(t, bucket, "truncated")
	})
}
