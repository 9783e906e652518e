package caddys3

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

func TestParseRange(t *testing.T) {
	cases := []struct {
		header          string
		size            int64
		start, length   int64
		partial, errors bool
	}{
		{"", 10, 0, 10, false, false},
		{"bytes=0-4", 10, 0, 5, true, false},
		{"bytes=5-", 10, 5, 5, true, false},
		{"bytes=-3", 10, 7, 3, true, false},
		{"bytes=-30", 10, 0, 10, true, false},
		{"bytes=2-100", 10, 2, 8, true, false},
		{"bytes=9-9", 10, 9, 1, true, false},
		{"bytes=10-", 10, 0, 0, false, true},
		{"bytes=10-20", 10, 0, 0, false, true},
		{"bytes=-0", 10, 0, 0, false, true},
		{"bytes=0-", 0, 0, 0, false, true},
		{"bytes=0-0", 0, 0, 0, false, true},
		// Suffix ranges of an empty object: the whole empty object, 200
		// (apache/arrow-rs-object-store issue 846 records AWS's answer).
		{"bytes=-1", 0, 0, 0, false, false},
		{"bytes=-512", 0, 0, 0, false, false},
		{"bytes=-0", 0, 0, 0, false, true},
		{"bytes=5-2", 10, 0, 10, false, false},     // invalid syntax: ignored
		{"bytes=0-1,3-4", 10, 0, 10, false, false}, // multi-range: ignored
		{"items=0-1", 10, 0, 10, false, false},
		{"bytes=x-1", 10, 0, 10, false, false},
	}
	for _, c := range cases {
		start, length, partial, err := parseRange(c.header, c.size)
		if (err != nil) != c.errors {
			t.Errorf("%q/%d: err = %v", c.header, c.size, err)
			continue
		}
		if err != nil {
			if !isCode(err, s3err.InvalidRange) {
				t.Errorf("%q: error %v is not InvalidRange", c.header, err)
			}
			continue
		}
		if start != c.start || length != c.length || partial != c.partial {
			t.Errorf("%q/%d = %d,%d,%v; want %d,%d,%v", c.header, c.size, start, length, partial, c.start, c.length, c.partial)
		}
	}
}

func TestCheckConditions(t *testing.T) {
	mod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := fsstore.ObjectMeta{ETag: "abc", LastModified: mod}
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	same := mod.Format(http.TimeFormat)
	cases := []struct {
		hdr  map[string]string
		want int
	}{
		{nil, 0},
		{map[string]string{"If-Match": `"abc"`}, 0},
		{map[string]string{"If-Match": `abc`}, 0},
		{map[string]string{"If-Match": `"x", "abc"`}, 0},
		{map[string]string{"If-Match": `*`}, 0},
		{map[string]string{"If-Match": `"zzz"`}, 412},
		{map[string]string{"If-None-Match": `"abc"`}, 304},
		{map[string]string{"If-None-Match": `"zzz"`}, 0},
		{map[string]string{"If-Modified-Since": same}, 304},
		{map[string]string{"If-Modified-Since": after}, 304},
		{map[string]string{"If-Modified-Since": before}, 0},
		{map[string]string{"If-Unmodified-Since": before}, 412},
		{map[string]string{"If-Unmodified-Since": same}, 0},
		// S3: If-Match true wins over a failing If-Unmodified-Since.
		{map[string]string{"If-Match": `"abc"`, "If-Unmodified-Since": before}, 0},
		// If-None-Match false (etag matches) → 304 even if modified since.
		{map[string]string{"If-None-Match": `"abc"`, "If-Modified-Since": before}, 304},
		// If-None-Match true takes precedence over If-Modified-Since.
		{map[string]string{"If-None-Match": `"zzz"`, "If-Modified-Since": after}, 0},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.hdr {
			h.Set(k, v)
		}
		if got := checkConditions(h, m); got != c.want {
			t.Errorf("%v: got %d want %d", c.hdr, got, c.want)
		}
	}
}

func TestLimitedReader(t *testing.T) {
	src := &repeatReader{n: 11}
	lr := &limitedReader{r: src, n: 10}
	buf := make([]byte, 4)
	total := 0
	var err error
	for err == nil {
		var n int
		n, err = lr.Read(buf)
		total += n
	}
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("11 bytes through a 10-byte limit: err = %v after %d bytes", err, total)
	}
	exact := &limitedReader{r: &repeatReader{n: 10}, n: 10}
	for err = nil; err == nil; {
		_, err = exact.Read(buf)
	}
	if err != io.EOF {
		t.Fatalf("10 bytes through a 10-byte limit: err = %v", err)
	}
}

type repeatReader struct{ n int }

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestStripAWSChunked(t *testing.T) {
	cases := map[string]string{
		"":                  "",
		"aws-chunked":       "",
		"aws-chunked,gzip":  "gzip",
		"gzip, aws-chunked": "gzip",
		"gzip":              "gzip",
		// Kept byte for byte when there is nothing to strip.
		"deflate, gzip":               "deflate, gzip",
		"deflate,  gzip ":             "deflate,  gzip ",
		"aws-chunked, deflate, gzip":  "deflate, gzip",
		"deflate, AWS-Chunked , gzip": "deflate, gzip",
	}
	for in, want := range cases {
		if got := stripAWSChunked(in); got != want {
			t.Errorf("stripAWSChunked(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMailSafe(t *testing.T) {
	cases := map[string]string{
		"plain value ~!":    "plain value ~!",
		"tab\there":         "tab\there",
		"\x04mymeta":        "=?UTF-8?Q?=04mymeta?=", // ceph/s3-tests test_object_set_get_non_utf8_metadata
		"Hello World\u00e9": "=?UTF-8?Q?Hello_World=C3=A9?=",
		"\u00e9":            "=?UTF-8?B?w6k=?=",
		"\xe9":              "=?UTF-8?B?w6k=?=", // ISO-8859-1 é
		"caf\xe9 au lait":   "=?UTF-8?Q?caf=C3=A9_au_lait?=",
	}
	for in, want := range cases {
		if got := mailSafe(in); got != want {
			t.Errorf("mailSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestS3URLEncode(t *testing.T) {
	cases := map[string]string{
		"a/b c+d%":  "a/b+c%2Bd%25",
		"ключ":      "%D0%BA%D0%BB%D1%8E%D1%87",
		"x~y_z.-*":  "x~y_z.-*",
		"a&b=c?d#e": "a%26b%3Dc%3Fd%23e",
	}
	for in, want := range cases {
		if got := s3URLEncode(in); got != want {
			t.Errorf("s3URLEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
