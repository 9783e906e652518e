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

// SSE-C (server-side encryption with customer-provided keys). The texts
// AWS sends, as recorded by localstack's AWS-validated SSE-C tests, a
// public SSE-C compatibility suite run against AWS, and ceph's rgw.
var (
	// SSECAlgorithmMissing: a key without
	// x-amz-server-side-encryption-customer-algorithm.
	SSECAlgorithmMissing = Text{InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."}

	// SSECAlgorithmInvalid: an algorithm other than AES256.
	SSECAlgorithmInvalid = Text{InvalidEncryptionAlgorithmError, "The Encryption request you specified is not valid. Supported value: AES256."}

	// SSECKeyMissing: the algorithm without
	// x-amz-server-side-encryption-customer-key.
	SSECKeyMissing = Text{InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."}

	// SSECKeyInvalid: a key that is not base64 of 32 bytes.
	SSECKeyInvalid = Text{InvalidArgument, "The secret key was invalid for the specified algorithm."}

	// SSECKeyMD5Missing: no x-amz-server-side-encryption-customer-key-MD5.
	SSECKeyMD5Missing = Text{InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."}

	// SSECKeyMD5Mismatch: the key's MD5 is not the one sent.
	SSECKeyMD5Mismatch = Text{InvalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided."}

	// SSECInsecure: SSE-C over plain HTTP.
	SSECInsecure = Text{InvalidRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."}

	// SSECKeyRequired: a read of an SSE-C object without its key.
	SSECKeyRequired = Text{InvalidRequest, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."}

	// SSECWrongKey: a read of an SSE-C object with another key (403, as
	// localstack's AWS-validated snapshots record it).
	SSECWrongKey = Text{AccessDenied, "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."}

	// SSECWithSSE: SSE-C and x-amz-server-side-encryption together.
	SSECWithSSE = Text{InvalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"}

	// SSECPartKeyMismatch: a part of an SSE-C upload with another key.
	SSECPartKeyMismatch = Text{InvalidRequest, "The provided encryption parameters did not match the ones used originally."}

	// SSECPartKeyRequired: a part of an SSE-C upload without its key.
	SSECPartKeyRequired = Text{InvalidRequest, "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."}
)
