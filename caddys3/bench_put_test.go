package caddys3

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkServePutNewKey is BenchmarkServe's PutObject4KiB for a key that
// does not exist yet, the common small PUT (its staging is unnamed, see
// docs/put-path.md): the object is removed, untimed, before each request.
// Run with `go test -run '^$' -bench ServePutNewKey -benchmem ./caddys3`.
func BenchmarkServePutNewKey(b *testing.B) {
	root := b.TempDir()
	h := provisionBench(b, &Handler{Root: root})
	obj := bytes.Repeat([]byte("x"), 4<<10)
	for _, r := range []struct {
		method, target string
		body           []byte
	}{{"PUT", "/bench", nil}} {
		rec := httptest.NewRecorder()
		req := benchSigned(b, r.method, r.target, r.body)
		req.Body = io.NopCloser(bytes.NewReader(r.body))
		if _ = h.ServeHTTP(rec, req, nil); rec.Code != 200 {
			b.Fatalf("create bucket: %d %s", rec.Code, rec.Body)
		}
	}
	signed := benchSigned(b, "PUT", "/bench/new", obj)
	file := filepath.Join(root, "bench", "new")
	b.ReportAllocs()
	b.SetBytes(int64(len(obj)))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		r := signed.Clone(signed.Context())
		r.Body = io.NopCloser(bytes.NewReader(obj))
		rec := httptest.NewRecorder()
		b.StartTimer()
		_ = h.ServeHTTP(rec, r, nil)
		if rec.Code != 200 {
			b.Fatalf("put: %d %s", rec.Code, rec.Body)
		}
	}
}
