package s3err

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Text is one of AWS's messages for a code, for the cases where S3 answers
// a code with a text other than the code's default. Format may hold fmt
// verbs (%s, %q, %d) for the request-specific parts AWS fills in (an
// algorithm, a part number); Message fills them.
//
// Every error the server answers has either its code's default message
// (the table of s3err.go) or one of these texts: each exported Text var of
// this package (texts*.go) cites where its exact wording comes from.
type Text struct {
	Code   Code
	Format string
}

// Message is the text with args filled in.
func (t Text) Message(args ...any) string {
	if len(args) == 0 {
		return t.Format
	}
	return fmt.Sprintf(t.Format, args...)
}

// Parse reports whether msg is this text with some arguments filled in,
// and returns them (an int64 for %d, a string otherwise): Message(args...)
// gives msg back. It lets a message that another package wrote (an auth
// error's detail) be answered only when it is one of AWS's texts.
func (t Text) Parse(msg string) (args []any, ok bool) {
	re, verbs := t.pattern()
	m := re.FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	for i, v := range verbs {
		s := m[i+1]
		switch v {
		case 'd':
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, false
			}
			args = append(args, n)
		case 'q':
			u, err := strconv.Unquote(s)
			if err != nil {
				return nil, false
			}
			args = append(args, u)
		default:
			args = append(args, s)
		}
	}
	return args, true
}

// Verbs returns the verbs of Format in order ('s', 'd', 'q').
func (t Text) Verbs() []byte {
	_, verbs := t.pattern()
	return verbs
}

var patterns sync.Map // Format → compiled

type compiled struct {
	re    *regexp.Regexp
	verbs []byte
}

func (t Text) pattern() (*regexp.Regexp, []byte) {
	if c, ok := patterns.Load(t.Format); ok {
		c := c.(compiled)
		return c.re, c.verbs
	}
	var b strings.Builder
	var verbs []byte
	b.WriteString(`^`)
	f := t.Format
	for {
		i := strings.IndexByte(f, '%')
		if i < 0 || i == len(f)-1 {
			b.WriteString(regexp.QuoteMeta(f))
			break
		}
		b.WriteString(regexp.QuoteMeta(f[:i]))
		switch v := f[i+1]; v {
		case '%':
			b.WriteString(`%`)
		case 'd':
			b.WriteString(`(-?[0-9]+)`)
			verbs = append(verbs, v)
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*")`)
			verbs = append(verbs, v)
		default: // %s, %v
			b.WriteString(`(.*?)`)
			verbs = append(verbs, 's')
		}
		f = f[i+2:]
	}
	b.WriteString(`$`)
	c := compiled{regexp.MustCompile(b.String()), verbs}
	patterns.Store(t.Format, c)
	return c.re, c.verbs
}

// The texts. Sources: "vgw" is versity/versitygw (s3err/*.go and its
// integration tests, some of which run against S3 itself); "recorded" is a
// text several S3-compatible servers' tests record as S3's answer
// (localstack, moto, scality cloudserver, ceph s3-tests, MinIO's error
// table), found by searching for the exact text; "docs" is the AWS S3 API
// Reference page named.
var (
	// Presigned URLs (SigV4 query authentication), vgw s3err/presigned-urls.go.
	PresignMissingParams = Text{AuthorizationQueryParametersError, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."}
	PresignAlgorithm     = Text{AuthorizationQueryParametersError, `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`}
	PresignCredential    = Text{AuthorizationQueryParametersError, `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`}
	PresignRegion        = Text{AuthorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; the region '%s' is wrong; expecting '%s'"}
	PresignService       = Text{AuthorizationQueryParametersError, `Error parsing the X-Amz-Credential parameter; incorrect service "%s". This endpoint belongs to "s3".`}
	PresignTerminal      = Text{AuthorizationQueryParametersError, `Error parsing the X-Amz-Credential parameter; incorrect terminal "%s". This endpoint uses "aws4_request".`}
	PresignDate          = Text{AuthorizationQueryParametersError, `Invalid credential date "%s". This date is not the same as X-Amz-Date: "%s".`}
	PresignAmzDate       = Text{AuthorizationQueryParametersError, `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`}
	PresignExpiresNumber = Text{AuthorizationQueryParametersError, "X-Amz-Expires should be a number"}
	PresignExpiresNeg    = Text{AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative"}
	PresignExpiresWeek   = Text{AuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"}
	// An expired presigned URL: AWS answers "Request has expired" with
	// X-Amz-Expires, Expires and ServerTime (vgw expired-presigned-url-error.go;
	// AWS's own message has no final period, as boto3 users quote it).
	RequestExpired = Text{AccessDenied, "Request has expired"}
	// A presigned URL dated in the future (vgw s3err.go ErrRequestNotReadyYet;
	// S3's text has no final period, as other servers' tests record it).
	RequestNotYetValid = Text{AccessDenied, "Request is not valid yet"}
	// vgw s3err.go ErrMissingDateHeader (without its final period, as the
	// sigv4 errors of S3-compatible servers record S3's text).
	MissingDateHeader = Text{AccessDenied, "AWS authentication requires a valid Date or x-amz-date header"}
	// x-amz-* headers present but not signed (vgw headers-not-signed-error.go).
	HeadersNotSigned = Text{AccessDenied, "There were headers present in the request which were not signed"}

	// SigV4 Authorization header (vgw s3err/sigv4.go).
	AuthHeaderRegion   = Text{AuthorizationHeaderMalformed, "The authorization header is malformed; the region '%s' is wrong; expecting '%s'"}
	AuthHeaderService  = Text{AuthorizationHeaderMalformed, `The authorization header is malformed; incorrect service "%s". This endpoint belongs to "s3".`}
	AuthHeaderTerminal = Text{AuthorizationHeaderMalformed, `The authorization header is malformed; incorrect terminal "%s". This endpoint uses "aws4_request".`}
	AuthHeaderDate     = Text{AuthorizationHeaderMalformed, `The authorization header is malformed; Invalid credential date "%s". This date is not the same as X-Amz-Date: "%s".`}

	// vgw invalid-argument.go (ArgumentName x-amz-content-sha256).
	InvalidContentSHA256 = Text{InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."}
	// vgw s3err.go ErrMissingContentSha256.
	MissingContentSHA256 = Text{InvalidRequest, "Missing required header for this request: x-amz-content-sha256"}
	// vgw s3err.go, the error for an unsupported x-amz-trailer value.
	TrailerNotSupported = Text{InvalidRequest, "The value specified in the x-amz-trailer header is not supported"}
	// S3's answer to two forms of authentication in one request, as users
	// quote it when a presigned URL also carries an Authorization header.
	// (S3 is reported to answer it with InvalidArgument; auth maps it to
	// InvalidRequest.)
	OneAuthMechanism = Text{InvalidRequest, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"}
	// docs: "Error responses" (InvalidDigest), for a malformed Content-MD5.
	InvalidContentMD5 = Text{InvalidDigest, "The Content-MD5 you specified is not valid."}

	// Browser POST (docs: "Browser-Based Uploads Using POST"; vgw
	// s3err/post-object.go for the field and policy texts; the empty key
	// and the Base64 and condition texts recorded).
	PostMissingField     = Text{InvalidArgument, "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields."}
	PostMissingFieldOnly = Text{InvalidArgument, "Bucket POST must contain a field named '%s'."}
	PostEmptyKey         = Text{InvalidArgument, "User key must have a length greater than 0."}
	PostPolicyBase64     = Text{InvalidPolicyDocument, "Invalid Policy: Invalid Base64 Encoding."}
	PostPolicyJSON       = Text{InvalidPolicyDocument, "Invalid Policy: Invalid JSON."}
	PostPolicyNoExpiry   = Text{InvalidPolicyDocument, "Invalid Policy: Policy missing expiration."}
	PostPolicyExpiry     = Text{InvalidPolicyDocument, "Invalid Policy: Invalid 'expiration' value: '%s'"}
	PostPolicyNoConds    = Text{InvalidPolicyDocument, "Invalid Policy: Policy missing conditions."}
	PostPolicyCondition  = Text{InvalidPolicyDocument, "Invalid Policy: Invalid Condition (%s): %s"}
	// A form that the policy does not allow: "Policy expired.", "Policy
	// Condition failed: [...]", "Extra input fields: ..." (vgw post-object.go).
	PostPolicyViolated = Text{AccessDenied, "Invalid according to Policy: %s"}

	// CORS (vgw s3err.go; "Bucket not found" recorded, by localstack and
	// others, with Method and ResourceType; "evalution" is S3's spelling).
	CORSOriginNeeded = Text{BadRequest, "Insufficient information. Origin request header needed."}
	CORSNoBucket     = Text{AccessForbidden, "CORSResponse: Bucket not found"}
	CORSNotEnabled   = Text{AccessForbidden, "CORSResponse: CORS is not enabled for this bucket."}
	CORSBadMethod    = Text{InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s"}
	CORSOriginStars  = Text{InvalidRequest, `AllowedOrigin "%s" can not have more than one wildcard.`}
	CORSHeaderStars  = Text{InvalidRequest, `AllowedHeader "%s" can not have more than one wildcard.`}
	CORSExposeStar   = Text{InvalidRequest, `ExposeHeader "%s" contains wildcard. We currently do not support wildcard for ExposeHeader.`}

	// Bucket policies: the texts S3 answers PutBucketPolicy with
	// (MalformedPolicy): vgw auth/bucket_policy*.go and
	// tests/integration/PutBucketPolicy.go for the action, resource,
	// principal, effect, missing-field and empty-statement texts; the others
	// as package access words them (moto and IAM end the SID text with a
	// period; access does not, so the text here does not either).
	PolicyVersion      = Text{MalformedPolicy, "The policy must contain a valid version string"}
	PolicyID           = Text{MalformedPolicy, "Policy Id must be a string"}
	PolicyMissing      = Text{MalformedPolicy, "Missing required field %s"}
	PolicyStatement    = Text{MalformedPolicy, "Statement must be an object or an array of objects"}
	PolicyEmpty        = Text{MalformedPolicy, "Could not parse the policy: Statement is empty!"}
	PolicySidUnique    = Text{MalformedPolicy, "Statement IDs (SID) in a single policy must be unique"}
	PolicySid          = Text{MalformedPolicy, "Statement Sid must be a string"}
	PolicyEffect       = Text{MalformedPolicy, "Invalid effect: %s"}
	PolicyBoth         = Text{MalformedPolicy, "Statement cannot contain both %s and %s"}
	PolicyAction       = Text{MalformedPolicy, "Policy has invalid action"}
	PolicyResource     = Text{MalformedPolicy, "Policy has invalid resource"}
	PolicyPrincipal    = Text{MalformedPolicy, "Invalid principal in policy"}
	PolicyUnknownField = Text{MalformedPolicy, "Unknown field %s"}
	PolicyCondition    = Text{MalformedPolicy, "Policy has an invalid condition"}
	PolicyConditionKey = Text{MalformedPolicy, "Policy has an invalid condition key"}
	PolicyCondType     = Text{MalformedPolicy, "Invalid Condition type : %s"}
	PolicyCondValue    = Text{MalformedPolicy, "Invalid Condition value for %s : %s"}

	// Copy (vgw invalid-argument.go, ArgumentName x-amz-copy-source /
	// x-amz-metadata-directive; s3err.go for the copy-to-itself and
	// too-large texts; the source form recorded, without MinIO's final
	// period).
	CopySourceEncoding  = Text{InvalidArgument, "Invalid copy source encoding"}
	CopySourceForm      = Text{InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"}
	MetadataDirective   = Text{InvalidArgument, "Unknown metadata directive."}
	CopyToItself        = Text{InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}
	CopySourceTooLarge  = Text{InvalidRequest, "The specified copy source is larger than the maximum allowable size for a copy source: %d"}
	CopySourceRange     = Text{InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"}
	CopySourceRangeSize = Text{InvalidArgument, "Range specified is not valid for source object of size: %d"}

	// Listings (recorded; vgw invalid-argument.go for the integer
	// arguments, named by ArgumentName).
	EncodingType      = Text{InvalidArgument, "Invalid Encoding Method specified in Request"}
	ContinuationToken = Text{InvalidArgument, "The continuation token provided is incorrect"}
	NotAnInteger      = Text{InvalidArgument, "Provided %s not an integer or within integer range"}

	// DeleteObjects without an integrity header (as answered before this
	// table; vgw records the newer "Content-MD5 OR x-amz-checksum-*").
	MissingContentMD5 = Text{InvalidRequest, "Missing required header for this request: Content-MD5"}

	// Multipart (vgw invalid-argument.go and s3err.go; the missing part
	// checksum text vgw's backend/posix and CompleteMultipartUpload tests).
	PartNumberRange      = Text{InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"}
	PartNumberNoUploadID = Text{InvalidArgument, "This operation does not accept partNumber without uploadId"}

	// GetObject's response-* parameters for an anonymous request (vgw
	// s3err.go ErrAnonymousResponseHeaders).
	AnonymousResponseHeaders = Text{InvalidRequest, "Request specific response headers cannot be used for anonymous GET requests."}

	// Headers asking for what this server lacks (refusals.go): S3's
	// answers to the same headers where the bucket or object lacks the
	// feature (vgw s3err.go for the Object Lock text; the SSE texts as
	// answered before this table).
	SSECNotApplicable  = Text{InvalidRequest, "The encryption parameters are not applicable to this object."}
	SSENotForOperation = Text{InvalidArgument, "x-amz-server-side-encryption header is not supported for this operation."}
	NoObjectLockConfig = Text{InvalidRequest, "Bucket is missing ObjectLockConfiguration"}
	// AWS's text for a CreateBucket LocationConstraint of another region
	// (docs: CreateBucket; vgw invalid-location-constraint-error.go).
	IllegalLocation = Text{IllegalLocationConstraintException, "The %s location constraint is incompatible for the region specific endpoint this request was sent to."}
	// Not AWS cases: Caddy deleted a signed header whose name has '_' or
	// '.' before the handler saw it (droppedheaders.go), which cannot
	// happen in front of S3. The SigV2 text is AWS's SignatureDoesNotMatch
	// text with our explanation after it; %s is the advice.
	SignatureV2Advice   = Text{SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method. If the request carried x-amz-* headers whose names contain '_' or '.', they did not reach the server. %s"}
	DroppedSignedHeader = Text{InvalidArgument, "The signed header %s did not reach the server, so the signature cannot be verified. %s"}

	// Routing: a sub-resource sent to the wrong level (vgw s3err.go
	// ErrGetUploadsWithKey, ErrVersionsWithKey; tests/integration/general.go
	// RouterGetUploadsWithKey, RouterListVersionsWithKey).
	UploadsWithKey  = Text{InvalidRequest, "Key is not expected for the GET method ?uploads subresource"}
	VersionsWithKey = Text{InvalidRequest, "There is no such thing as the ?versions sub-resource for a key"}
)
