package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/caddys3/caddys3/internal/madmintest"
	"github.com/caddys3/caddys3/internal/testserver"
)

// CloudStack's MinIO object-storage driver talks to its store through
// minio-java's MinioAdminClient 8.5.2 (../shared/cloudstack-objstore.md,
// §3.1): this file replays those requests byte for byte as that client
// builds them — SigV4 with the empty region in the scope, signed headers
// host;x-amz-content-sha256;x-amz-date, the real payload SHA-256, the body
// as unsigned application/octet-stream, no Content-MD5 — and asserts what
// the Java client parses of each answer.

const (
	csAdminKey    = "AKIAEXAMPLEALICE0001" // the key typed into "Add Object Storage"
	csAdminSecret = aliceSecret
)

// csConfig is a server with the admin API on for alice's key, logging at
// DEBUG (so the secret-in-logs check sees everything), on root.
func csConfig(port int, root string) testserver.Config {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return testserver.Config{
		Bin: srv.bin,
		Caddyfile: fmt.Sprintf(`{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https off
	skip_install_trust
	log {
		level DEBUG
	}
}

http://%s {
	s3 {
		root %s
		region us-east-1
		admin_api_keys %s
		credentials static {
			key AKIAEXAMPLEALICE0001 alicesecret0000000000000000000000000000 alice
			key AKIAEXAMPLEBOB000001 {env.%s} bob
		}
	}
}
`, addr, root, csAdminKey, bobSecretEnv),
		Env:  map[string]string{bobSecretEnv: bobSecret},
		Wait: []string{addr},
	}
}

// javaEscape is minio-java's S3Escaper: everything but A-Za-z0-9-_.~ is
// percent-encoded (a space as %20).
func javaEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hmacSum(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// javaAdminRequest builds MinioAdminClient.execute's request: method,
// "minio/admin/v3/<command>", the query (keys sorted as the signer
// canonicalises them), the body, signed by key/secret with region "".
func javaAdminRequest(t *testing.T, base, method, command string, query [][2]string, body []byte, key, secret string) *http.Request {
	t.Helper()
	sort.Slice(query, func(i, j int) bool { return query[i][0] < query[j][0] })
	var qs []string
	for _, kv := range query {
		qs = append(qs, javaEscape(kv[0])+"="+javaEscape(kv[1]))
	}
	req := javaNewRequest(t, method, base, "/minio/admin/v3/"+command, strings.Join(qs, "&"), body)
	if method == http.MethodPut || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/octet-stream") // OkHttp's, unsigned
	}
	javaSign(t, req, body, "", key, secret, false)
	return req
}

// javaS3Request is an S3 request as minio-java 8.5.2's S3Base sends it
// over http with the admin keys: Content-MD5 always (of the empty body
// too), the real payload hash, region us-east-1, every header signed but
// accept-encoding, authorization and user-agent.
func javaS3Request(t *testing.T, base, method, path, rawQuery string, body []byte) *http.Request {
	t.Helper()
	req := javaNewRequest(t, method, base, path, rawQuery, body)
	sum := md5.Sum(body)
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	javaSign(t, req, body, "us-east-1", csAdminKey, csAdminSecret, true)
	return req
}

func javaNewRequest(t *testing.T, method, base, path, rawQuery string, body []byte) *http.Request {
	t.Helper()
	u := base + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "MinIO (Linux; amd64) minio-java/8.5.2")
	return req
}

// javaSign is minio-java's Signer.signV4S3, written from its description:
// region "" gives the scope "yyyymmdd//s3/aws4_request" and a signing key
// derived with the empty region. withContentMD5 signs content-md5 too.
func javaSign(t *testing.T, req *http.Request, body []byte, region, key, secret string, withContentMD5 bool) {
	t.Helper()
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", payload)
	names := []string{"host", "x-amz-content-sha256", "x-amz-date"}
	values := []string{req.URL.Host, payload, amzDate}
	if withContentMD5 {
		names = append([]string{"content-md5"}, names...)
		values = append([]string{req.Header.Get("Content-MD5")}, values...)
	}
	var lines []string
	for i, n := range names {
		lines = append(lines, n+":"+values[i])
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{req.Method, req.URL.EscapedPath(), req.URL.RawQuery,
		strings.Join(lines, "\n"), "", signed, payload}, "\n")
	scope := day + "/" + region + "/s3/aws4_request"
	crSum := sha256.Sum256([]byte(canonical))
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	k := hmacSum([]byte("AWS4"+secret), day)
	k = hmacSum(k, region)
	k = hmacSum(k, "s3")
	k = hmacSum(k, "aws4_request")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/"+scope+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(hmacSum(k, sts)))
}

type adminAnswer struct {
	status int
	ctype  string
	body   []byte
}

func (a adminAnswer) String() string { return fmt.Sprintf("%d %s %s", a.status, a.ctype, a.body) }

func adminDo(t *testing.T, req *http.Request) adminAnswer {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return adminAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

// wantAdminError checks MinIO's JSON error document (what CloudStack puts
// in its "Request failed with response: …" message).
func wantAdminError(t *testing.T, a adminAnswer, status int, code string) {
	t.Helper()
	var e struct{ Code, Message, Resource, RequestId string }
	if a.status != status || !strings.HasPrefix(a.ctype, "application/json") || json.Unmarshal(a.body, &e) != nil || e.Code != code || e.Message == "" || e.RequestId == "" {
		t.Fatalf("got %s, want %d %s as JSON", a, status, code)
	}
}

// javaUserInfo is io.minio.admin.UserInfo as Jackson reads it
// (ignoreUnknown): status must be one of the enum's values.
type javaUserInfo struct {
	SecretKey  string   `json:"secretKey"`
	PolicyName string   `json:"policyName"`
	MemberOf   []string `json:"memberOf"`
	Status     string   `json:"status"`
}

func parseUserInfo(t *testing.T, a adminAnswer) javaUserInfo {
	t.Helper()
	var u javaUserInfo
	if a.status != 200 || json.Unmarshal(a.body, &u) != nil {
		t.Fatalf("user-info: %s", a)
	}
	if u.Status != "enabled" && u.Status != "disabled" && u.Status != "" {
		t.Fatalf("user-info: status %q is not one of UserInfo.Status's values", u.Status)
	}
	return u
}

func TestCloudStackAdminAPI(t *testing.T) {
	root := t.TempDir()
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	node1 := testserver.Start(t, csConfig(ports[0], root))
	node2 := testserver.Start(t, csConfig(ports[1], root)) // a second node on the same root
	base1, base2 := node1.URL(), node2.URL()
	adm := func(base, method, cmd string, q [][2]string, body []byte) adminAnswer {
		return adminDo(t, javaAdminRequest(t, base, method, cmd, q, body, csAdminKey, csAdminSecret))
	}

	// Store validation (addObjectStoragePool): listBuckets with the admin
	// keys, as minio-java sends it (Content-MD5 of the empty body).
	wantStatus(t, send(t, javaS3Request(t, base1, http.MethodGet, "/", "", nil)), 200)

	uuid := "3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"
	user := "acs-" + uuid
	secret := strings.Repeat("Zx9_", 21) + "Q1" // 86 characters, as CloudStack's HmacSHA1 key
	userQ := [][2]string{{"accessKey", user}}

	// A1 for a new account: any non-2xx; MinIO's is 404 XMinioAdminNoSuchUser.
	wantAdminError(t, adm(base1, "GET", "user-info", userQ, nil), 404, "XMinioAdminNoSuchUser")

	// A2: add-user with the encrypted UserInfo (Jackson's field order).
	plain := []byte(`{"secretKey":"` + secret + `","policyName":"","memberOf":[],"status":"enabled"}`)
	if a := adm(base1, "PUT", "add-user", userQ, madmintest.Seal(t, 0, csAdminSecret, plain)); a.status != 200 {
		t.Fatalf("add-user: %s", a)
	}
	// A body sealed with another secret than the signer's, or not sealed.
	wantAdminError(t, adm(base1, "PUT", "add-user", [][2]string{{"accessKey", "acs-x"}}, madmintest.Seal(t, 0, "not-the-admin-secret", plain)), 400, "XMinioAdminConfigBadJSON")
	wantAdminError(t, adm(base1, "PUT", "add-user", [][2]string{{"accessKey", "acs-x"}}, plain), 400, "XMinioAdminConfigBadJSON")
	// A1 again, on the other node: 200 with the secret CloudStack stores.
	if u := parseUserInfo(t, adm(base2, "GET", "user-info", userQ, nil)); u.SecretKey != secret || u.Status != "enabled" || u.MemberOf == nil {
		t.Fatalf("user-info: %+v", u)
	}

	// The user's file: 0600, below the root's internal directory.
	fi, err := os.Stat(filepath.Join(root, ".caddys3", "objstore", "users", user+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("user file: %v %v", fi, err)
	}

	// A3 + A4: the per-account policy, then attach it.
	policyName := user + "-policy"
	policy := []byte(`{"Statement":[{"Action":"s3:*","Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::b1/*"]}],"Version":"2012-10-17"}`)
	if a := adm(base1, "PUT", "add-canned-policy", [][2]string{{"name", policyName}}, policy); a.status != 200 {
		t.Fatalf("add-canned-policy: %s", a)
	}
	// The brief's client sends Content-MD5 on admin calls too: taken,
	// and checked.
	withMD5 := javaAdminRequest(t, base1, "PUT", "add-canned-policy", [][2]string{{"name", policyName}}, policy, csAdminKey, csAdminSecret)
	sum := md5.Sum(policy)
	withMD5.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	if a := adminDo(t, withMD5); a.status != 200 {
		t.Fatalf("add-canned-policy with Content-MD5: %s", a)
	}
	badMD5 := javaAdminRequest(t, base1, "PUT", "add-canned-policy", [][2]string{{"name", policyName}}, policy, csAdminKey, csAdminSecret)
	badMD5.Header.Set("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
	wantAdminError(t, adminDo(t, badMD5), 400, "BadDigest")
	if a := adm(base1, "PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", policyName}}, nil); a.status != 200 {
		t.Fatalf("set-user-or-group-policy: %s", a)
	}
	if u := parseUserInfo(t, adm(base1, "GET", "user-info", userQ, nil)); u.PolicyName != policyName {
		t.Fatalf("user-info after the policy: %+v", u)
	}
	wantAdminError(t, adm(base1, "PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", "nope"}}, nil), 404, "XMinioAdminNoSuchPolicy")

	// The user signs S3 requests as its account: a bucket it makes is
	// owned by the account's UUID (what its CloudStack API keys own as).
	cl := sdk(creds{user, secret}, base2)
	ctx := ctxT(t)
	bucket := newBucketName("csadm")
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	lb, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || aws.ToString(lb.Owner.ID) != uuid {
		t.Fatalf("ListBuckets owner: %v %v", lb, err)
	}
	putBytes(t, cl, bucket, "a", randomBytes(600))

	// A5: a hard quota of 1000 bytes; writes beyond it are refused with
	// MinIO's code, on every write path, on both nodes.
	quota := func(body string) adminAnswer {
		return adm(base1, "PUT", "set-bucket-quota", [][2]string{{"bucket", bucket}}, []byte(body))
	}
	if a := quota(`{"quota":1000,"quotatype":"hard"}`); a.status != 200 {
		t.Fatalf("set-bucket-quota: %s", a)
	}
	var q struct {
		Quota int64  `json:"quota"`
		Type  string `json:"quotatype"`
	}
	if a := adm(base1, "GET", "get-bucket-quota", [][2]string{{"bucket", bucket}}, nil); a.status != 200 || json.Unmarshal(a.body, &q) != nil || q.Quota != 1000 || q.Type != "hard" {
		t.Fatalf("get-bucket-quota: %s", a)
	}
	putBytes(t, cl, bucket, "b", randomBytes(300)) // 900 of 1000
	for name, c := range map[string]*s3.Client{"node 1": sdk(creds{user, secret}, base1), "node 2": cl} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), Body: bytes.NewReader(randomBytes(200))})
		wantSDKError(t, err, 400, "XMinioAdminBucketQuotaExceeded")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/b")})
		wantSDKError(t, err, 400, "XMinioAdminBucketQuotaExceeded")
		if t.Failed() {
			t.Fatalf("on %s", name)
		}
	}
	mp, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(randomBytes(200))})
	wantSDKError(t, err, 400, "XMinioAdminBucketQuotaExceeded")
	// Two parts of 80 bytes fit one by one (980 of 1000), not together.
	var parts []types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		up, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(randomBytes(80))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	wantSDKError(t, err, 400, "XMinioAdminBucketQuotaExceeded")
	if _, err := cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: mp.UploadId}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("c")}); err == nil {
		t.Fatal("the refused object exists")
	}

	// A6: usage per bucket, in bytes.
	var du struct {
		BucketsSizes map[string]int64 `json:"bucketsSizes"`
	}
	if a := adm(base2, "GET", "datausageinfo", nil, nil); a.status != 200 || json.Unmarshal(a.body, &du) != nil || du.BucketsSizes == nil || du.BucketsSizes[bucket] != 900 {
		t.Fatalf("datausageinfo: %s", a)
	}

	// A5 with size 0 (no quotatype): the quota is cleared.
	if a := quota(`{"quota":0}`); a.status != 200 {
		t.Fatalf("set-bucket-quota 0: %s", a)
	}
	wantAdminError(t, adm(base1, "GET", "get-bucket-quota", [][2]string{{"bucket", bucket}}, nil), 404, "XMinioAdminNoSuchQuotaConfiguration")
	putBytes(t, cl, bucket, "c", randomBytes(200))
	wantAdminError(t, adm(base1, "PUT", "set-bucket-quota", [][2]string{{"bucket", "no-such-bucket-cs"}}, []byte(`{"quota":1,"quotatype":"hard"}`)), 404, "NoSuchBucket")

	// Only the configured admin key: bob signs as MinioAdminClient does
	// and is refused; the empty region stays refused on S3 requests.
	wantAdminError(t, adminDo(t, javaAdminRequest(t, base1, "GET", "user-info", userQ, nil, bobKey, bobSecret)), 403, "AccessDenied")
	s3Empty := javaNewRequest(t, http.MethodGet, base1, "/", "", nil)
	javaSign(t, s3Empty, nil, "", bobKey, bobSecret, false)
	wantXMLError(t, send(t, s3Empty), 400, "AuthorizationHeaderMalformed")
	// mc admin policy detach/attach (madmin's DetachPolicy/AttachPolicy):
	// sealed bodies both ways; a change already in effect is MinIO's 400.
	assoc := madmintest.Seal(t, 0, csAdminSecret, []byte(`{"policies":["`+policyName+`"],"user":"`+user+`"}`))
	for _, step := range []struct{ cmd, field string }{{"detach", "policiesDetached"}, {"attach", "policiesAttached"}} {
		a := adm(base1, "POST", "idp/builtin/policy/"+step.cmd, nil, assoc)
		var resp map[string]any
		if a.status != 200 || a.ctype != "application/octet-stream" || json.Unmarshal(madmintest.Open(t, csAdminSecret, a.body), &resp) != nil ||
			fmt.Sprint(resp[step.field]) != "["+policyName+"]" {
			t.Fatalf("policy %s: %s", step.cmd, a)
		}
	}
	wantAdminError(t, adm(base2, "POST", "idp/builtin/policy/attach", nil, assoc), 400, "XMinioAdminPolicyChangeAlreadyApplied")
	if u := parseUserInfo(t, adm(base2, "GET", "user-info", userQ, nil)); u.PolicyName != policyName {
		t.Fatalf("user-info after detach and attach: %+v", u)
	}
	// What is not served says so.
	wantAdminError(t, adm(base1, "GET", "idp/builtin/policy-entities", nil, nil), 501, "NotImplemented")
	var info struct{ Mode string }
	if a := adm(base1, "GET", "info", nil, nil); a.status != 200 || json.Unmarshal(a.body, &info) != nil || info.Mode != "online" {
		t.Fatalf("info: %s", a)
	}

	// remove-user: the key stops working on every node at once.
	if a := adm(base1, "DELETE", "remove-user", userQ, nil); a.status != 200 {
		t.Fatalf("remove-user: %s", a)
	}
	wantAdminError(t, adm(base2, "GET", "user-info", userQ, nil), 404, "XMinioAdminNoSuchUser")
	_, err = cl.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantSDKError(t, err, 403, "InvalidAccessKeyId")
	if a := adm(base1, "DELETE", "remove-canned-policy", [][2]string{{"name", policyName}}, nil); a.status != 200 {
		t.Fatalf("remove-canned-policy: %s", a)
	}
	wantAdminError(t, adm(base1, "DELETE", "remove-canned-policy", [][2]string{{"name", policyName}}, nil), 404, "XMinioAdminNoSuchPolicy")

	// The user's secret never reaches a log, not even at DEBUG.
	for i, n := range []*testserver.Server{node1, node2} {
		if strings.Contains(n.Logs(), secret) {
			t.Errorf("node %d logged the user's secret", i+1)
		}
	}
}
