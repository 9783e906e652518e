package auth

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// queryParam is one query parameter, decoded. hasValue records whether the
// client wrote "name=" (SigV2 resources distinguish "acl" from "acl=").
type queryParam struct {
	name, value string
	raw         string // the value as sent, still escaped
	hasValue    bool
}

// rawQuery is the query string exactly as the client sent it.
func rawQuery(r *http.Request) string {
	if r.RequestURI != "" {
		if i := strings.IndexByte(r.RequestURI, '?'); i >= 0 {
			return r.RequestURI[i+1:]
		}
		return ""
	}
	if r.URL != nil {
		return r.URL.RawQuery
	}
	return ""
}

// rawPath is the escaped path exactly as the client sent it: signatures cover
// what the client sent, not what a rewrite or Go's decoder made of it.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if p == "" {
		if r.URL == nil {
			return "/"
		}
		p = r.URL.EscapedPath()
	} else {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if !strings.HasPrefix(p, "/") { // absolute-form request target
			if u, err := url.Parse(p); err == nil {
				p = u.EscapedPath()
			}
		}
	}
	if p == "" {
		return "/"
	}
	return p
}

// parseQuery splits a raw query. Names and values are form-decoded ('+' is a
// space, as SDKs treat it); an invalid escape keeps the raw text so the
// request still gets a (failing) canonical form rather than a parse error.
func parseQuery(raw string) []queryParam {
	var out []queryParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, hasValue := strings.Cut(part, "=")
		out = append(out, queryParam{name: unescapeQuery(name), value: unescapeQuery(value), raw: value, hasValue: hasValue})
	}
	return out
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// lookup returns the first value of the case-sensitive name.
func lookup(q []queryParam, name string) (string, bool) {
	for _, p := range q {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}

// canonicalQuery builds the SigV4 canonical query string: every parameter
// but X-Amz-Signature, URI-encoded, sorted by encoded name then value.
func canonicalQuery(q []queryParam) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for _, p := range q {
		if p.name == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(p.name, true), uriEncode(p.value, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalURI re-encodes each segment of the client's escaped path once
// with the S3 encoder: no dot-segment removal, no double encoding.
func canonicalURI(escapedPath string) string {
	var b strings.Builder
	b.Grow(len(escapedPath) + 16)
	for i, seg := range strings.Split(escapedPath, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.IndexByte(seg, '%') >= 0 {
			if d, err := url.PathUnescape(seg); err == nil {
				seg = d
			}
		}
		b.WriteString(uriEncode(seg, true))
	}
	return b.String()
}

// uriEncode is AWS's UriEncode: RFC 3986 unreserved characters stay, every
// other byte becomes %XX (upper case); '/' stays unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// headerValue returns the canonical value of a header for signing: values
// joined by ',', each trimmed with inner runs of spaces collapsed. Go's
// server moves some headers out of r.Header; they are rebuilt here.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return collapseSpaces(r.Host)
	case "content-length":
		if _, ok := r.Header["Content-Length"]; !ok && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		if _, ok := r.Header["Transfer-Encoding"]; !ok && len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ",")
		}
	}
	vals := r.Header.Values(name)
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return collapseSpaces(vals[0])
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = collapseSpaces(v)
	}
	return strings.Join(parts, ",")
}

// collapseSpaces trims s and turns inner runs of spaces into one space, as
// the AWS SDKs do (tabs are left alone, like theirs).
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// canonicalRequest builds the SigV4 canonical request for the signed
// headers in the order the client listed them.
func canonicalRequest(r *http.Request, q []queryParam, signed []string, payloadHash string) string {
	uri, query := canonicalURI(rawPath(r)), canonicalQuery(q)
	var b strings.Builder
	// One allocation for the usual request (a header line is seldom longer
	// than 96 bytes; x-amz-content-sha256's is 85), not one per doubling.
	b.Grow(len(r.Method) + len(uri) + len(query) + 96*len(signed) + len(payloadHash) + 4)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}
