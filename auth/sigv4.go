package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	algoV4        = "AWS4-HMAC-SHA256"
	algoV4A       = "AWS4-ECDSA-P256-SHA256"
	amzDateFormat = "20060102T150405Z"
	serviceS3     = "s3"
	terminatorV4  = "aws4_request"
)

// v4Credential is "AK/yyyymmdd/region/service/aws4_request".
type v4Credential struct {
	accessKey, date, region, service, terminator string
}

func parseCredential(s string) (v4Credential, bool) { return parseCredentialIn(s, false) }

// parseCredentialIn is parseCredential, taking an empty region when
// emptyRegion is set (the MinIO admin API's scope "AK/yyyymmdd//s3/aws4_request").
func parseCredentialIn(s string, emptyRegion bool) (v4Credential, bool) {
	parts := strings.Split(s, "/")
	n := len(parts)
	if n < 5 {
		return v4Credential{}, false
	}
	c := v4Credential{strings.Join(parts[:n-4], "/"), parts[n-4], parts[n-3], parts[n-2], parts[n-1]}
	return c, c.accessKey != "" && c.date != "" && (c.region != "" || emptyRegion)
}

func (c v4Credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminator
}

// v4Header is a parsed SigV4 Authorization header.
type v4Header struct {
	cred          v4Credential
	signedHeaders []string
	signature     string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...", with or without spaces after the commas.
func parseAuthorization(h string) (v4Header, error) { return parseAuthorizationIn(h, false) }

// parseAuthorizationIn is parseAuthorization, taking an empty scope region
// when emptyRegion is set.
func parseAuthorizationIn(h string, emptyRegion bool) (v4Header, error) {
	var out v4Header
	rest, ok := strings.CutPrefix(h, algoV4)
	if !ok || rest == "" || rest[0] != ' ' {
		return out, malformedHeader("unsupported algorithm")
	}
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return out, malformedHeader("expected key=value in " + fmt.Sprintf("%q", part))
		}
		switch k {
		case "Credential":
			if out.cred, ok = parseCredentialIn(v, emptyRegion); !ok || haveCred {
				return out, malformedHeader("bad Credential")
			}
			haveCred = true
		case "SignedHeaders":
			if v == "" || haveSigned {
				return out, malformedHeader("bad SignedHeaders")
			}
			out.signedHeaders = strings.Split(strings.ToLower(v), ";")
			haveSigned = true
		case "Signature":
			if v == "" || haveSig {
				return out, malformedHeader("bad Signature")
			}
			out.signature = v
			haveSig = true
		default:
			return out, malformedHeader("unknown component " + fmt.Sprintf("%q", k))
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		return out, malformedHeader("Credential, SignedHeaders and Signature are required")
	}
	if slices.Contains(out.signedHeaders, "") {
		return out, malformedHeader("empty name in SignedHeaders")
	}
	return out, nil
}

func malformedHeader(detail string) error {
	return fmt.Errorf("%w: %s", ErrAuthorizationHeaderMalformed, detail)
}

// checkScope validates the credential scope against the request day and
// the configured region.
func (v *Verifier) checkScope(c v4Credential, amzDate string, query bool) error {
	// S3's texts: the header's start with "The authorization header is
	// malformed; ", the query's with "Error parsing the X-Amz-Credential
	// parameter; " but for the date.
	bad, prefix, datePrefix := ErrAuthorizationHeaderMalformed, "The authorization header is malformed; ", "The authorization header is malformed; "
	if query {
		bad, prefix, datePrefix = ErrAuthorizationQueryParamsError, "Error parsing the X-Amz-Credential parameter; ", ""
	}
	switch {
	case c.service != serviceS3:
		return fmt.Errorf("%w: %sincorrect service \"%s\". This endpoint belongs to \"s3\".", bad, prefix, c.service)
	case c.terminator != terminatorV4:
		return fmt.Errorf("%w: %sincorrect terminal \"%s\". This endpoint uses \"aws4_request\".", bad, prefix, c.terminator)
	case len(amzDate) < 8 || c.date != amzDate[:8]:
		return fmt.Errorf("%w: %sInvalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%.8s\".", bad, datePrefix, c.date, amzDate)
	case v.Region != "" && c.region != v.Region:
		if query {
			return fmt.Errorf("%w: Error parsing the X-Amz-Credential parameter; the region '%s' is wrong; expecting '%s'", bad, c.region, v.Region)
		}
		return &RegionError{Got: c.region, Expected: v.Region}
	}
	return nil
}

// requestTime returns the SigV4 timestamp string and time from X-Amz-Date,
// falling back to Date.
func requestTime(r *http.Request) (string, time.Time, error) {
	if s := r.Header.Get("X-Amz-Date"); s != "" {
		t, err := time.Parse(amzDateFormat, s)
		if err != nil {
			return "", time.Time{}, errNoDate
		}
		return s, t, nil
	}
	if s := r.Header.Get("Date"); s != "" {
		t, err := parseHTTPDate(s)
		if err != nil {
			return "", time.Time{}, errNoDate
		}
		return t.UTC().Format(amzDateFormat), t, nil
	}
	return "", time.Time{}, errNoDate
}

// parseHTTPDate accepts the date forms clients send: RFC 1123 with "GMT"
// or a numeric zone (SigV2 examples use "+0000"), RFC 850 and asctime.
func parseHTTPDate(s string) (time.Time, error) {
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC1123Z, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC1123, s)
}

var errNoDate = fmt.Errorf("%w: AWS authentication requires a valid Date or x-amz-date header", ErrAccessDenied)

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return 15 * time.Minute
}

func (v *Verifier) checkSkew(t time.Time) error {
	now := v.now()
	if d := now.Sub(t); d > v.maxSkew() || d < -v.maxSkew() {
		return &SkewError{RequestTime: t, ServerTime: now, MaxAllowed: v.maxSkew()}
	}
	return nil
}

// stringToSignV4 is the SigV4 string to sign of a canonical request.
func stringToSignV4(amzDate, scope, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return algoV4 + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// checkSignatureV4 compares the client's hex signature in constant time.
func checkSignatureV4(key *signingKey, sts, canonical, accessKey, sig string) error {
	want := key.sign(sts)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(want, got) {
		return &SignatureMismatchError{StringToSign: sts, CanonicalRequest: canonical, AccessKeyID: accessKey, SignatureProvided: sig}
	}
	return nil
}

// verifyV4Header verifies Authorization-header SigV4; emptyRegion also
// takes a scope with the empty region (VerifyEmptyRegion).
func (v *Verifier) verifyV4Header(ctx context.Context, r *http.Request, q []queryParam, authz string, emptyRegion bool) (*Result, error) {
	ah, err := parseAuthorizationIn(authz, emptyRegion)
	if err != nil {
		return nil, err
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, fmt.Errorf("%w: Missing required header for this request: x-amz-content-sha256", ErrInvalidRequest)
	}
	kind, err := classifyPayload(payload)
	if err != nil {
		return nil, err
	}
	amzDate, t, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	scoped := ah.cred
	if emptyRegion && scoped.region == "" {
		scoped.region = v.Region // checked as the configured one; signed with ""
	}
	if err := v.checkScope(scoped, amzDate, false); err != nil {
		return nil, err
	}
	if !slices.Contains(ah.signedHeaders, "host") {
		return nil, malformedHeader("the host header must be signed")
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	cred, err := v.Provider.Lookup(ctx, ah.cred.accessKey)
	if err != nil {
		return nil, err
	}
	canonical := canonicalRequest(r, q, ah.signedHeaders, payload)
	scope := ah.cred.scope()
	sts := stringToSignV4(amzDate, scope, canonical)
	key := v.keys.get(cred.Secret, ah.cred.date, ah.cred.region, ah.cred.service)
	if err := checkSignatureV4(key, sts, canonical, ah.cred.accessKey, ah.signature); err != nil {
		return nil, err
	}
	if err := checkSignedAmzHeaders(r.Header, ah.signedHeaders); err != nil {
		return nil, err
	}
	var signer *chunkSigner
	if kind == signedChunks || kind == signedChunksTrailer {
		signer = &chunkSigner{key: key, amzDate: amzDate, scope: scope, prev: strings.ToLower(ah.signature), accessKey: ah.cred.accessKey}
	}
	p := Principal{Credential: cred, Method: kind.method()}
	return newResult(r, q, payload, kind, signer, p)
}
