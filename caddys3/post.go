package caddys3

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
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

// postResponse is the body of a POST upload with success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject serves browser-based uploads (POST with multipart/form-data and
// a signed policy document). The form streams: fields before the file are
// bounded, the file goes straight to the store, whose object becomes
// visible only after the whole file arrived within the policy's
// content-length-range.
func (h *Handler) postObject(req *request) error {
	r := req.r
	if r.Body == nil {
		return newError("MalformedPOSTRequest")
	}
	form, err := auth.ReadPostForm(r.Body, r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	fields := form.Fields
	key, ok := fields["key"]
	if !ok {
		return newError("InvalidArgument").
			withMessage("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").
			with("ArgumentName", "key").with("ArgumentValue", "")
	}
	key = strings.ReplaceAll(key, "${filename}", form.FileName)
	fields["key"] = key
	req.t.key = key

	pa, err := h.verifier.VerifyPost(req.ctx, req.t.bucket, fields)
	if err != nil {
		return err
	}
	req.who = pa.Principal
	if req.who.ReadOnly {
		return newError("AccessDenied").withMessage("This access key may only read.")
	}
	if !req.who.Anonymous {
		if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
			extra.Add(zap.String("s3_access_key", req.who.AccessKeyID))
		}
	}
	if err := h.loadBucket(req); err != nil {
		return err
	}
	h.setCORSHeaders(req)
	// An anonymous form (no policy) uploads only where the bucket's ACL or
	// policy lets everyone write.
	if err := h.authorizeBucketOp(req); err != nil {
		return err
	}
	if key == "" {
		return newError("InvalidArgument").withMessage("User key must have a length greater than 0.").
			with("ArgumentName", "key").with("ArgumentValue", "")
	}

	hdr := http.Header{}
	for name, v := range fields {
		if hn, ok := postFieldHeaders[name]; ok {
			hdr.Set(hn, v)
		} else if strings.HasPrefix(name, "x-amz-meta-") {
			hdr.Set(name, v)
		}
	}
	meta, err := metaFromHeaders(hdr)
	if err != nil {
		return err
	}
	if err := h.stampOwner(req, &meta, hdr); err != nil {
		return err
	}

	limit := h.MaxObjectSize
	if pa.MaxLength >= 0 && pa.MaxLength < limit {
		limit = pa.MaxLength
	}
	body := &minLengthReader{r: &limitedReader{r: form.File, n: limit}, min: pa.MinLength, marker: strings.HasSuffix(key, "/")}
	stored, err := h.store.PutObject(req.ctx, req.t.bucket, key, body, fsstore.PutOptions{Meta: meta})
	if isTooLarge(err) {
		return newError("EntityTooLarge").with("MaxSizeAllowed", strconv.FormatInt(limit, 10)).withCause(err)
	}
	if err != nil {
		return err
	}

	etag := quoteETag(stored.ETag)
	location := objectURL(r, req.t.bucket, key, h.bucketFromHost(r.Host) != "")
	w := req.w
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", location)

	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" && u.Host != "" {
		q := u.Query()
		q.Set("bucket", req.t.bucket)
		q.Set("key", key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		body, err := xml.Marshal(postResponse{Location: location, Bucket: req.t.bucket, Key: key, ETag: etag})
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(xml.Header))
		_, _ = w.Write(body)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// minLengthReader answers EntityTooSmall instead of io.EOF when the file
// ended before min bytes (the policy's content-length-range), so the store
// never publishes it. A folder marker (a key ending in "/") holds no bytes:
// the store refuses any with InvalidArgument, which is the answer to a
// non-empty file there however small.
type minLengthReader struct {
	r      io.Reader
	n, min int64
	marker bool
}

func (m *minLengthReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	if err == io.EOF && m.n < m.min && (m.n == 0 || !m.marker) {
		return n, newError("EntityTooSmall").
			with("ProposedSize", strconv.FormatInt(m.n, 10)).
			with("MinSizeAllowed", strconv.FormatInt(m.min, 10))
	}
	return n, err
}

// objectURL is the URL of an object as the client addressed its bucket:
// the original request path (a handle_path prefix included) plus the key.
func objectURL(r *http.Request, bucket, key string, vhost bool) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	p := verificationRequest(r).URL.EscapedPath()
	if !vhost && !strings.HasSuffix(strings.TrimSuffix(p, "/"), "/"+bucket) {
		p = "/" + bucket
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(p, "/") + "/" + strings.Join(segs, "/")
}
