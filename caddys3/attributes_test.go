package caddys3

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// x-amz-object-attributes: a comma-separated list of the five names, in
// one or several header lines; none → InvalidRequest, an unknown name →
// InvalidArgument (versitygw GetObjectAttributes_* run against S3).
func TestParseAttributes(t *testing.T) {
	cases := []struct {
		values []string
		want   []string
		code   s3err.Code
	}{
		{nil, nil, s3err.InvalidRequest},
		{[]string{""}, nil, s3err.InvalidRequest},
		{[]string{" , "}, nil, s3err.InvalidRequest},
		{[]string{"ETag"}, []string{"ETag"}, ""},
		{[]string{"ETag,ObjectSize"}, []string{"ETag", "ObjectSize"}, ""},
		{[]string{"ETag", "Checksum, ObjectParts"}, []string{"Checksum", "ETag", "ObjectParts"}, ""},
		{[]string{"StorageClass,StorageClass"}, []string{"StorageClass"}, ""},
		{[]string{"ETag,Invalid_argument"}, nil, s3err.InvalidArgument},
		{[]string{"etag"}, nil, s3err.InvalidArgument}, // names are case-sensitive
	}
	for _, c := range cases {
		set, err := parseAttributes(c.values)
		var ae *apiError
		if c.code != "" {
			if !errors.As(err, &ae) || ae.Code != c.code {
				t.Errorf("%q: got %v, want %s", c.values, err, c.code)
			}
			continue
		}
		var got []string
		for k := range set {
			got = append(got, k)
		}
		slices.Sort(got)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v %v, want %v", c.values, got, err, c.want)
		}
	}
}

// Paging of ObjectParts: parts after the marker, at most max, truncated
// when more follow; the next marker is the last part number listed.
func TestPageParts(t *testing.T) {
	var all []fsstore.ObjectPart
	for _, n := range []int{1, 2, 3, 5, 8} {
		all = append(all, fsstore.ObjectPart{PartNumber: n, Size: 10})
	}
	cases := []struct {
		marker, max int
		want        []int
		truncated   bool
		next        int
	}{
		{0, 1000, []int{1, 2, 3, 5, 8}, false, 8},
		{0, 2, []int{1, 2}, true, 2},
		{2, 2, []int{3, 5}, true, 5},
		{5, 2, []int{8}, false, 8},
		{4, 1, []int{5}, true, 5},
		{8, 2, nil, false, 0},
		{0, 0, nil, true, 0},
	}
	for _, c := range cases {
		p := pageParts(all, c.marker, c.max)
		var got []int
		for _, part := range p.parts {
			got = append(got, part.PartNumber)
		}
		if !slices.Equal(got, c.want) || p.truncated != c.truncated || p.next != c.next {
			t.Errorf("marker %d max %d: got %v %v %d, want %v %v %d", c.marker, c.max, got, p.truncated, p.next, c.want, c.truncated, c.next)
		}
	}
}

// The paging headers: integers in 0..2147483647; max-parts is at most
// 1000.
func TestPagingHeaders(t *testing.T) {
	cases := []struct {
		max, marker string
		wantMax     int
		wantMarker  int
		code        string
	}{
		{"", "", 1000, 0, ""},
		{"5", "3", 5, 3, ""},
		{"5000", "", 1000, 0, ""},
		{"0", "0", 0, 0, ""},
		{"-1", "", 0, 0, "max"},
		{"x", "", 0, 0, "max"},
		{"2147483648", "", 0, 0, "max"},
		{"", "-2", 0, 0, "marker"},
		{"", "1.5", 0, 0, "marker"},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.max != "" {
			h.Set("X-Amz-Max-Parts", c.max)
		}
		if c.marker != "" {
			h.Set("X-Amz-Part-Number-Marker", c.marker)
		}
		mx, mk, err := pagingHeaders(h)
		var ae *apiError
		switch c.code {
		case "max":
			if !errors.As(err, &ae) || ae.Message != s3err.MaxPartsInvalid.Format {
				t.Errorf("%+v: %v", c, err)
			}
		case "marker":
			if !errors.As(err, &ae) || ae.Message != s3err.PartNumberMarkerInvalid.Format {
				t.Errorf("%+v: %v", c, err)
			}
		default:
			if err != nil || mx != c.wantMax || mk != c.wantMarker {
				t.Errorf("%+v: got %d %d %v", c, mx, mk, err)
			}
		}
	}
}

// partNumber of an object of one PUT, and of a multipart object whose
// part list is unknown (the ETag tells the count).
func TestPartRangeWithoutList(t *testing.T) {
	cases := []struct {
		name    string
		meta    fsstore.ObjectMeta
		n       int
		start   int64
		length  int64
		partial bool
		code    s3err.Code
		actual  string
	}{
		// AWS answers 206 Content-Range bytes 0-9/10 (versitygw issue 2074).
		{name: "one PUT, part 1", meta: fsstore.ObjectMeta{Size: 10, ETag: "abc"}, n: 1, length: 10, partial: true},
		{name: "empty, part 1", meta: fsstore.ObjectMeta{Size: 0, ETag: "abc"}, n: 1, length: 0, partial: false},
		{name: "one PUT, part 2", meta: fsstore.ObjectMeta{Size: 10, ETag: "abc"}, n: 2, code: s3err.InvalidPartNumber, actual: "1"},
		{name: "3 parts, part 4", meta: fsstore.ObjectMeta{Size: 10, ETag: "abc-3"}, n: 4, code: s3err.InvalidPartNumber, actual: "3"},
		{name: "3 parts unknown, part 2", meta: fsstore.ObjectMeta{Size: 10, ETag: "abc-3"}, n: 2, code: s3err.NotImplemented},
	}
	for _, c := range cases {
		hdr := http.Header{}
		start, length, partial, err := partRange(c.meta, c.n, hdr)
		if c.code != "" {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Code != c.code {
				t.Errorf("%s: got %v, want %s", c.name, err, c.code)
				continue
			}
			if c.actual != "" {
				if v, _ := ae.value("ActualPartCount"); v != c.actual {
					t.Errorf("%s: ActualPartCount %q", c.name, v)
				}
				if v, _ := ae.value("PartNumberRequested"); v != strconv.Itoa(c.n) {
					t.Errorf("%s: PartNumberRequested %q", c.name, v)
				}
			}
			continue
		}
		if err != nil || start != c.start || length != c.length || partial != c.partial || hdr.Get("X-Amz-Mp-Parts-Count") != "" {
			t.Errorf("%s: got %d %d %v %v %v", c.name, start, length, partial, hdr, err)
		}
	}
}
