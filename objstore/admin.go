package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Prefix is where the MinIO admin API is served, at the root of the S3
// origin (CloudStack's driver allows no path in the store's URL).
const Prefix = "/minio/admin/v3/"

// More sentinel errors of the admin calls.
var (
	// ErrNotImplemented: a command (or a form of one) not served here.
	ErrNotImplemented = errors.New("objstore: not implemented")
	// ErrMissingArgument: a required query parameter is absent or empty.
	ErrMissingArgument = errors.New("objstore: missing argument")
	// ErrMethod: the command exists but not with this method.
	ErrMethod = errors.New("objstore: method not allowed")
	// ErrNoSuchQuota: get-bucket-quota of a bucket without one.
	ErrNoSuchQuota = errors.New("objstore: the bucket has no quota")
	// ErrSelf: add-user or remove-user naming the signing admin's key.
	ErrSelf = errors.New("objstore: the admin's own key is not a user")
	// ErrAlreadyApplied: attaching a policy the user has, or detaching
	// one it has not.
	ErrAlreadyApplied = errors.New("objstore: the policy change is already in effect")
)

// BucketUsage is what datausageinfo reports of a bucket.
type BucketUsage struct {
	Size    int64
	Objects int64
}

// Buckets is what the admin API needs of the bucket store; the caddys3
// handler implements it over fsstore (quota in the bucket record, usage
// by a bounded walk). Errors for a missing bucket are the store's own.
type Buckets interface {
	SetBucketQuota(ctx context.Context, bucket string, bytes int64) error
	BucketQuota(ctx context.Context, bucket string) (int64, error)
	BucketsUsage(ctx context.Context) (map[string]BucketUsage, error)
	// HandOver gives bucket to owner to when it is still owned by from
	// and was created no later than notAfter (atomically); it reports
	// whether it did. A missing bucket is (false, nil).
	HandOver(ctx context.Context, bucket, from, to string, notAfter time.Time) (bool, error)
}

// Admin serves the admin calls. It is safe for concurrent use.
type Admin struct {
	Users   *Store
	Buckets Buckets
	// Region is reported by info.
	Region string
}

// Call is one verified admin request.
type Call struct {
	Method string
	// Command is the path below Prefix, e.g. "user-info".
	Command string
	Query   url.Values
	Body    []byte
	// AccessKey and Secret are the signing admin's: the secret decrypts
	// add-user bodies.
	AccessKey, Secret string
	// Owner is the signing admin's canonical owner: the buckets it made
	// are the ones set-user-or-group-policy may hand over.
	Owner string
}

// Reply is a successful answer: a status and a JSON body (nil for none).
type Reply struct {
	Status int
	Body   []byte
	// ContentType is the body's, when not JSON.
	ContentType string
}

// Serve runs one call.
func (a *Admin) Serve(ctx context.Context, c Call) (Reply, error) {
	type handler struct {
		method string
		fn     func(context.Context, Call) (Reply, error)
	}
	cmds := map[string]handler{
		"user-info":                 {http.MethodGet, a.userInfo},
		"add-user":                  {http.MethodPut, a.addUser},
		"remove-user":               {http.MethodDelete, a.removeUser},
		"add-canned-policy":         {http.MethodPut, a.addPolicy},
		"remove-canned-policy":      {http.MethodDelete, a.removePolicy},
		"set-user-or-group-policy":  {http.MethodPut, a.setUserPolicy},
		"idp/builtin/policy/attach": {http.MethodPost, a.attachPolicy},
		"idp/builtin/policy/detach": {http.MethodPost, a.detachPolicy},
		"set-bucket-quota":          {http.MethodPut, a.setQuota},
		"get-bucket-quota":          {http.MethodGet, a.getQuota},
		"datausageinfo":             {http.MethodGet, a.dataUsage},
		"info":                      {http.MethodGet, a.info},
	}
	h, ok := cmds[c.Command]
	if !ok {
		return Reply{}, fmt.Errorf("%w: admin command %q", ErrNotImplemented, c.Command)
	}
	if c.Method != h.method {
		return Reply{}, fmt.Errorf("%w: %s %s", ErrMethod, c.Method, c.Command)
	}
	return h.fn(ctx, c)
}

func arg(c Call, name string) (string, error) {
	v := c.Query.Get(name)
	if v == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingArgument, name)
	}
	return v, nil
}

func jsonReply(v any) (Reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: b}, nil
}

var ok = Reply{Status: http.StatusOK}

// userInfo answers madmin's UserInfo. Unlike MinIO it includes the
// secret: CloudStack stores what user-info returns as the account's S3
// secret (and fails without one), and only the admin may ask.
func (a *Admin) userInfo(ctx context.Context, c Call) (Reply, error) {
	key, err := arg(c, "accessKey")
	if err != nil {
		return Reply{}, err
	}
	u, err := a.Users.UserOrAccount(ctx, key)
	if err != nil {
		return Reply{}, err
	}
	return jsonReply(struct {
		SecretKey  string   `json:"secretKey"`
		PolicyName string   `json:"policyName"`
		Status     string   `json:"status"`
		MemberOf   []string `json:"memberOf"`
		UpdatedAt  string   `json:"updatedAt,omitempty"`
	}{u.SecretKey, u.PolicyName, u.Status, []string{}, updatedAt(u)})
}

// addUser decrypts madmin's AddOrUpdateUserReq with the signing admin's
// secret and stores the user; a re-add keeps the attached policy.
func (a *Admin) addUser(_ context.Context, c Call) (Reply, error) {
	key, err := arg(c, "accessKey")
	if err != nil {
		return Reply{}, err
	}
	if key == c.AccessKey {
		return Reply{}, ErrSelf
	}
	plain, err := Decrypt(c.Secret, c.Body)
	if err != nil {
		return Reply{}, err
	}
	var req struct {
		SecretKey string `json:"secretKey"`
		Status    string `json:"status"`
	}
	if err := json.Unmarshal(plain, &req); err != nil {
		return Reply{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	u := User{AccessKey: key, SecretKey: req.SecretKey, Status: req.Status}
	if old, err := a.Users.User(key); err == nil {
		u.PolicyName = old.PolicyName
	} else if !errors.Is(err, ErrNoSuchUser) {
		return Reply{}, err
	}
	return ok, a.Users.PutUser(u)
}

func (a *Admin) removeUser(_ context.Context, c Call) (Reply, error) {
	key, err := arg(c, "accessKey")
	if err != nil {
		return Reply{}, err
	}
	if key == c.AccessKey {
		return Reply{}, ErrSelf
	}
	return ok, a.Users.RemoveUser(key)
}

func (a *Admin) addPolicy(_ context.Context, c Call) (Reply, error) {
	name, err := arg(c, "name")
	if err != nil {
		return Reply{}, err
	}
	return ok, a.Users.PutPolicy(name, c.Body)
}

func (a *Admin) removePolicy(_ context.Context, c Call) (Reply, error) {
	name, err := arg(c, "name")
	if err != nil {
		return Reply{}, err
	}
	return ok, a.Users.RemovePolicy(name)
}

func (a *Admin) setUserPolicy(ctx context.Context, c Call) (Reply, error) {
	user, err := arg(c, "userOrGroup")
	if err != nil {
		return Reply{}, err
	}
	if g := c.Query.Get("isGroup"); g != "" && g != "false" {
		return Reply{}, fmt.Errorf("%w: groups", ErrNotImplemented)
	}
	// policyName may list several (comma-separated) in newer MinIO; one
	// is what CloudStack sends, and all that is kept.
	name := c.Query.Get("policyName")
	if strings.Contains(name, ",") {
		return Reply{}, fmt.Errorf("%w: several policies per user", ErrNotImplemented)
	}
	if err := a.Users.SetUserPolicy(user, name); err != nil || name == "" {
		return Reply{}, err
	}
	return ok, a.handOver(ctx, c, user, name)
}

// policyAssociation is madmin's PolicyAssociationReq, the body of
// idp/builtin/policy/attach and detach (mc admin policy attach), sealed
// as add-user's is.
type policyAssociation struct {
	Policies []string `json:"policies"`
	User     string   `json:"user"`
	Group    string   `json:"group"`
}

func (a *Admin) attachPolicy(ctx context.Context, c Call) (Reply, error) {
	return a.associate(ctx, c, true)
}

func (a *Admin) detachPolicy(ctx context.Context, c Call) (Reply, error) {
	return a.associate(ctx, c, false)
}

// associate attaches or detaches one policy of a user, as
// set-user-or-group-policy does (one policy per user is kept here), and
// answers madmin's PolicyAssociationResp sealed with the caller's secret.
// A change already in effect is MinIO's XMinioAdminPolicyChangeAlreadyApplied,
// which mc and madmin callers expect and tolerate.
func (a *Admin) associate(ctx context.Context, c Call, attach bool) (Reply, error) {
	plain, err := Decrypt(c.Secret, c.Body)
	if err != nil {
		return Reply{}, err
	}
	var req policyAssociation
	if err := json.Unmarshal(plain, &req); err != nil {
		return Reply{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	switch {
	case req.Group != "":
		return Reply{}, fmt.Errorf("%w: groups", ErrNotImplemented)
	case req.User == "":
		return Reply{}, fmt.Errorf("%w: user", ErrMissingArgument)
	case len(req.Policies) == 0:
		return Reply{}, fmt.Errorf("%w: policies", ErrMissingArgument)
	case len(req.Policies) > 1:
		return Reply{}, fmt.Errorf("%w: several policies per user", ErrNotImplemented)
	}
	name := req.Policies[0]
	u, err := a.Users.User(req.User)
	if err != nil {
		return Reply{}, err
	}
	field := "policiesAttached"
	if attach {
		if u.PolicyName == name {
			return Reply{}, ErrAlreadyApplied
		}
		if err := a.Users.SetUserPolicy(req.User, name); err != nil {
			return Reply{}, err
		}
		if err := a.handOver(ctx, c, req.User, name); err != nil {
			return Reply{}, err
		}
	} else {
		if u.PolicyName != name {
			return Reply{}, ErrAlreadyApplied
		}
		if err := a.Users.SetUserPolicy(req.User, ""); err != nil {
			return Reply{}, err
		}
		field = "policiesDetached"
	}
	body, err := json.Marshal(map[string]any{field: []string{name}, "updatedAt": time.Now().UTC()})
	if err != nil {
		return Reply{}, err
	}
	sealed, err := Encrypt(c.Secret, body)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: sealed, ContentType: "application/octet-stream"}, nil
}

// handOver gives the user's account the buckets that the policy just
// attached names and that the signing admin still owns, made no later
// than the policy was stored. This is how CloudStack's MinIO driver says
// whose a bucket is: it makes the bucket with the admin's keys, then
// rebuilds the account's policy (A3, "arn:aws:s3:::<bucket>/*" for each
// of its live buckets plus the new one) and attaches it (A4). See
// docs/cloudstack-object-storage.md, "Who owns CloudStack's buckets".
//
// A stale grant (a policy naming a bucket deleted since) cannot open a
// new bucket of that name: a bucket made by someone else is not the
// admin's, and one the admin made later is newer than the policy.
func (a *Admin) handOver(ctx context.Context, c Call, user, policy string) error {
	if c.Owner == "" {
		return nil
	}
	doc, stored, err := a.Users.PolicyStored(policy)
	if err != nil {
		return err
	}
	to := Owner(user)
	for _, b := range PolicyBuckets(doc) {
		if _, err := a.Buckets.HandOver(ctx, b, c.Owner, to, stored); err != nil {
			return err
		}
	}
	return nil
}

// PolicyBuckets lists the buckets an IAM-style policy's Allow statements
// name in their S3 resources ("arn:aws:s3:::<bucket>" or
// "arn:aws:s3:::<bucket>/…"), each once; a bucket part with a wildcard
// names no bucket in particular and is skipped.
func PolicyBuckets(doc []byte) []string {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(doc, &p) != nil {
		return nil
	}
	type statement struct {
		Effect   string
		Resource json.RawMessage
	}
	var list []statement
	if json.Unmarshal(p.Statement, &list) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return nil
		}
		list = []statement{one}
	}
	var out []string
	seen := map[string]bool{}
	for _, st := range list {
		if st.Effect != "Allow" {
			continue
		}
		var res []string
		if json.Unmarshal(st.Resource, &res) != nil {
			var one string
			if json.Unmarshal(st.Resource, &one) != nil {
				continue
			}
			res = []string{one}
		}
		for _, r := range res {
			rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
			if !ok {
				continue
			}
			b, _, _ := strings.Cut(rest, "/")
			if b == "" || strings.ContainsAny(b, "*?$") || seen[b] {
				continue
			}
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// setQuota reads madmin's BucketQuota: {"quotatype":"hard","quota":N}
// (newer clients send "size" too). No quotatype, or 0 bytes, clears it.
func (a *Admin) setQuota(ctx context.Context, c Call) (Reply, error) {
	bucket, err := arg(c, "bucket")
	if err != nil {
		return Reply{}, err
	}
	var q struct {
		Type  *string `json:"quotatype"`
		Quota *int64  `json:"quota"`
		Size  *int64  `json:"size"`
	}
	if len(strings.TrimSpace(string(c.Body))) > 0 {
		if err := json.Unmarshal(c.Body, &q); err != nil {
			return Reply{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
	}
	var bytes int64
	if q.Size != nil {
		bytes = *q.Size
	} else if q.Quota != nil {
		bytes = *q.Quota
	}
	if bytes < 0 {
		return Reply{}, fmt.Errorf("%w: negative quota", ErrInvalidConfig)
	}
	switch {
	case q.Type == nil || *q.Type == "":
		bytes = 0
	case *q.Type != "hard":
		return Reply{}, fmt.Errorf("%w: quota type %q", ErrNotImplemented, *q.Type)
	}
	return ok, a.Buckets.SetBucketQuota(ctx, bucket, bytes)
}

func (a *Admin) getQuota(ctx context.Context, c Call) (Reply, error) {
	bucket, err := arg(c, "bucket")
	if err != nil {
		return Reply{}, err
	}
	n, err := a.Buckets.BucketQuota(ctx, bucket)
	if err != nil {
		return Reply{}, err
	}
	if n == 0 {
		return Reply{}, ErrNoSuchQuota
	}
	return jsonReply(map[string]any{"quota": n, "size": n, "quotatype": "hard"})
}

// dataUsage answers madmin's DataUsageInfo; bucketsSizes is the field
// CloudStack's driver requires. lastUpdate is left out (the driver's
// Jackson would need an offset in it).
func (a *Admin) dataUsage(ctx context.Context, _ Call) (Reply, error) {
	usage, err := a.Buckets.BucketsUsage(ctx)
	if err != nil {
		return Reply{}, err
	}
	type bucketInfo struct {
		Size    int64 `json:"size"`
		Objects int64 `json:"objectsCount"`
	}
	sizes := make(map[string]int64, len(usage))
	infos := make(map[string]bucketInfo, len(usage))
	var total, objects int64
	for name, u := range usage {
		sizes[name] = u.Size
		infos[name] = bucketInfo{u.Size, u.Objects}
		total += u.Size
		objects += u.Objects
	}
	return jsonReply(map[string]any{
		"objectsCount":     objects,
		"objectsTotalSize": total,
		"bucketsCount":     len(usage),
		"bucketsUsageInfo": infos,
		"bucketsSizes":     sizes,
	})
}

// info answers a small madmin InfoMessage: the mode, region and totals.
func (a *Admin) info(ctx context.Context, _ Call) (Reply, error) {
	usage, err := a.Buckets.BucketsUsage(ctx)
	if err != nil {
		return Reply{}, err
	}
	var total, objects int64
	for _, u := range usage {
		total += u.Size
		objects += u.Objects
	}
	return jsonReply(map[string]any{
		"mode":    "online",
		"region":  a.Region,
		"buckets": map[string]any{"count": len(usage)},
		"objects": map[string]any{"count": objects},
		"usage":   map[string]any{"size": total},
		"backend": map[string]any{"backendType": "FS"},
		"servers": []any{},
	})
}

func updatedAt(u User) string {
	if u.UpdatedAt.IsZero() {
		return "" // known from CloudStack's database only
	}
	return u.UpdatedAt.Format("2006-01-02T15:04:05Z")
}
