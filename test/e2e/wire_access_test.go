package e2e

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// wireError is an S3 <Error> with the extra elements AWS adds to ACL
// errors.
type wireError struct {
	Code              string `xml:"Code"`
	Message           string `xml:"Message"`
	ArgumentName      string `xml:"ArgumentName"`
	ArgumentValue     string `xml:"ArgumentValue"`
	MissingHeaderName string `xml:"MissingHeaderName"`
}

// wireACL is what GetBucketAcl/GetObjectAcl answer, grants in order.
type wireACL struct {
	Owner struct {
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Owner"`
	Grants []struct {
		ID          string `xml:"Grantee>ID"`
		DisplayName string `xml:"Grantee>DisplayName"`
		URI         string `xml:"Grantee>URI"`
		Permission  string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// TestWireAccess: ACL and bucket-policy answers as AWS gives them. Each
// row is one request against the real server; the comment on each row
// names where the expected answer comes from.
func TestWireAccess(t *testing.T) {
	bucket := makeBucket(t, alice, "wire-acc")
	putBytes(t, aliceSDK(), bucket, "k", []byte("k"))
	putBytes(t, aliceSDK(), bucket, "secret.txt", []byte("s"))
	for _, k := range []string{"epoch/a", "bob/a", "parn/a", "v2only/a"} {
		putBytes(t, aliceSDK(), bucket, k, []byte(k))
	}
	// Date* needs its own bucket: a server without Date operators refuses
	// the whole policy, and the other rows must fail there on their own.
	dated := makeBucket(t, alice, "wire-acc-date")
	putBytes(t, aliceSDK(), dated, "a", []byte("a"))
	putWirePolicy(t, dated, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*",
	   "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2999-01-01"}}}]}`)
	putWirePolicy(t, bucket, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/epoch/*",
	   "Condition":{"NumericGreaterThan":{"aws:EpochTime":1000000000}}},
	  {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/bob/*",
	   "Condition":{"StringEquals":{"aws:userid":"bob"}}},
	  {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/parn/*",
	   "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::b?b:*"}}},
	  {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/nogrant/*",
	   "Condition":{"Null":{"s3:x-amz-grant-read":"false"}}},
	  {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/nosse/*",
	   "Condition":{"Null":{"s3:x-amz-server-side-encryption":"false"}}},
	  {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/copies/*",
	   "Condition":{"StringLike":{"s3:x-amz-copy-source":"*/secret*"}}},
	  {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/v2only/*",
	   "Condition":{"StringEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}}]}`)

	acp := func(owner, grantee string) []byte {
		var b strings.Builder
		b.WriteString(`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		if owner != "" {
			b.WriteString(`<Owner><ID>` + owner + `</ID></Owner>`)
		}
		b.WriteString(`<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` +
			grantee + `</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
		return []byte(b.String())
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	putACL := func(path string, h http.Header, body []byte) rawReq {
		if h == nil {
			h = http.Header{}
		}
		if body != nil {
			h.Set("Content-Md5", base64.StdEncoding.EncodeToString(md5sum(body)))
		}
		return rawReq{Method: "PUT", Path: path, Query: url0("acl"), Header: h, Body: body, Creds: &alice}
	}
	bk, obj := "/"+bucket, "/"+bucket+"/k"
	get := func(key string, who *creds) rawReq {
		return rawReq{Method: "GET", Path: "/" + bucket + "/" + key, Creds: who}
	}
	put := func(key string, h http.Header) rawReq {
		return rawReq{Method: "PUT", Path: "/" + bucket + "/" + key, Header: h, Body: []byte("x"), Creds: &alice}
	}
	const malformedACL = "The XML you provided was not well-formed or did not validate against our published schema"

	rows := []struct {
		name   string
		req    rawReq
		status int
		// code "" expects a success; then elems/check look at the body.
		code, msg string
		elems     wireError // ArgumentName, ArgumentValue, MissingHeaderName when set
		check     func(t *testing.T, r rawResp)
	}{
		// ---- ACLs ----
		// localstack's AWS-validated snapshot put-bucket-grant-acl-wrong-id:
		// a header grant to an ID no account has.
		{name: "grant header to unknown id", req: putACL(bk, hdr("X-Amz-Grant-Read", `id="no-such-account"`), nil),
			status: 400, code: "InvalidArgument", msg: "Invalid id",
			elems: wireError{ArgumentName: "id", ArgumentValue: "no-such-account"}},
		// The same for an object's ACL (put-object-grant-acl-wrong-id).
		{name: "object grant header to unknown id", req: putACL(obj, hdr("X-Amz-Grant-Full-Control", `id=no-such-account`), nil),
			status: 400, code: "InvalidArgument", msg: "Invalid id",
			elems: wireError{ArgumentName: "id", ArgumentValue: "no-such-account"}},
		// Creating an object with such a grant fails the same way.
		{name: "PutObject grant to unknown id", req: put("unknown-grant", hdr("X-Amz-Grant-Read", `id="no-such-account"`)),
			status: 400, code: "InvalidArgument", msg: "Invalid id",
			elems: wireError{ArgumentName: "id", ArgumentValue: "no-such-account"}},
		// put-bucket-acp-acl-5 / ceph s3-tests test_bucket_acl_grant_nonexist_user:
		// a document grant to an unknown ID names CanonicalUser/ID.
		{name: "document grant to unknown id", req: putACL(bk, nil, acp("alice", "no-such-account")),
			status: 400, code: "InvalidArgument", msg: "Invalid id",
			elems: wireError{ArgumentName: "CanonicalUser/ID", ArgumentValue: "no-such-account"}},
		// put-bucket-acp-acl-3: an unknown Owner ID.
		{name: "document owner unknown", req: putACL(bk, nil, acp("wrong-id", "bob")),
			status: 400, code: "InvalidArgument", msg: "Invalid id",
			elems: wireError{ArgumentName: "CanonicalUser/ID", ArgumentValue: "wrong-id"}},
		// put-bucket-acp-acl-1 / put-object-acp-acl-1: no <Owner>.
		{name: "document without owner", req: putACL(bk, nil, acp("", "bob")),
			status: 400, code: "MalformedACLError", msg: malformedACL},
		{name: "object document without owner", req: putACL(obj, nil, acp("", "bob")),
			status: 400, code: "MalformedACLError", msg: malformedACL},
		// put-bucket-grant-acl-fake-key: the header that did not parse.
		{name: "grant header with unknown key", req: putACL(bk, hdr("X-Amz-Grant-Write", `fakekey="1234"`), nil),
			status: 400, code: "InvalidArgument", msg: "Argument format not recognized",
			elems: wireError{ArgumentName: "x-amz-grant-write", ArgumentValue: `fakekey="1234"`}},
		// put-bucket-grant-acl-fake-uri.
		{name: "grant header with unknown group", req: putACL(bk, hdr("X-Amz-Grant-Write", `uri="http://acs.amazonaws.com/groups/s3/FakeGroup"`), nil),
			status: 400, code: "InvalidArgument", msg: "Invalid group uri",
			elems: wireError{ArgumentName: "uri", ArgumentValue: "http://acs.amazonaws.com/groups/s3/FakeGroup"}},
		// put-bucket-empty: neither headers nor a document.
		{name: "PutBucketAcl without an ACL", req: putACL(bk, nil, nil),
			status: 400, code: "MissingSecurityHeader", msg: "Your request was missing a required header",
			elems: wireError{MissingHeaderName: "x-amz-acl"}},
		// put-bucket-two-type-acl-acp: a canned ACL and a document.
		{name: "PutBucketAcl with header and document", req: putACL(bk, hdr("X-Amz-Acl", "private"), acp("alice", "bob")),
			status: 400, code: "UnexpectedContent", msg: "This request does not support content"},
		// ceph s3-tests test_object_header_acl_grants: one grant per
		// x-amz-grant-* header, listed READ, WRITE, READ_ACP, WRITE_ACP,
		// FULL_CONTROL, each with the grantee's DisplayName.
		{name: "header grants order and display names", req: putACL(obj, hdr(
			"X-Amz-Grant-Full-Control", "id=bob", "X-Amz-Grant-Write-Acp", "id=bob", "X-Amz-Grant-Read-Acp", "id=bob",
			"X-Amz-Grant-Write", "id=bob", "X-Amz-Grant-Read", "id=bob"), nil),
			status: 200, check: func(t *testing.T, _ rawResp) {
				acl := getWireACL(t, obj)
				var got []string
				for _, g := range acl.Grants {
					got = append(got, g.ID+"/"+g.DisplayName+"/"+g.Permission)
				}
				want := "bob/bob/READ bob/bob/WRITE bob/bob/READ_ACP bob/bob/WRITE_ACP bob/bob/FULL_CONTROL"
				if strings.Join(got, " ") != want {
					t.Errorf("grants %q, want %q", strings.Join(got, " "), want)
				}
			}},
		// AWS's canned ACL table: log-delivery-write gives the LogDelivery
		// group WRITE and READ_ACP after the owner's FULL_CONTROL.
		{name: "canned log-delivery-write", req: putACL(bk, hdr("X-Amz-Acl", "log-delivery-write"), nil),
			status: 200, check: func(t *testing.T, _ rawResp) {
				acl := getWireACL(t, bk)
				var got []string
				for _, g := range acl.Grants {
					got = append(got, g.ID+g.URI+"/"+g.Permission)
				}
				want := "alice/FULL_CONTROL http://acs.amazonaws.com/groups/s3/LogDelivery/WRITE http://acs.amazonaws.com/groups/s3/LogDelivery/READ_ACP"
				if strings.Join(got, " ") != want {
					t.Errorf("grants %q, want %q", strings.Join(got, " "), want)
				}
			}},

		// ---- bucket policy conditions ----
		// IAM "Date condition operators" on aws:CurrentTime, with
		// "Principal": {"AWS": ["*"]} (everyone, anonymous included).
		{name: "Date* on aws:CurrentTime", req: rawReq{Method: "GET", Path: "/" + dated + "/a"}, status: 200},
		// IAM global keys: aws:EpochTime is the request time in seconds.
		{name: "aws:EpochTime", req: get("epoch/a", nil), status: 200},
		// aws:userid of an account's (root) request is the account ID.
		{name: "aws:userid", req: get("bob/a", &bob), status: 200},
		// aws:PrincipalArn of an account's request is its root user's ARN,
		// matched part by part by ArnLike (IAM "ARN condition operators").
		{name: "aws:PrincipalArn with ArnLike", req: get("parn/a", &bob), status: 200},
		// S3 condition keys: s3:x-amz-grant-read is the header's value;
		// a Deny binds the bucket owner too.
		{name: "s3:x-amz-grant-read", req: put("nogrant/a", hdr("X-Amz-Grant-Read", "id=bob")),
			status: 403, code: "AccessDenied", msg: "Access Denied"},
		// s3:x-amz-server-side-encryption (the Deny answers before the
		// feature's refusal).
		{name: "s3:x-amz-server-side-encryption", req: put("nosse/a", hdr("X-Amz-Server-Side-Encryption", "AES256")),
			status: 403, code: "AccessDenied", msg: "Access Denied"},
		// s3:x-amz-copy-source.
		{name: "s3:x-amz-copy-source", req: put("copies/a", hdr("X-Amz-Copy-Source", "/"+bucket+"/secret.txt")),
			status: 403, code: "AccessDenied", msg: "Access Denied"},
		// "Amazon S3 Signature Version 4 Authentication Specific Policy
		// Keys": s3:signatureversion is AWS4-HMAC-SHA256 for SigV4.
		{name: "s3:signatureversion", req: get("v2only/a", &alice), status: 403, code: "AccessDenied", msg: "Access Denied"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := doRaw(t, row.req)
			if r.Status != row.status {
				t.Fatalf("want HTTP %d, got %s", row.status, r)
			}
			if row.code != "" {
				var e wireError
				if err := xml.Unmarshal(r.Body, &e); err != nil {
					t.Fatalf("not an S3 error: %v: %s", err, r)
				}
				want := row.elems
				want.Code, want.Message = row.code, row.msg
				if e != want {
					t.Errorf("error\n%+v\nwant\n%+v", e, want)
				}
			}
			if row.check != nil {
				row.check(t, r)
			}
		})
	}
}

// putWirePolicy puts a policy (BUCKET filled in); an error is reported,
// not fatal, so the rows still run and show what fails.
func putWirePolicy(t *testing.T, bucket, doc string) {
	t.Helper()
	body := []byte(policyFor(bucket, doc))
	r := doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket, Query: url0("policy"), Body: body, Creds: &alice})
	if r.Status != 204 && r.Status != 200 {
		t.Errorf("PutBucketPolicy %s: %s", bucket, r)
	}
}

func getWireACL(t *testing.T, path string) wireACL {
	t.Helper()
	r := doRaw(t, rawReq{Method: "GET", Path: path, Query: url0("acl"), Creds: &alice})
	var acl wireACL
	if r.Status != 200 || xml.Unmarshal(r.Body, &acl) != nil {
		t.Fatalf("GetAcl %s: %s", path, r)
	}
	return acl
}
