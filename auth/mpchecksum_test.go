package auth

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func b64sum(algo string, data []byte) string {
	h := newHash(algo)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// The combined CRC of the parts equals the CRC of the whole object.
func TestFullObjectChecksum(t *testing.T) {
	data := make([]byte, 3<<20+12345)
	_, _ = rand.Read(data)
	splits := [][]int{{len(data)}, {1, len(data) - 1}, {1 << 20, 1 << 20, 1<<20 + 12345}, {0, len(data)}}
	for _, algo := range []string{"CRC32", "CRC32C", "CRC64NVME"} {
		want := b64sum(algo, data)
		for _, sizes := range splits {
			var parts []PartChecksum
			off := 0
			for _, n := range sizes {
				parts = append(parts, PartChecksum{Value: b64sum(algo, data[off:off+n]), Size: int64(n)})
				off += n
			}
			got, err := FullObjectChecksum(algo, parts)
			if err != nil || got != want {
				t.Errorf("%s %v: got %s (%v), want %s", algo, sizes, got, err, want)
			}
		}
	}
	if _, err := FullObjectChecksum("SHA256", nil); err == nil {
		t.Error("SHA256 cannot be combined")
	}
	if _, err := FullObjectChecksum("CRC32", []PartChecksum{{Value: "!!", Size: 1}}); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestCompositeChecksum(t *testing.T) {
	a, b := []byte("part one"), []byte("part two")
	for _, algo := range []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} {
		pa, pb := b64sum(algo, a), b64sum(algo, b)
		rawA, _ := base64.StdEncoding.DecodeString(pa)
		rawB, _ := base64.StdEncoding.DecodeString(pb)
		want := b64sum(algo, append(rawA, rawB...)) + "-2"
		got, err := CompositeChecksum(algo, []PartChecksum{{Value: pa}, {Value: pb}})
		if err != nil || got != want {
			t.Errorf("%s: got %s (%v), want %s", algo, got, err, want)
		}
		if !strings.HasSuffix(got, "-2") {
			t.Errorf("%s: no part count", algo)
		}
	}
	if _, err := CompositeChecksum("CRC32", []PartChecksum{{Value: base64.StdEncoding.EncodeToString([]byte("toolong!"))}}); err == nil {
		t.Error("wrong-length checksum accepted")
	}
}
