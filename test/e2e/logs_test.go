package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sigRecorder remembers every signature a client puts on the wire.
type sigRecorder struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	sigs map[string]bool
}

func (s *sigRecorder) add(v string) {
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	s.sigs[v] = true
	s.mu.Unlock()
}

func (s *sigRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		if _, sig, ok := strings.Cut(a, "Signature="); ok {
			s.add(sig)
		} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
			s.add(a[i+1:]) // SigV2
		}
	}
	q := req.URL.Query()
	s.add(q.Get("X-Amz-Signature"))
	s.add(q.Get("Signature"))
	return s.rt.RoundTrip(req)
}

// TestNoSecretsInLogs runs header-signed, presigned (V4 and V2), SigV2
// header, wrong-secret and POST-form requests against the server, whose
// Caddyfile has debug logging and the access log of Caddyfile.example,
// then requires that no secret and no signature sent appears in any log.
func TestNoSecretsInLogs(t *testing.T) {
	rec := &sigRecorder{rt: httpClient.Transport, sigs: map[string]bool{}}
	hc := &http.Client{Transport: rec, Timeout: time.Minute}
	wrongSecret := "wrongsecret-LOGCHECK-0123456789abcdefghij"
	ctx := ctxT(t)
	withHC := func(o *s3.Options) { o.HTTPClient = hc }
	alc := sdk(alice, srv.base, withHC)
	bucket := newBucketName("logs")
	if _, err := alc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(10 << 10)
	putBytes(t, alc, bucket, "k", data)
	getBytes(t, alc, bucket, "k")
	logSSERequests(t, alc, bucket) // sse_test.go
	getBytes(t, sdk(alice, srv.base+"/s3", withHC), bucket, "k")
	// Bob's secret comes from an {env.*} placeholder.
	bb := newBucketName("logs-bob")
	if _, err := sdk(bob, srv.base, withHC).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bb)}); err != nil {
		t.Fatal(err)
	}
	// Wrong secret, header and presigned.
	_, err := sdk(creds{aliceKey, wrongSecret}, srv.base, withHC).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantSDKError(t, err, 403, "SignatureDoesNotMatch")

	do := func(req *http.Request, want int) {
		t.Helper()
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s %s: %d, want %d", req.Method, req.URL.Redacted(), resp.StatusCode, want)
		}
	}
	for _, c := range []struct {
		cr   creds
		want int
	}{{alice, 200}, {creds{aliceKey, wrongSecret}, 403}} {
		ps, err := s3.NewPresignClient(sdk(c.cr, srv.base)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", ps.URL, nil)
		do(req, c.want)
	}
	// SigV2 query and header.
	v2 := func(secret, sts string) string {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write([]byte(sts))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	for _, c := range []struct {
		secret string
		want   int
	}{{alice.secret, 200}, {wrongSecret, 403}} {
		exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
		u := srv.base + "/" + bucket + "/k?AWSAccessKeyId=" + aliceKey + "&Expires=" + exp + "&Signature=" +
			url.QueryEscape(v2(c.secret, "GET\n\n\n"+exp+"\n/"+bucket+"/k"))
		req, _ := http.NewRequest("GET", u, nil)
		do(req, c.want)
		date := time.Now().UTC().Format(http.TimeFormat)
		req, _ = http.NewRequest("GET", srv.base+"/"+bucket+"/k", nil)
		req.Header.Set("Date", date)
		req.Header.Set("Authorization", "AWS "+aliceKey+":"+v2(c.secret, "GET\n\n\n"+date+"\n/"+bucket+"/k"))
		do(req, c.want)
	}
	// POST uploads, V4 and V2, good and forged.
	later := time.Now().Add(time.Minute)
	for _, f := range []*browserForm{
		v4PostForm(t, alice, bucket, "post4", later, nil, map[string]string{"key": "post4"}),
		v2PostForm(t, alice, bucket, "post2", later, nil, map[string]string{"key": "post2"}),
		v4PostForm(t, creds{aliceKey, wrongSecret}, bucket, "post4bad", later, nil, map[string]string{"key": "post4bad"}),
		v2PostForm(t, creds{aliceKey, wrongSecret}, bucket, "post2bad", later, nil, map[string]string{"key": "post2bad"}),
	} {
		f.fileName, f.file = "f", []byte("x")
		for _, kv := range f.fields {
			if strings.EqualFold(kv[0], "signature") || strings.EqualFold(kv[0], "x-amz-signature") {
				rec.add(kv[1])
			}
		}
		body, ct := f.encode(t)
		req, _ := http.NewRequest("POST", srv.base+"/"+bucket, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		want := 204
		if strings.HasSuffix(f.fields[0][1], "bad") {
			want = 403
		}
		do(req, want)
	}
	// A marker request, to know when the access log has everything (an
	// anonymous request for a bucket that does not exist: NoSuchBucket).
	marker := "logs-marker-" + newBucketName("m")
	req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.base+"/"+marker, nil)
	do(req, 404)

	var access, server []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		access, _ = os.ReadFile(srv.accessLog)
		if bytes.Contains(access, []byte(marker)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	server = []byte(srv.proc.Logs())
	if !bytes.Contains(access, []byte(marker)) {
		t.Fatalf("the access log %s never showed the marker request (%d bytes)", srv.accessLog, len(access))
	}
	// The logs did capture these requests: access key ids (not secret) in
	// the s3 fields, presigned queries with their values redacted.
	for _, want := range []string{`"s3_access_key":"` + aliceKey + `"`, `"s3_access_key":"` + bobKey + `"`, "REDACTED", `"s3_error":"SignatureDoesNotMatch"`, bucket + "/k"} {
		if !bytes.Contains(access, []byte(want)) {
			t.Errorf("access log lacks %q: the test would not see what it looks for", want)
		}
	}
	if !bytes.Contains(server, []byte(`"level":"debug"`)) {
		t.Errorf("server log has no debug entries; it should run at DEBUG for this test")
	}

	secrets := map[string]string{"alice's secret": aliceSecret, "bob's secret": bobSecret, "the wrong secret": wrongSecret}
	maps.Copy(secrets, sseSecrets) // the master key; SSE-C keys
	rec.mu.Lock()
	n := 0
	for s := range rec.sigs {
		n++
		secrets["signature "+s] = s
	}
	rec.mu.Unlock()
	if n < 12 {
		t.Errorf("only %d signatures recorded; the request set is incomplete", n)
	}
	// At DEBUG, Caddy itself logs the adapted JSON config once at start
	// ("adjusted config"): a secret written inline in the Caddyfile is in
	// it, which is why production configs take secrets from {env.*} or
	// {file.*} placeholders, expanded only at provision time. Bob's secret
	// is such a placeholder and must not appear even there; alice's inline
	// one is checked everywhere else.
	var configDump, rest []byte
	for line := range bytes.SplitAfterSeq(server, []byte("\n")) {
		if bytes.Contains(line, []byte(`"msg":"adjusted config"`)) {
			configDump = append(configDump, line...)
		} else {
			rest = append(rest, line...)
		}
	}
	if !bytes.Contains(configDump, []byte("{env."+bobSecretEnv+"}")) {
		t.Errorf("server log has no config dump with bob's placeholder; the placeholder check below proves nothing")
	}
	for what, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s), strings.ReplaceAll(url.QueryEscape(s), "+", "%20")} {
			logs := map[string][]byte{"access log": access, "server log": rest}
			if s != aliceSecret {
				logs["config dump in the server log"] = configDump
			}
			for name, log := range logs {
				if bytes.Contains(log, []byte(form)) {
					t.Errorf("%s contains %s (as %q)", name, what, form)
				}
			}
		}
	}
}
