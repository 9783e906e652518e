// Package lifecycle is S3's bucket lifecycle configuration: the document
// of PutBucketLifecycleConfiguration (Amazon S3 API Reference), its
// validation with S3's error codes, and the pure decisions taken from it
// (does a rule apply to a version, when does an object expire). It knows
// neither HTTP nor the store; package lifecycle/executor applies it.
package lifecycle

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/caddys3/caddys3/s3err"
)

// MaxRules is S3's limit of rules in one configuration ("up to 1,000
// rules. This limit is not adjustable": PutBucketLifecycleConfiguration).
const MaxRules = 1000

// Configuration is the LifecycleConfiguration document. The same struct
// is stored (as JSON) and answered (as XML), so GET returns what was put,
// normalized (IDs filled in, dates in one layout).
type Configuration struct {
	XMLName xml.Name `xml:"LifecycleConfiguration" json:"-"`
	Xmlns   string   `xml:"xmlns,attr,omitempty" json:"-"`
	Rules   []Rule   `xml:"Rule" json:"rules"`
}

// Rule is one lifecycle rule.
type Rule struct {
	ID string `xml:"ID,omitempty" json:"id,omitempty"`
	// Prefix is the V1 (legacy) form of a prefix filter, outside Filter.
	Prefix     *string     `xml:"Prefix" json:"prefix,omitempty"`
	Filter     *Filter     `xml:"Filter" json:"filter,omitempty"`
	Status     string      `xml:"Status" json:"status"`
	Expiration *Expiration `xml:"Expiration" json:"exp,omitempty"`
	// Transitions are parsed only to be refused (LifecycleTransition).
	Transitions                    []struct{}  `xml:"Transition" json:"-"`
	NoncurrentVersionTransitions   []struct{}  `xml:"NoncurrentVersionTransition" json:"-"`
	NoncurrentVersionExpiration    *Noncurrent `xml:"NoncurrentVersionExpiration" json:"nc,omitempty"`
	AbortIncompleteMultipartUpload *Abort      `xml:"AbortIncompleteMultipartUpload" json:"abort,omitempty"`
}

// Filter selects the objects of a rule: at most one of its elements; none
// selects every object.
type Filter struct {
	Prefix                *string `xml:"Prefix" json:"prefix,omitempty"`
	Tag                   *Tag    `xml:"Tag" json:"tag,omitempty"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan" json:"gt,omitempty"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan" json:"lt,omitempty"`
	And                   *And    `xml:"And" json:"and,omitempty"`
}

// And is the conjunction of several predicates.
type And struct {
	Prefix                *string `xml:"Prefix" json:"prefix,omitempty"`
	Tags                  []Tag   `xml:"Tag" json:"tags,omitempty"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan" json:"gt,omitempty"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan" json:"lt,omitempty"`
}

// Tag is one key=value predicate.
type Tag struct {
	Key   string `xml:"Key" json:"k"`
	Value string `xml:"Value" json:"v"`
}

// Expiration expires current versions (Days or Date) or removes expired
// object delete markers: exactly one of the three.
type Expiration struct {
	Days                      *int    `xml:"Days" json:"days,omitempty"`
	Date                      *string `xml:"Date" json:"date,omitempty"`
	ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker" json:"eodm,omitempty"`
}

// Noncurrent removes noncurrent versions NoncurrentDays after they became
// noncurrent, keeping the NewerNoncurrentVersions newest of them.
type Noncurrent struct {
	NoncurrentDays          *int `xml:"NoncurrentDays" json:"days,omitempty"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions" json:"newer,omitempty"`
}

// Abort aborts multipart uploads DaysAfterInitiation after they began.
type Abort struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation" json:"days,omitempty"`
}

// Error is a refused configuration: an S3 code with its default message,
// or one of AWS's texts.
type Error struct {
	Code  s3err.Code
	Text  *s3err.Text
	Cause error
}

func (e *Error) Error() string {
	if e.Text != nil {
		return "lifecycle: " + e.Text.Message()
	}
	if e.Cause != nil {
		return fmt.Sprintf("lifecycle: %s: %v", e.Code, e.Cause)
	}
	return "lifecycle: " + string(e.Code)
}

func (e *Error) Unwrap() error { return e.Cause }

func malformed(cause error) *Error { return &Error{Code: s3err.MalformedXML, Cause: cause} }

func refused(t s3err.Text) *Error { return &Error{Code: t.Code, Text: &t} }

// dateLayout is how GET answers a Date (S3's timestamp format).
const dateLayout = "2006-01-02T15:04:05.000Z"

// Parse reads and validates a PutBucketLifecycleConfiguration body. It
// fills in missing rule IDs (S3 assigns one) and normalizes dates.
func Parse(body []byte) (*Configuration, error) {
	var c Configuration
	if err := xml.Unmarshal(body, &c); err != nil {
		return nil, malformed(err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// validate checks the configuration in the order S3 reports problems:
// the document's shape (MalformedXML) before its values.
func (c *Configuration) validate() error {
	// More than 1,000 rules: S3 answers MalformedXML (its schema's limit;
	// observed in an AWS SDK log putting 1,127 rules).
	if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
		return malformed(fmt.Errorf("%d rules", len(c.Rules)))
	}
	ids := make(map[string]bool, len(c.Rules))
	v1, v2 := false, false
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := r.validate(); err != nil {
			return err
		}
		if r.Prefix != nil {
			v1 = true
		} else {
			v2 = true
		}
		if v1 && v2 {
			return refused(s3err.LifecycleFilterInV1)
		}
		if r.ID == "" {
			r.ID = newRuleID()
		}
		if ids[r.ID] {
			return refused(s3err.LifecycleIDDuplicate)
		}
		ids[r.ID] = true
	}
	return nil
}

func (r *Rule) validate() error {
	if r.Status != "Enabled" && r.Status != "Disabled" {
		return malformed(fmt.Errorf("status %q", r.Status))
	}
	if (r.Prefix == nil) == (r.Filter == nil) {
		return malformed(fmt.Errorf("rule %q: needs exactly one of Prefix and Filter", r.ID))
	}
	if len(r.ID) > 255 {
		return refused(s3err.LifecycleIDTooLong)
	}
	if r.Filter != nil {
		if err := r.Filter.validate(); err != nil {
			return err
		}
	}
	if len(r.Transitions) > 0 || len(r.NoncurrentVersionTransitions) > 0 {
		return refused(s3err.LifecycleTransition)
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return refused(s3err.LifecycleNoAction)
	}
	tags, sizes := r.filtersTags(), r.filtersSize()
	if e := r.Expiration; e != nil {
		if err := e.validate(tags, sizes); err != nil {
			return err
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil {
			return malformed(fmt.Errorf("rule %q: NoncurrentVersionExpiration without NoncurrentDays", r.ID))
		}
		if *n.NoncurrentDays <= 0 {
			return refused(s3err.LifecycleNoncurrentDays)
		}
		if v := n.NewerNoncurrentVersions; v != nil && (*v <= 0 || *v > 100) {
			return refused(s3err.LifecycleNewerNoncurrent)
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		switch {
		case a.DaysAfterInitiation == nil:
			return malformed(fmt.Errorf("rule %q: AbortIncompleteMultipartUpload without DaysAfterInitiation", r.ID))
		case *a.DaysAfterInitiation <= 0:
			return refused(s3err.LifecycleAbortDays)
		case tags:
			return refused(s3err.LifecycleAbortWithTags)
		case sizes:
			return refused(s3err.LifecycleAbortWithSize)
		}
	}
	return nil
}

func (e *Expiration) validate(tags, sizes bool) error {
	n := 0
	for _, set := range []bool{e.Days != nil, e.Date != nil, e.ExpiredObjectDeleteMarker != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return malformed(fmt.Errorf("Expiration needs exactly one of Days, Date, ExpiredObjectDeleteMarker"))
	}
	switch {
	case e.Days != nil && *e.Days <= 0:
		return refused(s3err.LifecycleDays)
	case e.Date != nil:
		t, err := parseDate(*e.Date)
		if err != nil {
			return malformed(err)
		}
		if !t.Equal(t.Truncate(24 * time.Hour)) {
			return refused(s3err.LifecycleDateMidnight)
		}
		norm := t.Format(dateLayout)
		e.Date = &norm
	case e.ExpiredObjectDeleteMarker != nil && tags:
		return refused(s3err.LifecycleMarkerWithTags)
	case e.ExpiredObjectDeleteMarker != nil && sizes:
		return refused(s3err.LifecycleMarkerWithSize)
	}
	return nil
}

// parseDate reads an ISO 8601 date-time ("2026-01-01T00:00:00Z", with or
// without fractional seconds or an offset) or a bare date.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", s, err)
	}
	return t, nil
}

func (f *Filter) validate() error {
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return malformed(fmt.Errorf("Filter holds %d predicates outside And", n))
	}
	if err := sizesValid(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan); err != nil {
		return err
	}
	if a := f.And; a != nil {
		seen := map[string]bool{}
		for _, t := range a.Tags {
			if seen[t.Key] {
				return refused(s3err.LifecycleDuplicateTagKey)
			}
			seen[t.Key] = true
		}
		if err := sizesValid(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan); err != nil {
			return err
		}
		if gt, lt := a.ObjectSizeGreaterThan, a.ObjectSizeLessThan; gt != nil && lt != nil && *lt <= *gt {
			return refused(s3err.LifecycleSizeRange)
		}
	}
	return nil
}

func sizesValid(sizes ...*int64) error {
	for _, s := range sizes {
		if s != nil && *s < 0 {
			return malformed(fmt.Errorf("negative object size %d", *s))
		}
	}
	return nil
}

func (r *Rule) filtersTags() bool {
	f := r.Filter
	return f != nil && (f.Tag != nil || f.And != nil && len(f.And.Tags) > 0)
}

func (r *Rule) filtersSize() bool {
	f := r.Filter
	if f == nil {
		return false
	}
	if f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return true
	}
	return f.And != nil && (f.And.ObjectSizeGreaterThan != nil || f.And.ObjectSizeLessThan != nil)
}

// newRuleID is the ID S3 gives a rule sent without one (a random string).
func newRuleID() string { return rand.Text() }

// Encode is the configuration as stored with the bucket.
func (c *Configuration) Encode() ([]byte, error) { return json.Marshal(c) }

// Decode reads a stored configuration (nil, nil for none).
func Decode(b []byte) (*Configuration, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var c Configuration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("lifecycle: stored configuration: %w", err)
	}
	return &c, nil
}
