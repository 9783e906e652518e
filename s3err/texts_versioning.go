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
