package caddys3

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// request carries what every operation needs. The serve loop fills it:
// the operation's row, who signed, and what the row's scope loaded and
// authorized.
type request struct {
	r     *http.Request
	ctx   context.Context
	op    *operation
	id    string
	t     target
	query url.Values
	who   auth.Principal
	// body is the verified request body (see auth.Result.Body); res the
	// rest of the verification (declared length, checksums).
	body io.Reader
	res  *auth.Result
	code s3err.Code // the S3 error code answered, "" for success
	// bucket is the addressed bucket; nil for the service scope.
	bucket *fsstore.BucketInfo
	// object is the addressed object (scopeObjectMeta: Meta only;
	// scopeObjectFile: open for reading).
	object *fsstore.Object
	// source is the open copy source (scopeCopy), src its address.
	source *fsstore.Object
	src    target
	// srcBucket is the copy source's bucket (scopeCopy); srcNamed: the
	// source names a version.
	srcBucket *fsstore.BucketInfo
	srcNamed  bool
	// allowKey authorizes one key of a batch (scopeEachKey), or one
	// version of it.
	allowKey func(key string, version bool) error
	// form and post are the browser upload's form and signed policy
	// (signedForm).
	form *auth.PostForm
	post *auth.PostAuth
	// in is the raw request body as read from the client (bodyio.go).
	in *countingBody
	// tags is the tag set the request asks for, once read (tagging.go).
	tags *parsedTags
	// abort: the response body failed midway (response.body).
	abort bool
}

// ServeHTTP answers every request in S3's own format; it is terminal and
// never calls next, and it never returns an error to Caddy (a Caddy error
// would become a bare status without the XML clients parse).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	start := time.Now()
	if h.serveHealth(w, r) { // health.go: before authentication
		return nil
	}
	if !h.awaitStart(r.Context()) { // start.go
		return nil
	}
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
		writeError(w, r, id, newError(s3err.ServiceUnavailable))
		return nil
	}

	t := h.resolveTarget(r)
	if h.serveAdminAPI(w, r, id, t) { // MinIO's admin API (admin_hook.go)
		return nil
	}
	query := r.URL.Query()
	op := classify(r.Method, t.bucket, t.key, query, r.Header)
	cw, body := &countingWriter{ResponseWriter: w}, countRequestBody(r)
	req := &request{r: r, ctx: r.Context(), op: op, id: id, t: t, query: query}
	h.annotate(r, op.name, t)
	defer h.uploadStarted(op)()

	resp, err := h.serve(req, cw)
	req.in = body
	settleBody(req, cw, body)
	if err == nil {
		err = h.writeResponse(req, cw, resp)
	}
	req.close()
	if err != nil {
		h.fail(req, cw, err)
	}
	h.observe(req, cw, body, start)
	if req.abort {
		// A body failed after its headers went out (a damaged sealed
		// object): cut the connection so that no client takes the
		// short body for the object.
		panic(http.ErrAbortHandler)
	}
	return nil
}

// serve is the request path: verify the signature in a form the row
// allows, authorize the row's scope, then call the row's function.
func (h *Handler) serve(req *request, w http.ResponseWriter) (*response, error) {
	op := req.op
	if op.name != OpPreflight {
		h.setDefaultCORSHeaders(req, w.Header()) // cors_origins (corsorigins.go)
	}
	if op.signedBy != 0 {
		if err := h.verify(req); err != nil {
			return nil, err
		}
		if req.who.ReadOnly && op.writes {
			return nil, newError(s3err.AccessDenied)
		}
	}
	if err := h.authorizeScope(req, w); err != nil {
		return nil, err
	}
	// A header or form field that asks for a feature we lack (refusals.go).
	if err := req.refused(); err != nil {
		return nil, err
	}
	if op.integrity && req.r.Header.Get("Content-MD5") == "" && !hasChecksumHeader(req.r.Header) {
		return nil, newTextError(s3err.MissingContentMD5)
	}
	// Bucket usage and its hard quota (quota.go).
	release, err := h.trackUsage(req)
	if err != nil {
		return nil, err
	}
	served, later := false, false
	defer func() {
		if !later {
			release(served)
		}
	}()
	resp, err := serveOp(h, op, req) // dfs_estale.go
	served = err == nil
	if served && resp != nil && resp.pending != nil {
		// A Complete publishes after serve returns: its reservation
		// ends when its outcome is known.
		in, out := resp.pending, make(chan outcome, 1)
		go func() {
			res := <-in
			release(res.err == nil)
			out <- res
		}()
		resp.pending, later = out, true
	}
	return resp, err
}

// verify authenticates the request in one of the forms its row allows.
func (h *Handler) verify(req *request) error {
	if req.op.signedBy&signedForm != 0 {
		if err := h.verifyForm(req); err != nil {
			return err
		}
	} else {
		vr := verificationRequest(req.r)
		res, err := h.verifier.Verify(req.ctx, vr)
		if err != nil {
			// A header Caddy deleted is named, not a bare mismatch.
			return explainSignatureFailure(vr, err)
		}
		req.res, req.body, req.who = res, res.Body, res.Principal
		presigned := req.presigned()
		if presigned && req.op.signedBy&signedQuery == 0 || !presigned && req.op.signedBy&signedHeader == 0 {
			return newError(s3err.AccessDenied)
		}
	}
	if !req.who.Anonymous {
		if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
			extra.Add(zap.String("s3_access_key", req.who.AccessKeyID))
		}
	}
	return nil
}

// presigned reports whether the request was signed in its query (a
// presigned URL, SigV4 or SigV2).
func (req *request) presigned() bool {
	return req.who.Method == "v4-presigned" || req.who.Method == "v2-presigned"
}

// close releases what the scope opened and the verified body.
func (req *request) close() {
	if req.object != nil && req.object.File != nil {
		req.object.Close()
	}
	if req.source != nil {
		req.source.Close()
	}
	if req.res != nil {
		req.res.Body.Close()
	}
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

// errorFor maps err to the S3 error answered for req, with the request's
// resource, and logs what is not the client's fault. Unknown errors are
// internal: logged with their cause, answered InternalError.
func (h *Handler) errorFor(req *request, err error) *apiError {
	ae := toAPIError(err)
	if ae.Resource == "" {
		ae.Resource = req.r.URL.Path
	}
	if ae.Bucket == "" {
		ae.Bucket = req.t.bucket
	}
	ae.requestElements(req)
	if ae.Status >= 500 && ae.Code != s3err.NotImplemented {
		h.logger.Error("s3 request failed",
			zap.String("request_id", req.id), zap.String("operation", string(req.op.name)),
			zap.String("code", string(ae.Code)), zap.Error(err))
	} else if ae.cause != nil {
		h.logger.Debug("s3 client error",
			zap.String("request_id", req.id), zap.String("operation", string(req.op.name)),
			zap.String("code", string(ae.Code)), zap.Error(ae.cause))
	}
	return ae
}

// fail writes err as an S3 error. A client that is still sending a body we
// rejected early gets the error now; Go's server drains or closes the
// connection as needed.
func (h *Handler) fail(req *request, w http.ResponseWriter, err error) {
	if req.in != nil {
		// A layer that turned a failed body read into its own error (or
		// an internal one) hides the cause: the client's transport.
		if _, _, bodyErr := req.in.state.get(); bodyErr != nil && !errors.As(err, new(*clientBodyError)) {
			if ae := toAPIError(err); ae.Status >= 500 || ae.Code == s3err.IncompleteBody {
				err = bodyErr
			}
		}
	}
	ae := h.errorFor(req, err)
	recordErrorCode(req, ae.Code)
	writeError(w, req.r, req.id, ae)
}

// recordErrorCode puts the answered S3 error code in the access log, the
// placeholders and the metrics.
func recordErrorCode(req *request, code s3err.Code) {
	req.code = code
	if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.String("s3_error", string(code)))
	}
	if repl, ok := req.ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.s3.error", string(code))
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
	return len(sentChecksums(hdr)) > 0 || hdr.Get("X-Amz-Sdk-Checksum-Algorithm") != "" && hdr.Get("X-Amz-Trailer") != ""
}

// isCode reports whether err maps to the S3 error code.
func isCode(err error, code s3err.Code) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}

// firstValue is the first value of a query parameter, "" when absent.
func firstValue(q url.Values, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
