// Package checksum holds what S3 means by a checksum: the algorithm names,
// their hashes, and the checksum of a multipart object combined from its
// parts' checksums. It is pure: no HTTP, no storage.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"hash/crc32"

	"github.com/minio/crc64nvme"
)

// Algorithms are the checksum algorithms S3 knows, as it names them in
// x-amz-checksum-algorithm and in XML (ChecksumCRC32, ...).
var Algorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}

// Valid reports whether algo is one of Algorithms (exact, upper case).
func Valid(algo string) bool {
	for _, a := range Algorithms {
		if a == algo {
			return true
		}
	}
	return false
}

// Parse returns the algorithm s names in any ASCII case ("crc32c" gives
// "CRC32C"), or "" when it names none.
func Parse(s string) string {
	for _, a := range Algorithms {
		if asciiEqualFold(s, a) {
			return a
		}
	}
	return ""
}

func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if asciiLower(s[i]) != asciiLower(t[i]) {
			return false
		}
	}
	return true
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// HeaderName returns the canonical request and response header of algo's
// value, "X-Amz-Checksum-Crc32" for "CRC32".
func HeaderName(algo string) string {
	if algo == "" {
		return "X-Amz-Checksum-"
	}
	b := []byte("X-Amz-Checksum-" + algo)
	for i := len("X-Amz-Checksum-") + 1; i < len(b); i++ {
		b[i] = asciiLower(b[i])
	}
	return string(b)
}

// New returns a new hash of algo, or nil when algo is not one of
// Algorithms. CRC sums are big-endian, as S3 sends them.
func New(algo string) hash.Hash {
	switch algo {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		return crc64nvme.New()
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}
