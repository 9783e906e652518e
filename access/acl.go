package access

import (
	"bytes"
	"encoding/xml"
	"github.com/caddys3/caddys3/s3err"
	"io"
	"net/http"
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
//   - aws-exec-read, log-delivery-write: accepted, treated as private (this
//     server has neither EC2 nor log delivery).
//
// Any other name (matching is exact, after trimming blanks) is an
// *Error{Code: "InvalidArgument"}.
func Canned(name, owner, ownerName, bucketOwner, bucketOwnerName string) (ACL, error) {
	acl := ACL{OwnerID: owner, OwnerName: ownerName}
	acl.Grants = []Grant{userGrant(owner, ownerName, PermFullControl)}
	otherBucketOwner := bucketOwner != "" && bucketOwner != owner
	switch strings.TrimSpace(name) {
	case "private", "aws-exec-read", "log-delivery-write":
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
		return ACL{}, errorf(s3err.InvalidArgument, "Invalid canned ACL: "+name)
	}
	return acl, nil
}

// grantHeaders maps the x-amz-grant-* headers to their permission, in the
// order their grants are listed.
var grantHeaders = []struct {
	name string
	perm Permission
}{
	{"X-Amz-Grant-Full-Control", PermFullControl},
	{"X-Amz-Grant-Read", PermRead},
	{"X-Amz-Grant-Write", PermWrite},
	{"X-Amz-Grant-Read-Acp", PermReadACP},
	{"X-Amz-Grant-Write-Acp", PermWriteACP},
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
// malformed value, unknown group URI -> InvalidArgument; both canned and grant
// headers -> InvalidRequest. Header grants are the whole ACL: the owner gets
// no implicit FULL_CONTROL (it still owns). ok=false when the request has no
// ACL headers (headers present with blank values count as absent).
func FromHeaders(h http.Header, owner, ownerName, bucketOwner, bucketOwnerName string) (acl ACL, ok bool, err error) {
	canned, hasCanned := headerValue(h, "X-Amz-Acl")
	hasGrants := false
	for _, gh := range grantHeaders {
		if _, present := headerValue(h, gh.name); present {
			hasGrants = true
		}
	}
	switch {
	case hasCanned && hasGrants:
		return ACL{}, false, errorf(s3err.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
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
		grantees, err := parseGrantHeader(v)
		if err != nil {
			return ACL{}, false, err
		}
		for _, g := range grantees {
			if g.Type == granteeCanonicalUser {
				switch g.ID {
				case owner:
					g.DisplayName = ownerName
				case bucketOwner:
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

// parseGrantHeader parses one x-amz-grant-* value: comma separated
// key=value pairs, the value optionally double-quoted.
func parseGrantHeader(v string) ([]Grantee, error) {
	bad := func() error { return errorf(s3err.InvalidArgument, "Invalid grant header value: "+v) }
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
				return nil, errorf(s3err.InvalidArgument, "Invalid group uri: "+val)
			}
			out = append(out, Grantee{Type: granteeGroup, URI: val})
		case "emailaddress":
			return nil, errorf(s3err.UnresolvableGrantByEmailAddress, "The e-mail address you provided does not match any account on record.")
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
// ID, URI, EmailAddress it holds. The Owner element is optional; its
// values are returned as given (the caller decides whether they matter).
// Bad XML, more than 100 grants, a missing or unknown permission, a missing
// or unknown grantee type, a grantee without its ID/URI -> MalformedACLError;
// an unknown group URI -> InvalidArgument; an email grantee ->
// UnresolvableGrantByEmailAddress. The body is bounded by the caller.
func ParseACL(r io.Reader) (ACL, error) {
	bad := errorf(s3err.MalformedACLError, "The XML you provided was not well-formed or did not validate against our published schema")
	var doc xmlACP
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return ACL{}, bad
	}
	var acl ACL
	if doc.Owner != nil {
		acl.OwnerID = strings.TrimSpace(doc.Owner.ID)
		acl.OwnerName = strings.TrimSpace(doc.Owner.DisplayName)
	}
	acl.Grants = []Grant{}
	if doc.List == nil {
		return acl, nil
	}
	if len(doc.List.Grants) > maxGrants {
		return ACL{}, errorf(s3err.MalformedACLError, "Too many grants: at most 100 are allowed")
	}
	for _, xg := range doc.List.Grants {
		if xg.Grantee == nil || xg.Permission == nil {
			return ACL{}, bad
		}
		perm := Permission(strings.TrimSpace(*xg.Permission))
		if !validPermission(perm) {
			return ACL{}, bad
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
		var g Grantee
		switch typ {
		case granteeCanonicalUser:
			if xe.ID == nil || strings.TrimSpace(*xe.ID) == "" {
				return ACL{}, bad
			}
			g = Grantee{Type: typ, ID: strings.TrimSpace(*xe.ID), DisplayName: strings.TrimSpace(xe.DisplayName)}
		case granteeGroup:
			if xe.URI == nil {
				return ACL{}, bad
			}
			uri := strings.TrimSpace(*xe.URI)
			if !validGroupURI(uri) {
				return ACL{}, errorf(s3err.InvalidArgument, "Invalid group uri: "+uri)
			}
			g = Grantee{Type: typ, URI: uri}
		case granteeEmail:
			return ACL{}, errorf(s3err.UnresolvableGrantByEmailAddress, "The e-mail address you provided does not match any account on record.")
		default:
			return ACL{}, bad
		}
		acl.Grants = append(acl.Grants, Grant{Grantee: g, Permission: perm})
	}
	return acl, nil
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
