package lifecycle

import (
	"strings"
	"time"
)

// Object is what a rule looks at of one version.
type Object struct {
	Key      string
	Size     int64
	Tags     map[string]string
	Modified time.Time
}

// Enabled reports whether the rule is in effect.
func (r *Rule) Enabled() bool { return r.Status == "Enabled" }

// Matches reports whether the rule's filter selects o.
func (r *Rule) Matches(o Object) bool {
	if r.Prefix != nil {
		return strings.HasPrefix(o.Key, *r.Prefix)
	}
	f := r.Filter
	if f == nil {
		return true
	}
	if f.And != nil {
		a := f.And
		if a.Prefix != nil && !strings.HasPrefix(o.Key, *a.Prefix) {
			return false
		}
		for _, t := range a.Tags {
			if v, ok := o.Tags[t.Key]; !ok || v != t.Value {
				return false
			}
		}
		return sizeMatches(o.Size, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan)
	}
	if f.Prefix != nil && !strings.HasPrefix(o.Key, *f.Prefix) {
		return false
	}
	if f.Tag != nil {
		if v, ok := o.Tags[f.Tag.Key]; !ok || v != f.Tag.Value {
			return false
		}
	}
	return sizeMatches(o.Size, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan)
}

// sizeMatches: both bounds are strict (API LifecycleRuleFilter:
// "Minimum object size to which the rule applies", GreaterThan/LessThan).
func sizeMatches(size int64, gt, lt *int64) bool {
	return (gt == nil || size > *gt) && (lt == nil || size < *lt)
}

// PrefixOf is the key prefix the rule is limited to ("" for none or a
// filter that is not a plain prefix: those cannot narrow a listing).
func (r *Rule) PrefixOf() string {
	switch {
	case r.Prefix != nil:
		return *r.Prefix
	case r.Filter == nil:
		return ""
	case r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	case r.Filter.And != nil && r.Filter.And.Prefix != nil:
		return *r.Filter.And.Prefix
	}
	return ""
}

// afterDays is when an age of days counted from t is reached, as S3
// counts it: t plus days, rounded up to the next midnight UTC ("Amazon S3
// calculates the time by adding the number of days specified in the rule
// to the object creation time and rounding the resulting time to the next
// day midnight UTC": User Guide, "Lifecycle configuration elements").
func afterDays(t time.Time, days int) time.Time {
	end := t.UTC().AddDate(0, 0, days)
	day := end.Truncate(24 * time.Hour)
	if day.Equal(end) {
		return day
	}
	return day.Add(24 * time.Hour)
}

// httpDate is HTTP's date format (RFC 9110 IMF-fixdate).
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// Expiry is when a current version expires and by which rule.
type Expiry struct {
	At     time.Time
	RuleID string
}

// CurrentExpiry is the earliest expiry of the current version o by the
// enabled Expiration Days/Date rules that select it; ok false when none
// does. It is both the x-amz-expiration answer and the executor's test.
func (c *Configuration) CurrentExpiry(o Object) (Expiry, bool) {
	var best Expiry
	found := false
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if !r.Enabled() || e == nil || (e.Days == nil && e.Date == nil) || !r.Matches(o) {
			continue
		}
		var at time.Time
		if e.Days != nil {
			at = afterDays(o.Modified, *e.Days)
		} else {
			d, err := parseDate(*e.Date)
			if err != nil {
				continue
			}
			at = d
		}
		if !found || at.Before(best.At) {
			best, found = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, found
}

// HeaderValue is the x-amz-expiration header for an expiry
// (`expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`:
// HeadObject, Amazon S3 API Reference).
func (e Expiry) HeaderValue() string {
	return `expiry-date="` + e.At.UTC().Format(httpDate) + `", rule-id="` + e.RuleID + `"`
}

// NoncurrentState is where a noncurrent version stands: Since is when it
// became noncurrent (the newer version's time), Newer how many noncurrent
// versions of the key are newer than it.
type NoncurrentState struct {
	Since time.Time
	Newer int
}

// NoncurrentExpired returns the enabled NoncurrentVersionExpiration
// rule that removes o at now, if any: one that selects o, whose
// NoncurrentDays have passed since nc.Since (rounded as afterDays), and
// whose NewerNoncurrentVersions newer noncurrent versions remain.
func (c *Configuration) NoncurrentExpired(o Object, nc NoncurrentState, now time.Time) (*Rule, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		n := r.NoncurrentVersionExpiration
		if !r.Enabled() || n == nil || n.NoncurrentDays == nil || !r.Matches(o) {
			continue
		}
		if n.NewerNoncurrentVersions != nil && nc.Newer < *n.NewerNoncurrentVersions {
			continue
		}
		if !now.Before(afterDays(nc.Since, *n.NoncurrentDays)) {
			return r, true
		}
	}
	return nil, false
}

// RemovesExpiredMarker reports whether an enabled rule with
// ExpiredObjectDeleteMarker selects the key of a delete marker that is the
// only version left.
func (c *Configuration) RemovesExpiredMarker(key string) (string, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if r.Enabled() && e != nil && e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker && r.Matches(Object{Key: key}) {
			return r.ID, true
		}
	}
	return "", false
}

// AbortAfter is the DaysAfterInitiation of the enabled rules that select
// uploads of key (the shortest; ok false when none does).
func (c *Configuration) AbortAfter(key string) (days int, ok bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if !r.Enabled() || a == nil || a.DaysAfterInitiation == nil || !r.Matches(Object{Key: key}) {
			continue
		}
		if !ok || *a.DaysAfterInitiation < days {
			days, ok = *a.DaysAfterInitiation, true
		}
	}
	return days, ok
}

// UploadExpired reports whether an upload of key initiated at started is
// aborted by a rule at now.
func (c *Configuration) UploadExpired(key string, started, now time.Time) bool {
	days, ok := c.AbortAfter(key)
	return ok && !now.Before(afterDays(started, days))
}

// HasAbortRule reports whether some enabled rule aborts uploads: such a
// bucket is left to its rules by the server-wide abort_incomplete_after.
func (c *Configuration) HasAbortRule() bool {
	for i := range c.Rules {
		if c.Rules[i].Enabled() && c.Rules[i].AbortIncompleteMultipartUpload != nil {
			return true
		}
	}
	return false
}
