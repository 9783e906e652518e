package access

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	aclOwner     = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	aclOther     = "be8b8e3e6d8fe4a3e1d6a1e2f5c5b5c5d5e5f5a5b5c5d5e5f5a5b5c5d5e5f5a5"
	aclLog       = logDeliveryURI
	aclOwnerName = "owner"
)

func aclWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	e, ok := IsError(err)
	if !ok {
		t.Fatalf("error = %v, want *Error with code %s", err, code)
	}
	if string(e.Code) != code {
		t.Fatalf("code = %s (%s), want %s", e.Code, e.Message, code)
	}
}

func aclUser(id, name string, p Permission) Grant { return userGrant(id, name, p) }

// aclAccounts knows the owner, the other account and the short IDs the
// cases use (without display names); every other ID is unknown.
func aclAccounts(id string) (string, bool) {
	switch id {
	case aclOwner:
		return aclOwnerName, true
	case aclOther:
		return "other", true
	case "abc", "a", "b", "x", "y", "u", "o":
		return "", true
	}
	return "", false
}

// accountsOf knows exactly the accounts acl names, with its names.
func accountsOf(acl ACL) Accounts {
	names := map[string]string{acl.OwnerID: acl.OwnerName}
	for _, g := range acl.Grants {
		if !g.Grantee.isGroup() {
			names[g.Grantee.ID] = g.Grantee.DisplayName
		}
	}
	return func(id string) (string, bool) { n, ok := names[id]; return n, ok }
}
func aclGroup(uri string, p Permission) Grant { return groupGrant(uri, p) }

func TestCannedExpansion(t *testing.T) {
	ownerFC := aclUser(aclOwner, aclOwnerName, PermFullControl)
	type tc struct {
		name        string
		bucketOwner string // "" = bucket (same as owner)
		want        []Grant
	}
	var cases []tc
	for _, sameOwner := range []bool{true, false} {
		bo, boName := aclOwner, aclOwnerName
		if !sameOwner {
			bo, boName = aclOther, "other"
		}
		extra := func(gs ...Grant) []Grant { return append([]Grant{ownerFC}, gs...) }
		cases = append(cases,
			tc{"private", bo, extra()},
			tc{"public-read", bo, extra(aclGroup(AllUsersURI, PermRead))},
			tc{"public-read-write", bo, extra(aclGroup(AllUsersURI, PermRead), aclGroup(AllUsersURI, PermWrite))},
			tc{"authenticated-read", bo, extra(aclGroup(AuthenticatedUsersURI, PermRead))},
			tc{"aws-exec-read", bo, extra()},
			tc{"log-delivery-write", bo, extra(aclGroup(aclLog, PermWrite), aclGroup(aclLog, PermReadACP))},
		)
		if sameOwner {
			cases = append(cases,
				tc{"bucket-owner-read", bo, extra()},
				tc{"bucket-owner-full-control", bo, extra()},
			)
		} else {
			cases = append(cases,
				tc{"bucket-owner-read", bo, extra(aclUser(bo, boName, PermRead))},
				tc{"bucket-owner-full-control", bo, extra(aclUser(bo, boName, PermFullControl))},
			)
		}
	}
	for _, c := range cases {
		boName := aclOwnerName
		kind := "bucket"
		if c.bucketOwner != aclOwner {
			boName = "other"
			kind = "object-other-bucket-owner"
		}
		t.Run(kind+"/"+c.name, func(t *testing.T) {
			acl, err := Canned(c.name, aclOwner, aclOwnerName, c.bucketOwner, boName)
			aclWantCode(t, err, "")
			want := ACL{OwnerID: aclOwner, OwnerName: aclOwnerName, Grants: c.want}
			if !reflect.DeepEqual(acl, want) {
				t.Fatalf("Canned(%q) =\n%+v\nwant\n%+v", c.name, acl, want)
			}
		})
	}
}

func TestCannedEmptyBucketOwnerIsPrivate(t *testing.T) {
	for _, name := range []string{"bucket-owner-read", "bucket-owner-full-control"} {
		acl, err := Canned(name, aclOwner, aclOwnerName, "", "")
		aclWantCode(t, err, "")
		if len(acl.Grants) != 1 {
			t.Fatalf("%s with no bucket owner: %+v", name, acl.Grants)
		}
	}
}

func TestCannedUnknown(t *testing.T) {
	for _, name := range []string{"", "Private", "PUBLIC-READ", "public", "public-read ,private", "bucket-owner"} {
		_, err := Canned(name, aclOwner, aclOwnerName, aclOwner, aclOwnerName)
		aclWantCode(t, err, "InvalidArgument")
	}
	// Surrounding blanks are tolerated.
	_, err := Canned(" public-read ", aclOwner, aclOwnerName, aclOwner, aclOwnerName)
	aclWantCode(t, err, "")
}

func aclHdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestGrantHeadersFromHeaders(t *testing.T) {
	cases := []struct {
		name string
		h    http.Header
		ok   bool
		want []Grant
		code string
	}{
		{name: "none", h: aclHdr(), ok: false},
		{name: "unrelated headers", h: aclHdr("Content-Type", "text/plain"), ok: false},
		{name: "blank canned counts as absent", h: aclHdr("X-Amz-Acl", "  "), ok: false},
		{name: "canned", h: aclHdr("X-Amz-Acl", "public-read"), ok: true,
			want: []Grant{aclUser(aclOwner, aclOwnerName, PermFullControl), aclGroup(AllUsersURI, PermRead)}},
		{name: "canned bucket-owner-full-control", h: aclHdr("x-amz-acl", "bucket-owner-full-control"), ok: true,
			want: []Grant{aclUser(aclOwner, aclOwnerName, PermFullControl), aclUser(aclOther, "other", PermFullControl)}},
		{name: "canned unknown", h: aclHdr("X-Amz-Acl", "nope"), code: "InvalidArgument"},
		{name: "canned twice", h: aclHdr("X-Amz-Acl", "private", "X-Amz-Acl", "public-read"), code: "InvalidArgument"},
		{name: "read by id quoted", h: aclHdr("X-Amz-Grant-Read", `id="abc"`), ok: true,
			want: []Grant{aclUser("abc", "", PermRead)}},
		{name: "read by id unquoted", h: aclHdr("X-Amz-Grant-Read", `id=abc`), ok: true,
			want: []Grant{aclUser("abc", "", PermRead)}},
		{name: "key case and blanks", h: aclHdr("X-Amz-Grant-Read", `  ID = "abc" ,  Uri="`+AllUsersURI+`"  `), ok: true,
			want: []Grant{aclUser("abc", "", PermRead), aclGroup(AllUsersURI, PermRead)}},
		{name: "known accounts get their display names", h: aclHdr("X-Amz-Grant-Full-Control", `id="`+aclOwner+`"`, "X-Amz-Grant-Read", "id="+aclOther), ok: true,
			want: []Grant{aclUser(aclOther, "other", PermRead), aclUser(aclOwner, aclOwnerName, PermFullControl)}},
		{name: "all five headers", h: aclHdr(
			"X-Amz-Grant-Read", "uri="+AllUsersURI,
			"X-Amz-Grant-Write", "uri="+aclLog,
			"X-Amz-Grant-Read-Acp", `uri="`+AuthenticatedUsersURI+`"`,
			"X-Amz-Grant-Write-Acp", `id="x"`,
			"X-Amz-Grant-Full-Control", `id="y"`,
		), ok: true, want: []Grant{
			aclGroup(AllUsersURI, PermRead),
			aclGroup(aclLog, PermWrite),
			aclGroup(AuthenticatedUsersURI, PermReadACP),
			aclUser("x", "", PermWriteACP),
			aclUser("y", "", PermFullControl),
		}},
		{name: "repeated header lines", h: aclHdr("X-Amz-Grant-Read", `id="a"`, "X-Amz-Grant-Read", `id="b"`), ok: true,
			want: []Grant{aclUser("a", "", PermRead), aclUser("b", "", PermRead)}},
		{name: "no implicit owner grant", h: aclHdr("X-Amz-Grant-Read", "uri="+AllUsersURI), ok: true,
			want: []Grant{aclGroup(AllUsersURI, PermRead)}},

		{name: "canned and grant", h: aclHdr("X-Amz-Acl", "private", "X-Amz-Grant-Read", `id="a"`), code: "InvalidRequest"},
		{name: "canned and blank grant is fine", h: aclHdr("X-Amz-Acl", "private", "X-Amz-Grant-Read", ""), ok: true,
			want: []Grant{aclUser(aclOwner, aclOwnerName, PermFullControl)}},
		{name: "email", h: aclHdr("X-Amz-Grant-Read", `emailAddress="a@example.com"`), code: "UnresolvableGrantByEmailAddress"},
		{name: "email lower-case key", h: aclHdr("X-Amz-Grant-Read", `emailaddress=a@example.com`), code: "UnresolvableGrantByEmailAddress"},
		{name: "unknown group", h: aclHdr("X-Amz-Grant-Read", `uri="http://acs.amazonaws.com/groups/global/Nobody"`), code: "InvalidArgument"},
		{name: "unknown key", h: aclHdr("X-Amz-Grant-Read", `name="a"`), code: "InvalidArgument"},
		{name: "no equals", h: aclHdr("X-Amz-Grant-Read", `abc`), code: "InvalidArgument"},
		{name: "empty id", h: aclHdr("X-Amz-Grant-Read", `id=""`), code: "InvalidArgument"},
		{name: "unterminated quote", h: aclHdr("X-Amz-Grant-Read", `id="abc`), code: "InvalidArgument"},
		{name: "junk after quote", h: aclHdr("X-Amz-Grant-Read", `id="abc"def`), code: "InvalidArgument"},
		{name: "stray quote", h: aclHdr("X-Amz-Grant-Read", `id=ab"c`), code: "InvalidArgument"},
		{name: "trailing comma", h: aclHdr("X-Amz-Grant-Read", `id="abc",`), code: "InvalidArgument"},
		{name: "empty item", h: aclHdr("X-Amz-Grant-Read", `id="abc",,id="d"`), code: "InvalidArgument"},
		{name: "unknown account", h: aclHdr("X-Amz-Grant-Read", `id="abc", id="nobody"`), code: "InvalidArgument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acl, ok, err := FromHeaders(c.h, aclOwner, aclOwnerName, aclOther, "other", aclAccounts)
			aclWantCode(t, err, c.code)
			if c.code != "" {
				return
			}
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			if acl.OwnerID != aclOwner || acl.OwnerName != aclOwnerName {
				t.Fatalf("owner = %q/%q", acl.OwnerID, acl.OwnerName)
			}
			if !reflect.DeepEqual(acl.Grants, c.want) {
				t.Fatalf("grants =\n%+v\nwant\n%+v", acl.Grants, c.want)
			}
		})
	}
}

func TestGrantHeadersTooMany(t *testing.T) {
	var parts []string
	for i := 0; i < 101; i++ {
		parts = append(parts, `id="u`+string(rune('a'+i%26))+`"`)
	}
	_, _, err := FromHeaders(aclHdr("X-Amz-Grant-Read", strings.Join(parts, ",")), aclOwner, aclOwnerName, aclOwner, aclOwnerName, nil)
	aclWantCode(t, err, "InvalidArgument")
	_, _, err = FromHeaders(aclHdr("X-Amz-Grant-Read", strings.Join(parts[:100], ",")), aclOwner, aclOwnerName, aclOwner, aclOwnerName, nil)
	aclWantCode(t, err, "")
}

func aclSample() ACL {
	return ACL{OwnerID: aclOwner, OwnerName: "Owner <&> \"name\"", Grants: []Grant{
		aclUser(aclOwner, "Owner <&> \"name\"", PermFullControl),
		aclUser(aclOther, "", PermWrite),
		aclGroup(AllUsersURI, PermRead),
		aclGroup(AuthenticatedUsersURI, PermReadACP),
		aclGroup(aclLog, PermWrite),
		aclUser("x\ny\tz", "line\nbreak", PermWriteACP),
	}}
}

func TestACLXMLShape(t *testing.T) {
	acl := ACL{OwnerID: "o", OwnerName: "n", Grants: []Grant{aclUser("o", "n", PermFullControl), aclGroup(AllUsersURI, PermRead)}}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID><DisplayName>n</DisplayName></Owner>` +
		`<AccessControlList>` +
		`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o</ID><DisplayName>n</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
		`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
		`</AccessControlList></AccessControlPolicy>`
	if got := string(acl.XML()); got != want {
		t.Fatalf("XML() =\n%s\nwant\n%s", got, want)
	}
	// Well-formed for a generic decoder, namespaced as S3 answers.
	var probe struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal(acl.XML(), &probe); err != nil || probe.XMLName.Space != s3Namespace {
		t.Fatalf("probe: %v %+v", err, probe.XMLName)
	}
	// Empty display names are left out; an empty ACL still has its list.
	got := string(ACL{OwnerID: "o", Grants: []Grant{aclUser("o", "", PermRead)}}.XML())
	if strings.Contains(got, "DisplayName") {
		t.Fatalf("empty DisplayName written: %s", got)
	}
	got = string(ACL{}.XML())
	if !strings.HasSuffix(got, `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList></AccessControlList></AccessControlPolicy>`) {
		t.Fatalf("zero ACL XML: %s", got)
	}
}

func TestACLXMLRoundTrip(t *testing.T) {
	for _, acl := range []ACL{
		aclSample(),
		{OwnerID: "o", Grants: []Grant{}},
		aclCanned(t, "public-read-write"),
		aclCanned(t, "authenticated-read"),
	} {
		got, err := ParseACL(bytes.NewReader(acl.XML()), accountsOf(acl))
		aclWantCode(t, err, "")
		if !reflect.DeepEqual(got, acl) {
			t.Fatalf("round trip:\n%+v\nwant\n%+v\nXML %s", got, acl, acl.XML())
		}
	}
}

func aclCanned(t *testing.T, name string) ACL {
	t.Helper()
	acl, err := Canned(name, aclOwner, aclOwnerName, aclOwner, aclOwnerName)
	if err != nil {
		t.Fatal(err)
	}
	return acl
}

// Bodies as clients send them for put-bucket-acl / put-object-acl
// --access-control-policy.
func TestParseACLClientDocuments(t *testing.T) {
	full := []Grant{
		aclUser(aclOwner, "owner", PermFullControl),
		aclGroup(AllUsersURI, PermRead),
	}
	cases := []struct {
		name         string
		doc          string
		owner        string
		aclOwnerName string
		want         []Grant
	}{
		{
			// botocore (aws-cli v1/v2, boto3): Grants first, then Owner;
			// xsi declared on Grantee; DisplayName before ID when given.
			name: "botocore",
			doc: `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>owner</DisplayName><ID>` + aclOwner + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList><Owner><DisplayName>owner</DisplayName><ID>` + aclOwner + `</ID></Owner></AccessControlPolicy>`,
			owner: aclOwner, aclOwnerName: "owner", want: full,
		},
		{
			// aws-sdk-go-v2.
			name: "aws-sdk-go-v2",
			doc: `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>owner</DisplayName><ID>` + aclOwner + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList><Owner><ID>` + aclOwner + `</ID></Owner></AccessControlPolicy>`,
			owner: aclOwner, want: full,
		},
		{
			// aws-sdk-go v1 binds the prefix wrongly: xsi stays unbound.
			name: "aws-sdk-go v1 unbound prefix",
			doc: `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>` +
				`<Grant><Grantee xmlns:_xmlns="xmlns" _xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><DisplayName>owner</DisplayName><ID>` + aclOwner + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee xmlns:_xmlns="xmlns" _xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList><Owner><DisplayName>owner</DisplayName><ID>` + aclOwner + `</ID></Owner></AccessControlPolicy>`,
			owner: aclOwner, aclOwnerName: "owner", want: full,
		},
		{
			// s3cmd: no namespace, Owner first, XML declaration.
			name: "s3cmd",
			doc: `<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy><Owner><ID>` + aclOwner + `</ID><DisplayName>owner</DisplayName></Owner><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + aclOwner + `</ID><DisplayName>owner</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList></AccessControlPolicy>`,
			owner: aclOwner, aclOwnerName: "owner", want: full,
		},
		{
			// Hand-written, pretty-printed, other prefix for the XSI
			// namespace declared on the root.
			name: "pretty other prefix",
			doc: `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <Owner>
    <ID> ` + aclOwner + ` </ID>
  </Owner>
  <AccessControlList>
    <Grant>
      <Grantee i:type="CanonicalUser">
        <ID>` + aclOwner + `</ID>
        <DisplayName>owner</DisplayName>
      </Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee i:type="Group">
        <URI>
          http://acs.amazonaws.com/groups/global/AllUsers
        </URI>
      </Grantee>
      <Permission> READ </Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>`,
			owner: aclOwner, want: full,
		},
		{
			// No xsi:type: the type comes from the child element.
			name: "type by child",
			doc: `<AccessControlPolicy><Owner><ID>` + aclOwner + `</ID></Owner><AccessControlList>` +
				`<Grant><Grantee><ID>` + aclOwner + `</ID><DisplayName>owner</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList></AccessControlPolicy>`,
			owner: aclOwner, want: full,
		},
		{
			name: "all groups and permissions",
			doc: `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>` +
				`<Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee><Permission>WRITE</Permission></Grant>` +
				`<Grant><Grantee><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>READ_ACP</Permission></Grant>` +
				`<Grant><Grantee><ID>u</ID></Grantee><Permission>WRITE_ACP</Permission></Grant>` +
				`</AccessControlList></AccessControlPolicy>`,
			owner: "o",
			want:  []Grant{aclGroup(AuthenticatedUsersURI, PermWrite), aclGroup(aclLog, PermReadACP), aclUser("u", "", PermWriteACP)},
		},
		{
			name:  "empty list removes all grants",
			doc:   `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList/></AccessControlPolicy>`,
			owner: "o", want: []Grant{},
		},
		{
			name:  "no list",
			doc:   `<AccessControlPolicy><Owner><ID>o</ID></Owner></AccessControlPolicy>`,
			owner: "o", want: []Grant{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acl, err := ParseACL(strings.NewReader(c.doc), aclAccounts)
			aclWantCode(t, err, "")
			want := ACL{OwnerID: c.owner, OwnerName: c.aclOwnerName, Grants: c.want}
			if c.owner == aclOwner {
				want.OwnerName = aclOwnerName // the account's name, whatever the document says
			}
			if !reflect.DeepEqual(acl, want) {
				t.Fatalf("ParseACL =\n%+v\nwant\n%+v", acl, want)
			}
		})
	}
}

func TestParseACLErrors(t *testing.T) {
	grant := func(grantee, perm string) string {
		return `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant>` + grantee + perm + `</Grant></AccessControlList></AccessControlPolicy>`
	}
	read := `<Permission>READ</Permission>`
	xsi := `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`
	var many strings.Builder
	many.WriteString(`<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>`)
	for i := 0; i < 101; i++ {
		many.WriteString(`<Grant><Grantee><ID>u</ID></Grantee><Permission>READ</Permission></Grant>`)
	}
	many.WriteString(`</AccessControlList></AccessControlPolicy>`)

	cases := []struct{ name, doc, code string }{
		{"empty", ``, "MalformedACLError"},
		{"no owner", `<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>u</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`, "MalformedACLError"},
		{"owner without id", `<AccessControlPolicy><Owner><DisplayName>o</DisplayName></Owner><AccessControlList/></AccessControlPolicy>`, "MalformedACLError"},
		{"unknown owner", `<AccessControlPolicy><Owner><ID>nobody</ID></Owner><AccessControlList/></AccessControlPolicy>`, "InvalidArgument"},
		{"unknown grantee", grant(`<Grantee `+xsi+` xsi:type="CanonicalUser"><ID>nobody</ID></Grantee>`, read), "InvalidArgument"},
		{"not xml", `{"Grants":[]}`, "MalformedACLError"},
		{"truncated", `<AccessControlPolicy><AccessControlList>`, "MalformedACLError"},
		{"wrong root", `<CORSConfiguration></CORSConfiguration>`, "MalformedACLError"},
		{"unknown permission", grant(`<Grantee><ID>u</ID></Grantee>`, `<Permission>ALL</Permission>`), "MalformedACLError"},
		{"lower-case permission", grant(`<Grantee><ID>u</ID></Grantee>`, `<Permission>read</Permission>`), "MalformedACLError"},
		{"missing permission", grant(`<Grantee><ID>u</ID></Grantee>`, ``), "MalformedACLError"},
		{"missing grantee", grant(``, read), "MalformedACLError"},
		{"empty grantee", grant(`<Grantee></Grantee>`, read), "MalformedACLError"},
		{"unknown type", grant(`<Grantee `+xsi+` xsi:type="Robot"><ID>u</ID></Grantee>`, read), "MalformedACLError"},
		{"user without id", grant(`<Grantee `+xsi+` xsi:type="CanonicalUser"><URI>`+AllUsersURI+`</URI></Grantee>`, read), "MalformedACLError"},
		{"user with empty id", grant(`<Grantee `+xsi+` xsi:type="CanonicalUser"><ID> </ID></Grantee>`, read), "MalformedACLError"},
		{"group without uri", grant(`<Grantee `+xsi+` xsi:type="Group"><ID>u</ID></Grantee>`, read), "MalformedACLError"},
		{"unknown group", grant(`<Grantee `+xsi+` xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/Everyone</URI></Grantee>`, read), "InvalidArgument"},
		{"email typed", grant(`<Grantee `+xsi+` xsi:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress></Grantee>`, read), "UnresolvableGrantByEmailAddress"},
		{"email by child", grant(`<Grantee><EmailAddress>a@example.com</EmailAddress></Grantee>`, read), "UnresolvableGrantByEmailAddress"},
		{"too many grants", many.String(), "MalformedACLError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseACL(strings.NewReader(c.doc), aclAccounts)
			aclWantCode(t, err, c.code)
		})
	}
	// Exactly 100 grants is fine.
	doc := strings.Replace(many.String(), `<Grant><Grantee><ID>u</ID></Grantee><Permission>READ</Permission></Grant>`, "", 1)
	acl, err := ParseACL(strings.NewReader(doc), aclAccounts)
	aclWantCode(t, err, "")
	if len(acl.Grants) != 100 {
		t.Fatalf("grants = %d", len(acl.Grants))
	}
}

func TestACLAllowsMatrix(t *testing.T) {
	anon := Requester{Anonymous: true}
	owner := Requester{ID: aclOwner}
	other := Requester{ID: aclOther}
	third := Requester{ID: "third"}
	noID := Requester{} // not anonymous but without ID: trusted with nothing
	perms := []Permission{PermRead, PermWrite, PermReadACP, PermWriteACP, PermFullControl}

	type who struct {
		name string
		r    Requester
	}
	whos := []who{{"anon", anon}, {"owner", owner}, {"other", other}, {"third", third}, {"noID", noID}}
	cases := []struct {
		name  string
		acl   ACL
		allow map[string][]Permission // requester name -> permissions allowed
	}{
		{"empty", ACL{OwnerID: aclOwner}, nil},
		{"private: owner is not implied but granted", aclCanned(t, "private"),
			map[string][]Permission{"owner": perms}},
		{"public-read", aclCanned(t, "public-read"), map[string][]Permission{
			"owner": perms, "anon": {PermRead}, "other": {PermRead}, "third": {PermRead}, "noID": {PermRead}}},
		{"public-read-write", aclCanned(t, "public-read-write"), map[string][]Permission{
			"owner": perms, "anon": {PermRead, PermWrite}, "other": {PermRead, PermWrite}, "third": {PermRead, PermWrite}, "noID": {PermRead, PermWrite}}},
		{"authenticated-read", aclCanned(t, "authenticated-read"), map[string][]Permission{
			"owner": perms, "other": {PermRead}, "third": {PermRead}}},
		{"user grants", ACL{OwnerID: aclOwner, Grants: []Grant{
			aclUser(aclOther, "", PermWrite), aclUser(aclOther, "", PermReadACP), aclUser("third", "", PermFullControl)}},
			map[string][]Permission{"other": {PermWrite, PermReadACP}, "third": perms}},
		{"write-acp only", ACL{Grants: []Grant{aclGroup(AllUsersURI, PermWriteACP)}}, map[string][]Permission{
			"anon": {PermWriteACP}, "owner": {PermWriteACP}, "other": {PermWriteACP}, "third": {PermWriteACP}, "noID": {PermWriteACP}}},
		{"authenticated full control", ACL{Grants: []Grant{aclGroup(AuthenticatedUsersURI, PermFullControl)}}, map[string][]Permission{
			"owner": perms, "other": perms, "third": perms}},
		{"aclLog delivery matches nobody", ACL{Grants: []Grant{aclGroup(aclLog, PermFullControl)}}, nil},
		{"empty-id grant matches nobody", ACL{Grants: []Grant{aclUser("", "", PermFullControl)}}, nil},
		{"untyped grantee inferred", ACL{Grants: []Grant{
			{Grantee: Grantee{URI: AllUsersURI}, Permission: PermRead},
			{Grantee: Grantee{ID: aclOther}, Permission: PermWrite}}},
			map[string][]Permission{"anon": {PermRead}, "owner": {PermRead}, "other": {PermRead, PermWrite}, "third": {PermRead}, "noID": {PermRead}}},
	}
	for _, c := range cases {
		for _, w := range whos {
			allowed := map[Permission]bool{}
			for _, p := range c.allow[w.name] {
				allowed[p] = true
			}
			for _, p := range perms {
				if got := c.acl.Allows(w.r, p); got != allowed[p] {
					t.Errorf("%s: Allows(%s, %s) = %v, want %v", c.name, w.name, p, got, allowed[p])
				}
			}
			if c.acl.Allows(w.r, "BOGUS") || c.acl.Allows(w.r, "") {
				t.Errorf("%s: unknown permission allowed for %s", c.name, w.name)
			}
		}
	}
	// An anonymous requester carrying an ID is still anonymous.
	if (ACL{Grants: []Grant{aclUser(aclOther, "", PermRead)}}).Allows(Requester{ID: aclOther, Anonymous: true}, PermRead) {
		t.Error("anonymous requester matched a CanonicalUser grant")
	}
}

func TestACLJSONStorage(t *testing.T) {
	for _, acl := range []ACL{{}, {OwnerID: "o", Grants: []Grant{}}, aclSample()} {
		enc, err := json.Marshal(acl)
		if err != nil {
			t.Fatal(err)
		}
		var dec ACL
		if err := json.Unmarshal(enc, &dec); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(dec, acl) {
			t.Fatalf("JSON round trip %s:\n%+v\nwant\n%+v", enc, dec, acl)
		}
		enc2, _ := json.Marshal(dec)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("JSON not stable: %s vs %s", enc, enc2)
		}
	}
	enc, _ := json.Marshal(ACL{OwnerID: "o", OwnerName: "n", Grants: []Grant{aclUser("o", "n", PermFullControl), aclGroup(AllUsersURI, PermRead)}})
	want := `{"owner_id":"o","owner_name":"n","grants":[` +
		`{"grantee":{"type":"CanonicalUser","id":"o","display_name":"n"},"permission":"FULL_CONTROL"},` +
		`{"grantee":{"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers"},"permission":"READ"}]}`
	if string(enc) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", enc, want)
	}
}

func FuzzParseACL(f *testing.F) {
	f.Add(string(aclSample().XML()))
	f.Add(string(ACL{}.XML()))
	f.Add(`<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>u</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	f.Add(`<AccessControlPolicy xmlns:x="http://www.w3.org/2001/XMLSchema-instance"><Owner><ID>&lt;o&gt;</ID></Owner><AccessControlList><Grant><Grantee x:type="Group"><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>WRITE</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	f.Add(`<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type="CanonicalUser"><ID><![CDATA[a b]]></ID><DisplayName>&#xD;x&#xA;</DisplayName></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	f.Add(`<AccessControlPolicy>`)
	f.Fuzz(func(t *testing.T, doc string) {
		parse := func(r io.Reader) (ACL, error) { return ParseACL(r, nil) }
		fuzzRoundTrip(t, doc, parse, ACL.XML)
	})
}

// fuzzRoundTrip checks what the ACL and CORS fuzzers ask of a parser: every
// error is an *Error, and a parsed document survives XML() and JSON (the
// stored form) unchanged.
func fuzzRoundTrip[T any](t *testing.T, doc string, parse func(io.Reader) (T, error), toXML func(T) []byte) {
	v, err := parse(strings.NewReader(doc))
	if err != nil {
		if _, ok := IsError(err); !ok {
			t.Fatalf("error not *Error: %v", err)
		}
		return
	}
	again, err := parse(bytes.NewReader(toXML(v)))
	if err != nil {
		t.Fatalf("re-parse of XML(): %v\n%s", err, toXML(v))
	}
	if !reflect.DeepEqual(v, again) {
		t.Fatalf("round trip:\n%+v\n%+v", v, again)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var dec T
	if err := json.Unmarshal(enc, &dec); err != nil || !reflect.DeepEqual(dec, v) {
		t.Fatalf("JSON round trip: %v\n%+v\n%+v", err, dec, v)
	}
}

// TestACLErrorArguments: the texts and ArgumentName/ArgumentValue AWS
// sends (localstack's AWS-validated snapshots of PutBucketAcl errors).
func TestACLErrorArguments(t *testing.T) {
	doc := func(owner, grantee string) string {
		return `<AccessControlPolicy><Owner><ID>` + owner + `</ID></Owner><AccessControlList><Grant>` + grantee +
			`<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
	}
	fromHeaders := func(kv ...string) error {
		_, _, err := FromHeaders(aclHdr(kv...), aclOwner, aclOwnerName, aclOwner, aclOwnerName, aclAccounts)
		return err
	}
	parse := func(d string) error { _, err := ParseACL(strings.NewReader(d), aclAccounts); return err }
	cases := []struct {
		name            string
		err             error
		msg, argName, v string
	}{
		{"header unknown id", fromHeaders("X-Amz-Grant-Read", `id="nobody"`), "Invalid id", "id", "nobody"},
		{"header unknown key", fromHeaders("X-Amz-Grant-Write", `fakekey="1234"`), "Argument format not recognized", "x-amz-grant-write", `fakekey="1234"`},
		{"header unknown group", fromHeaders("X-Amz-Grant-Read-Acp", `uri="http://acs.amazonaws.com/groups/s3/FakeGroup"`), "Invalid group uri", "uri", "http://acs.amazonaws.com/groups/s3/FakeGroup"},
		{"canned unknown", fromHeaders("X-Amz-Acl", "fake-acl"), "Invalid canned ACL: fake-acl", "x-amz-acl", "fake-acl"},
		{"document unknown owner", parse(doc("wrong-id", `<Grantee><ID>u</ID></Grantee>`)), "Invalid id", "CanonicalUser/ID", "wrong-id"},
		{"document unknown grantee", parse(doc("o", `<Grantee><ID>nobody</ID></Grantee>`)), "Invalid id", "CanonicalUser/ID", "nobody"},
		{"document unknown group", parse(doc("o", `<Grantee><URI>http://acs.amazonaws.com/groups/s3/FakeGroup</URI></Grantee>`)), "Invalid group uri", "Group/URI", "http://acs.amazonaws.com/groups/s3/FakeGroup"},
		{"document no owner", parse(`<AccessControlPolicy><AccessControlList/></AccessControlPolicy>`), "The XML you provided was not well-formed or did not validate against our published schema", "", ""},
	}
	for _, c := range cases {
		e, ok := IsError(c.err)
		if !ok {
			t.Errorf("%s: error %v", c.name, c.err)
			continue
		}
		if e.Message != c.msg || e.ArgumentName != c.argName || e.ArgumentValue != c.v {
			t.Errorf("%s: %q %q=%q, want %q %q=%q", c.name, e.Message, e.ArgumentName, e.ArgumentValue, c.msg, c.argName, c.v)
		}
	}
}

func TestACLNamed(t *testing.T) {
	acl := ACL{OwnerID: aclOwner, Grants: []Grant{aclUser(aclOwner, "", PermFullControl), aclUser(aclOther, "kept", PermRead),
		aclUser("nobody", "", PermRead), aclGroup(AllUsersURI, PermRead)}}
	got := acl.Named(aclAccounts)
	want := ACL{OwnerID: aclOwner, OwnerName: aclOwnerName, Grants: []Grant{aclUser(aclOwner, aclOwnerName, PermFullControl),
		aclUser(aclOther, "kept", PermRead), aclUser("nobody", "", PermRead), aclGroup(AllUsersURI, PermRead)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Named =\n%+v\nwant\n%+v", got, want)
	}
	if acl.Grants[0].Grantee.DisplayName != "" {
		t.Fatal("Named changed its receiver's grants")
	}
}
