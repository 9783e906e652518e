// Package auth verifies S3 request signatures (SigV4 header and presigned,
// aws-chunked streaming with and without trailers, SigV2) and resolves access
// keys through credential providers. It knows nothing of Caddy or storage.
package auth

import (
	"context"
	"errors"
	"io"
	"time"
)

// Credential is one access key with its secret and the account that owns
// what the key creates.
type Credential struct {
	AccessKeyID string
	Secret      string
	// Owner is the canonical ID of the account that owns what the key
	// creates (for CloudStack keys: the account's UUID).
	Owner string
	// DisplayName is the owner's display name (for CloudStack keys: the
	// account name); empty means Owner.
	DisplayName string
	// ReadOnly keys may only read (CloudStack 4.23 key pairs whose
	// permission rules allow listing but not changing buckets).
	ReadOnly bool
}

// Provider resolves an access key id to its credential. It returns an error
// wrapping ErrInvalidAccessKeyID for unknown keys.
type Provider interface {
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// Principal is who signed a request. Anonymous requests have Anonymous set and
// an empty Credential.
type Principal struct {
	Credential
	Anonymous bool
	// Method names the signing mode for logs: "anonymous", "v4-header",
	// "v4-presigned", "v4-chunked", "v4-unsigned-trailer",
	// "v4-chunked-trailer", "v2-header", "v2-presigned".
	Method string
}

// Result is a verified request: who signed it and the body to read.
type Result struct {
	Principal Principal
	// Body yields the decoded payload (aws-chunked framing removed). It
	// verifies as it streams: a payload hash, chunk signature, Content-MD5 or
	// x-amz-checksum-* mismatch is returned as a non-EOF error at the latest
	// when the end is reached, so a caller that publishes only after a clean
	// io.EOF never stores unverified data. Never nil.
	Body io.ReadCloser
	// DecodedLength is the payload length the client declared
	// (x-amz-decoded-content-length for aws-chunked, else Content-Length),
	// or -1 when unknown.
	DecodedLength int64
	// Checksums returns the verified checksums of the payload, keyed by the
	// algorithm name (one of checksum.Algorithms) with base64 values, as
	// sent by the client in a header or trailer. Valid only after Body
	// returned io.EOF.
	Checksums func() map[string]string
	// ChecksumAlgorithm is the checksum algorithm the request announced in
	// an x-amz-checksum-<algo> header or an x-amz-trailer ("" for none);
	// x-amz-sdk-checksum-algorithm, when sent, agrees with it.
	ChecksumAlgorithm string
}

// Sentinel errors. The caddys3 package maps each to its S3 error code; wrap
// them with fmt.Errorf("%w: detail", ...) to add context.
var (
	// Who signed, and whether they may: a refused or expired request, an
	// unknown key, a signature that does not verify, a clock too far off.
	ErrAccessDenied          = errors.New("AccessDenied")
	ErrExpiredRequest        = errors.New("request has expired") // S3: AccessDenied "Request has expired"
	ErrInvalidAccessKeyID    = errors.New("InvalidAccessKeyId")
	ErrSignatureDoesNotMatch = errors.New("SignatureDoesNotMatch")
	ErrRequestTimeTooSkewed  = errors.New("RequestTimeTooSkewed")

	// How it was signed: a malformed Authorization header or presigned
	// query, a missing security header (x-amz-date, x-amz-content-sha256).
	ErrAuthorizationHeaderMalformed  = errors.New("AuthorizationHeaderMalformed")
	ErrAuthorizationQueryParamsError = errors.New("AuthorizationQueryParametersError")
	ErrMissingSecurityHeader         = errors.New("MissingSecurityHeader")

	// The body against what was signed or declared: payload hash,
	// Content-MD5 and x-amz-checksum-* values, length, trailers.
	ErrXAmzContentSHA256Mismatch = errors.New("XAmzContentSHA256Mismatch")
	ErrInvalidContentSHA256      = errors.New("InvalidArgument: x-amz-content-sha256")
	ErrBadDigest                 = errors.New("BadDigest")
	ErrInvalidDigest             = errors.New("InvalidDigest")
	ErrIncompleteBody            = errors.New("IncompleteBody")
	ErrMalformedTrailer          = errors.New("MalformedTrailerError")
	ErrMissingContentLength      = errors.New("MissingContentLength")

	// Anything else the request asks that cannot be served.
	ErrInvalidRequest                = errors.New("InvalidRequest")
	ErrNotImplemented                = errors.New("NotImplemented")
	ErrUnsupportedSignatureAlgorithm = errors.New("unsupported signature algorithm") // SigV4a etc: NotImplemented
	ErrCredentialsUnavailable        = errors.New("credential store unavailable")    // ServiceUnavailable
)

// SignatureMismatchError carries what S3 echoes in SignatureDoesNotMatch
// errors. errors.Is(err, ErrSignatureDoesNotMatch) is true for it.
type SignatureMismatchError struct {
	StringToSign     string
	CanonicalRequest string // empty for SigV2 and chunk signatures
	AccessKeyID      string
	// SignatureProvided is the signature the client sent.
	SignatureProvided string
}

func (e *SignatureMismatchError) Error() string { return "signature does not match" }

// Is makes the typed error match ErrSignatureDoesNotMatch.
func (e *SignatureMismatchError) Is(target error) bool { return target == ErrSignatureDoesNotMatch }

// SkewError carries the times S3 echoes in RequestTimeTooSkewed.
type SkewError struct {
	RequestTime time.Time
	ServerTime  time.Time
	MaxAllowed  time.Duration
}

func (e *SkewError) Error() string { return "request time too skewed" }

// Is makes the typed error match ErrRequestTimeTooSkewed.
func (e *SkewError) Is(target error) bool { return target == ErrRequestTimeTooSkewed }

// RegionError is an AuthorizationHeaderMalformed caused by a credential scope
// with the wrong region; S3 names the expected region. Presigned URLs with the
// wrong region get ErrAuthorizationQueryParamsError instead, as in S3.
type RegionError struct {
	Got, Expected string
}

func (e *RegionError) Error() string {
	return "the authorization header is malformed; the region '" + e.Got + "' is wrong; expecting '" + e.Expected + "'"
}

// Is makes the typed error match ErrAuthorizationHeaderMalformed.
func (e *RegionError) Is(target error) bool { return target == ErrAuthorizationHeaderMalformed }

// Verifier checks request signatures. Build it once at provision time; it is
// safe for concurrent use and must not be copied after first use. An empty
// Region accepts any region in the credential scope.
type Verifier struct {
	Region   string
	Provider Provider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the allowed clock difference; zero means 15 minutes.
	MaxSkew time.Duration
	// V2BucketFromHost returns the bucket named by a virtual-hosted-style
	// Host header (as received, port included), or "" for path style. SigV2
	// signs "/bucket/key" even when the bucket is in the host name; nil means
	// path style only. SigV4 does not need it.
	V2BucketFromHost func(host string) string

	keys keyCache // derived SigV4 signing keys; zero value ready
}
