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
// integrity header on it; the auth layer has verified whichever was sent.
// Each key is authorized as the scope says (req.allowKey).
func (h *Handler) deleteObjects(req *request) (*response, error) {
	hdr := req.r.Header
	if hdr.Get("Content-MD5") == "" && !hasChecksumHeader(hdr) {
		return nil, newTextError(s3err.MissingContentMD5)
	}
	var dr deleteRequest
	if err := readXMLBody(req, maxDeleteBody, "DeleteObjects request", &dr); err != nil {
		return nil, err
	}
	if len(dr.Objects) == 0 || len(dr.Objects) > 1000 {
		return nil, newError(s3err.MalformedXML)
	}
	res := deleteResult{Xmlns: s3Namespace}
	for _, o := range dr.Objects {
		var err error
		switch {
		case o.VersionID != "" && o.VersionID != "null":
			err = newError(s3err.NoSuchVersion)
		default:
			if err = req.allowKey(o.Key); err != nil {
				break
			}
			err = h.store.DeleteObject(req.ctx, req.t.bucket, o.Key)
			if errors.Is(err, fsstore.ErrNoSuchKey) {
				err = nil
			}
		}
		if err != nil {
			ae := toAPIError(err)
			if ae.Status >= 500 {
				h.logger.Error("s3 delete failed", zapRequestID(req), zapErr(err))
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: ae.Code, Message: ae.Message})
			continue
		}
		if !dr.Quiet {
			res.Deleted = append(res.Deleted, deletedObject{Key: o.Key})
		}
	}
	return xmlResponse(res)
}
