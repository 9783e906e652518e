package e2e

// Caddyfile.example as shipped, co-hosted with a stand-in for CloudStack's
// management server: the real server binary runs the repository's file
// unchanged, its {$…} placeholders pointed through the environment at
// loopback ports, a temporary storage root and access log, and Caddy's
// local CA (the file's local_certs) in a temporary data directory. Host
// names are resolved by dialing 127.0.0.1 with the right SNI and Host.

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/caddys3/caddys3/internal/testserver"
)

const (
	cohostS3Host     = "s3.cohost.test"    // CADDYS3_HOST (and *.s3.cohost.test)
	cohostUIHost     = "cloud.cohost.test" // CLOUDSTACK_HOST
	cohostSharedHost = "one.cohost.test"   // CLOUDSTACK_SHARED_HOST
	cohostMarker     = "cloudstack-stand-in"
)

// cohostEcho is what the stand-in answers under /client and /share.
type cohostEcho struct {
	App             string `json:"app"`
	Method          string `json:"method"`
	URI             string `json:"uri"`
	Host            string `json:"host"`
	XForwardedFor   string `json:"x_forwarded_for"`
	XForwardedProto string `json:"x_forwarded_proto"`
	XForwardedHost  string `json:"x_forwarded_host"`
}

// cohostStandIn plays CloudStack's management server (Jetty): / redirects
// to /client/, /client/* and /share/* answer with the marker and echo the
// forwarding headers they received; it records every request.
type cohostStandIn struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newCohostStandIn(t *testing.T) *cohostStandIn {
	s := &cohostStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.Method+" "+r.URL.RequestURI())
		s.mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		p := r.URL.Path
		switch {
		case p == "/":
			http.Redirect(w, r, "/client/", http.StatusMovedPermanently)
		case p == "/client" || strings.HasPrefix(p, "/client/") || p == "/share" || strings.HasPrefix(p, "/share/"):
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Stand-In", cohostMarker)
			_ = json.NewEncoder(w).Encode(cohostEcho{
				App: cohostMarker, Method: r.Method, URI: r.URL.RequestURI(), Host: r.Host,
				XForwardedFor:   strings.Join(r.Header.Values("X-Forwarded-For"), ", "),
				XForwardedProto: r.Header.Get("X-Forwarded-Proto"),
				XForwardedHost:  r.Header.Get("X-Forwarded-Host"),
			})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *cohostStandIn) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// cohostServer is Caddyfile.example running.
type cohostServer struct {
	httpPort, httpsPort int
	client              *http.Client // dials 127.0.0.1, trusts Caddy's local CA
	accessLog           string
}

func (c *cohostServer) url(scheme, host, pathQuery string) string {
	port := c.httpsPort
	if scheme == "http" {
		port = c.httpPort
	}
	return fmt.Sprintf("%s://%s:%d%s", scheme, host, port, pathQuery)
}

func (c *cohostServer) hostport(host string) string { return fmt.Sprintf("%s:%d", host, c.httpsPort) }

func (c *cohostServer) sdk(host string, pathStyle bool) *s3.Client {
	return s3.New(s3.Options{
		Region:           region,
		BaseEndpoint:     aws.String(c.url("https", host, "")),
		UsePathStyle:     pathStyle,
		Credentials:      credentials.NewStaticCredentialsProvider(alice.key, alice.secret, ""),
		HTTPClient:       c.client,
		RetryMaxAttempts: 1,
	})
}

// startCohostExample runs the server on Caddyfile.example with the
// environment pointing it at loopback and at upstream, and waits until
// every host name (a wildcard one too) has its certificate.
func startCohostExample(t *testing.T, upstream string) *cohostServer {
	t.Helper()
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &cohostServer{httpPort: ports[0], httpsPort: ports[1], accessLog: filepath.Join(dir, "s3-access.log")}
	s := testserver.Start(t, testserver.Config{
		Bin:        srv.bin,
		Dir:        dir,
		ConfigFile: filepath.Join(root, "Caddyfile.example"),
		Env: map[string]string{
			"S3_ALICE_SECRET":        alice.secret,
			"CADDYS3_HOST":           cohostS3Host,
			"CLOUDSTACK_HOST":        cohostUIHost,
			"CLOUDSTACK_SHARED_HOST": cohostSharedHost,
			"CLOUDSTACK_UPSTREAM":    upstream,
			"CADDYS3_ROOT":           filepath.Join(dir, "root"),
			"CADDYS3_ACCESS_LOG":     c.accessLog,
			"CADDYS3_BIND":           "127.0.0.1",
			"CADDYS3_HTTP_PORT":      fmt.Sprint(c.httpPort),
			"CADDYS3_HTTPS_PORT":     fmt.Sprint(c.httpsPort),
			"CADDYS3_ADMIN":          "off",
		},
		// Caddy creates its local CA, then obtains the certificates in
		// the background.
		WaitTLS: []string{c.hostport(cohostS3Host), c.hostport("probe." + cohostS3Host), c.hostport(cohostUIHost), c.hostport(cohostSharedHost)},
	})
	// Every host name resolves to loopback; TLS uses the URL's host as SNI.
	c.client = &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			Proxy:             nil,
			DialContext:       testserver.DialLoopback,
			TLSClientConfig:   &tls.Config{RootCAs: s.CAPool()},
			ForceAttemptHTTP2: true,
			IdleConnTimeout:   30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(c.client.CloseIdleConnections)
	return c
}

type cohostResp struct {
	status int
	header http.Header
	body   []byte
}

func (c *cohostServer) do(t *testing.T, method, rawURL string, body io.Reader, header http.Header) cohostResp {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return cohostResp{resp.StatusCode, resp.Header, b}
}

// wantStandIn asserts that the management server stand-in answered and
// saw the forwarding headers of an HTTPS request to host.
func (c *cohostServer) wantStandIn(t *testing.T, r cohostResp, what, host, method, uri string) {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("X-Stand-In") != cohostMarker {
		t.Errorf("%s: want the management server, got HTTP %d %v\n%s", what, r.status, r.header, r.body)
		return
	}
	var e cohostEcho
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: %v: %s", what, err, r.body)
		return
	}
	hp := c.hostport(host)
	if e.Method != method || e.URI != uri || e.Host != hp {
		t.Errorf("%s: upstream saw %s %s Host %q, want %s %s Host %q", what, e.Method, e.URI, e.Host, method, uri, hp)
	}
	// Caddy replaces what an untrusted client claims with the real peer.
	if e.XForwardedFor != "127.0.0.1" || e.XForwardedProto != "https" || e.XForwardedHost != hp {
		t.Errorf("%s: X-Forwarded-For %q -Proto %q -Host %q, want 127.0.0.1, https, %s",
			what, e.XForwardedFor, e.XForwardedProto, e.XForwardedHost, hp)
	}
}

// wantS3 asserts that the S3 handler answered (x-amz-request-id, no
// stand-in marker) with the error status and XML error code.
func wantS3(t *testing.T, r cohostResp, what string, status int, code string) {
	t.Helper()
	if r.header.Get("X-Amz-Request-Id") == "" || r.header.Get("X-Stand-In") != "" {
		t.Errorf("%s: want an S3 response, got HTTP %d %v\n%s", what, r.status, r.header, r.body)
		return
	}
	if r.status != status {
		t.Errorf("%s: HTTP %d, want %d: %s", what, r.status, status, r.body)
	}
	var e xmlError
	if err := xml.Unmarshal(r.body, &e); err != nil || e.Code != code {
		t.Errorf("%s: want S3 error %s, got %s (%v)", what, code, r.body, err)
	}
}

// TestCaddyfileExample runs Caddyfile.example with a stand-in management
// server: S3 on its own host names (path style and virtual-hosted), the
// management server on its host with forwarding headers, and the
// single-host layout splitting /client and /share from S3, whose
// CreateBucket refuses the reserved names.
func TestCaddyfileExample(t *testing.T) {
	standIn := newCohostStandIn(t)
	c := startCohostExample(t, strings.TrimPrefix(standIn.URL, "http://"))
	ctx := ctxT(t)
	spoofed := http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"http"}, "X-Forwarded-Host": {"evil.example"}}
	bucket := newBucketName("cohost")

	t.Run("S3 host", func(t *testing.T) {
		path := c.sdk(cohostS3Host, true)
		if _, err := path.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		if _, err := path.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", bucket, err)
		}
		putBytes(t, path, bucket, "dir/hello.txt", []byte("hello from path style"))
		vhost := c.sdk(cohostS3Host, false)
		if got := getBytes(t, vhost, bucket, "dir/hello.txt"); string(got) != "hello from path style" {
			t.Errorf("GetObject through %s.%s: %q", bucket, cohostS3Host, got)
		}
		putBytes(t, vhost, bucket, "vhost.txt", []byte("hello from a vhost"))
		out, err := vhost.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListObjectsV2 through the vhost: %v", err)
		}
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if strings.Join(keys, ",") != "dir/hello.txt,vhost.txt" {
			t.Errorf("ListObjectsV2 through the vhost: %v", keys)
		}
		if got := getBytes(t, path, bucket, "vhost.txt"); string(got) != "hello from a vhost" {
			t.Errorf("GetObject path style: %q", got)
		}
		// Anonymous requests reach S3 too (and are refused there).
		wantS3(t, c.do(t, "GET", c.url("https", cohostS3Host, "/"), nil, nil), "anonymous ListBuckets", 403, "AccessDenied")
		// Plain HTTP redirects to HTTPS (Caddy names no port in Location
		// when the site addresses name none).
		uri := "/" + bucket + "/x?list-type=2"
		r := c.do(t, "GET", c.url("http", cohostS3Host, uri), nil, nil)
		if loc := r.header.Get("Location"); r.status != http.StatusPermanentRedirect || loc != "https://"+cohostS3Host+uri {
			t.Errorf("http://: HTTP %d Location %q, want 308 to https://%s%s", r.status, loc, cohostS3Host, uri)
		}
	})

	t.Run("management server host", func(t *testing.T) {
		c.wantStandIn(t, c.do(t, "GET", c.url("https", cohostUIHost, "/client/"), nil, spoofed), "GET /client/", cohostUIHost, "GET", "/client/")
		c.wantStandIn(t, c.do(t, "GET", c.url("https", cohostUIHost, "/client"), nil, nil), "GET /client", cohostUIHost, "GET", "/client")
		uri := "/client/api?command=listCapabilities&response=json"
		c.wantStandIn(t, c.do(t, "GET", c.url("https", cohostUIHost, uri), nil, nil), "GET "+uri, cohostUIHost, "GET", uri)
		form := url.Values{"command": {"login"}, "username": {"admin"}, "password": {"x"}}.Encode()
		c.wantStandIn(t, c.do(t, "POST", c.url("https", cohostUIHost, "/client/api"), strings.NewReader(form),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}), "POST /client/api", cohostUIHost, "POST", "/client/api")
		c.wantStandIn(t, c.do(t, "GET", c.url("https", cohostUIHost, "/share/iso/x.iso"), nil, nil), "GET /share/iso/x.iso", cohostUIHost, "GET", "/share/iso/x.iso")
		r := c.do(t, "GET", c.url("https", cohostUIHost, "/"), nil, nil)
		if r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/client/" {
			t.Errorf("GET /: HTTP %d Location %q, want 301 /client/", r.status, r.header.Get("Location"))
		}
		// No S3 on the management server's host.
		if r := c.do(t, "GET", c.url("https", cohostUIHost, "/"+bucket+"/vhost.txt"), nil, nil); r.header.Get("X-Amz-Request-Id") != "" {
			t.Errorf("S3 answered on %s: HTTP %d", cohostUIHost, r.status)
		}
	})

	t.Run("single host", func(t *testing.T) {
		for _, uri := range []string{"/client", "/client/", "/client/api?command=listZones&response=json", "/share", "/share/templates/t.qcow2"} {
			c.wantStandIn(t, c.do(t, "GET", c.url("https", cohostSharedHost, uri), nil, spoofed), "GET "+uri, cohostSharedHost, "GET", uri)
		}
		// Everything else is S3, on the same store as the S3 host.
		cl := c.sdk(cohostSharedHost, true)
		out, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		var names []string
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
		if !slices.Contains(names, bucket) {
			t.Errorf("ListBuckets on %s: %v, want %s among them", cohostSharedHost, names, bucket)
		}
		if got := getBytes(t, cl, bucket, "dir/hello.txt"); string(got) != "hello from path style" {
			t.Errorf("GetObject on %s: %q", cohostSharedHost, got)
		}
		// Only /client and /share themselves: a bucket whose name starts
		// with "client" or "share" is S3's.
		for _, prefix := range []string{"clients", "shared"} {
			b := newBucketName(prefix)
			if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatalf("CreateBucket %s: %v", b, err)
			}
			putBytes(t, cl, b, "k", []byte(prefix))
			if got := getBytes(t, cl, b, "k"); string(got) != prefix {
				t.Errorf("GetObject %s/k: %q", b, got)
			}
		}
		wantS3(t, c.do(t, "GET", c.url("https", cohostSharedHost, "/"), nil, nil), "anonymous GET /", 403, "AccessDenied")
		wantS3(t, c.do(t, "GET", c.url("https", cohostSharedHost, "/clientsx/"), nil, nil), "anonymous GET /clientsx/", 404, "NoSuchBucket")
	})

	// Needs the s3 handler's reserved_buckets: signed S3 requests for
	// /client and /share stay with S3, which refuses the names.
	t.Run("single host refuses reserved bucket names", func(t *testing.T) {
		cl := c.sdk(cohostSharedHost, true)
		for _, name := range []string{"client", "share"} {
			_, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			if err == nil {
				t.Errorf("CreateBucket %q on %s succeeded", name, cohostSharedHost)
				continue
			}
			wantSDKError(t, err, 400, "InvalidBucketName")
		}
	})

	t.Run("the management server saw only its paths", func(t *testing.T) {
		for _, h := range standIn.requests() {
			_, uri, _ := strings.Cut(h, " ")
			p, _, _ := strings.Cut(uri, "?")
			if p != "/client" && !strings.HasPrefix(p, "/client/") && p != "/share" && !strings.HasPrefix(p, "/share/") {
				t.Errorf("the management server got %s", h)
			}
			if strings.HasPrefix(h, "PUT ") {
				t.Errorf("an S3 request reached the management server: %s", h)
			}
		}
	})

	t.Run("access log", func(t *testing.T) {
		b, err := os.ReadFile(c.accessLog)
		if err != nil {
			t.Fatalf("access log: %v", err)
		}
		log := string(b)
		for _, want := range []string{cohostS3Host, cohostSharedHost, bucket} {
			if !strings.Contains(log, want) {
				t.Errorf("access log has no %q", want)
			}
		}
		if strings.Contains(log, "AWS4-HMAC-SHA256") || strings.Contains(log, alice.secret) {
			t.Errorf("access log carries credentials")
		}
	})
}
