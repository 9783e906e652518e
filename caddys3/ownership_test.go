package caddys3

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

func ownershipErrCode(err error) s3err.Code {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	if err != nil {
		return "?"
	}
	return ""
}

// "The bucket owner has full control" in its forms (User Guide,
// "Controlling ownership of objects": bucket-owner-full-control or an
// equivalent grant list).
func TestBucketOwnerFullControl(t *testing.T) {
	user := func(id string, p access.Permission) access.Grant {
		return access.Grant{Grantee: access.Grantee{Type: "CanonicalUser", ID: id}, Permission: p}
	}
	group := func(uri string) access.Grant {
		return access.Grant{Grantee: access.Grantee{Type: "Group", URI: uri}, Permission: access.PermRead}
	}
	cases := []struct {
		name  string
		acl   access.ACL
		owner string
		want  bool
	}{
		{"owner private", access.ACL{OwnerID: "alice", Grants: []access.Grant{user("alice", access.PermFullControl)}}, "alice", true},
		{"writer's bucket-owner-full-control", access.ACL{OwnerID: "bob", Grants: []access.Grant{user("bob", access.PermFullControl), user("alice", access.PermFullControl)}}, "alice", true},
		{"writer's private", access.ACL{OwnerID: "bob", Grants: []access.Grant{user("bob", access.PermFullControl)}}, "alice", false},
		{"bucket-owner-read", access.ACL{OwnerID: "bob", Grants: []access.Grant{user("bob", access.PermFullControl), user("alice", access.PermRead)}}, "alice", false},
		{"public-read", access.ACL{OwnerID: "alice", Grants: []access.Grant{user("alice", access.PermFullControl), group(access.AllUsersURI)}}, "alice", false},
		{"a third account", access.ACL{OwnerID: "alice", Grants: []access.Grant{user("alice", access.PermFullControl), user("carol", access.PermFullControl)}}, "alice", false},
		{"no grants", access.ACL{OwnerID: "alice"}, "alice", false},
	}
	for _, c := range cases {
		if got := bucketOwnerFullControl(&c.acl, c.owner); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// OwnershipControls documents: one Rule of the three values, else
// MalformedXML.
func TestParseOwnershipControls(t *testing.T) {
	cases := []struct {
		body, want string
		code       s3err.Code
	}{
		{`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`, ownerEnforced, ""},
		{`<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`, objectWriter, ""},
		{`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>`, ownerPreferred, ""},
		{`<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule></OwnershipControls>`, "", s3err.MalformedXML},
		{`<OwnershipControls></OwnershipControls>`, "", s3err.MalformedXML},
		{`<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`, "", s3err.MalformedXML},
		{`<OwnershipControls><Rule>`, "", s3err.MalformedXML},
		{``, "", s3err.MalformedXML},
	}
	for _, c := range cases {
		got, err := parseOwnershipControls([]byte(c.body))
		if got != c.want || ownershipErrCode(err) != c.code {
			t.Errorf("%s: %q %v, want %q %s", c.body, got, err, c.want, c.code)
		}
	}
}

// x-amz-object-ownership on CreateBucket (versitygw
// CreateBucket_invalid_ownership, CreateBucket_ownership_with_acl).
func TestCreateOwnership(t *testing.T) {
	acl := func(canned string) []byte {
		a, _ := access.Canned(canned, "alice", "", "alice", "")
		b, _ := json.Marshal(a)
		return b
	}
	cases := []struct {
		hdr  map[string]string
		acl  []byte
		want string
		code s3err.Code
	}{
		{nil, acl("private"), "", ""},
		{map[string]string{"X-Amz-Object-Ownership": "ObjectWriter"}, acl("private"), objectWriter, ""},
		{map[string]string{"X-Amz-Object-Ownership": "BucketOwnerEnforced"}, acl("private"), ownerEnforced, ""},
		{map[string]string{"X-Amz-Object-Ownership": "BucketOwnerEnforced", "X-Amz-Acl": "private"}, acl("private"), ownerEnforced, ""},
		{map[string]string{"X-Amz-Object-Ownership": "BucketOwnerEnforced", "X-Amz-Acl": "public-read"}, acl("public-read"), "", s3err.InvalidBucketAclWithObjectOwnership},
		{map[string]string{"X-Amz-Object-Ownership": "BucketOwnerPreferred", "X-Amz-Acl": "public-read"}, acl("public-read"), ownerPreferred, ""},
		{map[string]string{"X-Amz-Object-Ownership": "invalid_ownership"}, acl("private"), "", s3err.InvalidArgument},
		{map[string]string{"X-Amz-Object-Ownership": ""}, acl("private"), "", s3err.InvalidArgument},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.hdr {
			h.Set(k, v)
		}
		got, err := createOwnership(h, c.acl)
		if got != c.want || ownershipErrCode(err) != c.code {
			t.Errorf("%v: %q %v, want %q %s", c.hdr, got, err, c.want, c.code)
		}
	}
}

// Which grants count: none with ACLs disabled, no public ones under
// IgnorePublicAcls; BlockPublicAcls refuses a public ACL.
func TestACLInForce(t *testing.T) {
	pub, _ := access.Canned("public-read", "alice", "", "alice", "")
	authRead, _ := access.Canned("authenticated-read", "alice", "", "alice", "")
	priv, _ := access.Canned("private", "alice", "", "alice", "")
	bob := access.Requester{ID: "bob"}
	anon := access.Requester{Anonymous: true}
	block := func(js string) *fsstore.BucketInfo {
		return &fsstore.BucketInfo{Owner: "alice", PublicAccess: []byte(js)}
	}
	cases := []struct {
		name    string
		b       *fsstore.BucketInfo
		acl     access.ACL
		who     access.Requester
		allowed bool
		refuse  bool // checkPublicACL
	}{
		{"public-read, no block", &fsstore.BucketInfo{Owner: "alice"}, pub, anon, true, false},
		{"public-read, ACLs disabled", &fsstore.BucketInfo{Owner: "alice", Ownership: ownerEnforced}, pub, anon, false, false},
		{"public-read, BucketOwnerPreferred", &fsstore.BucketInfo{Owner: "alice", Ownership: ownerPreferred}, pub, anon, true, false},
		{"public-read, IgnorePublicAcls", block(`{"ipa":true}`), pub, anon, false, false},
		{"authenticated-read, IgnorePublicAcls", block(`{"ipa":true}`), authRead, bob, false, false},
		{"public-read, BlockPublicAcls only", block(`{"bpa":true}`), pub, anon, true, true},
		{"authenticated-read, BlockPublicAcls", block(`{"bpa":true}`), authRead, bob, true, true},
		{"private, BlockPublicAcls", block(`{"bpa":true}`), priv, bob, false, false},
		{"a damaged block blocks nothing", block(`{`), pub, anon, true, false},
	}
	for _, c := range cases {
		if got := aclInForce(c.b, &c.acl).Allows(c.who, access.PermRead); got != c.allowed {
			t.Errorf("%s: allowed %v, want %v", c.name, got, c.allowed)
		}
		if got := checkPublicACL(c.b, &c.acl) != nil; got != c.refuse {
			t.Errorf("%s: refused %v, want %v", c.name, got, c.refuse)
		}
	}
}
