package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

const (
	exampleAK     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	exampleDate   = "20130524T000000Z"
	exampleScope  = "20130524/us-east-1/s3/aws4_request"
)

func exampleTime() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) }

func newTestVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:   "us-east-1",
		Provider: NewStatic([]Credential{{AccessKeyID: exampleAK, Secret: exampleSecret, Owner: "owner"}}),
		Now:      func() time.Time { return now },
	}
}

// serverRequest builds a request as net/http's server hands it over.
func serverRequest(method, host, requestURI string, header http.Header, body []byte) *http.Request {
	u, err := url.ParseRequestURI(requestURI)
	if err != nil {
		panic(err)
	}
	if header == nil {
		header = http.Header{}
	}
	r := &http.Request{
		Method: method, Host: host, RequestURI: requestURI, URL: u,
		Header: header, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: http.NoBody, ContentLength: int64(len(body)),
	}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r.WithContext(context.Background())
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// verifyAndRead runs Verify and reads the whole body.
func verifyAndRead(v *Verifier, r *http.Request) (*Result, []byte, error) {
	res, err := v.Verify(context.Background(), r)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

func mustErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// chunkSig is an independent implementation of the chunk signature, used to
// build test bodies (checked against the AWS vectors in vectors_test.go).
func chunkSig(key []byte, prev string, data []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + exampleDate + "\n" + exampleScope + "\n" + prev + "\n" + sha256Hex(nil) + "\n" + sha256Hex(data)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

func trailerSig(key []byte, prev, canonical string) string {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + exampleDate + "\n" + exampleScope + "\n" + prev + "\n" + sha256Hex([]byte(canonical))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// encodeChunks frames data in chunks of the given sizes (the rest goes in a
// last chunk). With a key, chunks are signed starting from seed. trailer
// lines are "name:value"; signed bodies then get a trailer signature.
func encodeChunks(key []byte, seed string, data []byte, sizes []int, trailer []string) []byte {
	var b bytes.Buffer
	prev := seed
	emit := func(chunk []byte) {
		if key != nil {
			prev = chunkSig(key, prev, chunk)
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(chunk), prev)
		} else {
			fmt.Fprintf(&b, "%x\r\n", len(chunk))
		}
		b.Write(chunk)
		if len(chunk) > 0 {
			b.WriteString("\r\n")
		}
	}
	for _, n := range sizes {
		emit(data[:n])
		data = data[n:]
	}
	if len(data) > 0 {
		emit(data)
	}
	emit(nil)
	canonical := ""
	for _, l := range trailer {
		b.WriteString(l + "\r\n")
		canonical += l + "\n"
	}
	if key != nil && trailer != nil {
		b.WriteString("x-amz-trailer-signature:" + trailerSig(key, prev, canonical) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func exampleKey() []byte { return deriveKey(exampleSecret, "20130524", "us-east-1", "s3") }
