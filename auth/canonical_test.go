package auth

import (
	"errors"
	"net/http"
	"testing"
)

func TestCanonicalURI(t *testing.T) {
	for in, want := range map[string]string{
		"/":                     "/",
		"/b/a%20b":              "/b/a%20b",
		"/b/a b":                "/b/a%20b",
		"/b/a+b":                "/b/a%2Bb",
		"/b/a%2Bb":              "/b/a%2Bb",
		"/b/%2F":                "/b/%2F",
		"/b/a/../c/./d//e/":     "/b/a/../c/./d//e/",
		"/b/%C3%BC%e2%82%ac~":   "/b/%C3%BC%E2%82%AC~",
		"/b/bad%zz":             "/b/bad%25zz",
		"/b/100%25":             "/b/100%25",
		"/b/$&'()*,;=:@!":       "/b/%24%26%27%28%29%2A%2C%3B%3D%3A%40%21",
		"/b/%24%26%27%28%29%2A": "/b/%24%26%27%28%29%2A",
	} {
		if got := canonicalURI(in); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"acl":                               "acl=",
		"b=2&a=1&a=0":                       "a=0&a=1&b=2",
		"x=a+b&y=a%20b&z=%2b":               "x=a%20b&y=a%20b&z=%2B",
		"X-Amz-Signature=s&X-Amz-Date=d":    "X-Amz-Date=d",
		"p=%E2%82%AC&q=~._-&&r=%zz":         "p=%E2%82%AC&q=~._-&r=%25zz",
		"list-type=2&prefix=&delimiter=%2F": "delimiter=%2F&list-type=2&prefix=",
	} {
		if got := canonicalQuery(parseQuery(in)); got != want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	r := serverRequest("PUT", "h:8080", "/", hdr("X-A", "  a   b  ", "X-A", "c"), []byte("abc"))
	r.TransferEncoding = []string{"chunked"}
	for name, want := range map[string]string{"host": "h:8080", "x-a": "a b,c", "content-length": "3", "transfer-encoding": "chunked", "x-missing": ""} {
		if got := headerValue(r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestRawPathFallback(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://h/a%2Fb/c?x=1", nil)
	if got := rawPath(r); got != "/a%2Fb/c" {
		t.Fatal(got)
	}
	if got := rawQuery(r); got != "x=1" {
		t.Fatal(got)
	}
	r.RequestURI = "http://h/abs%20form?y=2"
	if got := rawPath(r); got != "/abs%20form" {
		t.Fatal(got)
	}
}

func TestStatic(t *testing.T) {
	s := NewStatic([]Credential{{AccessKeyID: "a", Secret: "1"}, {AccessKeyID: "a", Secret: "2"}})
	if c, err := s.Lookup(t.Context(), "a"); err != nil || c.Secret != "2" {
		t.Fatal(c, err)
	}
	_, err := s.Lookup(t.Context(), "b")
	mustErrIs(t, err, ErrInvalidAccessKeyID)
	_, err = s.Lookup(t.Context(), "")
	mustErrIs(t, err, ErrInvalidAccessKeyID)
	if _, err := NewStaticChecked([]Credential{{AccessKeyID: "a", Secret: "1"}, {AccessKeyID: "a", Secret: "2"}}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := NewStaticChecked([]Credential{{AccessKeyID: "a"}}); err == nil {
		t.Fatal("empty secret accepted")
	}
	if _, err := NewStaticChecked([]Credential{{AccessKeyID: "a", Secret: "1"}}); err != nil {
		t.Fatal(err)
	}
}

func TestParseAuthorization(t *testing.T) {
	ok := []string{
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=abc",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
		"AWS4-HMAC-SHA256  Signature=abc ,Credential=AK/20130524/us-east-1/s3/aws4_request,  SignedHeaders=Host",
	}
	for _, s := range ok {
		a, err := parseAuthorization(s)
		if err != nil || a.cred.accessKey != "AK" || a.signature != "abc" || a.signedHeaders[0] != "host" || a.cred.scope() != "20130524/us-east-1/s3/aws4_request" {
			t.Errorf("%q: %+v %v", s, a, err)
		}
	}
	bad := []string{
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256x Credential=a",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3,SignedHeaders=host,Signature=abc",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;;x,Signature=a",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=a,Extra=1",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=a,Signature=b",
		"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=a",
	}
	for _, s := range bad {
		if _, err := parseAuthorization(s); !errors.Is(err, ErrAuthorizationHeaderMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
}
