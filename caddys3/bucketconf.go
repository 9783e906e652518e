package caddys3

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxPolicySize is S3's limit for a bucket policy.
const maxPolicySize = 20 << 10

func (h *Handler) getBucketACL(req *request) (*response, error) {
	acl, err := bucketACL(req.bucket)
	if err == nil {
		acl, err = shownACL(req.bucket, acl)
	}
	if err != nil {
		return nil, err
	}
	return rawXML(acl.Named(h.accounts(req)).XML()), nil
}

func (h *Handler) getObjectACL(req *request) (*response, error) {
	acl, err := objectACL(req.object.Meta)
	if err == nil {
		acl, err = shownACL(req.bucket, acl)
	}
	if err != nil {
		return nil, err
	}
	return rawXML(acl.Named(h.accounts(req)).XML()), nil
}

func (h *Handler) putBucketACL(req *request) (*response, error) {
	current, err := bucketACL(req.bucket)
	if err != nil {
		return nil, err
	}
	enc, err := h.aclFromRequest(req, current)
	if err != nil {
		return nil, err
	}
	return h.setBucketDoc(req, fsstore.BucketACL, enc)
}

func (h *Handler) putObjectACL(req *request) (*response, error) {
	current, err := objectACL(req.object.Meta)
	if err != nil {
		return nil, err
	}
	enc, err := h.aclFromRequest(req, current)
	if err != nil {
		return nil, err
	}
	resp := &response{}
	if version, named := req.versionID(); named {
		err = h.store.SetObjectACLVersion(req.ctx, req.t.bucket, req.t.key, version, enc)
	} else {
		err = h.store.SetObjectACL(req.ctx, req.t.bucket, req.t.key, enc)
	}
	if err != nil {
		return nil, err
	}
	// PutObjectAcl answers the version it changed (x-amz-version-id,
	// "Response Syntax").
	if v := versionHeader(req.bucket, req.object.Meta); v != "" {
		resp.setHeader("X-Amz-Version-Id", v)
	}
	return resp, nil
}

// aclFromRequest is the ACL a Put Bucket/Object ACL asks for, encoded for
// storage: from the body (AccessControlPolicy XML) or from x-amz-acl /
// x-amz-grant-* headers, not both. The owner cannot change.
func (h *Handler) aclFromRequest(req *request, current *access.ACL) ([]byte, error) {
	body, err := readBody(req, maxConfigBody, "AccessControlPolicy")
	if err != nil {
		return nil, err
	}
	var acl access.ACL
	accounts := h.accounts(req)
	hdrACL, hasHeaders, err := access.FromHeaders(req.r.Header, current.OwnerID, current.OwnerName, req.bucket.Owner, "", accounts)
	if err != nil {
		return nil, err
	}
	switch {
	case len(bytes.TrimSpace(body)) > 0 && hasHeaders:
		return nil, newTextError(s3err.ACLUnexpectedContent)
	case hasHeaders:
		acl = hdrACL
	case len(bytes.TrimSpace(body)) > 0:
		if acl, err = access.ParseACL(bytes.NewReader(body), accounts); err != nil {
			return nil, err
		}
		if acl.OwnerID != current.OwnerID {
			// Giving the resource away (ceph/s3-tests test_object_giveaway,
			// test_bucket_acl_grant_owner_modify: AccessDenied).
			return nil, newError(s3err.AccessDenied)
		}
		acl.OwnerID, acl.OwnerName = current.OwnerID, current.OwnerName
	default:
		// AWS names the header it wanted (localstack's validated snapshot
		// "put-bucket-empty").
		return nil, newTextError(s3err.ACLMissing).with("MissingHeaderName", "x-amz-acl")
	}
	if err := checkACLChange(req, &acl); err != nil {
		return nil, err
	}
	return json.Marshal(acl)
}

// getBucketPolicy returns the policy byte for byte as it was put.
func (h *Handler) getBucketPolicy(req *request) (*response, error) {
	if len(req.bucket.Policy) == 0 {
		return nil, newError(s3err.NoSuchBucketPolicy)
	}
	return &response{raw: req.bucket.Policy, contentType: "application/json"}, nil
}

// putBucketPolicy validates the policy and stores it as sent.
func (h *Handler) putBucketPolicy(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "bucket policy")
	if err != nil {
		return nil, err
	}
	if len(body) > maxPolicySize {
		return nil, newError(s3err.PolicyTooLarge)
	}
	if h.admin != nil && emptyStatements(body) {
		// MinIO's meaning, with the MinIO admin API on: CloudStack's
		// "Private" is {"Version":"2012-10-17","Statement":[]}, a policy
		// that grants nothing, i.e. no policy (AWS refuses it as
		// MalformedPolicy, which would make CloudStack roll the bucket
		// back). Stored as no policy, as DeleteBucketPolicy does.
		return h.deleteBucketPolicy(req)
	}
	pol, err := access.ParsePolicy(body, req.t.bucket)
	if err != nil {
		return nil, err
	}
	if err := checkPublicPolicy(req.bucket, pol); err != nil {
		return nil, err
	}
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketPolicy, body); err != nil {
		return nil, err
	}
	return noContent()
}

// emptyStatements: a JSON object whose Statement is an empty array.
func emptyStatements(body []byte) bool {
	var p struct{ Statement *[]json.RawMessage }
	return json.Unmarshal(body, &p) == nil && p.Statement != nil && len(*p.Statement) == 0
}

func (h *Handler) deleteBucketPolicy(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketPolicy)
}

func (h *Handler) getBucketCORS(req *request) (*response, error) {
	cfg, err := bucketCORS(req.bucket)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, newError(s3err.NoSuchCORSConfiguration)
	}
	return rawXML(cfg.XML()), nil
}

func (h *Handler) putBucketCORS(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "CORSConfiguration")
	if err != nil {
		return nil, err
	}
	cfg, err := access.ParseCORS(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return h.setBucketDoc(req, fsstore.BucketCORS, enc)
}

func (h *Handler) deleteBucketCORS(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketCORS)
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
func (h *Handler) preflight(req *request) (*response, error) {
	origin := req.r.Header.Get("Origin")
	method := req.r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return nil, newTextError(s3err.CORSOriginNeeded)
	}
	// S3's refusals name the method asked for and the resource's type.
	forbidden := func(e *apiError) error {
		return e.with("Method", method).with("ResourceType", resourceType(req))
	}
	var reqHeaders []string
	for _, v := range req.r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				reqHeaders = append(reqHeaders, name)
			}
		}
	}
	// Without a CORS configuration of the bucket's own, cors_origins
	// decides (corsorigins.go).
	byDefault := func(e error) (*response, error) {
		if resp := h.defaultPreflight(req, method, reqHeaders); resp != nil {
			return resp, nil
		}
		return nil, e
	}
	if req.t.bucket == "" {
		return byDefault(forbidden(newTextError(s3err.CORSNoBucket)))
	}
	if err := h.loadBucket(req); err != nil {
		if toAPIError(err).Code == s3err.NoSuchBucket {
			return byDefault(forbidden(newTextError(s3err.CORSNoBucket)))
		}
		return nil, err
	}
	cfg, err := bucketCORS(req.bucket)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return byDefault(forbidden(newTextError(s3err.CORSNotEnabled)))
	}
	rule := cfg.Match(origin, method, reqHeaders)
	if rule == nil {
		return nil, forbidden(newError(s3err.AccessForbidden))
	}
	return &response{header: rule.Headers(origin, reqHeaders, true)}, nil
}

// setCORSHeaders adds the CORS response headers of the bucket's first
// matching rule to a request from a browser (one with an Origin), errors
// included, so scripts can read S3's answer.
func (h *Handler) setCORSHeaders(req *request, dst http.Header) {
	origin := req.r.Header.Get("Origin")
	if origin == "" || req.bucket == nil || len(req.bucket.CORS) == 0 {
		return
	}
	clearCORSHeaders(dst) // the bucket's own configuration replaces cors_origins'
	cfg, err := bucketCORS(req.bucket)
	if err != nil || cfg == nil {
		return
	}
	if rule := cfg.Match(origin, req.r.Method, nil); rule != nil {
		for k, v := range rule.Headers(origin, nil, false) {
			dst[k] = append(dst[k], v...)
		}
	}
}

// setBucketDoc stores one of the bucket's documents (SetBucketDoc) and
// answers 200.
func (h *Handler) setBucketDoc(req *request, doc fsstore.BucketDoc, data []byte) (*response, error) {
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, doc, data); err != nil {
		return nil, err
	}
	return ok()
}

// removeBucketDoc removes one of the bucket's documents and answers 204,
// also when there was none (as S3's Delete… operations do).
func (h *Handler) removeBucketDoc(req *request, doc fsstore.BucketDoc) (*response, error) {
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, doc, nil); err != nil {
		return nil, err
	}
	return noContent()
}
