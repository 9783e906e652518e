package s3err

// Texts of ownership controls and the public access block (issue 16,
// "Also").

// OwnershipInvalid: CreateBucket with an x-amz-object-ownership that is
// not BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter, with
// ArgumentName x-amz-object-ownership (localstack provider.py
// create_bucket, validated against AWS; versitygw
// CreateBucket_invalid_ownership, run against S3).
var OwnershipInvalid = Text{InvalidArgument, "Invalid x-amz-object-ownership header: %s"}
