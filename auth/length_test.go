package auth

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Every signing mode checks the length the client declared (Content-Length,
// or x-amz-decoded-content-length for aws-chunked) at the end of the body:
// a body that ends early or runs long is ErrIncompleteBody, never io.EOF,
// so a store that publishes only after a clean EOF needs no length check.
func TestDeclaredLengthEveryMode(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	data := bytes.Repeat([]byte("0123456789abcdef"), 300)
	n := len(data)
	// plain sends body with Content-Length n after signing it for data.
	plain := func(r *http.Request, body []byte) *http.Request {
		r = withBody(r, bytes.NewReader(body))
		r.ContentLength = int64(n)
		return r
	}
	v2 := func(query bool, body []byte) *http.Request {
		v := newTestVerifier(at)
		date := at.Format(http.TimeFormat)
		if !query {
			r := serverRequest("PUT", "localhost", "/b/k", hdr("Date", date), nil)
			r.Header.Set("Authorization", "AWS "+exampleAK+":"+base64HMACSHA1(exampleSecret, v.stringToSignV2(r, nil, date, false)))
			return plain(r, body)
		}
		expires := strconv.FormatInt(at.Add(time.Hour).Unix(), 10)
		uri := "/b/k?AWSAccessKeyId=" + exampleAK + "&Expires=" + expires
		r := serverRequest("PUT", "localhost", uri, nil, nil)
		sig := base64HMACSHA1(exampleSecret, v.stringToSignV2(r, parseQuery(rawQuery(r)), expires, true))
		return plain(serverRequest("PUT", "localhost", uri+"&Signature="+url.QueryEscape(sig), nil, nil), body)
	}
	chunked := func(mode string, signed bool, body []byte) *http.Request {
		trailerName, trailer := "", []string(nil)
		if mode != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
			trailerName, trailer = "x-amz-checksum-crc32", []string{"x-amz-checksum-crc32:" + crc32b64(body)}
		}
		r, seed := signedChunkedRequest(mode, n, trailerName)
		var key []byte
		if signed {
			key = exampleKey()
		}
		return withBody(r, bytes.NewReader(encodeChunks(key, seed, body, nil, trailer)))
	}
	modes := []struct {
		name   string
		method string // Principal.Method
		now    time.Time
		req    func(body []byte) *http.Request
	}{
		{"anonymous", "anonymous", at, func(b []byte) *http.Request {
			return plain(serverRequest("PUT", "localhost", "/b/k", nil, nil), b)
		}},
		{"v4 signed payload", "v4-header", at, func(b []byte) *http.Request {
			return plain(sdkSign(t, "PUT", s3URL("localhost", "b", "k", ""), data, sha256Hex(data), "us-east-1", at), b)
		}},
		{"v4 UNSIGNED-PAYLOAD", "v4-header", at, func(b []byte) *http.Request {
			return plain(sdkSign(t, "PUT", s3URL("localhost", "b", "k", ""), data, "UNSIGNED-PAYLOAD", "us-east-1", at), b)
		}},
		{"v4 presigned", "v4-presigned", at, func(b []byte) *http.Request {
			return plain(sdkPresign(t, "PUT", s3URL("localhost", "b", "k", ""), 600, "us-east-1", at), b)
		}},
		{"v2 header", "v2-header", at, func(b []byte) *http.Request { return v2(false, b) }},
		{"v2 presigned", "v2-presigned", at, func(b []byte) *http.Request { return v2(true, b) }},
		{"aws-chunked signed", "v4-chunked", exampleTime(), func(b []byte) *http.Request {
			return chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", true, b)
		}},
		{"aws-chunked signed trailer", "v4-chunked-trailer", exampleTime(), func(b []byte) *http.Request {
			return chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", true, b)
		}},
		{"aws-chunked unsigned trailer", "v4-unsigned-trailer", exampleTime(), func(b []byte) *http.Request {
			return chunked("STREAMING-UNSIGNED-PAYLOAD-TRAILER", false, b)
		}},
	}
	long := append(append([]byte(nil), data...), 'x')
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			v := newTestVerifier(m.now)
			res, got, err := verifyAndRead(v, m.req(data))
			if err != nil || !bytes.Equal(got, data) || res.DecodedLength != int64(n) || res.Principal.Method != m.method {
				t.Fatalf("exact length: %v (%d bytes, declared %d, %s)", err, len(got), res.DecodedLength, res.Principal.Method)
			}
			for name, body := range map[string][]byte{"short": data[:n-1], "empty": nil, "long": long} {
				_, _, err := verifyAndRead(v, m.req(body))
				if err == nil {
					t.Errorf("%s body read to a clean EOF", name)
					continue
				}
				mustErrIs(t, err, ErrIncompleteBody)
			}
		})
	}
}
