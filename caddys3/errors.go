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
	// header: response headers some errors carry (x-amz-delete-marker,
	// x-amz-version-id, Allow of a delete marker's 405).
	header http.Header
	cause  error
}

// setHeader adds a response header to the error's answer.
func (e *apiError) setHeader(k, v string) {
	if e.header == nil {
		e.header = http.Header{}
	}
	e.header.Set(k, v)
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

// newTextError builds an error with one of AWS's texts for its code. It is
// the only place a message other than the code's default is set.
func newTextError(t s3err.Text, args ...any) *apiError {
	e := newError(t.Code)
	e.Message = t.Message(args...)
	return e
}

// textOr is the error of code with msg as its message when msg is one of
// texts (a message another package wrote, e.g. an auth error's detail),
// else with the code's default message.
func textOr(code s3err.Code, msg string, texts []s3err.Text) *apiError {
	for _, t := range texts {
		if t.Code != code {
			continue
		}
		if args, ok := t.Parse(msg); ok {
			return newTextError(t, args...)
		}
	}
	return newError(code)
}

func (e *apiError) withCause(err error) *apiError {
	e.cause = err
	return e
}

func (e *apiError) with(name, value string) *apiError {
	e.extra = append(e.extra, xmlField{XMLName: xml.Name{Local: name}, Value: value})
	return e
}

// withArgument names the request argument an InvalidArgument is about, as
// S3 does (ArgumentName, ArgumentValue).
func (e *apiError) withArgument(name, value string) *apiError {
	return e.with("ArgumentName", name).with("ArgumentValue", value)
}

// entityTooLarge is S3's EntityTooLarge with the size proposed (when the
// request declared one) and the limit: <ProposedSize>, <MaxSizeAllowed>
// (vgw entity-too-large-error.go).
func entityTooLarge(proposed, limit int64) *apiError {
	e := newError(s3err.EntityTooLarge)
	if proposed >= 0 {
		e.with("ProposedSize", strconv.FormatInt(proposed, 10))
	}
	return e.with("MaxSizeAllowed", strconv.FormatInt(limit, 10))
}

// requestElements adds what S3 echoes of the request in some errors: the
// key of NoSuchKey (and KeyTooLongError), the upload of NoSuchUpload and
// InvalidPart (docs: "Error responses"; vgw invalid-part-error.go).
func (e *apiError) requestElements(req *request) {
	switch e.Code {
	case s3err.NoSuchKey, s3err.KeyTooLongError:
		if e.Key == "" {
			e.Key = req.t.key
		}
	case s3err.InvalidArgument:
		// A sentinel named the argument; its value is the request's.
		if name, ok := e.value("ArgumentName"); ok && !e.has("ArgumentValue") {
			v := req.r.Header.Get(name)
			if q, ok := req.query[name]; ok {
				v = q[0]
			}
			e.with("ArgumentValue", v)
		}
	case s3err.MethodNotAllowed:
		// First: <Method> comes before <ResourceType>.
		if !e.has("Method") {
			e.extra = append([]xmlField{{XMLName: xml.Name{Local: "Method"}, Value: req.r.Method}}, e.extra...)
		}
	case s3err.NoSuchVersion:
		// S3 names the key and the version (localstack models.py
		// S3Bucket.get_object: NoSuchVersion with Key and VersionId).
		if e.Key == "" {
			e.Key = req.t.key
		}
		if v, ok := req.versionID(); ok && !e.has("VersionId") {
			e.with("VersionId", v)
		}
	case s3err.NoSuchUpload, s3err.InvalidPart:
		// First: InvalidPart's UploadId comes before PartNumber and ETag.
		if id, ok := req.query["uploadId"]; ok && !e.has("UploadId") {
			e.extra = append([]xmlField{{XMLName: xml.Name{Local: "UploadId"}, Value: id[0]}}, e.extra...)
		}
	}
}

// has reports whether e carries the extra element.
func (e *apiError) has(name string) bool {
	_, ok := e.value(name)
	return ok
}

// value returns the extra element's value.
func (e *apiError) value(name string) (string, bool) {
	for _, f := range e.extra {
		if f.XMLName.Local == name {
			return f.Value, true
		}
	}
	return "", false
}

// hexBytes is s as S3 echoes it in StringToSignBytes and
// CanonicalRequestBytes: each byte as two lower-case hex digits, separated
// by spaces.
func hexBytes(s string) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 3*len(s))
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(b)
}

// amzTime is the SigV4 time format (X-Amz-Date), in which S3 echoes
// RequestTime.
const amzTime = "20060102T150405Z"

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
		// What S3 echoes to help a client author debug, in S3's order;
		// none of it contains the secret. SigV2 and POST policies have no
		// canonical request (S3 sends none for them either).
		e := newError(s3err.SignatureDoesNotMatch).withCause(err).
			with("AWSAccessKeyId", sigErr.AccessKeyID).
			with("StringToSign", sigErr.StringToSign).
			with("SignatureProvided", sigErr.SignatureProvided).
			with("StringToSignBytes", hexBytes(sigErr.StringToSign))
		if sigErr.CanonicalRequest != "" {
			e.with("CanonicalRequest", sigErr.CanonicalRequest).
				with("CanonicalRequestBytes", hexBytes(sigErr.CanonicalRequest))
		}
		return e
	}
	var skew *auth.SkewError
	if errors.As(err, &skew) {
		return newError(s3err.RequestTimeTooSkewed).withCause(err).
			with("RequestTime", skew.RequestTime.UTC().Format(amzTime)).
			with("ServerTime", skew.ServerTime.UTC().Format(time.RFC3339)).
			with("MaxAllowedSkewMilliseconds", strconv.FormatInt(skew.MaxAllowed.Milliseconds(), 10))
	}
	var unsigned *auth.UnsignedHeadersError
	if errors.As(err, &unsigned) {
		// S3 joins the names with ", " (lower-case, as they were sent).
		return newTextError(s3err.HeadersNotSigned).withCause(err).
			with("HeadersNotSigned", strings.Join(unsigned.Headers, ", "))
	}
	var policyErr *auth.PolicyError
	if errors.As(err, &policyErr) {
		return newTextError(s3err.PostPolicyViolated, policyErr.Detail).withCause(err)
	}
	if ae, ok := access.IsError(err); ok {
		e := textOr(ae.Code, ae.Message, accessTexts).withCause(err)
		if ae.ArgumentName != "" {
			e.withArgument(ae.ArgumentName, ae.ArgumentValue)
		}
		return e
	}
	if dm, ok := asDeleteMarker(err); ok {
		// The method is the request's (requestElements).
		return deleteMarkerError(dm, "", false)
	}
	var missing *fsstore.MissingPartChecksumError
	if errors.As(err, &missing) {
		return newTextError(s3err.PartChecksumMissing, strings.ToLower(missing.Algorithm), missing.PartNumber).withCause(err)
	}
	var mismatch *fsstore.ChecksumMismatchError
	if errors.As(err, &mismatch) {
		return newTextError(s3err.ObjectChecksumMismatch, strings.ToLower(mismatch.Algorithm)).withCause(err)
	}
	var partErr *fsstore.PartError
	if errors.As(err, &partErr) {
		// S3 names the part (and the upload, see requestElements); the
		// ETag as the request gave it, unquoted.
		part := strconv.Itoa(partErr.PartNumber)
		if errors.Is(partErr, fsstore.ErrEntityTooSmall) {
			return newError(s3err.EntityTooSmall).withCause(err).
				with("ProposedSize", strconv.FormatInt(partErr.Size, 10)).
				with("MinSizeAllowed", strconv.FormatInt(partErr.MinSize, 10)).
				with("PartNumber", part).with("ETag", partErr.ETag)
		}
		return newError(s3err.InvalidPart).withCause(err).with("PartNumber", part).with("ETag", partErr.ETag)
	}
	var rule *fsstore.ChecksumRuleError
	if errors.As(err, &rule) {
		return checksumRuleError(rule)
	}
	var regionErr *auth.RegionError
	if errors.As(err, &regionErr) {
		return newTextError(s3err.AuthHeaderRegion, regionErr.Got, regionErr.Expected).withCause(err).
			with("Region", regionErr.Expected)
	}
	for _, m := range sentinelCodes {
		if !errors.Is(err, m.err) {
			continue
		}
		if m.text != nil {
			e := newTextError(*m.text).withCause(err)
			if m.arg != "" {
				// Its value is the request's (requestElements).
				e.with("ArgumentName", m.arg)
			}
			return e
		}
		// The sentinel was wrapped as "sentinel: detail"; a detail that is
		// one of AWS's texts for the code tells the client which field or
		// condition failed.
		_, d, _ := strings.Cut(err.Error(), m.err.Error()+": ")
		return textOr(m.code, d, m.details).withCause(err)
	}
	return newError(s3err.InternalError).withCause(err)
}

// accessTexts are the texts an access.Error (ACL, CORS, bucket policy
// documents) may carry; another message gets its code's default.
var accessTexts = []s3err.Text{
	s3err.CORSBadMethod, s3err.CORSOriginStars, s3err.CORSHeaderStars, s3err.CORSExposeStar,
	s3err.ACLInvalidID, s3err.ACLInvalidGroupURI, s3err.ACLGrantFormat, s3err.ACLMalformed,
	s3err.ACLBothCannedAndGrants, s3err.ACLUnexpectedContent, s3err.ACLMissing, s3err.ACLEmailGrant,
	s3err.PolicyVersion, s3err.PolicyID, s3err.PolicyMissing, s3err.PolicyStatement, s3err.PolicyEmpty,
	s3err.PolicySidUnique, s3err.PolicySid, s3err.PolicyEffect, s3err.PolicyBoth, s3err.PolicyAction,
	s3err.PolicyResource, s3err.PolicyPrincipal, s3err.PolicyUnknownField, s3err.PolicyCondition,
	s3err.PolicyConditionKey, s3err.PolicyCondType, s3err.PolicyCondValue,
}

// sentinelCodes maps the storage and auth sentinels to S3 codes, in order:
// the first match wins. text, when set, is the message; otherwise a
// wrapped detail that is one of details is, else the code's default. arg
// is the request argument (header or query parameter) S3 names.
var sentinelCodes = []struct {
	err     error
	code    s3err.Code
	text    *s3err.Text
	details []s3err.Text
	arg     string
}{
	{err: auth.ErrExpiredRequest, code: s3err.AccessDenied, text: &s3err.RequestExpired},
	{err: auth.ErrAccessDenied, code: s3err.AccessDenied, details: []s3err.Text{s3err.RequestNotYetValid, s3err.MissingDateHeader}},
	{err: auth.ErrInvalidAccessKeyID, code: s3err.InvalidAccessKeyId},
	{err: auth.ErrSignatureDoesNotMatch, code: s3err.SignatureDoesNotMatch},
	{err: auth.ErrRequestTimeTooSkewed, code: s3err.RequestTimeTooSkewed},
	{err: auth.ErrAuthorizationHeaderMalformed, code: s3err.AuthorizationHeaderMalformed, details: []s3err.Text{
		s3err.AuthHeaderService, s3err.AuthHeaderTerminal, s3err.AuthHeaderDate,
	}},
	{err: auth.ErrAuthorizationQueryParamsError, code: s3err.AuthorizationQueryParametersError, details: []s3err.Text{
		s3err.PresignMissingParams, s3err.PresignAlgorithm, s3err.PresignCredential, s3err.PresignRegion,
		s3err.PresignService, s3err.PresignTerminal, s3err.PresignDate, s3err.PresignAmzDate,
		s3err.PresignExpiresNumber, s3err.PresignExpiresNeg, s3err.PresignExpiresWeek,
	}},
	{err: auth.ErrMissingSecurityHeader, code: s3err.MissingSecurityHeader},
	{err: auth.ErrXAmzContentSHA256Mismatch, code: s3err.XAmzContentSHA256Mismatch},
	{err: auth.ErrInvalidContentSHA256, code: s3err.InvalidArgument, text: &s3err.InvalidContentSHA256, arg: "x-amz-content-sha256"},
	{err: auth.ErrBadDigest, code: s3err.BadDigest},
	{err: auth.ErrInvalidDigest, code: s3err.InvalidDigest, details: []s3err.Text{s3err.InvalidContentMD5}},
	{err: auth.ErrIncompleteBody, code: s3err.IncompleteBody},
	{err: auth.ErrMalformedTrailer, code: s3err.MalformedTrailerError},
	{err: auth.ErrInvalidRequest, code: s3err.InvalidRequest, details: []s3err.Text{
		s3err.ChecksumHeadersMultiple, s3err.ChecksumHeaderInvalid, s3err.MissingContentSHA256,
		s3err.OneAuthMechanism, s3err.TrailerNotSupported,
	}},
	{err: auth.ErrMissingContentLength, code: s3err.MissingContentLength},
	{err: auth.ErrUnsupportedSignatureAlgorithm, code: s3err.NotImplemented},
	{err: auth.ErrNotImplemented, code: s3err.NotImplemented},
	{err: auth.ErrMalformedPOSTRequest, code: s3err.MalformedPOSTRequest},
	{err: auth.ErrInvalidPolicyDocument, code: s3err.InvalidPolicyDocument, details: []s3err.Text{
		s3err.PostPolicyBase64, s3err.PostPolicyJSON, s3err.PostPolicyNoExpiry, s3err.PostPolicyExpiry,
		s3err.PostPolicyNoConds, s3err.PostPolicyCondition,
	}},
	{err: auth.ErrPostPreDataTooLarge, code: s3err.MaxPostPreDataLengthExceededError},
	{err: auth.ErrIncorrectNumberOfFiles, code: s3err.IncorrectNumberOfFilesInPostRequest},
	{err: auth.ErrPostMissingField, code: s3err.InvalidArgument, details: []s3err.Text{s3err.PostMissingFieldOnly}},
	{err: auth.ErrCredentialsUnavailable, code: s3err.ServiceUnavailable},
	{err: fsstore.ErrNoSuchBucket, code: s3err.NoSuchBucket},
	{err: fsstore.ErrNoSuchKey, code: s3err.NoSuchKey},
	{err: fsstore.ErrNoSuchVersion, code: s3err.NoSuchVersion},
	{err: fsstore.ErrBucketExists, code: s3err.BucketAlreadyExists},
	{err: fsstore.ErrBucketAlreadyOwned, code: s3err.BucketAlreadyOwnedByYou},
	{err: fsstore.ErrBucketNotEmpty, code: s3err.BucketNotEmpty},
	{err: fsstore.ErrInvalidBucketName, code: s3err.InvalidBucketName},
	{err: fsstore.ErrKeyTooLong, code: s3err.KeyTooLongError},
	{err: fsstore.ErrInvalidKey, code: s3err.InvalidArgument},
	{err: fsstore.ErrObjectParentIsFile, code: s3err.ObjectParentIsFile},
	{err: fsstore.ErrObjectIsDirectory, code: s3err.ExistingObjectIsDirectory},
	{err: fsstore.ErrPreconditionFailed, code: s3err.PreconditionFailed},
	{err: fsstore.ErrInsufficientStorage, code: s3err.InsufficientStorage},
	{err: fsstore.ErrNoSuchUpload, code: s3err.NoSuchUpload},
	{err: fsstore.ErrInvalidPart, code: s3err.InvalidPart},
	{err: fsstore.ErrInvalidPartOrder, code: s3err.InvalidPartOrder},
	{err: fsstore.ErrEntityTooSmall, code: s3err.EntityTooSmall},
	{err: fsstore.ErrMissingPartChecksum, code: s3err.InvalidRequest},
	{err: fsstore.ErrBadDigest, code: s3err.BadDigest},
	{err: fsstore.ErrCompleteInProgress, code: s3err.OperationAborted},
	{err: fsstore.ErrObjectLocked, code: s3err.AccessDenied, text: &s3err.ObjectLocked},
	{err: fsstore.ErrMetadataMissing, code: s3err.InvalidObjectState, text: &s3err.MetadataMissing},
	{err: fsstore.ErrLockNeedsVersioning, code: s3err.InvalidBucketState, text: &s3err.LockNeedsVersioning},
	{err: fsstore.ErrVersioningLocked, code: s3err.InvalidBucketState, text: &s3err.VersioningLocked},
	{err: fsstore.ErrNoObjectLock, code: s3err.InvalidRequest, text: &s3err.BucketMissingObjectLock},
	{err: fsstore.ErrInvalidPartNumber, code: s3err.InvalidArgument, text: &s3err.PartNumberRange, arg: "partNumber"},
	{err: fsstore.ErrTooManySegmentSizes, code: s3err.NotImplemented, text: &s3err.SSEMultipartSizes},
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
	for k, v := range e.header {
		h[k] = v
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
