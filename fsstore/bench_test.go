package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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

// BenchmarkReadDirList reads and sorts a directory of 200,000 files (the
// cold cost of a page of a large flat bucket; set up by plain creates).
func BenchmarkReadDirList(b *testing.B) {
	s := newStore(b, false)
	dir := filepath.Join(rootPath(s), "flat")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 200_000 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("k%08d", (i*7919)%200_000)))
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := os.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		var l *dirList
		err = withFd(d, func(fd int) error { l, err = s.readDirList(fd, dirStamp{}); return err })
		d.Close()
		if err != nil || l.len() != 200_000 {
			b.Fatal(err)
		}
	}
}
