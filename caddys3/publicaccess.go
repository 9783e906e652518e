package caddys3

import (
	"encoding/json"
	"encoding/xml"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// The bucket's public access block (Amazon S3 User Guide, "Blocking
// public access to your Amazon S3 storage"; API Reference,
// PutPublicAccessBlock), enforced here:
//
//   - BlockPublicAcls: a PutBucketAcl, PutObjectAcl or object write
//     (PUT, POST, copy, CreateMultipartUpload) whose ACL is public is
//     AccessDenied.
//   - IgnorePublicAcls: public grants of the bucket's and objects' ACLs
//     grant nothing.
//   - BlockPublicPolicy: a PutBucketPolicy of a public policy is
//     AccessDenied.
//   - RestrictPublicBuckets: while the bucket's policy is public, its
//     Allow statements grant only to the bucket owner's account: public
//     and cross-account access through it are blocked.
//
// An ACL is public when it grants anything to AllUsers or
// AuthenticatedUsers; a policy as access.Policy.IsPublic says. The
// account-level and access-point blocks of AWS have no counterpart
// here.

type publicAccessBlock struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration" json:"-"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty" json:"-"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls" json:"bpa,omitempty"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls" json:"ipa,omitempty"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy" json:"bpp,omitempty"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets" json:"rpb,omitempty"`
}

// publicAccessOf is the bucket's block (all off when it has none, or when
// the stored one does not decode: a newer server wrote it).
func publicAccessOf(b *fsstore.BucketInfo) publicAccessBlock {
	var p publicAccessBlock
	if b != nil && len(b.PublicAccess) > 0 {
		_ = json.Unmarshal(b.PublicAccess, &p)
	}
	return p
}

func (h *Handler) getPublicAccessBlock(req *request) (*response, error) {
	if len(req.bucket.PublicAccess) == 0 {
		return nil, newError(s3err.NoSuchPublicAccessBlockConfiguration)
	}
	p := publicAccessOf(req.bucket)
	p.Xmlns = s3Namespace
	return xmlResponse(p)
}

func (h *Handler) putPublicAccessBlock(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "PublicAccessBlockConfiguration")
	if err != nil {
		return nil, err
	}
	var p publicAccessBlock
	if err := xml.Unmarshal(body, &p); err != nil {
		return nil, newError(s3err.MalformedXML).withCause(err)
	}
	enc, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return h.setBucketDoc(req, fsstore.BucketPublicAccess, enc)
}

func (h *Handler) deletePublicAccessBlock(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketPublicAccess)
}

type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket's policy is public
// (API Reference, GetBucketPolicyStatus); NoSuchBucketPolicy without one.
func (h *Handler) getBucketPolicyStatus(req *request) (*response, error) {
	if len(req.bucket.Policy) == 0 {
		return nil, newError(s3err.NoSuchBucketPolicy)
	}
	pol, err := h.policies.get(req.bucket.Name, req.bucket.Policy)
	if err != nil {
		return nil, err
	}
	return xmlResponse(policyStatus{Xmlns: s3Namespace, IsPublic: pol.IsPublic()})
}

// publicGrant reports whether a grant is public: to AllUsers or
// AuthenticatedUsers (User Guide, "The meaning of public": ACLs).
func publicGrant(g access.Grant) bool {
	return g.Grantee.URI == access.AllUsersURI || g.Grantee.URI == access.AuthenticatedUsersURI
}

// checkPublicACL refuses a public ACL in a bucket that blocks them.
func checkPublicACL(b *fsstore.BucketInfo, acl *access.ACL) error {
	if !publicAccessOf(b).BlockPublicAcls {
		return nil
	}
	for _, g := range acl.Grants {
		if publicGrant(g) {
			return newError(s3err.AccessDenied)
		}
	}
	return nil
}

// checkPublicPolicy refuses a public policy in a bucket that blocks
// them.
func checkPublicPolicy(b *fsstore.BucketInfo, pol *access.Policy) error {
	if publicAccessOf(b).BlockPublicPolicy && pol.IsPublic() {
		return newError(s3err.AccessDenied)
	}
	return nil
}

// policyRestricted reports whether the bucket's policy may not grant to
// the requester: RestrictPublicBuckets with a public policy, and a
// requester outside the bucket owner's account.
func policyRestricted(b *fsstore.BucketInfo, pol *access.Policy, who access.Requester) bool {
	return publicAccessOf(b).RestrictPublicBuckets && (who.Anonymous || who.ID != b.Owner) && pol.IsPublic()
}
