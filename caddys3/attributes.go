package caddys3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// GetObjectAttributes (Amazon S3 API Reference, "GetObjectAttributes")
// and GetObject/HeadObject of one part (?partNumber=).
//
// Which parts AWS lists: ObjectParts carries the part list (Part
// elements, paged by x-amz-max-parts and x-amz-part-number-marker) only
// for an object uploaded with a COMPOSITE checksum; other multipart
// objects answer TotalPartsCount alone (AWS Support's answer quoted in
// boto/boto3 issue 3509; localstack PR 12764, validated against AWS), and
// an object of one PUT has no ObjectParts. Objects written before this
// server kept part lists answer TotalPartsCount (from the ETag's "-N")
// alone, and answer ?partNumber= with NotImplemented (s3err.PartsUnknown).

// objectAttributes are the values x-amz-object-attributes may name.
var objectAttributes = []string{"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}

// attributeSet is what x-amz-object-attributes asks for.
type attributeSet map[string]bool

// parseAttributes reads the x-amz-object-attributes header values (a
// comma-separated list, possibly over several header lines).
func parseAttributes(values []string) (attributeSet, error) {
	set := attributeSet{}
	for _, v := range values {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			known := false
			for _, k := range objectAttributes {
				if a == k {
					known = true
				}
			}
			if !known {
				return nil, newTextError(s3err.AttributeInvalid)
			}
			set[a] = true
		}
	}
	if len(set) == 0 {
		return nil, newTextError(s3err.AttributesHeaderMissing)
	}
	return set, nil
}

// partPage is one page of the part list: parts after marker (a part
// number), at most max of them.
type partPage struct {
	parts     []fsstore.ObjectPart
	truncated bool
	next      int // the last part number of the page (0 when empty)
}

func pageParts(all []fsstore.ObjectPart, marker, max int) partPage {
	var p partPage
	for _, part := range all {
		if part.PartNumber <= marker {
			continue
		}
		if len(p.parts) == max {
			p.truncated = true
			break
		}
		p.parts = append(p.parts, part)
		p.next = part.PartNumber
	}
	return p
}

// pagingHeaders reads x-amz-max-parts (default and most 1000, as
// ListParts) and x-amz-part-number-marker: integers in 0..2147483647.
func pagingHeaders(h http.Header) (maxParts, marker int, err error) {
	maxParts, ok := headerInt(h, "X-Amz-Max-Parts", maxListParts)
	if !ok {
		return 0, 0, newTextError(s3err.MaxPartsInvalid)
	}
	if marker, ok = headerInt(h, "X-Amz-Part-Number-Marker", 0); !ok {
		return 0, 0, newTextError(s3err.PartNumberMarkerInvalid)
	}
	return min(maxParts, maxListParts), marker, nil
}

// headerInt reads an optional int32 header that may not be negative.
func headerInt(h http.Header, name string, def int) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return int(n), err == nil && n >= 0
}

type attributesResult struct {
	XMLName      xml.Name            `xml:"GetObjectAttributesResponse"`
	Xmlns        string              `xml:"xmlns,attr"`
	ETag         string              `xml:"ETag,omitempty"`
	Checksum     *attributesChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *attributesParts    `xml:"ObjectParts,omitempty"`
	StorageClass string              `xml:"StorageClass,omitempty"`
	ObjectSize   *int64              `xml:"ObjectSize,omitempty"`
}

type attributesChecksum struct {
	checksumElements
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type attributesParts struct {
	TotalPartsCount      int              `xml:"PartsCount"`
	PartNumberMarker     *int             `xml:"PartNumberMarker,omitempty"`
	NextPartNumberMarker *int             `xml:"NextPartNumberMarker,omitempty"`
	MaxParts             *int             `xml:"MaxParts,omitempty"`
	IsTruncated          *bool            `xml:"IsTruncated,omitempty"`
	Parts                []attributesPart `xml:"Part"`
}

type attributesPart struct {
	checksumElements
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// validateAttributes checks the request's headers before the object is
// looked at: S3 refuses a missing or invalid x-amz-object-attributes
// even for a key that does not exist (versitygw
// GetObjectAttributes_invalid_single_attribute).
func validateAttributes(req *request) error {
	if _, err := parseAttributes(req.r.Header.Values("X-Amz-Object-Attributes")); err != nil {
		return err
	}
	_, _, err := pagingHeaders(req.r.Header)
	return err
}

func (h *Handler) getObjectAttributes(req *request) (*response, error) {
	want, err := parseAttributes(req.r.Header.Values("X-Amz-Object-Attributes"))
	if err != nil {
		return nil, err
	}
	maxParts, marker, err := pagingHeaders(req.r.Header)
	if err != nil {
		return nil, err
	}
	m := req.object.Meta
	res := attributesResult{Xmlns: s3Namespace}
	if want["ETag"] {
		res.ETag = m.ETag // unquoted, as AWS sends it here
	}
	if want["StorageClass"] {
		res.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		res.ObjectSize = &m.Size
	}
	if want["Checksum"] {
		if algo, typ := objectChecksum(m); algo != "" {
			// A COMPOSITE checksum without its "-<parts>" (localstack's
			// AWS-validated GetObjectAttributes snapshots).
			v, _, _ := strings.Cut(m.Checksums[algo], "-")
			res.Checksum = &attributesChecksum{checksumElements: checksumXML(map[string]string{algo: v}), ChecksumType: typ}
		}
	}
	if want["ObjectParts"] {
		res.ObjectParts = objectPartsOf(m, marker, maxParts)
	}
	resp := &response{xml: res}
	resp.setHeader("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	if v := versionHeader(req.bucket, m); v != "" {
		resp.setHeader("X-Amz-Version-Id", v)
	}
	return resp, nil
}

// objectPartsOf is the ObjectParts element of m (nil for an object of one
// PUT): the page of parts after marker of a COMPOSITE upload, the count
// alone otherwise (see the comment at the top).
func objectPartsOf(m fsstore.ObjectMeta, marker, maxParts int) *attributesParts {
	count := m.PartsCount()
	if count == 0 {
		return nil
	}
	out := &attributesParts{TotalPartsCount: count}
	parts := m.Parts()
	if len(parts) == 0 || parts[0].Checksum == "" {
		return out
	}
	page := pageParts(parts, marker, maxParts)
	out.PartNumberMarker, out.MaxParts, out.IsTruncated = &marker, &maxParts, &page.truncated
	out.NextPartNumberMarker = &page.next
	out.Parts = make([]attributesPart, len(page.parts))
	for i, p := range page.parts {
		out.Parts[i] = attributesPart{
			checksumElements: checksumXML(map[string]string{m.ChecksumAlgorithm: p.Checksum}),
			PartNumber:       p.PartNumber, Size: p.Size,
		}
	}
	return out
}

// partNumberOf reads ?partNumber= of a GET or HEAD: 0 when absent, else
// 1..10000 (InvalidArgument otherwise, as AWS: versitygw
// GetObject_invalid_part_number), never with a Range header.
func partNumberOf(req *request) (int, error) {
	v, ok := req.query["partNumber"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 1 || n > 10000 {
		return 0, newTextError(s3err.PartNumberRange).withArgument("partNumber", v[0])
	}
	if req.r.Header.Get("Range") != "" {
		return 0, newTextError(s3err.RangeWithPartNumber)
	}
	return n, nil
}

// validatePartNumber checks ?partNumber= before the object is looked at.
func validatePartNumber(req *request) error {
	_, err := partNumberOf(req)
	return err
}

// partRange is the byte range of part n (1-based, in the order of the
// object's parts) of object m, and sets x-amz-mp-parts-count for a
// multipart object. An object of one PUT is its own part 1: the whole
// object as a range (206 with Content-Range, no parts count; AWS's answer
// quoted in versitygw issue 2074), but an empty one has no range to send
// (200; versitygw PR 2064). A part past the last is 416 InvalidPartNumber
// with PartNumberRequested and ActualPartCount (localstack provider.py
// get_object, validated against AWS).
func partRange(m fsstore.ObjectMeta, n int, hdr http.Header) (start, length int64, partial bool, err error) {
	count := m.PartsCount()
	if count == 0 {
		if n != 1 {
			return 0, 0, false, invalidPartNumber(n, 1)
		}
		return 0, m.Size, m.Size > 0, nil
	}
	if n > count {
		return 0, 0, false, invalidPartNumber(n, count)
	}
	parts := m.Parts()
	if len(parts) != count {
		return 0, 0, false, newTextError(s3err.PartsUnknown)
	}
	for _, p := range parts[:n-1] {
		start += p.Size
	}
	hdr.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(count))
	return start, parts[n-1].Size, true, nil
}

func invalidPartNumber(n, count int) *apiError {
	return newError(s3err.InvalidPartNumber).with("PartNumberRequested", strconv.Itoa(n)).with("ActualPartCount", strconv.Itoa(count))
}
