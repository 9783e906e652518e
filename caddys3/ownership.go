package caddys3

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Object Ownership (Amazon S3 User Guide, "Controlling ownership of
// objects and disabling ACLs for your bucket"; API Reference,
// PutBucketOwnershipControls):
//
//   - BucketOwnerEnforced: ACLs are disabled. They no longer grant
//     anything (only the owner, admins and the bucket policy decide), every
//     object written belongs to the bucket owner, and a write that sets an
//     ACL other than "the bucket owner has full control" (no ACL, the
//     bucket-owner-full-control canned ACL or an equivalent grant list) is
//     refused with AccessControlListNotSupported. Reading ACLs still works
//     and shows the bucket owner's full control.
//   - BucketOwnerPreferred: an object written with the
//     bucket-owner-full-control canned ACL belongs to the bucket owner.
//   - ObjectWriter: the writer owns what it writes (this server's
//     behaviour without ownership controls).
//
// AWS makes new buckets BucketOwnerEnforced by default (since April
// 2023). This server keeps the old default: a bucket created without
// x-amz-object-ownership has no ownership controls and its ACLs work, as
// the clients and tests written for it expect.
const (
	ownerEnforced  = "BucketOwnerEnforced"
	ownerPreferred = "BucketOwnerPreferred"
	objectWriter   = "ObjectWriter"
)

func validOwnership(v string) bool {
	return v == ownerEnforced || v == ownerPreferred || v == objectWriter
}

// aclsDisabled reports whether the bucket's ACLs are disabled.
func aclsDisabled(b *fsstore.BucketInfo) bool { return b != nil && b.Ownership == ownerEnforced }

type ownershipControls struct {
	XMLName xml.Name        `xml:"OwnershipControls"`
	Xmlns   string          `xml:"xmlns,attr,omitempty"`
	Rules   []ownershipRule `xml:"Rule"`
}

type ownershipRule struct {
	ObjectOwnership string `xml:"ObjectOwnership"`
}

func (h *Handler) getBucketOwnershipControls(req *request) (*response, error) {
	if req.bucket.Ownership == "" {
		return nil, newError(s3err.OwnershipControlsNotFoundError)
	}
	return xmlResponse(ownershipControls{Xmlns: s3Namespace, Rules: []ownershipRule{{ObjectOwnership: req.bucket.Ownership}}})
}

func (h *Handler) putBucketOwnershipControls(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "OwnershipControls")
	if err != nil {
		return nil, err
	}
	v, err := parseOwnershipControls(body)
	if err != nil {
		return nil, err
	}
	if v == ownerEnforced {
		// ACLs that grant to others must go first (User Guide,
		// "Prerequisites for disabling ACLs").
		acl, err := bucketACL(req.bucket)
		if err != nil {
			return nil, err
		}
		if !bucketOwnerFullControl(acl, req.bucket.Owner) {
			return nil, newError(s3err.InvalidBucketAclWithObjectOwnership)
		}
	}
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketOwnership, []byte(v)); err != nil {
		return nil, err
	}
	return ok()
}

// parseOwnershipControls reads an OwnershipControls document: exactly
// one Rule with one of the three ObjectOwnership values, else
// MalformedXML (the API Reference's schema; localstack
// put_bucket_ownership_controls, validated against AWS).
func parseOwnershipControls(body []byte) (string, error) {
	var doc ownershipControls
	if err := xml.Unmarshal(body, &doc); err != nil {
		return "", newError(s3err.MalformedXML).withCause(err)
	}
	if len(doc.Rules) != 1 || !validOwnership(strings.TrimSpace(doc.Rules[0].ObjectOwnership)) {
		return "", newError(s3err.MalformedXML)
	}
	return strings.TrimSpace(doc.Rules[0].ObjectOwnership), nil
}

func (h *Handler) deleteBucketOwnershipControls(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketOwnership)
}

// createOwnership reads CreateBucket's x-amz-object-ownership ("" for
// none) and checks the bucket's ACL (acl, as requestedACL encoded it)
// against it: BucketOwnerEnforced with an ACL that grants to anyone but
// the creator is InvalidBucketAclWithObjectOwnership (versitygw
// CreateBucket_ownership_with_acl, run against S3).
func createOwnership(hdr http.Header, acl []byte) (string, error) {
	v, ok := hdr["X-Amz-Object-Ownership"]
	if !ok {
		return "", nil
	}
	own := strings.TrimSpace(v[0])
	if !validOwnership(own) {
		return "", newTextError(s3err.OwnershipInvalid, own).withArgument("x-amz-object-ownership", own)
	}
	if own == ownerEnforced && setsACL(hdr) {
		var a access.ACL
		if err := json.Unmarshal(acl, &a); err != nil {
			return "", err
		}
		if !bucketOwnerFullControl(&a, a.OwnerID) {
			return "", newError(s3err.InvalidBucketAclWithObjectOwnership)
		}
	}
	return own, nil
}

// setsACL reports whether a write names an ACL (x-amz-acl or a grant
// header).
func setsACL(hdr http.Header) bool {
	for k := range hdr {
		if k == "X-Amz-Acl" || strings.HasPrefix(k, "X-Amz-Grant-") {
			return true
		}
	}
	return false
}

// bucketOwnerFullControl reports whether acl is the bucket-owner-full-
// control ACL or an equivalent form: the bucket owner has FULL_CONTROL
// and nobody but the bucket owner and the resource's owner has anything.
func bucketOwnerFullControl(acl *access.ACL, bucketOwner string) bool {
	full := false
	for _, g := range acl.Grants {
		id := g.Grantee.ID
		if g.Grantee.URI != "" || (id != bucketOwner && id != acl.OwnerID) || g.Permission != access.PermFullControl {
			return false
		}
		full = full || id == bucketOwner
	}
	return full
}

// ownObject applies the bucket's ownership controls and public access
// block to the owner and ACL stampOwner took from a write's request, and
// stores the ACL in m unless the bucket disables ACLs.
func (h *Handler) ownObject(req *request, m *fsstore.ObjectMeta, acl *access.ACL, hdr http.Header) (err error) {
	if b := req.bucket; b != nil {
		if err := checkPublicACL(b, acl); err != nil {
			return err
		}
		switch b.Ownership {
		case ownerEnforced:
			if setsACL(hdr) && !bucketOwnerFullControl(acl, b.Owner) {
				return newError(s3err.AccessControlListNotSupported)
			}
			m.Owner, m.ACL = b.Owner, nil // the bucket owner's, private
			return nil
		case ownerPreferred:
			if strings.TrimSpace(hdr.Get("X-Amz-Acl")) == "bucket-owner-full-control" && m.Owner != b.Owner {
				acl.OwnerID, acl.OwnerName = b.Owner, ""
				m.Owner = b.Owner
			}
		}
	}
	m.ACL, err = json.Marshal(acl)
	return err
}

// checkACLChange refuses a PutBucketAcl or PutObjectAcl that the bucket's
// ownership controls or public access block do not allow.
func checkACLChange(req *request, acl *access.ACL) error {
	if err := checkPublicACL(req.bucket, acl); err != nil {
		return err
	}
	if aclsDisabled(req.bucket) && !bucketOwnerFullControl(acl, req.bucket.Owner) {
		return newError(s3err.AccessControlListNotSupported)
	}
	return nil
}

// shownACL is the ACL GetBucketAcl and GetObjectAcl answer: with ACLs
// disabled, the bucket owner's full control (User Guide, "Disabling
// ACLs": reads of ACLs still work and show the bucket owner's full
// control).
func shownACL(b *fsstore.BucketInfo, acl *access.ACL) (*access.ACL, error) {
	if !aclsDisabled(b) {
		return acl, nil
	}
	c, err := access.Canned("private", b.Owner, "", b.Owner, "")
	return &c, err
}

// aclInForce is the part of acl that grants anything: nothing with ACLs
// disabled, no public grants under IgnorePublicAcls.
func aclInForce(b *fsstore.BucketInfo, acl *access.ACL) *access.ACL {
	if aclsDisabled(b) {
		return &access.ACL{}
	}
	if !publicAccessOf(b).IgnorePublicAcls {
		return acl
	}
	kept := &access.ACL{OwnerID: acl.OwnerID, OwnerName: acl.OwnerName}
	for _, g := range acl.Grants {
		if !publicGrant(g) {
			kept.Grants = append(kept.Grants, g)
		}
	}
	return kept
}
