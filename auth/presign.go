package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxPresignExpires = 604800 // seven days, S3's limit

func queryParamsError(detail string) error {
	return fmt.Errorf("%w: %s", ErrAuthorizationQueryParamsError, detail)
}

// verifyPresigned verifies SigV4 query-string authentication.
func (v *Verifier) verifyPresigned(ctx context.Context, r *http.Request, q []queryParam) (*Result, error) {
	get := func(name string) string { s, _ := lookup(q, name); return s }
	alg, credStr, amzDate := get("X-Amz-Algorithm"), get("X-Amz-Credential"), get("X-Amz-Date")
	expiresStr, signedStr, sig := get("X-Amz-Expires"), get("X-Amz-SignedHeaders"), get("X-Amz-Signature")
	switch alg {
	case algoV4:
	case algoV4A:
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedSignatureAlgorithm, alg)
	case "":
		return nil, queryParamsError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	default:
		return nil, queryParamsError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	if credStr == "" || amzDate == "" || expiresStr == "" || signedStr == "" || sig == "" {
		return nil, queryParamsError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	cred, ok := parseCredential(credStr)
	if !ok {
		return nil, queryParamsError(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, queryParamsError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	expires, err := strconv.ParseInt(expiresStr, 10, 64)
	switch {
	case err != nil:
		return nil, queryParamsError("X-Amz-Expires should be a number")
	case expires < 0:
		return nil, queryParamsError("X-Amz-Expires must be non-negative")
	case expires == 0:
		return nil, queryParamsError("X-Amz-Expires must be at least 1")
	case expires > maxPresignExpires:
		return nil, queryParamsError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	if err := v.checkScope(cred, amzDate, true); err != nil {
		return nil, err
	}
	signed := strings.Split(strings.ToLower(signedStr), ";")
	if !slices.Contains(signed, "host") || slices.Contains(signed, "") {
		return nil, queryParamsError("X-Amz-SignedHeaders must include host")
	}
	now := v.now()
	if t.After(now.Add(v.maxSkew())) {
		return nil, fmt.Errorf("%w: Request is not valid yet", ErrAccessDenied)
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return nil, fmt.Errorf("%w: expired at %s", ErrExpiredRequest, t.Add(time.Duration(expires)*time.Second).UTC().Format(time.RFC3339))
	}
	// The payload hash is not in the URL unless the signer put it there.
	payload, ok := lookup(q, "X-Amz-Content-Sha256")
	if !ok {
		payload = r.Header.Get("X-Amz-Content-Sha256")
	}
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	kind, err := classifyPayload(payload)
	if err != nil {
		return nil, err
	}
	c, err := v.Provider.Lookup(ctx, cred.accessKey)
	if err != nil {
		return nil, err
	}
	canonical := canonicalRequest(r, q, signed, payload)
	scope := cred.scope()
	sts := stringToSignV4(amzDate, scope, canonical)
	key := v.keys.get(c.Secret, cred.date, cred.region, cred.service)
	if err := checkSignatureV4(key, sts, canonical, cred.accessKey, sig); err != nil {
		return nil, err
	}
	if err := checkSignedAmzHeaders(r.Header, signed); err != nil {
		return nil, err
	}
	var signer *chunkSigner
	if kind == signedChunks || kind == signedChunksTrailer {
		signer = &chunkSigner{key: key, amzDate: amzDate, scope: scope, prev: strings.ToLower(sig), accessKey: cred.accessKey}
	}
	return newResult(r, q, payload, kind, signer, Principal{Credential: c, Method: "v4-presigned"})
}
