package caddys3

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/s3err"
)

// Op names an S3 operation in logs and metrics.
type Op string

// operation is one row of the operations table: everything the request
// path needs to know of an S3 operation. Adding an operation adds a row,
// its function and its test.
type operation struct {
	name Op
	// match recognises the operation (see classify).
	match match
	// rule is what authorizes it: the IAM action a bucket policy names
	// and the ACL permission that also allows it.
	rule rule
	// versionRule, when set, is the rule of a request that names a
	// version (?versionId=…: s3:GetObjectVersion for GetObject); a row
	// without one does not take versionId (see classify).
	versionRule *rule
	// scope is what is authorized (see scope).
	scope scope
	// writes: a read-only key (CloudStack 4.23 key pair) may not call it.
	writes bool
	// signedBy are the request forms that may authenticate it.
	signedBy signing
	// upload: it streams an object body in (caddy_s3_uploads_in_flight).
	upload bool
	// integrity: the body must come with Content-MD5 or an
	// x-amz-checksum-* header (which the auth layer verifies); S3 answers
	// InvalidRequest without one.
	integrity bool
	// validate, when set, checks the request once the bucket is known and
	// before the object is looked at (S3 refuses a malformed request for
	// a key that does not exist as one that does).
	validate func(req *request) error
	// serve translates the request into store calls and returns the
	// answer; it runs once the request is verified and authorized.
	serve func(h *Handler, req *request) (*response, error)
}

// rule says what authorizes an operation.
type rule struct {
	action string            // IAM action, e.g. "s3:GetObject"
	perm   access.Permission // ACL permission that also allows it; "" for none
}

// level is what a request addresses: the service, a bucket or an object.
type level uint8

const (
	levelService level = iota // no bucket
	levelBucket               // a bucket, no key
	levelObject               // a key in a bucket
	levelAny                  // every level (CORS preflight)
)

// match recognises an operation from the request line and headers.
type match struct {
	level  level
	method string // "" matches every method
	// sub is the sub-resource (query parameter) that selects the
	// operation; "" for none. A sub-resource present in the query claims
	// the request: its rows decide, or the answer is MethodNotAllowed (or
	// NotImplemented where refusedSubresources lists it).
	sub string
	// when is an extra condition (a header, a query value); nil for none.
	when func(q url.Values, h http.Header) bool
}

// scope is what the serve loop authorizes before the operation runs.
type scope uint8

const (
	// scopeNone: nothing is authorized or loaded (refusals, preflight).
	scopeNone scope = iota
	// scopeService: any authenticated account; anonymous is refused.
	scopeService
	// scopeBucket: the bucket's policy, owner and ACL decide.
	scopeBucket
	// scopeObjectMeta: the object's metadata is read and its ACL decides
	// (with the bucket's policy and owner first); a missing key shows
	// only to who may list the bucket.
	scopeObjectMeta
	// scopeObjectFile: as scopeObjectMeta, with the object opened for
	// reading.
	scopeObjectFile
	// scopeEachKey: every key of a batch (DeleteObjects); the bucket
	// decides once when it has no policy (keys cannot differ then).
	scopeEachKey
	// scopeCopy: the destination as scopeBucket, and reading the source
	// (x-amz-copy-source) as GetObject does, conditions included.
	scopeCopy
	// scopeInitiator: as scopeBucket, or the account that started the
	// upload (uploadId) may call it.
	scopeInitiator
)

// signing is a set of request forms that may authenticate an operation.
type signing uint8

const (
	signedHeader signing = 1 << iota // Authorization header (SigV4, SigV2) or anonymous
	signedQuery                      // presigned URL
	signedForm                       // browser POST form with a signed policy
	signedAny    = signedHeader | signedQuery
)

// Refusals: a feature we do not have, a method the resource does not take.
const (
	OpNotImplemented   Op = "NotImplemented"
	OpMethodNotAllowed Op = "MethodNotAllowed"
	// OpRejected: a sub-resource S3 refuses on this target with its own
	// error (?versions or GET ?uploads on a key, partNumber without
	// uploadId).
	OpRejected Op = "Rejected"
)

// Names of the operations (logs, metrics, tests).
const (
	OpListBuckets             Op = "ListBuckets"
	OpCreateBucket            Op = "CreateBucket"
	OpHeadBucket              Op = "HeadBucket"
	OpDeleteBucket            Op = "DeleteBucket"
	OpGetBucketLocation       Op = "GetBucketLocation"
	OpGetBucketVersioning     Op = "GetBucketVersioning"
	OpPutBucketVersioning     Op = "PutBucketVersioning"
	OpListObjectVersions      Op = "ListObjectVersions"
	OpListObjects             Op = "ListObjects"
	OpListObjectsV2           Op = "ListObjectsV2"
	OpPutObject               Op = "PutObject"
	OpGetObject               Op = "GetObject"
	OpHeadObject              Op = "HeadObject"
	OpDeleteObject            Op = "DeleteObject"
	OpDeleteObjects           Op = "DeleteObjects"
	OpCopyObject              Op = "CopyObject"
	OpPostObject              Op = "PostObject"
	OpCreateMultipartUpload   Op = "CreateMultipartUpload"
	OpUploadPart              Op = "UploadPart"
	OpUploadPartCopy          Op = "UploadPartCopy"
	OpCompleteMultipartUpload Op = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Op = "AbortMultipartUpload"
	OpListParts               Op = "ListParts"
	OpListMultipartUploads    Op = "ListMultipartUploads"
	OpGetBucketACL            Op = "GetBucketAcl"
	OpPutBucketACL            Op = "PutBucketAcl"
	OpGetObjectACL            Op = "GetObjectAcl"
	OpPutObjectACL            Op = "PutObjectAcl"
	OpGetObjectTagging        Op = "GetObjectTagging"
	OpPutObjectTagging        Op = "PutObjectTagging"
	OpDeleteObjectTagging     Op = "DeleteObjectTagging"
	OpGetBucketTagging        Op = "GetBucketTagging"
	OpPutBucketTagging        Op = "PutBucketTagging"
	OpDeleteBucketTagging     Op = "DeleteBucketTagging"
	OpGetObjectAttributes     Op = "GetObjectAttributes"
	OpGetBucketPolicy         Op = "GetBucketPolicy"
	OpPutBucketPolicy         Op = "PutBucketPolicy"
	OpDeleteBucketPolicy      Op = "DeleteBucketPolicy"
	OpGetBucketCORS           Op = "GetBucketCors"
	OpPutBucketCORS           Op = "PutBucketCors"
	OpDeleteBucketCORS        Op = "DeleteBucketCors"
	// OpPreflight is a CORS preflight (OPTIONS), answered from the
	// bucket's CORS rules without authentication.
	OpPreflight Op = "Preflight"

	OpGetBucketOwnershipControls    Op = "GetBucketOwnershipControls"
	OpPutBucketOwnershipControls    Op = "PutBucketOwnershipControls"
	OpDeleteBucketOwnershipControls Op = "DeleteBucketOwnershipControls"
	OpGetPublicAccessBlock          Op = "GetPublicAccessBlock"
	OpPutPublicAccessBlock          Op = "PutPublicAccessBlock"
	OpDeletePublicAccessBlock       Op = "DeletePublicAccessBlock"
	OpGetBucketPolicyStatus         Op = "GetBucketPolicyStatus"
)

// The ACL permissions, short for the table.
const (
	read, write, readACP, writeACP = access.PermRead, access.PermWrite, access.PermReadACP, access.PermWriteACP
)

// operations is the table, in the order classify tries it.
var operations []*operation

// opByName finds a row by name.
var opByName map[Op]*operation

// methodNotAllowed answers requests no row matches.
var methodNotAllowed *operation

func init() {
	get, put, post, del, head := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead
	svc, bkt, obj := levelService, levelBucket, levelObject
	operations = []*operation{
		{name: OpPreflight, match: match{level: levelAny, method: http.MethodOptions}, serve: (*Handler).preflight},

		{name: OpListBuckets, match: match{level: svc, method: get}, scope: scopeService, serve: (*Handler).listBuckets},

		{name: OpGetBucketVersioning, match: match{level: bkt, method: get, sub: "versioning"}, rule: rule{"s3:GetBucketVersioning", ""}, scope: scopeBucket, serve: (*Handler).getBucketVersioning},
		{name: OpPutBucketVersioning, match: match{level: bkt, method: put, sub: "versioning"}, rule: rule{"s3:PutBucketVersioning", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketVersioning},
		// READ on the bucket grants s3:ListBucketVersions (Amazon S3 User
		// Guide, "Mapping of ACL permissions and access policy permissions").
		{name: OpListObjectVersions, match: match{level: bkt, method: get, sub: "versions"}, rule: rule{"s3:ListBucketVersions", read}, scope: scopeBucket, serve: (*Handler).listObjectVersions},
		{name: OpDeleteObjects, match: match{level: bkt, method: post, sub: "delete"}, rule: rule{"s3:DeleteObject", write}, scope: scopeEachKey, writes: true, integrity: true, serve: (*Handler).deleteObjects},
		{name: OpGetBucketACL, match: match{level: bkt, method: get, sub: "acl"}, rule: rule{"s3:GetBucketAcl", readACP}, scope: scopeBucket, serve: (*Handler).getBucketACL},
		{name: OpPutBucketACL, match: match{level: bkt, method: put, sub: "acl"}, rule: rule{"s3:PutBucketAcl", writeACP}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketACL},
		{name: OpGetBucketPolicy, match: match{level: bkt, method: get, sub: "policy"}, rule: rule{"s3:GetBucketPolicy", ""}, scope: scopeBucket, serve: (*Handler).getBucketPolicy},
		{name: OpPutBucketPolicy, match: match{level: bkt, method: put, sub: "policy"}, rule: rule{"s3:PutBucketPolicy", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketPolicy},
		{name: OpDeleteBucketPolicy, match: match{level: bkt, method: del, sub: "policy"}, rule: rule{"s3:DeleteBucketPolicy", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketPolicy},
		{name: OpGetBucketCORS, match: match{level: bkt, method: get, sub: "cors"}, rule: rule{"s3:GetBucketCORS", ""}, scope: scopeBucket, serve: (*Handler).getBucketCORS},
		{name: OpPutBucketCORS, match: match{level: bkt, method: put, sub: "cors"}, rule: rule{"s3:PutBucketCORS", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketCORS},
		// IAM has no DeleteBucketCORS action: PutBucketCORS covers it.
		{name: OpDeleteBucketCORS, match: match{level: bkt, method: del, sub: "cors"}, rule: rule{"s3:PutBucketCORS", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketCORS},
		// IAM has no DeleteBucketTagging action: PutBucketTagging covers it
		// (Service Authorization Reference, "Actions defined by Amazon S3").
		{name: OpGetBucketTagging, match: match{level: bkt, method: get, sub: "tagging"}, rule: rule{"s3:GetBucketTagging", ""}, scope: scopeBucket, serve: (*Handler).getBucketTagging},
		{name: OpPutBucketTagging, match: match{level: bkt, method: put, sub: "tagging"}, rule: rule{"s3:PutBucketTagging", ""}, scope: scopeBucket, writes: true, integrity: true, serve: (*Handler).putBucketTagging},
		{name: OpDeleteBucketTagging, match: match{level: bkt, method: del, sub: "tagging"}, rule: rule{"s3:PutBucketTagging", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketTagging},
		// ownership.go, publicaccess.go. IAM has no Delete actions for
		// these: the Put actions cover them (Service Authorization
		// Reference, "Actions defined by Amazon S3").
		{name: OpGetBucketOwnershipControls, match: match{level: bkt, method: get, sub: "ownershipControls"}, rule: rule{"s3:GetBucketOwnershipControls", ""}, scope: scopeBucket, serve: (*Handler).getBucketOwnershipControls},
		{name: OpPutBucketOwnershipControls, match: match{level: bkt, method: put, sub: "ownershipControls"}, rule: rule{"s3:PutBucketOwnershipControls", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketOwnershipControls},
		{name: OpDeleteBucketOwnershipControls, match: match{level: bkt, method: del, sub: "ownershipControls"}, rule: rule{"s3:PutBucketOwnershipControls", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketOwnershipControls},
		{name: OpGetPublicAccessBlock, match: match{level: bkt, method: get, sub: "publicAccessBlock"}, rule: rule{"s3:GetBucketPublicAccessBlock", ""}, scope: scopeBucket, serve: (*Handler).getPublicAccessBlock},
		{name: OpPutPublicAccessBlock, match: match{level: bkt, method: put, sub: "publicAccessBlock"}, rule: rule{"s3:PutBucketPublicAccessBlock", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putPublicAccessBlock},
		{name: OpDeletePublicAccessBlock, match: match{level: bkt, method: del, sub: "publicAccessBlock"}, rule: rule{"s3:PutBucketPublicAccessBlock", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deletePublicAccessBlock},
		{name: OpGetBucketPolicyStatus, match: match{level: bkt, method: get, sub: "policyStatus"}, rule: rule{"s3:GetBucketPolicyStatus", ""}, scope: scopeBucket, serve: (*Handler).getBucketPolicyStatus},
	}
	operations = append(operations, objectLockBucketRows()...)
	operations = append(operations, lifecycleRows()...)
	operations = append(operations, sseBucketRows()...)
	operations = append(operations, refusals(bkt, refusedBucketSubresources...)...)
	operations = append(operations, []*operation{
		{name: OpListMultipartUploads, match: match{level: bkt, method: get, sub: "uploads"}, rule: rule{"s3:ListBucketMultipartUploads", read}, scope: scopeBucket, serve: (*Handler).listMultipartUploads},
		{name: OpGetBucketLocation, match: match{level: bkt, method: get, sub: "location"}, rule: rule{"s3:GetBucketLocation", ""}, scope: scopeBucket, serve: (*Handler).getBucketLocation},
		{name: OpListObjectsV2, match: match{level: bkt, method: get, when: listV2}, rule: rule{"s3:ListBucket", read}, scope: scopeBucket, serve: (*Handler).listObjectsV2},
		{name: OpListObjects, match: match{level: bkt, method: get}, rule: rule{"s3:ListBucket", read}, scope: scopeBucket, serve: (*Handler).listObjectsV1},
		{name: OpCreateBucket, match: match{level: bkt, method: put}, scope: scopeService, writes: true, serve: (*Handler).createBucket},
		{name: OpHeadBucket, match: match{level: bkt, method: head}, rule: rule{"s3:ListBucket", read}, scope: scopeBucket, serve: (*Handler).headBucket},
		{name: OpDeleteBucket, match: match{level: bkt, method: del}, rule: rule{"s3:DeleteBucket", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucket},
		{name: OpPostObject, match: match{level: bkt, method: post, when: formUpload}, rule: rule{"s3:PutObject", write}, scope: scopeBucket, writes: true, signedBy: signedForm, upload: true, serve: (*Handler).postObject},
		{name: OpNotImplemented, match: match{level: bkt, method: post}, serve: refuse(newError(s3err.NotImplemented))},

		{name: OpGetObjectACL, match: match{level: obj, method: get, sub: "acl"}, rule: rule{"s3:GetObjectAcl", readACP}, versionRule: &rule{"s3:GetObjectVersionAcl", readACP}, scope: scopeObjectMeta, serve: (*Handler).getObjectACL},
		{name: OpPutObjectACL, match: match{level: obj, method: put, sub: "acl"}, rule: rule{"s3:PutObjectAcl", writeACP}, versionRule: &rule{"s3:PutObjectVersionAcl", writeACP}, scope: scopeObjectMeta, writes: true, serve: (*Handler).putObjectACL},
		// aws-cli v2 reads an object's tags before every multipart copy.
		// No ACL permission grants changing tags ("By default, the bucket
		// owner has this permission and can grant this permission to
		// others": API_PutObjectTagging): the owner and the policy decide.
		{name: OpGetObjectTagging, match: match{level: obj, method: get, sub: "tagging"}, rule: rule{"s3:GetObjectTagging", read}, versionRule: &rule{"s3:GetObjectVersionTagging", read}, scope: scopeObjectMeta, serve: (*Handler).getObjectTagging},
		{name: OpPutObjectTagging, match: match{level: obj, method: put, sub: "tagging"}, rule: rule{"s3:PutObjectTagging", ""}, versionRule: &rule{"s3:PutObjectVersionTagging", ""}, scope: scopeObjectMeta, writes: true, integrity: true, serve: (*Handler).putObjectTagging},
		{name: OpDeleteObjectTagging, match: match{level: obj, method: del, sub: "tagging"}, rule: rule{"s3:DeleteObjectTagging", ""}, versionRule: &rule{"s3:DeleteObjectVersionTagging", ""}, scope: scopeObjectMeta, writes: true, serve: (*Handler).deleteObjectTagging},
		{name: OpGetObjectAttributes, match: match{level: obj, method: get, sub: "attributes"}, rule: rule{"s3:GetObjectAttributes", read}, versionRule: &rule{"s3:GetObjectVersionAttributes", read}, scope: scopeObjectMeta, validate: validateAttributes, serve: (*Handler).getObjectAttributes},
	}...)
	operations = append(operations, objectLockObjectRows()...)
	operations = append(operations, refusals(obj, refusedObjectSubresources...)...)
	operations = append(operations, []*operation{
		// S3's answers to bucket sub-resources that have no meaning for a
		// key (vgw tests/integration/general.go RouterGetUploadsWithKey,
		// RouterListVersionsWithKey): never a read or write of the object.
		{name: OpRejected, match: match{level: obj, sub: "versions"}, serve: refuse(newTextError(s3err.VersionsWithKey))},
		{name: OpRejected, match: match{level: obj, method: get, sub: "uploads"}, serve: refuse(newTextError(s3err.UploadsWithKey))},
	}...)
	operations = append(operations, []*operation{
		{name: OpCreateMultipartUpload, match: match{level: obj, method: post, sub: "uploads"}, rule: rule{"s3:PutObject", write}, scope: scopeBucket, writes: true, serve: (*Handler).createMultipartUpload},
		{name: OpUploadPartCopy, match: match{level: obj, method: put, sub: "uploadId", when: partCopy}, rule: rule{"s3:PutObject", write}, scope: scopeCopy, writes: true, serve: (*Handler).uploadPartCopy},
		{name: OpUploadPart, match: match{level: obj, method: put, sub: "uploadId", when: hasPartNumber}, rule: rule{"s3:PutObject", write}, scope: scopeBucket, writes: true, upload: true, serve: (*Handler).uploadPart},
		{name: OpCompleteMultipartUpload, match: match{level: obj, method: post, sub: "uploadId"}, rule: rule{"s3:PutObject", write}, scope: scopeBucket, writes: true, serve: (*Handler).completeMultipartUpload},
		{name: OpAbortMultipartUpload, match: match{level: obj, method: del, sub: "uploadId"}, rule: rule{"s3:AbortMultipartUpload", write}, scope: scopeBucket, writes: true, serve: (*Handler).abortMultipartUpload},
		{name: OpListParts, match: match{level: obj, method: get, sub: "uploadId"}, rule: rule{"s3:ListMultipartUploadParts", read}, scope: scopeInitiator, serve: (*Handler).listParts},
	}...)
	// An UploadPart without its upload (vgw RouterPutPartNumberWithoutUploadId,
	// run against S3: ArgumentValue is the parameter's name there too).
	operations = append(operations, &operation{name: OpRejected, match: match{level: obj, method: put, sub: "partNumber"},
		serve: refuse(newTextError(s3err.PartNumberNoUploadID).withArgument("partNumber", "partNumber"))})
	operations = append(operations, []*operation{
		// The ACL permissions that grant the version actions are those of
		// the plain ones (User Guide, "Mapping of ACL permissions and access
		// policy permissions": READ → s3:GetObjectVersion, READ_ACP →
		// s3:GetObjectVersionAcl, WRITE_ACP → s3:PutObjectVersionAcl).
		{name: OpGetObject, match: match{level: obj, method: get}, rule: rule{"s3:GetObject", read}, versionRule: &rule{"s3:GetObjectVersion", read}, scope: scopeObjectFile, serve: (*Handler).getObject},
		{name: OpHeadObject, match: match{level: obj, method: head}, rule: rule{"s3:GetObject", read}, versionRule: &rule{"s3:GetObjectVersion", read}, scope: scopeObjectFile, serve: (*Handler).getObject},
		{name: OpCopyObject, match: match{level: obj, method: put, when: copySource}, rule: rule{"s3:PutObject", write}, scope: scopeCopy, writes: true, serve: (*Handler).copyObject},
		{name: OpPutObject, match: match{level: obj, method: put}, rule: rule{"s3:PutObject", write}, scope: scopeBucket, writes: true, upload: true, serve: (*Handler).putObject},
		{name: OpDeleteObject, match: match{level: obj, method: del}, rule: rule{"s3:DeleteObject", write}, versionRule: &rule{"s3:DeleteObjectVersion", write}, scope: scopeBucket, writes: true, serve: (*Handler).deleteObject},
		// GetObject/HeadObject of one part (attributes.go), after the
		// plain rows so that opByName finds those.
		{name: OpGetObject, match: match{level: obj, method: get, sub: "partNumber"}, rule: rule{"s3:GetObject", read}, versionRule: &rule{"s3:GetObjectVersion", read}, scope: scopeObjectFile, validate: validatePartNumber, serve: (*Handler).getObject},
		{name: OpHeadObject, match: match{level: obj, method: head, sub: "partNumber"}, rule: rule{"s3:GetObject", read}, versionRule: &rule{"s3:GetObjectVersion", read}, scope: scopeObjectFile, validate: validatePartNumber, serve: (*Handler).getObject},
	}...)
	methodNotAllowed = &operation{name: OpMethodNotAllowed, serve: refuseMethod}
	opByName = make(map[Op]*operation, len(operations))
	for _, op := range operations {
		if op.signedBy == 0 && op.scope != scopeNone {
			op.signedBy = signedAny
		}
		if _, dup := opByName[op.name]; !dup {
			opByName[op.name] = op
		}
	}
}

// Sub-resources of operations we do not implement (yet): answering them
// with a listing, a read or a write of the object would be a wrong
// success. Each becomes a row that answers NotImplemented, after the rows
// that implement some methods of the same sub-resource.
var (
	refusedBucketSubresources = []string{
		"accelerate", "analytics",
		"intelligent-tiering", "inventory", "logging", "metadataTable",
		"metrics", "notification",
		"replication", "requestPayment",
		"website", "session",
	}
	refusedObjectSubresources = []string{
		"restore",
		"select", "torrent", "renameObject",
	}
)

// versionNotTaken answers a versionId sent to an object operation that
// does not take one (a row without versionRule: PutObject, the multipart
// operations, CopyObject's destination) as S3 does, whatever the value:
// acting on the current object instead would be a wrong success.
var versionNotTaken = &operation{name: OpRejected, match: match{level: levelObject, sub: "versionId"}, serve: func(_ *Handler, req *request) (*response, error) {
	return nil, newTextError(s3err.VersionIDNotTaken).withArgument("versionId", firstValue(req.query, "versionId"))
}}

// versionRequested reports whether the query names a version
// (?versionId=…, "null" included: it names the null version).
func versionRequested(q url.Values) bool {
	_, ok := q["versionId"]
	return ok
}

// refusals returns a NotImplemented row for each sub-resource, any method.
func refusals(lvl level, subs ...string) []*operation {
	rows := make([]*operation, len(subs))
	for i, sub := range subs {
		rows[i] = &operation{name: OpNotImplemented, match: match{level: lvl, sub: sub}, serve: refuse(newError(s3err.NotImplemented))}
	}
	return rows
}

// Conditions of rows.
func listV2(q url.Values, _ http.Header) bool { return q.Get("list-type") == "2" }

func formUpload(_ url.Values, h http.Header) bool {
	return strings.HasPrefix(strings.ToLower(h.Get("Content-Type")), "multipart/form-data")
}

func copySource(_ url.Values, h http.Header) bool { return h.Get("X-Amz-Copy-Source") != "" }

func hasPartNumber(q url.Values, _ http.Header) bool { _, ok := q["partNumber"]; return ok }

func partCopy(q url.Values, h http.Header) bool { return hasPartNumber(q, h) && copySource(q, h) }

// refuseMethod answers MethodNotAllowed naming the method and the type of
// resource as S3 does (<Method>, <ResourceType>: SERVICE, BUCKET, OBJECT,
// or UPLOAD for a multipart upload's uploadId; vgw
// method-not-allowed-error.go and RouterPUTObjectOnlyUploadId, S3's answer
// to a POST on an object recorded in aws-presigned-post write-ups).
func refuseMethod(_ *Handler, req *request) (*response, error) {
	return nil, newError(s3err.MethodNotAllowed).with("Method", req.r.Method).with("ResourceType", resourceType(req))
}

// resourceType is the <ResourceType> S3 names in MethodNotAllowed and CORS
// refusals.
func resourceType(req *request) string {
	switch {
	case req.t.key != "" && subresourcePresent(req.query, "uploadId"):
		return "UPLOAD"
	case req.t.key != "":
		return "OBJECT"
	case req.t.bucket != "":
		return "BUCKET"
	}
	return "SERVICE"
}

// refuse is the function of a row that always answers err.
func refuse(err *apiError) func(*Handler, *request) (*response, error) {
	return func(*Handler, *request) (*response, error) {
		e := *err
		return nil, &e
	}
}
