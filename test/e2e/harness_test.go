// Package e2e starts the real Caddy binary (cmd/caddy, with the s3 handler)
// on loopback and drives it with aws-sdk-go-v2, minio-go and raw signed
// HTTP requests.
//
// TestMain builds the binary (with -race when the tests run with -race, so
// data races in the server fail the run too), writes a Caddyfile with a plain
// HTTP site (also reachable under /s3/ through handle_path) and an HTTPS site
// (tls internal, so the Go SDK's trailing checksums are exercised), starts the
// server, runs the tests and always stops it (SIGTERM, then SIGKILL; the
// child also dies with the test process through Pdeathsig, and a watchdog
// kills everything after CADDYS3_E2E_TIMEOUT, default 15m).
//
// Environment: CADDYS3_BIN=path tests a prebuilt binary instead of building
// one; CADDYS3_E2E_KEEP=1 keeps the temporary directory (Caddyfile, server
// log, storage root). `go test -short` skips the package.
//
// The Caddyfile is the documented one (path style at / and under /s3/ via
// handle_path) plus: default_bind 127.0.0.1, debug logging, an access log
// with Caddyfile.example's query filter, `domain s3.test` with the plain
// HTTP site also answering *.s3.test, an HTTPS site on a second port,
// a `handle /s3` route for the bare prefix (handle_path /s3/* does not match
// "/s3", where an SDK with endpoint http://host/s3 sends ListBuckets), and
// bob's secret from an {env.*} placeholder.
package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/caddys3/caddys3/internal/testserver"
)

const (
	aliceKey    = "AKIAEXAMPLEALICE0001"
	aliceSecret = "alicesecret0000000000000000000000000000"
	bobKey      = "AKIAEXAMPLEBOB000001"
	bobSecret   = "bobsecret00000000000000000000000000000000"
	region      = "us-east-1"
	// Bob's secret reaches the server only through this environment
	// variable ({env.CADDYS3_E2E_BOB_SECRET} in the Caddyfile), so every
	// test that uses bob also tests placeholder secrets.
	bobSecretEnv = "CADDYS3_E2E_BOB_SECRET"
	// The master key of SSE-S3 (sse_test.go), also from the environment.
	masterKeyEnv = "CADDYS3_E2E_MASTER_KEY"
	masterKey    = "c3NlLWUyZS1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc="

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

type creds struct{ key, secret string }

var (
	alice = creds{aliceKey, aliceSecret}
	bob   = creds{bobKey, bobSecret}
)

// srv describes the running server.
var srv struct {
	base     string // http://127.0.0.1:PORT
	tlsBase  string // https://127.0.0.1:TLSPORT
	hostport string
	work     string // temporary directory holding everything below
	root     string // storage root (work/d1/d2/root, so traversal lands in work)
	// accessLog is the HTTP site's access log (with the query filter).
	accessLog string
	// metricsBase serves Caddy's metrics handler (metrics_test.go).
	metricsBase string
	bin         string // the server binary (other tests start their own)
	proc        *testserver.Server
}

// httpClient is shared by every client in these tests; its transport
// records what goes over the wire (see wire).
var httpClient *http.Client

const caddyfileTemplate = `{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https disable_redirects
	skip_install_trust
	servers {
		protocols h1 h2
	}
	# DEBUG, so logs_test.go can check that not even debug logs carry
	# secrets or signatures.
	log {
		level DEBUG
	}
}

(s3store) {
	s3 {
		root {{ROOT}}
		region us-east-1
		# Virtual-hosted style for bucket.s3.test (vhost_test.go).
		domain s3.test
		# Access control (access_test.go): the owner of the third key is an
		# admin account, and one bucket name is reserved.
		admin_accounts e2e-admin
		reserved_buckets e2e-reserved-bucket
		credentials static {
			key AKIAEXAMPLEALICE0001 alicesecret0000000000000000000000000000 alice
			key AKIAEXAMPLEBOB000001 {env.CADDYS3_E2E_BOB_SECRET} bob
			# access_test.go's admin (adminKey, adminSecret, adminID).
			key AKIAEXAMPLEADMIN0001 adminsecret000000000000000000000000000000 e2e-admin
		}
		# SSE-S3's master key (sse_test.go).
		encryption {
			key e2e-1 {env.CADDYS3_E2E_MASTER_KEY}
		}
	}
}

http://127.0.0.1:{{PORT}}, http://*.s3.test:{{PORT}}, http://s3.test:{{PORT}} {
	# The access log filter of Caddyfile.example (logs_test.go).
	log {
		output file {{ACCESSLOG}}
		level DEBUG
		format filter {
			request>uri query {
				replace X-Amz-Signature REDACTED
				replace X-Amz-Credential REDACTED
				replace X-Amz-Security-Token REDACTED
				replace Signature REDACTED
				replace AWSAccessKeyId REDACTED
			}
			request>headers>Authorization delete
			request>headers>Cookie delete
			# SSE-C keys (docs/encryption.md): Caddy logs request headers as sent.
			request>headers>X-Amz-Server-Side-Encryption-Customer-Key delete
			request>headers>X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key delete
		}
	}
	handle_path /s3/* {
		import s3store
	}
	# handle_path /s3/* does not match "/s3" itself, where an SDK with the
	# endpoint http://host/s3 sends ListBuckets.
	handle /s3 {
		rewrite * /
		import s3store
	}
	import s3store
}

# s3.test and *.s3.test too: virtual-hosted style over TLS (matrix_test.go).
https://127.0.0.1:{{TLSPORT}}, https://s3.test:{{TLSPORT}}, https://*.s3.test:{{TLSPORT}} {
	tls internal
	import s3store
}

# Prometheus metrics (metrics_test.go), on a port of their own.
http://127.0.0.1:{{METRICSPORT}} {
	handle /metrics {
		metrics
	}
}
`

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) (code int) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped with -short (the end-to-end tests need the real server)")
		return 0
	}
	// The child gets SIGKILL when this thread dies (Pdeathsig); keep the
	// starting thread alive for the whole run.
	runtime.LockOSThread()

	work, err := os.MkdirTemp("", "caddys3-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	srv.work = work
	defer func() {
		if os.Getenv("CADDYS3_E2E_KEEP") != "" {
			fmt.Fprintln(os.Stderr, "e2e: kept", work)
			return
		}
		os.RemoveAll(work)
	}()

	srv.bin, err = testserver.Build(work, func(format string, args ...any) { fmt.Printf("e2e: "+format+"\n", args...) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the server:", err)
		return 1
	}
	if err := startServer(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the server:", err)
		return 1
	}

	hard := 15 * time.Minute
	if v, err := time.ParseDuration(os.Getenv("CADDYS3_E2E_TIMEOUT")); err == nil && v > 0 {
		hard = v
	}
	watchdog := time.AfterFunc(hard, func() {
		fmt.Fprintf(os.Stderr, "e2e: hard timeout %v reached, killing the server\n", hard)
		srv.proc.Stop()
		dumpLog(100)
		os.Exit(3)
	})
	defer watchdog.Stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintln(os.Stderr, "e2e: got", s, "- stopping the server")
		srv.proc.Stop()
		os.Exit(2)
	}()

	code = m.Run()

	srv.proc.Stop()
	if problems := wire.problems(); len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: responses without a unique x-amz-request-id:")
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  ", p)
		}
		code = 1
	}
	if srv.proc.Raced() {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: the race detector fired in the server; its log follows")
		fmt.Fprintln(os.Stderr, srv.proc.Logs())
		code = 1
	} else if strings.Contains(srv.proc.Logs(), "panic") {
		fmt.Fprintln(os.Stderr, "e2e: note: the server log mentions a panic:")
		dumpLog(80)
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "e2e: last lines of the server log:")
		dumpLog(60)
	}
	return code
}

// freePort comes from internal/testserver, shared with test/cloudstack.
var freePort = testserver.FreePort

// startServer runs the harness's Caddyfile in srv.work and waits for the
// HTTP and metrics ports and for a TLS handshake trusted by the local CA.
func startServer() error {
	ports, err := testserver.FreePorts(3)
	if err != nil {
		return err
	}
	port, tlsPort, metricsPort := ports[0], ports[1], ports[2]
	srv.root = filepath.Join(srv.work, "d1", "d2", "root")
	if err := os.MkdirAll(srv.root, 0o755); err != nil {
		return err
	}
	srv.accessLog = filepath.Join(srv.work, "access.log")
	srv.hostport = fmt.Sprintf("127.0.0.1:%d", port)
	srv.base = "http://" + srv.hostport
	tlsHostport := fmt.Sprintf("127.0.0.1:%d", tlsPort)
	srv.tlsBase = "https://" + tlsHostport
	metricsHostport := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	srv.metricsBase = "http://" + metricsHostport
	cf := strings.NewReplacer("{{ROOT}}", srv.root, "{{PORT}}", fmt.Sprint(port), "{{TLSPORT}}", fmt.Sprint(tlsPort),
		"{{ACCESSLOG}}", srv.accessLog, "{{METRICSPORT}}", fmt.Sprint(metricsPort)).Replace(caddyfileTemplate)
	srv.proc, err = testserver.Launch(testserver.Config{
		Bin:       srv.bin,
		Dir:       srv.work,
		Caddyfile: cf,
		Env:       map[string]string{bobSecretEnv: bobSecret, masterKeyEnv: masterKey},
		Wait:      []string{srv.hostport, metricsHostport},
		WaitTLS:   []string{tlsHostport},
	})
	if err != nil {
		return err
	}
	httpClient = newHTTPClient()
	fmt.Printf("e2e: server up at %s and %s (root %s)\n", srv.base, srv.tlsBase, srv.root)
	return nil
}

func dumpLog(lines int) {
	for _, l := range strings.Split(srv.proc.Tail(lines), "\n") {
		fmt.Fprintln(os.Stderr, "  server:", l)
	}
}

// ---------------------------------------------------------------------------
// Wire recording: every response must carry a unique x-amz-request-id; tests
// can also ask which x-amz-content-sha256 values clients actually sent.

type wireLog struct {
	mu        sync.Mutex
	missing   []string
	ids       map[string]string
	dups      []string
	payloads  map[string]int // x-amz-content-sha256 value (hashes folded to "<sha256>") -> count
	encodings map[string]int // request Content-Encoding -> count
}

var wire = &wireLog{ids: map[string]string{}, payloads: map[string]int{}, encodings: map[string]int{}}

func (w *wireLog) problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append(append([]string{}, w.missing...), w.dups...)
}

func (w *wireLog) payloadCount(v string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.payloads[v]
}

type recordingTransport struct{ rt http.RoundTripper }

func (r recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.Header.Get("X-Amz-Content-Sha256")
	if len(p) == 64 {
		p = "<sha256>"
	}
	enc := req.Header.Get("Content-Encoding")
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	what := fmt.Sprintf("%s %s -> %d", req.Method, req.URL.Redacted(), resp.StatusCode)
	id := resp.Header.Get("X-Amz-Request-Id")
	wire.mu.Lock()
	if p != "" {
		wire.payloads[p]++
	}
	if enc != "" {
		wire.encodings[enc]++
	}
	if id == "" {
		wire.missing = append(wire.missing, "no x-amz-request-id: "+what)
	} else if prev, ok := wire.ids[id]; ok {
		wire.dups = append(wire.dups, fmt.Sprintf("x-amz-request-id %s repeated: %s and %s", id, prev, what))
	} else {
		wire.ids[id] = what
	}
	wire.mu.Unlock()
	return resp, nil
}

func newHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: srv.proc.CAPool()},
	}
	return &http.Client{
		Transport: recordingTransport{tr},
		Timeout:   5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ---------------------------------------------------------------------------
// Clients.

// sdk returns an aws-sdk-go-v2 S3 client with the SDK's default integrity
// settings (CRC32 request checksums, response validation), path style.
func sdk(c creds, endpoint string, optFns ...func(*s3.Options)) *s3.Client {
	o := s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(c.key, c.secret, ""),
		HTTPClient:                 httpClient,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.New(o, optFns...)
}

func aliceSDK() *s3.Client { return sdk(alice, srv.base) }
func bobSDK() *s3.Client   { return sdk(bob, srv.base) }

// mc returns a minio-go client over plain HTTP: PutObject uses signed
// aws-chunked streaming (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
func mc(t testing.TB, c creds, trailing bool) *minio.Client {
	t.Helper()
	cl, err := minio.New(srv.hostport, &minio.Options{
		Creds:           mcreds.NewStaticV4(c.key, c.secret, ""),
		Secure:          false,
		Region:          region,
		BucketLookup:    minio.BucketLookupPath,
		Transport:       httpClient.Transport,
		TrailingHeaders: trailing,
		MaxRetries:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var bucketSeq atomic.Int64

// newBucketName returns a fresh valid bucket name.
func newBucketName(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", prefix, bucketSeq.Add(1), hex.EncodeToString(b))
}

// makeBucket creates a fresh bucket owned by c through the SDK.
func makeBucket(t testing.TB, c creds, prefix string) string {
	t.Helper()
	name := newBucketName(prefix)
	_, err := sdk(c, srv.base).CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

func putBytes(t testing.TB, cl *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func getBytes(t testing.TB, cl *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s body: %v", bucket, key, err)
	}
	return b
}

// ---------------------------------------------------------------------------
// Assertions on errors.

// wantSDKError asserts that err is an S3 API error with the HTTP status and
// code (code "" skips the code check, e.g. for HEAD which has no body).
func wantSDKError(t testing.TB, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", status, code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want %d %s, got a non-HTTP error: %v", status, code, err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("want HTTP %d, got %d: %v", status, re.HTTPStatusCode(), err)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("error response without x-amz-request-id: %v", err)
	}
	if code != "" {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("want code %s, got %v", code, err)
		}
		if ae.ErrorCode() != code {
			t.Errorf("want code %s, got %s (%v)", code, ae.ErrorCode(), err)
		}
	}
}

func wantMinioError(t testing.TB, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", status, code)
	}
	er := minio.ToErrorResponse(err)
	if er.StatusCode != status || (code != "" && er.Code != code) {
		t.Errorf("want %d %s, got %d %s (%v)", status, code, er.StatusCode, er.Code, err)
	}
}

// ---------------------------------------------------------------------------
// Raw signed HTTP.

type rawReq struct {
	Method string
	Base   string // default srv.base
	Path   string // escaped path as signed and sent, e.g. "/bucket/a%20b"
	// SendPath, when set, is sent on the wire instead of Path (which is
	// what gets signed).
	SendPath string
	Query    url.Values
	RawQuery string // used verbatim when Query is nil (unsigned requests)
	Header   http.Header
	Body     []byte
	// Send, when non-nil, is sent instead of Body (Body is what was signed).
	Send []byte
	// Creds nil sends an anonymous request.
	Creds *creds
	// PayloadHash defaults to the hex sha256 of Body.
	PayloadHash string
	SignTime    time.Time
}

type xmlError struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	Resource   string   `xml:"Resource"`
	RequestID  string   `xml:"RequestId"`
	Key        string   `xml:"Key"`
	BucketName string   `xml:"BucketName"`
}

type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResp) String() string {
	body := string(r.Body)
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("HTTP %d %v\n%s", r.Status, r.Header, body)
}

// rawSigner returns a new signer for raw requests. A new one each time:
// the SDK's signer caches the derived signing key by access key id, not by
// secret, so a shared signer would sign a "wrong secret" request with the
// right key once the same key id was signed for before.
func rawSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// buildRaw builds (and signs, unless anonymous) the request.
func buildRaw(t testing.TB, r rawReq) *http.Request {
	t.Helper()
	base := r.Base
	if base == "" {
		base = srv.base
	}
	u, err := url.Parse(base + r.Path)
	if err != nil {
		t.Fatalf("bad raw path %q: %v", r.Path, err)
	}
	if r.Query != nil {
		u.RawQuery = strings.ReplaceAll(r.Query.Encode(), "+", "%20")
	} else {
		u.RawQuery = r.RawQuery
	}
	send := r.Body
	if r.Send != nil {
		send = r.Send
	}
	var body io.Reader
	if len(send) > 0 {
		body = bytes.NewReader(send)
	}
	req, err := http.NewRequest(r.Method, u.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.URL = u // keep the escaping exactly as given
	req.ContentLength = int64(len(send))
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.Creds != nil {
		ph := r.PayloadHash
		if ph == "" {
			ph = sha256Hex(r.Body)
		}
		req.Header.Set("X-Amz-Content-Sha256", ph)
		when := r.SignTime
		if when.IsZero() {
			when = time.Now()
		}
		err := rawSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: r.Creds.key, SecretAccessKey: r.Creds.secret},
			req, ph, "s3", region, when)
		if err != nil {
			t.Fatal(err)
		}
	}
	if r.SendPath != "" {
		su, err := url.Parse(base + r.SendPath)
		if err != nil {
			t.Fatalf("bad raw path %q: %v", r.SendPath, err)
		}
		su.RawQuery = req.URL.RawQuery
		req.URL = su
	}
	return req
}

func doRaw(t testing.TB, r rawReq) rawResp {
	t.Helper()
	return send(t, buildRaw(t, r))
}

func send(t testing.TB, req *http.Request) rawResp {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Redacted(), err)
	}
	if resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("%s %s -> %d without x-amz-request-id", req.Method, req.URL.Redacted(), resp.StatusCode)
	}
	return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantXMLError asserts status, S3 error code, XML shape and request id.
func wantXMLError(t testing.TB, r rawResp, status int, code string) xmlError {
	t.Helper()
	if r.Status != status {
		t.Errorf("want HTTP %d %s, got %s", status, code, r)
	}
	var e xmlError
	if err := xml.Unmarshal(r.Body, &e); err != nil {
		t.Errorf("want an S3 XML <Error> body with code %s, got %v: %s", code, err, r)
		return e
	}
	if e.Code != code {
		t.Errorf("want code %s, got %s: %s", code, e.Code, r)
	}
	if e.Message == "" {
		t.Errorf("error %s without Message", e.Code)
	}
	if id := r.Header.Get("X-Amz-Request-Id"); e.RequestID == "" || e.RequestID != id {
		t.Errorf("error RequestId %q does not match x-amz-request-id %q", e.RequestID, id)
	}
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
		t.Errorf("error Content-Type %q, want application/xml", ct)
	}
	return e
}

// wantStatus asserts a status and prints the response otherwise.
func wantStatus(t testing.TB, r rawResp, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("want HTTP %d, got %s", status, r)
	}
}

// escapeKey escapes a key the way the AWS SDKs do for the request path:
// everything but RFC 3986 unreserved characters and '/'.
func escapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func objPath(bucket, key string) string { return "/" + bucket + "/" + escapeKey(key) }

// objectExists asks with alice's SDK client.
func objectExists(t testing.TB, bucket, key string) bool {
	t.Helper()
	_, err := aliceSDK().HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == 404 {
		return false
	}
	t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	return false
}

func wantAbsent(t testing.TB, bucket, key string) {
	t.Helper()
	if objectExists(t, bucket, key) {
		t.Errorf("object %s/%s exists after a rejected upload", bucket, key)
	}
}

// wantStreamed reads body to its end into sha256 and closes it: it must
// hold size bytes whose sha256 is sum.
func wantStreamed(t testing.TB, what string, body io.ReadCloser, size int64, sum []byte) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, body)
	body.Close()
	if err != nil {
		t.Fatalf("%s: body after %d bytes: %v", what, n, err)
	}
	if n != size || !bytes.Equal(h.Sum(nil), sum) {
		t.Errorf("%s returned %d bytes with sha256 %x, want %d bytes %x", what, n, h.Sum(nil), size, sum)
	}
}

// randomBytes returns n pseudo-random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
