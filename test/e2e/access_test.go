package e2e

// Access control through real clients: aws-sdk-go-v2 (alice, bob and an
// admin account), the aws CLI (s3api, as a subprocess) and curl (anonymous
// requests and CORS preflights). Semantics are Amazon S3's: bucket owners,
// canned and granted ACLs, bucket policies (explicit Deny wins, conditions),
// CORS, plus this server's admin_accounts and reserved_buckets (the
// harness's Caddyfile makes "e2e-admin" an admin and reserves
// "e2e-reserved-bucket").

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	// The admin account's key (see admin_accounts in harness_test.go's
	// Caddyfile).
	adminKey    = "AKIAEXAMPLEADMIN0001"
	adminSecret = "adminsecret000000000000000000000000000000"
	adminID     = "e2e-admin"
	// reservedBucket is listed in reserved_buckets.
	reservedBucket = "e2e-reserved-bucket"

	// The canonical IDs of the static keys (their configured owners).
	aliceID = "alice"
	bobID   = "bob"

	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

var admin = creds{adminKey, adminSecret}

func adminSDK() *s3.Client { return sdk(admin, srv.base) }

// caFile is the harness's local CA root (tls internal), for curl and the
// aws CLI over HTTPS.
func caFile(t testing.TB) string {
	t.Helper()
	p := srv.proc.CAFile()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the local CA root: %v", err)
	}
	return p
}

// ---------------------------------------------------------------------------
// curl

// curlDo runs curl (anonymous unless the caller adds an Authorization
// header) and returns the last response's status, headers and body.
// headers are "Name: value" lines.
func curlDo(t testing.TB, method, u string, body []byte, headers ...string) rawResp {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is not installed: %v", err)
	}
	dir := t.TempDir()
	hdrFile, bodyFile := filepath.Join(dir, "headers"), filepath.Join(dir, "body")
	args := []string{"-sS", "-g", "--noproxy", "*", "--http1.1", "--max-time", "60",
		"-D", hdrFile, "-o", bodyFile, "-H", "Expect:"}
	if method == "HEAD" {
		args = append(args, "-I")
	} else {
		args = append(args, "-X", method)
	}
	if strings.HasPrefix(u, "https:") {
		args = append(args, "--cacert", caFile(t))
	}
	if body != nil {
		in := filepath.Join(dir, "upload")
		if err := os.WriteFile(in, body, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--data-binary", "@"+in, "-H", "Content-Type: application/octet-stream")
	}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, u)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s %s: %v\n%s", method, u, err, out)
	}
	raw, err := os.ReadFile(hdrFile)
	if err != nil {
		t.Fatalf("curl %s %s: no headers: %v", method, u, err)
	}
	// The last header block (after any 100 Continue).
	blocks := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	var block string
	for _, b := range blocks {
		if strings.TrimSpace(b) != "" {
			block = b
		}
	}
	lines := strings.Split(strings.TrimSpace(block), "\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 {
		t.Fatalf("curl %s %s: bad status line %q", method, u, lines[0])
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("curl %s %s: bad status line %q", method, u, lines[0])
	}
	r := rawResp{Status: status, Header: http.Header{}}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			r.Header.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
		}
	}
	if method != "HEAD" {
		r.Body, _ = os.ReadFile(bodyFile)
	}
	if r.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("curl %s %s -> %d without x-amz-request-id", method, u, status)
	}
	return r
}

func anonGet(t testing.TB, base, bucket, key string, headers ...string) rawResp {
	t.Helper()
	return curlDo(t, "GET", base+objPath(bucket, key), nil, headers...)
}

func anonPut(t testing.TB, base, bucket, key string, data []byte) rawResp {
	t.Helper()
	return curlDo(t, "PUT", base+objPath(bucket, key), data)
}

// preflight sends a CORS preflight with curl; origin or method "" leaves
// that header out.
func preflight(t testing.TB, base, path, origin, method, reqHeaders string) rawResp {
	t.Helper()
	var h []string
	if origin != "" {
		h = append(h, "Origin: "+origin)
	}
	if method != "" {
		h = append(h, "Access-Control-Request-Method: "+method)
	}
	if reqHeaders != "" {
		h = append(h, "Access-Control-Request-Headers: "+reqHeaders)
	}
	return curlDo(t, "OPTIONS", base+path, nil, h...)
}

type listBucketXML struct {
	XMLName xml.Name `xml:"ListBucketResult"`
	Keys    []string `xml:"Contents>Key"`
}

func wantListing(t testing.TB, r rawResp, keys ...string) {
	t.Helper()
	if r.Status != 200 {
		t.Errorf("want a 200 listing, got %s", r)
		return
	}
	var l listBucketXML
	if err := xml.Unmarshal(r.Body, &l); err != nil {
		t.Errorf("listing: %v: %s", err, r.Body)
		return
	}
	if !slices.Equal(sortedCopy(l.Keys), sortedCopy(keys)) {
		t.Errorf("listing shows %q, want %q", l.Keys, keys)
	}
}

// ---------------------------------------------------------------------------
// aws CLI

// awsCLICommand finds the aws CLI: `aws` on PATH, /usr/bin/aws or
// `python3 -m awscli`. A missing CLI fails the test.
func awsCLICommand(t testing.TB) []string {
	t.Helper()
	if p, err := exec.LookPath("aws"); err == nil {
		return []string{p}
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return []string{"/usr/bin/aws"}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		if exec.Command(p, "-m", "awscli", "--version").Run() == nil {
			return []string{p, "-m", "awscli"}
		}
	}
	t.Fatal("the aws CLI is not installed (no aws on PATH, no /usr/bin/aws, no python3 -m awscli)")
	return nil
}

// awsCLI runs `aws s3api <args>` with c's keys against endpoint (over
// HTTPS with the harness's CA as AWS_CA_BUNDLE) and returns stdout.
func awsCLI(t testing.TB, c creds, endpoint string, args ...string) (string, error) {
	t.Helper()
	cmdline := awsCLICommand(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k := strings.SplitN(kv, "=", 2)[0]
		if strings.HasPrefix(k, "AWS_") || strings.EqualFold(k, "http_proxy") || strings.EqualFold(k, "https_proxy") ||
			strings.EqualFold(k, "all_proxy") || strings.EqualFold(k, "no_proxy") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+c.key,
		"AWS_SECRET_ACCESS_KEY="+c.secret,
		"AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+cfg,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_PAGER=",
		"NO_PROXY=*",
	)
	if strings.HasPrefix(endpoint, "https:") {
		env = append(env, "AWS_CA_BUNDLE="+caFile(t))
	}
	full := append(append(cmdline[1:len(cmdline):len(cmdline)], "s3api"), args...)
	full = append(full, "--endpoint-url", endpoint, "--output", "json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cmdline[0], full...)
	cmd.Env = env
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("aws s3api %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func mustAWSCLI(t testing.TB, c creds, endpoint string, args ...string) string {
	t.Helper()
	out, err := awsCLI(t, c, endpoint, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ---------------------------------------------------------------------------
// SDK helpers

func putObjectACL(t testing.TB, cl *s3.Client, bucket, key string, data []byte, acl types.ObjectCannedACL) {
	t.Helper()
	_, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(string(data)), ACL: acl})
	if err != nil {
		t.Fatalf("PutObject %s/%s with ACL %s: %v", bucket, key, acl, err)
	}
}

func makeBucketACL(t testing.TB, c creds, prefix string, acl types.BucketCannedACL) string {
	t.Helper()
	name := newBucketName(prefix)
	_, err := sdk(c, srv.base).CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name), ACL: acl})
	if err != nil {
		t.Fatalf("CreateBucket %s with ACL %s: %v", name, acl, err)
	}
	return name
}

// policyFor fills in BUCKET.
func policyFor(bucket, doc string) string { return strings.ReplaceAll(doc, "BUCKET", bucket) }

func putPolicy(t testing.TB, cl *s3.Client, bucket, doc string) {
	t.Helper()
	if _, err := cl.PutBucketPolicy(ctxT(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v\n%s", bucket, err, doc)
	}
}

// grantStrings renders grants as "CanonicalUser:id:PERM" / "Group:uri:PERM",
// sorted.
func grantStrings(gs []types.Grant) []string {
	var out []string
	for _, g := range gs {
		who := "?"
		if g.Grantee != nil {
			switch g.Grantee.Type {
			case types.TypeGroup:
				who = "Group:" + aws.ToString(g.Grantee.URI)
			default:
				who = string(g.Grantee.Type) + ":" + aws.ToString(g.Grantee.ID)
			}
		}
		out = append(out, who+":"+string(g.Permission))
	}
	return sortedCopy(out)
}

func wantGrants(t testing.TB, what string, got []types.Grant, want ...string) {
	t.Helper()
	if g := grantStrings(got); !slices.Equal(g, sortedCopy(want)) {
		t.Errorf("%s grants %q, want %q", what, g, sortedCopy(want))
	}
}

func objectKeys(t testing.TB, out *s3.ListObjectsV2Output) []string {
	t.Helper()
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func wantOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func sdkGet(cl *s3.Client, bucket, key string) error {
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		out.Body.Close()
	}
	return err
}

func sdkPut(cl *s3.Client, bucket, key string, data string) error {
	_, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(data)})
	return err
}

func sdkList(cl *s3.Client, bucket string, prefix *string) (*s3.ListObjectsV2Output, error) {
	return cl.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: prefix})
}

func wantBody(t testing.TB, r rawResp, want string) {
	t.Helper()
	if r.Status != 200 || string(r.Body) != want {
		t.Errorf("want 200 %q, got %s", want, r)
	}
}

// ---------------------------------------------------------------------------
// Tests

// TestAccessCannedACLs: the effect of each canned ACL on buckets and
// objects, set on PutObject, CreateBucket, CopyObject,
// CreateMultipartUpload and the POST form's acl field.
func TestAccessCannedACLs(t *testing.T) {
	a, b := aliceSDK(), bobSDK()

	t.Run("object public-read vs private", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-pubobj")
		putObjectACL(t, a, bucket, "pub.txt", []byte("public data"), types.ObjectCannedACLPublicRead)
		putObjectACL(t, a, bucket, "priv.txt", []byte("private data"), types.ObjectCannedACLPrivate)
		putBytes(t, a, bucket, "default.txt", []byte("default acl"))

		wantBody(t, anonGet(t, srv.base, bucket, "pub.txt"), "public data")
		wantBody(t, anonGet(t, srv.tlsBase, bucket, "pub.txt"), "public data")
		wantStatus(t, curlDo(t, "HEAD", srv.base+objPath(bucket, "pub.txt"), nil), 200)
		wantXMLError(t, anonGet(t, srv.base, bucket, "priv.txt"), 403, "AccessDenied")
		wantXMLError(t, anonGet(t, srv.base, bucket, "default.txt"), 403, "AccessDenied")
		wantStatus(t, curlDo(t, "HEAD", srv.base+objPath(bucket, "priv.txt"), nil), 403)
		// The bucket itself stays private.
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
		wantXMLError(t, anonPut(t, srv.base, bucket, "anon.txt", []byte("anon")), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "DELETE", srv.base+objPath(bucket, "pub.txt"), nil), 403, "AccessDenied")
		// The object ACL itself is not public.
		wantXMLError(t, curlDo(t, "GET", srv.base+objPath(bucket, "pub.txt")+"?acl", nil), 403, "AccessDenied")
		// AllUsers includes authenticated users.
		if got := string(getBytes(t, b, bucket, "pub.txt")); got != "public data" {
			t.Errorf("bob read %q", got)
		}
		wantSDKError(t, sdkGet(b, bucket, "priv.txt"), 403, "AccessDenied")
		wantAbsent(t, bucket, "anon.txt")

		acl, err := a.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("pub.txt")})
		if err != nil {
			t.Fatalf("GetObjectAcl: %v", err)
		}
		if aws.ToString(acl.Owner.ID) != aliceID {
			t.Errorf("object owner %q", aws.ToString(acl.Owner.ID))
		}
		wantGrants(t, "public-read object", acl.Grants, "CanonicalUser:alice:FULL_CONTROL", "Group:"+allUsersURI+":READ")

		// Making the private object public through PutObjectAcl.
		if _, err := a.PutObjectAcl(ctxT(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("priv.txt"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
			t.Fatalf("PutObjectAcl: %v", err)
		}
		wantBody(t, anonGet(t, srv.base, bucket, "priv.txt"), "private data")
		// And back.
		if _, err := a.PutObjectAcl(ctxT(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("priv.txt"), ACL: types.ObjectCannedACLPrivate}); err != nil {
			t.Fatalf("PutObjectAcl: %v", err)
		}
		wantXMLError(t, anonGet(t, srv.base, bucket, "priv.txt"), 403, "AccessDenied")
	})

	t.Run("bucket public-read", func(t *testing.T) {
		bucket := makeBucketACL(t, alice, "acc-pubbkt", types.BucketCannedACLPublicRead)
		putBytes(t, a, bucket, "listed.txt", []byte("listed but private"))
		wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "listed.txt")
		wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket+"?list-type=2", nil), "listed.txt")
		// Listing is not reading: the object's own ACL is private.
		wantXMLError(t, anonGet(t, srv.base, bucket, "listed.txt"), 403, "AccessDenied")
		wantXMLError(t, anonPut(t, srv.base, bucket, "anon.txt", []byte("anon")), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "DELETE", srv.base+objPath(bucket, "listed.txt"), nil), 403, "AccessDenied")
		out, err := sdkList(b, bucket, nil)
		if err != nil {
			t.Errorf("bob's list of a public-read bucket: %v", err)
		} else if keys := objectKeys(t, out); !slices.Equal(keys, []string{"listed.txt"}) {
			t.Errorf("bob lists %q", keys)
		}
		wantSDKError(t, sdkPut(b, bucket, "bob.txt", "bob"), 403, "AccessDenied")
		acl, err := a.GetBucketAcl(ctxT(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("GetBucketAcl: %v", err)
		}
		wantGrants(t, "public-read bucket", acl.Grants, "CanonicalUser:alice:FULL_CONTROL", "Group:"+allUsersURI+":READ")
		wantAbsent(t, bucket, "anon.txt")
		wantAbsent(t, bucket, "bob.txt")
	})

	t.Run("bucket public-read-write", func(t *testing.T) {
		bucket := makeBucketACL(t, alice, "acc-pubrw", types.BucketCannedACLPublicReadWrite)
		wantStatus(t, anonPut(t, srv.base, bucket, "anon.txt", []byte("from anyone")), 200)
		if got := string(getBytes(t, a, bucket, "anon.txt")); got != "from anyone" {
			t.Errorf("alice reads %q from the anonymous upload", got)
		}
		wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "anon.txt")
		wantOK(t, "bob's PutObject into a public-read-write bucket", sdkPut(b, bucket, "bob.txt", "bob"))
		putBytes(t, a, bucket, "alice.txt", []byte("alice"))
		wantStatus(t, curlDo(t, "DELETE", srv.base+objPath(bucket, "alice.txt"), nil), 204)
		wantAbsent(t, bucket, "alice.txt")
		// Bucket configuration is not part of WRITE.
		wantXMLError(t, curlDo(t, "DELETE", srv.base+"/"+bucket+"?policy", nil), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket+"?acl", nil), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "DELETE", srv.base+"/"+bucket, nil), 403, "AccessDenied")
	})

	t.Run("authenticated-read", func(t *testing.T) {
		bucket := makeBucketACL(t, alice, "acc-authrd", types.BucketCannedACLAuthenticatedRead)
		putObjectACL(t, a, bucket, "members.txt", []byte("members only"), types.ObjectCannedACLAuthenticatedRead)
		if got := string(getBytes(t, b, bucket, "members.txt")); got != "members only" {
			t.Errorf("bob read %q", got)
		}
		if _, err := sdkList(b, bucket, nil); err != nil {
			t.Errorf("bob's list of an authenticated-read bucket: %v", err)
		}
		wantXMLError(t, anonGet(t, srv.base, bucket, "members.txt"), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
		wantSDKError(t, sdkPut(b, bucket, "bob.txt", "x"), 403, "AccessDenied")
	})

	t.Run("bucket-owner-full-control and bucket-owner-read from another writer", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-bofc")
		// alice lets bob write (and keeps full control).
		_, err := a.PutBucketAcl(ctxT(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket),
			GrantFullControl: aws.String(`id="alice"`), GrantWrite: aws.String(`id="bob"`)})
		if err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		putObjectACL(t, b, bucket, "bofc.txt", []byte("bob for alice"), types.ObjectCannedACLBucketOwnerFullControl)
		putObjectACL(t, b, bucket, "bor.txt", []byte("bob, alice may read"), types.ObjectCannedACLBucketOwnerRead)
		putObjectACL(t, b, bucket, "bobpriv.txt", []byte("bob's private"), types.ObjectCannedACLPrivate)

		acl, err := b.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("bofc.txt")})
		if err != nil {
			t.Fatalf("bob's GetObjectAcl of his object: %v", err)
		}
		if aws.ToString(acl.Owner.ID) != bobID {
			t.Errorf("object written by bob is owned by %q", aws.ToString(acl.Owner.ID))
		}
		wantGrants(t, "bucket-owner-full-control", acl.Grants, "CanonicalUser:bob:FULL_CONTROL", "CanonicalUser:alice:FULL_CONTROL")
		acl, err = a.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("bor.txt")})
		if err != nil {
			t.Fatalf("alice's GetObjectAcl of bob's object: %v", err)
		}
		wantGrants(t, "bucket-owner-read", acl.Grants, "CanonicalUser:bob:FULL_CONTROL", "CanonicalUser:alice:READ")

		for k, want := range map[string]string{"bofc.txt": "bob for alice", "bor.txt": "bob, alice may read", "bobpriv.txt": "bob's private"} {
			// The bucket owner reads every object in its bucket; the
			// writer reads its own.
			if got := string(getBytes(t, a, bucket, k)); got != want {
				t.Errorf("alice reads %s = %q", k, got)
			}
			if got := string(getBytes(t, b, bucket, k)); got != want {
				t.Errorf("bob reads %s = %q", k, got)
			}
			wantXMLError(t, anonGet(t, srv.base, bucket, k), 403, "AccessDenied")
		}
		// WRITE does not let bob list, nor read alice's objects.
		putBytes(t, a, bucket, "alice.txt", []byte("alice's"))
		_, err = sdkList(b, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "alice.txt"), 403, "AccessDenied")
		// WRITE lets bob delete, as in S3.
		_, err = b.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("bobpriv.txt")})
		wantOK(t, "bob's DeleteObject with WRITE", err)
		wantAbsent(t, bucket, "bobpriv.txt")
	})

	t.Run("copy, multipart and POST with public-read", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-cannedops")
		putBytes(t, a, bucket, "src.txt", []byte("copied data"))
		_, err := a.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy.txt"),
			CopySource: aws.String(bucket + "/src.txt"), ACL: types.ObjectCannedACLPublicRead})
		if err != nil {
			t.Fatalf("CopyObject with ACL: %v", err)
		}
		wantBody(t, anonGet(t, srv.base, bucket, "copy.txt"), "copied data")
		wantXMLError(t, anonGet(t, srv.base, bucket, "src.txt"), 403, "AccessDenied")
		// A copy without x-amz-acl is private, whatever the source's ACL.
		_, err = a.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy2.txt"),
			CopySource: aws.String(bucket + "/copy.txt")})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		wantXMLError(t, anonGet(t, srv.base, bucket, "copy2.txt"), 403, "AccessDenied")

		data := []byte("multipart public data")
		id := createUpload(t, a, bucket, "mp.txt", func(in *s3.CreateMultipartUploadInput) { in.ACL = types.ObjectCannedACLPublicRead })
		part := uploadPart(t, a, bucket, "mp.txt", id, 1, data)
		completeUpload(t, a, bucket, "mp.txt", id, []types.CompletedPart{part})
		wantBody(t, anonGet(t, srv.base, bucket, "mp.txt"), string(data))

		later := time.Now().Add(10 * time.Minute)
		f := v4PostForm(t, alice, bucket, "posted.txt", later, [][2]string{{"acl", "public-read"}},
			map[string]string{"key": "posted.txt"}, map[string]string{"acl": "public-read"})
		f.fileName, f.file = "posted.txt", []byte("posted data")
		r := postForm(t, srv.base, "/"+bucket, f)
		wantStatus(t, r, 204)
		wantBody(t, anonGet(t, srv.base, bucket, "posted.txt"), "posted data")
		f = v4PostForm(t, alice, bucket, "posted-private.txt", later, nil, map[string]string{"key": "posted-private.txt"})
		f.fileName, f.file = "p.txt", []byte("posted private")
		wantStatus(t, postForm(t, srv.base, "/"+bucket, f), 204)
		wantXMLError(t, anonGet(t, srv.base, bucket, "posted-private.txt"), 403, "AccessDenied")
	})
}

// TestAccessGrantHeaders: x-amz-grant-* headers by canonical id and group
// URI, on buckets and objects.
func TestAccessGrantHeaders(t *testing.T) {
	ctx := ctxT(t)
	a, b := aliceSDK(), bobSDK()
	bucket := makeBucket(t, alice, "acc-grants")
	bk := aws.String(bucket)
	putBytes(t, a, bucket, "k.txt", []byte("alice's k"))

	t.Run("bucket READ", func(t *testing.T) {
		if _, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, GrantRead: aws.String(`id="bob"`)}); err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		out, err := sdkList(b, bucket, nil)
		if err != nil {
			t.Fatalf("bob lists with READ: %v", err)
		}
		if keys := objectKeys(t, out); !slices.Equal(keys, []string{"k.txt"}) {
			t.Errorf("bob lists %q", keys)
		}
		wantSDKError(t, sdkPut(b, bucket, "bob.txt", "x"), 403, "AccessDenied")
		_, err = b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
		wantSDKError(t, err, 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "k.txt"), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
		// The owner keeps everything even though the header grants name
		// only bob.
		if _, err := sdkList(a, bucket, nil); err != nil {
			t.Errorf("alice lists: %v", err)
		}
		acl, err := a.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
		if err != nil {
			t.Fatalf("GetBucketAcl: %v", err)
		}
		if aws.ToString(acl.Owner.ID) != aliceID {
			t.Errorf("owner %q", aws.ToString(acl.Owner.ID))
		}
		wantGrants(t, "x-amz-grant-read", acl.Grants, "CanonicalUser:bob:READ")
	})

	t.Run("bucket WRITE and READ_ACP", func(t *testing.T) {
		_, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk,
			GrantFullControl: aws.String(`id="alice"`),
			GrantWrite:       aws.String(`id="bob"`),
			GrantReadACP:     aws.String(`id=bob`)})
		if err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		wantOK(t, "bob's PutObject with WRITE", sdkPut(b, bucket, "bob.txt", "bob's"))
		acl, err := b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
		if err != nil {
			t.Fatalf("bob's GetBucketAcl with READ_ACP: %v", err)
		}
		wantGrants(t, "bob's view", acl.Grants, "CanonicalUser:alice:FULL_CONTROL", "CanonicalUser:bob:WRITE", "CanonicalUser:bob:READ_ACP")
		_, err = b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, ACL: types.BucketCannedACLPublicRead})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = sdkList(b, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
	})

	t.Run("bucket WRITE_ACP", func(t *testing.T) {
		if _, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, GrantWriteACP: aws.String(`id="bob"`)}); err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		_, err := b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
		wantSDKError(t, err, 403, "AccessDenied")
		// bob may rewrite the ACL: he opens listing to everyone (two
		// grantees in one header).
		_, err = b.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk,
			GrantRead: aws.String(`uri="` + allUsersURI + `", id="bob"`), GrantWriteACP: aws.String(`id="bob"`)})
		if err != nil {
			t.Fatalf("bob's PutBucketAcl with WRITE_ACP: %v", err)
		}
		wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "k.txt", "bob.txt")
		acl, err := a.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
		if err != nil {
			t.Fatalf("GetBucketAcl: %v", err)
		}
		if aws.ToString(acl.Owner.ID) != aliceID {
			t.Errorf("bob's ACL changed the owner to %q", aws.ToString(acl.Owner.ID))
		}
		wantGrants(t, "bob's ACL", acl.Grants, "Group:"+allUsersURI+":READ", "CanonicalUser:bob:READ", "CanonicalUser:bob:WRITE_ACP")
		// Back to private.
		if _, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, ACL: types.BucketCannedACLPrivate}); err != nil {
			t.Fatalf("PutBucketAcl private: %v", err)
		}
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
	})

	t.Run("object grants", func(t *testing.T) {
		_, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("for-bob.txt"), Body: strings.NewReader("bob may read"),
			GrantRead: aws.String(`id="bob"`)})
		if err != nil {
			t.Fatalf("PutObject with x-amz-grant-read: %v", err)
		}
		if got := string(getBytes(t, b, bucket, "for-bob.txt")); got != "bob may read" {
			t.Errorf("bob reads %q", got)
		}
		wantXMLError(t, anonGet(t, srv.base, bucket, "for-bob.txt"), 403, "AccessDenied")
		_, err = b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bk, Key: aws.String("for-bob.txt")})
		wantSDKError(t, err, 403, "AccessDenied")

		// A raw PUT with a group grant and a READ_ACP grant.
		r := doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket + "/everyone.txt", Body: []byte("everyone"), Creds: &alice,
			Header: http.Header{"X-Amz-Grant-Read": {`uri="` + allUsersURI + `"`}, "X-Amz-Grant-Read-Acp": {`id="bob"`}}})
		wantStatus(t, r, 200)
		wantBody(t, anonGet(t, srv.base, bucket, "everyone.txt"), "everyone")
		acl, err := b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bk, Key: aws.String("everyone.txt")})
		if err != nil {
			t.Fatalf("bob's GetObjectAcl with READ_ACP: %v", err)
		}
		wantGrants(t, "object header grants", acl.Grants, "Group:"+allUsersURI+":READ", "CanonicalUser:bob:READ_ACP")
		_, err = b.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bk, Key: aws.String("everyone.txt"), ACL: types.ObjectCannedACLPrivate})
		wantSDKError(t, err, 403, "AccessDenied")

		// FULL_CONTROL: bob reads, reads and rewrites the ACL.
		if _, err := a.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bk, Key: aws.String("k.txt"), GrantFullControl: aws.String(`id="bob"`)}); err != nil {
			t.Fatalf("PutObjectAcl: %v", err)
		}
		if got := string(getBytes(t, b, bucket, "k.txt")); got != "alice's k" {
			t.Errorf("bob reads %q", got)
		}
		_, err = b.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bk, Key: aws.String("k.txt"),
			GrantFullControl: aws.String(`id="bob"`), GrantRead: aws.String(`uri="` + authUsersURI + `"`)})
		wantOK(t, "bob's PutObjectAcl with FULL_CONTROL", err)
		acl, err = a.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bk, Key: aws.String("k.txt")})
		if err != nil {
			t.Fatalf("GetObjectAcl: %v", err)
		}
		if aws.ToString(acl.Owner.ID) != aliceID {
			t.Errorf("object owner changed to %q", aws.ToString(acl.Owner.ID))
		}
		wantGrants(t, "bob's object ACL", acl.Grants, "CanonicalUser:bob:FULL_CONTROL", "Group:"+authUsersURI+":READ")
		// Object grants do not reach the bucket: bob still cannot list.
		_, err = sdkList(b, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
	})
}

// TestAccessACLXMLRoundTrip: AccessControlPolicy bodies put by the SDK and
// by hand (as s3cmd writes them) come back through GetBucketAcl /
// GetObjectAcl and take effect.
func TestAccessACLXMLRoundTrip(t *testing.T) {
	ctx := ctxT(t)
	a, b := aliceSDK(), bobSDK()
	bucket := makeBucket(t, alice, "acc-xmlacl")
	bk := aws.String(bucket)
	putBytes(t, a, bucket, "obj.txt", []byte("xml acl object"))

	user := func(id string, p types.Permission) types.Grant {
		return types.Grant{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(id)}, Permission: p}
	}
	group := func(uri string, p types.Permission) types.Grant {
		return types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(uri)}, Permission: p}
	}
	_, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(aliceID)},
		Grants: []types.Grant{
			user(aliceID, types.PermissionFullControl),
			user(bobID, types.PermissionWrite),
			group(allUsersURI, types.PermissionRead),
			group(authUsersURI, types.PermissionReadAcp),
		},
	}})
	if err != nil {
		t.Fatalf("PutBucketAcl with an AccessControlPolicy: %v", err)
	}
	acl, err := b.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk}) // bob: READ_ACP through AuthenticatedUsers
	if err != nil {
		t.Fatalf("bob's GetBucketAcl: %v", err)
	}
	if acl.Owner == nil || aws.ToString(acl.Owner.ID) != aliceID {
		t.Errorf("GetBucketAcl owner %+v, want %s", acl.Owner, aliceID)
	}
	wantGrants(t, "GetBucketAcl", acl.Grants, "CanonicalUser:alice:FULL_CONTROL", "CanonicalUser:bob:WRITE",
		"Group:"+allUsersURI+":READ", "Group:"+authUsersURI+":READ_ACP")
	// The grants take effect.
	wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "obj.txt")
	wantOK(t, "bob's PutObject with WRITE", sdkPut(b, bucket, "bob.txt", "bob"))
	wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket+"?acl", nil), 403, "AccessDenied")

	// The raw document: namespaces and xsi:type as s3cmd and boto send it.
	// S3 returns its own serialization; check the fields.
	r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: url0("acl"), Creds: &alice})
	wantStatus(t, r, 200)
	var doc struct {
		XMLName xml.Name `xml:"AccessControlPolicy"`
		Owner   struct {
			ID string `xml:"ID"`
		} `xml:"Owner"`
		Grants []struct {
			Grantee struct {
				Type string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
				ID   string `xml:"ID"`
				URI  string `xml:"URI"`
			} `xml:"Grantee"`
			Permission string `xml:"Permission"`
		} `xml:"AccessControlList>Grant"`
	}
	if err := xml.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("GetBucketAcl body: %v\n%s", err, r.Body)
	}
	if doc.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" {
		t.Errorf("AccessControlPolicy namespace %q", doc.XMLName.Space)
	}
	if doc.Owner.ID != aliceID || len(doc.Grants) != 4 {
		t.Errorf("GetBucketAcl owner %q with %d grants:\n%s", doc.Owner.ID, len(doc.Grants), r.Body)
	}
	for _, g := range doc.Grants {
		// A grantee named by URI is a Group, one named by ID a CanonicalUser.
		want := "CanonicalUser"
		if g.Grantee.URI != "" {
			want = "Group"
		}
		if g.Grantee.Type != want {
			t.Errorf("grantee xsi:type %q, want %s: %+v\n%s", g.Grantee.Type, want, g, r.Body)
		}
	}

	objACL := `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>alice</ID><DisplayName>alice</DisplayName></Owner>
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>alice</ID></Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>bob</ID></Grantee>
      <Permission>READ</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>
      <Permission>READ_ACP</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>`
	r = doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket + "/obj.txt", Query: url0("acl"), Body: []byte(objACL), Creds: &alice,
		Header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(md5sum([]byte(objACL)))}, "Content-Type": {"application/xml"}}})
	wantStatus(t, r, 200)
	oacl, err := a.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bk, Key: aws.String("obj.txt")})
	if err != nil {
		t.Fatalf("GetObjectAcl: %v", err)
	}
	if aws.ToString(oacl.Owner.ID) != aliceID {
		t.Errorf("object owner %q", aws.ToString(oacl.Owner.ID))
	}
	wantGrants(t, "GetObjectAcl", oacl.Grants, "CanonicalUser:alice:FULL_CONTROL", "CanonicalUser:bob:READ", "Group:"+allUsersURI+":READ_ACP")
	if got := string(getBytes(t, b, bucket, "obj.txt")); got != "xml acl object" {
		t.Errorf("bob reads %q", got)
	}
	wantXMLError(t, anonGet(t, srv.base, bucket, "obj.txt"), 403, "AccessDenied")
	ar := curlDo(t, "GET", srv.base+objPath(bucket, "obj.txt")+"?acl", nil)
	wantStatus(t, ar, 200)
	if !strings.Contains(string(ar.Body), "<ID>bob</ID>") {
		t.Errorf("anonymous GetObjectAcl with READ_ACP: %s", ar)
	}
}

// url0 is a query with one empty-valued subresource, e.g. ?acl.
func url0(name string) map[string][]string { return map[string][]string{name: {""}} }

// TestAccessACLErrors: MalformedACLError, InvalidArgument, InvalidRequest,
// UnresolvableGrantByEmailAddress, and nothing changes on an error.
func TestAccessACLErrors(t *testing.T) {
	ctx := ctxT(t)
	a := aliceSDK()
	bucket := makeBucket(t, alice, "acc-aclerr")
	bk := aws.String(bucket)
	putBytes(t, a, bucket, "k", []byte("k"))

	putACLBody := func(t *testing.T, path, body string) rawResp {
		return doRaw(t, rawReq{Method: "PUT", Path: path, Query: url0("acl"), Body: []byte(body), Creds: &alice,
			Header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(md5sum([]byte(body)))}}})
	}
	t.Run("MalformedACLError", func(t *testing.T) {
		for name, body := range map[string]string{
			"not xml":            `<AccessControlPolicy><AccessControlList><Grant>`,
			"unknown permission": `<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>bob</ID></Grantee><Permission>READ_ALL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
			"grantee without id": `<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		} {
			t.Run(name, func(t *testing.T) {
				wantXMLError(t, putACLBody(t, "/"+bucket, body), 400, "MalformedACLError")
				wantXMLError(t, putACLBody(t, "/"+bucket+"/k", body), 400, "MalformedACLError")
			})
		}
	})
	t.Run("UnresolvableGrantByEmailAddress", func(t *testing.T) {
		_, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, GrantRead: aws.String(`emailAddress="nobody@example.com"`)})
		wantSDKError(t, err, 400, "UnresolvableGrantByEmailAddress")
		_, err = a.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("email"), Body: strings.NewReader("x"),
			GrantRead: aws.String(`emailAddress="nobody@example.com"`)})
		wantSDKError(t, err, 400, "UnresolvableGrantByEmailAddress")
		wantAbsent(t, bucket, "email")
		body := `<AccessControlPolicy><Owner><ID>alice</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="AmazonCustomerByEmail"><EmailAddress>nobody@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
		wantXMLError(t, putACLBody(t, "/"+bucket, body), 400, "UnresolvableGrantByEmailAddress")
	})
	t.Run("InvalidArgument for an unknown canned ACL", func(t *testing.T) {
		name := newBucketName("acc-badcanned")
		_, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ACL: types.BucketCannedACL("public-everything")})
		wantSDKError(t, err, 400, "InvalidArgument")
		_, err = a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 404, "")
		_, err = a.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("bad-canned"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACL("public")})
		wantSDKError(t, err, 400, "InvalidArgument")
		wantAbsent(t, bucket, "bad-canned")
		_, err = a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, ACL: types.BucketCannedACL("Public-Read")})
		wantSDKError(t, err, 400, "InvalidArgument")
		_, err = a.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bk, Key: aws.String("k"), ACL: types.ObjectCannedACL("world")})
		wantSDKError(t, err, 400, "InvalidArgument")
		_, err = a.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bk, Key: aws.String("bad-copy"), CopySource: aws.String(bucket + "/k"), ACL: types.ObjectCannedACL("nope")})
		wantSDKError(t, err, 400, "InvalidArgument")
		wantAbsent(t, bucket, "bad-copy")
		_, err = a.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bk, Key: aws.String("bad-mp"), ACL: types.ObjectCannedACL("nope")})
		wantSDKError(t, err, 400, "InvalidArgument")
	})
	t.Run("InvalidRequest for canned and grant headers together", func(t *testing.T) {
		_, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: bk, Key: aws.String("both"), Body: strings.NewReader("x"),
			ACL: types.ObjectCannedACLPublicRead, GrantRead: aws.String(`id="bob"`)})
		wantSDKError(t, err, 400, "InvalidRequest")
		wantAbsent(t, bucket, "both")
		_, err = a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bk, ACL: types.BucketCannedACLPublicRead, GrantRead: aws.String(`id="bob"`)})
		wantSDKError(t, err, 400, "InvalidRequest")
		name := newBucketName("acc-both")
		r := doRaw(t, rawReq{Method: "PUT", Path: "/" + name, Creds: &alice,
			Header: http.Header{"X-Amz-Acl": {"public-read"}, "X-Amz-Grant-Write": {`id="bob"`}}})
		wantXMLError(t, r, 400, "InvalidRequest")
		_, err = a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		wantSDKError(t, err, 404, "")
	})
	// None of the failed requests changed the bucket's ACL.
	acl, err := a.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	wantGrants(t, "after the errors", acl.Grants, "CanonicalUser:alice:FULL_CONTROL")
}

// TestAccessCLI drives ACLs, policies and CORS with the aws CLI (s3api),
// over HTTP and HTTPS (AWS_CA_BUNDLE = the harness's CA).
func TestAccessCLI(t *testing.T) {
	a := aliceSDK()
	bucket := makeBucket(t, alice, "acc-cli")
	putObjectACL(t, a, bucket, "page.html", []byte("<p>hi</p>"), types.ObjectCannedACLPublicRead)

	// put-bucket-acl --acl public-read, then get-bucket-acl.
	wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
	mustAWSCLI(t, alice, srv.base, "put-bucket-acl", "--bucket", bucket, "--acl", "public-read")
	wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "page.html")
	out := mustAWSCLI(t, alice, srv.tlsBase, "get-bucket-acl", "--bucket", bucket)
	var acl struct {
		Owner  struct{ ID string }
		Grants []struct {
			Grantee    struct{ Type, ID, URI string }
			Permission string
		}
	}
	if err := json.Unmarshal([]byte(out), &acl); err != nil {
		t.Fatalf("get-bucket-acl output: %v\n%s", err, out)
	}
	var grants []string
	for _, g := range acl.Grants {
		grants = append(grants, g.Grantee.Type+":"+g.Grantee.ID+g.Grantee.URI+":"+g.Permission)
	}
	if want := sortedCopy([]string{"CanonicalUser:alice:FULL_CONTROL", "Group:" + allUsersURI + ":READ"}); acl.Owner.ID != aliceID || !slices.Equal(sortedCopy(grants), want) {
		t.Errorf("get-bucket-acl: owner %q grants %q, want alice and %q\n%s", acl.Owner.ID, grants, want, out)
	}
	// bob's CLI is refused.
	if _, err := awsCLI(t, bob, srv.base, "get-bucket-acl", "--bucket", bucket); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("bob's get-bucket-acl on alice's bucket: %v, want AccessDenied", err)
	}

	// get-bucket-policy without one; put-bucket-policy --policy file:// over
	// HTTPS; get-bucket-policy returns it unchanged.
	if _, err := awsCLI(t, alice, srv.base, "get-bucket-policy", "--bucket", bucket); err == nil || !strings.Contains(err.Error(), "NoSuchBucketPolicy") {
		t.Errorf("get-bucket-policy without a policy: %v, want NoSuchBucketPolicy", err)
	}
	policy := policyFor(bucket, `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "BobReadsDocs",
            "Effect": "Allow",
            "Principal": {"AWS": ["bob"]},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::BUCKET/docs/*"
        }
    ]
}`)
	mustAWSCLI(t, alice, srv.tlsBase, "put-bucket-policy", "--bucket", bucket, "--policy", "file://"+writeTemp(t, "policy.json", policy))
	out = mustAWSCLI(t, alice, srv.base, "get-bucket-policy", "--bucket", bucket)
	var gp struct{ Policy string }
	if err := json.Unmarshal([]byte(out), &gp); err != nil {
		t.Fatalf("get-bucket-policy output: %v\n%s", err, out)
	}
	if gp.Policy != policy {
		t.Errorf("get-bucket-policy returned\n%s\nwant\n%s", gp.Policy, policy)
	}
	putBytes(t, a, bucket, "docs/readme.txt", []byte("readme"))
	if got := string(getBytes(t, bobSDK(), bucket, "docs/readme.txt")); got != "readme" {
		t.Errorf("bob reads %q through the CLI-put policy", got)
	}
	if _, err := awsCLI(t, alice, srv.base, "put-bucket-policy", "--bucket", bucket, "--policy", `{"Statement": "nope"`); err == nil || !strings.Contains(err.Error(), "MalformedPolicy") {
		t.Errorf("put-bucket-policy with a malformed document: %v, want MalformedPolicy", err)
	}

	// put-bucket-cors --cors-configuration file://, then get-bucket-cors
	// and a curl preflight.
	cors := `{"CORSRules": [{"AllowedOrigins": ["http://cli.example"], "AllowedMethods": ["GET", "PUT"],
  "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 120}]}`
	mustAWSCLI(t, alice, srv.base, "put-bucket-cors", "--bucket", bucket, "--cors-configuration", "file://"+writeTemp(t, "cors.json", cors))
	out = mustAWSCLI(t, alice, srv.tlsBase, "get-bucket-cors", "--bucket", bucket)
	var gc struct {
		CORSRules []struct {
			AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders []string
			MaxAgeSeconds                                                 int
		}
	}
	if err := json.Unmarshal([]byte(out), &gc); err != nil {
		t.Fatalf("get-bucket-cors output: %v\n%s", err, out)
	}
	if len(gc.CORSRules) != 1 || !slices.Equal(gc.CORSRules[0].AllowedOrigins, []string{"http://cli.example"}) ||
		!slices.Equal(gc.CORSRules[0].AllowedMethods, []string{"GET", "PUT"}) || gc.CORSRules[0].MaxAgeSeconds != 120 ||
		!slices.Equal(gc.CORSRules[0].ExposeHeaders, []string{"ETag"}) {
		t.Errorf("get-bucket-cors: %s", out)
	}
	r := preflight(t, srv.base, "/"+bucket+"/page.html", "http://cli.example", "PUT", "content-type")
	wantStatus(t, r, 200)
	if r.Header.Get("Access-Control-Allow-Origin") != "http://cli.example" || r.Header.Get("Access-Control-Max-Age") != "120" {
		t.Errorf("preflight after put-bucket-cors: %s", r)
	}
	wantXMLError(t, preflight(t, srv.base, "/"+bucket+"/page.html", "http://other.example", "GET", ""), 403, "AccessForbidden")
}

// TestAccessPolicyDocument: Get/Put/DeleteBucketPolicy: byte-for-byte
// round trip, NoSuchBucketPolicy, MalformedPolicy, 204s, owner only.
func TestAccessPolicyDocument(t *testing.T) {
	ctx := ctxT(t)
	a := aliceSDK()
	bucket := makeBucket(t, alice, "acc-poldoc")
	bk := aws.String(bucket)

	_, err := a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchBucketPolicy")
	wantXMLError(t, doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: url0("policy"), Creds: &alice}), 404, "NoSuchBucketPolicy")

	for name, doc := range map[string]string{
		"not json":           `this is not a policy`,
		"empty object":       `{}`,
		"statement a string": `{"Version":"2012-10-17","Statement":"allow everything"}`,
		"bad effect":         `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`,
		"other bucket":       `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::some-other-bucket/*"}]}`,
		"no action":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::BUCKET/*"}]}`,
	} {
		t.Run("MalformedPolicy "+name, func(t *testing.T) {
			doc := policyFor(bucket, doc)
			_, err := a.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bk, Policy: aws.String(doc)})
			wantSDKError(t, err, 400, "MalformedPolicy")
		})
	}
	_, err = a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchBucketPolicy")

	// Odd whitespace, key order and a trailing newline come back as sent.
	doc := policyFor(bucket, "{\n\t\"Statement\" : [ {\"Resource\":\"arn:aws:s3:::BUCKET/*\",\n  \"Action\":[\"s3:GetObject\"],\"Principal\":{\"AWS\":[\"bob\"]},\"Effect\":\"Allow\",\"Sid\":\"x\"} ],\n\t\"Version\":\"2012-10-17\"\n}\n")
	r := doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket, Query: url0("policy"), Body: []byte(doc), Creds: &alice})
	wantStatus(t, r, 204)
	r = doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: url0("policy"), Creds: &alice})
	wantStatus(t, r, 200)
	if string(r.Body) != doc {
		t.Errorf("GetBucketPolicy returned %q, want the %q sent", r.Body, doc)
	}
	out, err := a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	if aws.ToString(out.Policy) != doc {
		t.Errorf("SDK GetBucketPolicy %q, want %q", aws.ToString(out.Policy), doc)
	}
	// Not for bob, even though the policy names him.
	_, err = bobSDK().GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = bobSDK().DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bk})
	wantSDKError(t, err, 403, "AccessDenied")
	wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket+"?policy", nil), 403, "AccessDenied")

	// A malformed replacement leaves the old policy in place.
	_, err = a.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bk, Policy: aws.String(`{"Version":`)})
	wantSDKError(t, err, 400, "MalformedPolicy")
	if out, err := a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk}); err != nil || aws.ToString(out.Policy) != doc {
		t.Errorf("after a rejected PutBucketPolicy: %v", err)
	}

	r = doRaw(t, rawReq{Method: "DELETE", Path: "/" + bucket, Query: url0("policy"), Creds: &alice})
	wantStatus(t, r, 204)
	_, err = a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchBucketPolicy")
	// Deleting again is fine.
	_, err = a.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bk})
	wantOK(t, "DeleteBucketPolicy without a policy", err)
}

// TestAccessPolicyEffects: what policies allow and deny: principals,
// action and resource wildcards, aws:SourceIp, aws:SecureTransport,
// s3:prefix, Deny over ACL grants and over the owner, and the owner's
// policy rights that no Deny takes away.
func TestAccessPolicyEffects(t *testing.T) {
	a, b := aliceSDK(), bobSDK()

	t.Run("principal, action and resource wildcards", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-polwild")
		putBytes(t, a, bucket, "shared/a.txt", []byte("shared a"))
		putBytes(t, a, bucket, "private/b.txt", []byte("private b"))
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:Get*"],"Resource":["arn:aws:s3:::BUCKET/shared/*"]},
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::bob:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET"}]}`))
		if got := string(getBytes(t, b, bucket, "shared/a.txt")); got != "shared a" {
			t.Errorf("bob reads %q", got)
		}
		wantSDKError(t, sdkGet(b, bucket, "private/b.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkPut(b, bucket, "shared/new.txt", "x"), 403, "AccessDenied")
		_, err := b.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared/a.txt")})
		wantSDKError(t, err, 403, "AccessDenied")
		if _, err := sdkList(b, bucket, nil); err != nil {
			t.Errorf("bob's ListObjectsV2 allowed by an arn principal: %v", err)
		}
		// Neither anonymous nor the admin-free others.
		wantXMLError(t, anonGet(t, srv.base, bucket, "shared/a.txt"), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), 403, "AccessDenied")
		wantAbsent(t, bucket, "shared/new.txt")
	})

	t.Run("aws:SourceIp", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-polip")
		putBytes(t, a, bucket, "f.txt", []byte("by address"))
		allow := func(cidr string) string {
			return policyFor(bucket, `{"Version":"2012-10-17","Statement":[{"Sid":"FromLoopback","Effect":"Allow","Principal":"*",
				"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"IpAddress":{"aws:SourceIp":"`+cidr+`"}}}]}`)
		}
		putPolicy(t, a, bucket, allow("127.0.0.1/32"))
		wantBody(t, anonGet(t, srv.base, bucket, "f.txt"), "by address")
		if got := string(getBytes(t, b, bucket, "f.txt")); got != "by address" {
			t.Errorf("bob reads %q", got)
		}
		putPolicy(t, a, bucket, allow("10.0.0.0/8"))
		wantXMLError(t, anonGet(t, srv.base, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "f.txt"), 403, "AccessDenied")

		// Deny from 10.0.0.0/8 does not touch us; deny from everywhere
		// else does, the owner included.
		deny := func(op, cidr string) string {
			return policyFor(bucket, `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"},
				{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],
				 "Condition":{"`+op+`":{"aws:SourceIp":["`+cidr+`"]}}}]}`)
		}
		putPolicy(t, a, bucket, deny("IpAddress", "10.0.0.0/8"))
		wantBody(t, anonGet(t, srv.base, bucket, "f.txt"), "by address")
		wantOK(t, "alice's GetObject", sdkGet(a, bucket, "f.txt"))
		wantOK(t, "alice's PutObject", sdkPut(a, bucket, "g.txt", "g"))
		putPolicy(t, a, bucket, deny("NotIpAddress", "10.0.0.0/8"))
		wantXMLError(t, anonGet(t, srv.base, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(a, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkPut(a, bucket, "h.txt", "h"), 403, "AccessDenied")
		_, err := sdkList(a, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
		// The owner is not locked out of the policy itself.
		if _, err := a.GetBucketPolicy(ctxT(t), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("alice's GetBucketPolicy under a Deny s3:*: %v", err)
		}
		if _, err := a.DeleteBucketPolicy(ctxT(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("alice's DeleteBucketPolicy under a Deny s3:*: %v", err)
		}
		wantOK(t, "alice's GetObject after deleting the policy", sdkGet(a, bucket, "f.txt"))
		wantXMLError(t, anonGet(t, srv.base, bucket, "f.txt"), 403, "AccessDenied")
	})

	t.Run("aws:SecureTransport", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-poltls")
		putBytes(t, a, bucket, "f.txt", []byte("tls only"))
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"},
			{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],
			 "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`))
		// Plain HTTP: denied for everyone, the owner included.
		wantXMLError(t, anonGet(t, srv.base, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(a, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkPut(a, bucket, "plain.txt", "x"), 403, "AccessDenied")
		// HTTPS: allowed.
		wantBody(t, anonGet(t, srv.tlsBase, bucket, "f.txt"), "tls only")
		as, bs := sdk(alice, srv.tlsBase), sdk(bob, srv.tlsBase)
		if got := string(getBytes(t, as, bucket, "f.txt")); got != "tls only" {
			t.Errorf("alice over HTTPS reads %q", got)
		}
		if got := string(getBytes(t, bs, bucket, "f.txt")); got != "tls only" {
			t.Errorf("bob over HTTPS reads %q", got)
		}
		wantOK(t, "alice's PutObject over HTTPS", sdkPut(as, bucket, "tls.txt", "x"))
		// (Checked over HTTPS: over HTTP alice's HeadObject is denied too.)
		_, err := as.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain.txt")})
		wantSDKError(t, err, 404, "")
	})

	t.Run("s3:prefix on ListBucket", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-polprefix")
		for _, k := range []string{"public/a.txt", "public/sub/b.txt", "private/c.txt", "top.txt"} {
			putBytes(t, a, bucket, k, []byte(k))
		}
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET",
			 "Condition":{"StringLike":{"s3:prefix":["public/","public/*"]}}}]}`))
		out, err := sdkList(b, bucket, aws.String("public/"))
		if err != nil {
			t.Fatalf("bob lists public/: %v", err)
		}
		if keys := objectKeys(t, out); !slices.Equal(keys, []string{"public/a.txt", "public/sub/b.txt"}) {
			t.Errorf("bob lists %q", keys)
		}
		if _, err := sdkList(b, bucket, aws.String("public/sub/")); err != nil {
			t.Errorf("bob lists public/sub/: %v", err)
		}
		_, err = sdkList(b, bucket, aws.String("private/"))
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = sdkList(b, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(bucket), Prefix: aws.String("pub")})
		wantSDKError(t, err, 403, "AccessDenied")
		// Listing is not reading.
		wantSDKError(t, sdkGet(b, bucket, "public/a.txt"), 403, "AccessDenied")
		// The policy names bob only.
		wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket+"?prefix=public/", nil), 403, "AccessDenied")
	})

	t.Run("Deny wins over ACL grants", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-poldeny")
		if _, err := a.PutBucketAcl(ctxT(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket),
			GrantRead: aws.String(`id="bob", uri="` + allUsersURI + `"`), GrantWrite: aws.String(`id="bob"`)}); err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		putObjectACL(t, a, bucket, "open/x.txt", []byte("open"), types.ObjectCannedACLPublicRead)
		putObjectACL(t, a, bucket, "secret/y.txt", []byte("secret"), types.ObjectCannedACLPublicRead)
		// Without a policy the grants work.
		wantBody(t, anonGet(t, srv.base, bucket, "secret/y.txt"), "secret")
		if _, err := sdkList(b, bucket, nil); err != nil {
			t.Fatalf("bob's list with READ: %v", err)
		}
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/secret/*"},
			{"Effect":"Deny","Principal":{"AWS":["bob"]},"Action":["s3:ListBucket","s3:PutObject"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`))
		wantXMLError(t, anonGet(t, srv.base, bucket, "secret/y.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkGet(b, bucket, "secret/y.txt"), 403, "AccessDenied")
		wantBody(t, anonGet(t, srv.base, bucket, "open/x.txt"), "open")
		_, err := sdkList(b, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
		wantSDKError(t, sdkPut(b, bucket, "bob.txt", "x"), 403, "AccessDenied")
		// Anonymous still lists through the AllUsers grant (the Deny names bob).
		wantListing(t, curlDo(t, "GET", srv.base+"/"+bucket, nil), "open/x.txt", "secret/y.txt")
		// A Deny "*" catches the owner as well.
		wantSDKError(t, sdkGet(a, bucket, "secret/y.txt"), 403, "AccessDenied")
		wantAbsent(t, bucket, "bob.txt")
	})

	t.Run("owner not locked out by Deny s3:*", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-pollock")
		bk := aws.String(bucket)
		putBytes(t, a, bucket, "f.txt", []byte("f"))
		lock := policyFor(bucket, `{"Version":"2012-10-17","Statement":[{"Sid":"LockAll","Effect":"Deny","Principal":"*","Action":"s3:*",
			"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`)
		putPolicy(t, a, bucket, lock)
		wantSDKError(t, sdkGet(a, bucket, "f.txt"), 403, "AccessDenied")
		wantSDKError(t, sdkPut(a, bucket, "g.txt", "g"), 403, "AccessDenied")
		_, err := sdkList(a, bucket, nil)
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = a.GetBucketAcl(ctxT(t), &s3.GetBucketAclInput{Bucket: bk})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = a.DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: bk})
		wantSDKError(t, err, 403, "AccessDenied")

		out, err := a.GetBucketPolicy(ctxT(t), &s3.GetBucketPolicyInput{Bucket: bk})
		if err != nil {
			t.Fatalf("the owner's GetBucketPolicy under Deny s3:*: %v", err)
		}
		if aws.ToString(out.Policy) != lock {
			t.Errorf("GetBucketPolicy %q", aws.ToString(out.Policy))
		}
		// Replacing works too (with a policy that still denies).
		lock2 := strings.Replace(lock, "LockAll", "LockAll2", 1)
		putPolicy(t, a, bucket, lock2)
		// Others get nothing from the owner's exemption.
		_, err = b.DeleteBucketPolicy(ctxT(t), &s3.DeleteBucketPolicyInput{Bucket: bk})
		wantSDKError(t, err, 403, "AccessDenied")
		if _, err := a.DeleteBucketPolicy(ctxT(t), &s3.DeleteBucketPolicyInput{Bucket: bk}); err != nil {
			t.Fatalf("the owner's DeleteBucketPolicy under Deny s3:*: %v", err)
		}
		if got := string(getBytes(t, a, bucket, "f.txt")); got != "f" {
			t.Errorf("after unlocking alice reads %q", got)
		}
	})
}

// cloudStackPublicPolicy is the policy CloudStack's "public" bucket
// setting writes.
const cloudStackPublicPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": {"AWS": ["*"]},
      "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
      "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"]
    }
  ]
}`

// TestAccessCORS: Put/Get/DeleteBucketCors, the preflight matrix (curl,
// unauthenticated) and CORS headers on actual requests, errors included.
func TestAccessCORS(t *testing.T) {
	ctx := ctxT(t)
	a := aliceSDK()
	bucket := makeBucket(t, alice, "acc-cors")
	bk := aws.String(bucket)
	putObjectACL(t, a, bucket, "pub.txt", []byte("public"), types.ObjectCannedACLPublicRead)
	putBytes(t, a, bucket, "priv.txt", []byte("private"))
	objURL := "/" + bucket + "/pub.txt"

	_, err := a.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchCORSConfiguration")
	wantXMLError(t, preflight(t, srv.base, objURL, "http://app.example", "GET", ""), 403, "AccessForbidden")
	// No CORS headers without a configuration.
	if r := anonGet(t, srv.base, bucket, "pub.txt", "Origin: http://app.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers without a CORS configuration: %s", r)
	}

	for name, body := range map[string]string{
		"not xml":      `<CORSConfiguration><CORSRule>`,
		"no rules":     `<CORSConfiguration></CORSConfiguration>`,
		"no origin":    `<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		"no method":    `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`,
		"bad max age":  `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
		"wrong root":   `<CORSRules><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSRules>`,
		"unclosed tag": `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSConfiguration>`,
	} {
		t.Run("MalformedXML "+name, func(t *testing.T) {
			r := doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket, Query: url0("cors"), Body: []byte(body), Creds: &alice,
				Header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(md5sum([]byte(body)))}}})
			wantXMLError(t, r, 400, "MalformedXML")
		})
	}
	_, err = a.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchCORSConfiguration")

	rules := []types.CORSRule{
		{ID: aws.String("app"), AllowedOrigins: []string{"http://app.example"}, AllowedMethods: []string{"GET", "PUT", "HEAD"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"https://*.wild.example"}, AllowedMethods: []string{"GET", "DELETE"}, AllowedHeaders: []string{"content-type", "x-amz-*"}},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}
	if _, err := a.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bk, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	got, err := a.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bk})
	if err != nil {
		t.Fatalf("GetBucketCors: %v", err)
	}
	if len(got.CORSRules) != 3 {
		t.Fatalf("GetBucketCors returned %d rules", len(got.CORSRules))
	}
	for i, r := range got.CORSRules {
		w := rules[i]
		if !slices.Equal(r.AllowedOrigins, w.AllowedOrigins) || !slices.Equal(r.AllowedMethods, w.AllowedMethods) ||
			!slices.Equal(r.AllowedHeaders, w.AllowedHeaders) || !slices.Equal(r.ExposeHeaders, w.ExposeHeaders) ||
			aws.ToInt32(r.MaxAgeSeconds) != aws.ToInt32(w.MaxAgeSeconds) || aws.ToString(r.ID) != aws.ToString(w.ID) {
			t.Errorf("rule %d: got %+v, want %+v", i, r, w)
		}
	}
	_, err = bobSDK().PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: bk, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules[2:]}})
	wantSDKError(t, err, 403, "AccessDenied")
	_, err = bobSDK().DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: bk})
	wantSDKError(t, err, 403, "AccessDenied")

	type want struct {
		status                 int
		allowOrigin            string
		methods, headers, vary []string // must be contained
		maxAge                 string
	}
	cases := []struct {
		name, path, origin, method, reqHeaders string
		want                                   want
	}{
		{"exact origin, PUT with headers", objURL, "http://app.example", "PUT", "Content-Type, X-Amz-Meta-Color",
			want{200, "http://app.example", []string{"GET", "PUT", "HEAD"}, []string{"content-type", "x-amz-meta-color"}, []string{"Origin"}, "600"}},
		{"exact origin on the bucket", "/" + bucket, "http://app.example", "GET", "",
			want{200, "http://app.example", []string{"GET"}, nil, nil, "600"}},
		{"exact origin on a missing key", "/" + bucket + "/no/such/key", "http://app.example", "HEAD", "",
			want{200, "http://app.example", []string{"HEAD"}, nil, nil, "600"}},
		{"wildcard origin with allowed headers", objURL, "https://x.wild.example", "DELETE", "content-type, x-amz-date",
			want{200, "https://x.wild.example", []string{"DELETE"}, []string{"content-type", "x-amz-date"}, nil, ""}},
		{"wildcard origin, header not allowed: no rule", objURL, "https://x.wild.example", "GET", "x-custom", want{status: 403}},
		{"wildcard origin, wrong scheme falls to *", objURL, "http://x.wild.example", "GET", "",
			want{200, "*", []string{"GET"}, nil, nil, ""}},
		{"any origin GET", objURL, "http://elsewhere.example", "GET", "",
			want{200, "*", []string{"GET"}, nil, nil, ""}},
		{"any origin PUT: no rule", objURL, "http://elsewhere.example", "PUT", "", want{status: 403}},
		{"exact origin DELETE: no rule", objURL, "http://app.example", "DELETE", "", want{status: 403}},
		{"method is case-sensitive", objURL, "http://app.example", "put", "", want{status: 403}},
		{"origin is case-sensitive (any-origin rule lacks PUT)", objURL, "http://APP.example", "PUT", "", want{status: 403}},
	}
	for _, base := range []string{srv.base, srv.tlsBase} {
		for _, c := range cases {
			t.Run("preflight "+base[:strings.Index(base, ":")]+" "+c.name, func(t *testing.T) {
				r := preflight(t, base, c.path, c.origin, c.method, c.reqHeaders)
				if c.want.status != 200 {
					wantXMLError(t, r, c.want.status, "AccessForbidden")
					if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
						t.Errorf("refused preflight with Access-Control-Allow-Origin %q", v)
					}
					return
				}
				wantStatus(t, r, 200)
				if v := r.Header.Get("Access-Control-Allow-Origin"); v != c.want.allowOrigin {
					t.Errorf("Access-Control-Allow-Origin %q, want %q", v, c.want.allowOrigin)
				}
				listHas := func(name string, want []string) {
					var have []string
					for _, v := range r.Header.Values(name) {
						for _, p := range strings.Split(v, ",") {
							have = append(have, strings.ToLower(strings.TrimSpace(p)))
						}
					}
					for _, w := range want {
						if !slices.Contains(have, strings.ToLower(w)) {
							t.Errorf("%s %q lacks %q", name, have, w)
						}
					}
				}
				listHas("Access-Control-Allow-Methods", c.want.methods)
				listHas("Access-Control-Allow-Headers", c.want.headers)
				listHas("Vary", c.want.vary)
				if v := r.Header.Get("Access-Control-Max-Age"); v != c.want.maxAge {
					t.Errorf("Access-Control-Max-Age %q, want %q", v, c.want.maxAge)
				}
			})
		}
	}
	t.Run("preflight without Origin or method", func(t *testing.T) {
		for _, c := range []struct{ origin, method string }{{"", "GET"}, {"http://app.example", ""}, {"", ""}} {
			r := preflight(t, srv.base, objURL, c.origin, c.method, "")
			e := wantXMLError(t, r, 400, "BadRequest")
			// S3's text without Origin. (With Origin but no method S3 says
			// "Invalid Access-Control-Request-Method: null"; the server
			// says the Origin text there too, so that message is not
			// pinned.)
			if want := "Insufficient information. Origin request header needed."; c.origin == "" && e.Message != want {
				t.Errorf("preflight message %q, want %q", e.Message, want)
			}
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("400 preflight with CORS headers: %s", r)
			}
		}
	})
	t.Run("preflight on a bucket without CORS", func(t *testing.T) {
		other := makeBucket(t, alice, "acc-nocors")
		wantXMLError(t, preflight(t, srv.base, "/"+other+"/k", "http://app.example", "GET", ""), 403, "AccessForbidden")
	})

	corsHeaders := func(t *testing.T, r rawResp, origin string, expose bool) {
		t.Helper()
		if v := r.Header.Get("Access-Control-Allow-Origin"); v != origin {
			t.Errorf("Access-Control-Allow-Origin %q, want %q (%s)", v, origin, r)
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary %q lacks Origin", r.Header.Values("Vary"))
		}
		if expose {
			ex := strings.ToLower(strings.Join(r.Header.Values("Access-Control-Expose-Headers"), ","))
			if !strings.Contains(ex, "etag") || !strings.Contains(ex, "x-amz-request-id") {
				t.Errorf("Access-Control-Expose-Headers %q, want ETag and x-amz-request-id", ex)
			}
		}
	}
	t.Run("actual requests", func(t *testing.T) {
		// Signed GET from the app's origin.
		r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket + "/priv.txt", Creds: &alice, Header: http.Header{"Origin": {"http://app.example"}}})
		wantBody(t, r, "private")
		corsHeaders(t, r, "http://app.example", true)
		// Signed PUT from the app's origin.
		r = doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket + "/from-app.txt", Body: []byte("app"), Creds: &alice, Header: http.Header{"Origin": {"http://app.example"}}})
		wantStatus(t, r, 200)
		corsHeaders(t, r, "http://app.example", true)
		// Anonymous curl GET from anywhere: the "*" rule.
		r = anonGet(t, srv.base, bucket, "pub.txt", "Origin: http://elsewhere.example")
		wantBody(t, r, "public")
		corsHeaders(t, r, "*", false)
		// HEAD over HTTPS.
		r = curlDo(t, "HEAD", srv.tlsBase+objURL, nil, "Origin: http://app.example")
		wantStatus(t, r, 200)
		corsHeaders(t, r, "http://app.example", true)
		// No rule for PUT from elsewhere, none without an Origin.
		r = doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket + "/from-elsewhere.txt", Body: []byte("x"), Creds: &alice, Header: http.Header{"Origin": {"http://elsewhere.example"}}})
		wantStatus(t, r, 200)
		if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("PUT from an origin no rule allows got Access-Control-Allow-Origin %q", v)
		}
		r = anonGet(t, srv.base, bucket, "pub.txt")
		if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("a request without Origin got Access-Control-Allow-Origin %q", v)
		}
	})
	t.Run("error responses carry CORS headers", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket + "/missing.txt", Creds: &alice, Header: http.Header{"Origin": {"http://app.example"}}})
		wantXMLError(t, r, 404, "NoSuchKey")
		corsHeaders(t, r, "http://app.example", true)
		r = anonGet(t, srv.base, bucket, "priv.txt", "Origin: http://app.example")
		wantXMLError(t, r, 403, "AccessDenied")
		corsHeaders(t, r, "http://app.example", true)
		r = anonGet(t, srv.base, bucket, "priv.txt", "Origin: https://x.wild.example")
		wantXMLError(t, r, 403, "AccessDenied")
		corsHeaders(t, r, "https://x.wild.example", false)
	})

	r := doRaw(t, rawReq{Method: "DELETE", Path: "/" + bucket, Query: url0("cors"), Creds: &alice})
	wantStatus(t, r, 204)
	_, err = a.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: bk})
	wantSDKError(t, err, 404, "NoSuchCORSConfiguration")
	wantXMLError(t, preflight(t, srv.base, objURL, "http://app.example", "GET", ""), 403, "AccessForbidden")
	if r := anonGet(t, srv.base, bucket, "pub.txt", "Origin: http://app.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers after DeleteBucketCors: %s", r)
	}
}

// TestAccessReservedBucket: reserved_buckets names cannot be created, not
// even by an admin.
func TestAccessReservedBucket(t *testing.T) {
	ctx := ctxT(t)
	_, err := aliceSDK().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(reservedBucket)})
	wantSDKError(t, err, 400, "InvalidBucketName")
	_, err = adminSDK().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(reservedBucket)})
	wantSDKError(t, err, 400, "InvalidBucketName")
	wantXMLError(t, doRaw(t, rawReq{Method: "PUT", Path: "/" + reservedBucket, Creds: &bob}), 400, "InvalidBucketName")
	_, err = aliceSDK().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(reservedBucket)})
	wantSDKError(t, err, 404, "")
	// Similar names are fine (a fresh one each run, so -count=N
	// creates it every time).
	name := newBucketName(reservedBucket)
	if _, err := aliceSDK().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("CreateBucket %s: %v", name, err)
	}
}

// TestAccessAdmin: an admin_accounts account sees every bucket and may
// read and write in others' buckets, policy Deny or not.
func TestAccessAdmin(t *testing.T) {
	ctx := ctxT(t)
	a, ad := aliceSDK(), adminSDK()
	aliceBucket := makeBucket(t, alice, "acc-adm-alice")
	putBytes(t, a, aliceBucket, "secret.txt", []byte("alice's secret"))
	bobBucket := makeBucket(t, bob, "acc-adm-bob")
	putBytes(t, bobSDK(), bobBucket, "b.txt", []byte("bob's"))
	adminBucket := makeBucket(t, admin, "acc-adm-own")

	names := bucketNames(t, ad)
	for _, n := range []string{aliceBucket, bobBucket, adminBucket} {
		if !slices.Contains(names, n) {
			t.Errorf("the admin's ListBuckets lacks %s", n)
		}
	}
	if slices.Contains(bucketNames(t, a), adminBucket) {
		t.Errorf("alice's ListBuckets shows the admin's bucket")
	}
	_, err := sdkList(a, adminBucket, nil)
	wantSDKError(t, err, 403, "AccessDenied")

	if got := string(getBytes(t, ad, aliceBucket, "secret.txt")); got != "alice's secret" {
		t.Errorf("the admin reads %q", got)
	}
	if got := string(getBytes(t, ad, bobBucket, "b.txt")); got != "bob's" {
		t.Errorf("the admin reads %q", got)
	}
	out, err := sdkList(ad, aliceBucket, nil)
	if err != nil {
		t.Fatalf("the admin's ListObjectsV2: %v", err)
	}
	if keys := objectKeys(t, out); !slices.Equal(keys, []string{"secret.txt"}) {
		t.Errorf("the admin lists %q", keys)
	}
	wantOK(t, "the admin's PutObject", sdkPut(ad, aliceBucket, "from-admin.txt", "admin"))
	if got := string(getBytes(t, a, aliceBucket, "from-admin.txt")); got != "admin" {
		t.Errorf("alice reads %q", got)
	}
	acl, err := ad.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(aliceBucket)})
	if err != nil {
		t.Errorf("the admin's GetBucketAcl: %v", err)
	} else if aws.ToString(acl.Owner.ID) != aliceID {
		t.Errorf("the admin sees owner %q", aws.ToString(acl.Owner.ID))
	}
	_, err = ad.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(aliceBucket)})
	wantSDKError(t, err, 404, "NoSuchBucketPolicy")

	// A Deny-everything policy does not stop the admin.
	putPolicy(t, a, aliceBucket, policyFor(aliceBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
		"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`))
	wantSDKError(t, sdkGet(a, aliceBucket, "secret.txt"), 403, "AccessDenied")
	if got := string(getBytes(t, ad, aliceBucket, "secret.txt")); got != "alice's secret" {
		t.Errorf("the admin reads %q under a Deny", got)
	}
	_, err = ad.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(aliceBucket), Key: aws.String("from-admin.txt")})
	wantOK(t, "the admin's DeleteObject", err)
	_, err = ad.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(aliceBucket)})
	wantOK(t, "the admin's DeleteBucketPolicy", err)
	wantOK(t, "alice's GetObject after the admin lifted the Deny", sdkGet(a, aliceBucket, "secret.txt"))

	// The aws CLI as the admin.
	cliOut := mustAWSCLI(t, admin, srv.base, "list-buckets")
	var lb struct {
		Buckets []struct{ Name string }
		Owner   struct{ ID string }
	}
	if err := json.Unmarshal([]byte(cliOut), &lb); err != nil {
		t.Fatalf("list-buckets output: %v\n%s", err, cliOut)
	}
	var cliNames []string
	for _, b := range lb.Buckets {
		cliNames = append(cliNames, b.Name)
	}
	for _, n := range []string{aliceBucket, bobBucket, adminBucket} {
		if !slices.Contains(cliNames, n) {
			t.Errorf("aws s3api list-buckets as the admin lacks %s", n)
		}
	}
	if lb.Owner.ID != adminID {
		t.Errorf("list-buckets Owner.ID %q, want %q", lb.Owner.ID, adminID)
	}
}

// TestAccessCrossAccountOps: what bob may do in alice's bucket through
// grants and policies beyond GET/PUT: copying from her objects, multipart
// uploads with a WRITE grant (the initiator lists its parts, as in S3),
// anonymous browser-form uploads, policy-allowed anonymous writes and the
// s3:x-amz-acl condition.
func TestAccessCrossAccountOps(t *testing.T) {
	ctx := ctxT(t)
	a, b := aliceSDK(), bobSDK()

	t.Run("CopyObject needs read access to the source", func(t *testing.T) {
		src := makeBucket(t, alice, "acc-copysrc")
		dst := makeBucket(t, bob, "acc-copydst")
		putObjectACL(t, a, src, "pub.txt", []byte("public source"), types.ObjectCannedACLPublicRead)
		putBytes(t, a, src, "priv.txt", []byte("private source"))
		_, err := b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy.txt"), CopySource: aws.String(src + "/pub.txt")})
		wantOK(t, "bob copies alice's public-read object", err)
		if got := string(getBytes(t, b, dst, "copy.txt")); got != "public source" {
			t.Errorf("bob's copy holds %q", got)
		}
		_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy2.txt"), CopySource: aws.String(src + "/priv.txt")})
		wantSDKError(t, err, 403, "AccessDenied")
		// A missing source key in a bucket bob may not list: 403, not 404.
		_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy3.txt"), CopySource: aws.String(src + "/missing.txt")})
		wantSDKError(t, err, 403, "AccessDenied")
		// UploadPartCopy follows the same rule.
		id := createUpload(t, b, dst, "mp-copy")
		_, err = b.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("mp-copy"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(src + "/priv.txt")})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("mp-copy"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(src + "/pub.txt")})
		wantOK(t, "bob's UploadPartCopy from a public-read object", err)
		abortQuietly(b, dst, "mp-copy", id)
	})

	t.Run("multipart upload with a WRITE grant", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-mpwrite")
		if _, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantWrite: aws.String(`id="bob"`)}); err != nil {
			t.Fatalf("PutBucketAcl: %v", err)
		}
		id := createUpload(t, b, bucket, "bob-mp.bin", func(in *s3.CreateMultipartUploadInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl })
		data := []byte("bob's multipart data")
		part := uploadPart(t, b, bucket, "bob-mp.bin", id, 1, data)
		// S3: the initiator may list the parts of its upload.
		_, err := b.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("bob-mp.bin"), UploadId: aws.String(id)})
		wantOK(t, "the initiator's ListParts (bob, WRITE only)", err)
		// The bucket owner sees the upload.
		ups, err := a.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("alice's ListMultipartUploads: %v", err)
		}
		if len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].Initiator.ID) != bobID {
			t.Errorf("alice sees uploads %+v, want bob's", ups.Uploads)
		}
		_, err = b.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		wantSDKError(t, err, 403, "AccessDenied")
		completeUpload(t, b, bucket, "bob-mp.bin", id, []types.CompletedPart{part})
		if got := string(getBytes(t, a, bucket, "bob-mp.bin")); got != string(data) {
			t.Errorf("alice reads %q", got)
		}
		acl, err := b.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("bob-mp.bin")})
		if err != nil {
			t.Fatalf("bob's GetObjectAcl: %v", err)
		}
		wantGrants(t, "multipart bucket-owner-full-control", acl.Grants, "CanonicalUser:bob:FULL_CONTROL", "CanonicalUser:alice:FULL_CONTROL")
		// alice's own upload: bob may not list its parts.
		aid := createUpload(t, a, bucket, "alice-mp.bin")
		_, err = b.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("alice-mp.bin"), UploadId: aws.String(aid)})
		wantSDKError(t, err, 403, "AccessDenied")
		abortQuietly(a, bucket, "alice-mp.bin", aid)
	})

	t.Run("anonymous browser form", func(t *testing.T) {
		open := makeBucketACL(t, alice, "acc-postanon", types.BucketCannedACLPublicReadWrite)
		closed := makeBucket(t, alice, "acc-postclosed")
		form := func(key string) *browserForm {
			return &browserForm{fields: [][2]string{{"key", key}}, fileName: "f.txt", file: []byte("anonymous form")}
		}
		wantStatus(t, postForm(t, srv.base, "/"+open, form("anon-post.txt")), 204)
		if got := string(getBytes(t, a, open, "anon-post.txt")); got != "anonymous form" {
			t.Errorf("alice reads %q", got)
		}
		wantXMLError(t, postForm(t, srv.base, "/"+closed, form("anon-post.txt")), 403, "AccessDenied")
		wantAbsent(t, closed, "anon-post.txt")
	})

	t.Run("policy allows anonymous PUT under a prefix", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-poldrop")
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[{"Sid":"DropBox","Effect":"Allow","Principal":"*",
			"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/incoming/*"}]}`))
		wantStatus(t, anonPut(t, srv.base, bucket, "incoming/drop.txt", []byte("dropped")), 200)
		if got := string(getBytes(t, a, bucket, "incoming/drop.txt")); got != "dropped" {
			t.Errorf("alice reads %q", got)
		}
		wantXMLError(t, anonPut(t, srv.base, bucket, "elsewhere.txt", []byte("x")), 403, "AccessDenied")
		wantXMLError(t, anonGet(t, srv.base, bucket, "incoming/drop.txt"), 403, "AccessDenied")
		wantXMLError(t, curlDo(t, "DELETE", srv.base+objPath(bucket, "incoming/drop.txt"), nil), 403, "AccessDenied")
		wantAbsent(t, bucket, "elsewhere.txt")
	})

	t.Run("s3:x-amz-acl condition", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-polxacl")
		putPolicy(t, a, bucket, policyFor(bucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["bob"]},
			"Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
			"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`))
		wantSDKError(t, sdkPut(b, bucket, "no-acl.txt", "x"), 403, "AccessDenied")
		_, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("public.txt"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
		wantSDKError(t, err, 403, "AccessDenied")
		putObjectACL(t, b, bucket, "ok.txt", []byte("for alice"), types.ObjectCannedACLBucketOwnerFullControl)
		if got := string(getBytes(t, a, bucket, "ok.txt")); got != "for alice" {
			t.Errorf("alice reads %q", got)
		}
		wantAbsent(t, bucket, "no-acl.txt")
		wantAbsent(t, bucket, "public.txt")
	})

	t.Run("object ACL of a missing key", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-aclmissing")
		_, err := a.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("nope"), ACL: types.ObjectCannedACLPublicRead})
		wantSDKError(t, err, 404, "NoSuchKey")
		_, err = a.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
		wantSDKError(t, err, 404, "NoSuchKey")
		_, err = b.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("nope"), ACL: types.ObjectCannedACLPublicRead})
		wantSDKError(t, err, 403, "AccessDenied")
	})

	t.Run("grant header values", func(t *testing.T) {
		bucket := makeBucket(t, alice, "acc-grantvals")
		for _, v := range []string{
			`uri="http://acs.amazonaws.com/groups/global/Everyone"`,
			`ids="bob"`,
			`id=""`,
			`bob`,
		} {
			_, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantRead: aws.String(v)})
			wantSDKError(t, err, 400, "InvalidArgument")
		}
		// Unquoted, spaced and case-varied keys are fine.
		_, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantRead: aws.String(` ID=bob ,  URI="` + authUsersURI + `"`)})
		wantOK(t, "PutBucketAcl with loosely written grants", err)
		acl, err := a.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("GetBucketAcl: %v", err)
		}
		wantGrants(t, "loose grants", acl.Grants, "CanonicalUser:bob:READ", "Group:"+authUsersURI+":READ")
	})
}

// TestAccessPublicVhost: CloudStack's public policy reached the way
// browsers do, virtual-hosted style (bucket.s3.test), and HeadBucket.
func TestAccessPublicVhost(t *testing.T) {
	a := aliceSDK()
	bucket := makeBucket(t, alice, "acc-vhost")
	putBytes(t, a, bucket, "site/index.html", []byte("vhost page"))
	host := "Host: " + bucket + ".s3.test:" + srv.base[strings.LastIndex(srv.base, ":")+1:]
	wantXMLError(t, curlDo(t, "GET", srv.base+"/site/index.html", nil, host), 403, "AccessDenied")
	putPolicy(t, a, bucket, policyFor(bucket, cloudStackPublicPolicy))
	wantBody(t, curlDo(t, "GET", srv.base+"/site/index.html", nil, host), "vhost page")
	wantListing(t, curlDo(t, "GET", srv.base+"/", nil, host), "site/index.html")
	wantXMLError(t, curlDo(t, "PUT", srv.base+"/site/index.html", []byte("defaced"), host), 403, "AccessDenied")
	wantXMLError(t, curlDo(t, "GET", srv.base+"/nope", nil, host), 404, "NoSuchKey")
	wantStatus(t, curlDo(t, "HEAD", srv.base+"/"+bucket, nil), 200)
	wantXMLError(t, curlDo(t, "GET", srv.base+"/"+bucket+"?versioning", nil), 403, "AccessDenied")
	if got := string(getBytes(t, a, bucket, "site/index.html")); got != "vhost page" {
		t.Errorf("index is now %q", got)
	}
}
