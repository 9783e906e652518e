package auth

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// payloadKind is what x-amz-content-sha256 announces.
type payloadKind int

const (
	plainPayload        payloadKind = iota // UNSIGNED-PAYLOAD (or absent, anonymous)
	hexPayload                             // SHA-256 of the body
	signedChunks                           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	signedChunksTrailer                    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
	unsignedTrailer                        // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

func classifyPayload(v string) (payloadKind, error) {
	switch v {
	case "", "UNSIGNED-PAYLOAD":
		return plainPayload, nil
	case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
		return signedChunks, nil
	case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":
		return signedChunksTrailer, nil
	case "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
		return unsignedTrailer, nil
	case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
		return 0, fmt.Errorf("%w: %s", ErrUnsupportedSignatureAlgorithm, v)
	}
	if len(v) == 64 {
		if _, err := hex.DecodeString(v); err == nil {
			return hexPayload, nil
		}
	}
	return 0, ErrInvalidContentSHA256
}

// method names the SigV4 header mode for Principal.Method.
func (k payloadKind) method() string {
	switch k {
	case signedChunks:
		return "v4-chunked"
	case signedChunksTrailer:
		return "v4-chunked-trailer"
	case unsignedTrailer:
		return "v4-unsigned-trailer"
	}
	return "v4-header"
}

// Verify authenticates r, which must be the request exactly as the client
// sent it (method, Host, headers, RequestURI), and returns the principal and
// the payload to read. Anonymous requests succeed with Principal.Anonymous
// set: whether they are allowed is the caller's decision. Verify reads no
// body bytes; Result.Body verifies them as they stream.
func (v *Verifier) Verify(ctx context.Context, r *http.Request) (*Result, error) {
	q := parseQuery(rawQuery(r))
	authz := r.Header.Get("Authorization")
	_, v4Alg := lookup(q, "X-Amz-Algorithm")
	_, v4Cred := lookup(q, "X-Amz-Credential")
	_, v4Sig := lookup(q, "X-Amz-Signature")
	v4Query := v4Alg || v4Cred || v4Sig
	_, v2Key := lookup(q, "AWSAccessKeyId")
	_, v2Sig := lookup(q, "Signature")
	v2Query := !v4Query && (v2Key || v2Sig)
	if authz != "" && (v4Query || v2Query) {
		return nil, fmt.Errorf("%w: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified", ErrInvalidRequest)
	}
	switch {
	case authz != "":
		switch {
		case strings.HasPrefix(authz, algoV4+" "):
			return v.verifyV4Header(ctx, r, q, authz, false)
		case strings.HasPrefix(authz, algoV4A):
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedSignatureAlgorithm, algoV4A)
		case strings.HasPrefix(authz, "AWS "):
			return v.verifyV2Header(ctx, r, q, authz)
		}
		return nil, malformedHeader("Unsupported Authorization Type")
	case v4Query:
		return v.verifyPresigned(ctx, r, q)
	case v2Query:
		return v.verifyV2Query(ctx, r, q)
	}
	return v.anonymous(r, q)
}

// VerifyEmptyRegion is Verify for MinIO's admin API (/minio/admin/v3/):
// MinIO's admin clients (madmin, minio-java's MinioAdminClient) sign with
// the empty region, "AK/yyyymmdd//s3/aws4_request", and the signing key is
// derived with it. Only a SigV4 Authorization header is taken, whose scope
// names the empty region or the configured one; everything else about it
// is verified as Verify does. S3 requests never come here.
func (v *Verifier) VerifyEmptyRegion(ctx context.Context, r *http.Request) (*Result, error) {
	authz := r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, algoV4+" ") {
		return nil, fmt.Errorf("%w: the admin API takes SigV4 Authorization headers only", ErrAccessDenied)
	}
	q := parseQuery(rawQuery(r))
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "AWSAccessKeyId", "Signature"} {
		if _, ok := lookup(q, name); ok {
			return nil, fmt.Errorf("%w: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified", ErrInvalidRequest)
		}
	}
	return v.verifyV4Header(ctx, r, q, authz, true)
}

// anonymous still verifies whatever digests the client sent, and decodes an
// unsigned aws-chunked body so framing never reaches storage.
func (v *Verifier) anonymous(r *http.Request, q []queryParam) (*Result, error) {
	payload := r.Header.Get("X-Amz-Content-Sha256")
	kind, err := classifyPayload(payload)
	if err != nil {
		return nil, err
	}
	if kind == signedChunks || kind == signedChunksTrailer {
		return nil, fmt.Errorf("%w: a signed payload needs a signature", ErrAccessDenied)
	}
	return newResult(r, q, payload, kind, nil, Principal{Anonymous: true, Method: "anonymous"})
}

// newResult wraps the body in the verifying readers the payload mode needs.
// signer is required for the signed chunk modes.
func newResult(r *http.Request, q []queryParam, payload string, kind payloadKind, signer *chunkSigner, p Principal) (*Result, error) {
	checks, err := headerChecks(r, q)
	if err != nil {
		return nil, err
	}
	var src io.ReadCloser = http.NoBody
	if r.Body != nil {
		src = r.Body
	}
	length := r.ContentLength
	if length < 0 || (length == 0 && src != http.NoBody && r.Header.Get("Content-Length") == "") {
		length = -1
	}
	sums := &sumSet{}
	res := &Result{Principal: p, DecodedLength: length, Checksums: sums.get}
	var inner io.Reader = src
	var trailers []string
	switch kind {
	case hexPayload:
		want, _ := hex.DecodeString(payload)
		checks = append(checks, digestCheck{algo: "SHA256", want: want, err: ErrXAmzContentSHA256Mismatch})
	case signedChunks, signedChunksTrailer, unsignedTrailer:
		if kind != unsignedTrailer && signer == nil {
			return nil, ErrInvalidContentSHA256
		}
		// S3 needs the decoded length of an aws-chunked body: without it
		// the answer is 411 MissingContentLength (AWS's sigv4-streaming
		// documentation makes x-amz-decoded-content-length required).
		s := r.Header.Get("X-Amz-Decoded-Content-Length")
		if s == "" {
			return nil, fmt.Errorf("%w: x-amz-decoded-content-length is missing", ErrMissingContentLength)
		}
		declared, err := strconv.ParseInt(s, 10, 64)
		if err != nil || declared < 0 {
			return nil, fmt.Errorf("%w: invalid x-amz-decoded-content-length", ErrInvalidRequest)
		}
		if kind != signedChunks {
			if trailers, err = parseTrailerHeader(r.Header.Values("X-Amz-Trailer")); err != nil {
				return nil, err
			}
		}
		inner = newChunkedBody(src, signer, kind != signedChunks, trailers, declared, sums)
		res.DecodedLength, length = declared, -1
	}
	if !isComplete(r, q) {
		if res.ChecksumAlgorithm, err = announcedAlgorithm(r, checks, trailers); err != nil {
			return nil, err
		}
	}
	res.Body = newCheckedBody(inner, src, checks, sums, length)
	return res, nil
}

// parseTrailerHeader returns the lower-case trailer names of x-amz-trailer;
// only checksum trailers are supported, as in S3.
func parseTrailerHeader(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if checksumAlgo(name) == "" {
				return nil, fmt.Errorf("%w: The value specified in the x-amz-trailer header is not supported", ErrInvalidRequest)
			}
			out = append(out, name)
		}
	}
	return out, nil
}
