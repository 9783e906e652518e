package caddys3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// parseCopySource splits x-amz-copy-source ("/bucket/key" or "bucket/key",
// URL-encoded, optionally "?versionId=…") into bucket, key and the version
// it names (named: a versionId was given).
func parseCopySource(v string) (bucket, key, version string, named bool, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			return "", "", "", false, newTextError(s3err.CopySourceEncoding).withArgument("x-amz-copy-source", v)
		}
		if vs, ok := q["versionId"]; ok {
			named = true
			if len(vs) > 0 {
				version = vs[0]
			}
		}
	}
	decoded, derr := url.PathUnescape(path)
	if derr != nil {
		return "", "", "", false, newTextError(s3err.CopySourceEncoding).withArgument("x-amz-copy-source", v)
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(decoded, "/"))
	if bucket == "" || key == "" {
		return "", "", "", false, newTextError(s3err.CopySourceForm).withArgument("x-amz-copy-source", v)
	}
	return bucket, key, version, named, nil
}

// copySourceVersion sets x-amz-copy-source-version-id: the version of the
// source that was copied (CopyObject and UploadPartCopy, "Response
// Syntax"), when the source has versions.
func copySourceVersion(req *request, resp *response) {
	if v := versionHeader(req.srcBucket, req.source.Meta); v != "" {
		resp.setHeader("X-Amz-Copy-Source-Version-Id", v)
	}
}

// copyObject serves CopyObject: the source the scope opened streams from
// its file into a new temp file and is published like a PUT, so nothing
// is held in memory.
func (h *Handler) copyObject(req *request) (*response, error) {
	directive := strings.ToUpper(req.r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return nil, newTextError(s3err.MetadataDirective).withArgument("x-amz-metadata-directive", req.r.Header.Get("X-Amz-Metadata-Directive"))
	}
	// x-amz-checksum-algorithm asks for the copy's checksum in that
	// algorithm, computed as the bytes are copied (a FULL_OBJECT checksum);
	// it is a change that makes a copy onto itself legal.
	algo, err := requestedAlgorithm(req.r.Header)
	if err != nil {
		return nil, err
	}
	// Copying a version named by its id onto its own key restores it: not
	// a copy onto itself (Amazon S3 User Guide, "Restoring previous
	// versions").
	if req.src == req.t && !req.srcNamed && directive != "REPLACE" && algo == "" {
		return nil, newTextError(s3err.CopyToItself)
	}
	src := req.source
	if src.Meta.Size > h.MaxObjectSize {
		return nil, newTextError(s3err.CopySourceTooLarge, h.MaxObjectSize)
	}

	meta := src.Meta
	if directive == "REPLACE" {
		if meta, err = metaFromHeaders(req.r.Header); err != nil {
			return nil, err
		}
		meta.Checksums = src.Meta.Checksums // same bytes, same checksums
		meta.ChecksumAlgorithm, meta.ChecksumType = src.Meta.ChecksumAlgorithm, src.Meta.ChecksumType
	}
	if err := applyLockHeaders(req, req.r.Header, &meta, false); err != nil {
		return nil, err
	}
	if err := h.stampOwner(req, &meta, req.r.Header); err != nil {
		return nil, err
	}
	if err := copyTags(req, &meta, src.Meta.Tags); err != nil {
		return nil, err
	}
	opts := fsstore.PutOptions{
		Meta:        meta,
		IfNoneMatch: req.r.Header.Get("If-None-Match"),
		IfMatch:     req.r.Header.Get("If-Match"),
	}
	if err := h.applyEncryption(req, &opts); err != nil {
		return nil, err
	}
	body, err := h.sourcePlaintext(req, src, 0, src.Meta.Size)
	if err != nil {
		return nil, err
	}
	if algo != "" {
		body, opts.Checksums = withComputedChecksum(body, algo, nil)
		opts.Meta.ChecksumAlgorithm, opts.Meta.ChecksumType = algo, "FULL_OBJECT"
	}
	stored, err := h.store.PutObject(req.ctx, req.t.bucket, req.t.key, body, opts)
	if err != nil {
		return nil, err
	}
	res := copyResult{XMLName: xml.Name{Local: "CopyObjectResult"},
		Xmlns: s3Namespace, ETag: quoteETag(stored.ETag), LastModified: timeISO(stored.LastModified),
	}
	if a, typ := objectChecksum(stored); a != "" {
		res.ChecksumType, res.checksumElements = typ, checksumXML(map[string]string{a: stored.Checksums[a]})
	}
	resp := &response{xml: res, header: http.Header{}}
	setEncryptionHeaders(req, resp.header, stored.Encryption)
	copySourceVersion(req, resp)
	setVersionHeader(resp, stored)
	setExpirationHeader(req, resp, stored)
	return resp, nil
}

// checkCopyConditions evaluates x-amz-copy-source-if-*; every failure is
// PreconditionFailed (412), as S3 answers.
func checkCopyConditions(hdr http.Header, m fsstore.ObjectMeta) error {
	cond := http.Header{}
	for _, name := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if v := hdr.Get("X-Amz-Copy-Source-" + name); v != "" {
			cond.Set(name, v)
		}
	}
	if checkConditions(cond, m) != 0 {
		return newError(s3err.PreconditionFailed)
	}
	return nil
}
