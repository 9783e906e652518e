package s3err

// Texts of tagging (issue 16): object and bucket tag sets, the
// x-amz-tagging header and the tagging directive of CopyObject.

var (
	// TagKeyInvalid: a tag key that is empty, longer than 128 Unicode
	// characters or holds a character outside the allowed set. S3's
	// answer to PutObject with x-amz-tagging
	// "TagSet%3D%5B%7BKey%3Dstring%2CValue%3Dstring%7D%5D" (aws-cli issue
	// 2841, observed against AWS); versitygw's integration tests
	// (PutBucketTagging "tag key with control character") expect it too.
	TagKeyInvalid = Text{InvalidTag, "The TagKey you have provided is invalid"}

	// TagValueInvalid: a tag value longer than 256 Unicode characters or
	// holding a character outside the allowed set (versitygw s3err
	// ErrInvalidTagValue; minio mint's PutObjectTagging "Too long Tag
	// value" case, run against AWS).
	TagValueInvalid = Text{InvalidTag, "The TagValue you have provided is invalid"}

	// TagKeyDuplicate: one key twice in a Tagging document (moto
	// tagging validation, aws_verified tests; versitygw
	// ErrDuplicateTagKey).
	TagKeyDuplicate = Text{InvalidTag, "Cannot provide multiple Tags with the same key"}

	// ObjectTagKeyReserved: an object tag key under the reserved "aws:"
	// prefix (moto put_object_tagging: InvalidTag "Your TagKey cannot be
	// prefixed with aws:"; AWS Billing "User-defined tag restrictions":
	// the prefix is reserved).
	ObjectTagKeyReserved = Text{InvalidTag, "Your TagKey cannot be prefixed with aws:"}

	// BucketTagKeyReserved: a bucket tag key under "aws:" (moto
	// test_s3_tagging.py test_put_bucket_tagging, marked aws_verified:
	// InvalidTag with this text).
	BucketTagKeyReserved = Text{InvalidTag, "System tags cannot be added/updated by requester"}

	// ObjectTagsTooMany: more than 10 tags on an object, by header or
	// PutObjectTagging (terraform-provider-aws issues 19895 and 41747,
	// AWS's answer quoted: "api error BadRequest: Object tags cannot be
	// greater than 10").
	ObjectTagsTooMany = Text{BadRequest, "Object tags cannot be greater than 10"}

	// BucketTagsTooMany: more than 50 tags on a bucket (versitygw
	// integration test "REST PutBucketTagging - more than 50 tags", run
	// against AWS: BadRequest with this text).
	BucketTagsTooMany = Text{BadRequest, "Bucket tag count cannot be greater than 50"}

	// TaggingHeaderInvalid: an x-amz-tagging header that is not URL query
	// parameters without duplicate names (aws-cli issue 2841: S3 answered
	// "x-amz-tagging: TagSet=[{Key=string,Value=string}]" with
	// InvalidArgument and this text).
	TaggingHeaderInvalid = Text{InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."}

	// TaggingDirectiveInvalid: x-amz-tagging-directive other than COPY
	// or REPLACE on CopyObject, with ArgumentName
	// x-amz-tagging-directive (versitygw s3err ErrInvalidTaggingDirective;
	// the same InvalidArgument S3 answers for an unknown metadata
	// directive).
	TaggingDirectiveInvalid = Text{InvalidArgument, "Unknown tagging directive."}
)
