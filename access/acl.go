package access

import (
	"bytes"
	"encoding/xml"
	"github.com/caddys3/caddys3/s3err"
	"io"
	"net/http"
	"slices"
	"strings"
)

// logDeliveryURI is the S3 log delivery group. It is accepted as a grantee
// (in header grants and ACL documents) but matches no requester.
const logDeliveryURI = "http://acs.amazonaws.com/groups/s3/LogDelivery"

// Grantee types (xsi:type values).
const (
	granteeCanonicalUser = "CanonicalUser"
	granteeGroup         = "Group"
	granteeEmail         = "AmazonCustomerByEmail"
)

const (
	s3Namespace  = "http://s3.amazonaws.com/doc/2006-03-01/"
	xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"
	xmlHeader    = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

	// maxGrants is S3's limit on grants in one ACL.
	maxGrants = 100
)

// Grantee is who a grant is for: a canonical user (ID) or a group (URI).
type Grantee struct {
	Type        string `json:"type"`                   // "CanonicalUser" or "Group"
	ID          string `json:"id,omitempty"`           // CanonicalUser
	DisplayName string `json:"display_name,omitempty"` // CanonicalUser, optional
	URI         string `json:"uri,omitempty"`          // Group
}

// Grant gives one permission to one grantee.
type Grant struct {
	Grantee    Grantee    `json:"grantee"`
	Permission Permission `json:"permission"`
}

// ACL is an S3 access control list: the resource's owner and its grants.
type ACL struct {
	OwnerID   string  `json:"owner_id"`
	OwnerName string  `json:"owner_name"`
	Grants    []Grant `json:"grants"`
}

// Accounts tells whether an account (canonical ID) exists and its display
// name. A nil Accounts knows every ID and no name (for credential sources
// that cannot tell which accounts exist).
type Accounts func(id string) (displayName string, known bool)

func (acc Accounts) lookup(id string) (string, bool) {
	if acc == nil {
		return "", true
	}
	return acc(id)
}

// Named returns the ACL with the display names accounts knows filled in
// where they are missing (stored ACLs and the default private ACL may
// have none), for GetBucketAcl and GetObjectAcl.
func (a ACL) Named(accounts Accounts) ACL {
	name := func(id, have string) string {
		if have != "" || id == "" {
			return have
		}
		n, _ := accounts.lookup(id)
		return n
	}
	a.OwnerName = name(a.OwnerID, a.OwnerName)
	a.Grants = slices.Clone(a.Grants)
	for i := range a.Grants {
		if g := &a.Grants[i].Grantee; !g.isGroup() {
			g.DisplayName = name(g.ID, g.DisplayName)
		}
	}
	return a
}

// validPermission reports whether p is one of the five ACL permissions.
func validPermission(p Permission) bool {
	switch p {
	case PermRead, PermWrite, PermReadACP, PermWriteACP, PermFullControl:
		return true
	}
	return false
}

// validGroupURI reports whether uri names a group S3 accepts as grantee.
func validGroupURI(uri string) bool {
	switch uri {
	case AllUsersURI, AuthenticatedUsersURI, logDeliveryURI:
		return true
	}
	return false
}

func userGrant(id, name string, p Permission) Grant {
	return Grant{Grantee: Grantee{Type: granteeCanonicalUser, ID: id, DisplayName: name}, Permission: p}
}

func groupGrant(uri string, p Permission) Grant {
	return Grant{Grantee: Grantee{Type: granteeGroup, URI: uri}, Permission: p}
}

// Canned expands a canned ACL name (x-amz-acl value). owner/ownerName: the
// resource owner; bucketOwner/bucketOwnerName: the bucket's owner (for
// bucket-owner-read / bucket-owner-full-control on objects; for buckets pass
// the same as owner, which makes both behave as private).
//
// Every canned ACL gives the owner FULL_CONTROL; then:
//   - private: nothing more.
//   - public-read: AllUsers READ.
//   - public-read-write: AllUsers READ and WRITE.
//   - authenticated-read: AuthenticatedUsers READ.
//   - bucket-owner-read: bucket owner READ (only if it is not the owner).
//   - bucket-owner-full-control: bucket owner FULL_CONTROL (only if it is not the owner).
//   - log-delivery-write: LogDelivery WRITE and READ_ACP (the order of AWS's
//     canned ACL table; the group matches no requester here).
//   - aws-exec-read: accepted, treated as private (this server has no EC2).
//
// Any other name (matching is exact, after trimming blanks) is an
// *Error{Code: "InvalidArgument"} naming x-amz-acl.
func Canned(name, owner, ownerName, bucketOwner, bucketOwnerName string) (ACL, error) {
	acl := ACL{OwnerID: owner, OwnerName: ownerName}
	acl.Grants = []Grant{userGrant(owner, ownerName, PermFullControl)}
	otherBucketOwner := bucketOwner != "" && bucketOwner != owner
	switch strings.TrimSpace(name) {
	case "private", "aws-exec-read":
	case "log-delivery-write":
		acl.Grants = append(acl.Grants, groupGrant(logDeliveryURI, PermWrite), groupGrant(logDeliveryURI, PermReadACP))
	case "public-read":
		acl.Grants = append(acl.Grants, groupGrant(AllUsersURI, PermRead))
	case "public-read-write":
		acl.Grants = append(acl.Grants, groupGrant(AllUsersURI, PermRead), groupGrant(AllUsersURI, PermWrite))
	case "authenticated-read":
		acl.Grants = append(acl.Grants, groupGrant(AuthenticatedUsersURI, PermRead))
	case "bucket-owner-read":
		if otherBucketOwner {
			acl.Grants = append(acl.Grants, userGrant(bucketOwner, bucketOwnerName, PermRead))
		}
	case "bucket-owner-full-control":
		if otherBucketOwner {
			acl.Grants = append(acl.Grants, userGrant(bucketOwner, bucketOwnerName, PermFullControl))
		}
	default:
		e := &Error{Code: s3err.InvalidArgument, Message: "Invalid canned ACL: " + name,
			ArgumentName: "x-amz-acl", ArgumentValue: name}
		return ACL{}, e
	}
	return acl, nil
}

// grantHeaders maps the x-amz-grant-* headers to their permission, in the
// order their grants are listed: READ, WRITE, READ_ACP, WRITE_ACP,
// FULL_CONTROL, as ceph/s3-tests' test_object_header_acl_grants and
// test_bucket_header_acl_grants expect GetObjectAcl/GetBucketAcl to list
// them (HTTP header order is not kept: Go's http.Header has none).
var grantHeaders = []struct {
	name string
	perm Permission
}{
	{"X-Amz-Grant-Read", PermRead},
	{"X-Amz-Grant-Write", PermWrite},
	{"X-Amz-Grant-Read-Acp", PermReadACP},
	{"X-Amz-Grant-Write-Acp", PermWriteACP},
	{"X-Amz-Grant-Full-Control", PermFullControl},
}

// headerValue joins the values of header name; blank values count as absent.
func headerValue(h http.Header, name string) (string, bool) {
	var parts []string
	for _, v := range h.Values(name) {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ","), len(parts) > 0
}

// FromHeaders builds the ACL a request asks for: x-amz-acl (canned) or the
// x-amz-grant-read / -write / -read-acp / -write-acp / -full-control headers
// (values like `id="abc", uri="http://acs.amazonaws.com/groups/global/AllUsers"`,
// comma separated, quotes optional, keys case-insensitive). Errors:
// emailAddress= -> UnresolvableGrantByEmailAddress; unknown key, empty or
// malformed value -> InvalidArgument "Argument format not recognized"
// naming the header; unknown group URI -> InvalidArgument "Invalid group
// uri" (ArgumentName uri); an ID accounts does not know -> InvalidArgument
// "Invalid id" (ArgumentName id); both canned and grant headers ->
// InvalidRequest. Header grants are the whole ACL: the owner gets no
// implicit FULL_CONTROL (it still owns). Grantees get the display name
// accounts knows. ok=false when the request has no ACL headers (headers
// present with blank values count as absent).
func FromHeaders(h http.Header, owner, ownerName, bucketOwner, bucketOwnerName string, accounts Accounts) (acl ACL, ok bool, err error) {
	canned, hasCanned := headerValue(h, "X-Amz-Acl")
	hasGrants := false
	for _, gh := range grantHeaders {
		if _, present := headerValue(h, gh.name); present {
			hasGrants = true
		}
	}
	switch {
	case hasCanned && hasGrants:
		return ACL{}, false, textError(s3err.ACLBothCannedAndGrants)
	case hasCanned:
		acl, err := Canned(canned, owner, ownerName, bucketOwner, bucketOwnerName)
		if err != nil {
			return ACL{}, false, err
		}
		return acl, true, nil
	case !hasGrants:
		return ACL{}, false, nil
	}
	acl = ACL{OwnerID: owner, OwnerName: ownerName, Grants: []Grant{}}
	for _, gh := range grantHeaders {
		v, present := headerValue(h, gh.name)
		if !present {
			continue
		}
		grantees, err := parseGrantHeader(strings.ToLower(gh.name), v)
		if err != nil {
			return ACL{}, false, err
		}
		for _, g := range grantees {
			if g.Type == granteeCanonicalUser {
				name, known := accounts.lookup(g.ID)
				if !known {
					return ACL{}, false, argError(s3err.ACLInvalidID, "id", g.ID)
				}
				switch {
				case name != "":
					g.DisplayName = name
				case g.ID == owner:
					g.DisplayName = ownerName
				case g.ID == bucketOwner:
					g.DisplayName = bucketOwnerName
				}
			}
			acl.Grants = append(acl.Grants, Grant{Grantee: g, Permission: gh.perm})
		}
	}
	if len(acl.Grants) > maxGrants {
		return ACL{}, false, errorf(s3err.InvalidArgument, "Too many grants: at most 100 are allowed")
	}
	return acl, true, nil
}

// parseGrantHeader parses the value v of the x-amz-grant-* header named
// header (lower case): comma separated key=value pairs, the value
// optionally double-quoted.
func parseGrantHeader(header, v string) ([]Grantee, error) {
	bad := func() error { return argError(s3err.ACLGrantFormat, header, v) }
	var out []Grantee
	s := v
	for {
		s = strings.TrimLeft(s, " \t")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, bad()
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, bad()
			}
			val, s = s[1:1+end], strings.TrimLeft(s[2+end:], " \t")
			if s != "" && s[0] != ',' {
				return nil, bad()
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
			if strings.ContainsRune(val, '"') {
				return nil, bad()
			}
		}
		val = strings.TrimSpace(val)
		switch key {
		case "id":
			if val == "" {
				return nil, bad()
			}
			out = append(out, Grantee{Type: granteeCanonicalUser, ID: val})
		case "uri":
			if !validGroupURI(val) {
				return nil, argError(s3err.ACLInvalidGroupURI, "uri", val)
			}
			out = append(out, Grantee{Type: granteeGroup, URI: val})
		case "emailaddress":
			return nil, textError(s3err.ACLEmailGrant)
		default:
			return nil, bad()
		}
		if s == "" {
			return out, nil
		}
		s = s[1:] // the comma
	}
}

// XML document shapes for parsing. Struct tags carry no namespace so the
// elements match with or without xmlns.
type xmlACP struct {
	XMLName xml.Name     `xml:"AccessControlPolicy"`
	Owner   *xmlOwner    `xml:"Owner"`
	List    *xmlGrantSet `xml:"AccessControlList"`
}

type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type xmlGrantSet struct {
	Grants []xmlGrant `xml:"Grant"`
}

type xmlGrant struct {
	Grantee    *xmlGrantee `xml:"Grantee"`
	Permission *string     `xml:"Permission"`
}

type xmlGrantee struct {
	Attrs        []xml.Attr `xml:",any,attr"`
	ID           *string    `xml:"ID"`
	DisplayName  string     `xml:"DisplayName"`
	URI          *string    `xml:"URI"`
	EmailAddress *string    `xml:"EmailAddress"`
}

// granteeType returns the xsi:type attribute of a Grantee, whatever prefix
// binds it (or none, as some SDKs send an unbound "xsi:" prefix).
func (g *xmlGrantee) granteeType() string {
	for _, a := range g.Attrs {
		if a.Name.Local != "type" || a.Name.Space == "xmlns" {
			continue
		}
		return strings.TrimSpace(a.Value)
	}
	return ""
}

// ParseACL parses an AccessControlPolicy XML document (PutBucketAcl /
// PutObjectAcl body), with or without namespace. The grantee type comes
// from the xsi:type attribute (any prefix) or, failing that, from which of
// ID, URI, EmailAddress it holds. The Owner is returned as given (the
// caller decides whether it may change); names come from accounts, not
// from the document. Errors, in AWS's order: bad XML, no Owner or no
// Owner ID, more than 100 grants, a missing or unknown permission, a
// missing or unknown grantee type, a grantee without its ID/URI ->
// MalformedACLError; an email grantee -> UnresolvableGrantByEmailAddress;
// an unknown group URI -> InvalidArgument (ArgumentName Group/URI); then
// an Owner or grantee ID accounts does not know -> InvalidArgument
// (ArgumentName CanonicalUser/ID). The body is bounded by the caller.
func ParseACL(r io.Reader, accounts Accounts) (ACL, error) {
	bad := textError(s3err.ACLMalformed)
	var doc xmlACP
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return ACL{}, bad
	}
	if doc.Owner == nil || strings.TrimSpace(doc.Owner.ID) == "" {
		return ACL{}, bad
	}
	acl := ACL{OwnerID: strings.TrimSpace(doc.Owner.ID), Grants: []Grant{}}
	var grants []xmlGrant
	if doc.List != nil {
		grants = doc.List.Grants
	}
	if len(grants) > maxGrants {
		return ACL{}, errorf(s3err.MalformedACLError, "Too many grants: at most 100 are allowed")
	}
	for _, xg := range grants {
		g, err := xg.grant()
		if err != nil {
			return ACL{}, err
		}
		acl.Grants = append(acl.Grants, g)
	}
	// Well-formed: now the accounts it names must exist.
	name, known := accounts.lookup(acl.OwnerID)
	if !known {
		return ACL{}, argError(s3err.ACLInvalidID, "CanonicalUser/ID", acl.OwnerID)
	}
	acl.OwnerName = name
	for i := range acl.Grants {
		g := &acl.Grants[i].Grantee
		if g.Type != granteeCanonicalUser {
			continue
		}
		if g.DisplayName, known = accounts.lookup(g.ID); !known {
			return ACL{}, argError(s3err.ACLInvalidID, "CanonicalUser/ID", g.ID)
		}
	}
	return acl, nil
}

// grant checks one Grant element of an AccessControlPolicy.
func (xg xmlGrant) grant() (Grant, error) {
	bad := textError(s3err.ACLMalformed)
	if xg.Grantee == nil || xg.Permission == nil {
		return Grant{}, bad
	}
	perm := Permission(strings.TrimSpace(*xg.Permission))
	if !validPermission(perm) {
		return Grant{}, bad
	}
	xe := xg.Grantee
	typ := xe.granteeType()
	if typ == "" {
		switch {
		case xe.ID != nil:
			typ = granteeCanonicalUser
		case xe.URI != nil:
			typ = granteeGroup
		case xe.EmailAddress != nil:
			typ = granteeEmail
		}
	}
	switch typ {
	case granteeCanonicalUser:
		if xe.ID == nil || strings.TrimSpace(*xe.ID) == "" {
			return Grant{}, bad
		}
		return Grant{Grantee: Grantee{Type: typ, ID: strings.TrimSpace(*xe.ID)}, Permission: perm}, nil
	case granteeGroup:
		if xe.URI == nil {
			return Grant{}, bad
		}
		uri := strings.TrimSpace(*xe.URI)
		if !validGroupURI(uri) {
			return Grant{}, argError(s3err.ACLInvalidGroupURI, "Group/URI", uri)
		}
		return Grant{Grantee: Grantee{Type: typ, URI: uri}, Permission: perm}, nil
	case granteeEmail:
		return Grant{}, textError(s3err.ACLEmailGrant)
	}
	return Grant{}, bad
}

// isGroup reports whether g names a group (an untyped grantee counts as a
// group when it has a URI and no ID).
func (g Grantee) isGroup() bool {
	return g.Type == granteeGroup || (g.Type == "" && g.URI != "" && g.ID == "")
}

func writeElem(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

// XML returns the AccessControlPolicy document S3 answers to GetBucketAcl /
// GetObjectAcl. Empty DisplayNames are left out (as S3 now does); the Owner
// element is left out only when both its ID and name are empty.
func (a ACL) XML() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<AccessControlPolicy xmlns="` + s3Namespace + `">`)
	if a.OwnerID != "" || a.OwnerName != "" {
		b.WriteString("<Owner>")
		writeElem(&b, "ID", a.OwnerID)
		if a.OwnerName != "" {
			writeElem(&b, "DisplayName", a.OwnerName)
		}
		b.WriteString("</Owner>")
	}
	b.WriteString("<AccessControlList>")
	for _, g := range a.Grants {
		b.WriteString("<Grant>")
		if g.Grantee.isGroup() {
			b.WriteString(`<Grantee xmlns:xsi="` + xsiNamespace + `" xsi:type="Group">`)
			writeElem(&b, "URI", g.Grantee.URI)
		} else {
			b.WriteString(`<Grantee xmlns:xsi="` + xsiNamespace + `" xsi:type="CanonicalUser">`)
			writeElem(&b, "ID", g.Grantee.ID)
			if g.Grantee.DisplayName != "" {
				writeElem(&b, "DisplayName", g.Grantee.DisplayName)
			}
		}
		b.WriteString("</Grantee>")
		writeElem(&b, "Permission", string(g.Permission))
		b.WriteString("</Grant>")
	}
	b.WriteString("</AccessControlList></AccessControlPolicy>")
	return b.Bytes()
}

// Allows reports whether the ACL grants perm to who. FULL_CONTROL implies
// every permission; no other permission implies another. AllUsers matches
// everyone incl. anonymous; AuthenticatedUsers matches any non-anonymous
// requester with an ID; CanonicalUser matches who.ID (never an anonymous or
// ID-less requester); LogDelivery matches nobody. Ownership is not implied
// here: the caller handles owners.
func (a ACL) Allows(who Requester, perm Permission) bool {
	if !validPermission(perm) {
		return false
	}
	authenticated := !who.Anonymous && who.ID != ""
	for _, g := range a.Grants {
		if g.Permission != perm && g.Permission != PermFullControl {
			continue
		}
		if g.Grantee.isGroup() {
			switch g.Grantee.URI {
			case AllUsersURI:
				return true
			case AuthenticatedUsersURI:
				if authenticated {
					return true
				}
			}
			continue
		}
		if authenticated && g.Grantee.ID == who.ID {
			return true
		}
	}
	return false
}
