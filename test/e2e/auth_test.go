package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
	"github.com/minio/minio-go/v7"
)

func TestWrongSecretAndUnknownKey(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "auth")

	wrong := sdk(creds{aliceKey, "not-the-secret-0000000000000000000000000"}, srv.base)
	_, err := wrong.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantSDKError(t, err, 403, "SignatureDoesNotMatch")
	_, err = wrong.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("ws"), Body: strings.NewReader("x")})
	wantSDKError(t, err, 403, "SignatureDoesNotMatch")
	wantAbsent(t, bucket, "ws")

	unknown := sdk(creds{"AKIAUNKNOWNKEY000001", "whatever000000000000000000000000000000000"}, srv.base)
	_, err = unknown.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantSDKError(t, err, 403, "InvalidAccessKeyId")
	_, err = unknown.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uk"), Body: strings.NewReader("x")})
	wantSDKError(t, err, 403, "InvalidAccessKeyId")
	wantAbsent(t, bucket, "uk")

	r := doRaw(t, rawReq{Method: "GET", Path: "/", Creds: &creds{aliceKey, "bad"}})
	wantXMLError(t, r, 403, "SignatureDoesNotMatch")
	r = doRaw(t, rawReq{Method: "GET", Path: "/", Creds: &creds{"AKIANOSUCHKEY0000001", "bad"}})
	wantXMLError(t, r, 403, "InvalidAccessKeyId")

	// minio-go (signed streaming) with a wrong secret stores nothing.
	m := mc(t, creds{aliceKey, "not-the-secret-0000000000000000000000000"}, false)
	_, err = m.PutObject(ctx, bucket, "ws-minio", bytes.NewReader(randomBytes(200<<10)), 200<<10, minio.PutObjectOptions{})
	wantMinioError(t, err, 403, "SignatureDoesNotMatch")
	wantAbsent(t, bucket, "ws-minio")

	t.Run("bob through an env placeholder secret", func(t *testing.T) {
		if _, err := bobSDK().ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Errorf("bob (secret from {env.%s}) cannot list: %v", bobSecretEnv, err)
		}
		// The literal placeholder must not work as a secret.
		lit := sdk(creds{bobKey, "{env." + bobSecretEnv + "}"}, srv.base)
		_, err := lit.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantSDKError(t, err, 403, "SignatureDoesNotMatch")
	})
	t.Run("skewed clock", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "GET", Path: "/", Creds: &alice, SignTime: time.Now().Add(-time.Hour)})
		wantXMLError(t, r, 403, "RequestTimeTooSkewed")
	})
}

func TestAnonymous(t *testing.T) {
	bucket := makeBucket(t, alice, "anon")
	putBytes(t, aliceSDK(), bucket, "k", []byte("private"))
	for _, tc := range []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/" + bucket},
		{"GET", "/" + bucket + "/k"},
		{"PUT", "/" + bucket + "/anon-new"},
		{"DELETE", "/" + bucket + "/k"},
		{"PUT", "/anon-bucket-" + bucket[len(bucket)-6:]},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body []byte
			if tc.method == "PUT" {
				body = []byte("anonymous data")
			}
			r := doRaw(t, rawReq{Method: tc.method, Path: tc.path, Body: body})
			wantXMLError(t, r, 403, "AccessDenied")
		})
	}
	r := doRaw(t, rawReq{Method: "HEAD", Path: "/" + bucket + "/k"})
	wantStatus(t, r, 403)
	if len(r.Body) != 0 {
		t.Errorf("HEAD 403 with a body")
	}
	wantAbsent(t, bucket, "anon-new")
	if got := string(getBytes(t, aliceSDK(), bucket, "k")); got != "private" {
		t.Errorf("object changed to %q", got)
	}
}

// TestTamperedPayload signs one body and sends another of the same length:
// the signed x-amz-content-sha256 does not match, nothing is stored and an
// existing object is left alone.
func TestTamperedPayload(t *testing.T) {
	bucket := makeBucket(t, alice, "tamper")
	signed := bytes.Repeat([]byte("A"), 4096)
	sent := bytes.Repeat([]byte("B"), 4096)

	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "t"), Body: signed, Send: sent, Creds: &alice})
	wantXMLError(t, r, 400, "XAmzContentSHA256Mismatch")
	wantAbsent(t, bucket, "t")

	// Large enough that the server must stream it to disk before it knows.
	bigSigned := randomBytes(3 << 20)
	bigSent := append([]byte(nil), bigSigned...)
	bigSent[len(bigSent)-1] ^= 0xff
	r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "big"), Body: bigSigned, Send: bigSent, Creds: &alice})
	wantXMLError(t, r, 400, "XAmzContentSHA256Mismatch")
	wantAbsent(t, bucket, "big")

	// An existing object survives a rejected overwrite.
	putBytes(t, aliceSDK(), bucket, "keep", []byte("original"))
	r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "keep"), Body: []byte("replaced"), Send: []byte("tampered"), Creds: &alice})
	wantXMLError(t, r, 400, "XAmzContentSHA256Mismatch")
	if got := string(getBytes(t, aliceSDK(), bucket, "keep")); got != "original" {
		t.Errorf("object after a rejected overwrite: %q", got)
	}

	t.Run("checksum header mismatch", func(t *testing.T) {
		body := []byte("checksummed body")
		bad := crc32.ChecksumIEEE([]byte("something else"))
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "crc-bad"), Body: body, Creds: &alice,
			Header: http.Header{"X-Amz-Checksum-Crc32": {b64u32(bad)}}})
		wantXMLError(t, r, 400, "BadDigest")
		wantAbsent(t, bucket, "crc-bad")
		r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "crc-good"), Body: body, Creds: &alice,
			Header: http.Header{"X-Amz-Checksum-Crc32": {b64u32(crc32.ChecksumIEEE(body))}}})
		wantStatus(t, r, 200)
	})
	t.Run("Content-MD5 mismatch", func(t *testing.T) {
		other := md5sum([]byte("other"))
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "md5-bad"), Body: []byte("body"), Creds: &alice,
			Header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(other)}}})
		wantXMLError(t, r, 400, "BadDigest")
		wantAbsent(t, bucket, "md5-bad")
		r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "md5-invalid"), Body: []byte("body"), Creds: &alice,
			Header: http.Header{"Content-Md5": {"not-base64-md5"}}})
		wantXMLError(t, r, 400, "InvalidDigest")
		wantAbsent(t, bucket, "md5-invalid")
		r = doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "md5-good"), Body: []byte("body"), Creds: &alice,
			Header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(md5sum([]byte("body")))}}})
		wantStatus(t, r, 200)
	})
	t.Run("UNSIGNED-PAYLOAD", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "unsigned"), Body: []byte("unsigned body"), PayloadHash: "UNSIGNED-PAYLOAD", Creds: &alice})
		wantStatus(t, r, 200)
		if got := string(getBytes(t, aliceSDK(), bucket, "unsigned")); got != "unsigned body" {
			t.Errorf("UNSIGNED-PAYLOAD object %q", got)
		}
	})
}

func md5sum(b []byte) []byte {
	s, _ := hex.DecodeString(md5Hex(b))
	return s
}

func b64u32(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return base64.StdEncoding.EncodeToString(b[:])
}

// ---------------------------------------------------------------------------
// aws-chunked bodies built by hand.

func signingKey(secret, date string) []byte {
	mac := func(k []byte, s string) []byte {
		h := hmac.New(sha256.New, k)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	return mac(mac(mac(mac([]byte("AWS4"+secret), date), region), "s3"), "aws4_request")
}

// signedTrailer is the optional trailer of a signed aws-chunked upload.
type signedTrailer struct {
	algo, value string // x-amz-checksum-<algo>:<value>
	badSig      bool   // send a wrong x-amz-trailer-signature
}

// signedChunkedPut sends data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD (or
// ...-PAYLOAD-TRAILER when trailer is set, in the AWS-documented layout) in
// chunks of chunkSize; tamper may change chunks and signatures after signing.
func signedChunkedPut(t *testing.T, path string, data []byte, chunkSize int, trailer *signedTrailer, tamper func(chunks [][]byte, sigs []string) ([][]byte, []string)) rawResp {
	t.Helper()
	now := time.Now().UTC()
	amzDate := now.Format("20060102T150405Z")
	date := now.Format("20060102")
	scope := date + "/" + region + "/s3/aws4_request"

	var chunks [][]byte
	for off := 0; off < len(data); off += chunkSize {
		end := min(off+chunkSize, len(data))
		chunks = append(chunks, data[off:end])
	}
	chunks = append(chunks, nil) // final zero-length chunk

	payload := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	hdr := http.Header{
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(data))},
	}
	if trailer != nil {
		payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
		hdr.Set("X-Amz-Trailer", "x-amz-checksum-"+trailer.algo)
	}
	req := buildRaw(t, rawReq{Method: "PUT", Path: path, Creds: &alice, PayloadHash: payload, SignTime: now, Header: hdr})
	auth := req.Header.Get("Authorization")
	i := strings.Index(auth, "Signature=")
	if i < 0 {
		t.Fatalf("no seed signature in %q", auth)
	}
	prev := auth[i+len("Signature="):]
	key := signingKey(alice.secret, date)
	sign := func(sts string) string {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(sts))
		return hex.EncodeToString(h.Sum(nil))
	}
	var sigs []string
	for _, c := range chunks {
		prev = sign(strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, prev, emptySHA256, sha256Hex(c)}, "\n"))
		sigs = append(sigs, prev)
	}
	if tamper != nil {
		chunks, sigs = tamper(chunks, sigs)
	}
	var body bytes.Buffer
	for i, c := range chunks {
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(c), sigs[i])
		body.Write(c)
		if trailer == nil || i < len(chunks)-1 {
			body.WriteString("\r\n")
		}
	}
	if trailer != nil {
		line := "x-amz-checksum-" + trailer.algo + ":" + trailer.value
		tsig := sign(strings.Join([]string{"AWS4-HMAC-SHA256-TRAILER", amzDate, scope, sigs[len(sigs)-1], sha256Hex([]byte(line + "\n"))}, "\n"))
		if trailer.badSig {
			tsig = strings.Repeat("1", 64)
		}
		fmt.Fprintf(&body, "%s\r\nx-amz-trailer-signature:%s\r\n\r\n", line, tsig)
	}
	// Content-Length is not among the signed headers (it was 0 at signing).
	req.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	req.ContentLength = int64(body.Len())
	return send(t, req)
}

// TestSignedChunkedStreaming checks hand-built signed aws-chunked uploads:
// a valid one is stored (without aws-chunked in its Content-Encoding), one
// with a tampered chunk or chunk signature is refused and leaves nothing.
func TestSignedChunkedStreaming(t *testing.T) {
	bucket := makeBucket(t, alice, "chunked")
	data := randomBytes(200 << 10)
	t.Run("valid", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "ok"), data, 64<<10, nil, nil)
		wantStatus(t, r, 200)
		if r.Header.Get("ETag") != quotedMD5(data) {
			t.Errorf("ETag %q, want %q", r.Header.Get("ETag"), quotedMD5(data))
		}
		out, err := aliceSDK().GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("ok")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("stored %d bytes differ from the %d sent", len(got), len(data))
		}
		if ce := aws.ToString(out.ContentEncoding); strings.Contains(ce, "aws-chunked") {
			t.Errorf("stored Content-Encoding %q still has aws-chunked", ce)
		}
	})
	t.Run("tampered chunk data", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "bad-data"), data, 64<<10, nil, func(chunks [][]byte, sigs []string) ([][]byte, []string) {
			c := append([]byte(nil), chunks[1]...)
			c[100] ^= 0x01
			chunks[1] = c
			return chunks, sigs
		})
		wantXMLError(t, r, 403, "SignatureDoesNotMatch")
		wantAbsent(t, bucket, "bad-data")
	})
	t.Run("tampered final chunk signature", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "bad-final"), data, 64<<10, nil, func(chunks [][]byte, sigs []string) ([][]byte, []string) {
			last := len(sigs) - 1
			sigs[last] = strings.Repeat("0", 64)
			return chunks, sigs
		})
		wantXMLError(t, r, 403, "SignatureDoesNotMatch")
		wantAbsent(t, bucket, "bad-final")
	})
	t.Run("chunks swapped", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "swapped"), data, 64<<10, nil, func(chunks [][]byte, sigs []string) ([][]byte, []string) {
			chunks[0], chunks[1] = chunks[1], chunks[0]
			sigs[0], sigs[1] = sigs[1], sigs[0]
			return chunks, sigs
		})
		wantXMLError(t, r, 403, "SignatureDoesNotMatch")
		wantAbsent(t, bucket, "swapped")
	})
	// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER in the layout of the AWS
	// documentation (minio-go's layout is covered by TestMinioTrailers).
	crc := b64u32(crc32.ChecksumIEEE(data))
	t.Run("signed trailer", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "trailer-ok"), data, 64<<10, &signedTrailer{algo: "crc32", value: crc}, nil)
		wantStatus(t, r, 200)
		if got := getBytes(t, aliceSDK(), bucket, "trailer-ok"); !bytes.Equal(got, data) {
			t.Errorf("stored object differs")
		}
	})
	t.Run("signed trailer with a wrong checksum", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "trailer-bad-crc"), data, 64<<10, &signedTrailer{algo: "crc32", value: b64u32(12345)}, nil)
		wantXMLError(t, r, 400, "BadDigest")
		wantAbsent(t, bucket, "trailer-bad-crc")
	})
	t.Run("signed trailer with a wrong trailer signature", func(t *testing.T) {
		r := signedChunkedPut(t, objPath(bucket, "trailer-bad-sig"), data, 64<<10, &signedTrailer{algo: "crc32", value: crc, badSig: true}, nil)
		wantXMLError(t, r, 403, "SignatureDoesNotMatch")
		wantAbsent(t, bucket, "trailer-bad-sig")
	})
}

// checksumAlgos are the trailer algorithms S3 supports.
var checksumAlgos = []struct {
	name    string // x-amz-checksum-<name>
	sdkAlgo types.ChecksumAlgorithm
	newHash func() hash.Hash
}{
	{"crc32", types.ChecksumAlgorithmCrc32, func() hash.Hash { return crc32.NewIEEE() }},
	{"crc32c", types.ChecksumAlgorithmCrc32c, func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	{"crc64nvme", types.ChecksumAlgorithmCrc64nvme, func() hash.Hash { return crc64nvme.New() }},
	{"sha1", types.ChecksumAlgorithmSha1, sha1.New},
	{"sha256", types.ChecksumAlgorithmSha256, sha256.New},
}

func checksumB64(newHash func() hash.Hash, data []byte) string {
	h := newHash()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// unsignedTrailerPut sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with the given
// trailer value, the way current AWS SDKs and CLIs do.
func unsignedTrailerPut(t *testing.T, path string, data []byte, algo, value string) rawResp {
	t.Helper()
	var body bytes.Buffer
	const chunk = 64 << 10
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		fmt.Fprintf(&body, "%x\r\n", end-off)
		body.Write(data[off:end])
		body.WriteString("\r\n")
	}
	fmt.Fprintf(&body, "0\r\nx-amz-checksum-%s:%s\r\n\r\n", algo, value)
	req := buildRaw(t, rawReq{Method: "PUT", Path: path, Creds: &alice, PayloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		Header: http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(data))},
			"X-Amz-Trailer":                {"x-amz-checksum-" + algo},
			"X-Amz-Sdk-Checksum-Algorithm": {strings.ToUpper(algo)},
		}})
	req.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	req.ContentLength = int64(body.Len())
	return send(t, req)
}

// TestTrailingChecksums sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with each
// algorithm, correct and wrong; a wrong one is BadDigest and stores nothing.
func TestTrailingChecksums(t *testing.T) {
	bucket := makeBucket(t, alice, "trailer")
	data := randomBytes(150<<10 + 7)
	for _, a := range checksumAlgos {
		t.Run(a.name, func(t *testing.T) {
			key := "ok-" + a.name
			r := unsignedTrailerPut(t, objPath(bucket, key), data, a.name, checksumB64(a.newHash, data))
			wantStatus(t, r, 200)
			if got := getBytes(t, aliceSDK(), bucket, key); !bytes.Equal(got, data) {
				t.Errorf("stored object differs (%d bytes)", len(got))
			}
			head, err := aliceSDK().HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if ce := aws.ToString(head.ContentEncoding); strings.Contains(ce, "aws-chunked") {
				t.Errorf("stored Content-Encoding %q still has aws-chunked", ce)
			}
			want := checksumB64(a.newHash, data)
			got := map[string]*string{"crc32": head.ChecksumCRC32, "crc32c": head.ChecksumCRC32C, "crc64nvme": head.ChecksumCRC64NVME,
				"sha1": head.ChecksumSHA1, "sha256": head.ChecksumSHA256}[a.name]
			if aws.ToString(got) != want {
				t.Errorf("HEAD with x-amz-checksum-mode ENABLED: x-amz-checksum-%s = %q, want %q", a.name, aws.ToString(got), want)
			}

			bad := checksumB64(a.newHash, []byte("not the data"))
			r = unsignedTrailerPut(t, objPath(bucket, "bad-"+a.name), data, a.name, bad)
			wantXMLError(t, r, 400, "BadDigest")
			wantAbsent(t, bucket, "bad-"+a.name)
		})
	}
}

// TestSDKOverTLS uses the Go SDK's defaults over HTTPS (HTTP/2), where it
// sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer, and each
// other checksum algorithm on request.
func TestSDKOverTLS(t *testing.T) {
	ctx := ctxT(t)
	cl := sdk(alice, srv.tlsBase)
	bucket := newBucketName("tls")
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket over TLS: %v", err)
	}
	before := wire.payloadCount("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	data := randomBytes(20 << 20)
	t.Run("default CRC32 seekable", func(t *testing.T) {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("seekable"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if got := getBytes(t, cl, bucket, "seekable"); !bytes.Equal(got, data) {
			t.Errorf("round trip differs")
		}
	})
	t.Run("default CRC32 unseekable", func(t *testing.T) {
		body := io.MultiReader(bytes.NewReader(data)) // hides Seek
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("stream"), Body: body, ContentLength: aws.Int64(int64(len(data)))}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if got := getBytes(t, aliceSDK(), bucket, "stream"); !bytes.Equal(got, data) {
			t.Errorf("round trip differs")
		}
	})
	small := randomBytes(300 << 10)
	for _, a := range checksumAlgos {
		t.Run(string(a.sdkAlgo), func(t *testing.T) {
			key := "algo-" + a.name
			_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(small),
				ChecksumAlgorithm: a.sdkAlgo, ContentType: aws.String("application/x-test"), ContentEncoding: aws.String("gzip")})
			if err != nil {
				t.Fatalf("PutObject %s: %v", a.sdkAlgo, err)
			}
			out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(out.Body) // the SDK validates a returned checksum here
			out.Body.Close()
			if err != nil || !bytes.Equal(got, small) {
				t.Errorf("GetObject: %d bytes, %v", len(got), err)
			}
			if ce := aws.ToString(out.ContentEncoding); ce != "gzip" {
				t.Errorf("Content-Encoding %q, want gzip (aws-chunked dropped)", ce)
			}
		})
	}
	if wire.payloadCount("STREAMING-UNSIGNED-PAYLOAD-TRAILER") == before {
		t.Errorf("the SDK never sent STREAMING-UNSIGNED-PAYLOAD-TRAILER over TLS; trailers were not exercised")
	}
}

// TestMinioTrailers: minio-go with TrailingHeaders and a checksum sends
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER over HTTP (signed chunks, then
// the checksum line and x-amz-trailer-signature).
func TestMinioTrailers(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "mtrail")
	m := mc(t, alice, true)
	small := randomBytes(300 << 10)
	for _, ck := range []minio.ChecksumType{minio.ChecksumCRC32, minio.ChecksumCRC32C, minio.ChecksumSHA1, minio.ChecksumSHA256, minio.ChecksumCRC64NVME} {
		t.Run(ck.String(), func(t *testing.T) {
			key := "minio-" + ck.String()
			_, err := m.PutObject(ctx, bucket, key, bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{Checksum: ck, DisableMultipart: true})
			if err != nil {
				t.Fatalf("minio PutObject with a signed %s trailer: %v", ck, err)
			}
			if got := getBytes(t, aliceSDK(), bucket, key); !bytes.Equal(got, small) {
				t.Errorf("%s: round trip differs", ck)
			}
		})
	}
	if wire.payloadCount("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == 0 {
		t.Errorf("minio-go never sent STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
	}
	t.Run("UNSIGNED-PAYLOAD", func(t *testing.T) {
		// DisableContentSha256 over HTTP: a plain UNSIGNED-PAYLOAD PUT.
		_, err := m.PutObject(ctx, bucket, "minio-unsigned", bytes.NewReader(small), int64(len(small)),
			minio.PutObjectOptions{DisableContentSha256: true, DisableMultipart: true})
		if err != nil {
			t.Fatalf("minio PutObject UNSIGNED-PAYLOAD: %v", err)
		}
		if got := getBytes(t, aliceSDK(), bucket, "minio-unsigned"); !bytes.Equal(got, small) {
			t.Errorf("round trip differs")
		}
	})
}

// ---------------------------------------------------------------------------
// Presigned URLs.

func httpGet(t *testing.T, u string) rawResp {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

func httpPut(t *testing.T, u string, body []byte, hdr http.Header) rawResp {
	t.Helper()
	req, err := http.NewRequest("PUT", u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return send(t, req)
}

func TestPresigned(t *testing.T) {
	ctx := ctxT(t)
	bucket := makeBucket(t, alice, "presign")
	data := randomBytes(100 << 10)
	putBytes(t, aliceSDK(), bucket, "dir/get me", data)
	ps := s3.NewPresignClient(aliceSDK())

	t.Run("sdk GET", func(t *testing.T) {
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/get me")}, s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		r := httpGet(t, req.URL)
		wantStatus(t, r, 200)
		if !bytes.Equal(r.Body, data) {
			t.Errorf("presigned GET body differs")
		}
	})
	t.Run("sdk GET with response override", func(t *testing.T) {
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/get me"),
			ResponseContentType: aws.String("image/png"), ResponseContentDisposition: aws.String("inline")})
		if err != nil {
			t.Fatal(err)
		}
		r := httpGet(t, req.URL)
		wantStatus(t, r, 200)
		if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("Content-Disposition") != "inline" {
			t.Errorf("overrides: Content-Type %q, Content-Disposition %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
		}
	})
	t.Run("sdk PUT", func(t *testing.T) {
		body := randomBytes(70 << 10)
		req, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("up/sdk")})
		if err != nil {
			t.Fatal(err)
		}
		r := httpPut(t, req.URL, body, req.SignedHeader)
		wantStatus(t, r, 200)
		if got := getBytes(t, aliceSDK(), bucket, "up/sdk"); !bytes.Equal(got, body) {
			t.Errorf("presigned PUT stored different bytes")
		}
	})
	t.Run("minio GET and PUT", func(t *testing.T) {
		m := mc(t, alice, false)
		u, err := m.PresignedGetObject(ctx, bucket, "dir/get me", 5*time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := httpGet(t, u.String())
		wantStatus(t, r, 200)
		if !bytes.Equal(r.Body, data) {
			t.Errorf("minio presigned GET body differs")
		}
		u, err = m.PresignedPutObject(ctx, bucket, "up/minio", 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		body := randomBytes(33 << 10)
		r = httpPut(t, u.String(), body, nil)
		wantStatus(t, r, 200)
		if got := getBytes(t, aliceSDK(), bucket, "up/minio"); !bytes.Equal(got, body) {
			t.Errorf("minio presigned PUT stored different bytes")
		}
	})
	t.Run("expired (signed an hour ago for 60s)", func(t *testing.T) {
		for _, method := range []string{"GET", "PUT"} {
			u := srv.base + objPath(bucket, "dir/get me") + "?X-Amz-Expires=60"
			req, _ := http.NewRequest(method, u, nil)
			signed, _, err := rawSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret},
				req, "UNSIGNED-PAYLOAD", "s3", region, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var r rawResp
			if method == "GET" {
				r = httpGet(t, signed)
			} else {
				r = httpPut(t, signed, []byte("overwritten"), nil)
			}
			wantExpired(t, r)
		}
		if got := getBytes(t, aliceSDK(), bucket, "dir/get me"); !bytes.Equal(got, data) {
			t.Errorf("expired presigned PUT changed the object")
		}
	})
	t.Run("expired (minio 1s, after 2s)", func(t *testing.T) {
		u, err := mc(t, alice, false).PresignedGetObject(ctx, bucket, "dir/get me", time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2100 * time.Millisecond)
		wantExpired(t, httpGet(t, u.String()))
	})
	t.Run("tampered", func(t *testing.T) {
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/get me")}, s3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(req.URL)
		q := u.Query()
		q.Set("X-Amz-Expires", "604800")
		u.RawQuery = q.Encode()
		wantXMLError(t, httpGet(t, u.String()), 403, "SignatureDoesNotMatch")
		// Another key with the same signature.
		u2 := strings.Replace(req.URL, "/dir/get%20me", "/dir/other", 1)
		if u2 == req.URL {
			t.Fatalf("test bug: key not found in %s", req.URL)
		}
		wantXMLError(t, httpGet(t, u2), 403, "SignatureDoesNotMatch")
		// Another owner's key id with alice's signature.
		u3 := strings.Replace(req.URL, aliceKey, bobKey, 1)
		wantXMLError(t, httpGet(t, u3), 403, "SignatureDoesNotMatch")
	})
}

// wantExpired asserts S3's answer to an expired presigned URL: 403
// AccessDenied "Request has expired".
func wantExpired(t testing.TB, r rawResp) {
	t.Helper()
	if e := wantXMLError(t, r, 403, "AccessDenied"); e.Message != "Request has expired" {
		t.Errorf("expired presigned URL: message %q, want %q", e.Message, "Request has expired")
	}
}
