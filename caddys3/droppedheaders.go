package caddys3

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/s3err"
)

// Caddy (since 2.11.4) deletes every request header whose name contains
// '_' or '.' in caddyhttp.Server.serveHTTP, before any handler runs
// (GHSA-f59h-q822-g45g, GHSA-49wc-4hcv-v58q: CGI/FastCGI backends fold
// '-', '_' and '.' onto one variable name). The server options
// expected_underscore_headers and expected_dot_headers keep listed names
// (a glob prefix must itself contain the separator, so x-amz-meta-* cannot
// be listed) and then delete the hyphenated spelling of each listed name.
// The deleted values are kept nowhere a handler can reach, so an S3 request
// whose signature covers such a header (x-amz-meta-upload_id,
// x-amz-meta-file.name) cannot be verified here. Rather than answer the
// misleading SignatureDoesNotMatch, name the header that did not arrive.

// droppedSignedHeader returns the first header that r's SigV4 signature
// covers (Authorization SignedHeaders or X-Amz-SignedHeaders) and that
// Caddy deleted before the request reached this handler, or "".
func droppedSignedHeader(r *http.Request) string {
	var signed string
	if authz := r.Header.Get("Authorization"); strings.HasPrefix(authz, "AWS4-HMAC-SHA256 ") {
		for part := range strings.SplitSeq(strings.TrimPrefix(authz, "AWS4-HMAC-SHA256 "), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "SignedHeaders="); ok {
				signed = v
			}
		}
	} else if authz == "" {
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
			signed = q.Get("X-Amz-SignedHeaders")
		}
	}
	if signed == "" {
		return ""
	}
	srv, _ := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	for name := range strings.SplitSeq(strings.ToLower(signed), ";") {
		if name == "" || len(r.Header.Values(name)) > 0 {
			continue
		}
		if strings.ContainsAny(name, "_.") || srv != nil && hyphenatedVariant(srv, name) {
			return name
		}
	}
	return ""
}

// hyphenatedVariant reports whether Caddy drops name (lower case, without
// '_' or '.') because it is the hyphenated spelling of an entry of the
// server's expected_underscore_headers or expected_dot_headers.
func hyphenatedVariant(srv *caddyhttp.Server, name string) bool {
	check := func(entries []string, sep string) bool {
		for _, e := range entries {
			e = strings.ToLower(e)
			glob := strings.HasSuffix(e, "*")
			h := strings.ReplaceAll(strings.TrimSuffix(e, "*"), sep, "-")
			if glob && strings.HasPrefix(name, h) || !glob && name == h {
				return true
			}
		}
		return false
	}
	return check(srv.ExpectedUnderscoreHeaders, "_") || check(srv.ExpectedDotHeaders, ".")
}

// droppedHeadersAdvice is appended to the answers below.
const droppedHeadersAdvice = "The Caddy web server in front of this S3 service deletes request headers whose names contain '_' or '.' " +
	"before any handler sees them (a CGI/FastCGI header-spoofing mitigation). " +
	"Use '-' instead of '_' and '.' in metadata names, send the metadata as form fields of a browser POST upload, " +
	"or ask the operator to list the exact header name in the server's expected_underscore_headers or expected_dot_headers."

// explainSignatureFailure turns a signature mismatch that Caddy caused
// into an error that says so: a SigV4 request whose signed header was
// deleted gets 400 InvalidArgument naming it (ArgumentName); a SigV2
// mismatch, whose signature does not list its headers, keeps
// SignatureDoesNotMatch with the advice appended. Other errors are
// returned unchanged.
func explainSignatureFailure(r *http.Request, err error) error {
	if !errors.Is(err, auth.ErrSignatureDoesNotMatch) {
		return err
	}
	if name := droppedSignedHeader(r); name != "" {
		return newTextError(s3err.DroppedSignedHeader, name, droppedHeadersAdvice).withCause(err).withArgument(name, "")
	}
	if !isSigV2(r) {
		return err
	}
	ae := newTextError(s3err.SignatureV2Advice, droppedHeadersAdvice).withCause(err)
	ae.extra = toAPIError(err).extra
	return ae
}

// isSigV2 reports whether r is signed with AWS signature version 2
// (Authorization "AWS ..." or the AWSAccessKeyId/Signature query).
func isSigV2(r *http.Request) bool {
	if authz := r.Header.Get("Authorization"); authz != "" {
		return strings.HasPrefix(authz, "AWS ")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	return err == nil && q.Get("X-Amz-Algorithm") == "" && (q.Has("AWSAccessKeyId") || q.Has("Signature"))
}
