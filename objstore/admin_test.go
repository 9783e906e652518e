package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/internal/madmintest"
)

// memBuckets keeps quotas in memory for the dispatch tests; the real
// implementation (the bucket record) is exercised end to end.
type memBuckets struct {
	mu     sync.Mutex
	quotas map[string]int64
	// handed records HandOver calls: "bucket from->to".
	handed []string
}

func (m *memBuckets) HandOver(_ context.Context, b, from, to string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handed = append(m.handed, b+" "+from+"->"+to)
	return true, nil
}

var errNoBucket = errors.New("no such bucket")

func (m *memBuckets) SetBucketQuota(_ context.Context, b string, n int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.quotas[b]; !ok {
		return errNoBucket
	}
	m.quotas[b] = n
	return nil
}

func (m *memBuckets) BucketQuota(_ context.Context, b string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.quotas[b]
	if !ok {
		return 0, errNoBucket
	}
	return n, nil
}

func (m *memBuckets) BucketsUsage(context.Context) (map[string]BucketUsage, error) {
	return map[string]BucketUsage{"b1": {Size: 7, Objects: 1}}, nil
}

func newAdmin(t *testing.T) (*Admin, *memBuckets, string) {
	t.Helper()
	root := t.TempDir()
	users, err := Open(root, false)
	if err != nil {
		t.Fatal(err)
	}
	mb := &memBuckets{quotas: map[string]int64{"b1": 0}}
	return &Admin{Users: users, Buckets: mb, Region: "us-east-1"}, mb, root
}

func call(method, cmd string, q url.Values, body string) Call {
	return Call{Method: method, Command: cmd, Query: q, Body: []byte(body), AccessKey: "ADMIN", Secret: "adminsecret"}
}

func TestSetBucketQuotaBodies(t *testing.T) {
	a, mb, _ := newAdmin(t)
	q := url.Values{"bucket": {"b1"}}
	for _, c := range []struct {
		body string
		want int64
		err  error
	}{
		{`{"quotatype":"hard","quota":1073741824}`, 1 << 30, nil},
		{`{"quota":1073741824,"quotatype":"hard"}`, 1 << 30, nil},
		{`{"quota":5,"size":9,"quotatype":"hard"}`, 9, nil}, // newer clients: size wins
		{`{"quota":0}`, 0, nil},                             // CloudStack's "no quota"
		{`{"quotatype":"hard","quota":0}`, 0, nil},
		{``, 0, nil},
		{`{"quotatype":"fifo","quota":5}`, -1, ErrNotImplemented},
		{`{"quotatype":"hard","quota":-5}`, -1, ErrInvalidConfig},
		{`{"quotatype":`, -1, ErrInvalidConfig},
	} {
		mb.quotas["b1"] = -1
		_, err := a.Serve(t.Context(), call("PUT", "set-bucket-quota", q, c.body))
		if !errors.Is(err, c.err) || c.err == nil && err != nil || mb.quotas["b1"] != c.want {
			t.Errorf("%s: %v, quota %d; want %v, %d", c.body, err, mb.quotas["b1"], c.err, c.want)
		}
	}
	if _, err := a.Serve(t.Context(), call("PUT", "set-bucket-quota", url.Values{"bucket": {"nope"}}, `{"quota":1,"quotatype":"hard"}`)); !errors.Is(err, errNoBucket) {
		t.Errorf("missing bucket: %v", err)
	}
	mb.quotas["b1"] = 0
	if _, err := a.Serve(t.Context(), call("GET", "get-bucket-quota", q, "")); !errors.Is(err, ErrNoSuchQuota) {
		t.Errorf("get-bucket-quota without one: %v", err)
	}
}

func TestAdminDispatch(t *testing.T) {
	a, _, root := newAdmin(t)
	ctx := t.Context()
	user := url.Values{"accessKey": {"acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"}}
	for _, c := range []struct {
		name string
		c    Call
		err  error
	}{
		{"unknown command", call("GET", "list-users", nil, ""), ErrNotImplemented},
		{"wrong method", call("POST", "user-info", user, ""), ErrMethod},
		{"no accessKey", call("GET", "user-info", url.Values{}, ""), ErrMissingArgument},
		{"unknown user", call("GET", "user-info", user, ""), ErrNoSuchUser},
		{"plaintext add-user", call("PUT", "add-user", user, `{"secretKey":"x","status":"enabled"}`), ErrDecrypt},
		{"the admin itself", call("PUT", "add-user", url.Values{"accessKey": {"ADMIN"}}, ""), ErrSelf},
		{"a path for a name", call("PUT", "add-canned-policy", url.Values{"name": {"../../x"}}, `{}`), ErrInvalidName},
		{"a policy not JSON", call("PUT", "add-canned-policy", url.Values{"name": {"p"}}, `[1]`), ErrInvalidConfig},
		{"groups", call("PUT", "set-user-or-group-policy", url.Values{"userOrGroup": {"g"}, "isGroup": {"true"}, "policyName": {"p"}}, ""), ErrNotImplemented},
	} {
		if _, err := a.Serve(ctx, c.c); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "x.json")); err == nil {
		t.Fatal("a policy name escaped the directory")
	}

	// add-user (sealed with the signer's secret), then user-info answers
	// the secret; a re-add keeps the attached policy.
	add := call("PUT", "add-user", user, "")
	add.Body = madmintest.Seal(t, 0, "adminsecret", []byte(`{"secretKey":"s1","policyName":"","memberOf":[],"status":"enabled"}`))
	if _, err := a.Serve(ctx, add); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Serve(ctx, call("PUT", "add-canned-policy", url.Values{"name": {"p"}}, `{"Statement":[]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Serve(ctx, call("PUT", "set-user-or-group-policy", url.Values{"userOrGroup": user["accessKey"], "isGroup": {"false"}, "policyName": {"p"}}, "")); err != nil {
		t.Fatal(err)
	}
	add.Body = madmintest.Seal(t, 2, "adminsecret", []byte(`{"secretKey":"s2","status":"enabled"}`))
	if _, err := a.Serve(ctx, add); err != nil {
		t.Fatal(err)
	}
	r, err := a.Serve(ctx, call("GET", "user-info", user, ""))
	var ui map[string]any
	if err != nil || json.Unmarshal(r.Body, &ui) != nil || ui["secretKey"] != "s2" || ui["policyName"] != "p" || ui["status"] != "enabled" {
		t.Fatalf("user-info: %v %s", err, r.Body)
	}
	if m, ok := ui["memberOf"].([]any); !ok || len(m) != 0 {
		t.Fatalf("memberOf: %s", r.Body)
	}
	fi, err := os.Stat(filepath.Join(root, ".caddys3", "objstore", "users", user.Get("accessKey")+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("user file: %v %v", fi, err)
	}

	// The user signs as its account's UUID; a disabled one is refused.
	cred, err := a.Users.Lookup(ctx, user.Get("accessKey"))
	if err != nil || cred.Owner != "3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f" || cred.Secret != "s2" {
		t.Fatalf("Lookup: %+v %v", cred, err)
	}
	add.Body = madmintest.Seal(t, 1, "adminsecret", []byte(`{"secretKey":"s2","status":"disabled"}`))
	if _, err := a.Serve(ctx, add); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Users.Lookup(ctx, user.Get("accessKey")); !errors.Is(err, auth.ErrAccessDenied) {
		t.Fatalf("disabled user: %v", err)
	}
	if _, err := a.Users.Lookup(ctx, "acs-unknown"); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Fatalf("unknown user: %v", err)
	}

	r, err = a.Serve(ctx, call("GET", "datausageinfo", nil, ""))
	var du struct {
		BucketsSizes map[string]int64 `json:"bucketsSizes"`
		LastUpdate   *string          `json:"lastUpdate"`
	}
	if err != nil || json.Unmarshal(r.Body, &du) != nil || du.BucketsSizes["b1"] != 7 || du.LastUpdate != nil {
		t.Fatalf("datausageinfo: %v %s", err, r.Body)
	}
}

func TestOwner(t *testing.T) {
	for in, want := range map[string]string{
		"acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f": "3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f",
		"acs-alice": "madmin-acs-alice", // not a UUID: never another account's name
		"alice":     "madmin-alice",
	} {
		if got := Owner(in); got != want {
			t.Errorf("Owner(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPolicyBuckets(t *testing.T) {
	for doc, want := range map[string][]string{
		// CloudStack's per-account policy (A3): bucket/* ARNs only.
		`{"Statement":[{"Action":"s3:*","Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::b1/*","arn:aws:s3:::b2/*","arn:aws:s3:::b1/*"]}],"Version":"2012-10-17"}`: {"b1", "b2"},
		`{"Statement":{"Effect":"Allow","Resource":"arn:aws:s3:::one"}}`:                                                                                           {"one"},
		`{"Statement":[{"Effect":"Deny","Resource":"arn:aws:s3:::no/*"},{"Effect":"Allow","Resource":["arn:aws:s3:::*","arn:aws:s3:::b?x/*","arn:aws:iam:::x"]}]}`: nil,
		`{"Statement":[]}`: nil,
		`not json`:         nil,
	} {
		if got := PolicyBuckets([]byte(doc)); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", doc, got, want)
		}
	}
}

// set-user-or-group-policy hands the buckets the policy names from the
// signing admin's owner to the user's account; without an owner (not
// signed by a known admin) nothing is handed.
func TestSetUserPolicyHandsOver(t *testing.T) {
	a, mb, _ := newAdmin(t)
	ctx := context.Background()
	user := "acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"
	if err := a.Users.PutUser(User{AccessKey: user, SecretKey: "s"}); err != nil {
		t.Fatal(err)
	}
	pol := `{"Statement":[{"Action":"s3:*","Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::b1/*","arn:aws:s3:::b2/*"]}],"Version":"2012-10-17"}`
	if _, err := a.Serve(ctx, call("PUT", "add-canned-policy", url.Values{"name": {"p"}}, pol)); err != nil {
		t.Fatal(err)
	}
	c := call("PUT", "set-user-or-group-policy", url.Values{"userOrGroup": {user}, "isGroup": {"false"}, "policyName": {"p"}}, "")
	c.Owner = "admin-owner"
	if _, err := a.Serve(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := []string{"b1 admin-owner->3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f", "b2 admin-owner->3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"}
	if !slices.Equal(mb.handed, want) {
		t.Fatalf("handed %q, want %q", mb.handed, want)
	}
}

// mc admin policy attach/detach (madmin's AttachPolicy/DetachPolicy):
// sealed requests, sealed PolicyAssociationResp answers, the hand-over as
// set-user-or-group-policy, and MinIO's XMinioAdminPolicyChangeAlreadyApplied
// for a change already in effect.
func TestPolicyAttachDetach(t *testing.T) {
	a, mb, _ := newAdmin(t)
	ctx := context.Background()
	user := "acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"
	if err := a.Users.PutUser(User{AccessKey: user, SecretKey: "s"}); err != nil {
		t.Fatal(err)
	}
	pol := `{"Statement":[{"Action":"s3:*","Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::b1/*"]}],"Version":"2012-10-17"}`
	if _, err := a.Serve(ctx, call("PUT", "add-canned-policy", url.Values{"name": {"p"}}, pol)); err != nil {
		t.Fatal(err)
	}
	assoc := func(cmd, body string) (map[string]any, error) {
		c := call("POST", "idp/builtin/policy/"+cmd, nil, "")
		c.Body, c.Owner = madmintest.Seal(t, 0, c.Secret, []byte(body)), "admin-owner"
		r, err := a.Serve(ctx, c)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(madmintest.Open(t, c.Secret, r.Body), &m); err != nil {
			t.Fatal(err)
		}
		return m, nil
	}
	body := `{"policies":["p"],"user":"` + user + `"}`
	m, err := assoc("attach", body)
	if err != nil || fmt.Sprint(m["policiesAttached"]) != "[p]" || m["updatedAt"] == nil {
		t.Fatalf("attach: %v %v", m, err)
	}
	if u, _ := a.Users.User(user); u.PolicyName != "p" || len(mb.handed) != 1 {
		t.Fatalf("after attach: %+v, handed %q", u, mb.handed)
	}
	if _, err := assoc("attach", body); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("attach again: %v", err)
	}
	if m, err := assoc("detach", body); err != nil || fmt.Sprint(m["policiesDetached"]) != "[p]" {
		t.Fatalf("detach: %v %v", m, err)
	}
	if u, _ := a.Users.User(user); u.PolicyName != "" {
		t.Fatalf("after detach: %+v", u)
	}
	for _, c := range []struct {
		cmd, body string
		want      error
	}{
		{"detach", body, ErrAlreadyApplied},
		{"attach", `{"policies":["nope"],"user":"` + user + `"}`, ErrNoSuchPolicy},
		{"attach", `{"policies":["p"],"user":"acs-nobody"}`, ErrNoSuchUser},
		{"attach", `{"policies":["p"],"group":"g"}`, ErrNotImplemented},
		{"attach", `{"policies":["p","q"],"user":"` + user + `"}`, ErrNotImplemented},
		{"attach", `{"policies":[],"user":"` + user + `"}`, ErrMissingArgument},
		{"attach", `{"policies":["p"]}`, ErrMissingArgument},
		{"attach", `not json`, ErrInvalidConfig},
	} {
		if _, err := assoc(c.cmd, c.body); !errors.Is(err, c.want) {
			t.Errorf("%s %s: %v, want %v", c.cmd, c.body, err, c.want)
		}
	}
	// Not sealed with the signer's secret.
	c := call("POST", "idp/builtin/policy/attach", nil, body)
	if _, err := a.Serve(ctx, c); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("plain body: %v", err)
	}
}
