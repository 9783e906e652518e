package caddys3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddys3/caddys3/fsstore"
)

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// parseCopySource splits x-amz-copy-source ("/bucket/key" or "bucket/key",
// URL-encoded, optionally "?versionId=…") into bucket and key.
func parseCopySource(v string) (bucket, key string, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, qerr := url.ParseQuery(query)
		if qerr != nil || (q.Get("versionId") != "" && q.Get("versionId") != "null") {
			return "", "", newError("NotImplemented").withMessage("Copying a specific version is not implemented.")
		}
	}
	decoded, derr := url.PathUnescape(path)
	if derr != nil {
		return "", "", newError("InvalidArgument").withMessage("Invalid copy source encoding.")
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(decoded, "/"))
	if bucket == "" || key == "" {
		return "", "", newError("InvalidArgument").withMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	return bucket, key, nil
}

// openCopySource opens the object named by x-amz-copy-source after checking
// that the caller owns its bucket and that x-amz-copy-source-if-* hold.
func (h *Handler) openCopySource(req *request) (*fsstore.Object, error) {
	srcBucket, srcKey, err := parseCopySource(req.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	src, err := h.store.Bucket(req.ctx, srcBucket)
	if err != nil {
		return nil, err
	}
	obj, err := h.store.OpenObject(req.ctx, srcBucket, srcKey)
	if err != nil {
		if errors.Is(err, fsstore.ErrNoSuchKey) {
			// Like a GET of the source: existence shows only to who may list.
			if aerr := h.authorizeCopySource(req, &src, srcKey, nil); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	}
	if err := h.authorizeCopySource(req, &src, srcKey, &obj.Meta); err != nil {
		obj.Close()
		return nil, err
	}
	if err := checkCopyConditions(req.r.Header, obj.Meta); err != nil {
		obj.Close()
		return nil, err
	}
	return obj, nil
}

// authorizeCopySource checks that the requester may read the source object
// (GetObject on it), or, when m is nil (no such key), list its bucket.
func (h *Handler) authorizeCopySource(req *request, src *fsstore.BucketInfo, key string, m *fsstore.ObjectMeta) error {
	if m == nil {
		return h.authorize(req, src, "", opRules[OpListObjects], bucketACLOf(src))
	}
	return h.authorize(req, src, key, opRules[OpGetObject], objectACLOf(*m))
}

// copyObject serves CopyObject: the source streams from its file into a new
// temp file and is published like a PUT, so nothing is held in memory.
func (h *Handler) copyObject(req *request) error {
	srcBucket, srcKey, err := parseCopySource(req.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	directive := strings.ToUpper(req.r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return newError("InvalidArgument").withMessage("Unknown metadata directive.")
	}
	if srcBucket == req.t.bucket && srcKey == req.t.key && directive != "REPLACE" {
		return newError("InvalidRequest").withMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	obj, err := h.openCopySource(req)
	if err != nil {
		return err
	}
	defer obj.Close()
	if obj.Meta.Size > h.MaxObjectSize {
		return newError("InvalidRequest").withMessage("The specified copy source is larger than the maximum allowable size for a copy source.")
	}

	meta := obj.Meta
	if directive == "REPLACE" {
		meta, err = metaFromHeaders(req.r.Header)
		if err != nil {
			return err
		}
		meta.Checksums = obj.Meta.Checksums // same bytes, same checksums
		meta.ChecksumAlgorithm, meta.ChecksumType = obj.Meta.ChecksumAlgorithm, obj.Meta.ChecksumType
	}
	if err := h.stampOwner(req, &meta, req.r.Header); err != nil {
		return err
	}
	stored, err := h.store.PutObject(req.ctx, req.t.bucket, req.t.key, obj.File, fsstore.PutOptions{
		Meta:        meta,
		IfNoneMatch: req.r.Header.Get("If-None-Match"),
		IfMatch:     req.r.Header.Get("If-Match"),
	})
	if err != nil {
		return err
	}
	return writeXML(req.w, copyObjectResult{
		Xmlns: s3Namespace, ETag: quoteETag(stored.ETag), LastModified: timeISO(stored.LastModified),
	})
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
		return newError("PreconditionFailed")
	}
	return nil
}
