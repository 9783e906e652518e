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
)

// s3Error is one row of the S3 error table: a code, its HTTP status and the
// message S3 sends by default.
type s3Error struct {
	Code    string
	Status  int
	Message string
}

// errorTable is the only place that knows S3 error codes and statuses.
var errorTable = map[string]s3Error{}

func init() {
	for _, e := range []s3Error{
		{"AccessDenied", 403, "Access Denied"},
		{"AccessForbidden", 403, "CORSResponse: This CORS request is not allowed."},
		{"BadRequest", 400, "Bad Request"},
		{"MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema."},
		{"MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'"},
		{"NoSuchBucketPolicy", 404, "The bucket policy does not exist"},
		{"NoSuchCORSConfiguration", 404, "The CORS configuration does not exist"},
		{"PolicyTooLarge", 400, "Your policy exceeds the maximum allowed document size."},
		{"UnexpectedContent", 400, "This request does not support content."},
		{"UnresolvableGrantByEmailAddress", 400, "The e-mail address you provided does not match any account on record."},
		{"AuthorizationHeaderMalformed", 400, "The authorization header is malformed."},
		{"AuthorizationQueryParametersError", 400, "Error parsing the X-Amz-Credential parameter or other query authentication parameters."},
		{"BadDigest", 400, "The Content-MD5 or checksum value that you specified did not match what the server received."},
		{"BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
		{"BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it."},
		{"BucketNotEmpty", 409, "The bucket you tried to delete is not empty."},
		{"ConditionalRequestConflict", 409, "A conflicting conditional operation is currently in progress against this resource. Please try again."},
		{"EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size."},
		{"EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size."},
		{"ExistingObjectIsDirectory", 409, "Existing object is a directory: keys exist below this key."},
		{"IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
		{"InsufficientStorage", 507, "Your upload failed because the storage is full or over quota."},
		{"InternalError", 500, "We encountered an internal error. Please try again."},
		{"InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."},
		{"InvalidArgument", 400, "Invalid Argument"},
		{"InvalidBucketName", 400, "The specified bucket is not valid."},
		{"InvalidDigest", 400, "The Content-MD5 or checksum value you specified is not valid."},
		{"InvalidPart", 400, "One or more of the specified parts could not be found."},
		{"InvalidPartOrder", 400, "The list of parts was not in ascending order."},
		{"InvalidRange", 416, "The requested range is not satisfiable"},
		{"InvalidRequest", 400, "Invalid Request"},
		{"KeyTooLongError", 400, "Your key is too long"},
		{"MalformedPOSTRequest", 400, "The body of your POST request is not well-formed multipart/form-data."},
		{"InvalidPolicyDocument", 400, "The content of the form does not meet the conditions specified in the policy document."},
		{"MaxPostPreDataLengthExceededError", 400, "Your POST request fields preceding the upload file were too large."},
		{"IncorrectNumberOfFilesInPostRequest", 400, "POST requires exactly one file upload per request."},
		{"MalformedTrailerError", 400, "The request contained trailing data that was not well-formed or did not conform to our published schema."},
		{"MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema."},
		{"MethodNotAllowed", 405, "The specified method is not allowed against this resource."},
		{"MissingContentLength", 411, "You must provide the Content-Length HTTP header."},
		{"MissingSecurityHeader", 400, "Your request was missing a required header."},
		{"NoSuchBucket", 404, "The specified bucket does not exist"},
		{"NoSuchKey", 404, "The specified key does not exist."},
		{"NoSuchUpload", 404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
		{"NoSuchVersion", 404, "The specified version does not exist."},
		{"MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size."},
		{"IllegalLocationConstraintException", 400, "The specified location constraint is not valid for this endpoint."},
		{"NotImplemented", 501, "A header or query you provided implies functionality that is not implemented."},
		{"NotModified", 304, "Not Modified"},
		{"OperationAborted", 409, "A conflicting conditional operation is currently in progress against this resource. Please try again."},
		{"ObjectParentIsFile", 409, "Object parent already exists as a file: a key is a prefix of this key."},
		{"PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold"},
		{"RequestTimeTooSkewed", 403, "The difference between the request time and the server's time is too large."},
		{"ServiceUnavailable", 503, "Please reduce your request rate."},
		{"SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
		{"SlowDown", 503, "Please reduce your request rate."},
		{"XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	} {
		errorTable[e.Code] = e
	}
}

// apiError is an S3 error ready to be written: a table row plus the
// request-specific fields S3 echoes.
type apiError struct {
	s3Error
	Resource string
	Bucket   string
	Key      string
	// extra XML elements some errors carry (StringToSign, ServerTime, ...).
	extra []xmlField
	cause error
}

type xmlField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.cause.Error()
	}
	return e.Code
}

func (e *apiError) Unwrap() error { return e.cause }

// newError builds an error from the table; an unknown code is a bug and
// becomes InternalError.
func newError(code string) *apiError {
	row, ok := errorTable[code]
	if !ok {
		row = errorTable["InternalError"]
	}
	return &apiError{s3Error: row}
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
	var sigErr *auth.SignatureMismatchError
	if errors.As(err, &sigErr) {
		// StringToSign helps a client author debug; the canonical request
		// is echoed by S3 too. Neither contains the secret.
		return newError("SignatureDoesNotMatch").withCause(err).
			with("AWSAccessKeyId", sigErr.AccessKeyID).
			with("StringToSign", sigErr.StringToSign).
			with("CanonicalRequest", sigErr.CanonicalRequest)
	}
	var skew *auth.SkewError
	if errors.As(err, &skew) {
		return newError("RequestTimeTooSkewed").withCause(err).
			with("RequestTime", skew.RequestTime.UTC().Format(time.RFC3339)).
			with("ServerTime", skew.ServerTime.UTC().Format(time.RFC3339)).
			with("MaxAllowedSkewMilliseconds", strconv.FormatInt(skew.MaxAllowed.Milliseconds(), 10))
	}
	var policyErr *auth.PolicyError
	if errors.As(err, &policyErr) {
		return newError("AccessDenied").withMessage(policyErr.Error()).withCause(err)
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
		return newError("InvalidRequest").withCause(err).withMessage("The upload was created using a " +
			strings.ToLower(missing.Algorithm) + " checksum. The complete request must include the checksum for each part. It was missing for part " +
			strconv.Itoa(missing.PartNumber) + " in the request.")
	}
	var mismatch *fsstore.ChecksumMismatchError
	if errors.As(err, &mismatch) {
		return newError("BadDigest").withCause(err).withMessage("The " + strings.ToLower(mismatch.Algorithm) +
			" you specified for the object did not match what was computed.")
	}
	var regionErr *auth.RegionError
	if errors.As(err, &regionErr) {
		return newError("AuthorizationHeaderMalformed").withCause(err).
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
	return newError("InternalError").withCause(err)
}

// sentinelCodes maps the storage and auth sentinels to S3 codes, in order:
// the first match wins.
var sentinelCodes = []struct {
	err     error
	code    string
	message string
	detail  bool // use the wrapped error's detail as the message
}{
	{auth.ErrExpiredRequest, "AccessDenied", "Request has expired", false},
	{auth.ErrAccessDenied, "AccessDenied", "", false},
	{auth.ErrInvalidAccessKeyID, "InvalidAccessKeyId", "", false},
	{auth.ErrSignatureDoesNotMatch, "SignatureDoesNotMatch", "", false},
	{auth.ErrRequestTimeTooSkewed, "RequestTimeTooSkewed", "", false},
	{auth.ErrAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", "", false},
	{auth.ErrAuthorizationQueryParamsError, "AuthorizationQueryParametersError", "", false},
	{auth.ErrMissingSecurityHeader, "MissingSecurityHeader", "", false},
	{auth.ErrXAmzContentSHA256Mismatch, "XAmzContentSHA256Mismatch", "", false},
	{auth.ErrInvalidContentSHA256, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.", false},
	{auth.ErrBadDigest, "BadDigest", "", false},
	{auth.ErrInvalidDigest, "InvalidDigest", "", false},
	{auth.ErrIncompleteBody, "IncompleteBody", "", false},
	{auth.ErrMalformedTrailer, "MalformedTrailerError", "", false},
	{auth.ErrInvalidRequest, "InvalidRequest", "", false},
	{auth.ErrMissingContentLength, "MissingContentLength", "", false},
	{auth.ErrUnsupportedSignatureAlgorithm, "NotImplemented", "This signature algorithm is not implemented.", false},
	{auth.ErrNotImplemented, "NotImplemented", "", false},
	{auth.ErrMalformedPOSTRequest, "MalformedPOSTRequest", "", true},
	{auth.ErrInvalidPolicyDocument, "InvalidPolicyDocument", "", true},
	{auth.ErrPostPreDataTooLarge, "MaxPostPreDataLengthExceededError", "", true},
	{auth.ErrIncorrectNumberOfFiles, "IncorrectNumberOfFilesInPostRequest", "", true},
	{auth.ErrPostMissingField, "InvalidArgument", "", true},
	{auth.ErrCredentialsUnavailable, "ServiceUnavailable", "The credential store is unavailable; please retry.", false},
	{fsstore.ErrNoSuchBucket, "NoSuchBucket", "", false},
	{fsstore.ErrNoSuchKey, "NoSuchKey", "", false},
	{fsstore.ErrBucketExists, "BucketAlreadyExists", "", false},
	{fsstore.ErrBucketAlreadyOwned, "BucketAlreadyOwnedByYou", "", false},
	{fsstore.ErrBucketNotEmpty, "BucketNotEmpty", "", false},
	{fsstore.ErrInvalidBucketName, "InvalidBucketName", "", false},
	{fsstore.ErrKeyTooLong, "KeyTooLongError", "", false},
	{fsstore.ErrInvalidKey, "InvalidArgument", "Object key is not supported: it must be 1 to 1024 bytes of valid UTF-8 without NUL.", false},
	{fsstore.ErrObjectParentIsFile, "ObjectParentIsFile", "", false},
	{fsstore.ErrObjectIsDirectory, "ExistingObjectIsDirectory", "", false},
	{fsstore.ErrPreconditionFailed, "PreconditionFailed", "", false},
	{fsstore.ErrInsufficientStorage, "InsufficientStorage", "", false},
	{fsstore.ErrNoSuchUpload, "NoSuchUpload", "", false},
	{fsstore.ErrInvalidPart, "InvalidPart", "", false},
	{fsstore.ErrInvalidPartOrder, "InvalidPartOrder", "", false},
	{fsstore.ErrEntityTooSmall, "EntityTooSmall", "", false},
	{fsstore.ErrMissingPartChecksum, "InvalidRequest", "", false},
	{fsstore.ErrBadDigest, "BadDigest", "", false},
	{fsstore.ErrCompleteInProgress, "OperationAborted", "A conflicting conditional operation is currently in progress against this resource. Please try again.", false},
	{fsstore.ErrInvalidPartNumber, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", false},
}

// errorBody is S3's <Error> document.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Key       string `xml:",omitempty"`
	Bucket    string `xml:"BucketName,omitempty"`
	Resource  string `xml:",omitempty"`
	Extra     []xmlField
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
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
	body, err := xml.Marshal(errorBody{
		Code: e.Code, Message: e.Message, Key: e.Key, Bucket: e.Bucket,
		Resource: e.Resource, Extra: e.extra, RequestID: reqID, HostID: hostID(reqID),
	})
	if err != nil {
		body = []byte("<Error><Code>InternalError</Code></Error>")
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
