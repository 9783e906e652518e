package lifecycle

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse: any body is a configuration or a lifecycle.Error, never a
// panic; an accepted one survives the store's round trip and can be
// evaluated.
func FuzzParse(f *testing.F) {
	f.Add([]byte(doc(rule("<Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Expiration><Days>1</Days></Expiration>"))))
	f.Add([]byte(doc(rule("<Prefix>x</Prefix><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>"))))
	f.Add([]byte(doc(rule("<Filter/><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"))))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := Parse(body)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a lifecycle.Error", err)
			}
			return
		}
		b, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(b)
		if err != nil || len(back.Rules) != len(c.Rules) {
			t.Fatalf("round trip: %v", err)
		}
		now := time.Now()
		o := Object{Key: "a/b", Size: 5, Tags: map[string]string{"k": "v"}, Modified: now}
		back.CurrentExpiry(o)
		back.NoncurrentExpired(o, NoncurrentState{Since: now, Newer: 1}, now)
		back.RemovesExpiredMarker("a")
		back.UploadExpired("a", now, now)
	})
}
