package caddys3

import (
	"encoding/xml"
	"io"
	"slices"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxConfigBody bounds XML request bodies such as CreateBucketConfiguration.
const maxConfigBody = 64 << 10

func (h *Handler) listBuckets(req *request) (*response, error) {
	all, err := h.store.ListBuckets(req.ctx)
	if err != nil {
		return nil, err
	}
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: owner{ID: req.who.Owner, DisplayName: req.displayName()}, Buckets: []bucketItem{}}
	// An admin account (admin_accounts) sees every bucket; others their own.
	admin := slices.Contains(h.AdminAccounts, req.who.Owner)
	for _, b := range all {
		if admin || b.Owner == req.who.Owner {
			res.Buckets = append(res.Buckets, bucketItem{Name: b.Name, CreationDate: timeISO(b.Created)})
		}
	}
	return xmlResponse(res)
}

func (h *Handler) createBucket(req *request) (*response, error) {
	if !fsstore.ValidBucketName(req.t.bucket) {
		return nil, newError(s3err.InvalidBucketName)
	}
	if slices.Contains(h.ReservedBuckets, req.t.bucket) {
		return nil, newError(s3err.InvalidBucketName)
	}
	acl, err := h.requestedACL(req, req.r.Header, true)
	if err != nil {
		return nil, err
	}
	body, err := readBody(req, maxConfigBody, "CreateBucketConfiguration")
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return nil, newError(s3err.MalformedXML).withCause(err)
		}
		if cfg.LocationConstraint != "" && cfg.LocationConstraint != h.Region {
			return nil, newTextError(s3err.IllegalLocation, cfg.LocationConstraint)
		}
	}
	if err := h.store.CreateBucketWithACL(req.ctx, req.t.bucket, req.who.Owner, acl); err != nil {
		return nil, err
	}
	resp := &response{}
	resp.setHeader("Location", "/"+req.t.bucket)
	return resp, nil
}

// readBody reads a small request document (XML or JSON) of at most limit
// bytes; what names it in the error for a larger one.
func readBody(req *request, limit int, what string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(body) > limit {
		return nil, newError(s3err.MalformedXML)
	}
	return body, nil
}

// readXMLBody reads a request document of at most limit bytes into v.
func readXMLBody(req *request, limit int, what string, v any) error {
	body, err := readBody(req, limit, what)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return newError(s3err.MalformedXML).withCause(err)
	}
	return nil
}

func (h *Handler) headBucket(req *request) (*response, error) {
	resp := &response{}
	resp.setHeader("X-Amz-Bucket-Region", h.Region)
	return resp, nil
}

func (h *Handler) deleteBucket(req *request) (*response, error) {
	if err := h.store.DeleteBucket(req.ctx, req.t.bucket); err != nil {
		return nil, err
	}
	return noContent()
}

func (h *Handler) getBucketLocation(req *request) (*response, error) {
	// S3 reports us-east-1 as an empty constraint.
	region := h.Region
	if region == "us-east-1" {
		region = ""
	}
	return xmlResponse(locationConstraint{Xmlns: s3Namespace, Region: region})
}

// getBucketVersioning reports versioning as never enabled (an empty
// configuration, as S3 answers for such buckets); tools such as rclone ask.
func (h *Handler) getBucketVersioning(req *request) (*response, error) {
	return xmlResponse(versioningConfiguration{Xmlns: s3Namespace})
}
