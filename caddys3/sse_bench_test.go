package caddys3

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing: 64 MiB bodies are
// measured without being buffered.
type discardWriter struct {
	hdr  http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.hdr }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(io.Discard, struct{ io.Reader }{r})
}

// BenchmarkSSE compares SSE-S3 objects with plain ones through the whole
// handler in process: PUT and GET of 64 MiB, and a 4 KiB range from the
// middle of a 256 MiB object. Run with
// `go test ./caddys3 -run '^$' -bench SSE -benchtime 5x`.
func BenchmarkSSE(b *testing.B) {
	h := provisionBench(b, &Handler{Root: b.TempDir(), Encryption: testEncryption(), MaxObjectSize: 1 << 30})
	serve := func(r *http.Request, body []byte, want int) {
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := &discardWriter{hdr: http.Header{}, code: 200}
		_ = h.ServeHTTP(w, r, nil)
		if w.code != want {
			b.Fatalf("%s %s: %d", r.Method, r.URL, w.code)
		}
	}
	obj := bytes.Repeat([]byte("0123456789abcdef"), 64<<20/16)
	large := bytes.Repeat(obj, 4)
	serve(benchSigned(b, "PUT", "/bench", nil), nil, 200)
	for _, mode := range []struct {
		name string
		hdr  http.Header
	}{{"plain", nil}, {"sse-s3", sseHeader("AES256")}} {
		sign := func(method, target string, body []byte, extra http.Header) *http.Request {
			if method == "PUT" {
				extra = mode.hdr // reads may not send x-amz-server-side-encryption
			}
			return benchSigned(b, method, target, body, extra)
		}
		serve(sign("PUT", "/bench/"+mode.name, obj, nil), obj, 200)
		serve(sign("PUT", "/bench/large-"+mode.name, large, nil), large, 200)
		b.Run("PUT64MiB/"+mode.name, func(b *testing.B) {
			r := sign("PUT", "/bench/put-"+mode.name, obj, nil)
			b.SetBytes(int64(len(obj)))
			for b.Loop() {
				serve(r, obj, 200)
			}
		})
		b.Run("GET64MiB/"+mode.name, func(b *testing.B) {
			r := sign("GET", "/bench/"+mode.name, nil, nil)
			b.SetBytes(int64(len(obj)))
			for b.Loop() {
				serve(r, nil, 200)
			}
		})
		b.Run("Range4KiBOf256MiB/"+mode.name, func(b *testing.B) {
			r := sign("GET", "/bench/large-"+mode.name, nil, http.Header{"Range": {"bytes=134217000-134221095"}})
			b.SetBytes(4096)
			for b.Loop() {
				serve(r, nil, 206)
			}
		})
	}
}
