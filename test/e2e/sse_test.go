package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/caddys3/caddys3/internal/testserver"
)

// Encryption at rest (issue 19, docs/encryption.md): the harness's server
// has one master key (masterKeyEnv).

// masterKeyEntry is one key of an encryption block: its id and the key
// (base64).
type masterKeyEntry struct{ id, key string }

// withMasterKeys gives the s3 block of a test server's config (after its
// "region" line) an encryption block with keys, the first encrypting;
// each key reaches the server through an environment variable, as
// production configs should pass it.
func withMasterKeys(c testserver.Config, keys ...masterKeyEntry) testserver.Config {
	var block strings.Builder
	block.WriteString("region us-east-1\n\t\tencryption {\n")
	env := maps.Clone(c.Env)
	if env == nil {
		env = map[string]string{}
	}
	for i, k := range keys {
		name := fmt.Sprintf("CADDYS3_E2E_KEY_%d", i)
		env[name] = k.key
		fmt.Fprintf(&block, "\t\t\tkey %s {env.%s}\n", k.id, name)
	}
	block.WriteString("\t\t}\n")
	c.Caddyfile = strings.Replace(c.Caddyfile, "region us-east-1\n", block.String(), 1)
	c.Env = env
	return c
}

// msgSSECInsecure is S3's answer to SSE-C over plain HTTP.
const msgSSECInsecure = "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."

// ssePackage is the sealed format's package size (internal/sealed).
const ssePackage = 64 << 10

// sseMark is the known pattern whose absence from the disk shows the
// plaintext is not there.
var sseMark = []byte("SSE-PLAINTEXT-MARK:")

// sseBody is n bytes made of sseMark and a counter, so that every range
// is distinct and the mark is everywhere.
func sseBody(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.Write(sseMark)
		b.WriteString(strings.Repeat("x", i%7))
	}
	return b.Bytes()[:n]
}

// wantSealedOnDisk fails unless the object's file holds none of the
// plaintext's mark.
func wantSealedOnDisk(t *testing.T, bucket, key string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(srv.root, bucket, key))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, sseMark) {
		t.Fatalf("%s/%s: the file on disk holds the plaintext", bucket, key)
	}
}

// TestSSES3 drives SSE-S3 with the AWS SDK and minio-go: PUT, GET, HEAD,
// ranges, listings, copies (both ways), UploadPartCopy from an encrypted
// source, and the answers for what is not built.
func TestSSES3(t *testing.T) {
	cl, ctx := aliceSDK(), ctxT(t)
	bucket := makeBucket(t, alice, "sse")
	body := sseBody(3*ssePackage + 1000)
	put, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"),
		Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(put.ETag) != `"`+md5Hex(body)+`"` {
		t.Fatalf("PUT: encryption %q, ETag %s (want the plaintext's MD5)", put.ServerSideEncryption, aws.ToString(put.ETag))
	}
	wantSealedOnDisk(t, bucket, "obj")

	got, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil || !bytes.Equal(data, body) || got.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("GET: %d bytes, err %v, encryption %q", len(data), err, got.ServerSideEncryption)
	}
	head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("HEAD: %+v, %v", head, err)
	}
	for _, rg := range [][2]int{{0, 0}, {ssePackage - 2, ssePackage + 2}, {ssePackage + 5000, ssePackage + 5000 + 4095}, {len(body) - 10, len(body) - 1}} {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"),
			Range: aws.String("bytes=" + strconv.Itoa(rg[0]) + "-" + strconv.Itoa(rg[1]))})
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(part, body[rg[0]:rg[1]+1]) {
			t.Errorf("range %v: wrong bytes", rg)
		}
	}
	list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(body)) {
		t.Fatalf("listing: %+v, %v", list, err)
	}

	// Copies: encrypted to plain (no header, no default) and plain to
	// encrypted.
	if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain-copy"),
		CopySource: aws.String(bucket + "/obj")}); err != nil {
		t.Fatal(err)
	}
	if plain, _ := os.ReadFile(filepath.Join(srv.root, bucket, "plain-copy")); !bytes.Equal(plain, body) {
		t.Fatal("a plain copy of an encrypted object is not its plaintext")
	}
	cp, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("sealed-copy"),
		CopySource: aws.String(bucket + "/plain-copy"), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || cp.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("encrypted copy: %+v, %v", cp, err)
	}
	wantSealedOnDisk(t, bucket, "sealed-copy")
	if !bytes.Equal(getBytes(t, cl, bucket, "sealed-copy"), body) {
		t.Fatal("the encrypted copy reads back wrong")
	}

	// UploadPartCopy of a range of an encrypted object into a plain upload.
	up, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cl.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/obj"), CopySourceRange: aws.String("bytes=100-70099")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(getBytes(t, cl, bucket, "mp"), body[100:70100]) {
		t.Fatal("UploadPartCopy from an encrypted source: wrong bytes")
	}

	// minio-go's encrypt.NewSSE.
	m := mc(t, alice, false)
	if _, err := m.PutObject(ctx, bucket, "minio", bytes.NewReader(body[:5000]), 5000, minio.PutObjectOptions{ServerSideEncryption: encrypt.NewSSE()}); err != nil {
		t.Fatal(err)
	}
	wantSealedOnDisk(t, bucket, "minio")
	obj, err := m.GetObject(ctx, bucket, "minio", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := io.ReadAll(obj); err != nil || !bytes.Equal(data, body[:5000]) {
		t.Fatalf("minio-go GET: %d bytes, %v", len(data), err)
	}
	// minio-go's multipart PutObject with encrypt.NewSSE (parts of 5 MiB).
	big := sseBody(11<<20 + 3)
	if _, err := m.PutObject(ctx, bucket, "minio-mp", bytes.NewReader(big), int64(len(big)),
		minio.PutObjectOptions{ServerSideEncryption: encrypt.NewSSE(), PartSize: 5 << 20}); err != nil {
		t.Fatal(err)
	}
	wantSealedOnDisk(t, bucket, "minio-mp")
	rg, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("minio-mp"), Range: aws.String("bytes=5242000-10486000")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rg.Body)
	rg.Body.Close()
	if !bytes.Equal(part, big[5242000:10486001]) {
		t.Fatal("a range across the parts of an encrypted multipart object reads wrong")
	}

	// Not built: SSE-KMS; an unknown method is InvalidArgument. Nothing
	// is stored.
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("no"), Body: bytes.NewReader(body[:10]),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantSDKError(t, err, 501, "NotImplemented")
	r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "no"), Body: []byte("x"), Creds: &alice,
		Header: http.Header{"X-Amz-Server-Side-Encryption": {"AES512"}}})
	wantXMLError(t, r, 400, "InvalidArgument")
	wantAbsent(t, bucket, "no")
}

// TestSSEBucketDefault: PUT/GET/DELETE ?encryption with the SDK, and a
// plain PUT in a bucket with default encryption is sealed.
func TestSSEBucketDefault(t *testing.T) {
	cl, ctx := aliceSDK(), ctxT(t)
	bucket := makeBucket(t, alice, "sse-default")
	_, err := cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 404, "ServerSideEncryptionConfigurationNotFoundError")
	if _, err := cl.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil || len(got.ServerSideEncryptionConfiguration.Rules) != 1 ||
		got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("GetBucketEncryption: %+v, %v", got, err)
	}
	body := sseBody(10000)
	if out := putBytes(t, cl, bucket, "k", body); out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("a PUT under default encryption answered encryption %q", out.ServerSideEncryption)
	}
	wantSealedOnDisk(t, bucket, "k")
	// A multipart upload under the default is sealed part by part.
	big := sseBody(6<<20 + 12345)
	up, err := manager.NewUploader(cl, func(u *manager.Uploader) { u.PartSize = 5 << 20 }).Upload(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("mp"), Body: bytes.NewReader(big)})
	if err != nil || up.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("multipart upload under default encryption: %+v, %v", up, err)
	}
	wantSealedOnDisk(t, bucket, "mp")
	if !bytes.Equal(getBytes(t, cl, bucket, "mp"), big) {
		t.Fatal("the encrypted multipart object reads back wrong")
	}
	if _, err := cl.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 404, "ServerSideEncryptionConfigurationNotFoundError")
	if !bytes.Equal(getBytes(t, cl, bucket, "k"), body) {
		t.Fatal("an object sealed under the old default does not read back")
	}
}

// TestSSEDamage: a flipped byte, a truncated file and swapped packages
// each fail the GET; bytes of a damaged package never reach the client.
// Damage in the first package touched is an error before the headers;
// later damage cuts the connection after the intact packages.
func TestSSEDamage(t *testing.T) {
	cl, ctx := aliceSDK(), ctxT(t)
	bucket := makeBucket(t, alice, "sse-damage")
	body := sseBody(4 * ssePackage)
	const header, sealedPkg = 109, ssePackage + 16 // internal/sealed's HeaderSize and package size
	pkg := func(i int64) int64 { return header + i*sealedPkg }
	damage := map[string]func(f *os.File) error{
		"flipped byte in package 0": func(f *os.File) error { return flip(f, pkg(0)+7) },
		"flipped byte in package 2": func(f *os.File) error { return flip(f, pkg(2)+7) },
		"last package dropped":      func(f *os.File) error { return f.Truncate(pkg(3)) },
		"packages 1 and 2 swapped": func(f *os.File) error {
			a, b := make([]byte, sealedPkg), make([]byte, sealedPkg)
			f.ReadAt(a, pkg(1))
			f.ReadAt(b, pkg(2))
			f.WriteAt(b, pkg(1))
			_, err := f.WriteAt(a, pkg(2))
			return err
		},
	}
	for name, hurt := range damage {
		t.Run(name, func(t *testing.T) {
			key := strings.ReplaceAll(name, " ", "-")
			if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(srv.root, bucket, key), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			err = hurt(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			req := buildRaw(t, rawReq{Method: "GET", Path: objPath(bucket, key), Creds: &alice})
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 500:
				if !strings.Contains(string(data), "<Code>InternalError</Code>") {
					t.Errorf("500 without InternalError: %s", data)
				}
			case resp.StatusCode == 200:
				if rerr == nil || len(data) >= len(body) {
					t.Errorf("200 with %d bytes and read error %v: the damage went unnoticed", len(data), rerr)
				}
				if !bytes.Equal(data, body[:len(data)]) || len(data)%ssePackage != 0 {
					t.Errorf("%d bytes sent before the cut, not whole intact packages", len(data))
				}
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
			// The SDK's GET fails too, whichever way.
			out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err == nil {
				_, err = io.ReadAll(out.Body)
				out.Body.Close()
			}
			if err == nil {
				t.Error("the SDK read a damaged object without an error")
			}
		})
	}
}

func flip(f *os.File, off int64) error {
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= 0x40
	_, err := f.WriteAt(b, off)
	return err
}

// TestSSERotation: objects stay readable after the master key rotates
// (the old key listed after the new), new objects use the new key, and a
// server that lost the old key answers an error, never the ciphertext;
// a server without keys refuses SSE-S3 and bucket encryption.
func TestSSERotation(t *testing.T) {
	root := t.TempDir()
	ports, err := testserver.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	oldKey := masterKeyEntry{"2025", "b2xkLW1hc3Rlci1rZXktb2YtMzItYnl0ZXMtMDAwMDA="}
	newKey := masterKeyEntry{"2026", "bmV3LW1hc3Rlci1rZXktb2YtMzItYnl0ZXMtMDAwMDA="}
	ctx := ctxT(t)
	serve := func(port int, keys ...masterKeyEntry) *s3.Client {
		t.Helper()
		cfg := extraConfig(port, root, "off")
		if len(keys) > 0 {
			cfg = withMasterKeys(cfg, keys...)
		}
		testserver.Start(t, cfg)
		return sdk(alice, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	putSSE := func(cl *s3.Client, bucket, key string, data []byte) error {
		_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(data), ServerSideEncryption: types.ServerSideEncryptionAes256})
		return err
	}
	keyIDOnDisk := func(key string) string {
		b, err := os.ReadFile(filepath.Join(root, "rot", key))
		if err != nil || len(b) < 42 {
			t.Fatalf("reading %s: %v", key, err)
		}
		return string(b[10 : 10+int(b[9])]) // internal/sealed's header: id length at 9, id at 10
	}

	before := serve(ports[0], oldKey)
	if _, err := before.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("rot")}); err != nil {
		t.Fatal(err)
	}
	old := sseBody(100000)
	if err := putSSE(before, "rot", "old", old); err != nil {
		t.Fatal(err)
	}
	after := serve(ports[1], newKey, oldKey)
	if !bytes.Equal(getBytes(t, after, "rot", "old"), old) {
		t.Fatal("after the rotation the old object does not read back")
	}
	if err := putSSE(after, "rot", "new", old[:1000]); err != nil {
		t.Fatal(err)
	}
	if a, b := keyIDOnDisk("old"), keyIDOnDisk("new"); a != "2025" || b != "2026" {
		t.Fatalf("key ids on disk %q and %q, want 2025 and 2026", a, b)
	}
	lost := serve(ports[2], newKey)
	_, err = lost.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rot"), Key: aws.String("old")})
	wantSDKError(t, err, 500, "InternalError")
	if !bytes.Equal(getBytes(t, lost, "rot", "new"), old[:1000]) {
		t.Fatal("the object under the remaining key does not read back")
	}

	none := serve(ports[3])
	err = putSSE(none, "rot", "refused", old[:10])
	wantSDKError(t, err, 501, "NotImplemented")
	_, err = none.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("rot"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	wantSDKError(t, err, 501, "NotImplemented")
	if _, err := os.Stat(filepath.Join(root, "rot", "refused")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused SSE-S3 PUT left a file: %v", err)
	}
}

// sseSecrets are the keys logs_test.go looks for in every log: the
// master key as configured (base64) and as hex.
var sseSecrets = func() map[string]string {
	raw, err := base64.StdEncoding.DecodeString(masterKey)
	if err != nil {
		panic(err)
	}
	return map[string]string{"the master key": masterKey, "the master key in hex": hex.EncodeToString(raw),
		"the SSE-C key": base64.StdEncoding.EncodeToString(logSSEKey), "the SSE-C key's bytes": string(logSSEKey)}
}()

// logSSEKey is the SSE-C key TestNoSecretsInLogs sends and then looks
// for in the logs.
var logSSEKey = bytes.Repeat([]byte("L"), 32)

// logSSERequests makes the encrypted requests whose logs
// TestNoSecretsInLogs checks: an SSE-S3 PUT and GET, and an SSE-C PUT,
// GET and failing GET over TLS.
func logSSERequests(t *testing.T, cl *s3.Client, bucket string) {
	t.Helper()
	ctx := ctxT(t)
	tls := sdk(alice, srv.tlsBase)
	k := aws.String(base64.StdEncoding.EncodeToString(logSSEKey))
	sum := md5.Sum(logSSEKey)
	k5 := aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	if _, err := tls.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("sse-c"), Body: bytes.NewReader(sseBody(1000)),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: k, SSECustomerKeyMD5: k5}); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("sse-c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: k, SSECustomerKeyMD5: k5}); err != nil {
		t.Fatal(err)
	}
	_, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("sse-c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: k, SSECustomerKeyMD5: k5}) // over HTTP: refused
	wantSDKError(t, err, 400, "InvalidRequest")
	body := sseBody(70000)
	if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("sse-s3"),
		Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(getBytes(t, cl, bucket, "sse-s3"), body) {
		t.Fatal("SSE-S3 object reads back wrong")
	}
}

// TestSSEDecryptCommand: "caddy s3 decrypt" recovers an object's
// plaintext from its file with the master key alone (docs/encryption.md),
// and refuses a wrong key.
func TestSSEDecryptCommand(t *testing.T) {
	cl, ctx := aliceSDK(), ctxT(t)
	bucket := makeBucket(t, alice, "sse-decrypt")
	body := sseBody(2*ssePackage + 77)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(srv.root, bucket, "k")
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	out, err := exec.Command(srv.bin, "s3", "decrypt", "--key", wrong, "--key", masterKey, file).Output()
	if err != nil || !bytes.Equal(out, body) {
		t.Fatalf("s3 decrypt: %d bytes, %v", len(out), err)
	}
	cmd := exec.Command(srv.bin, "s3", "decrypt", "--key", wrong, file)
	out, err = cmd.Output()
	if err == nil || len(out) != 0 {
		t.Fatalf("s3 decrypt with a wrong key: %d bytes, err %v", len(out), err)
	}
}

// TestSSEC drives SSE-C over TLS with the AWS SDK (SSECustomerKey) and
// minio-go (encrypt.NewSSEC): PUT, GET, HEAD, a wrong and a missing key,
// copies between keys, a multipart upload; the file holds neither the
// plaintext nor the key.
func TestSSEC(t *testing.T) {
	cl, ctx := sdk(alice, srv.tlsBase), ctxT(t)
	bucket := makeBucket(t, alice, "ssec")
	keyA, keyB := bytes.Repeat([]byte("A"), 32), bytes.Repeat([]byte("B"), 32)
	b64 := func(k []byte) *string { return aws.String(base64.StdEncoding.EncodeToString(k)) }
	sum := func(k []byte) *string { s := md5.Sum(k); return aws.String(base64.StdEncoding.EncodeToString(s[:])) }
	body := sseBody(2*ssePackage + 5)
	put, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Body: bytes.NewReader(body),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: b64(keyA), SSECustomerKeyMD5: sum(keyA)})
	if err != nil || aws.ToString(put.SSECustomerKeyMD5) != aws.ToString(sum(keyA)) {
		t.Fatalf("PUT: %+v, %v", put, err)
	}
	wantSealedOnDisk(t, bucket, "obj")
	if data, _ := os.ReadFile(filepath.Join(srv.root, bucket, "obj")); bytes.Contains(data, keyA) {
		t.Fatal("the key is in the file")
	}
	get := func(key []byte) ([]byte, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")}
		if key != nil {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), b64(key), sum(key)
		}
		out, err := cl.GetObject(ctx, in)
		if err != nil {
			return nil, err
		}
		defer out.Body.Close()
		return io.ReadAll(out.Body)
	}
	if data, err := get(keyA); err != nil || !bytes.Equal(data, body) {
		t.Fatalf("GET with the key: %d bytes, %v", len(data), err)
	}
	_, err = get(keyB)
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = get(nil)
	wantSDKError(t, err, 400, "InvalidRequest")
	head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: b64(keyA), SSECustomerKeyMD5: sum(keyA)})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.SSECustomerAlgorithm) != "AES256" {
		t.Fatalf("HEAD: %+v, %v", head, err)
	}

	// Copy from key A to key B, then read it with minio-go over TLS.
	if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/obj"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: b64(keyA), CopySourceSSECustomerKeyMD5: sum(keyA),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: b64(keyB), SSECustomerKeyMD5: sum(keyB)}); err != nil {
		t.Fatal(err)
	}
	m, err := minio.New(strings.TrimPrefix(srv.tlsBase, "https://"), &minio.Options{Creds: mcreds.NewStaticV4(alice.key, alice.secret, ""),
		Secure: true, Region: region, BucketLookup: minio.BucketLookupPath, Transport: httpClient.Transport, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	sseB, err := encrypt.NewSSEC(keyB)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := m.GetObject(ctx, bucket, "copy", minio.GetObjectOptions{ServerSideEncryption: sseB})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := io.ReadAll(obj); err != nil || !bytes.Equal(data, body) {
		t.Fatalf("minio-go GET of the copy under key B: %d bytes, %v", len(data), err)
	}
	// minio-go multipart PUT with encrypt.NewSSEC (5 MiB parts).
	big := sseBody(11<<20 + 7)
	if _, err := m.PutObject(ctx, bucket, "mp", bytes.NewReader(big), int64(len(big)),
		minio.PutObjectOptions{ServerSideEncryption: sseB, PartSize: 5 << 20}); err != nil {
		t.Fatal(err)
	}
	wantSealedOnDisk(t, bucket, "mp")
	obj, err = m.GetObject(ctx, bucket, "mp", minio.GetObjectOptions{ServerSideEncryption: sseB})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := io.ReadAll(obj); err != nil || !bytes.Equal(data, big) {
		t.Fatalf("minio-go GET of the SSE-C multipart object: %d bytes, %v", len(data), err)
	}
	// s3 decrypt opens an SSE-C file with the customer's key.
	out, err := exec.Command(srv.bin, "s3", "decrypt", "--key", base64.StdEncoding.EncodeToString(keyA), filepath.Join(srv.root, bucket, "obj")).Output()
	if err != nil || !bytes.Equal(out, body) {
		t.Fatalf("s3 decrypt with the customer key: %d bytes, %v", len(out), err)
	}
}
