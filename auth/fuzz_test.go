package auth

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/s3err"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential==,,,")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=x")
	f.Add("")
	v := newTestVerifier(exampleTime())
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err == nil {
			if a.cred.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0 {
				t.Fatalf("accepted %q as %+v", s, a)
			}
			for _, h := range a.signedHeaders {
				if h == "" || h != strings.ToLower(h) {
					t.Fatalf("signed header %q", h)
				}
			}
		} else if !errors.Is(err, ErrAuthorizationHeaderMalformed) {
			t.Fatalf("error %v", err)
		}
		// The whole verifier must reject garbage cleanly, never panic.
		r := serverRequest("GET", "h", "/b/k", hdr("Authorization", s, "X-Amz-Date", exampleDate, "Date", "Fri, 24 May 2013 00:00:00 GMT",
			"X-Amz-Content-Sha256", emptySHA256), nil)
		if res, err := v.Verify(t.Context(), r); err == nil && !res.Principal.Anonymous && s != "" {
			t.Fatalf("garbage %q verified", s)
		}
	})
}

func FuzzChunkedDecoder(f *testing.F) {
	data := []byte("hello, chunked world")
	key := exampleKey()
	const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	f.Add(encodeChunks(nil, "", data, []int{5}, []string{"x-amz-checksum-crc32:" + crc32b64(data)}), false, int64(len(data)))
	f.Add(encodeChunks(key, seed, data, []int{7}, nil), true, int64(len(data)))
	f.Add(encodeChunks(key, seed, data, nil, []string{"x-amz-checksum-crc32:" + crc32b64(data)}), true, int64(-1))
	f.Add([]byte("0\r\n\r\n"), false, int64(0))
	f.Add([]byte("5\r\nhel"), false, int64(5))
	f.Add([]byte("ffffffffffffffff\r\n"), false, int64(-1))
	f.Add([]byte("3;chunk-signature=zz\r\nabc\r\n0;chunk-signature=\r\nx-amz-checksum-crc32:\r\n\r\n"), true, int64(3))
	f.Fuzz(func(t *testing.T, body []byte, signed bool, declared int64) {
		if declared < -1 {
			declared = -1
		}
		var signer *chunkSigner
		if signed {
			signer = &chunkSigner{key: newSigningKey(key), amzDate: exampleDate, scope: exampleScope, prev: seed, accessKey: exampleAK}
		}
		sums := &sumSet{}
		c := newChunkedBody(bytes.NewReader(body), signer, true, []string{"x-amz-checksum-crc32"}, declared, sums)
		var out []byte
		buf := make([]byte, 7)
		for i := 0; ; i++ {
			if i > len(body)+100 {
				t.Fatal("decoder does not terminate")
			}
			n, err := c.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				if declared >= 0 && int64(len(out)) != declared {
					t.Fatalf("clean end after %d bytes, declared %d", len(out), declared)
				}
				if sums.m["CRC32"] != crc32b64(out) {
					t.Fatalf("verified checksum %q does not match output", sums.m["CRC32"])
				}
				break
			}
			if err != nil {
				if te := (*TextError)(nil); errors.As(err, &te) && te.Text == s3err.InvalidChunkSize {
					goto done
				}
				for _, e := range []error{ErrIncompleteBody, ErrMalformedTrailer, ErrBadDigest, ErrSignatureDoesNotMatch} {
					if errors.Is(err, e) {
						goto done
					}
				}
				t.Fatalf("unexpected error %v", err)
			}
		}
	done:
		if len(out) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(body))
		}
	})
}
