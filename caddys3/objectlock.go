package caddys3

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Object lock (WORM): the bucket's ObjectLockConfiguration, a version's
// retention and legal hold, set on writes by headers (form fields for
// POST) and later by ?retention and ?legal-hold. The decisions that
// protect a version (may it be deleted, may its retention change) are the
// store's, taken under the key's lock (fsstore/retention.go); the handler
// validates requests, decides whether the requester may bypass a
// GOVERNANCE retention, and answers.

// objectLockBackend is what object lock needs of the store.
type objectLockBackend interface {
	SetBucketObjectLock(ctx context.Context, bucket string, cfg fsstore.ObjectLockConfig) error
	SetObjectRetention(ctx context.Context, bucket, key, versionID, mode string, until time.Time, bypass bool) error
	SetObjectLegalHold(ctx context.Context, bucket, key, versionID, status string) error
	DeleteObjectVersionOpts(ctx context.Context, bucket, key, versionID, owner string, o fsstore.DeleteOptions) (fsstore.DeleteResult, error)
}

// Names of the object lock operations.
const (
	OpGetObjectLockConfiguration Op = "GetObjectLockConfiguration"
	OpPutObjectLockConfiguration Op = "PutObjectLockConfiguration"
	OpGetObjectRetention         Op = "GetObjectRetention"
	OpPutObjectRetention         Op = "PutObjectRetention"
	OpGetObjectLegalHold         Op = "GetObjectLegalHold"
	OpPutObjectLegalHold         Op = "PutObjectLegalHold"
)

// The request headers of object lock.
const (
	hdrLockMode      = "X-Amz-Object-Lock-Mode"
	hdrLockUntil     = "X-Amz-Object-Lock-Retain-Until-Date"
	hdrLegalHold     = "X-Amz-Object-Lock-Legal-Hold"
	hdrBypass        = "X-Amz-Bypass-Governance-Retention"
	hdrBucketLockOn  = "X-Amz-Bucket-Object-Lock-Enabled"
	lockDateLayout   = "2006-01-02T15:04:05.000Z"
	actionBypassGov  = "s3:BypassGovernanceRetention"
	actionGetRetain  = "s3:GetObjectRetention"
	actionGetHolding = "s3:GetObjectLegalHold"
)

// objectLockBucketRows and objectLockObjectRows are the rows of the
// operations table (ops.go). The IAM actions have no version variants:
// a versionId is authorized by the same action (Amazon S3 actions list,
// "PutObjectRetention": s3:PutObjectRetention).
func objectLockBucketRows() []*operation {
	get, put, bkt := http.MethodGet, http.MethodPut, levelBucket
	return []*operation{
		{name: OpGetObjectLockConfiguration, match: match{level: bkt, method: get, sub: "object-lock"}, rule: rule{"s3:GetBucketObjectLockConfiguration", ""}, scope: scopeBucket, serve: (*Handler).getObjectLockConfiguration},
		{name: OpPutObjectLockConfiguration, match: match{level: bkt, method: put, sub: "object-lock"}, rule: rule{"s3:PutBucketObjectLockConfiguration", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putObjectLockConfiguration},
	}
}

func objectLockObjectRows() []*operation {
	get, put, obj := http.MethodGet, http.MethodPut, levelObject
	row := func(name Op, method, sub, action string, writes bool, serve func(*Handler, *request) (*response, error)) *operation {
		r := rule{action, ""}
		return &operation{name: name, match: match{level: obj, method: method, sub: sub}, rule: r, versionRule: &r, scope: scopeObjectMeta, writes: writes, serve: serve}
	}
	return []*operation{
		row(OpGetObjectRetention, get, "retention", actionGetRetain, false, (*Handler).getObjectRetention),
		row(OpPutObjectRetention, put, "retention", "s3:PutObjectRetention", true, (*Handler).putObjectRetention),
		row(OpGetObjectLegalHold, get, "legal-hold", actionGetHolding, false, (*Handler).getObjectLegalHold),
		row(OpPutObjectLegalHold, put, "legal-hold", "s3:PutObjectLegalHold", true, (*Handler).putObjectLegalHold),
	}
}

// lockOnCreate reports whether CreateBucket asks for object lock (and so
// versioning) on (x-amz-bucket-object-lock-enabled: true, CreateBucket,
// Amazon S3 API Reference).
func lockOnCreate(hdr http.Header) bool {
	return strings.EqualFold(hdr.Get(hdrBucketLockOn), "true")
}

// objectLockConfiguration is the ObjectLockConfiguration document.
type objectLockConfiguration struct {
	XMLName           xml.Name        `xml:"ObjectLockConfiguration"`
	Xmlns             string          `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
	Rule              *objectLockRule `xml:"Rule,omitempty"`
}

type objectLockRule struct {
	DefaultRetention *defaultRetention `xml:"DefaultRetention"`
}

type defaultRetention struct {
	Mode  string  `xml:"Mode,omitempty"`
	Days  *string `xml:"Days"`
	Years *string `xml:"Years"`
}

func (h *Handler) getObjectLockConfiguration(req *request) (*response, error) {
	c := req.bucket.ObjectLock
	if c == nil {
		return nil, newError(s3err.ObjectLockConfigurationNotFoundError)
	}
	doc := objectLockConfiguration{Xmlns: s3Namespace, ObjectLockEnabled: "Enabled"}
	if c.Mode != "" {
		dr := &defaultRetention{Mode: c.Mode}
		if c.Years > 0 {
			v := strconv.Itoa(c.Years)
			dr.Years = &v
		} else {
			v := strconv.Itoa(c.Days)
			dr.Days = &v
		}
		doc.Rule = &objectLockRule{DefaultRetention: dr}
	}
	return xmlResponse(doc)
}

// putObjectLockConfiguration serves PutObjectLockConfiguration: lock on a
// bucket whose versioning is Enabled (AWS allows it on existing buckets;
// moto test_s3_lock.py, aws_verified, enables it so), with an optional
// default retention of a mode and exactly one of Days, Years.
func (h *Handler) putObjectLockConfiguration(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "ObjectLockConfiguration")
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, newError(s3err.MissingRequestBodyError)
	}
	var doc objectLockConfiguration
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, newError(s3err.MalformedXML).withCause(err)
	}
	cfg, err := lockConfigOf(doc)
	if err != nil {
		return nil, err
	}
	if err := h.store.SetBucketObjectLock(req.ctx, req.t.bucket, cfg); err != nil {
		return nil, err
	}
	return ok()
}

// lockConfigOf validates a submitted configuration: ObjectLockEnabled
// must be Enabled; a Rule holds a DefaultRetention with a known Mode and
// exactly one period (else MalformedXML, as S3 answers documents that do
// not validate against its schema), a positive integer (versitygw
// InvalidArgObjectLockRetentionDays/Years).
func lockConfigOf(doc objectLockConfiguration) (fsstore.ObjectLockConfig, error) {
	var cfg fsstore.ObjectLockConfig
	if doc.ObjectLockEnabled != "Enabled" {
		return cfg, newError(s3err.MalformedXML)
	}
	if doc.Rule == nil {
		return cfg, nil
	}
	dr := doc.Rule.DefaultRetention
	if dr == nil || !validLockMode(dr.Mode) || (dr.Days == nil) == (dr.Years == nil) {
		return cfg, newError(s3err.MalformedXML)
	}
	name, v := "Days", dr.Days
	if v == nil {
		name, v = "Years", dr.Years
	}
	n, err := strconv.Atoi(strings.TrimSpace(*v))
	if err != nil {
		return cfg, newError(s3err.MalformedXML).withCause(err)
	}
	if n <= 0 {
		return cfg, newTextError(s3err.RetentionPeriodPositive).withArgument(name, *v)
	}
	cfg.Mode = dr.Mode
	if name == "Days" {
		cfg.Days = n
	} else {
		cfg.Years = n
	}
	return cfg, nil
}

func validLockMode(m string) bool { return m == fsstore.LockGovernance || m == fsstore.LockCompliance }

// applyLockHeaders reads the object lock headers of a write (PutObject,
// CopyObject, CreateMultipartUpload; POST's form fields as headers) into
// meta, in the order S3 checks them: the headers' own form first, then
// whether the bucket has lock. checksumRequired: PutObject, which must
// carry Content-MD5 or an x-amz-checksum-* when it sets a retention or
// the bucket has a default one (PutObject, Amazon S3 API Reference).
func applyLockHeaders(req *request, hdr http.Header, meta *fsstore.ObjectMeta, checksumRequired bool) error {
	meta.LockMode, meta.LockUntil, meta.LegalHold = "", time.Time{}, ""
	mode, date, hold := hdr.Get(hdrLockMode), hdr.Get(hdrLockUntil), hdr.Get(hdrLegalHold)
	switch {
	case mode != "" && date == "":
		return newTextError(s3err.LockHeadersBoth).withArgument(strings.ToLower(hdrLockUntil), "")
	case mode == "" && date != "":
		return newTextError(s3err.LockHeadersBoth).withArgument(strings.ToLower(hdrLockMode), "")
	}
	if mode != "" {
		if !validLockMode(mode) {
			return newTextError(s3err.LockModeUnknown).withArgument(strings.ToLower(hdrLockMode), mode)
		}
		until, err := parseLockDate(date)
		if err != nil {
			return err.withArgument(strings.ToLower(hdrLockUntil), date)
		}
		meta.LockMode, meta.LockUntil = mode, until
	}
	if hold != "" {
		if hold != fsstore.LegalHoldOn && hold != fsstore.LegalHoldOff {
			return newTextError(s3err.LegalHoldValue).withArgument(strings.ToLower(hdrLegalHold), hold)
		}
		meta.LegalHold = hold
	}
	set := mode != "" || hold != ""
	lock := req.bucket.ObjectLock
	if set && lock == nil {
		// A write's text differs from ?retention's (versitygw's
		// PutObject_missing_bucket_lock, CopyObject_missing_bucket_lock
		// and CreateMultipartUpload tests, run against S3).
		return newTextError(s3err.NoObjectLockConfig)
	}
	retained := mode != "" || (lock != nil && lock.Mode != "")
	if checksumRequired && retained && req.r.Header.Get("Content-MD5") == "" && !hasChecksumHeader(req.r.Header) {
		return newTextError(s3err.LockNeedsChecksum)
	}
	return nil
}

// parseLockDate reads an ISO 8601 retain-until date that must lie in the
// future (versitygw InvalidArgRetainUntilDate, InvalidArgPastObjectLockRetainDate).
func parseLockDate(s string) (time.Time, *apiError) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, newTextError(s3err.LockDateFormat).withCause(err)
	}
	if !t.After(time.Now()) {
		return time.Time{}, newTextError(s3err.LockDatePast)
	}
	return t.UTC(), nil
}

// setLockHeaders adds a version's lock state to a GET or HEAD answer, each
// only for a requester allowed to read it (HeadObject, Amazon S3 API
// Reference: x-amz-object-lock-mode and -retain-until-date need
// s3:GetObjectRetention, -legal-hold s3:GetObjectLegalHold).
func (h *Handler) setLockHeaders(req *request, hdr http.Header, m fsstore.ObjectMeta) {
	if m.LockMode != "" && h.authorizeBucket(req, rule{actionGetRetain, ""}) == nil {
		hdr.Set(hdrLockMode, m.LockMode)
		hdr.Set(hdrLockUntil, m.LockUntil.UTC().Format(lockDateLayout))
	}
	if m.LegalHold != "" && h.authorizeBucket(req, rule{actionGetHolding, ""}) == nil {
		hdr.Set(hdrLegalHold, m.LegalHold)
	}
}

// deleteOptions are a delete's options for key: bypass of a GOVERNANCE
// retention when the request asks for it (x-amz-bypass-governance-retention:
// true) and the requester may s3:BypassGovernanceRetention on the key (the
// bucket owner may; a policy may grant or deny it). Without the right the
// header is ignored, and the store refuses a protected version.
func (h *Handler) deleteOptions(req *request, key string) fsstore.DeleteOptions {
	return fsstore.DeleteOptions{BypassGovernance: h.mayBypass(req, key)}
}

func (h *Handler) mayBypass(req *request, key string) bool {
	return strings.EqualFold(req.r.Header.Get(hdrBypass), "true") &&
		h.authorize(req, req.bucket, key, rule{actionBypassGov, ""}, bucketACLOf(req.bucket)) == nil
}

// retention is the Retention document.
type retention struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// legalHold is the LegalHold document.
type legalHold struct {
	XMLName xml.Name `xml:"LegalHold"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// requireLock answers BucketMissingObjectLock for a bucket without lock.
func requireLock(req *request) error {
	if req.bucket.ObjectLock == nil {
		return newTextError(s3err.BucketMissingObjectLock)
	}
	return nil
}

func (h *Handler) getObjectRetention(req *request) (*response, error) {
	if err := requireLock(req); err != nil {
		return nil, err
	}
	m := req.object.Meta
	if m.LockMode == "" {
		return nil, newError(s3err.NoSuchObjectLockConfiguration)
	}
	return xmlResponse(retention{Xmlns: s3Namespace, Mode: m.LockMode, RetainUntilDate: m.LockUntil.UTC().Format(lockDateLayout)})
}

// putObjectRetention serves PutObjectRetention. An empty <Retention/>
// removes the retention (allowed where shortening is: expired, or
// GOVERNANCE with bypass); Mode and RetainUntilDate come together.
func (h *Handler) putObjectRetention(req *request) (*response, error) {
	if err := requireLock(req); err != nil {
		return nil, err
	}
	var doc retention
	if err := readXMLBody(req, maxConfigBody, "Retention", &doc); err != nil {
		return nil, err
	}
	var until time.Time
	switch {
	case doc.Mode == "" && doc.RetainUntilDate == "":
	case !validLockMode(doc.Mode) || doc.RetainUntilDate == "":
		return nil, newError(s3err.MalformedXML)
	default:
		t, err := parseLockDate(doc.RetainUntilDate)
		if err != nil {
			return nil, err
		}
		until = t
	}
	version, _ := req.versionID()
	if err := h.store.SetObjectRetention(req.ctx, req.t.bucket, req.t.key, version, doc.Mode, until, h.mayBypass(req, req.t.key)); err != nil {
		return nil, err
	}
	return ok()
}

func (h *Handler) getObjectLegalHold(req *request) (*response, error) {
	if err := requireLock(req); err != nil {
		return nil, err
	}
	m := req.object.Meta
	if m.LegalHold == "" {
		return nil, newError(s3err.NoSuchObjectLockConfiguration)
	}
	return xmlResponse(legalHold{Xmlns: s3Namespace, Status: m.LegalHold})
}

func (h *Handler) putObjectLegalHold(req *request) (*response, error) {
	if err := requireLock(req); err != nil {
		return nil, err
	}
	var doc legalHold
	if err := readXMLBody(req, maxConfigBody, "LegalHold", &doc); err != nil {
		return nil, err
	}
	if doc.Status != fsstore.LegalHoldOn && doc.Status != fsstore.LegalHoldOff {
		return nil, newError(s3err.MalformedXML)
	}
	version, _ := req.versionID()
	if err := h.store.SetObjectLegalHold(req.ctx, req.t.bucket, req.t.key, version, doc.Status); err != nil {
		return nil, err
	}
	return ok()
}
