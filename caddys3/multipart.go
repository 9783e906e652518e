package caddys3

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxPartSize is S3's largest part; maxCompleteBody bounds the
// CompleteMultipartUpload XML (10,000 parts with checksums).
const (
	maxPartSize     int64 = 5 << 30
	maxCompleteBody       = 4 << 20
	maxListParts          = 1000
)

func (h *Handler) createMultipartUpload(req *request) (*response, error) {
	meta, err := metaFromHeaders(req.r.Header)
	if err != nil {
		return nil, err
	}
	if meta.Encryption, _, err = h.writeEncryption(req); err != nil {
		return nil, err
	}
	if err := applyLockHeaders(req, req.r.Header, &meta, false); err != nil {
		return nil, err
	}
	if err := h.stampOwner(req, &meta, req.r.Header); err != nil {
		return nil, err
	}
	if err := stampTags(req, &meta); err != nil {
		return nil, err
	}
	algo, err := requestedAlgorithm(req.r.Header)
	if err != nil {
		return nil, err
	}
	typ := strings.ToUpper(req.r.Header.Get("X-Amz-Checksum-Type"))
	switch {
	case typ != "" && typ != "COMPOSITE" && typ != "FULL_OBJECT":
		return nil, newTextError(s3err.ChecksumHeaderInvalid, "x-amz-checksum-type")
	case typ != "" && algo == "":
		return nil, newTextError(s3err.ChecksumTypeWithoutAlgorithm)
	case typ == "FULL_OBJECT" && !checksum.IsCRC(algo),
		// CRC64NVME has only FULL_OBJECT checksums in S3 ("Checking
		// object integrity", Amazon S3 User Guide).
		typ == "COMPOSITE" && algo == "CRC64NVME":
		return nil, newTextError(s3err.ChecksumTypeNotForAlgorithm, typ, strings.ToLower(algo))
	case typ == "" && algo == "CRC64NVME":
		typ = "FULL_OBJECT" // S3's only type for CRC64NVME
	case typ == "" && algo != "":
		typ = "COMPOSITE"
	}
	meta.ChecksumAlgorithm, meta.ChecksumType = algo, typ
	up, err := h.store.CreateMultipartUpload(req.ctx, req.t.bucket, req.t.key, meta)
	if err != nil {
		return nil, err
	}
	resp := &response{header: http.Header{}, xml: initiateResult{Xmlns: s3Namespace, Bucket: req.t.bucket, Key: req.t.key, UploadID: up.UploadID}}
	setEncryptionHeaders(req, resp.header, meta.Encryption)
	if algo != "" {
		resp.setHeader("X-Amz-Checksum-Algorithm", algo)
		resp.setHeader("X-Amz-Checksum-Type", typ)
	}
	return resp, nil
}

// partNumber parses the partNumber query parameter (1…10000).
func partNumber(req *request) (int, error) {
	n, err := strconv.Atoi(firstValue(req.query, "partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return 0, newTextError(s3err.PartNumberRange).withArgument("partNumber", firstValue(req.query, "partNumber"))
	}
	return n, nil
}

func (h *Handler) uploadPart(req *request) (*response, error) {
	n, err := partNumber(req)
	if err != nil {
		return nil, err
	}
	if req.res.DecodedLength > maxPartSize {
		return nil, entityTooLarge(req.res.DecodedLength, maxPartSize)
	}
	uploadID := firstValue(req.query, "uploadId")
	up, err := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, uploadID)
	if err != nil {
		return nil, err
	}
	var body io.Reader = &limitedReader{r: req.body, n: maxPartSize}
	sums := req.res.Checksums
	if want := up.Meta.ChecksumAlgorithm; want != "" {
		// A part's checksum is of the upload's algorithm. A part sent
		// without one gets one computed for a FULL_OBJECT upload and is
		// refused for a COMPOSITE one, whose checksum is the client's
		// (Swift s3api test_mpu_upload_part_requires_checksum, AWS branch).
		got := req.res.ChecksumAlgorithm
		switch {
		case got != "" && got != want, got == "" && up.Meta.ChecksumType != "FULL_OBJECT":
			return nil, newTextError(s3err.ChecksumTypeMismatch, nullName(want), nullName(got))
		case got == "":
			body, sums = withComputedChecksum(body, want, sums)
		}
	}
	part, err := h.storePart(req, up, n, body, sums)
	if isTooLarge(err) {
		return nil, entityTooLarge(req.res.DecodedLength, maxPartSize).withCause(err)
	}
	if err != nil {
		return nil, err
	}
	resp := written(part.ETag, part.Checksums)
	setEncryptionHeaders(req, resp.header, up.Meta.Encryption)
	return resp, nil
}

// uploadPartCopy copies the source the scope opened (or a range of it)
// into a part.
func (h *Handler) uploadPartCopy(req *request) (*response, error) {
	n, err := partNumber(req)
	if err != nil {
		return nil, err
	}
	src := req.source
	start, length := int64(0), src.Meta.Size
	if rng := req.r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		first, last, ok := strings.Cut(strings.TrimPrefix(rng, "bytes="), "-")
		s, err1 := strconv.ParseInt(first, 10, 64)
		e, err2 := strconv.ParseInt(last, 10, 64)
		// S3's answers, recorded in localstack's test_s3_api.snapshot.json
		// (test_upload_part_copy_range): InvalidArgument naming the
		// header for a malformed range or one ending past the source,
		// InvalidRequest for one starting past it.
		if !strings.HasPrefix(rng, "bytes=") || !ok || err1 != nil || err2 != nil || s < 0 || e < s {
			return nil, newTextError(s3err.CopySourceRange).withArgument("x-amz-copy-source-range", rng)
		}
		if s >= src.Meta.Size {
			return nil, newTextError(s3err.CopySourceRangeStartBeyondSize)
		}
		if e >= src.Meta.Size {
			return nil, newTextError(s3err.CopySourceRangeSize, src.Meta.Size).withArgument("x-amz-copy-source-range", rng)
		}
		start, length = s, e-s+1
	}
	if length > maxPartSize {
		return nil, entityTooLarge(length, maxPartSize)
	}
	// The part gets a checksum of the upload's algorithm, computed as it
	// is copied (argmin's AWS-pinned
	// test_upload_part_copy_uses_multipart_checksum_algorithm).
	uploadID := firstValue(req.query, "uploadId")
	up, err := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, uploadID)
	if err != nil {
		return nil, err
	}
	body, err := h.sourcePlaintext(req, src, start, length)
	if err != nil {
		return nil, err
	}
	var sums func() map[string]string
	if algo := up.Meta.ChecksumAlgorithm; algo != "" {
		body, sums = withComputedChecksum(body, algo, nil)
	}
	part, err := h.storePart(req, up, n, body, sums)
	if err != nil {
		return nil, err
	}
	resp := &response{header: http.Header{}, xml: copyResult{XMLName: xml.Name{Local: "CopyPartResult"}, Xmlns: s3Namespace, ETag: quoteETag(part.ETag),
		LastModified: timeISO(part.LastModified), checksumElements: checksumXML(part.Checksums)}}
	setEncryptionHeaders(req, resp.header, up.Meta.Encryption)
	copySourceVersion(req, resp)
	return resp, nil
}

// completeMultipartUpload joins the parts. It may take long for large
// uploads: the answer is pending, and the writer keeps the connection
// alive meanwhile (see response.pending).
func (h *Handler) completeMultipartUpload(req *request) (*response, error) {
	var cr completeRequest
	if err := readXMLBody(req, maxCompleteBody, "CompleteMultipartUpload request", &cr); err != nil {
		return nil, err
	}
	if len(cr.Parts) == 0 {
		return nil, newError(s3err.MalformedXML)
	}
	parts := make([]fsstore.CompletePart, len(cr.Parts))
	for i, p := range cr.Parts {
		parts[i] = fsstore.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag, Checksums: p.byAlgorithm()}
	}
	uploadID := firstValue(req.query, "uploadId")
	opts := fsstore.CompleteOptions{
		IfNoneMatch:       req.r.Header.Get("If-None-Match"),
		IfMatch:           req.r.Header.Get("If-Match"),
		ExpectedChecksums: sentChecksums(req.r.Header),
		ChecksumType:      strings.ToUpper(req.r.Header.Get("X-Amz-Checksum-Type")),
	}
	if t := opts.ChecksumType; t != "" && t != "COMPOSITE" && t != "FULL_OBJECT" {
		return nil, newTextError(s3err.ChecksumHeaderInvalid, "x-amz-checksum-type")
	}
	// A Complete that outlives keepAliveAfter commits its headers before
	// it publishes: the version id is fixed then (fsstore.VersionSlot).
	opts.Version = new(fsstore.VersionSlot)
	done := make(chan outcome, 1)
	// The complete must not be cancelled half-way by a client that went away
	// while we hold the claim: it runs to its end and publishes or rolls back.
	ctx := context.WithoutCancel(req.ctx)
	go func() {
		m, err := h.store.CompleteMultipartUpload(ctx, req.t.bucket, req.t.key, uploadID, parts, opts)
		if err != nil {
			done <- outcome{err: err}
			return
		}
		out := completeResult{
			Xmlns: s3Namespace, Location: h.objectLocation(req),
			Bucket: req.t.bucket, Key: req.t.key, ETag: quoteETag(m.ETag),
		}
		setChecksumFields(&out, m)
		// The new version's id (CompleteMultipartUpload, "Response
		// Syntax": x-amz-version-id).
		resp := &response{xml: out, header: http.Header{}}
		setEncryptionHeaders(req, resp.header, m.Encryption)
		setVersionHeader(resp, m)
		done <- outcome{resp: resp}
	}()
	committing := func(hd http.Header) {
		if id := h.store.FixVersion(ctx, req.t.bucket, opts.Version); id != "" {
			hd.Set("x-amz-version-id", id)
		}
	}
	return &response{pending: done, committing: committing}, nil
}

// objectLocation is CompleteMultipartUpload's <Location>: the object's
// absolute URL as the client addressed the bucket (path or virtual-hosted
// style), the key escaped except for RFC 3986's unreserved characters and
// '/' (the API reference's example
// "http://Example-Bucket.s3.<Region>.amazonaws.com/Example-Object";
// localstack's get_url_encoded_object_location quotes the key so).
func (h *Handler) objectLocation(req *request) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	key := req.t.key
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return bucketURL(req.r, req.t.bucket, h.bucketFromHost(req.r.Host) != "") + "/" + b.String()
}

func setChecksumFields(out *completeResult, m fsstore.ObjectMeta) {
	algo, typ := objectChecksum(m)
	if algo == "" {
		return
	}
	out.checksumElements = checksumXML(map[string]string{algo: m.Checksums[algo]})
	out.ChecksumType = typ
}

// sentChecksums are the whole-object checksums a Complete carries
// (x-amz-checksum-<algo>), by algorithm; the store checks the one of the
// upload's algorithm.
func sentChecksums(hdr http.Header) map[string]string {
	var sums map[string]string
	for _, a := range checksum.Algorithms {
		if v := hdr.Get(checksum.HeaderName(a)); v != "" {
			if sums == nil {
				sums = map[string]string{}
			}
			sums[a] = v
		}
	}
	return sums
}

func (h *Handler) abortMultipartUpload(req *request) (*response, error) {
	if err := h.store.AbortMultipartUpload(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId")); err != nil {
		return nil, err
	}
	return noContent()
}

// nonNegativeInt parses an optional integer query parameter.
func nonNegativeInt(q map[string][]string, name string, def int) (int, error) {
	v, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, newTextError(s3err.NotAnInteger, v[0]).withArgument(name, v[0])
	}
	return n, nil
}

func (h *Handler) listParts(req *request) (*response, error) {
	maxParts, err := nonNegativeInt(req.query, "max-parts", maxListParts)
	if err != nil {
		return nil, err
	}
	maxParts = min(maxParts, maxListParts)
	marker, err := nonNegativeInt(req.query, "part-number-marker", 0)
	if err != nil {
		return nil, err
	}
	uploadID := firstValue(req.query, "uploadId")
	up, err := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, uploadID)
	if err != nil {
		return nil, err
	}
	parts, truncated, err := h.store.ListParts(req.ctx, req.t.bucket, req.t.key, uploadID, marker, maxParts)
	if err != nil {
		return nil, err
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
			checksumElements: checksumXML(p.Checksums),
		})
		res.NextPartNumberMarker = p.PartNumber
	}
	return xmlResponse(res)
}

func (h *Handler) listMultipartUploads(req *request) (*response, error) {
	maxUploads, encoding, enc, err := listParams(req.query, "max-uploads")
	if err != nil {
		return nil, err
	}
	opts := fsstore.ListUploadsOptions{
		Prefix: firstValue(req.query, "prefix"), Delimiter: firstValue(req.query, "delimiter"),
		KeyMarker: firstValue(req.query, "key-marker"), UploadIDMarker: firstValue(req.query, "upload-id-marker"),
		MaxUploads: maxUploads,
	}
	page, err := h.store.ListMultipartUploads(req.ctx, req.t.bucket, opts)
	if err != nil {
		return nil, err
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
	return xmlResponse(res)
}
