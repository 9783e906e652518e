package auth

import (
	"io"
	"testing"
	"time"
)

func BenchmarkVerifyHeader(b *testing.B) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := sdkSign(b, "GET", s3URL("localhost:9000", "bucket", "some/key.txt", "versionId=3"), nil, "UNSIGNED-PAYLOAD", "us-east-1", at)
	v := newTestVerifier(at)
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.Verify(b.Context(), r)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
	}
}
