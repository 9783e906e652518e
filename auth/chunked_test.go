package auth

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"encoding/base64"
	"encoding/binary"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/s3err"
)

func crc32b64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)))
}

// signedChunkedRequest signs a streaming request with our own header
// signer (already checked against AWS's seed signatures) and returns it with
// the seed signature.
func signedChunkedRequest(mode string, decoded int, trailer string) (*http.Request, string) {
	h := hdr("X-Amz-Date", exampleDate, "X-Amz-Content-Sha256", mode, "Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
	signed := []string{"content-encoding", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length"}
	if trailer != "" {
		h.Set("X-Amz-Trailer", trailer)
		signed = append(signed, "x-amz-trailer")
	}
	r := serverRequest("PUT", "localhost", "/b/k", h, nil)
	r.ContentLength = -1
	canonical := canonicalRequest(r, nil, signed, mode)
	sig := hex64(hmacSHA256(exampleKey(), stringToSignV4(exampleDate, exampleScope, canonical)))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+exampleAK+"/"+exampleScope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return r, sig
}

func hex64(b []byte) string { return fmt.Sprintf("%x", b) }

func withBody(r *http.Request, body io.Reader) *http.Request {
	r.Body = io.NopCloser(body)
	return r
}

func TestSignedChunkedFailures(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	v := newTestVerifier(exampleTime())
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	r, seed := signedChunkedRequest(mode, len(data), "")
	good := encodeChunks(exampleKey(), seed, data, []int{8192}, nil)
	res, got, err := verifyAndRead(v, withBody(r, iotest.OneByteReader(bytes.NewReader(good))))
	if err != nil || !bytes.Equal(got, data) || res.DecodedLength != int64(len(data)) {
		t.Fatalf("good body: %v", err)
	}

	enc := func(seed string) []byte { return encodeChunks(exampleKey(), seed, data, []int{8192}, nil) }
	fixed := func(b []byte) func(string) []byte { return func(string) []byte { return b } }
	cases := []struct {
		name   string
		body   func(seed string) []byte
		want   error
		decode int
	}{
		{"truncated in data", func(s string) []byte { return enc(s)[:5000] }, ErrIncompleteBody, len(data)},
		{"truncated before final chunk", func(s string) []byte { b := enc(s); return b[:bytes.LastIndex(b, []byte("0;chunk"))] }, ErrIncompleteBody, len(data)},
		{"truncated in header", func(s string) []byte { return enc(s)[:10] }, ErrIncompleteBody, len(data)},
		{"empty", fixed(nil), ErrIncompleteBody, len(data)},
		{"swapped chunks", func(s string) []byte { return swapChunks(t, enc(s)) }, ErrSignatureDoesNotMatch, len(data)},
		{"missing signature", fixed([]byte("5\r\nhello\r\n0\r\n\r\n")), ErrSignatureDoesNotMatch, 5},
		{"decoded length too small", enc, ErrIncompleteBody, len(data) - 1},
		{"decoded length too large", enc, ErrIncompleteBody, len(data) + 1},
		{"bad size", fixed([]byte("zz;chunk-signature=00\r\n")), ErrIncompleteBody, len(data)},
		{"oversized chunk", fixed([]byte("1000001;chunk-signature=00\r\n")), ErrIncompleteBody, len(data)},
		{"long line", fixed(append(bytes.Repeat([]byte("1"), 5000), "\r\n"...)), ErrIncompleteBody, len(data)},
		{"no CRLF after data", func(s string) []byte { return bytes.Replace(enc(s), []byte("\r\n1e80;"), []byte("XX1e80;"), 1) }, ErrIncompleteBody, len(data)},
		{"data after end", func(s string) []byte { return append(enc(s), 'x') }, ErrIncompleteBody, len(data)},
	}
	for _, c := range cases {
		r, seed := signedChunkedRequest(mode, c.decode, "")
		_, _, err := verifyAndRead(v, withBody(r, bytes.NewReader(c.body(seed))))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}

	// A read error of the transport surfaces as it is.
	boom := errors.New("connection reset")
	r, _ = signedChunkedRequest(mode, len(data), "")
	_, _, err = verifyAndRead(v, withBody(r, io.MultiReader(bytes.NewReader(good[:3000]), iotest.ErrReader(boom))))
	if !errors.Is(err, boom) {
		t.Fatalf("transport error: %v", err)
	}
	r, _ = signedChunkedRequest(mode, len(data), "")
	_, _, err = verifyAndRead(v, withBody(r, io.MultiReader(bytes.NewReader(good[:3000]), iotest.ErrReader(io.ErrUnexpectedEOF))))
	mustErrIs(t, err, ErrIncompleteBody)
}

// swapChunks exchanges the first two chunks (same size) of a signed body.
func swapChunks(t *testing.T, body []byte) []byte {
	parts := bytes.SplitAfterN(body, []byte("\r\n"), 5) // hdr1 data1 hdr2 data2 rest
	if len(parts) != 5 {
		t.Fatal("unexpected body")
	}
	return bytes.Join([][]byte{parts[2], parts[3], parts[0], parts[1], parts[4]}, nil)
}

func TestUnsignedTrailer(t *testing.T) {
	data := bytes.Repeat([]byte("xyz"), 30000)
	sum := crc32b64(data)
	v := newTestVerifier(exampleTime())
	mode := "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	req := func(body []byte, trailer string) *http.Request {
		r, _ := signedChunkedRequest(mode, len(data), trailer)
		return withBody(r, bytes.NewReader(body))
	}
	good := encodeChunks(nil, "", data, []int{65536}, []string{"x-amz-checksum-crc32:" + sum})
	res, got, err := verifyAndRead(v, req(good, "x-amz-checksum-crc32"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("good: %v", err)
	}
	if res.Principal.Method != "v4-unsigned-trailer" || res.Checksums()["CRC32"] != sum {
		t.Fatalf("method %s checksums %v", res.Principal.Method, res.Checksums())
	}

	wrong := encodeChunks(nil, "", data, []int{65536}, []string{"x-amz-checksum-crc32:AAAAAA=="})
	res, got, err = verifyAndRead(v, req(wrong, "x-amz-checksum-crc32"))
	mustErrIs(t, err, ErrBadDigest)
	if res.Checksums() != nil {
		t.Fatal("checksums after a failed body")
	}
	_ = got

	for name, c := range map[string]struct {
		body    []byte
		trailer string
		want    error
	}{
		"missing trailer":     {encodeChunks(nil, "", data, nil, nil), "x-amz-checksum-crc32", ErrMalformedTrailer},
		"other algorithm":     {encodeChunks(nil, "", data, nil, []string{"x-amz-checksum-crc32c:AAAAAA=="}), "x-amz-checksum-crc32", ErrMalformedTrailer},
		"bad base64":          {encodeChunks(nil, "", data, nil, []string{"x-amz-checksum-crc32:!!"}), "x-amz-checksum-crc32", ErrMalformedTrailer},
		"no colon":            {encodeChunks(nil, "", data, nil, []string{"x-amz-checksum-crc32"}), "x-amz-checksum-crc32", ErrMalformedTrailer},
		"truncated trailer":   {bytes.TrimSuffix(good, []byte(sum+"\r\n\r\n"))[:len(good)-len(sum)-6], "x-amz-checksum-crc32", ErrIncompleteBody},
		"truncated mid line":  {good[:len(good)-8], "x-amz-checksum-crc32", ErrIncompleteBody},
		"undeclared trailer":  {good, "", ErrMalformedTrailer},
		"unsupported trailer": {good, "x-amz-meta-foo", ErrInvalidRequest},
	} {
		_, _, err := verifyAndRead(v, req(c.body, c.trailer))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}

	// Every checksum algorithm.
	for _, algo := range checksum.Algorithms {
		h := newHash(algo)
		h.Write(data)
		val := base64.StdEncoding.EncodeToString(h.Sum(nil))
		name := "x-amz-checksum-" + strings.ToLower(algo)
		res, _, err := verifyAndRead(v, req(encodeChunks(nil, "", data, []int{8192}, []string{name + ":" + val}), name))
		if err != nil || res.Checksums()[algo] != val {
			t.Errorf("%s: %v %v", algo, err, res)
		}
	}

	// Anonymous uploads in this mode are decoded too.
	r := serverRequest("PUT", "h", "/b/k", hdr("X-Amz-Content-Sha256", mode, "X-Amz-Trailer", "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length", strconv.Itoa(len(data))), nil)
	res, got, err = verifyAndRead(v, withBody(r, bytes.NewReader(good)))
	if err != nil || !bytes.Equal(got, data) || !res.Principal.Anonymous {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestSignedTrailerRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("q"), 200000)
	v := newTestVerifier(exampleTime().Add(-time.Minute))
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	r, seed := signedChunkedRequest(mode, len(data), "x-amz-checksum-crc32")
	body := encodeChunks(exampleKey(), seed, data, []int{65536, 65536}, []string{"x-amz-checksum-crc32:" + crc32b64(data)})
	res, got, err := verifyAndRead(v, withBody(r, bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, data) || res.Checksums()["CRC32"] != crc32b64(data) {
		t.Fatalf("%v", err)
	}
	// Missing trailer signature.
	r, seed = signedChunkedRequest(mode, len(data), "x-amz-checksum-crc32")
	body = encodeChunks(exampleKey(), seed, data, nil, []string{"x-amz-checksum-crc32:" + crc32b64(data)})
	i := bytes.Index(body, []byte("x-amz-trailer-signature"))
	body = append(body[:i:i], "\r\n"...)
	_, _, err = verifyAndRead(v, withBody(r, bytes.NewReader(body)))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
}

// Header checksums are verified on aws-chunked bodies as well.
func TestChunkedWithHeaderChecksum(t *testing.T) {
	data := []byte("some data")
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	r, _ := signedChunkedRequest(mode, len(data), "")
	r.Header.Set("X-Amz-Checksum-Crc32", crc32b64([]byte("other data")))
	r = ownSign(r, []string{"content-encoding", "host", "x-amz-checksum-crc32", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length"}, mode)
	a := r.Header.Get("Authorization")
	seed := a[strings.LastIndex(a, "=")+1:]
	_, _, err := verifyAndRead(newTestVerifier(exampleTime()), withBody(r, bytes.NewReader(encodeChunks(exampleKey(), seed, data, nil, nil))))
	mustErrIs(t, err, ErrBadDigest)
}

// The Go SDK sends a whole body as one unsigned chunk: no size cap applies
// to chunks, signed or not, because they stream without buffering.
func TestUnsignedTrailerOneHugeChunk(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (20<<20)/16) // 20 MiB
	v := newTestVerifier(exampleTime())
	mode := "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	r, _ := signedChunkedRequest(mode, len(data), "x-amz-checksum-crc32")
	body := encodeChunks(nil, "", data, nil, []string{"x-amz-checksum-crc32:" + crc32b64(data)})
	res, got, err := verifyAndRead(v, withBody(r, bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, data) || res.Checksums()["CRC32"] != crc32b64(data) {
		t.Fatalf("20 MiB unsigned chunk: %v", err)
	}
	// A signed chunk that large streams too (it was refused while signed
	// chunks were buffered whole).
	r, seed := signedChunkedRequest("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data), "")
	body = encodeChunks(exampleKey(), seed, data, nil, nil)
	if _, got, err = verifyAndRead(v, withBody(r, bytes.NewReader(body))); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("20 MiB signed chunk: %v", err)
	}
}

// minio-go ends its checksum trailer line with "\n\r\n", leaving a blank
// line before x-amz-trailer-signature.
func TestSignedTrailerMinioLayout(t *testing.T) {
	data := bytes.Repeat([]byte("m"), 100000)
	v := newTestVerifier(exampleTime())
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	r, seed := signedChunkedRequest(mode, len(data), "x-amz-checksum-crc32")
	line := "x-amz-checksum-crc32:" + crc32b64(data)
	body := encodeChunks(exampleKey(), seed, data, []int{65536}, []string{line})
	body = bytes.Replace(body, []byte(line+"\r\n"), []byte(line+"\n\r\n"), 1)
	res, got, err := verifyAndRead(v, withBody(r, bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, data) || res.Checksums()["CRC32"] != crc32b64(data) {
		t.Fatalf("minio layout: %v", err)
	}
	// A wrong trailer signature in that layout still fails.
	r, seed = signedChunkedRequest(mode, len(data), "x-amz-checksum-crc32")
	body = encodeChunks(exampleKey(), seed, data, []int{65536}, []string{line})
	body = bytes.Replace(body, []byte(line+"\r\n"), []byte(line+"\n\r\n"), 1)
	i := bytes.Index(body, []byte("x-amz-trailer-signature:")) + len("x-amz-trailer-signature:")
	body[i] ^= 1
	_, _, err = verifyAndRead(v, withBody(r, bytes.NewReader(body)))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
}

// S3's aws-chunked rules beyond framing: every chunk but the last has at
// least 8 KiB (InvalidChunkSizeError naming the chunk that revealed it and
// the small chunk's size), and the decoded length is required (411).
func TestChunkSizeAndDecodedLength(t *testing.T) {
	v := newTestVerifier(exampleTime())
	mode := "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	data := bytes.Repeat([]byte("x"), 20000)
	req := func(body []byte, decoded string) *http.Request {
		h := hdr("X-Amz-Content-Sha256", mode)
		if decoded != "" {
			h.Set("X-Amz-Decoded-Content-Length", decoded)
		}
		return withBody(serverRequest("PUT", "h", "/b/k", h, nil), bytes.NewReader(body))
	}
	n := strconv.Itoa(len(data))
	for _, c := range []struct {
		name        string
		sizes       []int
		chunk, size string // "" when the body is accepted
	}{
		{"one chunk", nil, "", ""},
		{"8 KiB chunks, short last", []int{8192, 8192}, "", ""},
		{"small first chunk", []int{3}, "2", "3"},
		{"small middle chunk", []int{8192, 100}, "3", "100"},
	} {
		_, got, err := verifyAndRead(v, req(encodeChunks(nil, "", data, c.sizes, nil), n))
		var te *TextError
		switch {
		case c.chunk == "" && (err != nil || !bytes.Equal(got, data)):
			t.Errorf("%s: %v", c.name, err)
		case c.chunk != "" && !errors.As(err, &te):
			t.Errorf("%s: got %v, want InvalidChunkSizeError", c.name, err)
		case c.chunk != "" && (te.Text != s3err.InvalidChunkSize || fmt.Sprint(te.Fields) != fmt.Sprint([][2]string{{"Chunk", c.chunk}, {"BadChunkSize", c.size}})):
			t.Errorf("%s: got %v %v", c.name, te.Text, te.Fields)
		}
	}
	if _, err := v.Verify(t.Context(), req(encodeChunks(nil, "", data, nil, nil), "")); !errors.Is(err, ErrMissingContentLength) {
		t.Errorf("no x-amz-decoded-content-length: %v", err)
	}
}
