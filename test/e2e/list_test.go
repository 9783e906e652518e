package e2e

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

// listKeys has the ordering traps: '-' (0x2D) < '/' (0x2F) < '0' (0x30), so
// "a-c" < "a/b" < "a0", which a naive directory walk gets wrong. No key is
// a prefix "directory" of another (the store keeps keys as files).
var listKeys = []string{
	"a-c", "a/b", "a/c/d", "a/c/e", "a/d-e", "a/d/f", "a/d0", "a0",
	"b.txt", "b/1", "b/2", "b/3-", "b/3/x", "b/3/y", "b/30",
	"c", "d/e/f-g", "d/e/f/g", "d/e0",
	"A", "Z/z", "_u", "~t", "x/z", "x/ü", "sp ace/x+y",
}

// entry is one listing item: a key or a common prefix.
type entry struct {
	name   string
	prefix bool
}

func (e entry) String() string {
	if e.prefix {
		return "P:" + e.name
	}
	return e.name
}

// model is the reference listing: keys in byte order, rolled up into
// common prefixes at the first delimiter after the prefix.
func model(keys []string, prefix, delim string) []entry {
	sorted := sortedCopy(keys)
	var out []entry
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if n := len(out); n > 0 && out[n-1].prefix && out[n-1].name == cp {
					continue
				}
				out = append(out, entry{cp, true})
				continue
			}
		}
		out = append(out, entry{k, false})
	}
	return out
}

// merge orders a page's keys and prefixes together, as S3 does.
func merge(keys, prefixes []string) []entry {
	var out []entry
	for _, k := range keys {
		out = append(out, entry{k, false})
	}
	for _, p := range prefixes {
		out = append(out, entry{p, true})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func TestListing(t *testing.T) {
	bucket := makeBucket(t, alice, "list")
	a := aliceSDK()
	for _, k := range listKeys {
		putBytes(t, a, bucket, k, []byte(k))
	}
	if !sort.StringsAreSorted([]string{"a-c", "a/b", "a0"}) {
		t.Fatal("test bug: byte order")
	}

	cases := []struct{ prefix, delim string }{
		{"", ""}, {"", "/"}, {"a/", "/"}, {"a", "/"}, {"b/3", "/"}, {"b/", ""},
		{"d/e/", "/"}, {"d/", "/"}, {"nomatch/", "/"}, {"x/", "/"}, {"", "-"},
	}
	for _, c := range cases {
		want := model(listKeys, c.prefix, c.delim)
		for _, maxKeys := range []int32{1, 3, 7, 1000} {
			name := fmt.Sprintf("prefix=%q delim=%q max=%d", c.prefix, c.delim, maxKeys)
			t.Run("v2 "+name, func(t *testing.T) {
				ctx := ctxT(t)
				var got []entry
				var token *string
				for page := 0; ; page++ {
					if page > 100 {
						t.Fatalf("no end after 100 pages; got %v", got)
					}
					out, err := a.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
						Bucket: aws.String(bucket), Prefix: aws.String(c.prefix), Delimiter: aws.String(c.delim),
						MaxKeys: aws.Int32(maxKeys), ContinuationToken: token,
					})
					if err != nil {
						t.Fatalf("ListObjectsV2: %v", err)
					}
					var keys, prefixes []string
					for _, o := range out.Contents {
						keys = append(keys, aws.ToString(o.Key))
						if aws.ToString(o.ETag) != quotedMD5([]byte(aws.ToString(o.Key))) {
							t.Errorf("listed ETag of %s = %s", aws.ToString(o.Key), aws.ToString(o.ETag))
						}
						if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) {
							t.Errorf("listed Size of %s = %d", aws.ToString(o.Key), aws.ToInt64(o.Size))
						}
					}
					for _, p := range out.CommonPrefixes {
						prefixes = append(prefixes, aws.ToString(p.Prefix))
					}
					n := len(keys) + len(prefixes)
					if aws.ToInt32(out.KeyCount) != int32(n) {
						t.Errorf("KeyCount %d, page has %d entries", aws.ToInt32(out.KeyCount), n)
					}
					if n > int(maxKeys) {
						t.Errorf("page has %d entries, max-keys %d", n, maxKeys)
					}
					if aws.ToInt32(out.MaxKeys) != maxKeys {
						t.Errorf("MaxKeys echoed as %d", aws.ToInt32(out.MaxKeys))
					}
					if aws.ToString(out.Prefix) != c.prefix || aws.ToString(out.Delimiter) != c.delim {
						t.Errorf("Prefix/Delimiter echoed as %q/%q", aws.ToString(out.Prefix), aws.ToString(out.Delimiter))
					}
					got = append(got, merge(keys, prefixes)...)
					if !aws.ToBool(out.IsTruncated) {
						break
					}
					if n != int(maxKeys) {
						t.Errorf("truncated page with %d entries, max-keys %d", n, maxKeys)
					}
					if aws.ToString(out.NextContinuationToken) == "" {
						t.Fatalf("IsTruncated without NextContinuationToken")
					}
					token = out.NextContinuationToken
				}
				if !slices.Equal(got, want) {
					t.Errorf("listing\n got %v\nwant %v", got, want)
				}
			})
			t.Run("v1 "+name, func(t *testing.T) {
				ctx := ctxT(t)
				var got []entry
				marker := ""
				for page := 0; ; page++ {
					if page > 100 {
						t.Fatalf("no end after 100 pages; got %v", got)
					}
					out, err := a.ListObjects(ctx, &s3.ListObjectsInput{
						Bucket: aws.String(bucket), Prefix: aws.String(c.prefix), Delimiter: aws.String(c.delim),
						MaxKeys: aws.Int32(maxKeys), Marker: aws.String(marker),
					})
					if err != nil {
						t.Fatalf("ListObjects: %v", err)
					}
					var keys, prefixes []string
					for _, o := range out.Contents {
						keys = append(keys, aws.ToString(o.Key))
					}
					for _, p := range out.CommonPrefixes {
						prefixes = append(prefixes, aws.ToString(p.Prefix))
					}
					n := len(keys) + len(prefixes)
					if n > int(maxKeys) {
						t.Errorf("page has %d entries, max-keys %d", n, maxKeys)
					}
					if aws.ToString(out.Marker) != marker {
						t.Errorf("Marker echoed as %q, sent %q", aws.ToString(out.Marker), marker)
					}
					pageEntries := merge(keys, prefixes)
					got = append(got, pageEntries...)
					if !aws.ToBool(out.IsTruncated) {
						break
					}
					if n != int(maxKeys) {
						t.Errorf("truncated page with %d entries, max-keys %d", n, maxKeys)
					}
					next := aws.ToString(out.NextMarker)
					if c.delim != "" && next == "" {
						t.Fatalf("truncated delimited V1 listing without NextMarker")
					}
					if next == "" {
						next = keys[len(keys)-1]
					}
					if last := pageEntries[len(pageEntries)-1].name; c.delim != "" && next != last {
						t.Errorf("NextMarker %q, last entry %q", next, last)
					}
					marker = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("listing\n got %v\nwant %v", got, want)
				}
			})
		}
	}

	t.Run("start-after", func(t *testing.T) {
		ctx := ctxT(t)
		for _, after := range []string{"a-c", "a/", "a/c/e", "a0", "b/3", "zzz", ""} {
			out, err := a.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String(after)})
			if err != nil {
				t.Fatalf("ListObjectsV2 start-after %q: %v", after, err)
			}
			var got, want []string
			for _, o := range out.Contents {
				got = append(got, aws.ToString(o.Key))
			}
			for _, k := range sortedCopy(listKeys) {
				if k > after {
					want = append(want, k)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("start-after %q:\n got %q\nwant %q", after, got, want)
			}
			if aws.ToString(out.StartAfter) != after {
				t.Errorf("StartAfter echoed as %q", aws.ToString(out.StartAfter))
			}
		}
		// V1 marker without paging.
		out, err := a.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String("a/d0"), MaxKeys: aws.Int32(3)})
		if err != nil {
			t.Fatalf("ListObjects marker: %v", err)
		}
		var got []string
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		if want := []string{"a0", "b.txt", "b/1"}; !slices.Equal(got, want) {
			t.Errorf("marker a/d0: got %q want %q", got, want)
		}
	})

	t.Run("paginator", func(t *testing.T) {
		ctx := ctxT(t)
		var got []string
		p := s3.NewListObjectsV2Paginator(a, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(4)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
			}
		}
		if want := sortedCopy(listKeys); !slices.Equal(got, want) {
			t.Errorf("paginator:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("minio-go", func(t *testing.T) {
		ctx := ctxT(t)
		m := mc(t, alice, false)
		for _, tc := range []struct {
			prefix    string
			recursive bool
			v1        bool
		}{{"", true, false}, {"", false, false}, {"a/", false, false}, {"", true, true}, {"b/", false, true}} {
			delim := "/"
			if tc.recursive {
				delim = ""
			}
			var want []string
			for _, e := range model(listKeys, tc.prefix, delim) {
				want = append(want, e.name)
			}
			var got []string
			for o := range m.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: tc.prefix, Recursive: tc.recursive, UseV1: tc.v1, MaxKeys: 5}) {
				if o.Err != nil {
					t.Fatalf("minio ListObjects %+v: %v", tc, o.Err)
				}
				got = append(got, o.Key)
			}
			// minio-go emits each page's objects before its prefixes, so
			// only the recursive order is the server's; compare sets.
			if !tc.recursive {
				got = sortedCopy(got)
			}
			if !slices.Equal(got, want) {
				t.Errorf("minio ListObjects %+v:\n got %q\nwant %q", tc, got, want)
			}
		}
	})

	t.Run("max-keys 0", func(t *testing.T) {
		out, err := a.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(0)})
		if err != nil {
			t.Fatalf("ListObjectsV2 max-keys=0: %v", err)
		}
		if len(out.Contents) != 0 || aws.ToInt32(out.KeyCount) != 0 {
			t.Errorf("max-keys=0 returned %d keys", len(out.Contents))
		}
	})
}

// Raw XML shapes for encoding-type=url.
type rawListV2 struct {
	Name                  string
	Prefix                string
	Delimiter             string
	StartAfter            string
	EncodingType          string
	KeyCount              int
	IsTruncated           bool
	NextContinuationToken string
	Contents              []struct{ Key string }
	CommonPrefixes        []struct{ Prefix string }
}

type rawListV1 struct {
	Prefix         string
	Marker         string
	NextMarker     string
	Delimiter      string
	EncodingType   string
	IsTruncated    bool
	Contents       []struct{ Key string }
	CommonPrefixes []struct{ Prefix string }
}

// TestListEncodingTypeURL lists keys with spaces, '+', '%' and unicode with
// encoding-type=url through raw HTTP: every key, prefix and delimiter in the
// response must be URL-encoded (decoding with QueryUnescape, as botocore and
// the SDKs do, must give the key back).
func TestListEncodingTypeURL(t *testing.T) {
	bucket := makeBucket(t, alice, "enc")
	keys := []string{"enc/a b+c", "enc/pct%20x", "enc/ü/ä ö", "enc/sub dir/x", "enc/plain", "enc/tab\tx", "enc/amp&x"}
	a := aliceSDK()
	for _, k := range keys {
		putBytes(t, a, bucket, k, []byte("x"))
	}
	decode := func(t *testing.T, s string) string {
		t.Helper()
		d, err := url.QueryUnescape(s)
		if err != nil {
			t.Errorf("cannot URL-decode %q: %v", s, err)
		}
		for _, c := range []string{" ", "\t", "ü", "&"} {
			if strings.Contains(s, c) {
				t.Errorf("encoding-type=url response has raw %q in %q", c, s)
			}
		}
		return d
	}
	wantNames := func(prefix, delim string) []string {
		var out []string
		for _, e := range model(keys, prefix, delim) {
			out = append(out, e.name)
		}
		return out
	}

	t.Run("v2", func(t *testing.T) {
		q := url.Values{"list-type": {"2"}, "encoding-type": {"url"}, "prefix": {"enc/"}, "delimiter": {"/"}, "max-keys": {"2"}}
		var got []string
		for page := 0; page < 20; page++ {
			r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: q, Creds: &alice})
			wantStatus(t, r, 200)
			var l rawListV2
			if err := xml.Unmarshal(r.Body, &l); err != nil {
				t.Fatalf("ListObjectsV2 XML: %v\n%s", err, r.Body)
			}
			if l.EncodingType != "url" {
				t.Errorf("EncodingType %q", l.EncodingType)
			}
			// Encoded like the keys: '/' stays readable.
			if l.Prefix != "enc/" {
				t.Errorf("Prefix %q, want %q", l.Prefix, "enc/")
			}
			var names []string
			for _, c := range l.Contents {
				names = append(names, decode(t, c.Key))
			}
			var prefixes []string
			for _, p := range l.CommonPrefixes {
				prefixes = append(prefixes, decode(t, p.Prefix))
			}
			for _, e := range merge(names, prefixes) {
				got = append(got, e.name)
			}
			if !l.IsTruncated {
				break
			}
			q.Set("continuation-token", l.NextContinuationToken)
		}
		if want := wantNames("enc/", "/"); !slices.Equal(got, want) {
			t.Errorf("decoded listing\n got %q\nwant %q", got, want)
		}
	})
	t.Run("v2 start-after", func(t *testing.T) {
		q := url.Values{"list-type": {"2"}, "encoding-type": {"url"}, "start-after": {"enc/pct%20x"}}
		r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: q, Creds: &alice})
		wantStatus(t, r, 200)
		var l rawListV2
		if err := xml.Unmarshal(r.Body, &l); err != nil {
			t.Fatalf("XML: %v", err)
		}
		if decode(t, l.StartAfter) != "enc/pct%20x" {
			t.Errorf("StartAfter %q does not decode to the sent value", l.StartAfter)
		}
		var got []string
		for _, c := range l.Contents {
			got = append(got, decode(t, c.Key))
		}
		var want []string
		for _, k := range sortedCopy(keys) {
			if k > "enc/pct%20x" {
				want = append(want, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %q want %q", got, want)
		}
	})
	t.Run("v1", func(t *testing.T) {
		q := url.Values{"encoding-type": {"url"}, "prefix": {"enc/"}, "delimiter": {"/"}, "max-keys": {"3"}}
		var got []string
		for page := 0; page < 20; page++ {
			r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: q, Creds: &alice})
			wantStatus(t, r, 200)
			var l rawListV1
			if err := xml.Unmarshal(r.Body, &l); err != nil {
				t.Fatalf("ListObjects XML: %v\n%s", err, r.Body)
			}
			if l.EncodingType != "url" {
				t.Errorf("EncodingType %q", l.EncodingType)
			}
			var names, prefixes []string
			for _, c := range l.Contents {
				names = append(names, decode(t, c.Key))
			}
			for _, p := range l.CommonPrefixes {
				prefixes = append(prefixes, decode(t, p.Prefix))
			}
			for _, e := range merge(names, prefixes) {
				got = append(got, e.name)
			}
			if !l.IsTruncated {
				break
			}
			if l.NextMarker == "" {
				t.Fatalf("truncated delimited listing without NextMarker")
			}
			q.Set("marker", decode(t, l.NextMarker))
		}
		if want := wantNames("enc/", "/"); !slices.Equal(got, want) {
			t.Errorf("decoded listing\n got %q\nwant %q", got, want)
		}
	})
	t.Run("without encoding-type keys are raw", func(t *testing.T) {
		q := url.Values{"list-type": {"2"}, "prefix": {"enc/a"}}
		r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: q, Creds: &alice})
		var l rawListV2
		if err := xml.Unmarshal(r.Body, &l); err != nil {
			t.Fatalf("XML: %v", err)
		}
		if len(l.Contents) != 2 || l.Contents[0].Key != "enc/a b+c" {
			t.Errorf("raw keys: %+v", l.Contents)
		}
	})
}
