package s3err

// AWS's texts for ACL errors. Source: the responses AWS S3 returned to
// localstack's validated snapshot tests (tests/aws/services/s3/
// test_s3.snapshot.json, test_s3_bucket_acl_exceptions and
// test_s3_object_acl_exceptions, recorded 2026-02-21) and ceph/s3-tests'
// note on test_bucket_acl_grant_userid_write (AWS answers
// `<Code>InvalidArgument</Code><Message>Invalid id</Message>
// <ArgumentName>CanonicalUser/ID</ArgumentName>`).
var (
	// ACLInvalidID: a grant (or the Owner) names a canonical ID no account
	// has. ArgumentName "id" for x-amz-grant-* headers, "CanonicalUser/ID"
	// in an AccessControlPolicy document; ArgumentValue the ID.
	ACLInvalidID = Text{InvalidArgument, "Invalid id"}
	// ACLInvalidGroupURI: a grantee URI that names no S3 group.
	// ArgumentName "uri" (headers) or "Group/URI" (document).
	ACLInvalidGroupURI = Text{InvalidArgument, "Invalid group uri"}
	// ACLGrantFormat: an x-amz-grant-* value that is not a list of
	// id=/uri=/emailAddress= pairs. ArgumentName the header's name in lower
	// case, ArgumentValue its value.
	ACLGrantFormat = Text{InvalidArgument, "Argument format not recognized"}
	// ACLMalformed: an AccessControlPolicy that does not parse or lacks a
	// required element (Owner, a permission, a grantee's ID/URI). AWS's
	// text has no final period, unlike the code's default.
	ACLMalformed = Text{MalformedACLError, "The XML you provided was not well-formed or did not validate against our published schema"}
	// ACLBothCannedAndGrants: x-amz-acl together with x-amz-grant-*.
	ACLBothCannedAndGrants = Text{InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed"}
	// ACLUnexpectedContent: PutBucketAcl/PutObjectAcl with ACL headers and
	// a body.
	ACLUnexpectedContent = Text{UnexpectedContent, "This request does not support content"}
	// ACLMissing: PutBucketAcl/PutObjectAcl with neither headers nor body;
	// AWS adds <MissingHeaderName>x-amz-acl</MissingHeaderName>.
	ACLMissing = Text{MissingSecurityHeader, "Your request was missing a required header"}
	// ACLEmailGrant: a grant by e-mail address (S3 resolves none outside
	// the regions that still support them).
	ACLEmailGrant = Text{UnresolvableGrantByEmailAddress, "The e-mail address you provided does not match any account on record."}
)
