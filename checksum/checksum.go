// Package checksum holds what S3 means by a checksum: the algorithm names,
// their hashes, and the checksum of a multipart object combined from its
// parts' checksums. It is pure: no HTTP, no storage.
package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"

	"github.com/cespare/xxhash/v2"
	"github.com/minio/crc64nvme"
	"github.com/zeebo/xxh3"
)

// Algorithms are the checksum algorithms S3 knows, as it names them in
// x-amz-checksum-algorithm and in XML (ChecksumCRC32, ...), in the order
// S3 lists them in its "valid types" message. They are the values of the
// current SDKs' ChecksumAlgorithm enum (aws-sdk-go-v2 service/s3/types
// v1.114: CRC32, CRC32C, SHA1, SHA256, CRC64NVME, SHA512, MD5, XXHASH64,
// XXHASH3, XXHASH128).
var Algorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "MD5", "SHA1", "SHA256", "SHA512", "XXHASH128", "XXHASH3", "XXHASH64"}

// IsCRC reports whether algo is a CRC: the only algorithms whose
// multipart checksum may be FULL_OBJECT (combined from the parts' CRCs).
func IsCRC(algo string) bool {
	_, ok := crcSpecs[algo]
	return ok
}

// Legacy reports whether algo is one of the five algorithms S3 had before
// it added MD5, SHA512 and the xxHashes; some rules differ for the newer
// ones (an unexpected whole-object checksum on Complete is refused, not
// ignored).
func Legacy(algo string) bool {
	switch algo {
	case "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256":
		return true
	}
	return false
}

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
// Algorithms. CRC and xxHash sums are big-endian, as S3 sends them.
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
	case "SHA512":
		return sha512.New()
	case "MD5":
		return md5.New()
	case "XXHASH64":
		return xxhash.New()
	case "XXHASH3":
		return xxh3.New()
	case "XXHASH128":
		return xxh3.New128()
	}
	return nil
}

// Decode returns the digest a base64 checksum value of algo stands for.
// Only the canonical encoding of a digest of algo's size is accepted:
// Go's decoder skips CR and LF, so "AAAA\r==" would verify while another
// string is stored and echoed.
func Decode(algo, value string) ([]byte, bool) {
	h := New(algo)
	if h == nil {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(b) != h.Size() || base64.StdEncoding.EncodeToString(b) != value {
		return nil, false
	}
	return b, true
}
