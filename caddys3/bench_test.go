package caddys3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/caddyserver/caddy/v2"

	"github.com/caddys3/caddys3/caddys3/credentials/static"
)

// The request path in process, without the network: routing, signature,
// authorization, the store on a temp dir and the response writer. The
// request is signed once and replayed, so the client's signing is not
// measured. Run with `go test -run '^$' -bench Serve -benchmem ./caddys3`.
func BenchmarkServe(b *testing.B) {
	h := provisionBench(b, &Handler{Root: b.TempDir()})

	serve := func(r *http.Request, body []byte, want int) {
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, r, nil)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", r.Method, r.URL, rec.Code, rec.Body)
		}
	}
	obj := bytes.Repeat([]byte("x"), 4<<10)
	serve(benchSigned(b, "PUT", "/bench", nil), nil, 200)
	serve(benchSigned(b, "PUT", "/bench/obj", obj), obj, 200)
	for i := range 1000 {
		serve(benchSigned(b, "PUT", fmt.Sprintf("/bench/list/%04d", i), nil), nil, 200)
	}

	b.Run("GetObject4KiB", func(b *testing.B) {
		r := benchSigned(b, "GET", "/bench/obj", nil)
		b.ReportAllocs()
		for b.Loop() {
			serve(r, nil, 200)
		}
	})
	b.Run("PutObject4KiB", func(b *testing.B) {
		r := benchSigned(b, "PUT", "/bench/put", obj)
		b.ReportAllocs()
		b.SetBytes(int64(len(obj)))
		for b.Loop() {
			serve(r, obj, 200)
		}
	})
	b.Run("ListObjectsV2_1000", func(b *testing.B) {
		r := benchSigned(b, "GET", "/bench?list-type=2&prefix=list/", nil)
		b.ReportAllocs()
		for b.Loop() {
			serve(r, nil, 200)
		}
	})
}

// benchSigned is a SigV4-signed request with the payload's hash and the
// headers hdrs, signed.
func benchSigned(b *testing.B, method, target string, body []byte, hdrs ...http.Header) *http.Request {
	r := httptest.NewRequest(method, "http://s3.test"+target, nil)
	for _, h := range hdrs {
		for k, v := range h {
			r.Header[k] = v
		}
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", payload)
	r.ContentLength = int64(len(body))
	creds := aws.Credentials{AccessKeyID: serveTestKey, SecretAccessKey: serveTestSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payload, "s3", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	r.RequestURI = r.URL.RequestURI()
	return r
}

// provisionBench provisions h with the benchmarks' key; it is cleaned
// up when b ends.
func provisionBench(b *testing.B, h *Handler) *Handler {
	setBenchCredentials(h)
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Cleanup() })
	return h
}

func setBenchCredentials(h *Handler) {
	h.CredentialsRaw = static.ModuleMap(static.Key{AccessKeyID: serveTestKey, Secret: serveTestSecret, Owner: "tester"})
}
