package caddys3

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/fsstore"
)

// maxPartSize is S3's largest part; maxCompleteBody bounds the
// CompleteMultipartUpload XML (10,000 parts with checksums).
const (
	maxPartSize     int64 = 5 << 30
	maxCompleteBody       = 4 << 20
	maxListParts          = 1000
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (h *Handler) createMultipartUpload(req *request) error {
	meta, err := metaFromHeaders(req.r.Header)
	if err != nil {
		return err
	}
	if err := h.stampOwner(req, &meta, req.r.Header); err != nil {
		return err
	}
	algo := strings.ToUpper(req.r.Header.Get("X-Amz-Checksum-Algorithm"))
	typ := strings.ToUpper(req.r.Header.Get("X-Amz-Checksum-Type"))
	if algo != "" && !checksum.Valid(algo) {
		return newError("InvalidRequest").withMessage("Checksum algorithm provided is unsupported.")
	}
	switch {
	case typ != "" && typ != "COMPOSITE" && typ != "FULL_OBJECT":
		return newError("InvalidRequest").withMessage("Value for x-amz-checksum-type header is invalid.")
	case typ != "" && algo == "":
		return newError("InvalidRequest").withMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case typ == "FULL_OBJECT" && (algo == "SHA1" || algo == "SHA256"):
		return newError("InvalidRequest").withMessage("The FULL_OBJECT checksum type cannot be used with the " + strings.ToLower(algo) + " checksum algorithm.")
	case typ == "" && algo == "CRC64NVME":
		typ = "FULL_OBJECT" // S3's only type for CRC64NVME
	case typ == "" && algo != "":
		typ = "COMPOSITE"
	}
	meta.ChecksumAlgorithm, meta.ChecksumType = algo, typ
	up, err := h.store.CreateMultipartUpload(req.ctx, req.t.bucket, req.t.key, meta)
	if err != nil {
		return err
	}
	if algo != "" {
		req.w.Header().Set("X-Amz-Checksum-Algorithm", algo)
		req.w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	return writeXML(req.w, initiateResult{Xmlns: s3Namespace, Bucket: req.t.bucket, Key: req.t.key, UploadID: up.UploadID})
}

// partNumber parses the partNumber query parameter (1…10000).
func partNumber(req *request) (int, error) {
	n, err := strconv.Atoi(firstValue(req.query, "partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return 0, newError("InvalidArgument").withMessage("Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func firstValue(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h *Handler) uploadPart(req *request) error {
	n, err := partNumber(req)
	if err != nil {
		return err
	}
	if req.res.DecodedLength > maxPartSize {
		return newError("EntityTooLarge")
	}
	uploadID := firstValue(req.query, "uploadId")
	body := &limitedReader{r: req.res.Body, n: maxPartSize}
	part, err := h.store.UploadPart(req.ctx, req.t.bucket, req.t.key, uploadID, n, body, req.res.Checksums)
	if err != nil {
		if isTooLarge(err) {
			return newError("EntityTooLarge").withCause(err)
		}
		return err
	}
	hdr := req.w.Header()
	hdr.Set("ETag", quoteETag(part.ETag))
	for algo, v := range part.Checksums {
		hdr.Set("X-Amz-Checksum-"+algo, v)
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (h *Handler) uploadPartCopy(req *request) error {
	n, err := partNumber(req)
	if err != nil {
		return err
	}
	obj, err := h.openCopySource(req)
	if err != nil {
		return err
	}
	defer obj.Close()
	start, length := int64(0), obj.Meta.Size
	if rng := req.r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		first, last, ok := strings.Cut(strings.TrimPrefix(rng, "bytes="), "-")
		s, err1 := strconv.ParseInt(first, 10, 64)
		e, err2 := strconv.ParseInt(last, 10, 64)
		if !strings.HasPrefix(rng, "bytes=") || !ok || err1 != nil || err2 != nil || s < 0 || e < s {
			return newError("InvalidArgument").withMessage("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		if e >= obj.Meta.Size {
			return newError("InvalidArgument").withMessage("Range specified is not valid for source object of size: " +
				strconv.FormatInt(obj.Meta.Size, 10))
		}
		start, length = s, e-s+1
	}
	if length > maxPartSize {
		return newError("EntityTooLarge")
	}
	part, err := h.store.UploadPart(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId"), n,
		io.NewSectionReader(obj.File, start, length), nil)
	if err != nil {
		return err
	}
	return writeXML(req.w, copyPartResult{Xmlns: s3Namespace, ETag: quoteETag(part.ETag), LastModified: timeISO(part.LastModified)})
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName           xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns             string   `xml:"xmlns,attr"`
	Location          string   `xml:"Location"`
	Bucket            string   `xml:"Bucket"`
	Key               string   `xml:"Key"`
	ETag              string   `xml:"ETag"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}

func (h *Handler) completeMultipartUpload(req *request) error {
	body, err := io.ReadAll(io.LimitReader(req.res.Body, maxCompleteBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxCompleteBody {
		return newError("MalformedXML").withMessage("The CompleteMultipartUpload request is too large.")
	}
	var cr completeRequest
	if err := xml.Unmarshal(body, &cr); err != nil {
		return newError("MalformedXML").withCause(err)
	}
	if len(cr.Parts) == 0 {
		return newError("MalformedXML").withMessage("You must specify at least one part.")
	}
	parts := make([]fsstore.CompletePart, len(cr.Parts))
	for i, p := range cr.Parts {
		parts[i] = fsstore.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag}
	}
	uploadID := firstValue(req.query, "uploadId")
	opts := fsstore.CompleteOptions{
		IfNoneMatch:      req.r.Header.Get("If-None-Match"),
		IfMatch:          req.r.Header.Get("If-Match"),
		ExpectedChecksum: h.expectedChecksum(req, uploadID),
	}

	type outcome struct {
		meta fsstore.ObjectMeta
		err  error
	}
	done := make(chan outcome, 1)
	// The complete must not be cancelled half-way by a client that went away
	// while we hold the claim: it runs to its end and publishes or rolls back.
	ctx := context.WithoutCancel(req.ctx)
	go func() {
		m, err := h.store.CompleteMultipartUpload(ctx, req.t.bucket, req.t.key, uploadID, parts, opts)
		done <- outcome{m, err}
	}()

	var res outcome
	committed := false
	// After keepAliveAfter the response is committed as 200 and kept alive
	// with whitespace, as S3 does; a later failure goes inside the 200 body.
	timer := time.NewTimer(h.keepAliveAfter)
	defer timer.Stop()
	rc := http.NewResponseController(req.w)
wait:
	for {
		select {
		case res = <-done:
			break wait
		case <-timer.C:
			if !committed {
				committed = true
				req.w.Header().Set("Content-Type", "application/xml")
				req.w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(req.w, xml.Header)
			} else {
				_, _ = io.WriteString(req.w, " ")
			}
			_ = rc.Flush()
			timer.Reset(h.keepAliveInterval)
		}
	}

	if res.err != nil {
		if !committed {
			return res.err
		}
		ae := toAPIError(res.err)
		if ae.Status >= 500 {
			h.logger.Error("s3 complete failed", zapRequestID(req), zap.Error(res.err))
		}
		recordErrorCode(req, ae.Code) // the status is 200, the outcome is not
		b, _ := xml.Marshal(errorBody{Code: ae.Code, Message: ae.Message, Key: req.t.key, Bucket: req.t.bucket,
			Resource: req.r.URL.Path, RequestID: req.id, HostID: hostID(req.id)})
		_, _ = req.w.Write(b)
		return nil
	}
	out := completeResult{
		Xmlns: s3Namespace, Location: "/" + req.t.bucket + "/" + req.t.key,
		Bucket: req.t.bucket, Key: req.t.key, ETag: quoteETag(res.meta.ETag),
	}
	setChecksumFields(&out, res.meta)
	if !committed {
		return writeXML(req.w, out)
	}
	b, err := xml.Marshal(out)
	if err != nil {
		return err
	}
	_, _ = req.w.Write(b)
	return nil
}

func setChecksumFields(out *completeResult, m fsstore.ObjectMeta) {
	v, ok := m.Checksums[m.ChecksumAlgorithm]
	if !ok {
		return
	}
	switch m.ChecksumAlgorithm {
	case "CRC32":
		out.ChecksumCRC32 = v
	case "CRC32C":
		out.ChecksumCRC32C = v
	case "CRC64NVME":
		out.ChecksumCRC64NVME = v
	case "SHA1":
		out.ChecksumSHA1 = v
	case "SHA256":
		out.ChecksumSHA256 = v
	}
	out.ChecksumType = m.ChecksumType
}

// expectedChecksum is the whole object's checksum sent with Complete: the
// x-amz-checksum-<algo> header of the upload's algorithm (others are
// ignored). The upload is read only when such a header was sent.
func (h *Handler) expectedChecksum(req *request, uploadID string) string {
	for _, a := range checksum.Algorithms {
		if req.r.Header.Get(checksum.HeaderName(a)) == "" {
			continue
		}
		up, err := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, uploadID)
		if err != nil || up.Meta.ChecksumAlgorithm == "" {
			return "" // Complete reports a missing upload
		}
		return req.r.Header.Get(checksum.HeaderName(up.Meta.ChecksumAlgorithm))
	}
	return ""
}

func (h *Handler) abortMultipartUpload(req *request) error {
	if err := h.store.AbortMultipartUpload(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	Xmlns                string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	Initiator            owner      `xml:"Initiator"`
	Owner                owner      `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
	Parts                []partItem `xml:"Part"`
}

type partItem struct {
	PartNumber        int    `xml:"PartNumber"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// nonNegativeInt parses an optional integer query parameter.
func nonNegativeInt(q map[string][]string, name string, def int) (int, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, newError("InvalidArgument").withMessage("Provided " + name + " not an integer or within integer range")
	}
	return n, nil
}

func (h *Handler) listParts(req *request) error {
	maxParts, err := nonNegativeInt(req.query, "max-parts", maxListParts)
	if err != nil {
		return err
	}
	maxParts = min(maxParts, maxListParts)
	marker, err := nonNegativeInt(req.query, "part-number-marker", 0)
	if err != nil {
		return err
	}
	uploadID := firstValue(req.query, "uploadId")
	up, err := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, uploadID)
	if req.initiatorOnly && (err != nil || up.Meta.Owner != req.who.Owner) {
		return newError("AccessDenied")
	}
	if err != nil {
		return err
	}
	parts, truncated, err := h.store.ListParts(req.ctx, req.t.bucket, req.t.key, uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	res := listPartsResult{
		Xmlns: s3Namespace, Bucket: req.t.bucket, Key: req.t.key, UploadID: uploadID,
		Initiator: ownerOf(up.Meta.Owner), Owner: ownerOf(up.Meta.Owner), StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: maxParts, IsTruncated: truncated,
		ChecksumAlgorithm: up.Meta.ChecksumAlgorithm, ChecksumType: up.Meta.ChecksumType,
		Parts: make([]partItem, 0, len(parts)),
	}
	for _, p := range parts {
		res.Parts = append(res.Parts, partItem{
			PartNumber: p.PartNumber, LastModified: timeISO(p.LastModified), ETag: quoteETag(p.ETag), Size: p.Size,
			ChecksumCRC32: p.Checksums["CRC32"], ChecksumCRC32C: p.Checksums["CRC32C"],
			ChecksumCRC64NVME: p.Checksums["CRC64NVME"], ChecksumSHA1: p.Checksums["SHA1"], ChecksumSHA256: p.Checksums["SHA256"],
		})
		res.NextPartNumberMarker = p.PartNumber
	}
	return writeXML(req.w, res)
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	Xmlns              string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadItem   `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadItem struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

func (h *Handler) listMultipartUploads(req *request) error {
	maxUploads, err := nonNegativeInt(req.query, "max-uploads", maxListKeys)
	if err != nil {
		return err
	}
	encoding := firstValue(req.query, "encoding-type")
	if encoding != "" && encoding != "url" {
		return newError("InvalidArgument").withMessage("Invalid Encoding Method specified in Request")
	}
	enc := func(s string) string {
		if encoding == "url" {
			return s3URLEncode(s)
		}
		return s
	}
	opts := fsstore.ListUploadsOptions{
		Prefix: firstValue(req.query, "prefix"), Delimiter: firstValue(req.query, "delimiter"),
		KeyMarker: firstValue(req.query, "key-marker"), UploadIDMarker: firstValue(req.query, "upload-id-marker"),
		MaxUploads: min(maxUploads, maxListKeys),
	}
	page, err := h.store.ListMultipartUploads(req.ctx, req.t.bucket, opts)
	if err != nil {
		return err
	}
	res := listUploadsResult{
		Xmlns: s3Namespace, Bucket: req.t.bucket, KeyMarker: enc(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		NextKeyMarker: enc(page.NextKeyMarker), NextUploadIDMarker: page.NextUploadIDMarker,
		Prefix: enc(opts.Prefix), Delimiter: enc(opts.Delimiter), MaxUploads: opts.MaxUploads,
		EncodingType: encoding, IsTruncated: page.IsTruncated,
	}
	for _, u := range page.Uploads {
		res.Uploads = append(res.Uploads, uploadItem{
			Key: enc(u.Key), UploadID: u.UploadID, Initiator: ownerOf(u.Meta.Owner), Owner: ownerOf(u.Meta.Owner),
			StorageClass: "STANDARD", Initiated: timeISO(u.Initiated),
			ChecksumAlgorithm: u.Meta.ChecksumAlgorithm, ChecksumType: u.Meta.ChecksumType,
		})
	}
	for _, p := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	return writeXML(req.w, res)
}
