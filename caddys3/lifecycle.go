package caddys3

import (
	"errors"
	"net/http"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/lifecycle"
	"github.com/caddys3/caddys3/s3err"
)

// Bucket lifecycle configuration (?lifecycle) and the x-amz-expiration
// header. The document and its validation are package lifecycle's; the
// executor that applies it runs in lifecycle_run.go.

// Names of the lifecycle operations.
const (
	OpGetBucketLifecycleConfiguration Op = "GetBucketLifecycleConfiguration"
	OpPutBucketLifecycleConfiguration Op = "PutBucketLifecycleConfiguration"
	OpDeleteBucketLifecycle           Op = "DeleteBucketLifecycle"
)

// maxLifecycleBody bounds a configuration: 1,000 rules of a few hundred
// bytes each.
const maxLifecycleBody = 1 << 20

// lifecycleRows are the rows of the operations table. IAM has no
// DeleteBucketLifecycle action: s3:PutLifecycleConfiguration covers it
// (DeleteBucketLifecycle, Amazon S3 API Reference). PUT needs Content-MD5
// or a checksum ("you must include the Content-MD5 header":
// PutBucketLifecycleConfiguration; S3 answers InvalidRequest without
// one, aws-cli issue 229, botocore issue 3415).
func lifecycleRows() []*operation {
	bkt := levelBucket
	return []*operation{
		{name: OpGetBucketLifecycleConfiguration, match: match{level: bkt, method: http.MethodGet, sub: "lifecycle"}, rule: rule{"s3:GetLifecycleConfiguration", ""}, scope: scopeBucket, serve: (*Handler).getBucketLifecycle},
		{name: OpPutBucketLifecycleConfiguration, match: match{level: bkt, method: http.MethodPut, sub: "lifecycle"}, rule: rule{"s3:PutLifecycleConfiguration", ""}, scope: scopeBucket, writes: true, integrity: true, serve: (*Handler).putBucketLifecycle},
		{name: OpDeleteBucketLifecycle, match: match{level: bkt, method: http.MethodDelete, sub: "lifecycle"}, rule: rule{"s3:PutLifecycleConfiguration", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketLifecycle},
	}
}

func (h *Handler) getBucketLifecycle(req *request) (*response, error) {
	c, err := lifecycle.Decode(req.bucket.Lifecycle)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, newError(s3err.NoSuchLifecycleConfiguration)
	}
	c.Xmlns = s3Namespace
	return xmlResponse(c)
}

// putBucketLifecycle replaces the configuration (S3 answers 200).
func (h *Handler) putBucketLifecycle(req *request) (*response, error) {
	body, err := readBody(req, maxLifecycleBody, "LifecycleConfiguration")
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, newError(s3err.MissingRequestBodyError)
	}
	c, err := lifecycle.Parse(body)
	if err != nil {
		return nil, lifecycleError(err)
	}
	doc, err := c.Encode()
	if err != nil {
		return nil, err
	}
	return h.setBucketDoc(req, fsstore.BucketLifecycle, doc)
}

// deleteBucketLifecycle removes the configuration: 204, also when there
// was none (DeleteBucketLifecycle's sample response).
func (h *Handler) deleteBucketLifecycle(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketLifecycle)
}

// lifecycleTexts are the texts package lifecycle answers with.
var lifecycleTexts = []s3err.Text{
	s3err.LifecycleDays, s3err.LifecycleNoncurrentDays, s3err.LifecycleNewerNoncurrent,
	s3err.LifecycleAbortDays, s3err.LifecycleDateMidnight, s3err.LifecycleIDTooLong,
	s3err.LifecycleIDDuplicate, s3err.LifecycleNoAction, s3err.LifecycleFilterInV1,
	s3err.LifecycleMarkerWithTags, s3err.LifecycleMarkerWithSize, s3err.LifecycleAbortWithTags,
	s3err.LifecycleAbortWithSize, s3err.LifecycleSizeRange, s3err.LifecycleDuplicateTagKey,
	s3err.LifecycleTransition,
}

// lifecycleError is the S3 error of a refused configuration.
func lifecycleError(err error) error {
	var le *lifecycle.Error
	if !errors.As(err, &le) {
		return err
	}
	if le.Text != nil {
		return textOr(le.Code, le.Text.Message(), lifecycleTexts).withCause(err)
	}
	return newError(le.Code).withCause(err)
}

// setExpirationHeader adds x-amz-expiration to the answer of a PUT,
// CopyObject, GET or HEAD of the current version of an object a rule
// expires: when and by which rule (HeadObject, CopyObject, Amazon S3 API
// Reference). A version named by id gets none.
func setExpirationHeader(req *request, resp *response, m fsstore.ObjectMeta) {
	if req.bucket == nil || len(req.bucket.Lifecycle) == 0 || versionRequested(req.query) || m.DeleteMarker {
		return
	}
	c, err := lifecycle.Decode(req.bucket.Lifecycle)
	if err != nil || c == nil {
		return
	}
	e, found := c.CurrentExpiry(lifecycle.Object{Key: req.t.key, Size: m.Size, Tags: m.Tags, Modified: m.LastModified})
	if found {
		resp.setHeader("X-Amz-Expiration", e.HeaderValue())
	}
}
