package fsstore

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkPut4KiB(b *testing.B) {
	s := newStore(b, false)
	mustBucket(b, s, "bkt")
	data := bytes.Repeat([]byte("x"), 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.PutObject(ctx, "bkt", fmt.Sprintf("dir%d/obj%d", i%16, i), bytes.NewReader(data), PutOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkList1000(b *testing.B) {
	s := newStore(b, false)
	mustBucket(b, s, "bkt")
	for i := range 1000 {
		put(b, s, "bkt", fmt.Sprintf("d%02d/obj%04d", i%10, i), []byte("x"))
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1000})
		if err != nil || len(res.Objects) != 1000 {
			b.Fatal(len(res.Objects), err)
		}
	}
}
