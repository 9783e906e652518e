package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKChecksumWhenRequired: aws-sdk-go-v2 with RequestChecksumCalculation
// WhenRequired sends no checksum trailers: plain signed bodies over HTTP,
// over HTTPS too.
func TestSDKChecksumWhenRequired(t *testing.T) {
	for _, base := range []string{srv.base, srv.tlsBase} {
		t.Run(base[:strings.Index(base, ":")], func(t *testing.T) {
			cl := sdk(alice, base, func(o *s3.Options) {
				o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
				o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			})
			ctx := ctxT(t)
			bucket := newBucketName("whenreq")
			if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			before := wire.payloadCount("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
			data := randomBytes(300 << 10)
			out := putBytes(t, cl, bucket, "dir/a b", data)
			if aws.ToString(out.ETag) != quotedMD5(data) {
				t.Errorf("ETag %s, want %s", aws.ToString(out.ETag), quotedMD5(data))
			}
			if got := getBytes(t, cl, bucket, "dir/a b"); !bytes.Equal(got, data) {
				t.Errorf("GET returned %d bytes, want the %d put", len(got), len(data))
			}
			// A checksum the operation requires is still sent and verified.
			_, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
				Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("dir/a b")}}}})
			if err != nil {
				t.Fatal(err)
			}
			list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			if err != nil || len(list.Contents) != 0 {
				t.Fatalf("list after delete: %v %v", list, err)
			}
			if _, err := cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			if n := wire.payloadCount("STREAMING-UNSIGNED-PAYLOAD-TRAILER") - before; n != 0 && base == srv.base {
				t.Errorf("WhenRequired sent %d trailer uploads over HTTP", n)
			}
		})
	}
}

// TestSigV4aNotImplemented: SigV4a (ECDSA) header and query auth get a clear
// NotImplemented.
func TestSigV4aNotImplemented(t *testing.T) {
	bucket := makeBucket(t, alice, "sigv4a")
	amzDate := time.Now().UTC().Format("20060102T150405Z")
	req, _ := http.NewRequest("GET", srv.base+"/"+bucket+"/k", nil)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Region-Set", "*")
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req.Header.Set("Authorization", "AWS4-ECDSA-P256-SHA256 Credential="+aliceKey+"/"+amzDate[:8]+"/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100abcdef")
	wantXMLError(t, send(t, req), 501, "NotImplemented")

	q := "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=" + aliceKey + "%2F" + amzDate[:8] + "%2Fs3%2Faws4_request&X-Amz-Date=" + amzDate +
		"&X-Amz-Expires=60&X-Amz-Region-Set=%2A&X-Amz-SignedHeaders=host&X-Amz-Signature=3045"
	wantXMLError(t, httpGet(t, srv.base+"/"+bucket+"/k?"+q), 501, "NotImplemented")

	// A streaming SigV4a payload under a SigV4 signature is refused too.
	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "v4a"), Creds: &alice, Body: []byte("x"),
		PayloadHash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", Header: http.Header{"X-Amz-Decoded-Content-Length": {"1"}}})
	wantXMLError(t, r, 501, "NotImplemented")
	wantAbsent(t, bucket, "v4a")
}

// TestWrongRegionNamesExpected: a credential scope for another region is
// AuthorizationHeaderMalformed naming the server's region (clients such
// as the AWS SDKs retry with it).
func TestWrongRegionNamesExpected(t *testing.T) {
	bucket := makeBucket(t, alice, "region")
	req, _ := http.NewRequest("GET", srv.base+"/"+bucket+"?list-type=2", nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := rawSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret},
		req, emptySHA256, "s3", "eu-west-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	r := send(t, req)
	e := wantXMLError(t, r, 400, "AuthorizationHeaderMalformed")
	if !strings.Contains(e.Message, "'us-east-1'") || !strings.Contains(e.Message, "eu-west-1") {
		t.Errorf("message %q does not name the expected region us-east-1 and the wrong one", e.Message)
	}
	if !bytes.Contains(r.Body, []byte("<Region>us-east-1</Region>")) {
		t.Errorf("error lacks <Region>us-east-1</Region>: %s", r.Body)
	}
	// The SDK configured for the wrong region gets the same answer.
	_, err := sdk(alice, srv.base, func(o *s3.Options) { o.Region = "eu-west-1" }).
		ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 400, "AuthorizationHeaderMalformed")
}

// TestRequestTimeTooSkewed: a request signed 20 minutes in the past or the
// future is refused with the server's time; nothing is written.
func TestRequestTimeTooSkewed(t *testing.T) {
	bucket := makeBucket(t, alice, "skew")
	for _, d := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "skewed"), Body: []byte("late"), Creds: &alice, SignTime: time.Now().Add(d)})
		wantXMLError(t, r, 403, "RequestTimeTooSkewed")
		if !bytes.Contains(r.Body, []byte("<ServerTime>")) {
			t.Errorf("RequestTimeTooSkewed without ServerTime: %s", r.Body)
		}
	}
	wantAbsent(t, bucket, "skewed")
	// 10 minutes is within S3's 15.
	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "ok"), Body: []byte("fine"), Creds: &alice, SignTime: time.Now().Add(-10 * time.Minute)})
	wantStatus(t, r, 200)
}

// chunkedPut sends an unsigned aws-chunked body whose
// x-amz-decoded-content-length is declared rather than computed.
func chunkedPut(t *testing.T, path string, data []byte, declared int) rawResp {
	t.Helper()
	var body bytes.Buffer
	fmt.Fprintf(&body, "%x\r\n", len(data))
	body.Write(data)
	body.WriteString("\r\n0\r\n\r\n")
	req := buildRaw(t, rawReq{Method: "PUT", Path: path, Creds: &alice, PayloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		Header: http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {fmt.Sprint(declared)}}})
	req.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	req.ContentLength = int64(body.Len())
	return send(t, req)
}

// rawTCPPut sends a signed PUT whose Content-Length announces more than the
// body holds: the server sees the body end early.
func rawTCPPut(t *testing.T, path string, signed []byte, sendBytes int) rawResp {
	t.Helper()
	req := buildRaw(t, rawReq{Method: "PUT", Path: path, Body: signed, Creds: &alice})
	var head strings.Builder
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.URL.RequestURI(), req.Host, len(signed))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	return halfClosed(t, head.String(), signed[:sendBytes])
}

// halfClosed sends head (the request line and headers with the blank line
// after them) and body on a new connection to the HTTP site, half-closes
// it and reads the answer, so the server sees the body end where body
// ends, whatever Content-Length announced.
func halfClosed(t *testing.T, head string, body []byte) rawResp {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.hostport, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(append([]byte(head), body...)); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a request whose body ends early: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return rawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestDeclaredLengthMismatch: bodies longer or shorter than declared are
// errors and store nothing, for aws-chunked and for plain bodies.
func TestDeclaredLengthMismatch(t *testing.T) {
	bucket := makeBucket(t, alice, "length")
	data := randomBytes(100 << 10)
	t.Run("aws-chunked longer than x-amz-decoded-content-length", func(t *testing.T) {
		wantXMLError(t, chunkedPut(t, objPath(bucket, "long"), data, len(data)-1), 400, "IncompleteBody")
		wantAbsent(t, bucket, "long")
	})
	t.Run("aws-chunked shorter than x-amz-decoded-content-length", func(t *testing.T) {
		wantXMLError(t, chunkedPut(t, objPath(bucket, "short"), data, len(data)+1), 400, "IncompleteBody")
		wantAbsent(t, bucket, "short")
	})
	t.Run("aws-chunked exact", func(t *testing.T) {
		wantStatus(t, chunkedPut(t, objPath(bucket, "exact"), data, len(data)), 200)
		if got := getBytes(t, aliceSDK(), bucket, "exact"); !bytes.Equal(got, data) {
			t.Errorf("stored object differs")
		}
	})
	t.Run("plain body ends before Content-Length", func(t *testing.T) {
		wantXMLError(t, rawTCPPut(t, objPath(bucket, "truncated"), data, len(data)-1000), 400, "IncompleteBody")
		wantAbsent(t, bucket, "truncated")
	})
	t.Run("plain body longer than Content-Length", func(t *testing.T) {
		// The signed hash covers all of data; the server reads only the
		// declared prefix.
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "prefix"), Body: data, Send: data[:len(data)-10], Creds: &alice})
		wantXMLError(t, r, 400, "XAmzContentSHA256Mismatch")
		wantAbsent(t, bucket, "prefix")
	})
}
