package s3err

// Texts of bucket lifecycle configurations (issue 20), answered by
// PutBucketLifecycleConfiguration. AWS documents the codes, not the
// texts; these are the texts AWS is observed to send.

var (
	// LifecycleDays: an Expiration with Days below 1 (moto's lifecycle
	// validation; the same text quoted from AWS in CloudFormation stack
	// errors "'Days' for Expiration action must be a positive integer").
	LifecycleDays = Text{InvalidArgument, "'Days' for Expiration action must be a positive integer"}

	// LifecycleNoncurrentDays: NoncurrentDays below 1 (AWS's answer quoted
	// in a CDK deployment write-up: "(Service: S3, Status Code: 400)").
	LifecycleNoncurrentDays = Text{InvalidArgument, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"}

	// LifecycleNewerNoncurrent: NewerNoncurrentVersions outside 1..100
	// (API LifecycleRule: "You can specify up to 100 noncurrent versions to
	// retain"; text as recorded by s3-compatible servers' AWS-run suites).
	LifecycleNewerNoncurrent = Text{InvalidArgument, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer"}

	// LifecycleAbortDays: DaysAfterInitiation below 1 (same family of
	// AWS texts; s3proxy and ozone record it).
	LifecycleAbortDays = Text{InvalidArgument, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"}

	// LifecycleDateMidnight: an Expiration Date that is not midnight UTC
	// (moto and ceph s3-tests test_lifecycle_set_invalid_date; the User
	// Guide: "The date value must conform to ISO 8601 format. The time is
	// always midnight UTC").
	LifecycleDateMidnight = Text{InvalidArgument, "'Date' must be at midnight GMT"}

	// LifecycleIDTooLong: a rule ID over 255 characters (API LifecycleRule:
	// "The value cannot be longer than 255 characters"; text as moto and
	// MinIO's AWS-compatibility tests record it).
	LifecycleIDTooLong = Text{InvalidArgument, "ID length should not exceed allowed limit of 255"}

	// LifecycleIDDuplicate: two rules with one ID (ceph s3-tests
	// test_lifecycle_same_id; moto).
	LifecycleIDDuplicate = Text{InvalidArgument, "Rule ID must be unique. Found same ID for more than one rule"}

	// LifecycleNoAction: a rule without an action (moto's lifecycle
	// validation, from AWS's answer).
	LifecycleNoAction = Text{InvalidRequest, "At least one action needs to be specified in a rule"}

	// LifecycleFilterInV1: rules of both forms, a top-level Prefix (V1)
	// and a Filter (V2), in one configuration (S3's answer recorded by the
	// cdkd project's regression notes against real S3).
	LifecycleFilterInV1 = Text{InvalidRequest, "Filter element can only be used in Lifecycle V2"}

	// LifecycleMarkerWithTags, LifecycleMarkerWithSize,
	// LifecycleAbortWithTags, LifecycleAbortWithSize: actions S3 refuses
	// on rules that filter by tags or size (User Guide, "Lifecycle
	// configuration elements": these actions do not apply to tag or size
	// filters; the texts as S3 answered in an operator's notes, "S3
	// answered InvalidRequest: AbortIncompleteMultipartUpload cannot be
	// specified with Object Size").
	LifecycleMarkerWithTags = Text{InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags."}
	LifecycleMarkerWithSize = Text{InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Object Size."}
	LifecycleAbortWithTags  = Text{InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags."}
	LifecycleAbortWithSize  = Text{InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Object Size."}

	// LifecycleSizeRange: ObjectSizeLessThan not above
	// ObjectSizeGreaterThan (API LifecycleRuleAndOperator; text as
	// recorded by AWS-compatibility suites).
	LifecycleSizeRange = Text{InvalidArgument, "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."}

	// LifecycleDuplicateTagKey: one tag key twice in an And filter (moto's
	// lifecycle filter validation, from AWS's answer).
	LifecycleDuplicateTagKey = Text{InvalidRequest, "Duplicate Tag Keys are not allowed."}

	// LifecycleTransition: a Transition or NoncurrentVersionTransition.
	// Our text: this server has one storage class, so a transition could
	// only be stored and never done; refusing it (501) tells the client at
	// configuration time instead of a success that did less.
	LifecycleTransition = Text{NotImplemented, "Lifecycle transitions are not implemented: this server has a single storage class. Remove the Transition and NoncurrentVersionTransition elements."}
)
