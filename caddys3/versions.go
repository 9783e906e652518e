package caddys3

import (
	"errors"
	"net/http"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Versioning over HTTP (issue 15): PutBucketVersioning,
// GetBucketVersioning, ListObjectVersions, and the versionId of object
// requests. The versions themselves are fsstore's.

// versionID is the version the request names (?versionId=…) and whether
// it names one.
func (req *request) versionID() (string, bool) {
	v, ok := req.query["versionId"]
	if !ok {
		return "", false
	}
	if len(v) == 0 {
		return "", true
	}
	return v[0], true
}

// rule is the rule that authorizes the request: the row's, or its
// versionRule when the request names a version.
func (req *request) rule() rule {
	if _, named := req.versionID(); named && req.op.versionRule != nil {
		return *req.op.versionRule
	}
	return req.op.rule
}

// wellFormedVersionID reports whether v could name a version: "null" or
// an id of the store's form. Anything else is S3's InvalidArgument
// "Invalid version id specified", never a lookup.
func wellFormedVersionID(v string) bool { return fsstore.ValidVersionID(v) }

// invalidVersionID is S3's answer to a versionId it could never have made,
// and to one other than "null" in a bucket that never had versioning
// (localstack models.py S3Bucket.get_object and provider.py delete_object,
// validated against AWS).
func invalidVersionID(v string) *apiError {
	return newTextError(s3err.VersionIDInvalid).withArgument("versionId", v)
}

// checkVersionID validates the version a request names in bucket b.
func checkVersionID(b *fsstore.BucketInfo, v string) error {
	if v == "" {
		return newTextError(s3err.VersionIDEmpty).withArgument("versionId", "")
	}
	if !versionCouldExist(b, v) {
		return invalidVersionID(v)
	}
	return nil
}

// versionCouldExist reports whether v could name a version of bucket b:
// well formed, and "null" unless the bucket ever had versioning.
func versionCouldExist(b *fsstore.BucketInfo, v string) bool {
	return wellFormedVersionID(v) && (b.Versioning != "" || v == fsstore.NullVersion)
}

// checkCopySourceVersion validates the version x-amz-copy-source names in
// bucket b. S3 names the header as the argument, and answers a malformed
// id in CopyObject with a bare InvalidRequest (the AWS recording cited
// at s3err.VersionIDEmpty, tests i2 and j2).
func checkCopySourceVersion(req *request, b *fsstore.BucketInfo, v string) error {
	switch {
	case v == "":
		return newTextError(s3err.VersionIDEmpty).withArgument("x-amz-copy-source", "")
	case versionCouldExist(b, v):
		return nil
	case req.op.name == OpCopyObject:
		return newError(s3err.InvalidRequest)
	}
	return newTextError(s3err.VersionIDInvalid).withArgument("x-amz-copy-source", v)
}

// versionHeader is the x-amz-version-id of an object version m of bucket
// b: its id, "null" for the null version of a bucket that has (had)
// versioning, none in a bucket that never had it.
func versionHeader(b *fsstore.BucketInfo, m fsstore.ObjectMeta) string {
	if m.VersionID != "" {
		return m.VersionID
	}
	if b != nil && b.Versioning != "" {
		return fsstore.NullVersion
	}
	return ""
}

// setVersionHeader sets x-amz-version-id on a write's answer when the
// store made a version (an Enabled bucket; a Suspended bucket's writes
// answer none, as AWS: localstack test_s3_api.snapshot.json,
// test_put_object_on_suspended_bucket, "put-object-suspended").
func setVersionHeader(resp *response, m fsstore.ObjectMeta) {
	if m.VersionID != "" {
		resp.setHeader("X-Amz-Version-Id", m.VersionID)
	}
}

// deleteMarkerError is S3's answer when the addressed object is a delete
// marker (GetObject, "Response Syntax": x-amz-delete-marker): the latest
// version of the key → 404 NoSuchKey with x-amz-delete-marker: true and the
// marker's x-amz-version-id; the marker named by its id (or any write to a
// key whose latest is a marker, such as PutObjectAcl) → 405
// MethodNotAllowed naming the method and ResourceType DeleteMarker, with
// Allow: DELETE and Last-Modified ("If the specified version in the
// request is a delete marker, the response returns a 405 Method Not
// Allowed error and the Last-Modified: timestamp response header";
// localstack models.py S3Bucket.get_object and test_s3.snapshot.json
// "put-acl-delete-marker", "get-acl-delete-marker-version-id").
func deleteMarkerError(dm *fsstore.DeleteMarkerError, method string, notAllowed bool) *apiError {
	id := dm.VersionID
	if id == "" {
		id = fsstore.NullVersion
	}
	var e *apiError
	if dm.Addressed || notAllowed {
		e = newError(s3err.MethodNotAllowed)
		if method != "" {
			e.with("Method", method)
		}
		e.with("ResourceType", "DeleteMarker")
		e.setHeader("Allow", "DELETE")
		if !dm.LastModified.IsZero() {
			e.setHeader("Last-Modified", dm.LastModified.UTC().Format(http.TimeFormat))
		}
	} else {
		e = newError(s3err.NoSuchKey)
	}
	e.setHeader("X-Amz-Delete-Marker", "true")
	e.setHeader("X-Amz-Version-Id", id)
	return e.withCause(dm)
}

// asDeleteMarker returns the delete marker err is about, if any.
func asDeleteMarker(err error) (*fsstore.DeleteMarkerError, bool) {
	var dm *fsstore.DeleteMarkerError
	ok := errors.As(err, &dm)
	return dm, ok
}

// versioningRequest is PutBucketVersioning's body
// (VersioningConfiguration: Status, MfaDelete).
type versioningRequest struct {
	Status    *string `xml:"Status"`
	MfaDelete *string `xml:"MfaDelete"`
}

// putBucketVersioning serves PutBucketVersioning. Status must be Enabled or
// Suspended (anything else, "enabled" and "Disabled" included, is
// MalformedXML; a missing Status is IllegalVersioningConfigurationException:
// localstack test_s3_api.snapshot.json test_bucket_versioning_crud, recorded
// against AWS). MfaDelete Enabled is answered as AWS answers a request
// without a valid x-amz-mfa: we cannot check an MFA code.
func (h *Handler) putBucketVersioning(req *request) (*response, error) {
	var cfg versioningRequest
	if err := readXMLBody(req, maxConfigBody, "VersioningConfiguration", &cfg); err != nil {
		return nil, err
	}
	if cfg.MfaDelete != nil && *cfg.MfaDelete != "Enabled" && *cfg.MfaDelete != "Disabled" {
		return nil, newError(s3err.MalformedXML)
	}
	if cfg.Status == nil || *cfg.Status == "" {
		return nil, newError(s3err.IllegalVersioningConfigurationException)
	}
	status := *cfg.Status
	if status != fsstore.VersioningEnabled && status != fsstore.VersioningSuspended {
		return nil, newError(s3err.MalformedXML)
	}
	if cfg.MfaDelete != nil && *cfg.MfaDelete == "Enabled" {
		return nil, newTextError(s3err.MFARequired)
	}
	if err := h.store.SetBucketVersioning(req.ctx, req.t.bucket, status); err != nil {
		return nil, err
	}
	return ok()
}

// getBucketVersioning answers the bucket's versioning state: an empty
// configuration for a bucket that never had versioning (as S3 answers;
// rclone and cleanup tools ask), Status Enabled or Suspended otherwise.
func (h *Handler) getBucketVersioning(req *request) (*response, error) {
	return xmlResponse(versioningConfiguration{Xmlns: s3Namespace, Status: req.bucket.Versioning})
}

// listObjectVersions serves ListObjectVersions (GET ?versions): prefix,
// delimiter, key-marker, version-id-marker, max-keys, encoding-type, as
// ListObjects takes them. Each Version carries its checksum algorithm and
// type as ListObjectsV2's Contents do (localstack test_s3_api.snapshot.json,
// "list-suspended": ChecksumAlgorithm, ChecksumType).
func (h *Handler) listObjectVersions(req *request) (*response, error) {
	q := req.query
	maxKeys, encoding, enc, err := listParams(q, "max-keys")
	if err != nil {
		return nil, err
	}
	opts := fsstore.ListVersionsOptions{
		Prefix: firstValue(q, "prefix"), Delimiter: firstValue(q, "delimiter"),
		KeyMarker: firstValue(q, "key-marker"), VersionIDMarker: firstValue(q, "version-id-marker"),
		MaxKeys: maxKeys, Brief: true, // only listing fields are shown
	}
	if opts.VersionIDMarker != "" {
		if opts.KeyMarker == "" {
			return nil, newTextError(s3err.VersionIDMarkerWithoutKeyMarker).withArgument("version-id-marker", opts.VersionIDMarker)
		}
		// A marker that is no version id (aws-cli against AWS:
		// "list-object-versions --key-marker a --version-id-marker
		// nonexistent-version-id-12345" → InvalidArgument "Invalid
		// version id specified").
		if !wellFormedVersionID(opts.VersionIDMarker) {
			return nil, newTextError(s3err.VersionIDInvalid).withArgument("version-id-marker", opts.VersionIDMarker)
		}
	}
	res := listVersionsResult{
		Xmlns: s3Namespace, Name: req.t.bucket, Prefix: enc(opts.Prefix),
		KeyMarker: enc(opts.KeyMarker), VersionIDMarker: opts.VersionIDMarker,
		MaxKeys: maxKeys, Delimiter: enc(opts.Delimiter), EncodingType: encoding,
	}
	if maxKeys == 0 {
		return xmlResponse(res)
	}
	page, err := h.store.ListObjectVersions(req.ctx, req.t.bucket, opts)
	if err != nil {
		return nil, err
	}
	res.Entries = make([]versionItem, 0, len(page.Entries))
	for _, v := range page.Entries {
		id := v.VersionID
		if id == "" {
			id = fsstore.NullVersion
		}
		ow := ownerOf(v.Meta.Owner)
		e := versionItem{
			Key: enc(v.Key), VersionID: id, IsLatest: v.IsLatest,
			LastModified: timeISO(v.Meta.LastModified), Owner: &ow,
		}
		if v.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Meta.Size
			e.XMLName.Local = "Version"
			e.ETag, e.Size, e.StorageClass = quoteETag(v.Meta.ETag), &size, "STANDARD"
			e.ChecksumAlgorithm, e.ChecksumType = objectChecksum(v.Meta)
		}
		res.Entries = append(res.Entries, e)
	}
	for _, p := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	res.IsTruncated = page.IsTruncated
	if page.IsTruncated {
		res.NextKeyMarker = enc(page.NextKeyMarker)
		res.NextVersionIDMarker = page.NextVersionIDMarker
	}
	return xmlResponse(res)
}
