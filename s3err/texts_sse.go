package s3err

// Texts of encryption at rest (issue 19): SSE-S3, bucket default
// encryption, SSE-C, SSE-KMS.

var (
	// SSEMethodUnsupported: x-amz-server-side-encryption with a value S3
	// does not know (InvalidArgument naming the header; the text AWS
	// sends, recorded by swift's s3api and moto).
	SSEMethodUnsupported = Text{InvalidArgument, "The encryption method specified is not supported"}

	// SSENoMasterKey: SSE-S3 asked of a server whose operator configured
	// no master key (encryption { key … }). Our own text: AWS always has
	// keys. NotImplemented, as any feature this server lacks.
	SSENoMasterKey = Text{NotImplemented, "Server-side encryption is not available: this server has no master key configured."}

	// SSEKMSNotImplemented: aws:kms and aws:kms:dsse (SSE-KMS), which
	// need a key management service this server does not have. Our own
	// text (docs/encryption.md says why).
	SSEKMSNotImplemented = Text{NotImplemented, "Server-side encryption with KMS keys (aws:kms) is not implemented; use AES256."}

	// SSEMultipartSizes: Complete of an encrypted upload whose parts have
	// more different sizes than the object's record can list (fsstore
	// maxSegmentRuns). Our own text: AWS has no such limit.
	SSEMultipartSizes = Text{NotImplemented, "Encrypted multipart uploads whose parts have more than 100 different sizes are not supported."}

	// SSEKMSKeyNotApplicable: a bucket default encryption of AES256 that
	// names a KMSMasterKeyID (InvalidArgument, ArgumentName
	// ApplyServerSideEncryptionByDefault: moto's PutBucketEncryption and
	// a record of AWS's answer in a public S3 compatibility suite).
	SSEKMSKeyNotApplicable = Text{InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"}
)
