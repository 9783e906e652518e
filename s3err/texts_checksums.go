package s3err

// AWS's texts for the checksum rules (x-amz-checksum-*, multipart
// checksums, aws-chunked framing). Where AWS's documentation gives no
// exact text, the text is the one AWS is observed to send, as pinned by
// suites that run against AWS: versitygw's integration tests and error
// table (versity/versitygw tests/integration, s3err/s3err.go), OpenStack
// Swift's s3api functional tests (is_aws branches), and the AWS-pinned
// s3-tests of justincormack/argmin (crates/s3-tests/tests/checksums.rs).

var (
	// ChecksumAlgorithmUnsupported: x-amz-checksum-algorithm (Create
	// multipart upload, CopyObject) names no algorithm. The list is AWS's,
	// in its order (argmin checksums.rs
	// UNSUPPORTED_CHECKSUM_ALGORITHM_MESSAGE; versitygw
	// ErrInvalidChecksumAlgorithm).
	ChecksumAlgorithmUnsupported = Text{InvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]"}

	// ChecksumTypeMismatch: a part's checksum algorithm (header, trailer or
	// x-amz-sdk-checksum-algorithm; "null" for none) is not the upload's,
	// lower case (AWS S3 API reference, PutObject/UploadPart errors:
	// "Checksum Type mismatch occurred, expected checksum Type: sha1,
	// actual checksum Type: crc32c."; Swift s3api
	// test_mpu_upload_part_requires_checksum for "null").
	ChecksumTypeMismatch = Text{InvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s"}

	// ChecksumTypeNotForAlgorithm: x-amz-checksum-type names a type the
	// algorithm cannot have ("The COMPOSITE checksum type cannot be used
	// with the crc64nvme checksum algorithm."; versitygw
	// GetChecksumSchemaMismatchErr).
	ChecksumTypeNotForAlgorithm = Text{InvalidRequest, "The %s checksum type cannot be used with the %s checksum algorithm."}

	// ChecksumTypeWithoutAlgorithm, ChecksumTypeInvalid: CreateMultipartUpload's
	// x-amz-checksum-type alone or not COMPOSITE/FULL_OBJECT (versitygw
	// ErrChecksumTypeWithAlgo, GetInvalidChecksumHeaderErr).
	ChecksumTypeWithoutAlgorithm = Text{InvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."}

	// ChecksumHeaderInvalid: a checksum header that is not the base64 of
	// its algorithm's digest size, or the x-amz-checksum-type value (Swift
	// s3api test_mpu_upload_part_invalid_checksum; versitygw
	// GetInvalidChecksumHeaderErr).
	ChecksumHeaderInvalid = Text{InvalidRequest, "Value for %s header is invalid."}

	// ChecksumHeadersMultiple: more than one x-amz-checksum-<algo> header
	// (versitygw ErrMultipleChecksumHeaders).
	ChecksumHeadersMultiple = Text{InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."}

	// ChecksumFieldUnknown: a POST form field x-amz-checksum-<name> whose
	// name is no algorithm (versitygw ErrInvalidChecksumHeader,
	// PostObject_invalid_checksum_algorithm).
	ChecksumFieldUnknown = Text{InvalidRequest, "The algorithm type you specified in x-amz-checksum- header is invalid."}

	// ChecksumMismatch: the payload's checksum is not the one sent in a
	// header or trailer; the algorithm upper case (observed AWS answer
	// "The SHA256 you specified did not match the calculated checksum.",
	// quoted in aws-cli's and s3proxy's tests; Swift s3api
	// test_mpu_upload_part_bad_checksum).
	ChecksumMismatch = Text{BadDigest, "The %s you specified did not match the calculated checksum."}

	// SDKChecksumInvalid: x-amz-sdk-checksum-algorithm is no algorithm or
	// not the one of the checksum header or trailer sent (argmin
	// checksums.rs test_put_object_sdk_checksum_algorithm_mismatched_value,
	// pinned against AWS).
	SDKChecksumInvalid = Text{InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid."}

	// SDKChecksumMissing: x-amz-sdk-checksum-algorithm without any checksum
	// header or trailer (argmin checksums.rs
	// test_put_object_sdk_checksum_algorithm_without_value; versitygw
	// ErrChecksumSDKAlgoMismatch).
	SDKChecksumMissing = Text{InvalidRequest, "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."}

	// PartChecksumMissing: Complete of an upload created with an algorithm
	// names a part without that algorithm's checksum (versitygw
	// CompleteMultipartUpload_missing_part_checksum).
	PartChecksumMissing = Text{InvalidRequest, "The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request."}

	// PartChecksumInvalid: a part's checksum in Complete is not base64 of
	// the right size, or the part carries several; ArgumentName Checksum
	// (versitygw InvalidArgChecksumPart).
	PartChecksumInvalid = Text{InvalidArgument, "Invalid Base64 or multiple checksums present in request"}

	// PartChecksumWrong: a part's checksum in Complete is not the part's:
	// InvalidPart with AWS's full text (two spaces after the first
	// sentence) and the UploadId, PartNumber and ETag elements (versitygw
	// ErrInvalidPart, InvalidPartError; CompleteMultipartUpload_incorrect_checksum_part).
	PartChecksumWrong = Text{InvalidPart, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}

	// PartChecksumOtherAlgorithm: a part's checksum in Complete is of
	// another algorithm than the upload's and not the part's (versitygw
	// CompleteMultipartUpload_different_checksum_part).
	PartChecksumOtherAlgorithm = Text{BadDigest, "The %s you specified for part %d did not match what we received."}

	// CompleteChecksumMode: Complete's x-amz-checksum-type is not the
	// upload's (versitygw GetChecksumTypeMismatchOnMpErr).
	CompleteChecksumMode = Text{InvalidRequest, "The upload was created using the %s checksum mode. The complete request must use the same checksum mode."}

	// InvalidChunkSize: an aws-chunked chunk other than the last is
	// smaller than 8 KiB; S3 adds <Chunk> and <BadChunkSize> (AWS's answer
	// quoted in versitygw issues #1683 and #2085).
	InvalidChunkSize = Text{InvalidChunkSizeError, "Only the last chunk is allowed to have a size less than 8192 bytes"}

	// ObjectChecksumMismatch: Complete's whole-object checksum is not the
	// one computed from the parts (the existing pinned answer of
	// test/e2e/checksum_answers_test.go).
	ObjectChecksumMismatch = Text{BadDigest, "The %s you specified for the object did not match what was computed."}
)
