package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// validCanonicalURI reports whether s holds only RFC 3986 unreserved
// characters, '/' and upper-case %XX escapes.
func validCanonicalURI(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c) || c == '/':
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isToken reports whether s is a valid HTTP header name, as Go's server
// requires.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(unreserved(c) || strings.IndexByte("!#$%&'*+^`|", c) >= 0) {
			return false
		}
	}
	return true
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// fuzzRequest builds a server-side request from fuzz input, or nil when Go's
// server would not have accepted the request line.
func fuzzRequest(method, uri, headers string) *http.Request {
	if method == "" || strings.ContainsAny(method, " \r\n\t") {
		return nil
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil || strings.ContainsAny(uri, " \r\n") {
		return nil
	}
	h := http.Header{}
	for line := range strings.SplitSeq(headers, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && isToken(k) {
			h.Add(k, strings.TrimSpace(v))
		}
	}
	return &http.Request{Method: method, Host: "h", RequestURI: uri, URL: u, Header: h, Body: http.NoBody}
}

// FuzzCanonicalRequest: the SigV4 canonical request of any request line and
// headers is well-formed: a canonical URI that re-canonicalises to itself,
// one line per signed header, the payload hash last; and a request signed
// with it verifies while any other signature does not.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("GET", "/b/k", "Range: bytes=0-9\nX-Amz-Meta-A:  x   y ")
	f.Add("PUT", "/b/a%20b/..//c%2Fd?acl&x=1&x=0&%41=%zz", "Content-Type: text/plain")
	f.Add("GET", "/b/%E2%82%AC+~?prefix=a+b&list-type=2", "")
	f.Add("POST", "/?uploads", "X-Amz-Date: 20130524T000000Z")
	f.Add("DELETE", "/%", "A:1\nA:2")
	f.Fuzz(func(t *testing.T, method, uri, headers string) {
		r := fuzzRequest(method, uri, headers)
		if r == nil {
			return
		}
		q := parseQuery(rawQuery(r))
		cu := canonicalURI(rawPath(r))
		if !validCanonicalURI(cu) {
			t.Fatalf("canonical URI %q of %q has raw characters", cu, uri)
		}
		if again := canonicalURI(cu); again != cu {
			t.Fatalf("canonicalURI not idempotent: %q -> %q", cu, again)
		}
		if cq := canonicalQuery(q); !validCanonicalURI(strings.NewReplacer("=", "", "&", "").Replace(cq)) {
			t.Fatalf("canonical query %q has raw characters", cq)
		}
		signed := []string{"host"}
		for name := range r.Header {
			signed = append(signed, strings.ToLower(name))
		}
		slices.Sort(signed)
		canon := canonicalRequest(r, q, signed, "UNSIGNED-PAYLOAD")
		lines := strings.Split(canon, "\n")
		if lines[0] != method || !strings.HasSuffix(canon, "\nUNSIGNED-PAYLOAD") {
			t.Fatalf("canonical request %q", canon)
		}

		// Sign it as a client would and check the verifier agrees, and
		// that a flipped signature fails.
		now := exampleTime()
		v := newTestVerifier(now)
		r.Header.Set("X-Amz-Date", exampleDate)
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		signed = append(signed, "x-amz-content-sha256", "x-amz-date")
		slices.Sort(signed)
		signed = slices.Compact(signed)
		sts := stringToSignV4(exampleDate, exampleScope, canonicalRequest(r, q, signed, "UNSIGNED-PAYLOAD"))
		sig := hexHMAC(exampleKey(), sts)
		authz := "AWS4-HMAC-SHA256 Credential=" + exampleAK + "/" + exampleScope + ", SignedHeaders=" + strings.Join(signed, ";") + ", Signature="
		if _, isV4q := lookup(q, "X-Amz-Algorithm"); isV4q {
			return // presigned parameters: another mode
		}
		if _, isV2q := lookup(q, "Signature"); isV2q {
			return
		}
		if _, isV2q := lookup(q, "AWSAccessKeyId"); isV2q {
			return
		}
		if r.Header.Get("Authorization") != "" || hasChecksum(r.Header) {
			return
		}
		r.Header.Set("Authorization", authz+sig)
		if _, err := v.Verify(t.Context(), r); err != nil {
			t.Fatalf("self-signed request rejected: %v\ncanonical:\n%s", err, canon)
		}
		bad := []byte(sig)
		bad[0] ^= 1
		if bad[0] > 'f' || (bad[0] > '9' && bad[0] < 'a') {
			bad[0] = '0'
			if sig[0] == '0' {
				bad[0] = '1'
			}
		}
		r.Header.Set("Authorization", authz+string(bad))
		if _, err := v.Verify(t.Context(), r); !errors.Is(err, ErrSignatureDoesNotMatch) {
			t.Fatalf("wrong signature: %v", err)
		}
	})
}

// hasChecksum reports digest headers, which Verify checks against the
// (empty) body.
func hasChecksum(h http.Header) bool {
	if _, ok := h["Content-Md5"]; ok {
		return true
	}
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-checksum-") || strings.EqualFold(name, "x-amz-trailer") {
			return true
		}
	}
	return false
}

func hexHMAC(key []byte, s string) string {
	const digits = "0123456789abcdef"
	m := hmacSHA256(key, s)
	b := make([]byte, 2*len(m))
	for i, c := range m {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(b)
}

// FuzzSigV2StringToSign: the SigV2 string to sign of any request has the
// fixed five-line head and ends in the canonical resource; a request
// signed with it verifies (header and query auth) and garbage does not.
func FuzzSigV2StringToSign(f *testing.F) {
	f.Add("GET", "/b/k?acl&response-content-type=a%2Bb&uploadId=1&foo=bar", "X-Amz-Meta-B: 2\nx-amz-meta-a: 1\nContent-Type: t")
	f.Add("PUT", "/b/a%20b+c?partNumber=1&uploadId=x", "Content-Md5: abc\nX-Amz-Date: Fri, 24 May 2013 00:00:00 GMT")
	f.Add("GET", "/?versions&versionId=%zz", "")
	f.Add("HEAD", "/b/%", "x-amz-meta-x:a\nX-AMZ-META-X:b")
	f.Fuzz(func(t *testing.T, method, uri, headers string) {
		r := fuzzRequest(method, uri, headers)
		if r == nil {
			return
		}
		v := newTestVerifier(exampleTime())
		q := parseQuery(rawQuery(r))
		for _, query := range []bool{false, true} {
			sts := v.stringToSignV2(r, q, "DATE", query)
			lines := strings.SplitN(sts, "\n", 5)
			if len(lines) != 5 || lines[0] != method || lines[3] != "DATE" {
				t.Fatalf("string to sign %q", sts)
			}
			if !strings.Contains(lines[4], rawPath(r)) {
				t.Fatalf("string to sign %q lacks the path %q", sts, rawPath(r))
			}
		}
		if r.Header.Get("Authorization") != "" || hasChecksum(r.Header) {
			return
		}
		for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "AWSAccessKeyId", "Signature", "Expires"} {
			if _, ok := lookup(q, name); ok {
				return
			}
		}
		r.Header.Set("Date", "Fri, 24 May 2013 00:00:00 GMT")
		date := r.Header.Get("Date")
		if amz := r.Header.Get("X-Amz-Date"); amz != "" {
			if _, err := parseHTTPDate(amz); err != nil {
				return
			}
			date = ""
		}
		sig := base64HMACSHA1(exampleSecret, v.stringToSignV2(r, q, date, false))
		r.Header.Set("Authorization", "AWS "+exampleAK+":"+sig)
		_, err := v.Verify(t.Context(), r)
		if err != nil && !errors.Is(err, ErrRequestTimeTooSkewed) {
			t.Fatalf("self-signed SigV2 request rejected: %v", err)
		}
		r.Header.Set("Authorization", "AWS "+exampleAK+":"+base64HMACSHA1("wrong", "x"))
		if _, err := v.Verify(t.Context(), r); err == nil {
			t.Fatal("a wrong SigV2 signature verified")
		}
	})
}

func base64HMACSHA1(secret, s string) string {
	return signPostV2(secret, s)
}

// FuzzPostPolicy: any policy document parses or fails with
// InvalidPolicyDocument; a parsed one checks without panicking, and when a
// correctly signed form passes VerifyPost every exact-match condition holds.
func FuzzPostPolicy(f *testing.F) {
	f.Add([]byte(awsPostPolicyDoc), "user/user1/a.jpg", "image/jpeg")
	f.Add([]byte(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", ""], ["content-length-range", 0, 10]]}`), "k", "")
	f.Add([]byte(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["eq", "$Content-Type", "a,b"], {"key": "k", "x-amz-meta-a": "1"}]}`), "k", "a,b")
	f.Add([]byte(`{"expiration": 1, "conditions": {}}`), "", "")
	f.Add([]byte(`{"expiration": "2013-05-24T01:00:00Z", "conditions": [["content-length-range", "9223372036854775807", 1e30]]}`), "k", "")
	f.Fuzz(func(t *testing.T, doc []byte, key, contentType string) {
		policy := base64.StdEncoding.EncodeToString(doc)
		p, err := ParsePostPolicy(policy)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicyDocument) {
				t.Fatalf("parse error %v", err)
			}
			return
		}
		if len(p.Conditions) > 4*maxPolicyConditions+len(doc) {
			t.Fatalf("%d conditions from %d bytes", len(p.Conditions), len(doc))
		}
		fields := map[string]string{
			"key": key, "content-type": contentType, "awsaccesskeyid": exampleAK, "policy": policy,
			"signature": signPostV2(exampleSecret, policy),
		}
		now := exampleTime()
		pa, err := postVerifier(now).VerifyPost(t.Context(), "b", fields)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("VerifyPost: %v", err)
			}
			return
		}
		if pa.MaxLength >= 0 && pa.MinLength > pa.MaxLength {
			t.Fatalf("length range %d..%d", pa.MinLength, pa.MaxLength)
		}
		all := map[string]string{"bucket": "b"}
		for k, v := range fields {
			all[k] = v
		}
		for _, c := range p.Conditions {
			if c.Op == "eq" && all[c.Field] != c.Value {
				t.Fatalf("accepted although %s: %q != %q", c.raw, all[c.Field], c.Value)
			}
			if c.Op == "starts-with" && !strings.HasPrefix(all[c.Field], c.Value) {
				t.Fatalf("accepted although %s", c.raw)
			}
		}
		if !now.Before(p.Expiration) {
			t.Fatalf("accepted an expired policy (%v)", p.Expiration)
		}
		// The same form with a wrong signature never passes.
		fields["signature"] = signPostV2("wrong", policy)
		if _, err := postVerifier(now).VerifyPost(t.Context(), "b", fields); !errors.Is(err, ErrSignatureDoesNotMatch) {
			t.Fatalf("wrong signature: %v", err)
		}
	})
}

// FuzzPostForm: any body either fails with a POST error or yields bounded
// fields and a file that reads to EOF or a POST error.
func FuzzPostForm(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk/${filename}\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nhel"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"Key\"\r\n\r\na\r\n--B\r\nContent-Disposition: form-data; name=\"KEY\"\r\n\r\nb\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n=41=\r\nB\r\n--B--"))
	f.Add([]byte("preamble\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := ReadPostForm(bytes.NewReader(body), "multipart/form-data; boundary=B")
		postErr := func(err error) bool {
			for _, e := range []error{ErrMalformedPOSTRequest, ErrPostPreDataTooLarge, ErrIncorrectNumberOfFiles, ErrIncompleteBody} {
				if errors.Is(err, e) {
					return true
				}
			}
			return false
		}
		if err != nil {
			if !postErr(err) {
				t.Fatalf("error %v", err)
			}
			return
		}
		total := 0
		for k, v := range form.Fields {
			if k != strings.ToLower(k) || k == "file" || k == "" {
				t.Fatalf("field name %q", k)
			}
			total += len(k) + len(v)
		}
		if total > MaxPostPreData || len(form.Fields) > maxPostFields {
			t.Fatalf("%d fields, %d bytes", len(form.Fields), total)
		}
		n, err := io.Copy(io.Discard, form.File)
		if err != nil && !postErr(err) {
			t.Fatalf("file error %v", err)
		}
		if n > int64(len(body)) {
			t.Fatalf("file of %d bytes from a %d-byte body", n, len(body))
		}
	})
}
