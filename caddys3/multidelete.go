package caddys3

import (
	"errors"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxDeleteBody bounds a DeleteObjects request: 1000 keys of up to 1 KiB
// each, XML-escaped, fit comfortably.
const maxDeleteBody = 8 << 20

// deleteObjects serves DeleteObjects (POST ?delete). S3 requires an
// integrity header on it (its row says so); the auth layer has verified
// whichever was sent. Each key is authorized as the scope says
// (req.allowKey).
func (h *Handler) deleteObjects(req *request) (*response, error) {
	var dr deleteRequest
	if err := readXMLBody(req, maxDeleteBody, "DeleteObjects request", &dr); err != nil {
		return nil, err
	}
	if len(dr.Objects) == 0 || len(dr.Objects) > 1000 {
		return nil, newError(s3err.MalformedXML)
	}
	res := deleteResult{Xmlns: s3Namespace}
	for _, o := range dr.Objects {
		d, err := h.deleteOne(req, o.Key, o.VersionID)
		if err != nil {
			ae := toAPIError(err)
			if ae.Status >= 500 {
				h.logger.Error("s3 delete failed", zapRequestID(req), zapErr(err))
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: ae.Code, Message: ae.Message})
			continue
		}
		if !dr.Quiet {
			res.Deleted = append(res.Deleted, d)
		}
	}
	return xmlResponse(res)
}

// deleteOne deletes one object of a DeleteObjects batch, or one version
// of it, and says what it did as S3's <Deleted> does (DeletedObject,
// Amazon S3 API Reference): a marker made → DeleteMarker and
// DeleteMarkerVersionId; a version removed → its VersionId, and
// DeleteMarker with DeleteMarkerVersionId when it was a marker. A
// VersionId other than "null" in a bucket that never had versioning, or
// one that no version could have, is NoSuchVersion (localstack provider.py
// delete_objects, validated against AWS).
func (h *Handler) deleteOne(req *request, key, version string) (deletedObject, error) {
	d := deletedObject{Key: key}
	named := version != ""
	if named && (!wellFormedVersionID(version) || req.bucket.Versioning == "" && version != fsstore.NullVersion) {
		return d, newError(s3err.NoSuchVersion)
	}
	if err := req.allowKey(key, named); err != nil {
		return d, err
	}
	if !named && req.bucket.Versioning == "" {
		err := h.store.DeleteObject(req.ctx, req.t.bucket, key)
		if errors.Is(err, fsstore.ErrNoSuchKey) {
			err = nil
		}
		return d, err
	}
	r, err := h.store.DeleteObjectVersionOpts(req.ctx, req.t.bucket, key, version, req.who.Owner, h.deleteOptions(req, key))
	if errors.Is(err, fsstore.ErrNoSuchKey) {
		err = nil
	}
	if err != nil {
		return d, err
	}
	id := r.VersionID
	if id == "" {
		id = fsstore.NullVersion
	}
	if named {
		d.VersionID = version
	}
	if r.DeleteMarker {
		d.DeleteMarker, d.DeleteMarkerVersionID = true, id
	}
	return d, nil
}
