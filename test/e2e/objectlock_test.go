package e2e

// Object lock (WORM) end to end (issue 16): the bucket's configuration,
// the lock headers of writes, ?retention and ?legal-hold, and the
// enforcement matrix (mode × bypass header × permission × operation ×
// version id), through the real server with raw signed requests,
// aws-sdk-go-v2 and minio-go. Each row cites the AWS document or
// AWS-verified test its expectation comes from.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

const (
	olDate   = "2006-01-02T15:04:05.000Z"
	olGov    = "GOVERNANCE"
	olComp   = "COMPLIANCE"
	olBypass = "X-Amz-Bypass-Governance-Retention"
)

// lockedBucket creates a bucket with object lock through the SDK
// (x-amz-bucket-object-lock-enabled: true).
func lockedBucket(t *testing.T, c creds, prefix string) string {
	t.Helper()
	name := newBucketName(prefix)
	_, err := sdk(c, srv.base).CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)})
	if err != nil {
		t.Fatalf("CreateBucket %s with object lock: %v", name, err)
	}
	return name
}

// olRaw sends one signed raw request.
func olRaw(t *testing.T, c creds, method, path, query string, hdr http.Header, body []byte) rawResp {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return doRaw(t, rawReq{Method: method, Path: path, Query: q, Header: hdr, Body: body, Creds: &c})
}

// olPut writes key with the given headers (plus Content-MD5) and returns
// its version id.
func olPut(t *testing.T, c creds, bucket, key string, hdr http.Header) string {
	t.Helper()
	body := []byte("locked " + key)
	if hdr == nil {
		hdr = http.Header{}
	}
	hdr.Set("Content-MD5", contentMD5(body))
	r := olRaw(t, c, "PUT", objPath(bucket, key), "", hdr, body)
	wantStatus(t, r, 200)
	v := r.Header.Get("X-Amz-Version-Id")
	if v == "" {
		t.Fatalf("PUT %s: no version id: %s", key, r)
	}
	return v
}

func lockHdr(mode string, until time.Time) http.Header {
	return http.Header{"X-Amz-Object-Lock-Mode": {mode}, "X-Amz-Object-Lock-Retain-Until-Date": {until.UTC().Format(olDate)}}
}

func retentionBody(mode string, until time.Time) []byte {
	if mode == "" {
		return []byte(`<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`)
	}
	return []byte(`<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>` + mode + `</Mode><RetainUntilDate>` +
		until.UTC().Format(olDate) + `</RetainUntilDate></Retention>`)
}

// wantMessage checks an error's exact text.
func wantMessage(t *testing.T, e xmlError, msg string) {
	t.Helper()
	if e.Message != msg {
		t.Errorf("%s message %q, want %q", e.Code, e.Message, msg)
	}
}

const (
	msgLocked         = "Access Denied because object protected by object lock."
	msgMissingLock    = "Bucket is missing Object Lock Configuration"
	msgNeedsChecksum  = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"
	msgLockNeedsVers  = "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
	msgVersionsLocked = "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
)

func TestObjectLockBucketConfiguration(t *testing.T) {
	cl := aliceSDK()
	// CreateBucket with object lock: versioning Enabled, lock on without
	// a rule (CreateBucket, ObjectLockEnabledForBucket; User Guide,
	// "Enabling Object Lock": "it also enables versioning").
	locked := lockedBucket(t, alice, "ol-cfg")
	v, err := cl.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(locked)})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a locked bucket: %+v %v", v, err)
	}
	got, err := cl.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(locked)})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("GetObjectLockConfiguration: %+v %v", got, err)
	}
	// Suspending is refused (terraform-provider-aws matches this text).
	r := olRaw(t, alice, "PUT", "/"+locked, "versioning", nil, []byte(`<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>`))
	wantMessage(t, wantXMLError(t, r, 409, "InvalidBucketState"), msgVersionsLocked)

	// A plain bucket: no configuration (404), none can be put before
	// versioning is Enabled (moto test_put_object_lock_on_non_versioned_bucket,
	// aws_verified), and one can after (AWS allows enabling lock on an
	// existing versioned bucket; moto test_locked_object_governance_mode).
	plain := makeBucket(t, alice, "ol-plain")
	r = olRaw(t, alice, "GET", "/"+plain, "object-lock", nil, nil)
	wantXMLError(t, r, 404, "ObjectLockConfigurationNotFoundError")
	enable := []byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`)
	r = olRaw(t, alice, "PUT", "/"+plain, "object-lock", nil, enable)
	wantMessage(t, wantXMLError(t, r, 409, "InvalidBucketState"), msgLockNeedsVers)
	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(plain),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.PutObjectLockConfiguration(ctxT(t), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(plain),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(2)}}}})
	if err != nil {
		t.Fatalf("PutObjectLockConfiguration on a versioned bucket: %v", err)
	}
	got, err = cl.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(plain)})
	if err != nil || got.ObjectLockConfiguration.Rule == nil || got.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeCompliance ||
		aws.ToInt32(got.ObjectLockConfiguration.Rule.DefaultRetention.Years) != 2 || got.ObjectLockConfiguration.Rule.DefaultRetention.Days != nil {
		t.Fatalf("configuration read back: %+v %v", got.ObjectLockConfiguration, err)
	}

	// Validation (PutObjectLockConfiguration request syntax: one Mode and
	// exactly one of Days, Years; moto test_put_object_lock_misconfiguration,
	// aws_verified, for the empty body and the empty document; versitygw
	// InvalidArgObjectLockRetentionDays/Years for non-positive periods).
	doc := func(inner string) []byte {
		return []byte(`<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</ObjectLockConfiguration>`)
	}
	rule := func(dr string) []byte {
		return doc(`<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>` + dr + `</DefaultRetention></Rule>`)
	}
	for _, c := range []struct {
		name   string
		body   []byte
		status int
		code   string
		msg    string
	}{
		{"empty body", nil, 400, "MissingRequestBodyError", "Request Body is empty"},
		{"empty document", doc(""), 400, "MalformedXML", ""},
		{"disabled", doc(`<ObjectLockEnabled>Disabled</ObjectLockEnabled>`), 400, "MalformedXML", ""},
		{"rule without retention", doc(`<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule>`), 400, "MalformedXML", ""},
		{"days and years", rule(`<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>`), 400, "MalformedXML", ""},
		{"no period", rule(`<Mode>GOVERNANCE</Mode>`), 400, "MalformedXML", ""},
		{"unknown mode", rule(`<Mode>governance</Mode><Days>1</Days>`), 400, "MalformedXML", ""},
		{"no mode", rule(`<Days>1</Days>`), 400, "MalformedXML", ""},
		{"zero days", rule(`<Mode>GOVERNANCE</Mode><Days>0</Days>`), 400, "InvalidArgument", "Default retention period must be a positive integer value."},
		{"negative years", rule(`<Mode>COMPLIANCE</Mode><Years>-1</Years>`), 400, "InvalidArgument", "Default retention period must be a positive integer value."},
		{"not a number", rule(`<Mode>COMPLIANCE</Mode><Days>x</Days>`), 400, "MalformedXML", ""},
	} {
		r := olRaw(t, alice, "PUT", "/"+locked, "object-lock", nil, c.body)
		e := wantXMLError(t, r, c.status, c.code)
		if c.msg != "" {
			wantMessage(t, e, c.msg)
		}
	}
	// Removing the rule keeps lock on (there is no way to turn it off).
	wantStatus(t, olRaw(t, alice, "PUT", "/"+plain, "object-lock", nil, doc(`<ObjectLockEnabled>Enabled</ObjectLockEnabled>`)), 200)
	r = olRaw(t, alice, "GET", "/"+plain, "object-lock", nil, nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Body), "<ObjectLockEnabled>Enabled</ObjectLockEnabled>") || strings.Contains(string(r.Body), "<Rule>") {
		t.Errorf("configuration after removing the rule: %s", r.Body)
	}
}

// The lock headers of a write (PutObject request syntax; the errors as
// versitygw's integration tests record them against S3).
func TestObjectLockWriteHeaders(t *testing.T) {
	locked := lockedBucket(t, alice, "ol-hdr")
	plain := makeBucket(t, alice, "ol-hdr-plain")
	future := time.Now().Add(time.Hour)
	body := []byte("data")
	with := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	const mode, until, hold = "X-Amz-Object-Lock-Mode", "X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold"
	md5h := contentMD5(body)
	for _, c := range []struct {
		name   string
		bucket string
		hdr    http.Header
		status int
		code   string
		msg    string
	}{
		{"mode without date", locked, with(mode, olGov, "Content-MD5", md5h), 400, "InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied."},
		{"date without mode", locked, with(until, future.Format(olDate), "Content-MD5", md5h), 400, "InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied."},
		{"unknown mode", locked, with(mode, "governance", until, future.Format(olDate), "Content-MD5", md5h), 400, "InvalidArgument", "Unknown wormMode directive."},
		{"bad date", locked, with(mode, olGov, until, "tomorrow", "Content-MD5", md5h), 400, "InvalidArgument", "The retain until date must be provided in ISO 8601 format"},
		{"past date", locked, with(mode, olGov, until, time.Now().Add(-time.Hour).Format(olDate), "Content-MD5", md5h), 400, "InvalidArgument", "The retain until date must be in the future!"},
		{"bad legal hold", locked, with(hold, "on", "Content-MD5", md5h), 400, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'"},
		// moto test_fail_locked_object; versitygw PutObject_missing_bucket_lock
		// (run against S3): a write's text has no spaces in ObjectLockConfiguration.
		{"retention in a bucket without lock", plain, with(mode, olGov, until, future.Format(olDate), "Content-MD5", md5h), 400, "InvalidRequest", msgNoObjectLock},
		{"legal hold in a bucket without lock", plain, with(hold, "ON", "Content-MD5", md5h), 400, "InvalidRequest", msgNoObjectLock},
		// PutObject: "The Content-MD5 or x-amz-sdk-checksum-algorithm header
		// is required for any request to upload an object with a retention
		// period configured using Amazon S3 Object Lock."
		{"retention without Content-MD5", locked, with(mode, olGov, until, future.Format(olDate)), 400, "InvalidRequest", msgNeedsChecksum},
		{"retention with Content-MD5", locked, with(mode, olGov, until, future.Format(olDate), "Content-MD5", md5h), 200, "", ""},
		{"legal hold without Content-MD5", locked, with(hold, "ON"), 200, "", ""},
		{"no lock headers", locked, nil, 200, "", ""},
	} {
		r := olRaw(t, alice, "PUT", objPath(c.bucket, "k"), "", c.hdr, body)
		if c.status == 200 {
			if r.Status != 200 {
				t.Errorf("%s: %s", c.name, r)
			}
			continue
		}
		e := wantXMLError(t, r, c.status, c.code)
		if e.Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, e.Message, c.msg)
		}
	}
	// A bucket with a default retention needs the checksum on every PUT.
	if _, err := aliceSDK().PutObjectLockConfiguration(ctxT(t), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(locked),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	r := olRaw(t, alice, "PUT", objPath(locked, "d"), "", nil, body)
	wantMessage(t, wantXMLError(t, r, 400, "InvalidRequest"), msgNeedsChecksum)
	// With it, the default applies: retain-until = now + 1 day (User
	// Guide, "Default retention").
	start := time.Now()
	olPut(t, alice, locked, "d", nil)
	r = olRaw(t, alice, "HEAD", objPath(locked, "d"), "", nil, nil)
	wantStatus(t, r, 200)
	d, err := time.Parse(time.RFC3339, r.Header.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	if r.Header.Get("X-Amz-Object-Lock-Mode") != olGov || err != nil || d.Before(start.Add(24*time.Hour-2*time.Second)) || d.After(start.Add(25*time.Hour)) {
		t.Errorf("default retention on HEAD: %v %v", r.Header, err)
	}
}

// lockRow is one cell of the enforcement matrix.
type lockRow struct {
	name   string
	mode   string // retention of the version: GOVERNANCE, COMPLIANCE, "" none
	hold   bool   // legal hold ON
	who    string // alice (owner), bob (policy grants bypass), nobypass (bob, bypass denied), admin (root)
	bypass bool   // x-amz-bypass-governance-retention: true
	op     string // delete-version, delete (no version id), shorten, extend, remove, to-compliance, to-governance
	status int
	// gone: the version is gone afterwards (deletes).
	gone bool
	src  string
}

func TestObjectLockEnforcement(t *testing.T) {
	bucket := lockedBucket(t, alice, "ol-matrix")
	putPolicy(t, aliceSDK(), bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:GetObject","s3:GetObjectVersion","s3:DeleteObject","s3:DeleteObjectVersion",
			"s3:PutObjectRetention","s3:GetObjectRetention","s3:PutObjectLegalHold","s3:GetObjectLegalHold","s3:BypassGovernanceRetention"],"Resource":"arn:aws:s3:::BUCKET/*"},
		{"Effect":"Deny","Principal":{"AWS":["bob"]},"Action":"s3:BypassGovernanceRetention","Resource":"arn:aws:s3:::BUCKET/nobypass/*"}]}`))
	const (
		ug   = "User Guide, Object Lock retention modes"
		moto = "moto test_s3_lock.py (aws_verified)"
	)
	rows := []lockRow{
		{"gov: delete by id", olGov, false, "alice", false, "delete-version", 403, false, moto + " test_locked_object_governance_mode"},
		{"gov: delete by id, bypass, owner", olGov, false, "alice", true, "delete-version", 204, true, moto + " governance bypass"},
		{"gov: delete by id, bypass, granted", olGov, false, "bob", true, "delete-version", 204, true, ug + ": s3:BypassGovernanceRetention"},
		{"gov: delete by id, bypass header, denied", olGov, false, "nobypass", true, "delete-version", 403, false, ug + ": bypass needs the permission"},
		{"gov: delete by id, granted, no header", olGov, false, "bob", false, "delete-version", 403, false, ug + ": the header is required"},
		{"gov: delete by id, bypass, root", olGov, false, "admin", true, "delete-version", 204, true, ug},
		{"gov: delete without id adds a marker", olGov, false, "alice", false, "delete", 204, false, moto + " delete without VersionId always succeeds"},
		{"gov: shorten", olGov, false, "alice", false, "shorten", 403, false, ug},
		{"gov: shorten, bypass", olGov, false, "alice", true, "shorten", 200, false, ug},
		{"gov: shorten, bypass denied", olGov, false, "nobypass", true, "shorten", 403, false, ug},
		{"gov: remove, bypass", olGov, false, "bob", true, "remove", 200, false, ug},
		{"gov: extend", olGov, false, "nobypass", false, "extend", 200, false, ug + ": extending is always allowed"},
		{"gov: to compliance", olGov, false, "alice", false, "to-compliance", 403, false, "PutObjectRetention: a compliance retention needs s3:BypassGovernanceRetention (ceph PR 42505, tested on S3)"},
		{"gov: to compliance, bypass", olGov, false, "bob", true, "to-compliance", 200, false, "ceph PR 42505: GOVERNANCE becomes COMPLIANCE only with the bypass"},
		{"comp: delete by id, bypass, owner", olComp, false, "alice", true, "delete-version", 403, false, moto + " test_locked_object_compliance_mode"},
		{"comp: delete by id, bypass, root", olComp, false, "admin", true, "delete-version", 403, false, ug + ": not even the root user"},
		{"comp: shorten, bypass, root", olComp, false, "admin", true, "shorten", 403, false, ug},
		{"comp: remove, bypass", olComp, false, "alice", true, "remove", 403, false, ug},
		{"comp: to governance, bypass", olComp, false, "alice", true, "to-governance", 403, false, ug + ": the mode can't be changed"},
		{"comp: extend", olComp, false, "bob", false, "extend", 200, false, ug},
		{"comp: delete without id adds a marker", olComp, false, "alice", false, "delete", 204, false, moto},
		{"hold: delete by id, bypass", "", true, "alice", true, "delete-version", 403, false, moto + " test_put_object_legal_hold"},
		{"hold: delete by id, root", "", true, "admin", true, "delete-version", 403, false, "User Guide, Legal holds"},
		{"hold+gov: delete by id, bypass", olGov, true, "bob", true, "delete-version", 403, false, "User Guide, Legal holds"},
		{"none: delete by id", "", false, "bob", false, "delete-version", 204, true, ug},
	}
	credsOf := map[string]creds{"alice": alice, "bob": bob, "nobypass": bob, "admin": admin}
	cur := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			key := fmt.Sprintf("k%02d", i)
			if row.who == "nobypass" {
				key = "nobypass/" + key
			}
			hdr := http.Header{}
			if row.mode != "" {
				hdr = lockHdr(row.mode, cur)
			}
			if row.hold {
				hdr.Set("X-Amz-Object-Lock-Legal-Hold", "ON")
			}
			vid := olPut(t, alice, bucket, key, hdr)
			rh := http.Header{}
			if row.bypass {
				rh.Set(olBypass, "true")
			}
			c := credsOf[row.who]
			var r rawResp
			switch row.op {
			case "delete-version":
				r = olRaw(t, c, "DELETE", objPath(bucket, key), "versionId="+vid, rh, nil)
			case "delete":
				r = olRaw(t, c, "DELETE", objPath(bucket, key), "", rh, nil)
				if r.Header.Get("X-Amz-Delete-Marker") != "true" {
					t.Errorf("no delete marker: %s", r)
				}
			default:
				mode, until := row.mode, cur
				switch row.op {
				case "shorten":
					until = cur.Add(-30 * time.Minute)
				case "extend":
					until = cur.Add(time.Hour)
				case "remove":
					mode = ""
				case "to-compliance":
					mode = olComp
				case "to-governance":
					mode = olGov
				}
				r = olRaw(t, c, "PUT", objPath(bucket, key), "retention&versionId="+vid, rh, retentionBody(mode, until))
				if r.Status == 200 {
					g := olRaw(t, alice, "GET", objPath(bucket, key), "retention&versionId="+vid, nil, nil)
					if mode == "" {
						wantXMLError(t, g, 404, "NoSuchObjectLockConfiguration")
					} else if !strings.Contains(string(g.Body), "<Mode>"+mode+"</Mode><RetainUntilDate>"+until.Format(olDate)+"</RetainUntilDate>") {
						t.Errorf("retention read back: %s", g)
					}
				}
			}
			if row.status == 403 {
				wantMessage(t, wantXMLError(t, r, 403, "AccessDenied"), msgLocked)
			} else {
				wantStatus(t, r, row.status)
			}
			h := olRaw(t, alice, "HEAD", objPath(bucket, key), "versionId="+vid, nil, nil)
			if gone := h.Status == 404; gone != row.gone {
				t.Errorf("version gone %v, want %v (%s)", gone, row.gone, row.src)
			}
		})
	}

	// DeleteObjects reports a protected version per key (moto
	// test_locked_object_governance_mode, aws_verified).
	cl := aliceSDK()
	vid := olPut(t, alice, bucket, "batch", lockHdr(olGov, cur))
	out, err := cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("batch"), VersionId: aws.String(vid)}}}})
	if err != nil || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" || aws.ToString(out.Errors[0].Message) != msgLocked ||
		aws.ToString(out.Errors[0].Key) != "batch" {
		t.Fatalf("DeleteObjects of a locked version: %+v %v", out, err)
	}
	out, err = cl.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("batch"), VersionId: aws.String(vid)}}}})
	if err != nil || len(out.Errors) != 0 || len(out.Deleted) != 1 {
		t.Fatalf("DeleteObjects with bypass: %+v %v", out, err)
	}

	// A legal hold, once released, no longer protects (moto
	// test_put_object_legal_hold, aws_verified).
	vid = olPut(t, alice, bucket, "held", http.Header{"X-Amz-Object-Lock-Legal-Hold": {"ON"}})
	wantStatus(t, olRaw(t, alice, "DELETE", objPath(bucket, "held"), "versionId="+vid, nil, nil), 403)
	wantStatus(t, olRaw(t, bob, "PUT", objPath(bucket, "held"), "legal-hold&versionId="+vid, nil, []byte(`<LegalHold><Status>OFF</Status></LegalHold>`)), 200)
	wantStatus(t, olRaw(t, alice, "DELETE", objPath(bucket, "held"), "versionId="+vid, nil, nil), 204)
}

// The SDK's view: PutObject's lock fields, HeadObject's answer, the
// retention and legal-hold operations, BypassGovernanceRetention.
func TestObjectLockSDK(t *testing.T) {
	cl := aliceSDK()
	bucket := lockedBucket(t, alice, "ol-sdk")
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	put, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatalf("PutObject with lock: %v", err)
	}
	vid := aws.ToString(put.VersionId)
	head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("o")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(head.ObjectLockRetainUntilDate).Equal(until) ||
		head.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("HeadObject: %+v %v", head, err)
	}
	// bob may read the object (ACL) but not its lock state: the headers
	// need s3:GetObjectRetention / s3:GetObjectLegalHold (HeadObject).
	if _, err := cl.PutObjectAcl(ctxT(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("o"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	bh, err := bobSDK().HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("o")})
	if err != nil || bh.ObjectLockMode != "" || bh.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("bob's HeadObject shows lock state: %+v %v", bh, err)
	}
	ret, err := cl.GetObjectRetention(ctxT(t), &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid)})
	if err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeGovernance || !aws.ToTime(ret.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("GetObjectRetention: %+v %v", ret, err)
	}
	shorter := until.Add(-time.Hour)
	_, err = cl.PutObjectRetention(ctxT(t), &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(shorter)}})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = cl.PutObjectRetention(ctxT(t), &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid),
		BypassGovernanceRetention: aws.Bool(true), Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(shorter)}})
	if err != nil {
		t.Fatalf("PutObjectRetention shorten with bypass: %v", err)
	}
	hold, err := cl.GetObjectLegalHold(ctxT(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid)})
	if err != nil || hold.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("GetObjectLegalHold: %+v %v", hold, err)
	}
	_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(true)})
	wantSDKError(t, err, 403, "AccessDenied")
	if _, err := cl.PutObjectLegalHold(ctxT(t), &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid)})
	wantSDKError(t, err, 403, "AccessDenied")
	if _, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("o"), VersionId: aws.String(vid), BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("DeleteObject with bypass once released: %v", err)
	}
	// A version without retention: NoSuchObjectLockConfiguration; in a
	// bucket without lock: InvalidRequest (adobe/S3Mock, S3-verified).
	putBytes(t, cl, bucket, "free", []byte("x"))
	_, err = cl.GetObjectRetention(ctxT(t), &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String("free")})
	wantSDKError(t, err, 404, "NoSuchObjectLockConfiguration")
	_, err = cl.GetObjectLegalHold(ctxT(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String("free")})
	wantSDKError(t, err, 404, "NoSuchObjectLockConfiguration")
	plain := makeBucket(t, alice, "ol-sdk-plain")
	putBytes(t, cl, plain, "o", []byte("x"))
	_, err = cl.GetObjectLegalHold(ctxT(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String(plain), Key: aws.String("o")})
	wantSDKError(t, err, 400, "InvalidRequest")
	_, err = cl.PutObjectRetention(ctxT(t), &s3.PutObjectRetentionInput{Bucket: aws.String(plain), Key: aws.String("o"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until)}})
	wantSDKError(t, err, 400, "InvalidRequest")

	// CopyObject and multipart carry the lock of their headers, not the
	// source's (CopyObject: x-amz-object-lock-* apply to the copy).
	olPut(t, alice, bucket, "src", lockHdr(olComp, until))
	cp, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/src")})
	if err != nil {
		t.Fatal(err)
	}
	if r := olRaw(t, alice, "GET", objPath(bucket, "copy"), "retention", nil, nil); r.Status != 404 {
		t.Errorf("copy without lock headers has a retention: %s", r)
	}
	_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), VersionId: cp.VersionId})
	if err != nil {
		t.Errorf("delete of an unlocked copy: %v", err)
	}
	cp, err = cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy2"), CopySource: aws.String(bucket + "/src"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy2"), VersionId: cp.VersionId})
	wantSDKError(t, err, 403, "AccessDenied")
	up, err := cl.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatal(err)
	}
	part, err := cl.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatal(err)
	}
	done, err := cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32}}}})
	if err != nil {
		t.Fatal(err)
	}
	mh, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), VersionId: done.VersionId})
	if err != nil || mh.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(mh.ObjectLockRetainUntilDate).Equal(until) {
		t.Fatalf("multipart object's lock: %+v %v", mh, err)
	}
	_, err = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), VersionId: done.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	wantSDKError(t, err, 403, "AccessDenied")

	// A browser POST's form fields set the lock as the headers do.
	f := v4PostForm(t, alice, bucket, "posted", time.Now().Add(time.Hour), [][2]string{{"x-amz-object-lock-legal-hold", "ON"}},
		map[string]string{"key": "posted"}, map[string]string{"x-amz-object-lock-legal-hold": "ON"})
	f.fileName, f.file = "f", []byte("posted")
	r := postForm(t, srv.base, "/"+bucket, f)
	wantStatus(t, r, 204)
	g := olRaw(t, alice, "GET", objPath(bucket, "posted"), "legal-hold", nil, nil)
	if !strings.Contains(string(g.Body), "<Status>ON</Status>") {
		t.Errorf("POST legal hold: %s", g)
	}
}

// minio-go's object lock calls (mc's retention and legal-hold commands
// use them).
func TestObjectLockMinio(t *testing.T) {
	m := mc(t, alice, false)
	bucket := newBucketName("ol-minio")
	if err := m.MakeBucket(ctxT(t), bucket, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	mode, validity, unit := minio.Governance, uint(1), minio.Days
	if err := m.SetObjectLockConfig(ctxT(t), bucket, &mode, &validity, &unit); err != nil {
		t.Fatalf("SetObjectLockConfig: %v", err)
	}
	enabled, gm, gv, gu, err := m.GetObjectLockConfig(ctxT(t), bucket)
	if err != nil || enabled != "Enabled" || gm == nil || *gm != minio.Governance || gv == nil || *gv != 1 || gu == nil || *gu != minio.Days {
		t.Fatalf("GetObjectLockConfig: %v %v %v %v %v", enabled, gm, gv, gu, err)
	}
	info, err := m.PutObject(ctxT(t), bucket, "o", strings.NewReader("minio"), 5, minio.PutObjectOptions{SendContentMd5: true})
	if err != nil {
		t.Fatalf("PutObject into a bucket with a default retention: %v", err)
	}
	gmode, until, err := m.GetObjectRetention(ctxT(t), bucket, "o", info.VersionID)
	if err != nil || gmode == nil || *gmode != minio.Governance || until == nil || until.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("GetObjectRetention of the default: %v %v %v", gmode, until, err)
	}
	comp, later := minio.Compliance, time.Now().Add(48*time.Hour).UTC().Truncate(time.Second)
	err = m.PutObjectRetention(ctxT(t), bucket, "o", minio.PutObjectRetentionOptions{Mode: &comp, RetainUntilDate: &later, VersionID: info.VersionID})
	wantMinioError(t, err, 403, "AccessDenied") // GOVERNANCE → COMPLIANCE needs the bypass
	if err := m.PutObjectRetention(ctxT(t), bucket, "o", minio.PutObjectRetentionOptions{Mode: &comp, RetainUntilDate: &later, VersionID: info.VersionID, GovernanceBypass: true}); err != nil {
		t.Fatalf("PutObjectRetention to COMPLIANCE: %v", err)
	}
	gmode, until, err = m.GetObjectRetention(ctxT(t), bucket, "o", info.VersionID)
	if err != nil || *gmode != minio.Compliance || !until.Equal(later) {
		t.Fatalf("GetObjectRetention: %v %v %v", gmode, until, err)
	}
	on := minio.LegalHoldEnabled
	if err := m.PutObjectLegalHold(ctxT(t), bucket, "o", minio.PutObjectLegalHoldOptions{VersionID: info.VersionID, Status: &on}); err != nil {
		t.Fatalf("PutObjectLegalHold: %v", err)
	}
	st, err := m.GetObjectLegalHold(ctxT(t), bucket, "o", minio.GetObjectLegalHoldOptions{VersionID: info.VersionID})
	if err != nil || st == nil || *st != minio.LegalHoldEnabled {
		t.Fatalf("GetObjectLegalHold: %v %v", st, err)
	}
	err = m.RemoveObject(ctxT(t), bucket, "o", minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true})
	wantMinioError(t, err, 403, "AccessDenied")
	shorter := later.Add(-time.Hour)
	err = m.PutObjectRetention(ctxT(t), bucket, "o", minio.PutObjectRetentionOptions{Mode: &comp, RetainUntilDate: &shorter, VersionID: info.VersionID, GovernanceBypass: true})
	wantMinioError(t, err, 403, "AccessDenied")
}

// Two server processes on one root: one deletes a version by id while
// the other sets a legal hold (even rounds) or a GOVERNANCE retention (odd
// rounds) on it, again and again. The decision and
// the act both run under the key's lock in the store, so either the
// delete ran strictly before (the hold then finds no version: 404) or
// the lock won (the delete is refused and the version is there).
func TestObjectLockTwoNodesRace(t *testing.T) {
	second := startSecondNode(t)
	objectLockRace(t, aliceSDK(), sdk(alice, second), lockedBucket(t, alice, "ol-race"), 40)
}

// objectLockRace is TestObjectLockTwoNodesRace's race, rounds times: cl
// writes and deletes versions of the object-locked bucket, holder (a
// client of another node) holds or retains them at the same time.
func objectLockRace(t *testing.T, cl, holder *s3.Client, bucket string, rounds int) {
	t.Helper()
	var deleted, held int
	for i := range rounds {
		key := fmt.Sprintf("r%02d", i)
		vid := aws.ToString(putBytes(t, cl, bucket, key, []byte("x")).VersionId)
		var wg sync.WaitGroup
		var delErr, holdErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, delErr = cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
		}()
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, holdErr = holder.PutObjectLegalHold(ctxT(t), &s3.PutObjectLegalHoldInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid),
					LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
				return
			}
			_, holdErr = holder.PutObjectRetention(ctxT(t), &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid),
				Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}})
		}()
		wg.Wait()
		_, headErr := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
		switch {
		case delErr == nil && httpStatus(holdErr) == 404 && httpStatus(headErr) == 404:
			deleted++
		case httpStatus(delErr) == 403 && holdErr == nil && headErr == nil:
			held++
		default:
			t.Fatalf("%s: delete %v, hold %v, head %v", key, delErr, holdErr, headErr)
		}
	}
	t.Logf("delete first %d times, hold first %d times", deleted, held)
}
