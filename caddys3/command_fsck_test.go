package caddys3

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/fsck"
)

// Not on a terminal, progress is a line per interval, never a bar.
func TestFsckProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 0)
	if p.bar != nil {
		t.Fatal("a bar on a buffer")
	}
	p.update(fsck.Progress{Buckets: 3, BucketsDone: 1, Bucket: "b2", Entries: 10, Objects: 7})
	p.done()
	if got := buf.String(); got != "fsck: bucket 2/3 (b2), 10 entries, 7 objects\n" {
		t.Errorf("progress = %q", got)
	}
	buf.Reset()
	p = newProgress(&buf, time.Hour)
	p.update(fsck.Progress{Buckets: 1})
	if buf.Len() != 0 {
		t.Errorf("printed before the interval: %q", buf.String())
	}
}

// The summary lists every kind with its counts.
func TestFsckSummary(t *testing.T) {
	var buf bytes.Buffer
	printSummary(&buf, &fsck.Report{Buckets: 2, Objects: 5, Found: map[fsck.Kind]int{fsck.NoMetadata: 3}, Repaired: map[fsck.Kind]int{fsck.NoMetadata: 2}})
	out := buf.String()
	if !strings.HasPrefix(out, "checked 2 buckets, 5 objects\n") || strings.Count(out, "\n") != 1+len(fsck.Kinds) ||
		!strings.Contains(out, string(fsck.NoMetadata)) || !strings.Contains(out, "3 found      2 repaired") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestFsckPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"bkt/a b/ü.txt":     "bkt/a b/ü.txt",
		"bkt/\x1b[31mred":   `"bkt/\x1b[31mred"`,
		"bkt/latin1-\xe9t":  `"bkt/latin1-\xe9t"`,
		"bkt/new\nline.txt": `"bkt/new\nline.txt"`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %s, want %s", in, got, want)
		}
	}
}
