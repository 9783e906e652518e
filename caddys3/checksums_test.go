package caddys3

import (
	"encoding/xml"
	"maps"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Every algorithm has its element, and a part's elements parse back.
func TestChecksumElements(t *testing.T) {
	sums := map[string]string{}
	for _, a := range checksum.Algorithms {
		sums[a] = "v-" + a
	}
	c := checksumXML(sums)
	if got := c.byAlgorithm(); !maps.Equal(got, sums) {
		t.Fatalf("round trip %v", got)
	}
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"Part"`
		checksumElements
	}{checksumElements: checksumXML(map[string]string{"XXHASH128": "x"})})
	if err != nil || string(out) != "<Part><ChecksumXXHASH128>x</ChecksumXXHASH128></Part>" {
		t.Fatalf("%s %v", out, err)
	}
	var empty checksumElements
	if empty.byAlgorithm() != nil {
		t.Fatal("no elements, no checksums")
	}
}

func TestObjectChecksum(t *testing.T) {
	for _, c := range []struct {
		m         fsstore.ObjectMeta
		algo, typ string
	}{
		{fsstore.ObjectMeta{}, "", ""},
		{fsstore.ObjectMeta{Checksums: map[string]string{"CRC32": "x"}}, "CRC32", "FULL_OBJECT"},
		{fsstore.ObjectMeta{Checksums: map[string]string{"SHA1": "x"}, ChecksumAlgorithm: "SHA1", ChecksumType: "COMPOSITE"}, "SHA1", "COMPOSITE"},
		{fsstore.ObjectMeta{ChecksumAlgorithm: "SHA1", ChecksumType: "COMPOSITE"}, "", ""}, // no value: none
	} {
		if algo, typ := objectChecksum(c.m); algo != c.algo || typ != c.typ {
			t.Errorf("%+v: %s %s, want %s %s", c.m, algo, typ, c.algo, c.typ)
		}
	}
}

// A POST form's x-amz-checksum-<algo> field follows the header's rules.
func TestPostChecksum(t *testing.T) {
	for _, c := range []struct {
		fields map[string]string
		algo   string
		want   *s3err.Text
	}{
		{map[string]string{"key": "k"}, "", nil},
		{map[string]string{"x-amz-checksum-crc32": "0wiusg=="}, "CRC32", nil},
		{map[string]string{"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": "0wiusg=="}, "CRC32", nil},
		{map[string]string{"x-amz-checksum-crc32": "invalid"}, "", &s3err.ChecksumHeaderInvalid},
		{map[string]string{"x-amz-checksum-crc33": "0wiusg=="}, "", &s3err.ChecksumFieldUnknown},
		{map[string]string{"x-amz-checksum-crc32": "0wiusg==", "x-amz-checksum-crc32c": "M3m0yg=="}, "", &s3err.ChecksumHeadersMultiple},
	} {
		algo, _, err := postChecksum(c.fields)
		switch {
		case c.want == nil && (err != nil || algo != c.algo):
			t.Errorf("%v: %s %v", c.fields, algo, err)
		case c.want != nil && (err == nil || !strings.HasPrefix(toAPIError(err).Message, strings.Split(c.want.Format, "%")[0])):
			t.Errorf("%v: %v, want %q", c.fields, err, c.want.Format)
		}
	}
}
