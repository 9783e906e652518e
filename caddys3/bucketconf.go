package caddys3

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/fsstore"
)

// maxPolicySize is S3's limit for a bucket policy.
const maxPolicySize = 20 << 10

// serveACL answers Get/Put Bucket and Object ACL. A PUT takes the ACL from
// the body (AccessControlPolicy XML) or from x-amz-acl / x-amz-grant-*
// headers, not both.
func (h *Handler) serveACL(req *request) error {
	objectLevel := req.op == OpGetObjectACL || req.op == OpPutObjectACL
	var current *access.ACL
	var err error
	if objectLevel {
		m, herr := h.store.HeadObject(req.ctx, req.t.bucket, req.t.key)
		if herr != nil {
			return h.hideMissingKey(req, herr)
		}
		if err := h.authorizeObject(req, m); err != nil {
			return err
		}
		current, err = objectACL(m)
	} else {
		current, err = bucketACL(req.bucket)
	}
	if err != nil {
		return err
	}
	if req.op == OpGetBucketACL || req.op == OpGetObjectACL {
		return writeRawXML(req.w, current.XML())
	}

	body, err := readConfigBody(req, "AccessControlPolicy")
	if err != nil {
		return err
	}
	var acl access.ACL
	hdrACL, hasHeaders, err := access.FromHeaders(req.r.Header, current.OwnerID, current.OwnerName, req.bucket.Owner, "")
	if err != nil {
		return err
	}
	switch {
	case len(bytes.TrimSpace(body)) > 0 && hasHeaders:
		return newError("UnexpectedContent").withMessage("This request does not support content when ACL headers are given.")
	case hasHeaders:
		acl = hdrACL
	case len(bytes.TrimSpace(body)) > 0:
		if acl, err = access.ParseACL(bytes.NewReader(body)); err != nil {
			return err
		}
		// The owner cannot be changed through an ACL.
		if acl.OwnerID != "" && acl.OwnerID != current.OwnerID {
			return newError("AccessDenied").withMessage("The owner in the ACL does not match the resource's owner.")
		}
		acl.OwnerID, acl.OwnerName = current.OwnerID, current.OwnerName
	default:
		return newError("MissingSecurityHeader").withMessage("Your request was missing a required header or body: an ACL.")
	}
	enc, err := json.Marshal(acl)
	if err != nil {
		return err
	}
	if objectLevel {
		err = h.store.SetObjectACL(req.ctx, req.t.bucket, req.t.key, enc)
	} else {
		err = h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketACL, enc)
	}
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// serveBucketPolicy answers Get/Put/DeleteBucketPolicy. The policy is
// validated when put and returned byte for byte.
func (h *Handler) serveBucketPolicy(req *request) error {
	switch req.op {
	case OpGetBucketPolicy:
		if len(req.bucket.Policy) == 0 {
			return newError("NoSuchBucketPolicy")
		}
		hdr := req.w.Header()
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Content-Length", strconv.Itoa(len(req.bucket.Policy)))
		req.w.WriteHeader(http.StatusOK)
		_, _ = req.w.Write(req.bucket.Policy)
		return nil
	case OpDeleteBucketPolicy:
		if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketPolicy, nil); err != nil {
			return err
		}
		req.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	body, err := readConfigBody(req, "bucket policy")
	if err != nil {
		return err
	}
	if len(body) > maxPolicySize {
		return newError("PolicyTooLarge").withMessage("Policy exceeds the maximum allowed document size.")
	}
	if _, err := access.ParsePolicy(body, req.t.bucket); err != nil {
		return err
	}
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketPolicy, body); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveBucketCORS answers Get/Put/DeleteBucketCors.
func (h *Handler) serveBucketCORS(req *request) error {
	switch req.op {
	case OpGetBucketCORS:
		cfg, err := bucketCORS(req.bucket)
		if err != nil {
			return err
		}
		if cfg == nil {
			return newError("NoSuchCORSConfiguration")
		}
		return writeRawXML(req.w, cfg.XML())
	case OpDeleteBucketCORS:
		if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketCORS, nil); err != nil {
			return err
		}
		req.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	body, err := readConfigBody(req, "CORSConfiguration")
	if err != nil {
		return err
	}
	cfg, err := access.ParseCORS(bytes.NewReader(body))
	if err != nil {
		return err
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketCORS, enc); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func bucketCORS(b *fsstore.BucketInfo) (*access.CORSConfig, error) {
	if len(b.CORS) == 0 {
		return nil, nil
	}
	var cfg access.CORSConfig
	if err := json.Unmarshal(b.CORS, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// preflight answers a CORS preflight (OPTIONS) from the bucket's rules.
// It is not authenticated: browsers send no credentials with it.
func (h *Handler) preflight(req *request) error {
	origin := req.r.Header.Get("Origin")
	method := req.r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return newError("BadRequest").withMessage("Insufficient information. Origin request header needed.")
	}
	if req.t.bucket == "" {
		return newError("AccessForbidden").withMessage("CORSResponse: Bucket not found")
	}
	if err := h.loadBucket(req); err != nil {
		return err
	}
	cfg, err := bucketCORS(req.bucket)
	if err != nil {
		return err
	}
	if cfg == nil {
		return newError("AccessForbidden").withMessage("CORSResponse: CORS is not enabled for this bucket.")
	}
	var reqHeaders []string
	for _, v := range req.r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				reqHeaders = append(reqHeaders, name)
			}
		}
	}
	rule := cfg.Match(origin, method, reqHeaders)
	if rule == nil {
		return newError("AccessForbidden").withMessage("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	copyHeaders(req.w.Header(), rule.Headers(origin, reqHeaders, true))
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// setCORSHeaders adds the CORS response headers of the bucket's first
// matching rule to a request from a browser (one with an Origin), errors
// included, so scripts can read S3's answer.
func (h *Handler) setCORSHeaders(req *request) {
	origin := req.r.Header.Get("Origin")
	if origin == "" || req.bucket == nil || len(req.bucket.CORS) == 0 {
		return
	}
	cfg, err := bucketCORS(req.bucket)
	if err != nil || cfg == nil {
		return
	}
	if rule := cfg.Match(origin, req.r.Method, nil); rule != nil {
		copyHeaders(req.w.Header(), rule.Headers(origin, nil, false))
	}
}

func copyHeaders(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append(dst[k], v...)
	}
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  struct{} `xml:"TagSet"`
}

// getObjectTagging answers GetObjectTagging with the empty tag set every
// object has here (tags are not stored; PutObjectTagging is not
// implemented).
func (h *Handler) getObjectTagging(req *request) error {
	m, err := h.store.HeadObject(req.ctx, req.t.bucket, req.t.key)
	if err != nil {
		return h.hideMissingKey(req, err)
	}
	if err := h.authorizeObject(req, m); err != nil {
		return err
	}
	return writeXML(req.w, tagging{Xmlns: s3Namespace})
}
