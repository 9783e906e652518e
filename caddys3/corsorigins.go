package caddys3

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddys3/caddys3/access"
)

// cors_origins: cross-origin access for every bucket from the configured
// origins, for browsers such as CloudStack's bucket browser (minio-js in
// the UI's page, signing its own requests) that talk to buckets nobody
// wrote a CORS configuration for.
//
// The decision, per request with an Origin header:
//   - a bucket with a CORS configuration of its own is answered from it
//     alone, as S3 does: its owner chose who may call it from a browser,
//     and a server-wide default must neither widen nor narrow that
//     choice (an owner can thereby also restrict a bucket below the
//     default);
//   - otherwise (no such bucket configuration, no bucket in the path, a
//     bucket that does not exist, a request that fails before its bucket
//     is read) an origin matching cors_origins gets the default rule
//     below, so the browser can read S3's answer, errors included;
//   - anything else gets no CORS headers (the default: cors_origins empty).
//
// The default rule allows GET, PUT, POST, DELETE and HEAD with any request
// header, and exposes the headers S3 clients read (ETag first: minio-js
// takes part ETags of multipart uploads from it). It never sends
// Access-Control-Allow-Credentials: requests are authenticated by their
// signatures, not by cookies, so a page's cookies for the store's origin
// are never needed; without credentials "*" in
// Access-Control-Expose-Headers also exposes the x-amz-meta-* headers,
// whose names no fixed list can know.

// corsOriginsMethods are the methods the default rule allows.
var corsOriginsMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// corsOriginsExpose are the response headers the default rule exposes by
// name (then "*"): those minio-js 7.0.33 and the AWS SDKs read.
var corsOriginsExpose = []string{
	"ETag", "x-amz-version-id", "x-amz-request-id", "x-amz-id-2", "x-amz-delete-marker",
	"x-amz-server-side-encryption", "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
	"x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256",
	"x-amz-checksum-type", "x-amz-mp-parts-count", "x-amz-object-lock-mode",
	"x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
	"x-amz-expiration", "x-amz-restore", "x-amz-storage-class", "x-amz-tagging-count",
	"x-amz-website-redirect-location", "x-amz-bucket-region",
	"Content-Length", "Content-Type", "Content-Range", "Content-Disposition",
	"Content-Encoding", "Content-Language", "Cache-Control", "Expires", "Last-Modified",
	"Accept-Ranges", "Date", "*",
}

// corsVary is the Vary of every response that depends on the Origin.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// validCORSOrigins checks cors_origins: "*" alone, or origins
// scheme://host[:port] with at most one "*" (https://*.example.com).
func validCORSOrigins(origins []string) error {
	for _, o := range origins {
		if o == "*" {
			if len(origins) > 1 {
				return fmt.Errorf(`s3: cors_origins: "*" allows every origin; list nothing else with it`)
			}
			continue
		}
		if strings.Count(o, "*") > 1 {
			return fmt.Errorf("s3: cors_origins: %q has more than one \"*\"", o)
		}
		u, err := url.Parse(strings.Replace(o, "*", "x", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("s3: cors_origins: %q is no origin (scheme://host[:port], no path)", o)
		}
	}
	return nil
}

// corsDefault is the rule cors_origins stands for, nil when it is empty.
func corsDefault(origins []string) *access.CORSConfig {
	if len(origins) == 0 {
		return nil
	}
	return &access.CORSConfig{Rules: []access.CORSRule{{
		AllowedOrigins: origins, AllowedMethods: corsOriginsMethods, AllowedHeaders: []string{"*"},
	}}}
}

// defaultCORSHeaders are the headers of the default rule for a request
// from origin with method (for a preflight: the method and headers it
// asks for), or nil when cors_origins does not allow it.
func defaultCORSHeaders(cfg *access.CORSConfig, origin, method string, reqHeaders []string, preflight bool) http.Header {
	if origin == "" || cfg.Match(origin, method, nil) == nil {
		return nil
	}
	h := http.Header{}
	if len(cfg.Rules[0].AllowedOrigins) == 1 && cfg.Rules[0].AllowedOrigins[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(corsOriginsMethods, ", "))
	if preflight && len(reqHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
	}
	h.Set("Access-Control-Expose-Headers", strings.Join(corsOriginsExpose, ", "))
	h.Set("Vary", corsVary)
	return h
}

// setDefaultCORSHeaders adds the default rule's headers to a request that
// cors_origins allows, before anything else is known about it; a bucket
// with a CORS configuration of its own replaces them (setCORSHeaders).
func (h *Handler) setDefaultCORSHeaders(req *request, dst http.Header) {
	origin := req.r.Header.Get("Origin")
	if h.corsDefault == nil || origin == "" {
		return
	}
	hdr := defaultCORSHeaders(h.corsDefault, origin, req.r.Method, nil, false)
	if hdr == nil {
		// The answer still depends on the Origin: a cache must not hand
		// this response (without CORS headers) to a listed origin.
		dst.Set("Vary", corsVary)
		return
	}
	for k, v := range hdr {
		dst[k] = v
	}
}

// clearCORSHeaders removes what setDefaultCORSHeaders added.
func clearCORSHeaders(dst http.Header) {
	for k := range dst {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(dst, k)
		}
	}
	dst.Del("Vary")
}

// defaultPreflight answers a preflight the bucket's own CORS configuration
// does not decide (there is none, or no bucket), from cors_origins; nil
// when cors_origins does not allow it.
func (h *Handler) defaultPreflight(req *request, method string, reqHeaders []string) *response {
	if h.corsDefault == nil {
		return nil
	}
	hdr := defaultCORSHeaders(h.corsDefault, req.r.Header.Get("Origin"), method, reqHeaders, true)
	if hdr == nil {
		return nil
	}
	return &response{header: hdr}
}
