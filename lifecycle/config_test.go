package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/s3err"
)

func doc(rules ...string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</LifecycleConfiguration>`
}

func rule(body string) string { return "<Rule><Status>Enabled</Status>" + body + "</Rule>" }

// Every refusal S3 documents or is observed to send, with its code and
// text; and the documents it accepts.
func TestParseRefusals(t *testing.T) {
	many := make([]string, MaxRules+1)
	for i := range many {
		many[i] = rule(fmt.Sprintf("<ID>r%d</ID><Filter/><Expiration><Days>1</Days></Expiration>", i))
	}
	cases := []struct {
		name string
		body string
		code s3err.Code
		text *s3err.Text
	}{
		{"not xml", "<Lifecycle", s3err.MalformedXML, nil},
		{"no rules", doc(), s3err.MalformedXML, nil},
		{"1001 rules", doc(many...), s3err.MalformedXML, nil},
		{"bad status", doc("<Rule><Status>On</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>"), s3err.MalformedXML, nil},
		{"neither prefix nor filter", doc(rule("<Expiration><Days>1</Days></Expiration>")), s3err.MalformedXML, nil},
		{"prefix and filter", doc(rule("<Prefix>a</Prefix><Filter/><Expiration><Days>1</Days></Expiration>")), s3err.MalformedXML, nil},
		{"two predicates outside And", doc(rule("<Filter><Prefix>a</Prefix><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter><Expiration><Days>1</Days></Expiration>")), s3err.MalformedXML, nil},
		{"days and date", doc(rule("<Filter/><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>")), s3err.MalformedXML, nil},
		{"empty expiration", doc(rule("<Filter/><Expiration></Expiration>")), s3err.MalformedXML, nil},
		{"days not a number", doc(rule("<Filter/><Expiration><Days>x</Days></Expiration>")), s3err.MalformedXML, nil},
		{"zero days", doc(rule("<Filter/><Expiration><Days>0</Days></Expiration>")), "", &s3err.LifecycleDays},
		{"date not midnight", doc(rule("<Filter/><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>")), "", &s3err.LifecycleDateMidnight},
		{"date unreadable", doc(rule("<Filter/><Expiration><Date>soon</Date></Expiration>")), s3err.MalformedXML, nil},
		{"no action", doc(rule("<Filter/>")), "", &s3err.LifecycleNoAction},
		{"id too long", doc(rule("<ID>" + strings.Repeat("i", 256) + "</ID><Filter/><Expiration><Days>1</Days></Expiration>")), "", &s3err.LifecycleIDTooLong},
		{"same id", doc(rule("<ID>a</ID><Filter/><Expiration><Days>1</Days></Expiration>"), rule("<ID>a</ID><Filter/><Expiration><Days>2</Days></Expiration>")), "", &s3err.LifecycleIDDuplicate},
		{"v1 and v2", doc(rule("<Prefix>a</Prefix><Expiration><Days>1</Days></Expiration>"), rule("<Filter/><Expiration><Days>2</Days></Expiration>")), "", &s3err.LifecycleFilterInV1},
		{"noncurrent zero", doc(rule("<Filter/><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>")), "", &s3err.LifecycleNoncurrentDays},
		{"noncurrent no days", doc(rule("<Filter/><NoncurrentVersionExpiration><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>")), s3err.MalformedXML, nil},
		{"newer 101", doc(rule("<Filter/><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>")), "", &s3err.LifecycleNewerNoncurrent},
		{"abort zero", doc(rule("<Filter/><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", &s3err.LifecycleAbortDays},
		{"abort with tag", doc(rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", &s3err.LifecycleAbortWithTags},
		{"abort with size", doc(rule("<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", &s3err.LifecycleAbortWithSize},
		{"marker with tag", doc(rule("<Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")), "", &s3err.LifecycleMarkerWithTags},
		{"marker with size", doc(rule("<Filter><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")), "", &s3err.LifecycleMarkerWithSize},
		{"size range", doc(rule("<Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Expiration><Days>1</Days></Expiration>")), "", &s3err.LifecycleSizeRange},
		{"negative size", doc(rule("<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter><Expiration><Days>1</Days></Expiration>")), s3err.MalformedXML, nil},
		{"duplicate tag key", doc(rule("<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter><Expiration><Days>1</Days></Expiration>")), "", &s3err.LifecycleDuplicateTagKey},
		{"transition", doc(rule("<Filter/><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>")), "", &s3err.LifecycleTransition},
		{"noncurrent transition", doc(rule("<Filter/><Expiration><Days>9</Days></Expiration><NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")), "", &s3err.LifecycleTransition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body))
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a lifecycle.Error", err)
			}
			if c.text != nil {
				if le.Text == nil || *le.Text != *c.text {
					t.Fatalf("err = %v, want %q", err, c.text.Format)
				}
				return
			}
			if le.Code != c.code || le.Text != nil {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	body := doc(
		rule("<ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>3</Days></Expiration>"),
		rule("<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
		rule("<ID>d</ID><Filter/><Expiration><Date>2030-01-01</Date></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
	)
	c, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 3 || c.Rules[1].ID == "" {
		t.Fatalf("rules %+v: the rule without an ID gets one", c.Rules)
	}
	if got := *c.Rules[2].Expiration.Date; got != "2030-01-01T00:00:00.000Z" {
		t.Fatalf("date normalized to %q", got)
	}
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil || len(back.Rules) != 3 || *back.Rules[1].Filter.And.ObjectSizeGreaterThan != 10 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustParse(t *testing.T, rules ...string) *Configuration {
	t.Helper()
	c, err := Parse([]byte(doc(rules...)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The User Guide's example: created 2014-01-15 10:30 UTC, 3 days → the
// object expires at 2014-01-19 00:00 UTC; and the x-amz-expiration value.
func TestCurrentExpiry(t *testing.T) {
	c := mustParse(t,
		rule("<ID>three</ID><Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>3</Days></Expiration>"),
		rule("<ID>date</ID><Filter><Tag><Key>tmp</Key><Value>1</Value></Tag></Filter><Expiration><Date>2014-01-17T00:00:00Z</Date></Expiration>"),
		"<Rule><ID>off</ID><Status>Disabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule>",
		rule("<ID>big</ID><Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Expiration><Days>10</Days></Expiration>"),
	)
	created := day("2014-01-15T10:30:00Z")
	cases := []struct {
		o    Object
		want string
	}{
		{Object{Key: "logs/a", Modified: created}, `expiry-date="Sun, 19 Jan 2014 00:00:00 GMT", rule-id="three"`},
		{Object{Key: "logs/a", Modified: day("2014-01-15T00:00:00Z")}, `expiry-date="Sat, 18 Jan 2014 00:00:00 GMT", rule-id="three"`},
		{Object{Key: "logs/a", Modified: created, Tags: map[string]string{"tmp": "1"}}, `expiry-date="Fri, 17 Jan 2014 00:00:00 GMT", rule-id="date"`},
		{Object{Key: "other", Modified: created, Size: 101}, `expiry-date="Sun, 26 Jan 2014 00:00:00 GMT", rule-id="big"`},
		{Object{Key: "other", Modified: created, Size: 100}, ""},
		{Object{Key: "other", Modified: created, Tags: map[string]string{"tmp": "2"}}, ""},
	}
	for _, tc := range cases {
		e, ok := c.CurrentExpiry(tc.o)
		got := ""
		if ok {
			got = e.HeaderValue()
		}
		if got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestNoncurrentAndMarkersAndUploads(t *testing.T) {
	c := mustParse(t,
		rule("<ID>nc</ID><Filter><Prefix>v/</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
		rule("<ID>dm</ID><Filter><Prefix>m/</Prefix></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"),
	)
	since := day("2024-03-01T12:00:00Z")
	expired := day("2024-03-04T00:00:00Z")
	cases := []struct {
		key   string
		newer int
		now   time.Time
		want  bool
	}{
		{"v/a", 1, expired, true},
		{"v/a", 0, expired, false},                                   // the one newest noncurrent version is kept
		{"v/a", 1, expired.Add(-time.Nanosecond), false},             // not yet
		{"x/a", 1, expired, false},                                   // outside the prefix
		{"v/a", 5, day("2024-03-03T23:59:59Z"), false},               // rounding to midnight
		{"v/a", 5, day("2024-03-04T00:00:00Z").Add(time.Hour), true}, // after
	}
	for _, tc := range cases {
		_, got := c.NoncurrentExpired(Object{Key: tc.key}, NoncurrentState{Since: since, Newer: tc.newer}, tc.now)
		if got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
	if _, ok := c.RemovesExpiredMarker("m/x"); !ok {
		t.Error("m/x marker kept")
	}
	if _, ok := c.RemovesExpiredMarker("v/x"); ok {
		t.Error("v/x marker removed")
	}
	if !c.UploadExpired("m/u", since, day("2024-03-03T00:00:00Z")) || c.UploadExpired("m/u", since, day("2024-03-02T23:00:00Z")) || c.UploadExpired("v/u", since, expired) {
		t.Error("upload abort dates")
	}
	if !c.HasAbortRule() {
		t.Error("HasAbortRule")
	}
}
