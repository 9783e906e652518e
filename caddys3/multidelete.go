package caddys3

import (
	"encoding/xml"
	"errors"
	"io"

	"github.com/caddys3/caddys3/fsstore"
)

// maxDeleteBody bounds a DeleteObjects request: 1000 keys of up to 1 KiB
// each, XML-escaped, fit comfortably.
const maxDeleteBody = 8 << 20

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	Xmlns   string          `xml:"xmlns,attr"`
	Deleted []deletedObject `xml:"Deleted"`
	Errors  []deleteError   `xml:"Error"`
}

type deletedObject struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// deleteObjects serves DeleteObjects (POST ?delete). S3 requires an
// integrity header on it; the auth layer has verified whichever was sent.
func (h *Handler) deleteObjects(req *request) error {
	hdr := req.r.Header
	if hdr.Get("Content-MD5") == "" && !hasChecksumHeader(hdr) {
		return newError("InvalidRequest").withMessage("Missing required header for this request: Content-MD5")
	}
	body, err := io.ReadAll(io.LimitReader(req.res.Body, maxDeleteBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxDeleteBody {
		return newError("MalformedXML").withMessage("The DeleteObjects request is too large.")
	}
	var dr deleteRequest
	if err := xml.Unmarshal(body, &dr); err != nil {
		return newError("MalformedXML").withCause(err)
	}
	if len(dr.Objects) == 0 || len(dr.Objects) > 1000 {
		return newError("MalformedXML").withMessage("The request must name between 1 and 1000 objects.")
	}
	res := deleteResult{Xmlns: s3Namespace}
	for _, o := range dr.Objects {
		var err error
		switch {
		case o.VersionID != "" && o.VersionID != "null":
			err = newError("NoSuchVersion").withMessage("The specified version does not exist.")
		default:
			if err = h.authorizeKey(req, o.Key, OpDeleteObjects); err != nil {
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
	return writeXML(req.w, res)
}
