package caddys3

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxUserMetadata is S3's limit on the x-amz-meta-* headers of one object.
const maxUserMetadata = 2 << 10

// errTooLarge is returned by the size-limiting reader.
var errTooLarge = errors.New("object larger than max_object_size")

func (h *Handler) putObject(req *request) (*response, error) {
	if req.res.DecodedLength > h.MaxObjectSize {
		return nil, entityTooLarge(req.res.DecodedLength, h.MaxObjectSize)
	}
	meta, err := metaFromHeaders(signedMetaHeaders(req))
	if err != nil {
		return nil, err
	}
	if err := h.stampOwner(req, &meta, req.r.Header); err != nil {
		return nil, err
	}
	if err := stampTags(req, &meta); err != nil {
		return nil, err
	}
	if err := applyLockHeaders(req, req.r.Header, &meta, true); err != nil {
		return nil, err
	}
	opts := fsstore.PutOptions{
		Meta:        meta,
		IfNoneMatch: req.r.Header.Get("If-None-Match"),
		IfMatch:     req.r.Header.Get("If-Match"),
		Checksums:   req.res.Checksums,
	}
	if opts.IfNoneMatch != "" && opts.IfNoneMatch != "*" {
		return nil, newError(s3err.NotImplemented).with("Header", "If-None-Match")
	}
	if err := h.applyEncryption(req, &opts); err != nil {
		return nil, err
	}
	stored, err := h.store.PutObject(req.ctx, req.t.bucket, req.t.key, &limitedReader{r: req.body, n: h.MaxObjectSize}, opts)
	if isTooLarge(err) {
		return nil, entityTooLarge(req.res.DecodedLength, h.MaxObjectSize).withCause(err)
	}
	if err != nil {
		return nil, err
	}
	resp := objectWritten(stored)
	setExpirationHeader(req, resp, stored)
	setEncryptionHeaders(req, resp.header, stored.Encryption)
	return resp, nil
}

// objectWritten answers a write of a whole object (PutObject, POST): its
// ETag, checksum and checksum type (x-amz-checksum-type, as PutObject's
// response carries it).
func objectWritten(m fsstore.ObjectMeta) *response {
	resp := written(m.ETag, m.Checksums)
	if _, typ := objectChecksum(m); typ != "" {
		resp.setHeader("X-Amz-Checksum-Type", typ)
	}
	setVersionHeader(resp, m)
	return resp
}

// written answers a write of an object or part: its ETag and checksums.
func written(etag string, checksums map[string]string) *response {
	resp := &response{}
	resp.setHeader("ETag", quoteETag(etag))
	for algo, v := range checksums {
		resp.setHeader("X-Amz-Checksum-"+algo, v)
	}
	return resp
}

// metaFromHeaders collects the metadata S3 stores with an object.
func metaFromHeaders(hdr http.Header) (fsstore.ObjectMeta, error) {
	m := fsstore.ObjectMeta{
		ContentType:        hdr.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(hdr.Get("Content-Encoding")),
		ContentDisposition: hdr.Get("Content-Disposition"),
		ContentLanguage:    hdr.Get("Content-Language"),
		CacheControl:       hdr.Get("Cache-Control"),
		Expires:            hdr.Get("Expires"),
	}
	size := 0
	const prefix = "x-amz-meta-"
	for name, vals := range hdr {
		// Lower-cased only when it is metadata: this runs for every header.
		if len(name) < len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
			continue
		}
		if m.UserMeta == nil {
			m.UserMeta = map[string]string{}
		}
		k := strings.ToLower(name[len(prefix):])
		v := strings.Join(vals, ",")
		m.UserMeta[k] = mailSafe(v)
		size += len(k) + len(v)
	}
	if size > maxUserMetadata {
		return m, newError(s3err.MetadataTooLarge)
	}
	return m, nil
}

// signedMetaHeaders returns the headers that carry object metadata. A
// presigned URL may carry x-amz-meta-* as query parameters instead (legacy
// boto does): the signature covers them there, so they count as headers.
func signedMetaHeaders(req *request) http.Header {
	if !req.presigned() {
		return req.r.Header
	}
	var hdr http.Header
	for k, v := range req.query {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") {
			if hdr == nil {
				hdr = req.r.Header.Clone()
			}
			hdr[http.CanonicalHeaderKey(k)] = v
		}
	}
	if hdr == nil {
		return req.r.Header
	}
	return hdr
}

// mailSafe is a metadata value as S3 returns it: printable US-ASCII as
// is, anything else RFC 2047-encoded as UTF-8 ("Values of such headers are
// character decoded as per RFC 2047 before storing and encoded as per RFC
// 2047 to make them mail-safe before returning", Amazon S3 User Guide,
// "Working with object metadata"; ceph/s3-tests
// test_object_set_get_non_utf8_metadata: "\x04mymeta" comes back as
// "=?UTF-8?Q?=04mymeta?="). Bytes that are not UTF-8 are read as
// ISO-8859-1, HTTP's historical header charset, so no byte is lost to
// U+FFFD. Q is used for mostly-ASCII values, B otherwise (RFC 2047
// section 4's advice).
func mailSafe(v string) string {
	nonASCII := 0
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' || c > '~') && c != '\t' {
			nonASCII++
		}
	}
	if nonASCII == 0 {
		return v
	}
	mostlyASCII := nonASCII*2 < len(v)
	if !utf8.ValidString(v) {
		r := make([]rune, len(v))
		for i := 0; i < len(v); i++ {
			r[i] = rune(v[i])
		}
		v = string(r)
	}
	if mostlyASCII {
		return strings.ReplaceAll(mime.QEncoding.Encode("UTF-8", v), "=?UTF-8?q?", "=?UTF-8?Q?")
	}
	return strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", v), "=?UTF-8?b?", "=?UTF-8?B?")
}

// stripAWSChunked removes the aws-chunked transfer coding: it describes the
// upload, not the object. Any other value is kept byte for byte
// ("deflate, gzip" stays so: S3 returns Content-Encoding as it was sent).
func stripAWSChunked(ce string) string {
	parts := strings.Split(ce, ",")
	kept := parts[:0]
	for _, p := range parts {
		if !strings.EqualFold(strings.TrimSpace(p), "aws-chunked") {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(parts) {
		return ce
	}
	return strings.TrimSpace(strings.Join(kept, ","))
}

func isTooLarge(err error) bool { return errors.Is(err, errTooLarge) }

func quoteETag(etag string) string { return `"` + etag + `"` }

// limitedReader fails with errTooLarge once more than n bytes are read, so
// an oversized upload aborts instead of being truncated into an object.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// responseOverrides are the query parameters that replace response headers
// on a signed GET; an anonymous GET may not use them (a public object's
// link could otherwise be served as, say, text/html).
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

// getObject serves GetObject and HeadObject from the object the scope
// opened and authorized.
func (h *Handler) getObject(req *request) (*response, error) {
	if req.who.Anonymous {
		for param := range responseOverrides {
			if _, ok := req.query[param]; ok {
				return nil, newTextError(s3err.AnonymousResponseHeaders)
			}
		}
	}
	obj := req.object
	m := obj.Meta
	customer, err := h.objectKey(req, m, false) // SSE-C (sse_customer.go)
	if err != nil {
		return nil, err
	}
	resp := &response{header: http.Header{}, head: req.r.Method == http.MethodHead}
	hdr := resp.header
	setObjectHeaders(hdr, m)
	setEncryptionHeaders(req, hdr, m.Encryption)
	setTaggingCount(hdr, m)
	h.setLockHeaders(req, hdr, m)
	setExpirationHeader(req, resp, m)
	if v := versionHeader(req.bucket, m); v != "" {
		hdr.Set("X-Amz-Version-Id", v)
	}

	if status := checkConditions(req.r.Header, m); status != 0 {
		if status == http.StatusNotModified {
			hdr.Del("Content-Type")
			return &response{status: http.StatusNotModified, header: hdr}, nil
		}
		return nil, newError(s3err.PreconditionFailed)
	}

	for param, header := range responseOverrides {
		if v, ok := req.query[param]; ok && len(v) > 0 {
			hdr.Set(header, v[0])
		}
	}

	start, length, partial, err := parseRange(req.r.Header.Get("Range"), m.Size)
	if n, _ := partNumberOf(req); n > 0 {
		start, length, partial, err = partRange(m, n, hdr)
	}
	if err != nil {
		return nil, err
	}
	if !partial && strings.EqualFold(req.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		// Checksums describe the whole object: never send them with a range.
		for algo, v := range m.Checksums {
			hdr.Set("X-Amz-Checksum-"+algo, v)
		}
		if len(m.Checksums) > 0 {
			typ := m.ChecksumType
			if typ == "" {
				typ = "FULL_OBJECT" // a single PUT's checksum covers the object
			}
			hdr.Set("X-Amz-Checksum-Type", typ)
		}
	}
	hdr.Set("Content-Length", strconv.FormatInt(length, 10))
	if partial {
		hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, m.Size))
		resp.status = http.StatusPartialContent
	}
	if m.Encryption != nil {
		return h.sealedBody(resp, obj, start, length, customer)
	}
	if start > 0 && !resp.head {
		if _, err := obj.Seek(start, io.SeekStart); err != nil {
			return nil, err
		}
	}
	resp.file, resp.length, resp.toEOF = obj.File, length, start+length == m.Size
	return resp, nil
}

// setObjectHeaders writes the stored metadata as response headers.
func setObjectHeaders(hdr http.Header, m fsstore.ObjectMeta) {
	ct := m.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("ETag", quoteETag(m.ETag))
	hdr.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	hdr.Set("Accept-Ranges", "bytes")
	set := func(k, v string) {
		if v != "" {
			hdr.Set(k, v)
		}
	}
	set("Content-Encoding", m.ContentEncoding)
	set("Content-Disposition", m.ContentDisposition)
	set("Content-Language", m.ContentLanguage)
	set("Cache-Control", m.CacheControl)
	set("Expires", m.Expires)
	for k, v := range m.UserMeta {
		hdr["X-Amz-Meta-"+k] = []string{v}
	}
}

// checkConditions evaluates conditional request headers in RFC 7232 order and
// returns 412, 304 or 0 (proceed).
func checkConditions(hdr http.Header, m fsstore.ObjectMeta) int {
	etag := quoteETag(m.ETag)
	lastMod := m.LastModified.Truncate(time.Second)
	if im := hdr.Get("If-Match"); im != "" {
		if !etagListMatches(im, etag) {
			return http.StatusPreconditionFailed
		}
	} else if ius := hdr.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && lastMod.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := hdr.Get("If-None-Match"); inm != "" {
		if etagListMatches(inm, etag) {
			return http.StatusNotModified
		}
	} else if ims := hdr.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !lastMod.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// etagListMatches reports whether a comma-separated If-Match/If-None-Match
// list names etag (quotes and W/ optional) or is "*".
func etagListMatches(list, etag string) bool {
	bare := strings.Trim(etag, `"`)
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		e = strings.TrimPrefix(e, "W/")
		if e == "*" || strings.Trim(e, `"`) == bare {
			return true
		}
	}
	return false
}

// parseRange interprets a single byte range. Malformed or multi-range headers
// are ignored (the whole object is sent), as S3 does; a syntactically valid
// range that lies outside the object is InvalidRange.
func parseRange(header string, size int64) (start, length int64, partial bool, err error) {
	if header == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	invalid := newError(s3err.InvalidRange).with("RangeRequested", header).with("ActualObjectSize", strconv.FormatInt(size, 10))
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, size, false, nil
		}
		if n == 0 {
			return 0, 0, false, invalid
		}
		if size == 0 {
			// A suffix range of an empty object is the whole (empty)
			// object: S3 answers 200 with no body (apache/arrow-rs-object-store
			// issue 846; floci-io/floci issue 1141), where "bytes=0-" is 416.
			return 0, 0, false, nil
		}
		if n > size {
			n = size
		}
		return size - n, n, true, nil
	}
	s, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || s < 0 {
		return 0, size, false, nil
	}
	e := size - 1
	if last != "" {
		e, perr = strconv.ParseInt(last, 10, 64)
		if perr != nil || e < s {
			return 0, size, false, nil
		}
		if e >= size {
			e = size - 1
		}
	}
	if s >= size {
		return 0, 0, false, invalid
	}
	return s, e - s + 1, true, nil
}

// deleteObject serves DeleteObject: in a bucket that never had versioning
// the object goes; otherwise the store makes a delete marker (Enabled; a
// null marker when Suspended) or, with a versionId, removes that version
// for good. The answer says what happened (DeleteObject, "Response
// Syntax"): x-amz-version-id of the marker made or the version removed,
// x-amz-delete-marker: true when that is a marker.
func (h *Handler) deleteObject(req *request) (*response, error) {
	version, named := req.versionID()
	if named {
		if err := checkVersionID(req.bucket, version); err != nil {
			return nil, err
		}
	}
	if !named && req.bucket.Versioning == "" {
		err := h.store.DeleteObject(req.ctx, req.t.bucket, req.t.key)
		if err != nil && !errors.Is(err, fsstore.ErrNoSuchKey) {
			return nil, err
		}
		return noContent()
	}
	r, err := h.store.DeleteObjectVersionOpts(req.ctx, req.t.bucket, req.t.key, version, req.who.Owner, h.deleteOptions(req, req.t.key))
	if err != nil && !errors.Is(err, fsstore.ErrNoSuchKey) {
		return nil, err
	}
	resp := &response{status: http.StatusNoContent}
	switch {
	case r.VersionID != "":
		resp.setHeader("X-Amz-Version-Id", r.VersionID)
	case named || r.DeleteMarker:
		resp.setHeader("X-Amz-Version-Id", fsstore.NullVersion)
	}
	if r.DeleteMarker {
		resp.setHeader("X-Amz-Delete-Marker", "true")
	}
	return resp, nil
}
