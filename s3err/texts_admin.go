package s3err

// Texts of the MinIO admin API (/minio/admin/v3/) as served here. Source:
// AdminMissingArgument is the text MinIO sends with its
// XMinioAdminInvalidArgument (minio/minio cmd/api-errors.go,
// ErrAdminInvalidArgument; read for the wire format only), answered here
// with S3's InvalidArgument code. The others are this server's own, for
// what it does not serve (a command or a form of one) and who may call it:
// MinIO has no equivalent to copy.
var (
	// AdminMissingArgument: a required query parameter (accessKey, name,
	// bucket, userOrGroup) is absent or empty.
	AdminMissingArgument = Text{InvalidArgument, "Invalid arguments specified."}
	// AdminNotEnabled: no admin_api_keys configured, or a key not in them.
	AdminNotEnabled = Text{AccessDenied, "The admin API is not enabled for this access key."}
	// AdminNotImplemented: an admin command (or a form of one: groups,
	// several policies, FIFO quotas) this server does not serve.
	AdminNotImplemented = Text{NotImplemented, "This admin API call is not implemented."}
	// AdminSelf: add-user or remove-user naming the signing admin's key.
	AdminSelf = Text{InvalidArgument, "The admin's own access key cannot be changed as a user."}
)
