package caddys3

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/objstore"
	"github.com/caddys3/caddys3/s3err"
)

// The MinIO admin API (package objstore), for CloudStack's "MinIO" object
// storage provider, and the bucket quotas it sets.
//
// Who may call it: the access keys listed in admin_api_keys, resolved by
// the credential sources like any key. A dedicated static key is what the
// docs recommend: CloudStack stores the store's keys in plain text
// (object_store_details), so they should open the admin API and nothing
// else of value, and be rotatable on their own. A CloudStack root admin's
// API key may be listed too (its access key id), but then that root
// admin's key sits in one more table in plain text.

// adminBodyLimit bounds an admin request body (a user or policy document).
const adminBodyLimit = 1 << 20

// provisionAdminAPI sets up the user store below root and adds its users to
// the credential chain, when admin_api_keys is set; the bucket name
// "minio" is reserved then (it would shadow /minio/admin/).
func (h *Handler) provisionAdminAPI(root string, p auth.Provider) (auth.Provider, error) {
	if len(h.AdminAPIKeys) == 0 {
		return p, nil
	}
	// Its directories are made when the handler starts (start.go).
	users := objstore.New(root, h.Fsync == "always")
	// With the cloudstack credential source, acs- users are checked
	// against CloudStack's accounts (objstore.Accounts).
	chain, _ := p.(auth.Chain)
	for _, c := range append(chain, p) {
		if a, ok := c.(objstore.Accounts); ok {
			users.Accounts = a
		}
	}
	h.admin = &objstore.Admin{Users: users, Buckets: adminBuckets{h}, Region: h.Region}
	if !slices.Contains(h.ReservedBuckets, "minio") {
		h.ReservedBuckets = append(h.ReservedBuckets, "minio")
	}
	return auth.Chain{p, users}, nil
}

// serveAdminAPI answers a request for /minio/admin/v3/… (path style) and
// reports whether it was one. Errors are MinIO's JSON error documents.
func (h *Handler) serveAdminAPI(w http.ResponseWriter, r *http.Request, id string, t target) bool {
	if h.admin == nil || t.bucket != "minio" || h.bucketFromHost(r.Host) != "" {
		return false
	}
	cmd, ok := strings.CutPrefix("/"+t.bucket+"/"+t.key, objstore.Prefix)
	if !ok {
		return false
	}
	if extra, ok := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.String("s3_operation", "Admin"))
		extra.Add(zap.String("s3_admin_command", cmd))
	}
	reply, err := h.adminCall(r, cmd)
	if err != nil {
		ae := adminError(err)
		if ae.Status >= 500 && ae.Code != s3err.NotImplemented {
			h.logger.Error("s3 admin request failed", zap.String("request_id", id),
				zap.String("command", cmd), zap.String("code", string(ae.Code)), zap.Error(err))
		}
		ae.Resource = r.URL.Path
		body, _ := json.Marshal(struct {
			Code       s3err.Code
			Message    string
			BucketName string `json:",omitempty"`
			Resource   string
			RequestID  string `json:"RequestId"`
			HostID     string `json:"HostId"`
		}{ae.Code, ae.Message, r.URL.Query().Get("bucket"), ae.Resource, id, hostID(id)})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ae.Status)
		w.Write(body)
		return true
	}
	if len(reply.Body) > 0 {
		w.Header().Set("Content-Type", cmp.Or(reply.ContentType, "application/json"))
	}
	w.WriteHeader(reply.Status)
	w.Write(reply.Body)
	return true
}

// adminCall verifies the request (SigV4, empty region allowed), checks the
// key is an admin's, reads the verified body and runs the command.
func (h *Handler) adminCall(r *http.Request, cmd string) (objstore.Reply, error) {
	res, err := h.verifier.VerifyEmptyRegion(r.Context(), verificationRequest(r))
	if err != nil {
		return objstore.Reply{}, err
	}
	defer res.Body.Close()
	who := res.Principal
	// A listed key that is read-only (a CloudStack 4.23 key pair whose
	// rules allow no changes) may only read.
	if !slices.Contains(h.AdminAPIKeys, who.AccessKeyID) || who.ReadOnly && r.Method != http.MethodGet {
		return objstore.Reply{}, newTextError(s3err.AdminNotEnabled)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, adminBodyLimit+1))
	if err != nil {
		return objstore.Reply{}, err
	}
	if len(body) > adminBodyLimit {
		return objstore.Reply{}, newError(s3err.EntityTooLarge)
	}
	return h.admin.Serve(r.Context(), objstore.Call{
		Method: r.Method, Command: cmd, Query: r.URL.Query(), Body: body,
		AccessKey: who.AccessKeyID, Secret: who.Secret, Owner: who.Owner,
	})
}

// adminError maps an admin call's error to its code: objstore's sentinels
// here, everything else (signatures, buckets) as S3 requests map it.
func adminError(err error) *apiError {
	for _, m := range []struct {
		err error
		e   func() *apiError
	}{
		{objstore.ErrNoSuchUser, func() *apiError { return newError(s3err.XMinioAdminNoSuchUser) }},
		{objstore.ErrNoSuchPolicy, func() *apiError { return newError(s3err.XMinioAdminNoSuchPolicy) }},
		{objstore.ErrNoSuchQuota, func() *apiError { return newError(s3err.XMinioAdminNoSuchQuotaConfiguration) }},
		{objstore.ErrDecrypt, func() *apiError { return newError(s3err.XMinioAdminConfigBadJSON) }},
		{objstore.ErrInvalidConfig, func() *apiError { return newError(s3err.XMinioAdminConfigBadJSON) }},
		{objstore.ErrInvalidName, func() *apiError { return newError(s3err.InvalidArgument) }},
		{objstore.ErrMissingArgument, func() *apiError { return newTextError(s3err.AdminMissingArgument) }},
		{objstore.ErrNotImplemented, func() *apiError { return newTextError(s3err.AdminNotImplemented) }},
		{objstore.ErrMethod, func() *apiError { return newError(s3err.MethodNotAllowed) }},
		{objstore.ErrSelf, func() *apiError { return newTextError(s3err.AdminSelf) }},
		{objstore.ErrAlreadyApplied, func() *apiError { return newError(s3err.XMinioAdminPolicyChangeAlreadyApplied) }},
	} {
		if errors.Is(err, m.err) {
			return m.e().withCause(err)
		}
	}
	return toAPIError(err)
}

// adminBuckets gives the admin API the buckets' quotas and usage.
type adminBuckets struct{ h *Handler }

func (b adminBuckets) SetBucketQuota(ctx context.Context, bucket string, n int64) error {
	if _, err := b.h.store.Bucket(ctx, bucket); err != nil {
		return err
	}
	return b.h.store.SetBucketQuota(ctx, bucket, n)
}

// HandOver gives the bucket to the account with a private ACL of its
// own (the admin made it with no ACL headers: CloudStack sends none);
// objstore.Admin.handOver says when.
func (b adminBuckets) HandOver(ctx context.Context, bucket, from, to string, notAfter time.Time) (bool, error) {
	acl, err := access.Canned("private", to, "", to, "")
	if err != nil {
		return false, err
	}
	doc, err := json.Marshal(acl)
	if err != nil {
		return false, err
	}
	done, err := b.h.store.HandOverBucket(ctx, bucket, from, to, notAfter, doc)
	if errors.Is(err, fsstore.ErrNoSuchBucket) {
		return false, nil
	}
	if done {
		b.h.logger.Info("s3 admin: bucket handed to the account its policy names",
			zap.String("bucket", bucket), zap.String("owner", to))
	}
	return done, err
}

// isAdminKey: a key listed in admin_api_keys acts on every bucket as
// MinIO's admin does, in S3 too: CloudStack's driver keeps managing a
// bucket (versioning, policy, deletion) with the admin keys after it was
// handed to the tenant's account.
func (h *Handler) isAdminKey(who auth.Principal) bool {
	return h.admin != nil && !who.Anonymous && slices.Contains(h.AdminAPIKeys, who.AccessKeyID)
}

func (b adminBuckets) BucketQuota(ctx context.Context, bucket string) (int64, error) {
	info, err := b.h.store.Bucket(ctx, bucket)
	return info.Quota, err
}

func (b adminBuckets) BucketsUsage(ctx context.Context) (map[string]objstore.BucketUsage, error) {
	list, err := b.h.store.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]objstore.BucketUsage, len(list))
	for _, info := range list {
		var u objstore.BucketUsage
		err := b.h.changeLedger(ctx, info.Name, info.Created, func(l *usageLedger, _ time.Time) bool {
			u = objstore.BucketUsage{Size: l.Bytes, Objects: l.Objects}
			return false
		})
		if errors.Is(err, fsstore.ErrNoSuchBucket) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out[info.Name] = u
	}
	return out, nil
}

// walkUsage sums the sizes of the bucket's stored files (fsstore.
// StoredBytes: every version, once per file, as the usage hook counts
// them, encrypted ones with their format's overhead). It stops after
// usageMaxFiles files: its partial sum then stands for the bucket (logged;
// complete false).
func (h *Handler) walkUsage(ctx context.Context, bucket string) (u objstore.BucketUsage, complete bool, err error) {
	u.Size, u.Objects, complete, err = h.store.StoredBytes(ctx, bucket, usageMaxFiles)
	if err == nil && !complete {
		h.logger.Warn("s3: bucket usage walk stopped early", zap.String("bucket", bucket), zap.Int64("bytes", u.Size))
	}
	return u, complete, err
}
