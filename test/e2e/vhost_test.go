package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// vhostDomain is the `domain` of the e2e Caddyfile.
const vhostDomain = "s3.test"

// vhostClient resolves s3.test and *.s3.test to the server's loopback
// address, so requests carry Host: bucket.s3.test:PORT.
func vhostClient() *http.Client {
	_, port, _ := net.SplitHostPort(srv.hostport)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, p, err := net.SplitHostPort(addr)
			if err == nil && (host == vhostDomain || strings.HasSuffix(host, "."+vhostDomain)) && p == port {
				addr = srv.hostport
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 8,
	}
	return &http.Client{Transport: recordingTransport{tr}, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func vhostEndpoint() string {
	_, port, _ := net.SplitHostPort(srv.hostport)
	return "http://" + vhostDomain + ":" + port
}

// TestVirtualHostedStyle drives the server through Host: bucket.s3.test:PORT
// with aws-sdk-go-v2 (UsePathStyle false), SDK presigned URLs, and SigV2
// header and query auth (which sign /bucket/key although the bucket is in
// the host name).
func TestVirtualHostedStyle(t *testing.T) {
	hc := vhostClient()
	cl := sdk(alice, vhostEndpoint(), func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = hc
	})
	ctx := ctxT(t)
	bucket := newBucketName("vhost")
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket through bucket.%s: %v", vhostDomain, err)
	}
	data := randomBytes(200 << 10)
	key := "dir/a b+c.bin"
	putBytes(t, cl, bucket, key, data)
	if got := getBytes(t, cl, bucket, key); !bytes.Equal(got, data) {
		t.Fatalf("virtual-hosted GET returned %d bytes, want %d", len(got), len(data))
	}
	// The same object is there path style.
	if got := getBytes(t, aliceSDK(), bucket, key); !bytes.Equal(got, data) {
		t.Fatalf("path-style GET of a virtual-hosted PUT differs")
	}
	list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key {
		t.Fatalf("virtual-hosted list: %v %v", list, err)
	}
	if _, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	// Path style through the base domain itself.
	pathCl := sdk(alice, vhostEndpoint(), func(o *s3.Options) { o.HTTPClient = hc })
	if got := getBytes(t, pathCl, bucket, key); !bytes.Equal(got, data) {
		t.Fatalf("path-style GET through %s differs", vhostDomain)
	}
	// Another owner cannot read it through the host name either.
	_, err = sdk(bob, vhostEndpoint(), func(o *s3.Options) { o.UsePathStyle = false; o.HTTPClient = hc }).
		GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	wantSDKError(t, err, 403, "AccessDenied")

	get := func(u string, hdr http.Header) (int, []byte) {
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	t.Run("SDK presigned GET", func(t *testing.T) {
		ps, err := s3.NewPresignClient(cl).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ps.URL, "//"+bucket+"."+vhostDomain) {
			t.Fatalf("presigned URL is not virtual-hosted: %s", ps.URL)
		}
		if st, b := get(ps.URL, nil); st != 200 || !bytes.Equal(b, data) {
			t.Errorf("presigned virtual-hosted GET: %d", st)
		}
	})
	// SigV2 canonical resource is /bucket/key even with the bucket in Host.
	_, port, _ := net.SplitHostPort(srv.hostport)
	hostURL := "http://" + bucket + "." + vhostDomain + ":" + port + "/" + escapeKey(key)
	v2sig := func(sts string) string {
		m := hmac.New(sha1.New, []byte(alice.secret))
		m.Write([]byte(sts))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	t.Run("SigV2 header", func(t *testing.T) {
		date := time.Now().UTC().Format(http.TimeFormat)
		sig := v2sig("GET\n\n\n" + date + "\n/" + bucket + "/" + escapeKey(key))
		if st, b := get(hostURL, http.Header{"Date": {date}, "Authorization": {"AWS " + alice.key + ":" + sig}}); st != 200 || !bytes.Equal(b, data) {
			t.Errorf("SigV2 virtual-hosted GET: %d %s", st, b)
		}
		// Signing the path without the bucket is what a confused client
		// does; it must not verify.
		bad := v2sig("GET\n\n\n" + date + "\n/" + escapeKey(key))
		if st, _ := get(hostURL, http.Header{"Date": {date}, "Authorization": {"AWS " + alice.key + ":" + bad}}); st != 403 {
			t.Errorf("SigV2 without the bucket in the resource: %d, want 403", st)
		}
	})
	t.Run("SigV2 query", func(t *testing.T) {
		exp := strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10)
		sig := v2sig("GET\n\n\n" + exp + "\n/" + bucket + "/" + escapeKey(key))
		u := hostURL + "?AWSAccessKeyId=" + alice.key + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
		if st, b := get(u, nil); st != 200 || !bytes.Equal(b, data) {
			t.Errorf("SigV2 presigned virtual-hosted GET: %d %s", st, b)
		}
	})

	if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
}
