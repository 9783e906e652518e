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

	// SSEMultipartNotImplemented: a multipart upload that would be
	// encrypted (by header or by the bucket's default), before multipart
	// encryption exists. Our own text.
	SSEMultipartNotImplemented = Text{NotImplemented, "Multipart uploads with server-side encryption are not implemented."}

	// SSEKMSKeyNotApplicable: a bucket default encryption of AES256 that
	// names a KMSMasterKeyID (InvalidArgument, ArgumentName
	// ApplyServerSideEncryptionByDefault: moto's PutBucketEncryption and
	// a record of AWS's answer in a public S3 compatibility suite).
	SSEKMSKeyNotApplicable = Text{InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"}
)
