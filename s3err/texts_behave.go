package s3err

// Texts for the behaviours of issue 14 ("Behaviours that differ today").

// CopySourceRangeStartBeyondSize is UploadPartCopy's answer to an
// x-amz-copy-source-range whose first byte lies past the source's end (one
// whose last byte does is InvalidArgument "Range specified is not valid for
// source object of size: N"). Recorded against AWS in localstack's
// tests/aws/services/s3/test_s3_api.snapshot.json,
// test_upload_part_copy_range, "upload-part-copy-range-exc-100-200".
var CopySourceRangeStartBeyondSize = Text{InvalidRequest, "The specified copy range is invalid for the source object size"}
