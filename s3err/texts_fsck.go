package s3err

// Texts for objects stored without metadata (fsck, fsstore/repair.go).

// MetadataMissing answers a GET or HEAD of an object found without its
// metadata record (a file copied into the root by hand, or restored by a
// tool that dropped extended attributes) that is larger than the server
// hashes at read time. The code is AWS's answer to a read of an object
// that exists but cannot be read until an operator acts (an archived
// object before RestoreObject: InvalidObjectState, 403, not retried by
// SDKs; AWS's error-code table gives its default text). AWS has no
// object without metadata, so this wording is ours: it says what is
// missing and how to repair it.
var MetadataMissing = Text{InvalidObjectState, "The object has no metadata record and is larger than this server reads to compute its ETag; repair the storage root with caddy s3 fsck --repair."}
