package e2e

// Ownership controls and the public access block end to end (issue 16,
// "Also"): one bucket's settings driven step by step through raw signed
// requests as alice (the owner), bob (another account) and anonymous,
// then through aws-sdk-go-v2. The steps run in order (the bucket's state
// carries over); each cites where its expected answer comes from.

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ownStep is one request of the scenario and its expected answer.
type ownStep struct {
	name   string
	req    func() rawReq
	status int
	code   string
	// body, if set, must appear in the answer's body.
	body string
}

func runOwnSteps(t *testing.T, steps []ownStep) {
	t.Helper()
	for _, s := range steps {
		r := doRaw(t, s.req())
		if s.code != "" {
			if s.req().Method == "HEAD" {
				wantStatus(t, r, s.status)
			} else {
				e := wantXMLError(t, r, s.status, s.code)
				if e.Code != s.code {
					t.Errorf("step %q", s.name)
				}
			}
		} else if r.Status != s.status {
			t.Errorf("step %q: want HTTP %d, got %s", s.name, s.status, r)
		}
		if s.body != "" && !bytes.Contains(r.Body, []byte(s.body)) {
			t.Errorf("step %q: no %s in %s", s.name, s.body, r.Body)
		}
	}
}

func ownReq(method, bucket, key, subres string, c *creds, body string, hdr ...string) func() rawReq {
	return func() rawReq {
		h := http.Header{}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		p := "/" + bucket
		if key != "" {
			p = objPath(bucket, key)
		}
		var q url.Values
		if subres != "" {
			q = url.Values{subres: {""}}
		}
		return rawReq{Method: method, Path: p, Query: q, Header: h, Body: []byte(body), Creds: c}
	}
}

func ownershipXML(v string) string {
	return `<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>` + v + `</ObjectOwnership></Rule></OwnershipControls>`
}

func TestOwnershipControls(t *testing.T) {
	b := makeBucket(t, alice, "own")
	bobPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::` + b + `/*"}]}`
	steps := []ownStep{
		// A bucket created without x-amz-object-ownership has no ownership
		// controls here (this server's default; AWS's is
		// BucketOwnerEnforced): GetBucketOwnershipControls is
		// OwnershipControlsNotFoundError (API Reference; localstack) and
		// ACLs work.
		{name: "no controls", req: ownReq("GET", b, "", "ownershipControls", &alice, ""), status: 404, code: "OwnershipControlsNotFoundError"},
		{name: "ACLs work", req: ownReq("PUT", b, "old-public", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 200},
		{name: "anonymous reads the public object", req: ownReq("GET", b, "old-public", "", nil, ""), status: 200},
		{name: "bucket ACL public-read", req: ownReq("PUT", b, "", "acl", &alice, "", "X-Amz-Acl", "public-read"), status: 200},
		{name: "bob may not", req: ownReq("PUT", b, "", "ownershipControls", &bob, ownershipXML("BucketOwnerEnforced")), status: 403, code: "AccessDenied"},
		{name: "malformed", req: ownReq("PUT", b, "", "ownershipControls", &alice, ownershipXML("Nobody")), status: 400, code: "MalformedXML"},
		// A bucket ACL that grants to others must go before ACLs are
		// disabled (User Guide, "Prerequisites for disabling ACLs").
		{name: "enforce over a public bucket ACL", req: ownReq("PUT", b, "", "ownershipControls", &alice, ownershipXML("BucketOwnerEnforced")), status: 400, code: "InvalidBucketAclWithObjectOwnership"},
		{name: "bucket ACL private", req: ownReq("PUT", b, "", "acl", &alice, "", "X-Amz-Acl", "private"), status: 200},
		{name: "enforce", req: ownReq("PUT", b, "", "ownershipControls", &alice, ownershipXML("BucketOwnerEnforced")), status: 200},
		{name: "read back", req: ownReq("GET", b, "", "ownershipControls", &alice, ""), status: 200, body: "<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>"},
		// ACLs disabled: they grant nothing (the public object is no
		// longer public), a write that sets another ACL than the bucket
		// owner's full control is AccessControlListNotSupported, reading
		// ACLs still works (User Guide, "Disabling ACLs").
		{name: "the old public ACL grants nothing", req: ownReq("GET", b, "old-public", "", nil, ""), status: 403, code: "AccessDenied"},
		{name: "PutBucketAcl public-read", req: ownReq("PUT", b, "", "acl", &alice, "", "X-Amz-Acl", "public-read"), status: 400, code: "AccessControlListNotSupported"},
		{name: "PutBucketAcl bucket-owner-full-control", req: ownReq("PUT", b, "", "acl", &alice, "", "X-Amz-Acl", "bucket-owner-full-control"), status: 200},
		{name: "PutObject public-read", req: ownReq("PUT", b, "k", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 400, code: "AccessControlListNotSupported"},
		{name: "PutObjectAcl public-read", req: ownReq("PUT", b, "old-public", "acl", &alice, "", "X-Amz-Acl", "public-read"), status: 400, code: "AccessControlListNotSupported"},
		{name: "GetObjectAcl shows the owner's full control", req: ownReq("GET", b, "old-public", "acl", &alice, ""), status: 200, body: "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"},
		{name: "policy for bob", req: ownReq("PUT", b, "", "policy", &alice, bobPolicy), status: 204},
		{name: "bob's PUT with his own ACL", req: ownReq("PUT", b, "bob1", "", &bob, "x", "X-Amz-Acl", "private"), status: 400, code: "AccessControlListNotSupported"},
		{name: "bob's PUT with bucket-owner-full-control", req: ownReq("PUT", b, "bob2", "", &bob, "x", "X-Amz-Acl", "bucket-owner-full-control"), status: 200},
		{name: "bob's PUT without an ACL", req: ownReq("PUT", b, "bob3", "", &bob, "x"), status: 200},
		// Every object belongs to the bucket owner.
		{name: "bob's object is alice's", req: ownReq("GET", b, "bob3", "acl", &alice, ""), status: 200, body: "<Owner><ID>alice</ID>"},
		{name: "remove the controls", req: ownReq("DELETE", b, "", "ownershipControls", &alice, ""), status: 204},
		{name: "gone", req: ownReq("GET", b, "", "ownershipControls", &alice, ""), status: 404, code: "OwnershipControlsNotFoundError"},
		// BucketOwnerPreferred: bucket-owner-full-control hands the object
		// to the bucket owner; without it the writer keeps it (User Guide,
		// "Object Ownership settings").
		{name: "prefer", req: ownReq("PUT", b, "", "ownershipControls", &alice, ownershipXML("BucketOwnerPreferred")), status: 200},
		{name: "bob's PUT with bucket-owner-full-control (preferred)", req: ownReq("PUT", b, "bob4", "", &bob, "x", "X-Amz-Acl", "bucket-owner-full-control"), status: 200},
		{name: "bob4 is alice's", req: ownReq("GET", b, "bob4", "acl", &alice, ""), status: 200, body: "<Owner><ID>alice</ID>"},
		{name: "bob's PUT without an ACL (preferred)", req: ownReq("PUT", b, "bob5", "", &bob, "x"), status: 200},
		{name: "bob5 is bob's", req: ownReq("GET", b, "bob5", "acl", &alice, ""), status: 200, body: "<Owner><ID>bob</ID>"},
	}
	runOwnSteps(t, steps)

	// CreateBucket with x-amz-object-ownership (API Reference,
	// CreateBucket; versitygw CreateBucket_invalid_ownership and
	// CreateBucket_ownership_with_acl, run against S3).
	enforced, bad, withACL := newBucketName("owne"), newBucketName("ownb"), newBucketName("owna")
	runOwnSteps(t, []ownStep{
		{name: "create enforced", req: ownReq("PUT", enforced, "", "", &alice, "", "X-Amz-Object-Ownership", "BucketOwnerEnforced"), status: 200},
		{name: "its controls", req: ownReq("GET", enforced, "", "ownershipControls", &alice, ""), status: 200, body: "<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>"},
		{name: "its ACLs are off", req: ownReq("PUT", enforced, "k", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 400, code: "AccessControlListNotSupported"},
		{name: "an invalid value", req: ownReq("PUT", bad, "", "", &alice, "", "X-Amz-Object-Ownership", "invalid_ownership"), status: 400, code: "InvalidArgument",
			body: "<Message>Invalid x-amz-object-ownership header: invalid_ownership</Message>"},
		{name: "not created", req: ownReq("HEAD", bad, "", "", &alice, ""), status: 404, code: "NoSuchBucket"},
		{name: "enforced with a public ACL", req: ownReq("PUT", withACL, "", "", &alice, "", "X-Amz-Object-Ownership", "BucketOwnerEnforced", "X-Amz-Acl", "public-read"), status: 400, code: "InvalidBucketAclWithObjectOwnership"},
	})

	// aws-sdk-go-v2 reads and writes the same document.
	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		cl := aliceSDK()
		if _, err := cl.PutBucketOwnershipControls(ctxT(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}}); err != nil {
			t.Fatal(err)
		}
		out, err := cl.GetBucketOwnershipControls(ctxT(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
		if err != nil || len(out.OwnershipControls.Rules) != 1 || out.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipObjectWriter {
			t.Fatalf("%+v %v", out, err)
		}
		if _, err := cl.DeleteBucketOwnershipControls(ctxT(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		_, err = cl.GetBucketOwnershipControls(ctxT(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
		wantSDKError(t, err, 404, "OwnershipControlsNotFoundError")
	})
}

func pabXML(bpa, ipa, bpp, rpb bool) string {
	v := func(b bool) string {
		if b {
			return "true"
		}
		return "false"
	}
	return `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>` + v(bpa) +
		`</BlockPublicAcls><IgnorePublicAcls>` + v(ipa) + `</IgnorePublicAcls><BlockPublicPolicy>` + v(bpp) +
		`</BlockPublicPolicy><RestrictPublicBuckets>` + v(rpb) + `</RestrictPublicBuckets></PublicAccessBlockConfiguration>`
}

func TestPublicAccessBlock(t *testing.T) {
	b := makeBucket(t, alice, "pab")
	publicPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`
	bobPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`
	steps := []ownStep{
		// API Reference, GetPublicAccessBlock: none →
		// NoSuchPublicAccessBlockConfiguration; GetBucketPolicyStatus
		// without a policy → NoSuchBucketPolicy.
		{name: "no block", req: ownReq("GET", b, "", "publicAccessBlock", &alice, ""), status: 404, code: "NoSuchPublicAccessBlockConfiguration"},
		{name: "no policy status", req: ownReq("GET", b, "", "policyStatus", &alice, ""), status: 404, code: "NoSuchBucketPolicy"},
		{name: "a public object", req: ownReq("PUT", b, "pub", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 200},
		{name: "bob may not", req: ownReq("PUT", b, "", "publicAccessBlock", &bob, pabXML(true, false, false, false)), status: 403, code: "AccessDenied"},
		{name: "malformed", req: ownReq("PUT", b, "", "publicAccessBlock", &alice, "<PublicAccessBlockConfiguration>"), status: 400, code: "MalformedXML"},
		// BlockPublicAcls: public ACLs are refused with AccessDenied (User
		// Guide, "Block public access settings").
		{name: "BlockPublicAcls", req: ownReq("PUT", b, "", "publicAccessBlock", &alice, pabXML(true, false, false, false)), status: 200},
		{name: "read back", req: ownReq("GET", b, "", "publicAccessBlock", &alice, ""), status: 200,
			body: "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"},
		{name: "PutObject public-read", req: ownReq("PUT", b, "k", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 403, code: "AccessDenied"},
		{name: "PutObject authenticated-read", req: ownReq("PUT", b, "k", "", &alice, "x", "X-Amz-Acl", "authenticated-read"), status: 403, code: "AccessDenied"},
		{name: "PutObject with an AllUsers grant", req: ownReq("PUT", b, "k", "", &alice, "x", "X-Amz-Grant-Read", `uri="http://acs.amazonaws.com/groups/global/AllUsers"`), status: 403, code: "AccessDenied"},
		{name: "PutObject private", req: ownReq("PUT", b, "k", "", &alice, "x", "X-Amz-Acl", "private"), status: 200},
		{name: "PutBucketAcl public-read", req: ownReq("PUT", b, "", "acl", &alice, "", "X-Amz-Acl", "public-read"), status: 403, code: "AccessDenied"},
		{name: "CreateMultipartUpload public-read", req: ownReq("POST", b, "mp", "uploads", &alice, "", "X-Amz-Acl", "public-read"), status: 403, code: "AccessDenied"},
		// ... but existing public ACLs still grant (that is IgnorePublicAcls).
		{name: "the existing public object", req: ownReq("GET", b, "pub", "", nil, ""), status: 200},
		{name: "IgnorePublicAcls", req: ownReq("PUT", b, "", "publicAccessBlock", &alice, pabXML(false, true, false, false)), status: 200},
		{name: "public grants ignored", req: ownReq("GET", b, "pub", "", nil, ""), status: 403, code: "AccessDenied"},
		{name: "a public ACL may be set", req: ownReq("PUT", b, "pub2", "", &alice, "x", "X-Amz-Acl", "public-read"), status: 200},
		{name: "but grants nothing", req: ownReq("GET", b, "pub2", "", nil, ""), status: 403, code: "AccessDenied"},
		// BlockPublicPolicy: a public policy is refused, another is not;
		// policyStatus tells which (API Reference, GetBucketPolicyStatus).
		{name: "BlockPublicPolicy", req: ownReq("PUT", b, "", "publicAccessBlock", &alice, pabXML(false, false, true, false)), status: 200},
		{name: "a public policy", req: ownReq("PUT", b, "", "policy", &alice, publicPolicy), status: 403, code: "AccessDenied"},
		{name: "a policy for bob", req: ownReq("PUT", b, "", "policy", &alice, bobPolicy), status: 204},
		{name: "not public", req: ownReq("GET", b, "", "policyStatus", &alice, ""), status: 200, body: "<IsPublic>false</IsPublic>"},
		{name: "bob reads through it", req: ownReq("GET", b, "k", "", &bob, ""), status: 200},
		// RestrictPublicBuckets: with a public policy, only the owner's
		// account gets through it, bob's cross-account grant included
		// (PublicAccessBlockConfiguration, RestrictPublicBuckets).
		{name: "RestrictPublicBuckets", req: ownReq("PUT", b, "", "publicAccessBlock", &alice, pabXML(false, false, false, true)), status: 200},
		{name: "bob still reads (the policy is not public)", req: ownReq("GET", b, "k", "", &bob, ""), status: 200},
		{name: "a public policy now", req: ownReq("PUT", b, "", "policy", &alice, publicPolicy), status: 204},
		{name: "public", req: ownReq("GET", b, "", "policyStatus", &alice, ""), status: 200, body: "<IsPublic>true</IsPublic>"},
		{name: "anonymous is restricted", req: ownReq("GET", b, "k", "", nil, ""), status: 403, code: "AccessDenied"},
		{name: "so is bob", req: ownReq("GET", b, "k", "", &bob, ""), status: 403, code: "AccessDenied"},
		{name: "alice is not", req: ownReq("GET", b, "k", "", &alice, ""), status: 200},
		{name: "remove the block", req: ownReq("DELETE", b, "", "publicAccessBlock", &alice, ""), status: 204},
		{name: "anonymous reads through the policy", req: ownReq("GET", b, "k", "", nil, ""), status: 200},
		{name: "and the public ACL grants again", req: ownReq("GET", b, "pub", "", nil, ""), status: 200},
		{name: "no block again", req: ownReq("GET", b, "", "publicAccessBlock", &alice, ""), status: 404, code: "NoSuchPublicAccessBlockConfiguration"},
	}
	runOwnSteps(t, steps)

	// aws-sdk-go-v2: PutPublicAccessBlock, GetPublicAccessBlock,
	// GetBucketPolicyStatus.
	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		cl := aliceSDK()
		if _, err := cl.PutPublicAccessBlock(ctxT(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String(b),
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
			t.Fatal(err)
		}
		out, err := cl.GetPublicAccessBlock(ctxT(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		c := out.PublicAccessBlockConfiguration
		if !aws.ToBool(c.BlockPublicAcls) || aws.ToBool(c.IgnorePublicAcls) || aws.ToBool(c.BlockPublicPolicy) || !aws.ToBool(c.RestrictPublicBuckets) {
			t.Errorf("%+v", c)
		}
		st, err := cl.GetBucketPolicyStatus(ctxT(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b)})
		if err != nil || st.PolicyStatus == nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
			t.Errorf("%+v %v", st, err)
		}
		if _, err := cl.DeletePublicAccessBlock(ctxT(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		_, err = cl.GetPublicAccessBlock(ctxT(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String(b)})
		wantSDKError(t, err, 404, "NoSuchPublicAccessBlockConfiguration")
	})
}
