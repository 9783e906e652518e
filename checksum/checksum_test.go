package checksum

import (
	"encoding/base64"
	"net/textproto"
	"testing"
)

func TestNames(t *testing.T) {
	for _, a := range Algorithms {
		if !Valid(a) {
			t.Errorf("Valid(%q) = false", a)
		}
		if New(a) == nil {
			t.Errorf("New(%q) = nil", a)
		}
		for _, s := range []string{a, textproto.CanonicalMIMEHeaderKey(a)} {
			if got := Parse(s); got != a {
				t.Errorf("Parse(%q) = %q, want %q", s, got, a)
			}
		}
		want := textproto.CanonicalMIMEHeaderKey("x-amz-checksum-" + a)
		if got := HeaderName(a); got != want {
			t.Errorf("HeaderName(%q) = %q, want %q", a, got, want)
		}
	}
	// Only ASCII case folds: U+017F (long s) upper-cases to S.
	for _, s := range []string{"", "MD5", "crc", "CRC32CC", "sha", "\u017fha1", "crc32 "} {
		if Valid(s) || Parse(s) != "" || New(s) != nil {
			t.Errorf("%q accepted", s)
		}
	}
	if Valid("crc32") {
		t.Error("Valid is exact")
	}
}

// The hashes are S3's: CRC32 of "hello" is NhCmhg== in x-amz-checksum-crc32.
func TestNewKnownValues(t *testing.T) {
	for algo, want := range map[string]string{
		"CRC32":  "NhCmhg==",
		"CRC32C": "mnG7TA==",
		"SHA1":   "qvTGHdzF6KLavt4PO0gs2a6pQ00=",
		"SHA256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
	} {
		h := New(algo)
		h.Write([]byte("hello"))
		if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s(hello) = %s, want %s", algo, got, want)
		}
	}
}
