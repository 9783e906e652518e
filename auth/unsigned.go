package auth

import (
	"net/http"
	"slices"
	"strings"
)

// UnsignedHeadersError is S3's AccessDenied "There were headers present in
// the request which were not signed": a SigV4 request (Authorization header
// or presigned URL) carried x-amz-* headers that its signature does not
// cover. Headers holds their lower-case names, sorted; S3 lists them in a
// HeadersNotSigned element. errors.Is(err, ErrAccessDenied) is true for it.
type UnsignedHeadersError struct {
	Headers []string
}

func (e *UnsignedHeadersError) Error() string {
	return "There were headers present in the request which were not signed"
}

// Is makes the typed error match ErrAccessDenied.
func (e *UnsignedHeadersError) Is(target error) bool { return target == ErrAccessDenied }

// unsignedExempt are the x-amz-* headers a SigV4 request may carry outside
// SignedHeaders because the signature binds them anyway: the verifier puts
// x-amz-content-sha256 in the canonical request as its payload line and
// x-amz-date in the string to sign as the request time (in a presigned URL,
// where both come from the query, the headers are not read for anything
// but an absent X-Amz-Content-Sha256 parameter, and then they are bound the
// same way). Every other x-amz-* header says something the server acts on
// (copy source, metadata, ACL, checksums, lengths, trailers, conditions)
// and must be signed, as S3 requires and every SDK does.
func unsignedExempt(name string) bool {
	return name == "x-amz-content-sha256" || name == "x-amz-date"
}

// checkSignedAmzHeaders returns an *UnsignedHeadersError naming the x-amz-*
// headers of h absent from signed (lower-case names), or nil. Call it only
// after the signature verified, so a forger learns nothing from it.
// x-amzn-* (the tracing header) is not an x-amz-* header.
func checkSignedAmzHeaders(h http.Header, signed []string) error {
	var missing []string
	for name := range h {
		if len(name) < len("x-amz-") || !strings.EqualFold(name[:len("x-amz-")], "x-amz-") {
			continue
		}
		// Signed names are lower case (both SigV4 forms lower them); matching
		// them without lowering saves an allocation per signed header.
		if slices.ContainsFunc(signed, func(s string) bool { return strings.EqualFold(s, name) }) {
			continue
		}
		lname := strings.ToLower(name)
		if unsignedExempt(lname) || slices.Contains(missing, lname) {
			continue
		}
		missing = append(missing, lname)
	}
	if missing == nil {
		return nil
	}
	slices.Sort(missing)
	return &UnsignedHeadersError{Headers: missing}
}
