package caddys3

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// postFieldHeaders are the form fields stored as object headers.
var postFieldHeaders = map[string]string{
	"content-type":        "Content-Type",
	"content-disposition": "Content-Disposition",
	"content-encoding":    "Content-Encoding",
	"content-language":    "Content-Language",
	"cache-control":       "Cache-Control",
	"expires":             "Expires",
	"acl":                 "X-Amz-Acl",
}

// verifyForm authenticates a browser upload by the signed policy inside
// its form (multipart/form-data). The fields before the file are read,
// bounded; the file is left to stream into the store.
func (h *Handler) verifyForm(req *request) error {
	r := req.r
	if r.Body == nil {
		return newError(s3err.MalformedPOSTRequest)
	}
	form, err := auth.ReadPostForm(r.Body, r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	key, ok := form.Fields["key"]
	if !ok {
		return newTextError(s3err.PostMissingField, "key").withArgument("key", "")
	}
	key = strings.ReplaceAll(key, "${filename}", form.FileName)
	form.Fields["key"] = key
	req.t.key = key
	pa, err := h.verifier.VerifyPost(req.ctx, req.t.bucket, form.Fields)
	if err != nil {
		return err
	}
	req.who, req.form, req.post = pa.Principal, form, pa
	return nil
}

// postObject serves browser-based uploads. The file goes straight to the
// store, whose object becomes visible only after the whole file arrived
// within the policy's content-length-range. An anonymous form (no policy)
// uploads only where the bucket's ACL or policy lets everyone write.
func (h *Handler) postObject(req *request) (*response, error) {
	fields, key, pa := req.form.Fields, req.t.key, req.post
	if key == "" {
		return nil, newTextError(s3err.PostEmptyKey).withArgument("key", "")
	}
	hdr := http.Header{}
	for name, v := range fields {
		if hn, ok := postFieldHeaders[name]; ok {
			hdr.Set(hn, v)
		} else if strings.HasPrefix(name, "x-amz-meta-") || strings.HasPrefix(name, "x-amz-object-lock-") {
			hdr.Set(name, v)
		}
	}
	meta, err := metaFromHeaders(hdr)
	if err != nil {
		return nil, err
	}
	if err := h.stampOwner(req, &meta, hdr); err != nil {
		return nil, err
	}
	if err := stampTags(req, &meta); err != nil {
		return nil, err
	}
	if err := applyLockHeaders(req, hdr, &meta, false); err != nil {
		return nil, err
	}

	// An x-amz-checksum-<algo> field is verified and stored as the
	// header of a PUT is; like every field but the exempt ones it needs a
	// policy condition (AWS's POST policy documentation).
	algo, sum, err := postChecksum(fields)
	if err != nil {
		return nil, err
	}
	limit := h.MaxObjectSize
	if pa.MaxLength >= 0 && pa.MaxLength < limit {
		limit = pa.MaxLength
	}
	var body io.Reader = &minLengthReader{r: &limitedReader{r: req.form.File, n: limit}, min: pa.MinLength}
	opts := fsstore.PutOptions{Meta: meta}
	if algo != "" {
		body = newVerifyingReader(body, algo, sum)
		opts.Checksums = func() map[string]string { return map[string]string{algo: sum} }
	}
	if err := h.applyEncryption(req, &opts); err != nil {
		return nil, err
	}
	stored, err := h.store.PutObject(req.ctx, req.t.bucket, key, body, opts)
	if isTooLarge(err) {
		return nil, entityTooLarge(-1, limit).withCause(err)
	}
	if err != nil {
		return nil, err
	}

	etag := quoteETag(stored.ETag)
	location := objectURL(req.r, req.t.bucket, key, h.bucketFromHost(req.r.Host) != "")
	resp := objectWritten(stored)
	setEncryptionHeaders(req, resp.header, stored.Encryption)
	resp.setHeader("Location", location)

	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" && u.Host != "" {
		// S3 appends bucket, key and etag in this order to the URL's own
		// query (ceph/s3-tests test_post_object_success_redirect_action:
		// "{redirect}?bucket={bucket}&key={key}&etag=%22{etag}%22").
		added := "bucket=" + url.QueryEscape(req.t.bucket) + "&key=" + url.QueryEscape(key) + "&etag=" + url.QueryEscape(etag)
		if u.RawQuery != "" {
			u.RawQuery += "&" + added
		} else {
			u.RawQuery = added
		}
		resp.setHeader("Location", u.String())
		resp.status = http.StatusSeeOther
		return resp, nil
	}
	switch fields["success_action_status"] {
	case "200":
	case "201":
		resp.status = http.StatusCreated
		resp.xml = postResponse{Location: location, Bucket: req.t.bucket, Key: key, ETag: etag}
	default:
		resp.status = http.StatusNoContent
	}
	return resp, nil
}

// minLengthReader answers EntityTooSmall instead of io.EOF when the file
// ended before min bytes (the policy's content-length-range), so the store
// never publishes it, whatever the key (one ending in "/" may hold bytes
// too).
type minLengthReader struct {
	r      io.Reader
	n, min int64
}

func (m *minLengthReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	if err == io.EOF && m.n < m.min {
		return n, newError(s3err.EntityTooSmall).
			with("ProposedSize", strconv.FormatInt(m.n, 10)).
			with("MinSizeAllowed", strconv.FormatInt(m.min, 10))
	}
	return n, err
}

// objectURL is the URL of an object as the client addressed its bucket,
// its key's segments path-escaped.
func objectURL(r *http.Request, bucket, key string, vhost bool) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucketURL(r, bucket, vhost) + "/" + strings.Join(segs, "/")
}

// bucketURL is the bucket's URL as the client addressed it: scheme, Host,
// the path prefix a handle_path or uri rewrite removed, and the bucket
// (path style) — without a trailing slash.
func bucketURL(r *http.Request, bucket string, vhost bool) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	orig := strings.TrimSuffix(verificationRequest(r).URL.EscapedPath(), "/")
	prefix, ok := strings.CutSuffix(orig, strings.TrimSuffix(r.URL.EscapedPath(), "/"))
	if !ok {
		prefix = ""
	}
	u := scheme + "://" + r.Host + strings.TrimSuffix(prefix, "/")
	if !vhost {
		u += "/" + bucket
	}
	return u
}
