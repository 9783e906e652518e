package fsstore

import (
	"strconv"
	"strings"
)

// ObjectPart is one part of an object made by CompleteMultipartUpload,
// as GetObject ?partNumber= and GetObjectAttributes (ObjectParts) need
// it.
type ObjectPart struct {
	PartNumber int   // the number the part was uploaded with
	Size       int64 // its bytes in the object
	// Checksum is the part's checksum of the object's ChecksumAlgorithm
	// (base64), kept only for a COMPOSITE checksum: "" otherwise.
	Checksum string
}

// partsRecord is the compact stored form of a multipart object's part
// list (metaRecord "pt"). Parts are runs of consecutive part numbers of
// one size ([first number, count, size]): a client's uniform part size
// makes two runs whatever the number of parts. The parts' checksums (a
// COMPOSITE upload) follow in part order.
type partsRecord struct {
	Runs [][3]int64 `json:"r"`
	Sums []string   `json:"k,omitempty"`
}

// The part list lives in the object's metadata record, an xattr that
// ext4 limits to one block (4 KiB) with the rest of the record: an
// upload whose list would not fit keeps what fits. Past maxPartRuns runs
// (parts of many different sizes) no list is kept, past maxPartSums bytes
// of checksums the list is kept without them. See partsOf.
const (
	maxPartRuns = 48
	maxPartSums = 1536
)

// partsRecordOf is the record of parts (nil for none, or for a list
// that cannot be kept).
func partsRecordOf(parts []ObjectPart) *partsRecord {
	if len(parts) == 0 {
		return nil
	}
	r := &partsRecord{}
	sums := 0
	for _, p := range parts {
		n := len(r.Runs)
		if n > 0 && r.Runs[n-1][0]+r.Runs[n-1][1] == int64(p.PartNumber) && r.Runs[n-1][2] == p.Size {
			r.Runs[n-1][1]++
		} else if n == maxPartRuns {
			return nil
		} else {
			r.Runs = append(r.Runs, [3]int64{int64(p.PartNumber), 1, p.Size})
		}
		if p.Checksum != "" {
			sums += len(p.Checksum)
			r.Sums = append(r.Sums, p.Checksum)
		}
	}
	if len(r.Sums) != len(parts) || sums > maxPartSums {
		r.Sums = nil
	}
	return r
}

// parts expands the record; nil when it is absent or damaged.
func (r *partsRecord) parts() []ObjectPart {
	if r == nil {
		return nil
	}
	var out []ObjectPart
	for _, run := range r.Runs {
		if run[0] < 1 || run[1] < 1 || run[2] < 0 || len(out)+int(run[1]) > maxUploadParts {
			return nil
		}
		for i := int64(0); i < run[1]; i++ {
			out = append(out, ObjectPart{PartNumber: int(run[0] + i), Size: run[2]})
		}
	}
	if len(r.Sums) == len(out) {
		for i := range out {
			out[i].Checksum = r.Sums[i]
		}
	}
	return out
}

// maxUploadParts is S3's limit on the parts of one upload.
const maxUploadParts = 10000

// objectParts is the part list Complete keeps for the object joined from
// used: sizes always, the checksums of a COMPOSITE upload of algorithm
// algo.
func objectParts(used []Part, algo, typ string) []ObjectPart {
	out := make([]ObjectPart, len(used))
	for i, p := range used {
		out[i] = ObjectPart{PartNumber: p.PartNumber, Size: p.Size}
		if algo != "" && typ != "FULL_OBJECT" {
			out[i].Checksum = p.Checksums[algo]
		}
	}
	return out
}

// Parts is the part list of an object made by CompleteMultipartUpload:
// nil for an object of one PUT, and for a multipart object written
// before part lists were kept or whose list was too long to keep (see
// maxPartRuns; PartsCount still knows how many parts it has).
func (m *ObjectMeta) Parts() []ObjectPart { return m.parts.parts() }

// PartsCount is the number of parts of a multipart object, from its ETag
// ("<md5>-<parts>"); 0 for an object of one PUT. It is known for objects
// written before part lists were kept, whose Parts is nil.
func (m *ObjectMeta) PartsCount() int {
	_, n, ok := strings.Cut(m.ETag, "-")
	if !ok {
		return 0
	}
	c, err := strconv.Atoi(n)
	if err != nil || c < 1 {
		return 0
	}
	return c
}
