package access

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/s3err"
)

// doc wraps statements (a JSON array body or object) into a policy document.
func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":` + statements + `}`
}

func mustPolicy(t testing.TB, d string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(d), "b")
	if err != nil {
		t.Fatalf("ParsePolicy(%s): %v", d, err)
	}
	return p
}

// baseRequest: account acct1 GETs b/k over TLS from 192.0.2.10.
func baseRequest() Request {
	return Request{
		Action:   "s3:GetObject",
		Resource: "arn:aws:s3:::b/k",
		Who:      Requester{ID: "acct1"},
		SourceIP: net.ParseIP("192.0.2.10"),
		Secure:   true,
		Time:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Context:  map[string]string{},
	}
}

var anonymous = Requester{Anonymous: true}

func TestPolicyWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "a/b/c", true},
		{"a*", "a", true},
		{"a*c", "abc/def/c", true},
		{"a*c", "abcd", false},
		{"?", "a", true},
		{"?", "", false},
		{"?", "ab", false},
		{"?", "é", true}, // one character, two bytes
		{"a?c", "abc", true},
		{"a?c", "a/c", true},
		{"a?c", "abbc", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"**", "abc", true},
		{"*?", "", false},
		{"*?", "é", true},
		{"abc", "ABC", false},
		{strings.Repeat("*a", 20) + "b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestPolicyEvaluate(t *testing.T) {
	// allow builds a one-statement Allow policy.
	allow := func(principal, action, resource string) string {
		return doc(`[{"Effect":"Allow","Principal":` + principal + `,"Action":` + action + `,"Resource":` + resource + `}]`)
	}
	const objects = `"arn:aws:s3:::b/*"`
	tests := []struct {
		name   string
		policy string
		mod    func(*Request)
		want   Decision
	}{
		// Principals.
		{"star anonymous", allow(`"*"`, `"s3:GetObject"`, objects), func(r *Request) { r.Who = anonymous }, Allow},
		{"star account", allow(`"*"`, `"s3:GetObject"`, objects), nil, Allow},
		{"AWS star anonymous", allow(`{"AWS":"*"}`, `"s3:GetObject"`, objects), func(r *Request) { r.Who = anonymous }, Allow},
		{"AWS star array", allow(`{"AWS":["*"]}`, `"s3:GetObject"`, objects), func(r *Request) { r.Who = anonymous }, Allow},
		{"AWS id", allow(`{"AWS":"acct1"}`, `"s3:GetObject"`, objects), nil, Allow},
		{"AWS id other", allow(`{"AWS":"acct1"}`, `"s3:GetObject"`, objects), func(r *Request) { r.Who.ID = "acct2" }, NoOpinion},
		{"AWS id anonymous", allow(`{"AWS":"acct1"}`, `"s3:GetObject"`, objects), func(r *Request) { r.Who = anonymous }, NoOpinion},
		{"AWS id anonymous flag wins", allow(`{"AWS":"acct1"}`, `"s3:GetObject"`, objects), func(r *Request) { r.Who.Anonymous = true }, NoOpinion},
		{"AWS id list", allow(`{"AWS":["x","acct1"]}`, `"s3:GetObject"`, objects), nil, Allow},
		{"AWS root arn", allow(`{"AWS":"arn:aws:iam::acct1:root"}`, `"s3:GetObject"`, objects), nil, Allow},
		{"AWS user arn", allow(`{"AWS":"arn:aws:iam::acct1:user/bob"}`, `"s3:GetObject"`, objects), nil, Allow},
		{"AWS root arn other", allow(`{"AWS":"arn:aws:iam::acct2:root"}`, `"s3:GetObject"`, objects), nil, NoOpinion},
		{"CanonicalUser", allow(`{"CanonicalUser":"acct1"}`, `"s3:GetObject"`, objects), nil, Allow},
		{"CanonicalUser other", allow(`{"CanonicalUser":["x","y"]}`, `"s3:GetObject"`, objects), nil, NoOpinion},
		{"Service never matches", allow(`{"Service":"logging.s3.amazonaws.com"}`, `"s3:GetObject"`, objects), nil, NoOpinion},
		{"NotPrincipal other", doc(`[{"Effect":"Allow","NotPrincipal":{"AWS":"acct2"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`), nil, Allow},
		{"NotPrincipal self", doc(`[{"Effect":"Allow","NotPrincipal":{"AWS":"acct1"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`), nil, NoOpinion},
		{"NotPrincipal anonymous", doc(`[{"Effect":"Allow","NotPrincipal":{"AWS":"acct1"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`), func(r *Request) { r.Who = anonymous }, Allow},

		// Actions.
		{"action exact", allow(`"*"`, `"s3:GetObject"`, objects), nil, Allow},
		{"action other", allow(`"*"`, `"s3:GetObject"`, objects), func(r *Request) { r.Action = "s3:PutObject" }, NoOpinion},
		{"action case policy", allow(`"*"`, `"S3:getobject"`, objects), nil, Allow},
		{"action case request", allow(`"*"`, `"s3:GetObject"`, objects), func(r *Request) { r.Action = "S3:GETOBJECT" }, Allow},
		{"action star", allow(`"*"`, `"*"`, objects), func(r *Request) { r.Action = "s3:DeleteObject" }, Allow},
		{"action s3 star", allow(`"*"`, `"s3:*"`, objects), func(r *Request) { r.Action = "s3:DeleteObject" }, Allow},
		{"action prefix star", allow(`"*"`, `"s3:Get*"`, objects), func(r *Request) { r.Action = "s3:GetObjectAcl" }, Allow},
		{"action prefix star miss", allow(`"*"`, `"s3:Get*"`, objects), func(r *Request) { r.Action = "s3:PutObject" }, NoOpinion},
		{"action question", allow(`"*"`, `"s3:Get?bject"`, objects), nil, Allow},
		{"action question miss", allow(`"*"`, `"s3:Get?Object"`, objects), nil, NoOpinion},
		{"action list", allow(`"*"`, `["s3:PutObject","s3:GetObject"]`, objects), nil, Allow},
		{"NotAction other", doc(`[{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}]`), nil, Allow},
		{"NotAction listed", doc(`[{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}]`), func(r *Request) { r.Action = "s3:DeleteObject" }, NoOpinion},

		// Resources.
		{"resource star spans slash", allow(`"*"`, `"*"`, objects), func(r *Request) { r.Resource = "arn:aws:s3:::b/a/b/c" }, Allow},
		{"resource objects not bucket", allow(`"*"`, `"*"`, objects), func(r *Request) { r.Resource = "arn:aws:s3:::b" }, NoOpinion},
		{"resource bucket", allow(`"*"`, `"*"`, `"arn:aws:s3:::b"`), func(r *Request) { r.Resource = "arn:aws:s3:::b" }, Allow},
		{"resource bucket not objects", allow(`"*"`, `"*"`, `"arn:aws:s3:::b"`), nil, NoOpinion},
		{"resource prefix", allow(`"*"`, `"*"`, `"arn:aws:s3:::b/pub/*"`), func(r *Request) { r.Resource = "arn:aws:s3:::b/pub/x/y" }, Allow},
		{"resource prefix miss", allow(`"*"`, `"*"`, `"arn:aws:s3:::b/pub/*"`), func(r *Request) { r.Resource = "arn:aws:s3:::b/private/x" }, NoOpinion},
		{"resource question", allow(`"*"`, `"*"`, `"arn:aws:s3:::b/k?"`), func(r *Request) { r.Resource = "arn:aws:s3:::b/k1" }, Allow},
		{"resource question one char", allow(`"*"`, `"*"`, `"arn:aws:s3:::b/k?"`), func(r *Request) { r.Resource = "arn:aws:s3:::b/k12" }, NoOpinion},
		{"resource case-sensitive", allow(`"*"`, `"*"`, `"arn:aws:s3:::b/K"`), nil, NoOpinion},
		{"resource any", allow(`"*"`, `"*"`, `"*"`), nil, Allow},
		{"NotResource other", doc(`[{"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:s3:::b/private/*"}]`), nil, Allow},
		{"NotResource listed", doc(`[{"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:s3:::b/private/*"}]`), func(r *Request) { r.Resource = "arn:aws:s3:::b/private/x" }, NoOpinion},

		// Deny wins, whatever the order.
		{"deny wins", doc(`[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"},
			{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]`),
			func(r *Request) { r.Action = "s3:DeleteObject" }, Deny},
		{"deny first", doc(`[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"},
			{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}]`),
			func(r *Request) { r.Action = "s3:DeleteObject" }, Deny},
		{"deny not matching", doc(`[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"},
			{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}]`), nil, Allow},
		{"deny alone", doc(`[{"Effect":"Deny","Principal":{"AWS":"acct1"},"Action":"*","Resource":"*"}]`), nil, Deny},
		{"deny other principal", doc(`[{"Effect":"Deny","Principal":{"AWS":"acct2"},"Action":"*","Resource":"*"}]`), nil, NoOpinion},

		// Classic "deny plain HTTP".
		{"secure transport deny http", doc(`[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
			{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
			 "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]`),
			func(r *Request) { r.Secure = false }, Deny},
		{"secure transport https", doc(`[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
			{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
			 "Condition":{"Bool":{"aws:SecureTransport":false}}}]`), nil, Allow},

		// s3:prefix restricts ListBucket.
		{"prefix list own", doc(`{"Effect":"Allow","Principal":{"AWS":"acct1"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
			"Condition":{"StringLike":{"s3:prefix":["home/acct1/*","home/acct1"]}}}`),
			func(r *Request) {
				r.Action, r.Resource = "s3:ListBucket", "arn:aws:s3:::b"
				r.Context["s3:prefix"] = "home/acct1/docs/"
			}, Allow},
		{"prefix list other", doc(`{"Effect":"Allow","Principal":{"AWS":"acct1"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
			"Condition":{"StringLike":{"s3:prefix":["home/acct1/*","home/acct1"]}}}`),
			func(r *Request) {
				r.Action, r.Resource = "s3:ListBucket", "arn:aws:s3:::b"
				r.Context["s3:prefix"] = "home/acct2/"
			}, NoOpinion},
		{"prefix list none", doc(`{"Effect":"Allow","Principal":{"AWS":"acct1"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
			"Condition":{"StringLike":{"s3:prefix":["home/acct1/*","home/acct1"]}}}`),
			func(r *Request) { r.Action, r.Resource = "s3:ListBucket", "arn:aws:s3:::b" }, NoOpinion},

		// IP allow-list.
		{"ip allow-list in", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
			"Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}`), nil, Allow},
		{"ip allow-list v6 in", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
			"Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}`),
			func(r *Request) { r.SourceIP = net.ParseIP("2001:db8:1::5") }, Allow},
		{"ip allow-list out", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
			"Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}`),
			func(r *Request) { r.SourceIP = net.ParseIP("198.51.100.1") }, NoOpinion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			r := baseRequest()
			if tt.mod != nil {
				tt.mod(&r)
			}
			if got := p.Evaluate(r); got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicyNil(t *testing.T) {
	var p *Policy
	if got := p.Evaluate(baseRequest()); got != NoOpinion {
		t.Errorf("nil policy: %v", got)
	}
}

// TestPolicyConditions checks each operator through an Allow-everything
// statement guarded by the condition: Allow means the condition held.
func TestPolicyConditions(t *testing.T) {
	setCtx := func(k, v string) func(*Request) { return func(r *Request) { r.Context[k] = v } }
	prefix := func(v string) func(*Request) { return setCtx("s3:prefix", v) }
	ip := func(s string) func(*Request) { return func(r *Request) { r.SourceIP = net.ParseIP(s) } }
	maxKeys := func(v string) func(*Request) { return setCtx("s3:max-keys", v) }
	tests := []struct {
		cond string
		mod  func(*Request)
		want bool
	}{
		{`{}`, nil, true},

		// StringEquals: case-sensitive values, case-insensitive key names,
		// values ORed, keys ANDed, missing key false.
		{`{"StringEquals":{"s3:prefix":"home/"}}`, prefix("home/"), true},
		{`{"StringEquals":{"s3:prefix":"home/"}}`, prefix("HOME/"), false},
		{`{"StringEquals":{"s3:prefix":"home/"}}`, nil, false},
		{`{"StringEquals":{"S3:Prefix":"home/"}}`, prefix("home/"), true},
		{`{"stringequals":{"s3:prefix":"home/"}}`, prefix("home/"), true},
		{`{"StringEquals":{"s3:prefix":["a","home/"]}}`, prefix("home/"), true},
		{`{"StringEquals":{"s3:prefix":"home/","s3:delimiter":"/"}}`, func(r *Request) { r.Context["s3:prefix"], r.Context["s3:delimiter"] = "home/", "/" }, true},
		{`{"StringEquals":{"s3:prefix":"home/","s3:delimiter":"/"}}`, prefix("home/"), false},
		{`{"StringEquals":{"s3:prefix":"home/"},"StringLike":{"s3:delimiter":"*"}}`, prefix("home/"), false},
		{`{"StringEquals":{"s3:prefix":"a*"}}`, prefix("abc"), false}, // no wildcards in Equals

		// StringNotEquals: true when no value matches, and on a missing key.
		{`{"StringNotEquals":{"s3:prefix":"home/"}}`, prefix("other/"), true},
		{`{"StringNotEquals":{"s3:prefix":"home/"}}`, prefix("home/"), false},
		{`{"StringNotEquals":{"s3:prefix":["a","b"]}}`, prefix("b"), false},
		{`{"StringNotEquals":{"s3:prefix":"home/"}}`, nil, true},

		// IgnoreCase.
		{`{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, prefix("home/"), true},
		{`{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, prefix("work/"), false},
		{`{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, nil, false},
		{`{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, prefix("home/"), false},
		{`{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, prefix("work/"), true},
		{`{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/"}}`, nil, true},

		// StringLike / StringNotLike.
		{`{"StringLike":{"s3:prefix":"home/*"}}`, prefix("home/a/b"), true},
		{`{"StringLike":{"s3:prefix":"ho?e/"}}`, prefix("home/"), true},
		{`{"StringLike":{"s3:prefix":"h?e/"}}`, prefix("home/"), false},
		{`{"StringLike":{"s3:prefix":"home/*"}}`, prefix("Home/a"), false},
		{`{"StringLike":{"s3:prefix":"home/*"}}`, nil, false},
		{`{"StringNotLike":{"s3:prefix":"home/*"}}`, prefix("pub/x"), true},
		{`{"StringNotLike":{"s3:prefix":"home/*"}}`, prefix("home/a"), false},
		{`{"StringNotLike":{"s3:prefix":"home/*"}}`, nil, true},

		// IfExists and set prefixes on missing / present keys.
		{`{"StringEqualsIfExists":{"s3:prefix":"home/"}}`, nil, true},
		{`{"StringEqualsIfExists":{"s3:prefix":"home/"}}`, prefix("work/"), false},
		{`{"StringEqualsIfExists":{"s3:prefix":"home/"}}`, prefix("home/"), true},
		{`{"StringNotEqualsIfExists":{"s3:prefix":"home/"}}`, nil, true},
		{`{"StringNotEqualsIfExists":{"s3:prefix":"home/"}}`, prefix("home/"), false},
		{`{"StringLikeIfExists":{"s3:prefix":"home/*"}}`, nil, true},
		{`{"ForAnyValue:StringEquals":{"s3:prefix":"home/"}}`, nil, false},
		{`{"ForAnyValue:StringEquals":{"s3:prefix":"home/"}}`, prefix("home/"), true},
		{`{"ForAnyValue:StringNotEquals":{"s3:prefix":"home/"}}`, nil, false},
		{`{"ForAnyValue:StringNotEquals":{"s3:prefix":"home/"}}`, prefix("work/"), true},
		{`{"ForAllValues:StringEquals":{"s3:prefix":"home/"}}`, nil, true},
		{`{"ForAllValues:StringEquals":{"s3:prefix":"home/"}}`, prefix("work/"), false},
		{`{"ForAllValues:StringLikeIfExists":{"s3:prefix":"home/*"}}`, prefix("home/x"), true},
		{`{"foranyvalue:stringequals":{"s3:prefix":"home/"}}`, prefix("home/"), true},

		// IpAddress / NotIpAddress: CIDR and bare, IPv4 and IPv6.
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, ip("192.0.3.1"), false},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.10/32"}}`, ip("192.0.2.11"), false},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.99/24"}}`, nil, true}, // host bits ignored
		{`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ip("2001:db8::1"), false},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, ip("::ffff:192.0.2.10"), true},
		{`{"IpAddress":{"aws:SourceIp":"::ffff:192.0.2.0/120"}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ip("2001:db8:ffff::1"), true},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ip("2001:db9::1"), false},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}`, ip("2001:db8::1"), true},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, nil, false},
		{`{"IpAddress":{"aws:SourceIp":"::/0"}}`, ip("2001:db8::1"), true},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, ip(""), false}, // no source IP
		{`{"IpAddress":{"aws:sourceip":"192.0.2.0/24"}}`, nil, true},
		{`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, ip("198.51.100.1"), true},
		{`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, nil, false},
		{`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}`, ip("2001:db8::1"), false},
		{`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, ip(""), true},
		{`{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}`, ip(""), true},
		{`{"IpAddress":{"aws:Referer":"192.0.2.0/24"}}`, setCtx("aws:referer", "not-an-ip"), false},
		{`{"NotIpAddress":{"aws:Referer":"192.0.2.0/24"}}`, setCtx("aws:referer", "not-an-ip"), false},

		// Bool.
		{`{"Bool":{"aws:SecureTransport":"true"}}`, nil, true},
		{`{"Bool":{"aws:SecureTransport":true}}`, nil, true},
		{`{"Bool":{"aws:SecureTransport":"TRUE"}}`, nil, true},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{`{"Bool":{"aws:SecureTransport":false}}`, func(r *Request) { r.Secure = false }, true},
		{`{"Bool":{"aws:SecureTransport":["false","true"]}}`, nil, true},

		// Null: "true" holds when the key is missing.
		{`{"Null":{"s3:prefix":"true"}}`, nil, true},
		{`{"Null":{"s3:prefix":true}}`, prefix(""), false},
		{`{"Null":{"s3:prefix":"false"}}`, prefix("x"), true},
		{`{"Null":{"s3:prefix":"false"}}`, nil, false},
		{`{"Null":{"aws:SecureTransport":"true"}}`, nil, false},

		// Numeric.
		{`{"NumericEquals":{"s3:max-keys":100}}`, maxKeys("100"), true},
		{`{"NumericEquals":{"s3:max-keys":"100"}}`, maxKeys("100.0"), true},
		{`{"NumericEquals":{"s3:max-keys":[10,"100"]}}`, maxKeys("100"), true},
		{`{"NumericEquals":{"s3:max-keys":100}}`, maxKeys("99"), false},
		{`{"NumericEquals":{"s3:max-keys":100}}`, nil, false},
		{`{"NumericNotEquals":{"s3:max-keys":100}}`, maxKeys("99"), true},
		{`{"NumericNotEquals":{"s3:max-keys":100}}`, maxKeys("100"), false},
		{`{"NumericNotEquals":{"s3:max-keys":100}}`, nil, true},
		{`{"NumericLessThan":{"s3:max-keys":100}}`, maxKeys("99"), true},
		{`{"NumericLessThan":{"s3:max-keys":100}}`, maxKeys("100"), false},
		{`{"NumericLessThanEquals":{"s3:max-keys":100}}`, maxKeys("100"), true},
		{`{"NumericLessThanEquals":{"s3:max-keys":100}}`, maxKeys("101"), false},
		{`{"NumericGreaterThan":{"s3:max-keys":100}}`, maxKeys("101"), true},
		{`{"NumericGreaterThan":{"s3:max-keys":100}}`, maxKeys("100"), false},
		{`{"NumericGreaterThanEquals":{"s3:max-keys":100}}`, maxKeys("100"), true},
		{`{"NumericGreaterThanEquals":{"s3:max-keys":100}}`, maxKeys("-5"), false},
		{`{"NumericLessThan":{"s3:max-keys":100}}`, maxKeys("abc"), false},
		{`{"NumericNotEquals":{"s3:max-keys":100}}`, maxKeys("abc"), false},
		{`{"NumericLessThan":{"s3:max-keys":100}}`, nil, false},
		{`{"NumericLessThanIfExists":{"s3:max-keys":100}}`, nil, true},

		// The other keys.
		{`{"StringEquals":{"aws:PrincipalType":"Anonymous"}}`, func(r *Request) { r.Who = anonymous }, true},
		{`{"StringEquals":{"aws:PrincipalType":"Anonymous"}}`, nil, false},
		{`{"StringEquals":{"aws:PrincipalType":"Account"}}`, nil, true},
		{`{"StringLike":{"aws:Referer":"https://example.com/*"}}`, setCtx("aws:referer", "https://example.com/page"), true},
		{`{"StringLike":{"aws:Referer":"https://example.com/*"}}`, setCtx("aws:referer", "https://evil.com/"), false},
		{`{"StringLike":{"aws:UserAgent":"*aws-cli*"}}`, setCtx("aws:useragent", "aws-cli/2.15"), true},
		{`{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`, setCtx("s3:x-amz-acl", "bucket-owner-full-control"), true},
		{`{"StringEquals":{"s3:delimiter":"/"}}`, setCtx("s3:delimiter", "/"), true},
		{`{"StringEquals":{"aws:SourceIp":"192.0.2.10"}}`, nil, true},

		// Unknown keys are missing; Arn* operators behave as StringLike.
		{`{"StringEquals":{"aws:FooBar":"x"}}`, nil, false},
		{`{"StringNotEquals":{"aws:FooBar":"x"}}`, nil, true},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:*"}}`, nil, false},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:aws:*"}}`, nil, true},
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:*"}}`, setCtx("aws:sourcearn", "arn:aws:x"), false}, // not six parts
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b/*"}}`, setCtx("aws:sourcearn", "arn:aws:s3:::b/x:y"), true},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:*:::b"}}`, setCtx("aws:sourcearn", "arn:aws:s3:us:east:b"), false}, // * stays in its part
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::b?"}}`, setCtx("aws:sourcearn", "arn:aws:s3:::b1"), true},
		{`{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}`, setCtx("aws:sourcearn", "arn:aws:s3:::c"), true},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::acct1:root"}}`, nil, true},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`, func(r *Request) { r.Who = anonymous }, false},
		{`{"StringEquals":{"aws:userid":"acct1"}}`, setCtx("aws:userid", "acct1"), true},
		{`{"Null":{"aws:username":"true"}}`, nil, true},

		// Date* on aws:CurrentTime and aws:EpochTime (IAM: "Date condition
		// operators"; values ISO 8601 or epoch seconds). The request is at
		// 2026-03-01T12:00:00Z = 1772366400.
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, nil, true},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, nil, false},
		{`{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, nil, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-03-02"}}`, nil, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-03-01"}}`, nil, false},
		{`{"DateLessThanEquals":{"aws:CurrentTime":"2026-03-01T13:00:00+01:00"}}`, nil, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-03-01T13:00:00+01:00"}}`, nil, false},
		{`{"DateEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, nil, true},
		{`{"DateEquals":{"aws:CurrentTime":["2020-01-01","1772366400"]}}`, nil, true},
		{`{"DateNotEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, nil, false},
		{`{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}`, nil, true},
		{`{"DateLessThan":{"aws:EpochTime":"1772366401"}}`, nil, true},
		{`{"DateGreaterThan":{"aws:EpochTime":"2027-01-01T00:00:00Z"}}`, nil, false},
		{`{"NumericGreaterThanEquals":{"aws:EpochTime":1772366400}}`, nil, true},
		{`{"NumericLessThan":{"aws:epochtime":1772366400}}`, nil, false},
		{`{"DateLessThan":{"aws:CurrentTime":"2999-01-01"}}`, nil, true}, // past int64 nanoseconds
		{`{"DateGreaterThan":{"aws:CurrentTime":"1900-01-01T00:00:00.5Z"}}`, nil, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}`, func(r *Request) { r.Time = time.Time{} }, false},
		{`{"DateNotEquals":{"aws:CurrentTime":"2030-01-01"}}`, func(r *Request) { r.Time = time.Time{} }, true},
		{`{"DateLessThanIfExists":{"aws:CurrentTime":"2020-01-01"}}`, func(r *Request) { r.Time = time.Time{} }, true},
		{`{"DateLessThan":{"aws:Referer":"2030-01-01"}}`, setCtx("aws:referer", "not a date"), false},

		// Object tags: none here, so s3:ExistingObjectTag/<key> and
		// s3:RequestObjectTag/<key> are missing keys (IAM: a positive
		// operator is false, a negated one true; IfExists true; Null true).
		{`{"StringEquals":{"s3:ExistingObjectTag/classification":"public"}}`, nil, false},
		{`{"StringNotEquals":{"s3:ExistingObjectTag/classification":"secret"}}`, nil, true},
		{`{"StringEqualsIfExists":{"s3:ExistingObjectTag/classification":"public"}}`, nil, true},
		{`{"Null":{"s3:ExistingObjectTag/classification":"true"}}`, nil, true},
		{`{"Null":{"s3:RequestObjectTag/project":"false"}}`, nil, false},
		{`{"StringLike":{"s3:RequestObjectTag/project":"*"}}`, nil, false},
		{`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, nil, true},
		{`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}`, nil, false},

		// Header keys (s3:x-amz-grant-*, s3:x-amz-copy-source,
		// s3:x-amz-server-side-encryption) and the signature keys.
		{`{"StringEquals":{"s3:x-amz-grant-read":"id=bob"}}`, setCtx("s3:x-amz-grant-read", "id=bob"), true},
		{`{"StringLike":{"s3:x-amz-grant-full-control":"*uri=*"}}`, setCtx("s3:x-amz-grant-full-control", "id=bob"), false},
		{`{"StringEquals":{"s3:x-amz-copy-source":"src/k"}}`, setCtx("s3:x-amz-copy-source", "src/k"), true},
		{`{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, true},
		{`{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, nil, true},
		{`{"StringEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}`, setCtx("s3:signatureversion", "AWS4-HMAC-SHA256"), true},
		{`{"StringNotEquals":{"s3:authType":"REST-HEADER"}}`, setCtx("s3:authtype", "REST-QUERY-STRING"), true},
		{`{"StringEquals":{"s3:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}}`, setCtx("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD"), true},

		// Several operators are ANDed.
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:SecureTransport":"true"}}`, nil, true},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:SecureTransport":"true"}}`, func(r *Request) { r.Secure = false }, false},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			p := mustPolicy(t, doc(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":`+tt.cond+`}`))
			r := baseRequest()
			if tt.mod != nil {
				tt.mod(&r)
			}
			want := NoOpinion
			if tt.want {
				want = Allow
			}
			if got := p.Evaluate(r); got != want {
				t.Errorf("%s: Evaluate = %v, want %v", tt.cond, got, want)
			}
		})
	}
}

// cloudStackPublic is the policy CloudStack sets for a "public" bucket.
const cloudStackPublic = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": {"AWS": ["*"]},
      "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    }
  ]
}`

func TestPolicyCloudStackPublic(t *testing.T) {
	p := mustPolicy(t, cloudStackPublic)
	tests := []struct {
		action, resource string
		want             Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::b/dir/file.txt", Allow},
		{"s3:ListBucket", "arn:aws:s3:::b", Allow},
		{"s3:GetBucketLocation", "arn:aws:s3:::b", Allow},
		{"s3:PutObject", "arn:aws:s3:::b/dir/file.txt", NoOpinion},
		{"s3:DeleteObject", "arn:aws:s3:::b/dir/file.txt", NoOpinion},
		{"s3:PutBucketPolicy", "arn:aws:s3:::b", NoOpinion},
		{"s3:GetBucketAcl", "arn:aws:s3:::b", NoOpinion},
		{"s3:GetObject", "arn:aws:s3:::other/x", NoOpinion},
	}
	for _, who := range []Requester{anonymous, {ID: "someone"}} {
		for _, tt := range tests {
			r := Request{Action: tt.action, Resource: tt.resource, Who: who}
			if got := p.Evaluate(r); got != tt.want {
				t.Errorf("%+v %s %s = %v, want %v", who, tt.action, tt.resource, got, tt.want)
			}
		}
	}
	if !bytes.Equal(p.Raw(), []byte(cloudStackPublic)) {
		t.Errorf("Raw differs from the submitted document")
	}
}

func TestPolicyRaw(t *testing.T) {
	in := []byte(" \n" + doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`) + "\n")
	p, err := ParsePolicy(in, "b")
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(in)
	in[5] = 'X' // the policy keeps its own copy
	raw := p.Raw()
	if !bytes.Equal(raw, want) {
		t.Fatalf("Raw = %q, want %q", raw, want)
	}
	raw[5] = 'Y' // and hands out copies
	if !bytes.Equal(p.Raw(), want) {
		t.Fatal("Raw aliased")
	}
}

func TestPolicyParseValid(t *testing.T) {
	docs := []string{
		cloudStackPublic,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
		`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`,
		doc(`[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"x","CanonicalUser":"y","Service":["s3.amazonaws.com"],"Federated":"cognito"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/"},
			  {"Sid":"b","Effect":"Allow","NotPrincipal":{"CanonicalUser":"*"},"NotAction":"s3:Delete*","NotResource":["arn:aws:s3:::b/p/*"]}]`),
		doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NumericLessThan":{"s3:max-keys":[1,"2",3.5e2]},"Bool":{"aws:SecureTransport":[true]},"StringEquals":{"s3:prefix":[]}}}`),
		doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:prefix":42,"s3:delimiter":true}}}`),
	}
	for _, d := range docs {
		if _, err := ParsePolicy([]byte(d), "b"); err != nil {
			t.Errorf("ParsePolicy(%s): %v", d, err)
		}
	}
}

func TestPolicyMalformed(t *testing.T) {
	st := func(fields string) string { return doc(`[{` + fields + `}]`) }
	const par = `"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
	cond := func(c string) string { return st(`"Effect":"Allow",` + par + `,"Condition":` + c) }
	const (
		notJSON   = "Policies must be valid JSON and the first byte must be '{'"
		principal = "Invalid principal in policy"
		action    = "Policy has invalid action"
		resource  = "Policy has invalid resource"
	)
	tests := []struct{ doc, msg string }{
		// JSON and top level.
		{``, notJSON},
		{`   `, notJSON},
		{`not json`, notJSON},
		{`[]`, notJSON},
		{`"{}"`, notJSON},
		{`{"Statement":`, notJSON},
		{`{"Statement":[]} {}`, notJSON},
		{`{"Statement":[],}`, notJSON},
		{`{}`, "Missing required field Statement"},
		{`{"Statement":null}`, "Missing required field Statement"},
		{`{"Statement":[]}`, "Statement is empty"},
		{`{"Statement":"x"}`, "Statement must be an object"},
		{`{"Statement":[1]}`, "Statement must be an object"},
		{`{"Statement":[null]}`, "Statement must be an object"},
		{`{"Version":"2020-01-01","Statement":[{"Effect":"Allow",` + par + `}]}`, "valid version"},
		{`{"Version":20121017,"Statement":[{"Effect":"Allow",` + par + `}]}`, "valid version"},
		{`{"Id":1,"Statement":[{"Effect":"Allow",` + par + `}]}`, "Id"},
		{`{"Foo":1,"Statement":[{"Effect":"Allow",` + par + `}]}`, "Unknown field Foo"},
		{`{"statement":[{"Effect":"Allow",` + par + `}]}`, "Unknown field statement"},
		{st(`"Effect":"Allow",` + par + `,"Principals":"*"`), "Unknown field Principals"},
		{doc(`[{"Sid":"x","Effect":"Allow",` + par + `},{"Sid":"x","Effect":"Allow",` + par + `}]`), "must be unique"},
		{st(`"Sid":1,"Effect":"Allow",` + par), "Sid"},

		// Effect.
		{st(par), "Missing required field Effect"},
		{st(`"Effect":"allow",` + par), "Invalid effect: allow"},
		{st(`"Effect":"Permit",` + par), "Invalid effect: Permit"},
		{st(`"Effect":1,` + par), "Invalid effect"},

		// Principal.
		{st(`"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), "Missing required field Principal"},
		{st(`"Effect":"Allow","Principal":"acct1","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":null,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":["*"],"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"AWS":""},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"AWS":1},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"Foo":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam:::root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::b"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":{"CanonicalUser":""},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), principal},
		{st(`"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), "both Principal and NotPrincipal"},

		// Action.
		{st(`"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*"`), "Missing required field Action"},
		{st(`"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":"iam:PassRole","Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:","Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":"","Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":1,"Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":["s3:GetObject",1],"Resource":"arn:aws:s3:::b/*"`), action},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:*","NotAction":"s3:x","Resource":"arn:aws:s3:::b/*"`), "both Action and NotAction"},

		// Resource.
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject"`), "Missing required field Resource"},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::other/*"]`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bb/x"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b*"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":""`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":[]`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":{"a":1}`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::other"`), resource},
		{st(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","NotResource":"*"`), "both Resource and NotResource"},

		// Condition.
		{cond(`"x"`), "invalid condition"},
		{cond(`null`), "invalid condition"},
		{cond(`{"StringEqualz":{"s3:prefix":"a"}}`), "Invalid Condition type : StringEqualz"},
		{cond(`{"DateEquals":{"aws:CurrentTime":"yesterday"}}`), "Invalid date value"},
		{cond(`{"DateLessThan":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}}`), "Invalid date value"},
		{cond(`{"DateBefore":{"aws:CurrentTime":"2026-01-01"}}`), "Invalid Condition type : DateBefore"},
		{cond(`{"ForSomeValues:StringEquals":{"s3:prefix":"a"}}`), "Invalid Condition type"},
		{cond(`{"NullIfExists":{"s3:prefix":"true"}}`), "Invalid Condition type : NullIfExists"},
		{cond(`{"StringEquals":"x"}`), "invalid condition"},
		{cond(`{"StringEquals":{"":"x"}}`), "invalid condition key"},
		{cond(`{"StringEquals":{"s3:prefix":{"a":1}}}`), "Invalid Condition value"},
		{cond(`{"StringEquals":{"s3:prefix":null}}`), "Invalid Condition value"},
		{cond(`{"StringEquals":{"s3:prefix":["a",null]}}`), "Invalid Condition value"},
		{cond(`{"StringEquals":{"s3:prefix":[["a"]]}}`), "Invalid Condition value"},
		{cond(`{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`), "Invalid IP address"},
		{cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), "Invalid IP address"},
		{cond(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","fe80::1%eth0"]}}`), "Invalid IP address"},
		{cond(`{"NumericEquals":{"s3:max-keys":"abc"}}`), "Invalid numeric value"},
		{cond(`{"NumericLessThan":{"s3:max-keys":"NaN"}}`), "Invalid numeric value"},
		{cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), "Invalid boolean value"},
		{cond(`{"Null":{"s3:prefix":"maybe"}}`), "Invalid boolean value"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.doc), "b")
			if err == nil {
				t.Fatalf("ParsePolicy(%s) = %v, want error %q", tt.doc, p, tt.msg)
			}
			e, ok := IsError(err)
			if !ok || e.Code != s3err.MalformedPolicy {
				t.Fatalf("ParsePolicy(%s): error %v, want MalformedPolicy", tt.doc, err)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("ParsePolicy(%s): message %q, want it to contain %q", tt.doc, e.Message, tt.msg)
			}
		})
	}
}

func FuzzParsePolicy(f *testing.F) {
	seeds := []string{
		cloudStackPublic,
		`{}`,
		`{"Statement":[]}`,
		doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::a:root","b"]},"NotAction":"s3:?et*","NotResource":"arn:aws:s3:::b/*a?"}`),
		doc(`[{"Effect":"Allow","Principal":{"CanonicalUser":"x"},"Action":"*","Resource":"*","Condition":{
			"ForAnyValue:StringLikeIfExists":{"s3:prefix":["a*","?"]},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","::ffff:1.2.3.4"]},
			"NumericGreaterThan":{"s3:max-keys":1e3},"Null":{"aws:Referer":true},"Bool":{"aws:SecureTransport":"false"}}}]`),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	reqs := []Request{
		baseRequest(),
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Who: anonymous},
		{Action: "S3:PUTOBJECT", Resource: "arn:aws:s3:::b/a/é?*", SourceIP: net.ParseIP("2001:db8::1"),
			Context: map[string]string{"s3:prefix": "a", "s3:max-keys": "x", "aws:referer": "1.2.3.4", "aws:useragent": ""}},
		{SourceIP: net.IP{1, 2, 3}}, // malformed IP
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data, "b")
		if err != nil {
			if e, ok := IsError(err); !ok || e.Code != s3err.MalformedPolicy {
				t.Fatalf("error %v is not MalformedPolicy", err)
			}
			return
		}
		if !bytes.Equal(p.Raw(), data) {
			t.Fatal("Raw differs from input")
		}
		for _, r := range reqs {
			if d := p.Evaluate(r); d != NoOpinion && d != Allow && d != Deny {
				t.Fatalf("Evaluate = %v", d)
			}
		}
	})
}
