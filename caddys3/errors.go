package caddys3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// The S3 error codes, their statuses and AWS's default messages are the
// table of package s3err; this file maps Go errors to them and writes them.

// apiError is an S3 error ready to be written: a table row plus the
// request-specific fields S3 echoes.
type apiError struct {
	Code     s3err.Code
	Status   int
	Message  string
	Resource string
	Bucket   string
	Key      string
	// extra XML elements some errors carry (StringToSign, ServerTime, ...).
	extra []xmlField
	cause error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return string(e.Code) + ": " + e.cause.Error()
	}
	return string(e.Code)
}

func (e *apiError) Unwrap() error { return e.cause }

// newError builds an error from the table; an unknown code is a bug and
// becomes InternalError.
func newError(code s3err.Code) *apiError {
	row, ok := s3err.Lookup(code)
	if !ok {
		code = s3err.InternalError
		row, _ = s3err.Lookup(code)
	}
	return &apiError{Code: code, Status: row.Status, Message: row.Message}
}

// newTextError builds an error with one of AWS's texts for its code.
func newTextError(t s3err.Text, args ...any) *apiError {
	e := newError(t.Code)
	e.Message = t.Message(args...)
	return e
}

// withMessage overrides the default message.
func (e *apiError) withMessage(msg string) *apiError {
	e.Message = msg
	return e
}

func (e *apiError) withCause(err error) *apiError {
	e.cause = err
	return e
}

func (e *apiError) with(name, value string) *apiError {
	e.extra = append(e.extra, xmlField{XMLName: xml.Name{Local: name}, Value: value})
	return e
}

// toAPIError maps errors of the auth and fsstore packages to S3 errors.
// Anything it does not know is an InternalError (logged by the caller).
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	// A failed read of the request body is the client's (or its
	// network's) fault, whatever layer returned it (bodyio.go).
	var bodyErr *clientBodyError
	if errors.As(err, &bodyErr) {
		return bodyErr.apiError()
	}
	var textErr *auth.TextError
	if errors.As(err, &textErr) {
		e := newTextError(textErr.Text, textErr.Args...).withCause(err)
		for _, f := range textErr.Fields {
			e.with(f[0], f[1])
		}
		return e
	}
	var sigErr *auth.SignatureMismatchError
	if errors.As(err, &sigErr) {
		// StringToSign helps a client author debug; the canonical request
		// is echoed by S3 too. Neither contains the secret.
		return newError(s3err.SignatureDoesNotMatch).withCause(err).
			with("AWSAccessKeyId", sigErr.AccessKeyID).
			with("StringToSign", sigErr.StringToSign).
			with("CanonicalRequest", sigErr.CanonicalRequest)
	}
	var skew *auth.SkewError
	if errors.As(err, &skew) {
		return newError(s3err.RequestTimeTooSkewed).withCause(err).
			with("RequestTime", skew.RequestTime.UTC().Format(time.RFC3339)).
			with("ServerTime", skew.ServerTime.UTC().Format(time.RFC3339)).
			with("MaxAllowedSkewMilliseconds", strconv.FormatInt(skew.MaxAllowed.Milliseconds(), 10))
	}
	var unsigned *auth.UnsignedHeadersError
	if errors.As(err, &unsigned) {
		// S3 joins the names with ", " (lower-case, as they were sent).
		return newError(s3err.AccessDenied).withCause(err).withMessage(unsigned.Error()).
			with("HeadersNotSigned", strings.Join(unsigned.Headers, ", "))
	}
	var policyErr *auth.PolicyError
	if errors.As(err, &policyErr) {
		return newError(s3err.AccessDenied).withMessage(policyErr.Error()).withCause(err)
	}
	if ae, ok := access.IsError(err); ok {
		e := newError(ae.Code).withCause(err)
		if ae.Message != "" {
			e.Message = ae.Message
		}
		return e
	}
	var missing *fsstore.MissingPartChecksumError
	if errors.As(err, &missing) {
		return newTextError(s3err.PartChecksumMissing, strings.ToLower(missing.Algorithm), missing.PartNumber).withCause(err)
	}
	var mismatch *fsstore.ChecksumMismatchError
	if errors.As(err, &mismatch) {
		return newTextError(s3err.ObjectChecksumMismatch, strings.ToLower(mismatch.Algorithm)).withCause(err)
	}
	var rule *fsstore.ChecksumRuleError
	if errors.As(err, &rule) {
		return checksumRuleError(rule)
	}
	var regionErr *auth.RegionError
	if errors.As(err, &regionErr) {
		return newError(s3err.AuthorizationHeaderMalformed).withCause(err).
			withMessage(regionErr.Error()).with("Region", regionErr.Expected)
	}
	for _, m := range sentinelCodes {
		if errors.Is(err, m.err) {
			e := newError(m.code).withCause(err)
			if m.message != "" {
				e.Message = m.message
			}
			if m.detail {
				// The sentinel was wrapped as "sentinel: detail"; the detail
				// tells the client which field or condition failed.
				if _, d, ok := strings.Cut(err.Error(), m.err.Error()+": "); ok && d != "" {
					e.Message = d
				}
			}
			return e
		}
	}
	return newError(s3err.InternalError).withCause(err)
}

// sentinelCodes maps the storage and auth sentinels to S3 codes, in order:
// the first match wins.
var sentinelCodes = []struct {
	err     error
	code    s3err.Code
	message string
	detail  bool // use the wrapped error's detail as the message
}{
	{auth.ErrExpiredRequest, s3err.AccessDenied, "Request has expired", false},
	{auth.ErrAccessDenied, s3err.AccessDenied, "", false},
	{auth.ErrInvalidAccessKeyID, s3err.InvalidAccessKeyId, "", false},
	{auth.ErrSignatureDoesNotMatch, s3err.SignatureDoesNotMatch, "", false},
	{auth.ErrRequestTimeTooSkewed, s3err.RequestTimeTooSkewed, "", false},
	{auth.ErrAuthorizationHeaderMalformed, s3err.AuthorizationHeaderMalformed, "", false},
	{auth.ErrAuthorizationQueryParamsError, s3err.AuthorizationQueryParametersError, "", false},
	{auth.ErrMissingSecurityHeader, s3err.MissingSecurityHeader, "", false},
	{auth.ErrXAmzContentSHA256Mismatch, s3err.XAmzContentSHA256Mismatch, "", false},
	{auth.ErrInvalidContentSHA256, s3err.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.", false},
	{auth.ErrBadDigest, s3err.BadDigest, "", false},
	{auth.ErrInvalidDigest, s3err.InvalidDigest, "", false},
	{auth.ErrIncompleteBody, s3err.IncompleteBody, "", false},
	{auth.ErrMalformedTrailer, s3err.MalformedTrailerError, "", false},
	{auth.ErrInvalidRequest, s3err.InvalidRequest, "", false},
	{auth.ErrMissingContentLength, s3err.MissingContentLength, "", false},
	{auth.ErrUnsupportedSignatureAlgorithm, s3err.NotImplemented, "This signature algorithm is not implemented.", false},
	{auth.ErrNotImplemented, s3err.NotImplemented, "", false},
	{auth.ErrMalformedPOSTRequest, s3err.MalformedPOSTRequest, "", true},
	{auth.ErrInvalidPolicyDocument, s3err.InvalidPolicyDocument, "", true},
	{auth.ErrPostPreDataTooLarge, s3err.MaxPostPreDataLengthExceededError, "", true},
	{auth.ErrIncorrectNumberOfFiles, s3err.IncorrectNumberOfFilesInPostRequest, "", true},
	{auth.ErrPostMissingField, s3err.InvalidArgument, "", true},
	{auth.ErrCredentialsUnavailable, s3err.ServiceUnavailable, "The credential store is unavailable; please retry.", false},
	{fsstore.ErrNoSuchBucket, s3err.NoSuchBucket, "", false},
	{fsstore.ErrNoSuchKey, s3err.NoSuchKey, "", false},
	{fsstore.ErrBucketExists, s3err.BucketAlreadyExists, "", false},
	{fsstore.ErrBucketAlreadyOwned, s3err.BucketAlreadyOwnedByYou, "", false},
	{fsstore.ErrBucketNotEmpty, s3err.BucketNotEmpty, "", false},
	{fsstore.ErrInvalidBucketName, s3err.InvalidBucketName, "", false},
	{fsstore.ErrKeyTooLong, s3err.KeyTooLongError, "", false},
	{fsstore.ErrInvalidKey, s3err.InvalidArgument, "Object key is not supported: it must be 1 to 1024 bytes of valid UTF-8 without NUL.", false},
	{fsstore.ErrObjectParentIsFile, s3err.ObjectParentIsFile, "", false},
	{fsstore.ErrObjectIsDirectory, s3err.ExistingObjectIsDirectory, "", false},
	{fsstore.ErrPreconditionFailed, s3err.PreconditionFailed, "", false},
	{fsstore.ErrInsufficientStorage, s3err.InsufficientStorage, "", false},
	{fsstore.ErrNoSuchUpload, s3err.NoSuchUpload, "", false},
	{fsstore.ErrInvalidPart, s3err.InvalidPart, "", false},
	{fsstore.ErrInvalidPartOrder, s3err.InvalidPartOrder, "", false},
	{fsstore.ErrEntityTooSmall, s3err.EntityTooSmall, "", false},
	{fsstore.ErrMissingPartChecksum, s3err.InvalidRequest, "", false},
	{fsstore.ErrBadDigest, s3err.BadDigest, "", false},
	{fsstore.ErrCompleteInProgress, s3err.OperationAborted, "A conflicting conditional operation is currently in progress against this resource. Please try again.", false},
	{fsstore.ErrInvalidPartNumber, s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive", false},
}

// errorDocument is the <Error> document of e for the request id.
func errorDocument(e *apiError, reqID string) errorBody {
	return errorBody{
		Code: e.Code, Message: e.Message, Key: e.Key, Bucket: e.Bucket,
		Resource: e.Resource, Extra: e.extra, RequestID: reqID, HostID: hostID(reqID),
	}
}

// writeError sends e as S3 does: XML with the status, no body for HEAD and
// 304.
func writeError(w http.ResponseWriter, r *http.Request, reqID string, e *apiError) {
	h := w.Header()
	// Headers meant for the success response must not leak into an error.
	for _, k := range []string{"ETag", "Last-Modified", "Content-Range", "Accept-Ranges", "Content-Encoding", "Content-Disposition", "Cache-Control", "Expires", "Content-Language"} {
		h.Del(k)
	}
	if e.Status == http.StatusNotModified || r.Method == http.MethodHead {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.WriteHeader(e.Status)
		return
	}
	body, err := xml.Marshal(errorDocument(e, reqID))
	if err != nil {
		body = []byte("<Error><Code>InternalError</Code></Error>")
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
