package caddys3

// The whole authorization decision as one table: every operation of the
// operations table that reaches authorization × five principals × nineteen
// worlds (bucket ACLs, object ACLs, bucket policies), each answer written
// down by hand and checked through ServeHTTP on a temp-dir store.
//
// Principals (the columns of every expectation row, in this order):
//
//	alice  owns the bucket and the objects of the fixtures, except by-bob
//	bob    another account; wrote by-bob into alice's bucket, private
//	anon   an unsigned request
//	admin  listed in admin_accounts
//	ro     a read-only key of alice's account (CloudStack 4.23 key pair)
//
// An answer is "ok" (the operation's success: its status, e.g. 200 or
// 204; for DeleteObjects 200:DDDDD), an error code (AD AccessDenied 403,
// NSK NoSuchKey 404, NSBP NoSuchBucketPolicy 404) or, for DeleteObjects,
// "200:" with one letter for each of azDeleteKeys: D deleted, X refused
// with AccessDenied inside the 200.
//
// The world "private" (azBase) gives every row; each other world lists
// only the rows it changes. Writes run on fresh fixtures (see azRunOrder),
// and a refused write must leave its fixture as it was. Answers that
// differ from the table today are listed in azKnownBugs.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/access"
)

// azOpCase is one request shape of an operation, the rows of the tables.
type azOpCase struct {
	name  string
	op    Op
	needs azNeeds // what a write needs written first (reads share azNeedAll)
	ok    string  // the success answer: "200", "204", "200:DDDDD"
	build func(t *testing.T, f *azFixture, p *azPrincipal) azRequest
	// check, if set, looks further at a successful answer.
	check func(h *Handler, f *azFixture, p *azPrincipal, body string) string
	// rowsOf names the case whose rows this one shares; quiet: a quiet
	// DeleteObjects.
	rowsOf string
	quiet  bool
}

// rows is the name of the case's rows in the tables.
func (oc *azOpCase) rows() string {
	if oc.rowsOf != "" {
		return oc.rowsOf
	}
	return oc.name
}

func azReq(method, target string) azRequest { return azRequest{method: method, target: target} }

// azOpCases returns the request shapes, ListBuckets first (it reads every
// bucket record of the root).
func azOpCases() []*azOpCase {
	b := func(f *azFixture) string { return "/" + f.bucket }
	o := func(f *azFixture, key string) string { return "/" + f.bucket + "/" + key }
	simple := func(method, suffix string) func(*testing.T, *azFixture, *azPrincipal) azRequest {
		return func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq(method, b(f)+suffix) }
	}
	upload := func(f *azFixture, key, id string) string { return o(f, key) + "?uploadId=" + url.QueryEscape(id) }
	deleteBody := func(quiet bool) []byte {
		var s strings.Builder
		s.WriteString("<Delete>")
		if quiet {
			s.WriteString("<Quiet>true</Quiet>")
		}
		for _, k := range azDeleteKeys {
			s.WriteString("<Object><Key>" + k + "</Key></Object>")
		}
		s.WriteString("</Delete>")
		return []byte(s.String())
	}
	const bofc = "bucket-owner-full-control"
	return []*azOpCase{
		{name: "ListBuckets", op: OpListBuckets, ok: "200",
			build: func(*testing.T, *azFixture, *azPrincipal) azRequest { return azReq("GET", "/") },
			check: func(_ *Handler, f *azFixture, p *azPrincipal, body string) string {
				// Everyone sees their own buckets; the admin every bucket.
				for _, b := range []struct {
					name  string
					owner *azPrincipal
				}{{f.bucket, azAlice}, {f.bobs, azBob}} {
					shown := strings.Contains(body, "<Name>"+b.name+"</Name>")
					if want := p == azAdmin || p.id == b.owner.id; shown != want {
						return fmt.Sprintf("%s's bucket listed: %v", b.owner.name, shown)
					}
				}
				return ""
			}},
		{name: "CreateBucket", op: OpCreateBucket, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("PUT", "/"+f.fresh) }},
		{name: "HeadBucket", op: OpHeadBucket, ok: "200", build: simple("HEAD", "")},
		{name: "DeleteBucket", op: OpDeleteBucket, needs: azNeeds{empty: true}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("DELETE", "/"+f.empty) }},
		{name: "GetBucketLocation", op: OpGetBucketLocation, ok: "200", build: simple("GET", "?location")},
		{name: "GetBucketVersioning", op: OpGetBucketVersioning, ok: "200", build: simple("GET", "?versioning")},
		{name: "PutBucketVersioning", op: OpPutBucketVersioning, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?versioning")
				r.body = []byte(`<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>`)
				return r
			}},
		// s3:ListBucketVersions, granted by the bucket ACL's READ.
		{name: "ListObjectVersions", op: OpListObjectVersions, ok: "200", build: simple("GET", "?versions")},
		{name: "ListObjects", op: OpListObjects, ok: "200", build: simple("GET", ""),
			check: func(_ *Handler, _ *azFixture, _ *azPrincipal, body string) string {
				if !strings.Contains(body, "<Key>protected/obj</Key>") || !strings.Contains(body, "<Key>by-bob</Key>") {
					return "listing " + body
				}
				return ""
			}},
		{name: "ListObjectsV2", op: OpListObjectsV2, ok: "200", build: simple("GET", "?list-type=2&prefix=protected/"),
			check: func(_ *Handler, _ *azFixture, _ *azPrincipal, body string) string {
				if !strings.Contains(body, "<Key>protected/obj</Key>") || strings.Contains(body, "<Key>obj</Key>") {
					return "listing of protected/ " + body
				}
				return ""
			}},
		{name: "ListMultipartUploads", op: OpListMultipartUploads, ok: "200", build: simple("GET", "?uploads")},
		{name: "GetBucketAcl", op: OpGetBucketACL, ok: "200", build: simple("GET", "?acl")},
		{name: "PutBucketAcl", op: OpPutBucketACL, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", b(f)+"?acl").with("X-Amz-Acl", "private")
			}},
		{name: "GetBucketPolicy", op: OpGetBucketPolicy, ok: "200", build: simple("GET", "?policy")},
		{name: "PutBucketPolicy", op: OpPutBucketPolicy, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?policy")
				r.body = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + f.bucket + `/*"}]}`)
				return r
			}},
		{name: "DeleteBucketPolicy", op: OpDeleteBucketPolicy, ok: "204", build: simple("DELETE", "?policy")},
		{name: "GetBucketCors", op: OpGetBucketCORS, ok: "200", build: simple("GET", "?cors")},
		{name: "PutBucketCors", op: OpPutBucketCORS, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?cors")
				r.body = []byte(azCORSXML)
				return r.with("Content-Md5", contentMD5(r.body))
			}},
		{name: "DeleteBucketCors", op: OpDeleteBucketCORS, needs: azNeeds{cors: true}, ok: "204", build: simple("DELETE", "?cors")},
		{name: "GetBucketEncryption", op: OpGetBucketEncryption, ok: "200", build: simple("GET", "?encryption")},
		{name: "PutBucketEncryption", op: OpPutBucketEncryption, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?encryption")
				r.body = []byte(sseS3ConfigXML)
				return r
			}},
		{name: "DeleteBucketEncryption", op: OpDeleteBucketEncryption, ok: "204", build: simple("DELETE", "?encryption")},
		{name: "GetBucketTagging", op: OpGetBucketTagging, ok: "200", build: simple("GET", "?tagging")},
		{name: "PutBucketTagging", op: OpPutBucketTagging, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?tagging")
				r.body = []byte(`<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>`)
				return r.with("Content-Md5", contentMD5(r.body))
			}},
		{name: "DeleteBucketTagging", op: OpDeleteBucketTagging, ok: "204", build: simple("DELETE", "?tagging")},
		{name: "GetBucketLifecycle", op: OpGetBucketLifecycleConfiguration, ok: "200", build: simple("GET", "?lifecycle")},
		{name: "PutBucketLifecycle", op: OpPutBucketLifecycleConfiguration, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?lifecycle")
				r.body = []byte(`<LifecycleConfiguration><Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
				return r.with("Content-Md5", contentMD5(r.body))
			}},
		{name: "DeleteBucketLifecycle", op: OpDeleteBucketLifecycle, ok: "204", build: simple("DELETE", "?lifecycle")},
		{name: "GetBucketOwnershipControls", op: OpGetBucketOwnershipControls, ok: "200", build: simple("GET", "?ownershipControls")},
		{name: "PutBucketOwnershipControls", op: OpPutBucketOwnershipControls, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?ownershipControls")
				r.body = []byte(`<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`)
				return r
			}},
		{name: "DeleteBucketOwnershipControls", op: OpDeleteBucketOwnershipControls, ok: "204", build: simple("DELETE", "?ownershipControls")},
		{name: "GetPublicAccessBlock", op: OpGetPublicAccessBlock, ok: "200", build: simple("GET", "?publicAccessBlock")},
		{name: "PutPublicAccessBlock", op: OpPutPublicAccessBlock, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?publicAccessBlock")
				r.body = []byte(`<PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>`)
				return r
			}},
		{name: "DeletePublicAccessBlock", op: OpDeletePublicAccessBlock, ok: "204", build: simple("DELETE", "?publicAccessBlock")},
		{name: "GetBucketPolicyStatus", op: OpGetBucketPolicyStatus, ok: "200", build: simple("GET", "?policyStatus")},
		{name: "DeleteObjects", op: OpDeleteObjects, needs: azNeeds{objects: azObjectKeys}, ok: "200:DDDDD",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("POST", b(f)+"?delete")
				r.body = deleteBody(false)
				return r.with("Content-Md5", contentMD5(r.body))
			},
			check: deletedAsAnswered},
		{name: "DeleteObjects quiet", op: OpDeleteObjects, needs: azNeeds{objects: azObjectKeys}, ok: "200:DDDDD",
			rowsOf: "DeleteObjects", quiet: true,
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("POST", b(f)+"?delete")
				r.body = deleteBody(true)
				return r.with("Content-Md5", contentMD5(r.body))
			},
			check: deletedAsAnswered},
		{name: "PostObject", op: OpPostObject, ok: "204",
			build: func(t *testing.T, f *azFixture, p *azPrincipal) azRequest {
				return azPostForm(t, p, f.bucket, "posted")
			}},
		// The form's acl field and the x-amz-acl header ask for
		// bucket-owner-full-control.
		{name: "PostObject acl field", op: OpPostObject, ok: "204",
			build: func(t *testing.T, f *azFixture, p *azPrincipal) azRequest {
				return azPostForm(t, p, f.bucket, "posted", [2]string{"acl", bofc})
			}},
		{name: "GetObject", op: OpGetObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("GET", o(f, "obj")) },
			check: func(_ *Handler, _ *azFixture, _ *azPrincipal, body string) string {
				if body != "obj data" {
					return "body " + body
				}
				return ""
			}},
		// s3:GetObjectVersion, granted by the object ACL's READ, not by a
		// policy's s3:GetObject.
		{name: "GetObject versionId=null", op: OpGetObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "obj")+"?versionId=null")
			}},
		{name: "GetObject missing", op: OpGetObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("GET", o(f, "missing")) }},
		{name: "HeadObject", op: OpHeadObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("HEAD", o(f, "obj")) }},
		{name: "HeadObject missing", op: OpHeadObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("HEAD", o(f, "missing")) }},
		{name: "GetObjectAcl", op: OpGetObjectACL, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("GET", o(f, "obj")+"?acl") }},
		{name: "GetObjectAcl missing", op: OpGetObjectACL, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "missing")+"?acl")
			}},
		{name: "PutObjectAcl", op: OpPutObjectACL, needs: azNeeds{objects: []string{"obj"}}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", o(f, "obj")+"?acl").with("X-Amz-Acl", "private")
			}},
		{name: "PutObjectAcl missing", op: OpPutObjectACL, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", o(f, "missing")+"?acl").with("X-Amz-Acl", "private")
			}},
		// bob wrote by-bob into alice's bucket, private to himself.
		{name: "GetObject by-bob", op: OpGetObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("GET", o(f, "by-bob")) }},
		{name: "GetObjectAcl by-bob", op: OpGetObjectACL, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "by-bob")+"?acl")
			}},
		{name: "GetObjectTagging", op: OpGetObjectTagging, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "obj")+"?tagging")
			}},
		{name: "PutObjectTagging", op: OpPutObjectTagging, needs: azNeeds{objects: []string{"obj"}}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "obj")+"?tagging")
				r.body = []byte(`<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>`)
				return r.with("Content-Md5", contentMD5(r.body))
			}},
		{name: "DeleteObjectTagging", op: OpDeleteObjectTagging, needs: azNeeds{objects: []string{"obj"}}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("DELETE", o(f, "obj")+"?tagging")
			}},
		// The same ACL permission (READ) as GetObjectTagging.
		{name: "GetObjectAttributes", op: OpGetObjectAttributes, ok: "200", rowsOf: "GetObjectTagging",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "obj")+"?attributes").with("X-Amz-Object-Attributes", "ETag")
			}},
		{name: "PutObject", op: OpPutObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "new"))
				r.body = []byte("new data")
				return r
			}},
		{name: "PutObject x-amz-acl", op: OpPutObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "new"))
				r.body = []byte("new data")
				return r.with("X-Amz-Acl", bofc)
			}},
		{name: "PutObject x-amz-tagging", op: OpPutObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "new"))
				r.body = []byte("new data")
				return r.with("X-Amz-Tagging", "team=blue&env=dev")
			}},
		{name: "DeleteObject", op: OpDeleteObject, needs: azNeeds{objects: []string{"obj"}}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("DELETE", o(f, "obj")) }},
		// s3:DeleteObjectVersion, granted by the bucket ACL's WRITE.
		{name: "DeleteObject versionId=null", op: OpDeleteObject, needs: azNeeds{objects: []string{"obj"}}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("DELETE", o(f, "obj")+"?versionId=null")
			}},
		{name: "DeleteObject protected/obj", op: OpDeleteObject, needs: azNeeds{objects: []string{"protected/obj"}}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("DELETE", o(f, "protected/obj"))
			}},
		{name: "DeleteObject bob/obj", op: OpDeleteObject, needs: azNeeds{objects: []string{"bob/obj"}}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest { return azReq("DELETE", o(f, "bob/obj")) }},
		// The copy source is in alice's authenticated-read bucket: pub is
		// public-read, priv private.
		{name: "CopyObject", op: OpCopyObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", o(f, "copy")).with("X-Amz-Copy-Source", "/"+f.source+"/pub")
			}},
		{name: "CopyObject private source", op: OpCopyObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", o(f, "copy")).with("X-Amz-Copy-Source", "/"+f.source+"/priv")
			}},
		{name: "CopyObject missing source", op: OpCopyObject, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", o(f, "copy")).with("X-Amz-Copy-Source", "/"+f.source+"/missing")
			}},
		{name: "CreateMultipartUpload", op: OpCreateMultipartUpload, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("POST", o(f, "mp-new")+"?uploads")
			}},
		// UploadPart, UploadPartCopy, Complete and Abort use alice's upload.
		{name: "UploadPart", op: OpUploadPart, needs: azNeeds{upload: true}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", upload(f, "mp/alice", f.aliceUpload)+"&partNumber=2")
				r.body = []byte("part two")
				return r
			}},
		{name: "UploadPartCopy", op: OpUploadPartCopy, needs: azNeeds{upload: true}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", upload(f, "mp/alice", f.aliceUpload)+"&partNumber=2").with("X-Amz-Copy-Source", "/"+f.source+"/pub")
			}},
		{name: "UploadPartCopy private source", op: OpUploadPartCopy, needs: azNeeds{upload: true}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("PUT", upload(f, "mp/alice", f.aliceUpload)+"&partNumber=2").with("X-Amz-Copy-Source", "/"+f.source+"/priv")
			}},
		{name: "CompleteMultipartUpload", op: OpCompleteMultipartUpload, needs: azNeeds{upload: true}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("POST", upload(f, "mp/alice", f.aliceUpload))
				r.body = completeBody(quoteETag(f.partETag))
				return r
			}},
		{name: "AbortMultipartUpload", op: OpAbortMultipartUpload, needs: azNeeds{upload: true}, ok: "204",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("DELETE", upload(f, "mp/alice", f.aliceUpload))
			}},
		{name: "ListParts", op: OpListParts, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", upload(f, "mp/alice", f.aliceUpload))
			}},
		// bob started this upload in alice's bucket: the initiator may
		// list its parts.
		{name: "ListParts bob's upload", op: OpListParts, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", upload(f, "mp/bob", f.bobUpload))
			}},
		// Object lock (objectlock.go): the fixture bucket has no lock, so
		// an authorized request gets the answer of a bucket without it.
		{name: "GetObjectLockConfiguration", op: OpGetObjectLockConfiguration, ok: "200", build: simple("GET", "?object-lock")},
		{name: "PutObjectLockConfiguration", op: OpPutObjectLockConfiguration, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", b(f)+"?object-lock")
				r.body = []byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`)
				return r
			}},
		{name: "GetObjectRetention", op: OpGetObjectRetention, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "obj")+"?retention")
			}},
		{name: "PutObjectRetention", op: OpPutObjectRetention, needs: azNeeds{objects: []string{"obj"}}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "obj")+"?retention")
				r.body = []byte(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>`)
				return r
			}},
		{name: "GetObjectLegalHold", op: OpGetObjectLegalHold, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				return azReq("GET", o(f, "obj")+"?legal-hold")
			}},
		{name: "PutObjectLegalHold", op: OpPutObjectLegalHold, needs: azNeeds{objects: []string{"obj"}}, ok: "200",
			build: func(_ *testing.T, f *azFixture, _ *azPrincipal) azRequest {
				r := azReq("PUT", o(f, "obj")+"?legal-hold")
				r.body = []byte(`<LegalHold><Status>ON</Status></LegalHold>`)
				return r
			}},
	}
}

// deletedAsAnswered checks a DeleteObjects answer against the store: the
// keys it refused are still there, the others are gone.
func deletedAsAnswered(h *Handler, f *azFixture, _ *azPrincipal, body string) string {
	for _, k := range azObjectKeys {
		refused := strings.Contains(body, "<Key>"+k+"</Key><Code>")
		_, err := h.store.HeadObject(context.Background(), f.bucket, k)
		if exists := err == nil; exists != refused {
			return fmt.Sprintf("%s refused %v, still there %v", k, refused, exists)
		}
	}
	return ""
}

// azBase is the world "private": alice's private bucket, her private
// objects, no policy. Columns: alice bob anon admin ro.
var azBase = map[string]string{
	"ListBuckets":                   "ok ok AD ok ok",
	"CreateBucket":                  "ok ok AD ok AD",
	"HeadBucket":                    "ok AD AD ok ok",
	"DeleteBucket":                  "ok AD AD ok AD",
	"GetBucketLocation":             "ok AD AD ok ok",
	"GetBucketVersioning":           "ok AD AD ok ok",
	"PutBucketVersioning":           "ok AD AD ok AD",
	"ListObjects":                   "ok AD AD ok ok",
	"ListObjectVersions":            "ok AD AD ok ok",
	"ListObjectsV2":                 "ok AD AD ok ok",
	"ListMultipartUploads":          "ok AD AD ok ok",
	"GetBucketAcl":                  "ok AD AD ok ok",
	"PutBucketAcl":                  "ok AD AD ok AD",
	"GetBucketPolicy":               "NSBP AD AD NSBP NSBP",
	"PutBucketPolicy":               "ok AD AD ok AD",
	"DeleteBucketPolicy":            "ok AD AD ok AD",
	"GetBucketCors":                 "ok AD AD ok ok",
	"PutBucketCors":                 "ok AD AD ok AD",
	"DeleteBucketCors":              "ok AD AD ok AD",
	"GetBucketEncryption":           "SSECNF AD AD SSECNF SSECNF",
	"PutBucketEncryption":           "ok AD AD ok AD",
	"DeleteBucketEncryption":        "ok AD AD ok AD",
	"GetBucketTagging":              "NSTS AD AD NSTS NSTS",
	"PutBucketTagging":              "ok AD AD ok AD",
	"DeleteBucketTagging":           "ok AD AD ok AD",
	"GetBucketLifecycle":            "NSLC AD AD NSLC NSLC",
	"PutBucketLifecycle":            "ok AD AD ok AD",
	"DeleteBucketLifecycle":         "ok AD AD ok AD",
	"GetBucketOwnershipControls":    "OCNF AD AD OCNF OCNF",
	"PutBucketOwnershipControls":    "ok AD AD ok AD",
	"DeleteBucketOwnershipControls": "ok AD AD ok AD",
	"GetPublicAccessBlock":          "NPAB AD AD NPAB NPAB",
	"PutPublicAccessBlock":          "ok AD AD ok AD",
	"DeletePublicAccessBlock":       "ok AD AD ok AD",
	"GetBucketPolicyStatus":         "NSBP AD AD NSBP NSBP",
	"DeleteObjects":                 "ok AD AD ok AD",
	"PostObject":                    "ok AD AD ok AD",
	"PostObject acl field":          "ok AD AD ok AD",
	"GetObject":                     "ok AD AD ok ok",
	"GetObject versionId=null":      "ok AD AD ok ok",
	"GetObject missing":             "NSK AD AD NSK NSK",
	"HeadObject":                    "ok AD AD ok ok",
	"HeadObject missing":            "NSK AD AD NSK NSK",
	"GetObjectAcl":                  "ok AD AD ok ok",
	"GetObjectAcl missing":          "NSK AD AD NSK NSK",
	"GetObject by-bob":              "ok ok AD ok ok",
	"GetObjectAcl by-bob":           "ok ok AD ok ok",
	"PutObjectAcl":                  "ok AD AD ok AD",
	"PutObjectAcl missing":          "NSK AD AD NSK AD",
	"GetObjectTagging":              "ok AD AD ok ok",
	"PutObjectTagging":              "ok AD AD ok AD",
	"DeleteObjectTagging":           "ok AD AD ok AD",
	"PutObject":                     "ok AD AD ok AD",
	"PutObject x-amz-acl":           "ok AD AD ok AD",
	"PutObject x-amz-tagging":       "ok AD AD ok AD",
	"DeleteObject":                  "ok AD AD ok AD",
	"DeleteObject versionId=null":   "ok AD AD ok AD",
	"DeleteObject protected/obj":    "ok AD AD ok AD",
	"DeleteObject bob/obj":          "ok AD AD ok AD",
	"CopyObject":                    "ok AD AD ok AD",
	"CopyObject private source":     "ok AD AD ok AD",
	"CopyObject missing source":     "NSK AD AD NSK AD",
	"CreateMultipartUpload":         "ok AD AD ok AD",
	"UploadPart":                    "ok AD AD ok AD",
	"UploadPartCopy":                "ok AD AD ok AD",
	"UploadPartCopy private source": "ok AD AD ok AD",
	"CompleteMultipartUpload":       "ok AD AD ok AD",
	"AbortMultipartUpload":          "ok AD AD ok AD",
	"ListParts":                     "ok AD AD ok ok",
	"ListParts bob's upload":        "ok ok AD ok ok",
	"GetObjectLockConfiguration":    "OLNF AD AD OLNF OLNF",
	"PutObjectLockConfiguration":    "IBS AD AD IBS AD",
	"GetObjectRetention":            "IR AD AD IR IR",
	"PutObjectRetention":            "IR AD AD IR AD",
	"GetObjectLegalHold":            "IR AD AD IR IR",
	"PutObjectLegalHold":            "IR AD AD IR AD",
}

// azWorld is a column of worlds: what alice's bucket and objects grant.
type azWorld struct {
	name string
	// bucketACL and objectACL are grants besides alice's FULL_CONTROL.
	bucketACL, objectACL []access.Grant
	// policy is the bucket policy, BUCKET standing for the bucket's name.
	policy string
	// changes are the rows that differ from azBase.
	changes map[string]string
}

// Change sets that several worlds share, written out once.
var (
	// The bucket ACL lets everyone list: missing keys show as NoSuchKey.
	azEveryoneLists = map[string]string{
		"HeadBucket":             "ok ok ok ok ok",
		"ListObjects":            "ok ok ok ok ok",
		"ListObjectVersions":     "ok ok ok ok ok",
		"ListObjectsV2":          "ok ok ok ok ok",
		"ListMultipartUploads":   "ok ok ok ok ok",
		"ListParts":              "ok ok ok ok ok",
		"ListParts bob's upload": "ok ok ok ok ok",
		"GetObject missing":      "NSK NSK NSK NSK NSK",
		"HeadObject missing":     "NSK NSK NSK NSK NSK",
		"GetObjectAcl missing":   "NSK NSK NSK NSK NSK",
		"PutObjectAcl missing":   "NSK NSK NSK NSK AD",
	}
	// The bucket ACL lets everyone write objects (not the ACLs, not the
	// bucket's configuration); copying still needs read access to the
	// source.
	azEveryoneWrites = map[string]string{
		"DeleteObjects":               "ok ok ok ok AD",
		"PostObject":                  "ok ok ok ok AD",
		"PostObject acl field":        "ok ok ok ok AD",
		"PutObject":                   "ok ok ok ok AD",
		"PutObject x-amz-acl":         "ok ok ok ok AD",
		"PutObject x-amz-tagging":     "ok ok ok ok AD",
		"DeleteObject":                "ok ok ok ok AD",
		"DeleteObject versionId=null": "ok ok ok ok AD",
		"DeleteObject protected/obj":  "ok ok ok ok AD",
		"DeleteObject bob/obj":        "ok ok ok ok AD",
		"CopyObject":                  "ok ok ok ok AD",
		"CopyObject missing source":   "NSK NSK AD NSK AD", // bob may list the source bucket, anon may not
		"CreateMultipartUpload":       "ok ok ok ok AD",
		"UploadPart":                  "ok ok ok ok AD",
		"UploadPartCopy":              "ok ok ok ok AD",
		"CompleteMultipartUpload":     "ok ok ok ok AD",
		"AbortMultipartUpload":        "ok ok ok ok AD",
	}
	// The bucket ACL lets bob (every authenticated account) list.
	azBobLists = map[string]string{
		"HeadBucket":           "ok ok AD ok ok",
		"ListObjects":          "ok ok AD ok ok",
		"ListObjectVersions":   "ok ok AD ok ok",
		"ListObjectsV2":        "ok ok AD ok ok",
		"ListMultipartUploads": "ok ok AD ok ok",
		"ListParts":            "ok ok AD ok ok",
		"GetObject missing":    "NSK NSK AD NSK NSK",
		"HeadObject missing":   "NSK NSK AD NSK NSK",
		"GetObjectAcl missing": "NSK NSK AD NSK NSK",
		"PutObjectAcl missing": "NSK NSK AD NSK AD",
	}
	// The bucket ACL lets bob write objects.
	azBobWrites = map[string]string{
		"DeleteObjects":               "ok ok AD ok AD",
		"PostObject":                  "ok ok AD ok AD",
		"PostObject acl field":        "ok ok AD ok AD",
		"PutObject":                   "ok ok AD ok AD",
		"PutObject x-amz-acl":         "ok ok AD ok AD",
		"PutObject x-amz-tagging":     "ok ok AD ok AD",
		"DeleteObject":                "ok ok AD ok AD",
		"DeleteObject versionId=null": "ok ok AD ok AD",
		"DeleteObject protected/obj":  "ok ok AD ok AD",
		"DeleteObject bob/obj":        "ok ok AD ok AD",
		"CopyObject":                  "ok ok AD ok AD",
		"CopyObject missing source":   "NSK NSK AD NSK AD",
		"CreateMultipartUpload":       "ok ok AD ok AD",
		"UploadPart":                  "ok ok AD ok AD",
		"UploadPartCopy":              "ok ok AD ok AD",
		"CompleteMultipartUpload":     "ok ok AD ok AD",
		"AbortMultipartUpload":        "ok ok AD ok AD",
	}
	// Any bucket policy: alice (and her read-only key) can read it, and
	// DeleteObjects decides key by key, refusing each key inside a 200.
	azSomePolicy = map[string]string{
		"GetBucketPolicy":       "ok AD AD ok ok",
		"GetBucketPolicyStatus": "ok AD AD ok ok",
		"DeleteObjects":         "ok 200:XXXXX 200:XXXXX ok AD",
	}
)

// azMerge joins change sets; later ones win.
func azMerge(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

const (
	azAllUsers  = access.AllUsersURI
	azAuthUsers = access.AuthenticatedUsersURI
)

var azWorlds = []*azWorld{
	{name: "private", changes: map[string]string{}},
	{name: "bucket public-read",
		bucketACL: []access.Grant{azGroupGrant(azAllUsers, access.PermRead)},
		changes:   azEveryoneLists},
	{name: "bucket public-read-write",
		bucketACL: []access.Grant{azGroupGrant(azAllUsers, access.PermRead), azGroupGrant(azAllUsers, access.PermWrite)},
		changes:   azMerge(azEveryoneLists, azEveryoneWrites)},
	{name: "bucket authenticated-read",
		bucketACL: []access.Grant{azGroupGrant(azAuthUsers, access.PermRead)},
		changes:   azBobLists},
	{name: "bucket grants bob READ",
		bucketACL: []access.Grant{azUserGrant("bob", access.PermRead)},
		changes:   azBobLists},
	{name: "bucket grants bob WRITE",
		bucketACL: []access.Grant{azUserGrant("bob", access.PermWrite)},
		changes:   azBobWrites},
	{name: "bucket grants bob READ_ACP",
		bucketACL: []access.Grant{azUserGrant("bob", access.PermReadACP)},
		changes:   map[string]string{"GetBucketAcl": "ok ok AD ok ok"}},
	{name: "bucket grants bob WRITE_ACP",
		bucketACL: []access.Grant{azUserGrant("bob", access.PermWriteACP)},
		changes:   map[string]string{"PutBucketAcl": "ok ok AD ok AD"}},
	{name: "bucket grants bob FULL_CONTROL",
		bucketACL: []access.Grant{azUserGrant("bob", access.PermFullControl)},
		// Everything the ACL can grant; not the objects (their own ACL
		// decides), not the bucket's configuration.
		changes: azMerge(azBobLists, azBobWrites, map[string]string{
			"GetBucketAcl": "ok ok AD ok ok",
			"PutBucketAcl": "ok ok AD ok AD",
		})},
	{name: "objects public-read",
		objectACL: []access.Grant{azGroupGrant(azAllUsers, access.PermRead)},
		changes: map[string]string{
			"GetObject":                "ok ok ok ok ok",
			"GetObject versionId=null": "ok ok ok ok ok",
			"HeadObject":               "ok ok ok ok ok",
			"GetObjectTagging":         "ok ok ok ok ok",
		}},
	{name: "objects grant bob READ",
		objectACL: []access.Grant{azUserGrant("bob", access.PermRead)},
		changes: map[string]string{
			"GetObject":                "ok ok AD ok ok",
			"GetObject versionId=null": "ok ok AD ok ok",
			"HeadObject":               "ok ok AD ok ok",
			"GetObjectTagging":         "ok ok AD ok ok",
		}},
	{name: "objects grant bob FULL_CONTROL",
		objectACL: []access.Grant{azUserGrant("bob", access.PermFullControl)},
		changes: map[string]string{
			"GetObject":                "ok ok AD ok ok",
			"GetObject versionId=null": "ok ok AD ok ok",
			"HeadObject":               "ok ok AD ok ok",
			"GetObjectTagging":         "ok ok AD ok ok",
			"GetObjectAcl":             "ok ok AD ok ok",
			"PutObjectAcl":             "ok ok AD ok AD",
		}},
	{name: "policy Allow bob s3:GetObject",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`,
		// GetObject is not ListBucket: a missing key stays hidden.
		changes: azMerge(azSomePolicy, map[string]string{
			"GetObject":  "ok ok AD ok ok",
			"HeadObject": "ok ok AD ok ok",
		})},
	{name: "policy CloudStack public",
		policy: `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":{"AWS":["*"]},` +
			`"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`,
		// World-readable and nothing more: not the uploads, not the ACLs,
		// not writing.
		changes: azMerge(azSomePolicy, map[string]string{
			"HeadBucket":           "ok ok ok ok ok",
			"ListObjects":          "ok ok ok ok ok",
			"ListObjectsV2":        "ok ok ok ok ok",
			"GetBucketLocation":    "ok ok ok ok ok",
			"GetObject":            "ok ok ok ok ok",
			"HeadObject":           "ok ok ok ok ok",
			"GetObject by-bob":     "ok ok ok ok ok",
			"GetObject missing":    "NSK NSK NSK NSK NSK",
			"HeadObject missing":   "NSK NSK NSK NSK NSK",
			"GetObjectAcl missing": "NSK NSK NSK NSK NSK",
			"PutObjectAcl missing": "NSK NSK NSK NSK AD",
		})},
	{name: "public-read-write with policy Deny s3:DeleteObject on protected/*",
		bucketACL: []access.Grant{azGroupGrant(azAllUsers, access.PermRead), azGroupGrant(azAllUsers, access.PermWrite)},
		policy:    `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::BUCKET/protected/*"}]}`,
		// The Deny wins over the AllUsers WRITE grant and over the owner.
		changes: azMerge(azEveryoneLists, azEveryoneWrites, azSomePolicy, map[string]string{
			"DeleteObject protected/obj": "AD AD AD ok AD",
			"DeleteObjects":              "200:DDDDX 200:DDDDX 200:DDDDX ok AD",
		})},
	{name: "policy Allow bob s3:DeleteObject on bob/*",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::BUCKET/bob/*"}]}`,
		changes: azMerge(azSomePolicy, map[string]string{
			"DeleteObject bob/obj": "ok ok AD ok AD",
			"DeleteObjects":        "ok 200:DDXXX 200:XXXXX ok AD",
		})},
	{name: "policy Deny the owner s3:GetBucketPolicy and s3:GetBucketAcl",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["alice"]},"Action":["s3:GetBucketPolicy","s3:GetBucketAcl"],"Resource":"arn:aws:s3:::BUCKET"}]}`,
		// The owner keeps its policy, not the rest.
		changes: azMerge(azSomePolicy, map[string]string{
			"GetBucketAcl": "AD AD AD ok AD",
		})},
	{name: "policy Allow bob s3:PutObject with x-amz-acl bucket-owner-full-control",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",` +
			`"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`,
		changes: azMerge(azSomePolicy, map[string]string{
			"PutObject x-amz-acl":  "ok ok AD ok AD",
			"PostObject acl field": "ok ok AD ok AD",
		})},
	// The tag condition keys ("Condition keys for Amazon S3"; tagging.go):
	// the tags a write asks for, and those of the object a request reads
	// (alice's obj has Class=public, azObjectTags).
	{name: "policy Allow bob s3:PutObject with s3:RequestObjectTag/team blue",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",` +
			`"Condition":{"StringEquals":{"s3:RequestObjectTag/team":"blue"}}}]}`,
		changes: azMerge(azSomePolicy, map[string]string{
			"PutObject x-amz-tagging": "ok ok AD ok AD",
		})},
	{name: "policy Allow bob s3:PutObjectTagging with ForAllValues s3:RequestObjectTagKeys team, env",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:PutObjectTagging","s3:PutObject"],"Resource":"arn:aws:s3:::BUCKET/*",` +
			`"Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]},"Null":{"s3:RequestObjectTagKeys":"false"}}}]}`,
		changes: azMerge(azSomePolicy, map[string]string{
			"PutObjectTagging":        "ok ok AD ok AD",
			"PutObject x-amz-tagging": "ok ok AD ok AD",
		})},
	{name: "public-read-write with policy Deny bob s3:PutObject with ForAnyValue s3:RequestObjectTagKeys env",
		bucketACL: []access.Grant{azGroupGrant(azAllUsers, access.PermRead), azGroupGrant(azAllUsers, access.PermWrite)},
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["bob"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",` +
			`"Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["env"]}}}]}`,
		// Only bob's tagged write names env.
		changes: azMerge(azEveryoneLists, azEveryoneWrites, azSomePolicy, map[string]string{
			"DeleteObjects":           "ok ok ok ok AD",
			"PutObject x-amz-tagging": "ok AD ok ok AD",
		})},
	{name: "policy Allow anyone s3:GetObject with s3:ExistingObjectTag/Class public",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*",` +
			`"Condition":{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}}]}`,
		// obj is tagged, by-bob and missing keys are not.
		changes: azMerge(azSomePolicy, map[string]string{
			"GetObject":  "ok ok ok ok ok",
			"HeadObject": "ok ok ok ok ok",
		})},
	{name: "policy Deny everyone s3:*",
		policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`,
		// Only the admin gets in; the owner keeps its policy.
		changes: map[string]string{
			"HeadBucket":                    "AD AD AD ok AD",
			"DeleteBucket":                  "AD AD AD ok AD",
			"GetBucketLocation":             "AD AD AD ok AD",
			"GetBucketVersioning":           "AD AD AD ok AD",
			"PutBucketVersioning":           "AD AD AD ok AD",
			"ListObjects":                   "AD AD AD ok AD",
			"ListObjectVersions":            "AD AD AD ok AD",
			"ListObjectsV2":                 "AD AD AD ok AD",
			"ListMultipartUploads":          "AD AD AD ok AD",
			"GetBucketAcl":                  "AD AD AD ok AD",
			"PutBucketAcl":                  "AD AD AD ok AD",
			"GetBucketPolicy":               "ok AD AD ok ok",
			"GetBucketCors":                 "AD AD AD ok AD",
			"PutBucketCors":                 "AD AD AD ok AD",
			"DeleteBucketCors":              "AD AD AD ok AD",
			"GetBucketEncryption":           "AD AD AD SSECNF AD",
			"PutBucketEncryption":           "AD AD AD ok AD",
			"DeleteBucketEncryption":        "AD AD AD ok AD",
			"GetBucketOwnershipControls":    "AD AD AD OCNF AD",
			"PutBucketOwnershipControls":    "AD AD AD ok AD",
			"DeleteBucketOwnershipControls": "AD AD AD ok AD",
			"GetPublicAccessBlock":          "AD AD AD NPAB AD",
			"PutPublicAccessBlock":          "AD AD AD ok AD",
			"DeletePublicAccessBlock":       "AD AD AD ok AD",
			"GetBucketPolicyStatus":         "AD AD AD ok AD",
			"DeleteObjects":                 "200:XXXXX 200:XXXXX 200:XXXXX ok AD",
			"PostObject":                    "AD AD AD ok AD",
			"PostObject acl field":          "AD AD AD ok AD",
			"GetObject":                     "AD AD AD ok AD",
			"GetObject versionId=null":      "AD AD AD ok AD",
			"GetObject missing":             "AD AD AD NSK AD",
			"HeadObject":                    "AD AD AD ok AD",
			"HeadObject missing":            "AD AD AD NSK AD",
			"GetObjectAcl":                  "AD AD AD ok AD",
			"GetObjectAcl missing":          "AD AD AD NSK AD",
			"GetObject by-bob":              "AD AD AD ok AD",
			"GetObjectAcl by-bob":           "AD AD AD ok AD",
			"PutObjectAcl":                  "AD AD AD ok AD",
			"PutObjectAcl missing":          "AD AD AD NSK AD",
			"GetObjectTagging":              "AD AD AD ok AD",
			"PutObjectTagging":              "AD AD AD ok AD",
			"DeleteObjectTagging":           "AD AD AD ok AD",
			"GetBucketTagging":              "AD AD AD NSTS AD",
			"PutBucketTagging":              "AD AD AD ok AD",
			"DeleteBucketTagging":           "AD AD AD ok AD",
			"GetBucketLifecycle":            "AD AD AD NSLC AD",
			"PutBucketLifecycle":            "AD AD AD ok AD",
			"DeleteBucketLifecycle":         "AD AD AD ok AD",
			"PutObject":                     "AD AD AD ok AD",
			"PutObject x-amz-acl":           "AD AD AD ok AD",
			"PutObject x-amz-tagging":       "AD AD AD ok AD",
			"DeleteObject":                  "AD AD AD ok AD",
			"DeleteObject versionId=null":   "AD AD AD ok AD",
			"DeleteObject protected/obj":    "AD AD AD ok AD",
			"DeleteObject bob/obj":          "AD AD AD ok AD",
			"CopyObject":                    "AD AD AD ok AD",
			"CopyObject private source":     "AD AD AD ok AD",
			"CopyObject missing source":     "AD AD AD NSK AD",
			"CreateMultipartUpload":         "AD AD AD ok AD",
			"UploadPart":                    "AD AD AD ok AD",
			"UploadPartCopy":                "AD AD AD ok AD",
			"UploadPartCopy private source": "AD AD AD ok AD",
			"CompleteMultipartUpload":       "AD AD AD ok AD",
			"AbortMultipartUpload":          "AD AD AD ok AD",
			// An explicit Deny refuses the upload's initiator too.
			"ListParts":                  "AD AD AD ok AD",
			"ListParts bob's upload":     "AD AD AD ok AD",
			"GetObjectLockConfiguration": "AD AD AD OLNF AD",
			"PutObjectLockConfiguration": "AD AD AD IBS AD",
			"GetObjectRetention":         "AD AD AD IR AD",
			"PutObjectRetention":         "AD AD AD IR AD",
			"GetObjectLegalHold":         "AD AD AD IR AD",
			"PutObjectLegalHold":         "AD AD AD IR AD",
		}},
}

// azExpect is the expectation of every row in world w.
func azExpect(w *azWorld) map[string][]string {
	out := map[string][]string{}
	for k, v := range azBase {
		out[k] = strings.Fields(v)
	}
	for k, v := range w.changes {
		out[k] = strings.Fields(v)
	}
	return out
}

// The table is whole: every operation that reaches authorization has a
// request shape that the router sends to it, and every row of every world
// is well-formed and says something.
func TestAuthzTableIsComplete(t *testing.T) {
	cases := azOpCases()
	covered := map[Op]bool{}
	dummy := &azFixture{bucket: "azb", source: "azb-src", empty: "azb-empty", fresh: "azb-new",
		aliceUpload: "ALICEUPLOAD", bobUpload: "BOBUPLOAD", partETag: "0123456789abcdef0123456789abcdef"}
	names := map[string]bool{}
	for _, oc := range cases {
		if names[oc.name] {
			t.Errorf("two request shapes named %q", oc.name)
		}
		names[oc.name] = true
		covered[oc.op] = true
		row := opByName[oc.op]
		if row == nil || row.scope == scopeNone {
			t.Errorf("%s: %s is not an authorized row of the operations table", oc.name, oc.op)
			continue
		}
		for _, p := range azPrincipals {
			r := oc.build(t, dummy, p).httpRequest(t, p)
			tg := (&Handler{}).resolveTarget(r)
			if got := classify(r.Method, tg.bucket, tg.key, r.URL.Query(), r.Header); got != row {
				t.Errorf("%s as %s: the router picks %s, not %s", oc.name, p.name, got.name, oc.op)
			}
		}
		if _, ok := azBase[oc.rows()]; !ok {
			t.Errorf("%s has no row in azBase", oc.name)
		}
		if _, ok := azBase[oc.name]; ok && oc.rowsOf != "" {
			t.Errorf("%s has rows of its own and shares %s's", oc.name, oc.rowsOf)
		}
	}
	for _, op := range operations {
		if op.scope != scopeNone && !covered[op.name] {
			t.Errorf("operation %s reaches authorization but has no request shape in azOpCases", op.name)
		}
	}
	for _, w := range azWorlds {
		rows := map[string]string{}
		for k, v := range azBase {
			rows[k] = v
		}
		for k, v := range w.changes {
			if _, ok := azBase[k]; !ok {
				t.Errorf("world %q changes the unknown row %q", w.name, k)
			}
			if v == azBase[k] {
				t.Errorf("world %q repeats azBase's row %q", w.name, k)
			}
			rows[k] = v
		}
		for k, v := range rows {
			f := strings.Fields(v)
			if len(f) != len(azPrincipals) {
				t.Errorf("world %q row %q: %d answers for %d principals", w.name, k, len(f), len(azPrincipals))
			}
			for _, a := range f {
				_, isCode := azErrorCodes[a]
				if a != "ok" && !isCode && !(k == "DeleteObjects" && strings.HasPrefix(a, "200:") && len(strings.Trim(a[4:], "DX")) == 0 && len(a) == 4+len(azDeleteKeys)) {
					t.Errorf("world %q row %q: unknown answer %q", w.name, k, a)
				}
			}
		}
	}
	for k := range azBase {
		if !names[k] {
			t.Errorf("azBase row %q names no request shape", k)
		}
	}
	valid := map[string]bool{}
	for _, w := range azWorlds {
		for _, oc := range cases {
			for _, p := range azPrincipals {
				valid[azBugKey(w, oc, p)] = true
			}
		}
	}
	for k := range azKnownBugs {
		if !valid[k] {
			t.Errorf("azKnownBugs names no case: %q", k)
		}
	}
}

// azKnownBugs are answers of the server today that differ from the table,
// keyed by world, request shape and principal (see azBugKey), with the
// answer given today. They are logged instead of failing; once an answer
// matches the table the entry must go.
var azKnownBugs = map[string]string{}

func azBugKey(w *azWorld, oc *azOpCase, p *azPrincipal) string {
	return w.name + "|" + oc.name + "|" + p.name
}

// azRunOrder is the order the principals' requests are sent in, refusals
// first where the table expects them: a write's fixture is replaced only
// after an answer that may have changed it (a 2xx), so refused requests
// share one and a refused write that changed anything shows up in the
// next principal's answer.
var azRunOrder = []*azPrincipal{azRO, azAnon, azBob, azAlice, azAdmin}

// TestAuthzMatrix sends every request shape as every principal in every
// world and compares the answer with the table.
func TestAuthzMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole matrix")
	}
	cases := azOpCases()
	for _, w := range azWorlds {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			h := newAuthzHandler(t)
			want := azExpect(w)
			// Reads share one fixture: nothing they may be answered
			// changes it.
			source := azSource(t, h)
			shared := w.fixture(t, h, source, azNeedAll)
			for _, oc := range cases {
				row := want[oc.rows()]
				t.Run(oc.name, func(t *testing.T) {
					writes := opByName[oc.op].writes
					var f *azFixture
					if !writes {
						f = shared
					}
					// A refused write changes nothing: the fixture's state
					// before the writes the table expects refused is
					// compared with its state after them, before a write
					// expected to succeed and at the end.
					var before string
					var refused []string
					unchanged := func() {
						if len(refused) > 0 {
							if after := azState(t, h, f); after != before {
								t.Errorf("refused writes by %v changed the state:\n%s\nto\n%s", refused, before, after)
							}
						}
						before, refused = "", nil
					}
					for _, p := range azRunOrder {
						if f == nil {
							f = w.fixture(t, h, source, oc.needs)
						}
						wantAnswer := row[slices.Index(azPrincipals, p)]
						if wantAnswer == "ok" {
							wantAnswer = oc.ok
						}
						switch expectOK := strings.HasPrefix(wantAnswer, "2"); {
						case writes && expectOK:
							unchanged()
						case writes && before == "":
							before = azState(t, h, f)
						}
						r := oc.build(t, f, p)
						rec := azServe(t, h, p, r)
						got, ok := azAnswer(rec, r.method, wantAnswer, oc.quiet)
						bug, known := azKnownBugs[azBugKey(w, oc, p)]
						switch {
						case !ok && known && got == bug:
							t.Logf("%s: known bug: got %s, want %s (%s %s)", p.name, got, wantAnswer, r.method, r.target)
						case !ok:
							t.Errorf("%s: got %s, want %s (%s %s)\n%s", p.name, got, wantAnswer, r.method, r.target, rec.Body.String())
						case known:
							t.Errorf("%s: answers %s as the table wants: the bug is fixed, remove its azKnownBugs entry", p.name, got)
						case oc.check != nil && rec.Code < 300:
							if msg := oc.check(h, f, p, rec.Body.String()); msg != "" {
								t.Errorf("%s: %s", p.name, msg)
							}
						}
						switch {
						case writes && rec.Code < 300:
							f, refused = nil, nil
						case writes && before != "":
							refused = append(refused, p.name)
						}
					}
					if f != nil {
						unchanged()
					}
				})
			}
		})
	}
}
