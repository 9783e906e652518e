package caddys3

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Who may do what, decided in this order (the first that applies wins):
//
//  1. admin_accounts may do everything.
//  2. An explicit Deny in the bucket policy refuses (the bucket owner can
//     still read, replace and delete the policy, so it cannot lock itself
//     out).
//  3. An Allow in the bucket policy permits.
//  4. The bucket owner may do everything in its bucket, including on
//     objects other accounts wrote there (as S3's recommended "bucket owner
//     enforced" ownership does).
//  5. The ACL grants: the object's ACL for reading an object and its ACL,
//     the bucket's ACL for everything else an ACL can grant (listing,
//     writing and deleting objects, the bucket's ACL).
//  6. Otherwise AccessDenied.
//
// Bucket configuration (policy, CORS, deletion, location, versioning) has
// no ACL permission: only the owner, an admin or the policy allow it.

// errExplicitDeny is the cause of an AccessDenied decided by a Deny
// statement: no grant or exemption may override it.
var errExplicitDeny = errors.New("denied by the bucket policy")

// policyOwnerActions stay with the bucket owner whatever the policy says.
var policyOwnerActions = []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}

// authorizeScope loads what the row's scope names and decides whether the
// requester may have it (see scope). It runs before the operation.
func (h *Handler) authorizeScope(req *request, w http.ResponseWriter) error {
	op := req.op
	switch op.scope {
	case scopeNone:
		return nil
	case scopeService:
		if req.who.Anonymous {
			return newError(s3err.AccessDenied)
		}
		return nil
	}
	if err := h.loadBucket(req); err != nil {
		return err
	}
	h.setCORSHeaders(req, w.Header())
	// Before the object is looked at: a wrong owner is 403 even for a key
	// that does not exist.
	if err := checkExpectedOwner(req); err != nil {
		return err
	}
	if op.validate != nil {
		if err := op.validate(req); err != nil {
			return err
		}
	}
	switch op.scope {
	case scopeBucket:
		return h.authorizeBucket(req, req.rule())
	case scopeObjectMeta, scopeObjectFile:
		return h.openObject(req, op.scope == scopeObjectFile)
	case scopeEachKey:
		if len(req.bucket.Policy) == 0 {
			// Without a policy the bucket decides for every key at once
			// (the ACL permission of a version's deletion is the same).
			if err := h.authorizeBucket(req, op.rule); err != nil {
				return err
			}
			req.allowKey = func(string, bool) error { return nil }
			return nil
		}
		// A policy may allow some prefixes and not others, and
		// s3:DeleteObject without s3:DeleteObjectVersion.
		req.allowKey = func(key string, version bool) error {
			r := op.rule
			if version && op.versionRule != nil {
				r = *op.versionRule
			}
			return h.authorize(req, req.bucket, key, r, bucketACLOf(req.bucket))
		}
		return nil
	case scopeCopy:
		if err := h.authorizeBucket(req, op.rule); err != nil {
			return err
		}
		return h.openCopySource(req)
	case scopeInitiator:
		err := h.authorizeBucket(req, op.rule)
		if err == nil || req.who.Anonymous || errors.Is(err, errExplicitDeny) {
			return err
		}
		// The account that started an upload may use it unless the
		// policy denies it explicitly.
		up, uerr := h.store.GetUpload(req.ctx, req.t.bucket, req.t.key, firstValue(req.query, "uploadId"))
		if uerr != nil || up.Meta.Owner != req.who.Owner {
			return newError(s3err.AccessDenied)
		}
		return nil
	}
	return newError(s3err.AccessDenied)
}

// openObject reads (or opens) the addressed object, or the version the
// request names, and authorizes the row against its ACL; a missing key
// shows only to who may list. A delete marker has no ACL: the bucket's
// policy, owner and ACL decide whether the requester learns of it.
func (h *Handler) openObject(req *request, open bool) error {
	var obj *fsstore.Object
	var err error
	version, named := req.versionID()
	if named {
		if err := checkVersionID(req.bucket, version); err != nil {
			return err
		}
	}
	switch {
	case open && named:
		obj, err = h.store.OpenObjectVersion(req.ctx, req.t.bucket, req.t.key, version)
	case open:
		obj, err = h.store.OpenObject(req.ctx, req.t.bucket, req.t.key)
	default:
		var m fsstore.ObjectMeta
		if named {
			m, err = h.store.HeadObjectVersion(req.ctx, req.t.bucket, req.t.key, version)
		} else {
			m, err = h.store.HeadObject(req.ctx, req.t.bucket, req.t.key)
		}
		obj = &fsstore.Object{Meta: m}
	}
	if dm, ok := asDeleteMarker(err); ok {
		// A write to a key whose latest version is a marker (PutObjectAcl),
		// and GetObjectTagging of it, are 405 as a request naming the marker
		// (localstack test_s3.snapshot.json "put-acl-delete-marker";
		// provider.py get_object_tagging, validated against AWS).
		if dm.Addressed || req.op.writes || req.op.name == OpGetObjectTagging {
			if aerr := h.authorizeBucket(req, req.rule()); aerr != nil {
				return aerr
			}
			return deleteMarkerError(dm, req.r.Method, true)
		}
		if herr := h.hideMissingKey(req, req.bucket, err); herr != err {
			return herr
		}
		return deleteMarkerError(dm, req.r.Method, false)
	}
	if err != nil {
		return h.hideMissingKey(req, req.bucket, err)
	}
	req.object = obj
	return h.authorize(req, req.bucket, req.t.key, req.rule(), objectACLOf(obj.Meta))
}

// openCopySource opens the object named by x-amz-copy-source once the
// requester may read it (GetObject on it, as a GET would be authorized)
// and the x-amz-copy-source-if-* conditions hold.
func (h *Handler) openCopySource(req *request) error {
	srcBucket, srcKey, version, named, err := parseCopySource(req.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	src, err := h.store.Bucket(req.ctx, srcBucket)
	if err != nil {
		return err
	}
	if v := req.r.Header.Get("X-Amz-Source-Expected-Bucket-Owner"); v != "" && v != src.Owner {
		return newError(s3err.AccessDenied)
	}
	getRule := opByName[OpGetObject].rule
	var obj *fsstore.Object
	if named {
		getRule = *opByName[OpGetObject].versionRule
		if err := checkCopySourceVersion(req, &src, version); err != nil {
			return err
		}
		obj, err = h.store.OpenObjectVersion(req.ctx, srcBucket, srcKey, version)
	} else {
		obj, err = h.store.OpenObject(req.ctx, srcBucket, srcKey)
	}
	if dm, ok := asDeleteMarker(err); ok && dm.Addressed {
		if aerr := h.authorize(req, &src, srcKey, getRule, bucketACLOf(&src)); aerr != nil {
			return aerr
		}
		return newTextError(s3err.CopySourceDeleteMarker).withCause(err)
	}
	if err != nil {
		if errors.Is(err, fsstore.ErrNoSuchKey) {
			// The source's latest version is a marker: a plain NoSuchKey
			// (localstack test_s3.snapshot.json
			// "copy-object-src-delete-marker-current-version").
			err = fsstore.ErrNoSuchKey
		}
		return h.hideMissingKey(req, &src, err)
	}
	req.source, req.src, req.srcBucket, req.srcNamed = obj, target{bucket: srcBucket, key: srcKey}, &src, named
	if err := h.authorize(req, &src, srcKey, getRule, objectACLOf(obj.Meta)); err != nil {
		return err
	}
	return checkCopyConditions(req.r.Header, obj.Meta)
}

// requester is who the request's principal is, for ACLs and policies.
func (req *request) requester() access.Requester {
	if req.who.Anonymous {
		return access.Requester{Anonymous: true}
	}
	return access.Requester{ID: req.who.Owner}
}

// loadBucket reads the addressed bucket once per request.
func (h *Handler) loadBucket(req *request) error {
	b, err := h.store.Bucket(req.ctx, req.t.bucket)
	if errors.Is(err, fsstore.ErrInvalidBucketName) {
		return newError(s3err.NoSuchBucket).withCause(err)
	}
	if err != nil {
		return err
	}
	req.bucket = &b
	return nil
}

// aclSource yields the ACL that may grant a rule's permission (the
// bucket's or the object's); it is decoded only when ownership and policy
// did not decide.
type aclSource func() (*access.ACL, error)

// authorize decides whether the requester may perform r.action on the
// bucket b (and key, for object resources), or holds r.perm in the ACL.
func (h *Handler) authorize(req *request, b *fsstore.BucketInfo, key string, r rule, aclOf aclSource) error {
	who := req.requester()
	if !who.Anonymous && slices.Contains(h.AdminAccounts, who.ID) || h.isAdminKey(req.who) {
		return nil
	}
	isOwner := !who.Anonymous && who.ID == b.Owner
	if len(b.Policy) > 0 {
		pol, err := h.policies.get(b.Name, b.Policy)
		if err != nil {
			// Stored policies were validated when put; one that no longer
			// parses (a newer server wrote it) must not open anything.
			h.logger.Warn("s3: stored bucket policy does not parse; ignoring its Allow statements",
				zapRequestID(req), zapErr(err))
		} else {
			switch pol.Evaluate(h.policyRequest(req, b.Name, key, r)) {
			case access.Deny:
				if !(isOwner && slices.Contains(policyOwnerActions, r.action)) {
					return newError(s3err.AccessDenied).withCause(errExplicitDeny)
				}
			case access.Allow:
				if !policyRestricted(b, pol, who) {
					return nil
				}
			}
		}
	}
	if isOwner {
		return nil
	}
	if r.perm == "" {
		return newError(s3err.AccessDenied)
	}
	acl, err := aclOf()
	if err != nil {
		return err
	}
	if aclInForce(b, acl).Allows(who, r.perm) {
		return nil
	}
	return newError(s3err.AccessDenied)
}

// policyRequest describes the request in the terms of a bucket policy.
func (h *Handler) policyRequest(req *request, bucket, key string, r rule) access.Request {
	resource := "arn:aws:s3:::" + bucket
	if key != "" {
		resource += "/" + key
	}
	pr := access.Request{
		Action:   r.action,
		Resource: resource,
		Who:      req.requester(),
		Secure:   req.r.TLS != nil,
		Time:     time.Now(),
		Context:  map[string]string{},
		Multi:    map[string][]string{},
	}
	// The client address as Caddy determined it (trusted_proxies aware).
	if ip, ok := caddyhttp.GetVar(req.ctx, caddyhttp.ClientIPVarKey).(string); ok {
		pr.SourceIP = net.ParseIP(ip)
	}
	if pr.SourceIP == nil {
		if host, _, err := net.SplitHostPort(req.r.RemoteAddr); err == nil {
			pr.SourceIP = net.ParseIP(host)
		}
	}
	for _, k := range []string{"prefix", "delimiter", "max-keys"} {
		if v, ok := req.query[k]; ok && len(v) > 0 {
			pr.Context["s3:"+k] = v[0]
		}
	}
	acl := req.r.Header.Get("X-Amz-Acl")
	if req.form != nil {
		acl = req.form.Fields["acl"] // a browser upload asks in its form
	}
	if v := acl; v != "" {
		pr.Context["s3:x-amz-acl"] = v
	}
	tagConditions(req, bucket, key, pr.Context, pr.Multi)
	if v := req.r.Header.Get("Referer"); v != "" {
		pr.Context["aws:referer"] = v
	}
	if v := req.r.Header.Get("User-Agent"); v != "" {
		pr.Context["aws:useragent"] = v
	}
	// The request headers S3 offers as condition keys (AWS: "Condition
	// keys for Amazon S3"); a form upload's fields stand for its headers.
	for _, k := range policyHeaderKeys {
		v := req.r.Header.Get(k)
		if req.form != nil {
			v = req.form.Fields[k]
		}
		if v != "" {
			pr.Context["s3:"+k] = v
		}
	}
	if !req.who.Anonymous {
		// Requests are signed by accounts (as their root user): aws:userid
		// and aws:PrincipalAccount are the account; aws:username is only
		// for IAM users and stays missing (IAM: "AWS global condition
		// context keys").
		pr.Context["aws:userid"] = req.who.Owner
		pr.Context["aws:principalaccount"] = req.who.Owner
		// s3:signatureversion and s3:authType (AWS: "Amazon S3 Signature
		// Version 4 Authentication Specific Policy Keys").
		version, kind, _ := strings.Cut(req.who.Method, "-")
		switch version {
		case "v2":
			pr.Context["s3:signatureversion"] = "AWS"
		case "v4":
			pr.Context["s3:signatureversion"] = "AWS4-HMAC-SHA256"
		}
		switch kind {
		case "presigned":
			pr.Context["s3:authtype"] = "REST-QUERY-STRING"
		case "post":
			pr.Context["s3:authtype"] = "POST"
		default:
			pr.Context["s3:authtype"] = "REST-HEADER"
		}
		// Header-signed SigV4 only: the key does not read the query form.
		if v := req.r.Header.Get("X-Amz-Content-Sha256"); v != "" {
			pr.Context["s3:x-amz-content-sha256"] = v
		}
	}
	return pr
}

// policyHeaderKeys are the request headers a bucket policy may test as
// s3:<header> (lower case); x-amz-acl is read above, with the form's acl.
var policyHeaderKeys = []string{
	"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
	"x-amz-grant-write-acp", "x-amz-grant-full-control",
	"x-amz-copy-source", "x-amz-metadata-directive",
	"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
	"x-amz-storage-class",
}

// authorizeBucket checks a rule whose ACL permission, if any, is granted
// by the bucket's ACL; for an object-level operation the policy sees the
// key.
func (h *Handler) authorizeBucket(req *request, r rule) error {
	return h.authorize(req, req.bucket, req.t.key, r, bucketACLOf(req.bucket))
}

// hideMissingKey turns NoSuchKey in bucket b into AccessDenied for a
// requester who may not list b, as S3 does, so existence does not leak.
func (h *Handler) hideMissingKey(req *request, b *fsstore.BucketInfo, err error) error {
	if !errors.Is(err, fsstore.ErrNoSuchKey) && !errors.Is(err, fsstore.ErrNoSuchVersion) {
		return err
	}
	if h.authorize(req, b, "", opByName[OpListObjects].rule, bucketACLOf(b)) != nil {
		return newError(s3err.AccessDenied)
	}
	return err
}

// bucketACL decodes the bucket's ACL; a bucket without one is private to
// its owner.
func bucketACL(b *fsstore.BucketInfo) (*access.ACL, error) {
	if len(b.ACL) == 0 {
		acl, err := access.Canned("private", b.Owner, "", b.Owner, "")
		return &acl, err
	}
	var acl access.ACL
	if err := json.Unmarshal(b.ACL, &acl); err != nil {
		return nil, errors.Join(errors.New("s3: stored bucket ACL of "+b.Name), err)
	}
	return &acl, nil
}

func bucketACLOf(b *fsstore.BucketInfo) aclSource {
	return func() (*access.ACL, error) { return bucketACL(b) }
}

func objectACLOf(m fsstore.ObjectMeta) aclSource {
	return func() (*access.ACL, error) { return objectACL(m) }
}

// objectACL decodes an object's ACL; an object without one is private to
// the account that wrote it.
func objectACL(m fsstore.ObjectMeta) (*access.ACL, error) {
	if len(m.ACL) == 0 {
		acl, err := access.Canned("private", m.Owner, "", m.Owner, "")
		return &acl, err
	}
	var acl access.ACL
	if err := json.Unmarshal(m.ACL, &acl); err != nil {
		return nil, errors.Join(errors.New("s3: stored object ACL"), err)
	}
	return &acl, nil
}

// requestedACL is the ACL a write asks for in its x-amz-acl or
// x-amz-grant-* headers, private when it names none, encoded for storage.
// The owner is the writer; bucket-owner-* grants name the bucket's owner.
func (h *Handler) requestedACL(req *request, hdr http.Header, forBucket bool) ([]byte, error) {
	acl, err := h.requestedGrants(req, hdr, forBucket)
	if err != nil {
		return nil, err
	}
	return json.Marshal(acl)
}

// requestedGrants is requestedACL before encoding: a write of an object
// checks it and, in a bucket with ACLs disabled, drops it, so it is
// encoded only when it is stored.
func (h *Handler) requestedGrants(req *request, hdr http.Header, forBucket bool) (access.ACL, error) {
	ownerID, ownerName := req.who.Owner, req.displayName()
	bucketOwner, bucketOwnerName := ownerID, ownerName
	if !forBucket && req.bucket != nil {
		bucketOwner, bucketOwnerName = req.bucket.Owner, ""
		if bucketOwner == ownerID {
			bucketOwnerName = ownerName
		}
	}
	acl, ok, err := access.FromHeaders(hdr, ownerID, ownerName, bucketOwner, bucketOwnerName, h.accounts(req))
	if err != nil || ok {
		return acl, err
	}
	return access.Canned("private", ownerID, ownerName, bucketOwner, bucketOwnerName)
}

// accounts tells the access package which canonical IDs are accounts and
// their display names: the requester, the bucket's owner, and what the
// credential sources know (auth.Accounts: the static keys' owners). When
// a source cannot tell (CloudStack keys), any ID is taken as an account
// without a name, so a grant is never refused for want of a directory.
func (h *Handler) accounts(req *request) access.Accounts {
	dir, _ := h.verifier.Provider.(auth.Accounts)
	return func(id string) (string, bool) {
		if !req.who.Anonymous && id == req.who.Owner {
			return req.displayName(), true
		}
		if dir == nil {
			return "", true
		}
		name, found, err := dir.Account(req.ctx, id)
		switch {
		case found:
			return name, true
		case err != nil:
			if !errors.Is(err, auth.ErrAccountsUnknown) {
				h.logger.Warn("s3: cannot tell whether an ACL grantee is an account", zapRequestID(req), zapErr(err))
			}
			return "", true
		}
		// Unknown to every source; the bucket's owner stays an account
		// even once its keys are gone.
		return "", req.bucket != nil && id == req.bucket.Owner
	}
}

// displayName is the requester's display name (CloudStack: the account
// name), its canonical ID when it has none.
func (req *request) displayName() string {
	if req.who.DisplayName != "" {
		return req.who.DisplayName
	}
	return req.who.Owner
}

// stampOwner records the writer and the requested ACL on new object
// metadata.
func (h *Handler) stampOwner(req *request, m *fsstore.ObjectMeta, hdr http.Header) error {
	acl, err := h.requestedGrants(req, hdr, false)
	if err != nil {
		return err
	}
	m.Owner = req.who.Owner
	return h.ownObject(req, m, &acl, hdr)
}
