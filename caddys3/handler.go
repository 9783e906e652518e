package caddys3

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
)

// request carries what every operation needs.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	op    Op
	id    string
	t     target
	who   auth.Principal
	res   *auth.Result
	query map[string][]string
	code  string // the S3 error code answered, "" for success
	// bucket is the addressed bucket, loaded (and the operation
	// authorized) before the operation runs; nil for ListBuckets and
	// CreateBucket.
	bucket *fsstore.BucketInfo
	// initiatorOnly: only the upload's initiator may see this ListParts.
	initiatorOnly bool
}

// ServeHTTP answers every request in S3's own format; it is terminal and
// never calls next, and it never returns an error to Caddy (a Caddy error
// would become a bare status without the XML clients parse).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	start := time.Now()
	if h.drain != nil {
		h.drain.RLock()
		defer h.drain.RUnlock()
	}
	id := h.newRequestID()
	hdr := w.Header()
	hdr.Set("X-Amz-Request-Id", id)
	hdr.Set("X-Amz-Id-2", hostID(id))
	if h.released {
		// This configuration was replaced and its store closed; a retry
		// reaches the new one.
		writeError(w, r, id, newError("ServiceUnavailable").withMessage("The server is reloading its configuration; please retry."))
		return nil
	}

	t := h.resolveTarget(r)
	query := r.URL.Query()
	op := classify(r.Method, t.bucket, t.key, query, r.Header)
	cw, body := &countingWriter{ResponseWriter: w}, countRequestBody(r)
	req := &request{w: cw, r: r, ctx: r.Context(), op: op, id: id, t: t, query: query}
	h.annotate(r, op, t)
	defer h.uploadStarted(op)()

	err := h.serve(req)
	if err != nil {
		h.fail(req, err)
	}
	h.observe(req, cw, body, start)
	return nil
}

func (h *Handler) serve(req *request) error {
	switch req.op {
	case OpNotImplemented:
		return newError("NotImplemented")
	case OpMethodNotAllowed:
		return newError("MethodNotAllowed")
	case OpPostObject:
		// Authenticated by the signed policy inside the form, not by headers.
		return h.postObject(req)
	case OpPreflight:
		return h.preflight(req)
	}
	res, err := h.verifier.Verify(req.ctx, verificationRequest(req.r))
	if err != nil {
		return err
	}
	req.res = res
	req.who = res.Principal
	defer res.Body.Close()
	if !req.who.Anonymous {
		if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
			extra.Add(zap.String("s3_access_key", req.who.AccessKeyID))
		}
	}
	if req.who.ReadOnly && !readOnlyOps[req.op] {
		return newError("AccessDenied").withMessage("This access key may only read.")
	}

	switch req.op {
	case OpListBuckets, OpCreateBucket:
		if req.who.Anonymous {
			return newError("AccessDenied")
		}
		if req.op == OpListBuckets {
			return h.listBuckets(req)
		}
		return h.createBucket(req)
	}
	if err := h.loadBucket(req); err != nil {
		return err
	}
	h.setCORSHeaders(req)
	// Object reads are authorized against the object's ACL once open.
	// DeleteObjects under a bucket policy checks each key it deletes (the
	// policy may allow some prefixes); without one, keys cannot differ.
	if r := opRules[req.op]; !r.object && !(req.op == OpDeleteObjects && len(req.bucket.Policy) > 0) {
		if err := h.authorizeBucketOp(req); err != nil {
			if req.op != OpListParts || req.who.Anonymous {
				return err
			}
			// The account that started an upload may always list its
			// parts; listParts checks once it has read the upload.
			req.initiatorOnly = true
		}
	}
	switch req.op {
	case OpGetBucketACL, OpPutBucketACL, OpGetObjectACL, OpPutObjectACL:
		return h.serveACL(req)
	case OpGetObjectTagging:
		return h.getObjectTagging(req)
	case OpGetBucketPolicy, OpPutBucketPolicy, OpDeleteBucketPolicy:
		return h.serveBucketPolicy(req)
	case OpGetBucketCORS, OpPutBucketCORS, OpDeleteBucketCORS:
		return h.serveBucketCORS(req)
	case OpHeadBucket:
		return h.headBucket(req)
	case OpDeleteBucket:
		return h.deleteBucket(req)
	case OpGetBucketLocation:
		return h.getBucketLocation(req)
	case OpGetBucketVersioning:
		return h.getBucketVersioning(req)
	case OpListObjects:
		return h.listObjects(req, false)
	case OpListObjectsV2:
		return h.listObjects(req, true)
	case OpPutObject:
		return h.putObject(req)
	case OpGetObject, OpHeadObject:
		return h.getObject(req)
	case OpDeleteObject:
		return h.deleteObject(req)
	case OpDeleteObjects:
		return h.deleteObjects(req)
	case OpCopyObject:
		return h.copyObject(req)
	case OpCreateMultipartUpload:
		return h.createMultipartUpload(req)
	case OpUploadPart:
		return h.uploadPart(req)
	case OpUploadPartCopy:
		return h.uploadPartCopy(req)
	case OpCompleteMultipartUpload:
		return h.completeMultipartUpload(req)
	case OpAbortMultipartUpload:
		return h.abortMultipartUpload(req)
	case OpListParts:
		return h.listParts(req)
	case OpListMultipartUploads:
		return h.listMultipartUploads(req)
	}
	return newError("NotImplemented")
}

// readOnlyOps are the operations a read-only key may call.
var readOnlyOps = map[Op]bool{
	OpListBuckets: true, OpHeadBucket: true, OpGetBucketLocation: true, OpGetBucketVersioning: true,
	OpListObjects: true, OpListObjectsV2: true, OpGetObject: true, OpHeadObject: true,
	OpListParts: true, OpListMultipartUploads: true,
	OpGetBucketACL: true, OpGetObjectACL: true, OpGetObjectTagging: true, OpGetBucketPolicy: true, OpGetBucketCORS: true,
}

// verificationRequest returns the request as the client sent it: after
// handle_path or uri rewrites, the signature still covers the original URI.
func verificationRequest(r *http.Request) *http.Request {
	orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
	if !ok {
		return r
	}
	v := *r
	v.URL = orig.URL
	v.RequestURI = orig.RequestURI
	return &v
}

// fail writes err as an S3 error. Unknown errors are internal: logged with
// their cause, answered InternalError.
func (h *Handler) fail(req *request, err error) {
	ae := toAPIError(err)
	req.code = ae.Code
	if ae.Resource == "" {
		ae.Resource = req.r.URL.Path
	}
	if ae.Bucket == "" {
		ae.Bucket = req.t.bucket
	}
	if ae.Key == "" && (ae.Code == "NoSuchKey" || ae.Code == "KeyTooLongError") {
		ae.Key = req.t.key
	}
	if ae.Status >= 500 && ae.Code != "NotImplemented" {
		h.logger.Error("s3 request failed",
			zap.String("request_id", req.id), zap.String("operation", string(req.op)),
			zap.String("code", ae.Code), zap.Error(err))
	} else if ae.cause != nil {
		h.logger.Debug("s3 client error",
			zap.String("request_id", req.id), zap.String("operation", string(req.op)),
			zap.String("code", ae.Code), zap.Error(ae.cause))
	}
	recordErrorCode(req, ae.Code)
	// A client that is still sending a body we rejected early gets the
	// error now; Go's server drains or closes the connection as needed.
	writeError(req.w, req.r, req.id, ae)
}

// recordErrorCode puts the answered S3 error code in the access log, the
// placeholders and the metrics.
func recordErrorCode(req *request, code string) {
	req.code = code
	if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.String("s3_error", code))
	}
	if repl, ok := req.ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.s3.error", code)
	}
}

// annotate exposes the operation, bucket and key to access logs and
// placeholders (the log gets the key's length unless log_keys is on).
func (h *Handler) annotate(r *http.Request, op Op, t target) {
	if extra, ok := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.String("s3_operation", string(op)))
		if t.bucket != "" {
			extra.Add(zap.String("s3_bucket", t.bucket))
		}
		if t.key != "" {
			extra.Add(h.keyLogField(t.key))
		}
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.s3.operation", string(op))
		repl.Set("http.s3.bucket", t.bucket)
		repl.Set("http.s3.key", t.key)
	}
}

func (h *Handler) newRequestID() string {
	return h.reqPrefix + strconv.FormatUint(h.reqSeq.Add(1)|1<<40, 16)[1:]
}

// hostID derives x-amz-id-2 from the request id; S3 sends an opaque token.
func hostID(reqID string) string {
	return base64.StdEncoding.EncodeToString([]byte(reqID))
}

func zapRequestID(req *request) zap.Field { return zap.String("request_id", req.id) }

func zapErr(err error) zap.Field { return zap.Error(err) }

// hasChecksumHeader reports whether the request carries an x-amz-checksum-*
// value (newer SDKs send one instead of Content-MD5).
func hasChecksumHeader(hdr http.Header) bool {
	for _, a := range []string{"Crc32", "Crc32c", "Crc64nvme", "Sha1", "Sha256"} {
		if hdr.Get("X-Amz-Checksum-"+a) != "" {
			return true
		}
	}
	return hdr.Get("X-Amz-Sdk-Checksum-Algorithm") != "" && hdr.Get("X-Amz-Trailer") != ""
}

// isCode reports whether err maps to the S3 error code.
func isCode(err error, code string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}
