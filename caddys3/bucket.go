package caddys3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"

	"github.com/caddys3/caddys3/fsstore"
)

// maxConfigBody bounds XML request bodies such as CreateBucketConfiguration.
const maxConfigBody = 64 << 10

type listAllMyBucketsResult struct {
	XMLName xml.Name     `xml:"ListAllMyBucketsResult"`
	Xmlns   string       `xml:"xmlns,attr"`
	Owner   owner        `xml:"Owner"`
	Buckets []bucketItem `xml:"Buckets>Bucket"`
}

type bucketItem struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
}

func (h *Handler) listBuckets(req *request) error {
	all, err := h.store.ListBuckets(req.ctx)
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: ownerOf(req.who.Owner), Buckets: []bucketItem{}}
	for _, b := range all {
		if b.Owner == req.who.Owner {
			res.Buckets = append(res.Buckets, bucketItem{Name: b.Name, CreationDate: timeISO(b.Created)})
		}
	}
	return writeXML(req.w, res)
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

func (h *Handler) createBucket(req *request) error {
	if !fsstore.ValidBucketName(req.t.bucket) {
		return newError("InvalidBucketName")
	}
	body, err := io.ReadAll(io.LimitReader(req.res.Body, maxConfigBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxConfigBody {
		return newError("MalformedXML").withMessage("The CreateBucketConfiguration is too large.")
	}
	if len(body) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return newError("MalformedXML").withCause(err)
		}
		if cfg.LocationConstraint != "" && cfg.LocationConstraint != h.Region {
			return newError("IllegalLocationConstraintException").withMessage("The " + cfg.LocationConstraint +
				" location constraint is incompatible for the region specific endpoint this request was sent to.")
		}
	}
	if err := h.store.CreateBucket(req.ctx, req.t.bucket, req.who.Owner); err != nil {
		return err
	}
	req.w.Header().Set("Location", "/"+req.t.bucket)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// ownedBucket returns the addressed bucket if the caller owns it. Another
// owner's bucket answers AccessDenied, as S3 does.
func (h *Handler) ownedBucket(req *request) (fsstore.BucketInfo, error) {
	b, err := h.store.Bucket(req.ctx, req.t.bucket)
	if errors.Is(err, fsstore.ErrInvalidBucketName) {
		return b, newError("NoSuchBucket").withCause(err)
	}
	if err != nil {
		return b, err
	}
	if b.Owner != req.who.Owner {
		return b, newError("AccessDenied")
	}
	return b, nil
}

func (h *Handler) headBucket(req *request) error {
	if _, err := h.ownedBucket(req); err != nil {
		return err
	}
	req.w.Header().Set("X-Amz-Bucket-Region", h.Region)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(req *request) error {
	if _, err := h.ownedBucket(req); err != nil {
		return err
	}
	if err := h.store.DeleteBucket(req.ctx, req.t.bucket); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

func (h *Handler) getBucketLocation(req *request) error {
	if _, err := h.ownedBucket(req); err != nil {
		return err
	}
	// S3 reports us-east-1 as an empty constraint.
	region := h.Region
	if region == "us-east-1" {
		region = ""
	}
	return writeXML(req.w, locationConstraint{Xmlns: s3Namespace, Region: region})
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
}

// getBucketVersioning reports versioning as never enabled (an empty
// configuration, as S3 answers for such buckets); tools such as rclone ask.
func (h *Handler) getBucketVersioning(req *request) error {
	if _, err := h.ownedBucket(req); err != nil {
		return err
	}
	return writeXML(req.w, versioningConfiguration{Xmlns: s3Namespace})
}
