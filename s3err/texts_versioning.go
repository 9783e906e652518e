package s3err

// Texts of versioning (issue 15): PutBucketVersioning, ListObjectVersions
// and the versionId of object requests.

var (
	// VersionIDInvalid: a versionId that names no version this server
	// could have made (not "null", not one of its ids), on GET, HEAD,
	// DELETE, ?acl and the copy source; with ArgumentName versionId and
	// the value sent. AWS's text as recorded by localstack's validated
	// S3 provider (provider.py delete_object, models.py get_object:
	// InvalidArgument "Invalid version id specified", ArgumentName
	// versionId) and by fog's S3 mock (invalid_version_id_payload:
	// Code InvalidArgument, the same Message, ArgumentName versionId,
	// ArgumentValue the id).
	VersionIDInvalid = Text{InvalidArgument, "Invalid version id specified"}

	// VersionIDEmpty: versionId= (empty) on an operation that takes a
	// version, or "?versionId=" in x-amz-copy-source; ArgumentName
	// versionId (x-amz-copy-source for a copy source), ArgumentValue
	// empty. Recorded against AWS (us-east-1, 2026-04-05) in the report
	// "S3 Compliance: Versioning Mix — DeleteMarker as Source", tests
	// i1, j1, k1, l1 (CopyObject, UploadPartCopy, GetObjectAcl,
	// PutObjectAcl).
	VersionIDEmpty = Text{InvalidArgument, "Version id cannot be the empty string"}

	// VersionIDNotTaken: a versionId (any value, a real one included) on
	// an object operation that takes none. The same AWS recording, tests
	// j2a-j2c (UploadPart: ArgumentName versionId, ArgumentValue as
	// sent); Scality CloudServer answers PutObject, CopyObject and
	// CompleteMultipartUpload so too (checkQueryVersionId, its
	// functional tests run against AWS).
	VersionIDNotTaken = Text{InvalidArgument, "This operation does not accept a version-id."}

	// VersionIDMarkerWithoutKeyMarker: ListObjectVersions with
	// version-id-marker and no key-marker (localstack provider.py
	// list_object_versions, ArgumentName version-id-marker, validated
	// against AWS).
	VersionIDMarkerWithoutKeyMarker = Text{InvalidArgument, "A version-id marker cannot be specified without a key marker."}

	// MFARequired: MfaDelete Enabled asked without x-amz-mfa. AWS answers
	// AccessDenied with this text for requests that need MFA and lack it
	// (PutBucketVersioning with MFADelete enabled: "api error
	// AccessDenied: Mfa Authentication must be used for this request",
	// quoted in deployment logs; AWS re:Post "delete an object version
	// ... without MFA" shows the same text for DeleteObject).
	MFARequired = Text{AccessDenied, "Mfa Authentication must be used for this request"}
)

// CopySourceDeleteMarker: x-amz-copy-source names a delete marker by its
// version id (localstack tests/aws/services/s3/test_s3.snapshot.json,
// "copy-object-src-target-delete-marker", recorded against AWS).
var CopySourceDeleteMarker = Text{InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id."}
