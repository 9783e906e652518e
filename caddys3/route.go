package caddys3

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/s3err"
)

// classify picks the row of the operations table that a request asks for.
// Rows for every level (the CORS preflight) match whatever the
// sub-resources. Otherwise the sub-resources decide
// before the method (a bucket's sub-resource at a key path as at the
// bucket's): the first row (in table order) whose sub-resource is
// in the query claims the request, and among the rows of that
// sub-resource the first whose method and condition match wins; none is
// MethodNotAllowed. So an unknown method on a sub-resource never falls
// through to a plain PUT or GET. Without a sub-resource the rows without
// one decide.
func classify(method, bucket, key string, query url.Values, header http.Header) *operation {
	if headerSectionSize(header) > maxHeaderSection {
		return headerSectionTooLarge
	}
	lvl := levelObject
	switch {
	case bucket == "":
		lvl = levelService
	case key == "":
		lvl = levelBucket
	}
	claimed := claim(lvl, query)
	if claimed == "" && lvl == levelObject {
		// S3 dispatches a bucket's sub-resource at a key path as at the
		// bucket's path, the key ignored (GET /b/k?location is the bucket's
		// location), never as a read or write of the object.
		if claimed = claim(levelBucket, query); claimed != "" {
			lvl = levelBucket
		}
	}
	for _, op := range operations {
		m := op.match
		switch {
		case m.level != lvl && m.level != levelAny,
			m.level != levelAny && m.sub != claimed,
			m.method != "" && m.method != method,
			m.when != nil && !m.when(query, header):
			continue
		}
		if lvl == levelObject && op.scope != scopeNone && op.versionRule == nil && versionRequested(query) {
			return versionNotTaken
		}
		return op
	}
	return methodNotAllowed
}

// maxHeaderSection is S3's limit on a request's header section: 8 KiB
// (S3 answers 400 RequestHeaderSectionTooLarge with MaxSizeAllowed 8192
// beyond it; vgw request-header-section-too-large-error.go, and the
// "max 8192 bytes" users meet behind CloudFront and conda).
const maxHeaderSection = 8192

// headerSectionSize is the size of the header lines as sent ("Name: value"
// and CRLF each). Go keeps Host out of the header map, so its line is not
// counted: a few bytes of slack.
func headerSectionSize(h http.Header) int {
	n := 0
	for name, vs := range h {
		for _, v := range vs {
			n += len(name) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

// headerSectionTooLarge answers a request whose headers exceed
// maxHeaderSection, before anything else reads them.
var headerSectionTooLarge = &operation{name: OpRejected,
	serve: refuse(newError(s3err.RequestHeaderSectionTooLarge).with("MaxSizeAllowed", strconv.Itoa(maxHeaderSection)))}

// claim returns the first sub-resource of the level's rows (in table
// order) that the query names, or "".
func claim(lvl level, query url.Values) string {
	for _, op := range operations {
		if op.match.level == lvl && op.match.sub != "" && subresourcePresent(query, op.match.sub) {
			return op.match.sub
		}
	}
	return ""
}

// subresourcePresent reports whether the query names the sub-resource.
func subresourcePresent(q url.Values, sub string) bool {
	_, ok := q[sub]
	return ok
}

// splitPath returns bucket and key of a path-style request path (already
// percent-decoded). The key is everything after "/bucket/", kept byte for
// byte: S3 keys may contain "//", "./" and "..".
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// bucketFromHost returns the bucket named by a virtual-hosted-style Host
// header (bucket.<domain>), or "" for a path-style request.
func (h *Handler) bucketFromHost(host string) string {
	if len(h.Domains) == 0 {
		return ""
	}
	if hst, _, err := net.SplitHostPort(host); err == nil {
		host = hst
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range h.Domains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b
		}
	}
	return ""
}

// target is what a request addresses.
type target struct {
	bucket, key string
}

// resolveTarget finds bucket and key for the routed request: from the Host
// header for virtual-hosted style, else from the path.
func (h *Handler) resolveTarget(r *http.Request) target {
	if b := h.bucketFromHost(r.Host); b != "" {
		return target{bucket: b, key: strings.TrimPrefix(r.URL.Path, "/")}
	}
	b, k := splitPath(r.URL.Path)
	return target{bucket: b, key: k}
}
