package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The examples of AWS's "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" (S3 API reference).
func TestAWSSingleChunkExamples(t *testing.T) {
	auth := func(signed, sig string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signed + ",Signature=" + sig
	}
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	cases := []struct {
		name, method, uri string
		header            []string
		body              string
	}{
		{"GetObject", "GET", "/test.txt", []string{
			"Authorization", auth("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
			"Range", "bytes=0-9", "X-Amz-Content-Sha256", empty, "X-Amz-Date", exampleDate}, ""},
		{"PutObject", "PUT", "/test%24file.text", []string{
			"Authorization", auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
			"Date", "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date", exampleDate, "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}, "Welcome to Amazon S3."},
		// The same request with '$' unescaped on the wire: one canonical URI.
		{"PutObjectRawDollar", "PUT", "/test$file.text", []string{
			"Authorization", auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
			"Date", "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date", exampleDate, "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}, "Welcome to Amazon S3."},
		{"GetBucketLifecycle", "GET", "/?lifecycle", []string{
			"Authorization", auth("host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
			"X-Amz-Content-Sha256", empty, "X-Amz-Date", exampleDate}, ""},
		{"ListObjects", "GET", "/?max-keys=2&prefix=J", []string{
			"Authorization", strings.ReplaceAll(auth("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"), ",", ", "),
			"X-Amz-Content-Sha256", empty, "X-Amz-Date", exampleDate}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := serverRequest(c.method, "examplebucket.s3.amazonaws.com", c.uri, hdr(c.header...), []byte(c.body))
			res, body, err := verifyAndRead(newTestVerifier(exampleTime().Add(5*time.Minute)), r)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != c.body || res.Principal.AccessKeyID != exampleAK || res.Principal.Method != "v4-header" || res.Principal.Owner != "owner" {
				t.Fatalf("body %q principal %+v", body, res.Principal)
			}
		})
	}
}

// "Example: PUT Object" with a body that does not match its signed hash.
func TestAWSPutExampleTamperedBody(t *testing.T) {
	r := serverRequest("PUT", "examplebucket.s3.amazonaws.com", "/test%24file.text", hdr(
		"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		"Date", "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Date", exampleDate, "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"), []byte("Welcome to Amazon S4."))
	res, _, err := verifyAndRead(newTestVerifier(exampleTime()), r)
	mustErrIs(t, err, ErrXAmzContentSHA256Mismatch)
	if res.Checksums() != nil {
		t.Fatal("checksums reported for an unverified body")
	}
}

// The example of "Authenticating Requests: Using Query Parameters".
func TestAWSPresignedExample(t *testing.T) {
	uri := "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	r := serverRequest("GET", "examplebucket.s3.amazonaws.com", uri, nil, nil)
	res, _, err := verifyAndRead(newTestVerifier(exampleTime().Add(23*time.Hour)), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Principal.Method != "v4-presigned" {
		t.Fatal(res.Principal.Method)
	}
	_, err = newTestVerifier(exampleTime().Add(24*time.Hour+time.Second)).Verify(t.Context(), serverRequest("GET", "examplebucket.s3.amazonaws.com", uri, nil, nil))
	mustErrIs(t, err, ErrExpiredRequest)
	_, err = newTestVerifier(exampleTime().Add(-time.Hour)).Verify(t.Context(), serverRequest("GET", "examplebucket.s3.amazonaws.com", uri, nil, nil))
	mustErrIs(t, err, ErrAccessDenied)
	bad := strings.Replace(uri, "/test.txt", "/test2.txt", 1)
	_, err = newTestVerifier(exampleTime()).Verify(t.Context(), serverRequest("GET", "examplebucket.s3.amazonaws.com", bad, nil, nil))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
}

// chunkedExample is the request of "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks".
func chunkedExample(body []byte) *http.Request {
	return serverRequest("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt", hdr(
		"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		"X-Amz-Date", exampleDate, "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
		"X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", "66560", "Content-Length", "66824"), body)
}

func TestAWSChunkedExample(t *testing.T) {
	data := bytes.Repeat([]byte("a"), 66560)
	const (
		s1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
		s2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
		s3 = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
	)
	body := encodeChunks(exampleKey(), "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", data, []int{65536}, nil)
	for _, s := range []string{s1, s2, s3} {
		if !bytes.Contains(body, []byte("chunk-signature="+s+"\r\n")) {
			t.Fatalf("test encoder does not reproduce chunk signature %s", s)
		}
	}
	if len(body) != 66824 {
		t.Fatalf("encoded %d bytes, AWS says 66824", len(body))
	}
	res, got, err := verifyAndRead(newTestVerifier(exampleTime()), chunkedExample(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || res.DecodedLength != 66560 || res.Principal.Method != "v4-chunked" {
		t.Fatalf("decoded %d bytes, length %d, method %s", len(got), res.DecodedLength, res.Principal.Method)
	}

	// Flip one data byte in the second chunk: the read fails at the end of
	// that chunk, before EOF (its bytes stream; readers act only on a
	// clean EOF).
	bad := bytes.Clone(body)
	bad[len(bad)-200] = 'b'
	res, err = newTestVerifier(exampleTime()).Verify(t.Context(), chunkedExample(bad))
	if err != nil {
		t.Fatal(err)
	}
	got, err = readAllErr(res)
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
	if len(got) > 66560 {
		t.Fatalf("returned %d bytes", len(got))
	}
}

// The example of "Signature calculations for trailing headers".
func TestAWSTrailerExample(t *testing.T) {
	data := bytes.Repeat([]byte("a"), 66560)
	crc := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	sum := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc))
	if sum != "sOO8/Q==" {
		t.Fatalf("crc32c %s", sum)
	}
	seed := "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	body := encodeChunks(exampleKey(), seed, data, []int{65536}, []string{"x-amz-checksum-crc32c:sOO8/Q=="})
	for _, s := range []string{
		"chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
	} {
		if !bytes.Contains(body, []byte(s)) {
			t.Fatalf("test encoder does not reproduce %s", s)
		}
	}
	req := func(body []byte) *http.Request {
		return serverRequest("PUT", "s3.amazonaws.com", "/examplebucket/chunkObject.txt", hdr(
			"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature="+seed,
			"X-Amz-Date", exampleDate, "X-Amz-Storage-Class", "REDUCED_REDUNDANCY",
			"X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "Content-Encoding", "aws-chunked",
			"X-Amz-Decoded-Content-Length", "66560", "X-Amz-Trailer", "x-amz-checksum-crc32c"), body)
	}
	res, got, err := verifyAndRead(newTestVerifier(exampleTime()), req(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || res.Principal.Method != "v4-chunked-trailer" {
		t.Fatal("decoded payload differs")
	}
	if cs := res.Checksums(); len(cs) != 1 || cs["CRC32C"] != "sOO8/Q==" {
		t.Fatalf("checksums %v", cs)
	}

	// The shape of the AWS page: a blank line between the final chunk and
	// the trailer, and no final CRLF.
	alt := bytes.Replace(body, []byte("\r\nx-amz-checksum"), []byte("\r\n\r\nx-amz-checksum"), 1)
	alt = bytes.TrimSuffix(alt, []byte("\r\n"))
	if _, _, err := verifyAndRead(newTestVerifier(exampleTime()), req(alt)); err != nil {
		t.Fatalf("AWS page layout: %v", err)
	}

	// A changed trailer value breaks the trailer signature.
	bad := bytes.Replace(body, []byte("sOO8/Q=="), []byte("sOO8/Q=A"), 1)
	_, _, err = verifyAndRead(newTestVerifier(exampleTime()), req(bad))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)

	// A correctly signed but wrong checksum is BadDigest.
	wrong := encodeChunks(exampleKey(), seed, data, []int{65536}, []string{"x-amz-checksum-crc32c:AAAAAA=="})
	_, _, err = verifyAndRead(newTestVerifier(exampleTime()), req(wrong))
	mustErrIs(t, err, ErrBadDigest)

	// No trailer at all.
	none := encodeChunks(exampleKey(), seed, data, []int{65536}, nil)
	_, _, err = verifyAndRead(newTestVerifier(exampleTime()), req(none))
	mustErrIs(t, err, ErrMalformedTrailer)
}

func readAllErr(res *Result) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1000)
	for {
		n, err := res.Body.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
	}
}
