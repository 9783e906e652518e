package caddys3

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// maxConfigBody bounds XML request bodies such as CreateBucketConfiguration.
const maxConfigBody = 64 << 10

// maxListBuckets is ListBuckets' page size limit and default (MaxBuckets:
// "Valid Range: Minimum value of 1. Maximum value of 10000.", ListBuckets,
// Amazon S3 API Reference).
const maxListBuckets = 10000

// listBuckets answers ListBuckets as current S3 does (ListBuckets, Amazon
// S3 API Reference): prefix, bucket-region, max-buckets and
// continuation-token select a page; each Bucket carries BucketArn and
// BucketRegion; the result echoes Prefix and, when there is more,
// ContinuationToken (localstack's test_s3_list_operations.snapshot.json,
// TestS3ListBuckets, recorded against AWS).
func (h *Handler) listBuckets(req *request) (*response, error) {
	limit, err := nonNegativeInt(req.query, "max-buckets", maxListBuckets)
	if err != nil {
		return nil, err
	}
	if limit == 0 || limit > maxListBuckets {
		limit = maxListBuckets
	}
	prefix := firstValue(req.query, "prefix")
	region, byRegion := req.query["bucket-region"]
	// The token is the (opaque) name of the first bucket of the page.
	start := ""
	if tok := firstValue(req.query, "continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, newTextError(s3err.ContinuationToken).withArgument("continuation-token", tok)
		}
		start = string(b)
	}
	all, err := h.store.ListBuckets(req.ctx)
	if err != nil {
		return nil, err
	}
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: owner{ID: req.who.Owner, DisplayName: req.displayName()}, Buckets: []bucketItem{}}
	if _, ok := req.query["prefix"]; ok {
		res.Prefix = &prefix
	}
	// An admin account (admin_accounts) sees every bucket; others their own.
	admin := slices.Contains(h.AdminAccounts, req.who.Owner) || h.isAdminKey(req.who)
	for _, b := range all {
		if !admin && b.Owner != req.who.Owner || b.Name < start || !strings.HasPrefix(b.Name, prefix) ||
			byRegion && (len(region) == 0 || region[0] != h.Region) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(b.Name))
			break
		}
		res.Buckets = append(res.Buckets, bucketItem{Name: b.Name, CreationDate: timeISO(b.Created),
			BucketRegion: h.Region, BucketArn: "arn:aws:s3:::" + b.Name})
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
	ownership, err := createOwnership(req.r.Header, acl)
	if err != nil {
		return nil, err
	}
	err = h.store.CreateBucketWith(req.ctx, req.t.bucket, req.who.Owner, fsstore.NewBucket{ACL: acl, Ownership: ownership, ObjectLock: lockOnCreate(req.r.Header)})
	if errors.Is(err, fsstore.ErrBucketAlreadyOwned) && h.Region == "us-east-1" {
		// "For legacy compatibility, if you re-create an existing bucket
		// that you already own in the North Virginia Region, Amazon S3
		// returns 200 OK and resets the bucket access control lists
		// (ACLs)." (CreateBucket, Amazon S3 API Reference, Errors.)
		err = h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketACL, acl)
	}
	if err != nil {
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
