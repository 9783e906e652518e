package checksum

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Multipart objects carry a checksum built from their parts' checksums:
// COMPOSITE is the checksum of the concatenated binary part checksums with
// "-<parts>" appended; FULL_OBJECT (CRC algorithms only) is the CRC of the
// whole object, combined from the part CRCs without reading any data.

// Part is one part's base64 checksum and its length in bytes.
type Part struct {
	Value string
	Size  int64
}

// Composite returns S3's COMPOSITE checksum of the parts.
func Composite(algo string, parts []Part) (string, error) {
	h := New(algo)
	if h == nil {
		return "", fmt.Errorf("checksum: unknown algorithm %q", algo)
	}
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if err != nil || len(raw) != h.Size() {
			return "", fmt.Errorf("checksum: part %d has no valid %s checksum", i+1, algo)
		}
		h.Write(raw)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), nil
}

// crcSpec describes a reflected CRC with all-ones init and final XOR.
type crcSpec struct {
	poly  uint64 // reversed polynomial
	width int
}

var crcSpecs = map[string]crcSpec{
	"CRC32":     {0xEDB88320, 32},
	"CRC32C":    {0x82F63B78, 32},
	"CRC64NVME": {0x9A6C9329AC4BC9B5, 64},
}

// FullObject combines part CRCs into the FULL_OBJECT checksum: the CRC of
// the whole object.
func FullObject(algo string, parts []Part) (string, error) {
	spec, ok := crcSpecs[algo]
	if !ok {
		return "", fmt.Errorf("checksum: FULL_OBJECT checksums need a CRC algorithm, not %q", algo)
	}
	var crc uint64
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if err != nil || len(raw) != spec.width/8 {
			return "", fmt.Errorf("checksum: part %d has no valid %s checksum", i+1, algo)
		}
		var v uint64
		if spec.width == 32 {
			v = uint64(binary.BigEndian.Uint32(raw))
		} else {
			v = binary.BigEndian.Uint64(raw)
		}
		if i == 0 {
			crc = v
		} else {
			crc = crcCombine(spec, crc, v, p.Size)
		}
	}
	out := make([]byte, spec.width/8)
	if spec.width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// crcCombine returns CRC(A||B) from CRC(A), CRC(B) and len(B), by applying
// len(B) zero bytes to CRC(A) as GF(2) matrix powers (zlib's crc32_combine,
// generalised to 64-bit CRCs).
func crcCombine(spec crcSpec, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	even := make([]uint64, spec.width)
	odd := make([]uint64, spec.width)
	odd[0] = spec.poly // the operator for one zero bit
	row := uint64(1)
	for n := 1; n < spec.width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	op, next := odd, even
	for len2 != 0 {
		gf2Square(next, op) // one zero byte in the first round, then 2, 4, ...
		op, next = next, op
		if len2&1 != 0 {
			crc1 = gf2Times(op, crc1)
		}
		len2 >>= 1
	}
	return crc1 ^ crc2
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
