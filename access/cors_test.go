package access

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func corsWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	e, ok := IsError(err)
	if !ok || string(e.Code) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func corsParse(t *testing.T, doc string) *CORSConfig {
	t.Helper()
	c, err := ParseCORS(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("ParseCORS: %v", err)
	}
	return c
}

func TestParseCORSGood(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []CORSRule
	}{
		{
			// As aws-cli / boto3 send put-bucket-cors.
			name: "botocore",
			doc: `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>` +
				`<ID>web</ID><AllowedHeader>*</AllowedHeader><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>` +
				`<AllowedOrigin>http://www.example.com</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>` +
				`</CORSRule><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`,
			want: []CORSRule{
				{ID: "web", AllowedOrigins: []string{"http://www.example.com"}, AllowedMethods: []string{"PUT", "POST"},
					AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: 3000},
				{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
			},
		},
		{
			name: "no namespace, pretty, all methods, wildcards",
			doc: `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin> http://*.example.com </AllowedOrigin>
    <AllowedOrigin>https://app-*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <AllowedHeader>Content-Type</AllowedHeader>
    <MaxAgeSeconds> 0 </MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`,
			want: []CORSRule{{
				AllowedOrigins: []string{"http://*.example.com", "https://app-*"},
				AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
				AllowedHeaders: []string{"x-amz-*", "Content-Type"},
			}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := corsParse(t, c.doc)
			if !reflect.DeepEqual(got.Rules, c.want) {
				t.Fatalf("rules =\n%+v\nwant\n%+v", got.Rules, c.want)
			}
		})
	}
}

func TestParseCORSErrors(t *testing.T) {
	rule := func(inner string) string {
		return `<CORSConfiguration><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	okRule := `<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`
	cases := []struct{ name, doc, code string }{
		{"empty", ``, "MalformedXML"},
		{"not xml", `GET *`, "MalformedXML"},
		{"truncated", `<CORSConfiguration><CORSRule>`, "MalformedXML"},
		{"wrong root", `<AccessControlPolicy/>`, "MalformedXML"},
		{"no rules", `<CORSConfiguration></CORSConfiguration>`, "MalformedXML"},
		{"too many rules", `<CORSConfiguration>` + strings.Repeat(okRule, 101) + `</CORSConfiguration>`, "MalformedXML"},
		{"no origin", rule(`<AllowedMethod>GET</AllowedMethod>`), "MalformedXML"},
		{"no method", rule(`<AllowedOrigin>*</AllowedOrigin>`), "MalformedXML"},
		{"bad max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>ten</MaxAgeSeconds>`), "MalformedXML"},
		{"negative max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>`), "MalformedXML"},
		{"unsupported method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`), "InvalidRequest"},
		{"lower-case method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>`), "InvalidRequest"},
		{"empty method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>`), "InvalidRequest"},
		{"two wildcards in origin", rule(`<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "InvalidRequest"},
		{"two wildcards in header", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>`), "InvalidRequest"},
		{"wildcard expose header", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>`), "InvalidRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCORS(strings.NewReader(c.doc))
			corsWantCode(t, err, c.code)
		})
	}
	_, err := ParseCORS(strings.NewReader(`<CORSConfiguration>` + strings.Repeat(okRule, 100) + `</CORSConfiguration>`))
	corsWantCode(t, err, "")
	e, _ := IsError(mustCORSErr(rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`)))
	if e.Message != "Found unsupported HTTP method in CORS config. Unsupported method is PATCH" {
		t.Fatalf("message = %q", e.Message)
	}
}

func mustCORSErr(doc string) error {
	_, err := ParseCORS(strings.NewReader(doc))
	return err
}

func corsSample() *CORSConfig {
	return &CORSConfig{Rules: []CORSRule{
		{ID: "a <&> b", AllowedOrigins: []string{"http://*.example.com", "https://exact.example.org"},
			AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"Content-Type", "x-amz-*"},
			ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 600},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
		{AllowedOrigins: []string{"https://app-*"}, AllowedMethods: []string{"DELETE"}, AllowedHeaders: []string{"*"}},
	}}
}

func TestCORSXML(t *testing.T) {
	c := &CORSConfig{Rules: []CORSRule{{ID: "r", AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 5}}}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>r</ID><AllowedOrigin>*</AllowedOrigin>` +
		`<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>` +
		`<MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>`
	if got := string(c.XML()); got != want {
		t.Fatalf("XML =\n%s\nwant\n%s", got, want)
	}
	got := corsParse(t, string(corsSample().XML()))
	if !reflect.DeepEqual(got, corsSample()) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", got, corsSample())
	}
}

func TestCORSJSONStorage(t *testing.T) {
	enc, err := json.Marshal(corsSample())
	if err != nil {
		t.Fatal(err)
	}
	var dec CORSConfig
	if err := json.Unmarshal(enc, &dec); err != nil || !reflect.DeepEqual(&dec, corsSample()) {
		t.Fatalf("JSON round trip: %v\n%s", err, enc)
	}
	enc, _ = json.Marshal(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}})
	if string(enc) != `{"allowed_origins":["*"],"allowed_methods":["GET"]}` {
		t.Fatalf("JSON = %s", enc)
	}
}

func TestCORSMatch(t *testing.T) {
	c := corsSample()
	cases := []struct {
		name    string
		origin  string
		method  string
		headers []string
		want    int // rule index, -1 for none
	}{
		{"subdomain wildcard", "http://www.example.com", "GET", nil, 0},
		{"nested subdomain", "http://a.b.example.com", "PUT", nil, 0},
		{"wildcard needs its dot", "http://example.com", "PUT", nil, -1},
		{"scheme matters", "https://www.example.com", "PUT", nil, -1},
		{"exact origin", "https://exact.example.org", "PUT", nil, 0},
		{"origin is case-sensitive", "https://EXACT.example.org", "PUT", nil, -1},
		{"first rule wins", "http://www.example.com", "GET", nil, 0},
		{"falls through on method", "http://www.example.com", "HEAD", nil, 1},
		{"star origin", "https://anything.test", "GET", nil, 1},
		{"method is case-sensitive", "https://anything.test", "get", nil, -1},
		{"method not allowed anywhere", "https://anything.test", "POST", nil, -1},
		{"suffix wildcard", "https://app-prod.example.net", "DELETE", nil, 2},
		{"suffix wildcard empty rest", "https://app-", "DELETE", nil, 2},
		{"allowed headers exact, any case", "http://www.example.com", "PUT", []string{"content-type"}, 0},
		{"allowed headers wildcard", "http://www.example.com", "PUT", []string{"x-amz-date", "x-amz-meta-foo", "content-type"}, 0},
		{"header case folded", "http://www.example.com", "PUT", []string{"X-Amz-Date"}, 0},
		{"one header not allowed", "http://www.example.com", "PUT", []string{"x-amz-date", "authorization"}, -1},
		{"header falls through to next rule", "http://www.example.com", "GET", []string{"authorization"}, -1},
		{"star headers", "https://app-x", "DELETE", []string{"authorization", "x-anything"}, 2},
		{"no headers allowed, none requested", "https://anything.test", "HEAD", []string{}, 1},
		{"no headers allowed, one requested", "https://anything.test", "HEAD", []string{"x-a"}, -1},
		{"blank requested header ignored", "https://anything.test", "HEAD", []string{" "}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Match(tc.origin, tc.method, tc.headers)
			switch {
			case tc.want < 0 && got != nil:
				t.Fatalf("matched %+v, want none", *got)
			case tc.want >= 0 && got != &c.Rules[tc.want]:
				t.Fatalf("matched %v, want rule %d", got, tc.want)
			}
		})
	}
	var nilCfg *CORSConfig
	if nilCfg.Match("http://a", "GET", nil) != nil {
		t.Fatal("nil config matched")
	}
}

func TestCORSWildcard(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "a", true}, {"a*", "b", false},
		{"*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "abxc", true}, {"a*c", "abcd", false},
		{"abc", "abc", true}, {"abc", "abd", false}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false},
		{"**", "x", true}, {"a*a", "a", false},
	}
	for _, c := range cases {
		if got := corsWildcard(c.pattern, c.s); got != c.want {
			t.Errorf("corsWildcard(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func TestCORSHeaders(t *testing.T) {
	c := corsSample()
	cases := []struct {
		name      string
		rule      int
		origin    string
		headers   []string
		preflight bool
		want      http.Header
	}{
		// localstack's test_s3_cors.snapshot.json (recorded against AWS):
		// the same headers on preflights and actual requests, bar
		// Access-Control-Allow-Headers.
		{"preflight echo origin", 0, "http://www.example.com", []string{"content-type", "x-amz-date"}, true, http.Header{
			"Access-Control-Allow-Origin":      {"http://www.example.com"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"GET, PUT"},
			"Access-Control-Allow-Headers":     {"content-type, x-amz-date"},
			"Access-Control-Expose-Headers":    {"ETag"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"preflight star origin no headers", 1, "https://anything.test", nil, true, http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"GET, HEAD"},
			"Vary":                         {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"actual with expose", 0, "https://exact.example.org", []string{"ignored"}, false, http.Header{
			"Access-Control-Allow-Origin":      {"https://exact.example.org"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"GET, PUT"},
			"Access-Control-Expose-Headers":    {"ETag"},
			"Access-Control-Max-Age":           {"600"},
			"Vary":                             {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"actual star origin", 1, "https://anything.test", nil, false, http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"GET, HEAD"},
			"Vary":                         {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"actual wildcard origin echoes", 2, "https://app-1", nil, false, http.Header{
			"Access-Control-Allow-Origin":      {"https://app-1"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"DELETE"},
			"Vary":                             {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Rules[tc.rule].Headers(tc.origin, tc.headers, tc.preflight)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Headers =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
	// A rule with "*" after an exact origin: the exact one echoes.
	r := CORSRule{AllowedOrigins: []string{"https://a.test", "*"}, AllowedMethods: []string{"GET"}}
	if h := r.Headers("https://a.test", nil, false); h.Get("Access-Control-Allow-Origin") != "https://a.test" || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("exact before star: %v", h)
	}
	if h := r.Headers("https://b.test", nil, false); h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("star: %v", h)
	}
	var nilRule *CORSRule
	if h := nilRule.Headers("x", nil, true); len(h) != 0 {
		t.Fatalf("nil rule: %v", h)
	}
}

func FuzzParseCORS(f *testing.F) {
	f.Add(string(corsSample().XML()))
	f.Add(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>+7</MaxAgeSeconds></CORSRule></CORSConfiguration>`)
	f.Add(`<CORSConfiguration xmlns="x"><CORSRule><ID> i&amp;d </ID><AllowedOrigin>a*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><AllowedHeader><![CDATA[X-*]]></AllowedHeader></CORSRule></CORSConfiguration>`)
	f.Add(`<CORSConfiguration>`)
	f.Fuzz(func(t *testing.T, doc string) {
		fuzzRoundTrip(t, doc, ParseCORS, (*CORSConfig).XML)
	})
}
