package caddys3

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/s3err"
)

// tagDoc is a Tagging document of the pairs (key, value, key, value, ...).
func tagDoc(kv ...string) string {
	var b strings.Builder
	b.WriteString("<Tagging><TagSet>")
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", kv[i], kv[i+1])
	}
	b.WriteString("</TagSet></Tagging>")
	return b.String()
}

// nTags is n distinct pairs k0=v0 ... for the count limits.
func nTags(n int) []string {
	var kv []string
	for i := range n {
		kv = append(kv, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	return kv
}

// Each row's expectation comes from AWS's documented limits ("Categorizing
// your objects using tags", Amazon S3 User Guide; API_Tag) or the answers
// AWS is observed to send (see s3err/texts_tagging.go for each text's
// source).
func TestParseTaggingXML(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name string
		kind tagKind
		doc  string
		want map[string]string
		err  *s3err.Text
		code s3err.Code // when the answer is a plain code
	}{
		{name: "two tags", doc: tagDoc("team", "blue", "env", ""), want: map[string]string{"team": "blue", "env": ""}},
		{name: "namespace and spaces", doc: `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a b</Key><Value>x y</Value></Tag></TagSet></Tagging>`, want: map[string]string{"a b": "x y"}},
		{name: "every allowed symbol", doc: tagDoc("_.:/=+-@", "_.:/=+-@"), want: map[string]string{"_.:/=+-@": "_.:/=+-@"}},
		{name: "unicode letters and numbers", doc: tagDoc("ключ٣", "値"), want: map[string]string{"ключ٣": "値"}},
		{name: "empty set removes", doc: `<Tagging><TagSet></TagSet></Tagging>`, want: nil},
		{name: "10 tags on an object", doc: tagDoc(nTags(10)...), want: pairsMap(nTags(10))},
		{name: "11 tags on an object", doc: tagDoc(nTags(11)...), err: &s3err.ObjectTagsTooMany},
		{name: "50 tags on a bucket", kind: bucketTags, doc: tagDoc(nTags(50)...), want: pairsMap(nTags(50))},
		{name: "51 tags on a bucket", kind: bucketTags, doc: tagDoc(nTags(51)...), err: &s3err.BucketTagsTooMany},
		{name: "key of 128", doc: tagDoc(long(128), "v"), want: map[string]string{long(128): "v"}},
		{name: "key of 129", doc: tagDoc(long(129), "v"), err: &s3err.TagKeyInvalid},
		// UTF-16: a character outside the BMP takes two positions.
		{name: "key of 64 astral letters", doc: tagDoc(strings.Repeat("𝒜", 64), "v"), want: map[string]string{strings.Repeat("𝒜", 64): "v"}},
		{name: "key of 65 astral letters", doc: tagDoc(strings.Repeat("𝒜", 65), "v"), err: &s3err.TagKeyInvalid},
		{name: "value of 256", doc: tagDoc("k", long(256)), want: map[string]string{"k": long(256)}},
		{name: "value of 257", doc: tagDoc("k", long(257)), err: &s3err.TagValueInvalid},
		{name: "empty key", doc: tagDoc("", "v"), err: &s3err.TagKeyInvalid},
		{name: "tab in a key", doc: tagDoc("te\tst", "v"), err: &s3err.TagKeyInvalid},
		{name: "brackets in a key", doc: tagDoc("TagSet=[{Key=string}]", "v"), err: &s3err.TagKeyInvalid},
		{name: "hash in a value", doc: tagDoc("k", "a#b"), err: &s3err.TagValueInvalid},
		{name: "duplicate key", doc: tagDoc("k", "1", "k", "2"), err: &s3err.TagKeyDuplicate},
		{name: "aws: on an object", doc: tagDoc("aws:cost", "v"), err: &s3err.ObjectTagKeyReserved},
		{name: "aws: on a bucket", kind: bucketTags, doc: tagDoc("aws:cost", "v"), err: &s3err.BucketTagKeyReserved},
		{name: "aws inside a key", kind: bucketTags, doc: tagDoc("something:aws:stuff", "v"), want: map[string]string{"something:aws:stuff": "v"}},
		{name: "not XML", doc: "team=blue", code: s3err.MalformedXML},
		{name: "unclosed", doc: "<Tagging><TagSet>", code: s3err.MalformedXML},
		{name: "no TagSet", doc: "<Tagging></Tagging>", code: s3err.MalformedXML},
		{name: "tag without Value", doc: "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", code: s3err.MalformedXML},
		{name: "tag without Key", doc: "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>", code: s3err.MalformedXML},
		{name: "other root", doc: "<Tags><TagSet></TagSet></Tags>", code: s3err.MalformedXML},
	}
	for _, c := range cases {
		got, err := parseTaggingXML([]byte(c.doc), c.kind)
		checkTagAnswer(t, c.name, got, err, c.want, c.err, c.code)
	}
}

// x-amz-tagging (API_PutObject: URL query parameters).
func TestParseTaggingHeader(t *testing.T) {
	var eleven []string
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf("k%d=v", i))
	}
	cases := []struct {
		name, header string
		want         map[string]string
		err          *s3err.Text
	}{
		{name: "none", header: ""},
		{name: "two", header: "tag1=value1&tag2=value2", want: map[string]string{"tag1": "value1", "tag2": "value2"}},
		// ceph s3-tests test_put_obj_with_tags: "foo=bar&bar".
		{name: "name without value", header: "foo=bar&bar", want: map[string]string{"foo": "bar", "bar": ""}},
		{name: "escapes and plus", header: "a%20b=c+d&e%3Df=%2B", want: map[string]string{"a b": "c d", "e=f": "+"}},
		{name: "empty pairs skipped", header: "a=b&&c=d&", want: map[string]string{"a": "b", "c": "d"}},
		// aws-cli issue 2841, both answers observed from S3.
		{name: "encoded shorthand", header: "TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D", err: &s3err.TagKeyInvalid},
		{name: "raw shorthand", header: "TagSet=[{Key=string,Value=string}]", err: &s3err.TaggingHeaderInvalid},
		{name: "duplicate name", header: "a=1&a=2", err: &s3err.TaggingHeaderInvalid},
		{name: "bad escape", header: "a=%zz", err: &s3err.TaggingHeaderInvalid},
		{name: "eleven", header: strings.Join(eleven, "&"), err: &s3err.ObjectTagsTooMany},
		{name: "aws prefix", header: "aws%3Ax=1", err: &s3err.ObjectTagKeyReserved},
		{name: "value too long", header: "k=" + strings.Repeat("v", 257), err: &s3err.TagValueInvalid},
	}
	for _, c := range cases {
		got, err := parseTaggingHeader(c.header)
		checkTagAnswer(t, c.name, got, err, c.want, c.err, "")
	}
}

func pairsMap(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func checkTagAnswer(t *testing.T, name string, got map[string]string, err error, want map[string]string, wantText *s3err.Text, wantCode s3err.Code) {
	t.Helper()
	switch {
	case wantText != nil:
		ae, ok := err.(*apiError)
		if !ok || ae.Code != wantText.Code || ae.Message != wantText.Message() {
			t.Errorf("%s: err %v, want %s %q", name, err, wantText.Code, wantText.Format)
		}
	case wantCode != "":
		if !isCode(err, wantCode) {
			t.Errorf("%s: err %v, want %s", name, err, wantCode)
		}
	case err != nil:
		t.Errorf("%s: %v", name, err)
	case !maps.Equal(got, want) || (want == nil) != (got == nil):
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
}

// The answer lists tags in key order (ceph s3-tests test_put_obj_with_tags).
func TestTaggingXMLOrder(t *testing.T) {
	res := taggingXML(map[string]string{"b": "2", "a": "1", "c": ""})
	var keys []string
	for _, tg := range res.TagSet.Tags {
		keys = append(keys, tg.Key)
	}
	if strings.Join(keys, ",") != "a,b,c" || res.Xmlns != s3Namespace {
		t.Errorf("order %v, xmlns %q", keys, res.Xmlns)
	}
}
