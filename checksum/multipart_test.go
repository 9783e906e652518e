package checksum

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func b64sum(algo string, data []byte) string {
	h := New(algo)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// The combined CRC of the parts equals the CRC of the whole object.
func TestFullObject(t *testing.T) {
	data := make([]byte, 3<<20+12345)
	_, _ = rand.Read(data)
	splits := [][]int{{len(data)}, {1, len(data) - 1}, {1 << 20, 1 << 20, 1<<20 + 12345}, {0, len(data)}}
	for _, algo := range []string{"CRC32", "CRC32C", "CRC64NVME"} {
		want := b64sum(algo, data)
		for _, sizes := range splits {
			var parts []Part
			off := 0
			for _, n := range sizes {
				parts = append(parts, Part{Value: b64sum(algo, data[off:off+n]), Size: int64(n)})
				off += n
			}
			got, err := FullObject(algo, parts)
			if err != nil || got != want {
				t.Errorf("%s %v: got %s (%v), want %s", algo, sizes, got, err, want)
			}
		}
	}
	// Every second-part length up to 300 bytes: each bit pattern of len(B)
	// through the squaring loop.
	for _, algo := range []string{"CRC32", "CRC32C", "CRC64NVME"} {
		for n := 0; n <= 300; n++ {
			a, b := data[:17], data[17:17+n]
			parts := []Part{{Value: b64sum(algo, a), Size: 17}, {Value: b64sum(algo, b), Size: int64(n)}}
			if got, err := FullObject(algo, parts); err != nil || got != b64sum(algo, data[:17+n]) {
				t.Fatalf("%s 17+%d: got %s (%v)", algo, n, got, err)
			}
		}
	}
	if _, err := FullObject("SHA256", nil); err == nil {
		t.Error("SHA256 cannot be combined")
	}
	if _, err := FullObject("CRC32", []Part{{Value: "!!", Size: 1}}); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestComposite(t *testing.T) {
	a, b := []byte("part one"), []byte("part two")
	for _, algo := range Algorithms {
		pa, pb := b64sum(algo, a), b64sum(algo, b)
		rawA, _ := base64.StdEncoding.DecodeString(pa)
		rawB, _ := base64.StdEncoding.DecodeString(pb)
		want := b64sum(algo, append(rawA, rawB...)) + "-2"
		got, err := Composite(algo, []Part{{Value: pa}, {Value: pb}})
		if err != nil || got != want {
			t.Errorf("%s: got %s (%v), want %s", algo, got, err, want)
		}
		if !strings.HasSuffix(got, "-2") {
			t.Errorf("%s: no part count", algo)
		}
	}
	if _, err := Composite("MD4", nil); err == nil {
		t.Error("MD4 is no checksum algorithm")
	}
	if _, err := Composite("CRC32", []Part{{Value: base64.StdEncoding.EncodeToString([]byte("toolong!"))}}); err == nil {
		t.Error("wrong-length checksum accepted")
	}
}
