package caddys3

import (
	"encoding/base64"
	"hash"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// checksumElements are S3's checksum elements, one per algorithm, in the
// documents that carry them (CompleteMultipartUpload's parts and result,
// ListParts' parts, CopyObjectResult, CopyPartResult).
type checksumElements struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumMD5       string `xml:"ChecksumMD5,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumSHA512    string `xml:"ChecksumSHA512,omitempty"`
	ChecksumXXHASH128 string `xml:"ChecksumXXHASH128,omitempty"`
	ChecksumXXHASH3   string `xml:"ChecksumXXHASH3,omitempty"`
	ChecksumXXHASH64  string `xml:"ChecksumXXHASH64,omitempty"`
}

// field is the element of algo (one of checksum.Algorithms).
func (c *checksumElements) field(algo string) *string {
	switch algo {
	case "CRC32":
		return &c.ChecksumCRC32
	case "CRC32C":
		return &c.ChecksumCRC32C
	case "CRC64NVME":
		return &c.ChecksumCRC64NVME
	case "MD5":
		return &c.ChecksumMD5
	case "SHA1":
		return &c.ChecksumSHA1
	case "SHA256":
		return &c.ChecksumSHA256
	case "SHA512":
		return &c.ChecksumSHA512
	case "XXHASH128":
		return &c.ChecksumXXHASH128
	case "XXHASH3":
		return &c.ChecksumXXHASH3
	case "XXHASH64":
		return &c.ChecksumXXHASH64
	}
	return nil
}

// checksumXML fills the elements of the checksums (by algorithm).
func checksumXML(sums map[string]string) checksumElements {
	var c checksumElements
	for algo, v := range sums {
		if f := c.field(algo); f != nil {
			*f = v
		}
	}
	return c
}

// byAlgorithm returns the elements present (whitespace trimmed), by
// algorithm; nil for none.
func (c *checksumElements) byAlgorithm() map[string]string {
	var m map[string]string
	for _, algo := range checksum.Algorithms {
		if v := strings.TrimSpace(*c.field(algo)); v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[algo] = v
		}
	}
	return m
}

// objectChecksum is the algorithm and type of an object's checksum ("" for
// an object without one): a single PUT's covers the whole object
// (FULL_OBJECT), a multipart object's is of the upload's algorithm and type.
func objectChecksum(m fsstore.ObjectMeta) (algo, typ string) {
	algo = m.ChecksumAlgorithm
	if algo == "" {
		for a := range m.Checksums {
			if checksum.Valid(a) && (algo == "" || a < algo) {
				algo = a
			}
		}
	}
	if algo == "" || m.Checksums[algo] == "" {
		return "", ""
	}
	if typ = m.ChecksumType; typ == "" {
		typ = "FULL_OBJECT"
	}
	return algo, typ
}

// requestedAlgorithm parses x-amz-checksum-algorithm (CreateMultipartUpload,
// CopyObject): "" when absent, in any case, or S3's refusal.
func requestedAlgorithm(hdr http.Header) (string, error) {
	v := strings.TrimSpace(hdr.Get("X-Amz-Checksum-Algorithm"))
	if v == "" {
		return "", nil
	}
	algo := checksum.Parse(v)
	if algo == "" {
		return "", newTextError(s3err.ChecksumAlgorithmUnsupported)
	}
	return algo, nil
}

// hashingReader computes a checksum of what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// withComputedChecksum wraps body so that S3 computes algo's checksum of
// it, as it does for a part of an upload that sent none, an
// UploadPartCopy and a CopyObject asking for a new algorithm. The
// returned function adds it to verified's (which may be nil); like
// verified it is valid once body returned io.EOF.
func withComputedChecksum(body io.Reader, algo string, verified func() map[string]string) (io.Reader, func() map[string]string) {
	hr := &hashingReader{r: body, h: checksum.New(algo)}
	return hr, func() map[string]string {
		var m map[string]string
		if verified != nil {
			m = maps.Clone(verified())
		}
		if m == nil {
			m = map[string]string{}
		}
		m[algo] = base64.StdEncoding.EncodeToString(hr.h.Sum(nil))
		return m
	}
}

// checksumRuleError answers a Complete that broke a checksum rule with
// AWS's text for it.
func checksumRuleError(e *fsstore.ChecksumRuleError) *apiError {
	lower := strings.ToLower
	switch e.Rule {
	case fsstore.PartChecksumInvalid:
		return newTextError(s3err.PartChecksumInvalid).withCause(e).
			with("ArgumentName", "Checksum").with("ArgumentValue", e.Value)
	case fsstore.PartChecksumWrong:
		return newTextError(s3err.PartChecksumWrong).withCause(e).with("UploadId", e.UploadID).
			with("PartNumber", strconv.Itoa(e.PartNumber)).with("ETag", e.Value)
	case fsstore.PartChecksumOtherAlgorithm:
		return newTextError(s3err.PartChecksumOtherAlgorithm, lower(e.Actual), e.PartNumber).withCause(e)
	case fsstore.ObjectChecksumTypeMismatch:
		return newTextError(s3err.ChecksumTypeMismatch, nullName(e.Algorithm), lower(e.Actual)).withCause(e)
	case fsstore.ChecksumModeMismatch:
		return newTextError(s3err.CompleteChecksumMode, e.Algorithm).withCause(e)
	}
	return newError(s3err.InternalError).withCause(e)
}

// nullName is an algorithm as S3 names it in a type mismatch: lower case,
// "null" for none.
func nullName(algo string) string {
	if algo == "" {
		return "null"
	}
	return strings.ToLower(algo)
}

// postChecksum reads a POST upload's x-amz-checksum-<algo> form field
// ("" when none) with the rules of the header: one field, a known
// algorithm, a valid value (versitygw's PostObject_invalid_checksum_value,
// _invalid_checksum_algorithm, _multiple_checksum_headers).
func postChecksum(fields map[string]string) (algo, value string, err error) {
	for name, v := range fields {
		rest, ok := strings.CutPrefix(name, "x-amz-checksum-")
		if !ok || rest == "algorithm" || rest == "type" || rest == "mode" {
			continue
		}
		a := checksum.Parse(rest)
		switch {
		case a == "":
			return "", "", newTextError(s3err.ChecksumFieldUnknown)
		case algo != "":
			return "", "", newTextError(s3err.ChecksumHeadersMultiple)
		}
		if _, ok := checksum.Decode(a, v); !ok {
			return "", "", newTextError(s3err.ChecksumHeaderInvalid, name)
		}
		algo, value = a, v
	}
	return algo, value, nil
}

// verifyingReader checks at the end of body that its algo checksum is
// want, and answers BadDigest instead of io.EOF when it is not, so the
// store never publishes it.
type verifyingReader struct {
	hashingReader
	algo, want string
}

func newVerifyingReader(body io.Reader, algo, want string) *verifyingReader {
	return &verifyingReader{hashingReader{r: body, h: checksum.New(algo)}, algo, want}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.hashingReader.Read(p)
	if err == io.EOF && base64.StdEncoding.EncodeToString(v.h.Sum(nil)) != v.want {
		return n, newTextError(s3err.ChecksumMismatch, v.algo)
	}
	return n, err
}
