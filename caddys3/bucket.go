package caddys3

import (
	"encoding/xml"
	"io"
	"net/http"
	"slices"

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
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: owner{ID: req.who.Owner, DisplayName: req.displayName()}, Buckets: []bucketItem{}}
	// An admin account (admin_accounts) sees every bucket; others their own.
	admin := slices.Contains(h.AdminAccounts, req.who.Owner)
	for _, b := range all {
		if admin || b.Owner == req.who.Owner {
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
	if slices.Contains(h.ReservedBuckets, req.t.bucket) {
		return newError("InvalidBucketName").withMessage("The specified bucket name is reserved on this endpoint.")
	}
	acl, err := h.requestedACL(req, req.r.Header, true)
	if err != nil {
		return err
	}
	body, err := readConfigBody(req, "CreateBucketConfiguration")
	if err != nil {
		return err
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
	if err := h.store.CreateBucketWithACL(req.ctx, req.t.bucket, req.who.Owner, acl); err != nil {
		return err
	}
	req.w.Header().Set("Location", "/"+req.t.bucket)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// readConfigBody reads a small configuration document (XML or JSON) of at
// most maxConfigBody bytes.
func readConfigBody(req *request, what string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.res.Body, maxConfigBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxConfigBody {
		return nil, newError("MalformedXML").withMessage("The " + what + " is too large.")
	}
	return body, nil
}

func (h *Handler) headBucket(req *request) error {
	req.w.Header().Set("X-Amz-Bucket-Region", h.Region)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(req *request) error {
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
	return writeXML(req.w, versioningConfiguration{Xmlns: s3Namespace})
}
