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
	for _, s := range []string{"", "MD55", "crc", "CRC32CC", "sha", "\u017fha1", "crc32 "} {
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
		// Python's hashlib.
		"MD5":    "XUFAKrxLKna5cZ2REBfFkg==",
		"SHA512": "m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==",
		// The reference C library (libxxhash 0.8.1: XXH64 seed 0,
		// XXH3_64bits, XXH3_128bits high half first), big-endian as S3
		// encodes every integer checksum.
		"XXHASH64":  "JseCfYifbaM=",
		"XXHASH3":   "lVXoVVxi3P0=",
		"XXHASH128": "tenBrQcbPn/Hec+qXlI4GA==",
	} {
		h := New(algo)
		h.Write([]byte("hello"))
		if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s(hello) = %s, want %s", algo, got, want)
		}
	}
}
