package access

import (
	"bytes"
	"encoding/xml"
	"github.com/caddys3/caddys3/s3err"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxCORSRules is S3's limit on rules in one CORS configuration.
const maxCORSRules = 100

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	ID             string   `json:"id,omitempty"`
	AllowedOrigins []string `json:"allowed_origins"`           // may contain one "*" wildcard each, e.g. "http://*.example.com" or "*"
	AllowedMethods []string `json:"allowed_methods"`           // GET PUT POST DELETE HEAD
	AllowedHeaders []string `json:"allowed_headers,omitempty"` // may contain one "*" wildcard each, matched case-insensitively
	ExposeHeaders  []string `json:"expose_headers,omitempty"`
	MaxAgeSeconds  int      `json:"max_age_seconds,omitempty"` // 0 = absent
}

// CORSConfig is a bucket's CORS configuration: rules evaluated in order.
type CORSConfig struct {
	Rules []CORSRule `json:"rules"`
}

type xmlCORS struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Rules   []xmlCORSRule `xml:"CORSRule"`
}

type xmlCORSRule struct {
	ID             string   `xml:"ID"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *string  `xml:"MaxAgeSeconds"`
}

func trimAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// ParseCORS parses a CORSConfiguration XML body (namespace optional).
// Values are trimmed of surrounding blanks. Errors: bad XML, no rules or
// more than 100 rules, a rule without AllowedOrigin or AllowedMethod, a bad
// MaxAgeSeconds -> MalformedXML; a method other than GET PUT POST DELETE
// HEAD (case-sensitive), an AllowedOrigin or AllowedHeader with more than one
// "*", an ExposeHeader with a "*" -> InvalidRequest.
func ParseCORS(r io.Reader) (*CORSConfig, error) {
	bad := errorf(s3err.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	var doc xmlCORS
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, bad
	}
	if len(doc.Rules) == 0 || len(doc.Rules) > maxCORSRules {
		return nil, bad
	}
	cfg := &CORSConfig{Rules: make([]CORSRule, 0, len(doc.Rules))}
	for _, xr := range doc.Rules {
		rule := CORSRule{
			ID:             strings.TrimSpace(xr.ID),
			AllowedOrigins: trimAll(xr.AllowedOrigins),
			AllowedMethods: trimAll(xr.AllowedMethods),
			AllowedHeaders: trimAll(xr.AllowedHeaders),
			ExposeHeaders:  trimAll(xr.ExposeHeaders),
		}
		if len(rule.AllowedOrigins) == 0 || len(rule.AllowedMethods) == 0 {
			return nil, bad
		}
		if xr.MaxAgeSeconds != nil {
			n, err := strconv.Atoi(strings.TrimSpace(*xr.MaxAgeSeconds))
			if err != nil || n < 0 {
				return nil, bad
			}
			rule.MaxAgeSeconds = n
		}
		for _, m := range rule.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD":
			default:
				return nil, errorf(s3err.InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is "+m)
			}
		}
		for _, o := range rule.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, errorf(s3err.InvalidRequest, `AllowedOrigin "`+o+`" can not have more than one wildcard.`)
			}
		}
		for _, h := range rule.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return nil, errorf(s3err.InvalidRequest, `AllowedHeader "`+h+`" can not have more than one wildcard.`)
			}
		}
		for _, h := range rule.ExposeHeaders {
			if strings.Contains(h, "*") {
				return nil, errorf(s3err.InvalidRequest, `ExposeHeader "`+h+`" contains wildcard. We currently do not support wildcard for ExposeHeader.`)
			}
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg, nil
}

// XML returns the CORSConfiguration document for GetBucketCors.
func (c *CORSConfig) XML() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<CORSConfiguration xmlns="` + s3Namespace + `">`)
	if c != nil {
		for _, r := range c.Rules {
			b.WriteString("<CORSRule>")
			if r.ID != "" {
				writeElem(&b, "ID", r.ID)
			}
			for _, v := range r.AllowedOrigins {
				writeElem(&b, "AllowedOrigin", v)
			}
			for _, v := range r.AllowedMethods {
				writeElem(&b, "AllowedMethod", v)
			}
			for _, v := range r.AllowedHeaders {
				writeElem(&b, "AllowedHeader", v)
			}
			for _, v := range r.ExposeHeaders {
				writeElem(&b, "ExposeHeader", v)
			}
			if r.MaxAgeSeconds > 0 {
				writeElem(&b, "MaxAgeSeconds", strconv.Itoa(r.MaxAgeSeconds))
			}
			b.WriteString("</CORSRule>")
		}
	}
	b.WriteString("</CORSConfiguration>")
	return b.Bytes()
}

// corsWildcard reports whether s matches pattern, where each "*" in
// pattern stands for any run of bytes (possibly empty). Linear-time greedy
// matching with backtracking to the last star.
func corsWildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOrigin returns the first of the rule's AllowedOrigins that matches
// origin (case-sensitive), or "" and false.
func (r *CORSRule) matchOrigin(origin string) (string, bool) {
	for _, o := range r.AllowedOrigins {
		if corsWildcard(o, origin) {
			return o, true
		}
	}
	return "", false
}

func (r *CORSRule) allowsMethod(method string) bool {
	for _, m := range r.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

func (r *CORSRule) allowsHeader(h string) bool {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" {
		return true
	}
	for _, a := range r.AllowedHeaders {
		if corsWildcard(strings.ToLower(a), h) {
			return true
		}
	}
	return false
}

// Match returns the first rule that allows origin (exact or by its one "*"
// wildcard, case-sensitive), method (exact, case-sensitive) and every header
// of requestHeaders (case-insensitive, "*" wildcards; for actual requests
// pass nil), or nil. The result points into c.Rules.
func (c *CORSConfig) Match(origin, method string, requestHeaders []string) *CORSRule {
	if c == nil {
		return nil
	}
rules:
	for i := range c.Rules {
		r := &c.Rules[i]
		if _, ok := r.matchOrigin(origin); !ok || !r.allowsMethod(method) {
			continue
		}
		for _, h := range requestHeaders {
			if !r.allowsHeader(h) {
				continue rules
			}
		}
		return r
	}
	return nil
}

// Headers returns the response headers for a matched rule, as S3 sends
// them on a preflight and on the actual request alike (localstack's
// test_s3_cors.snapshot.json, recorded against AWS: get-right-origin,
// opt-right-origin, test_cors_expose_headers):
//
// Access-Control-Allow-Origin echoes origin, or is "*" when the rule's
// AllowedOrigin that matches origin is "*" (then no
// Access-Control-Allow-Credentials; otherwise it is "true");
// Access-Control-Allow-Methods (the rule's methods joined ", "),
// Access-Control-Expose-Headers (if any), Access-Control-Max-Age (if set)
// and "Vary: Origin, Access-Control-Request-Headers,
// Access-Control-Request-Method".
//
// preflight=true also adds Access-Control-Allow-Headers (the requested
// headers, echoed, if any).
func (r *CORSRule) Headers(origin string, requestHeaders []string, preflight bool) http.Header {
	h := http.Header{}
	if r == nil {
		return h
	}
	allowed, _ := r.matchOrigin(origin)
	if allowed == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if preflight {
		var req []string
		for _, v := range requestHeaders {
			if v = strings.TrimSpace(v); v != "" {
				req = append(req, v)
			}
		}
		if len(req) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(req, ", "))
		}
	}
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(r.MaxAgeSeconds))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	return h
}
