package caddys3

// Helpers of the authorization table (authz_test.go): a handler that knows
// the table's principals, fixtures written straight into its store, and
// requests sent through ServeHTTP signed as each principal (or not at all).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/access"
	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/fsstore"
)

// azPrincipal is one column of the expectation rows.
type azPrincipal struct {
	name        string
	key, secret string // empty: an unsigned (anonymous) request
	id          string // canonical ID of the account
}

var (
	// azAlice owns the fixtures' buckets (bob's bucket aside) and objects
	// (by-bob aside).
	azAlice = &azPrincipal{"alice", "AKIAAUTHZALICE000001", "authzalicesecret00000000000000000000000", "alice"}
	// azBob is another account.
	azBob = &azPrincipal{"bob", "AKIAAUTHZBOB00000001", "authzbobsecret0000000000000000000000000", "bob"}
	// azAnon signs nothing.
	azAnon = &azPrincipal{name: "anon"}
	// azAdmin is listed in admin_accounts.
	azAdmin = &azPrincipal{"admin", "AKIAAUTHZADMIN000001", "authzadminsecret00000000000000000000000", "admin"}
	// azRO is a read-only key of alice's account (a CloudStack 4.23
	// restricted key pair).
	azRO = &azPrincipal{"ro", "AKIAAUTHZALICERO0001", "authzalicerosecret000000000000000000000", "alice"}
)

// azPrincipals is the order of the columns of every expectation row.
var azPrincipals = []*azPrincipal{azAlice, azBob, azAnon, azAdmin, azRO}

// newAuthzHandler provisions a Handler on a temp root, then swaps in a
// provider with alice's, bob's and the admin's keys and alice's read-only
// key (static keys cannot be read-only).
func newAuthzHandler(t *testing.T) *Handler {
	t.Helper()
	h := provisionServeTestHandler(t, func(h *Handler) {
		h.Root = azRoot(t)
		h.AdminAccounts = []string{azAdmin.id}
		h.Encryption = testEncryption()
	})
	h.logger = zap.NewNop()
	h.verifier.Provider = auth.NewStatic([]auth.Credential{
		{AccessKeyID: azAlice.key, Secret: azAlice.secret, Owner: azAlice.id},
		{AccessKeyID: azBob.key, Secret: azBob.secret, Owner: azBob.id},
		{AccessKeyID: azAdmin.key, Secret: azAdmin.secret, Owner: azAdmin.id},
		{AccessKeyID: azRO.key, Secret: azRO.secret, Owner: azRO.id, ReadOnly: true},
	})
	return h
}

// azRoot is the store's root: a temp dir in memory (/dev/shm) where there
// is one, else t.TempDir(). The matrix writes about a thousand small
// fixtures (a few MB at most at once); on a busy disk their directory
// operations, not the decisions under test, would take most of its time.
func azRoot(t *testing.T) string {
	t.Helper()
	if dir, err := os.MkdirTemp("/dev/shm", "caddys3-authz-"); err == nil {
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		return dir
	}
	return t.TempDir()
}

// ---------------------------------------------------------------------------
// ACL and policy documents

func azUserGrant(id string, p access.Permission) access.Grant {
	return access.Grant{Grantee: access.Grantee{Type: "CanonicalUser", ID: id}, Permission: p}
}

func azGroupGrant(uri string, p access.Permission) access.Grant {
	return access.Grant{Grantee: access.Grantee{Type: "Group", URI: uri}, Permission: p}
}

// azACL is owner's ACL: FULL_CONTROL for the owner plus grants, encoded as
// the handler stores it.
func azACL(owner string, grants ...access.Grant) []byte {
	acl := access.ACL{OwnerID: owner, Grants: append([]access.Grant{azUserGrant(owner, access.PermFullControl)}, grants...)}
	b, err := json.Marshal(acl)
	if err != nil {
		panic(err)
	}
	return b
}

// azCORS is the fixtures' CORS configuration, encoded as stored.
var azCORS = func() []byte {
	cfg, err := access.ParseCORS(strings.NewReader(azCORSXML))
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err)
	}
	return b
}()

const azCORSXML = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`

// ---------------------------------------------------------------------------
// Fixtures

// azNeeds says what a request needs besides its bucket; the fixture of a
// write writes only that, so that each write can have a fresh one.
type azNeeds struct {
	// objects are keys of azObjectKeys written by alice with the world's
	// object ACL.
	objects []string
	// empty: an empty bucket with the world's ACL and policy.
	empty bool
	// upload: alice's upload of mp/alice, with part 1.
	upload bool
	// bobUpload: bob's upload of mp/bob in alice's bucket, with part 1.
	bobUpload bool
	// cors: the bucket has a CORS configuration.
	cors bool
	// others: bob's object by-bob in alice's bucket (private to bob), and
	// a bucket of bob's.
	others bool
}

// azNeedAll is the fixture that every read shares.
var azNeedAll = azNeeds{objects: azObjectKeys, empty: true, upload: true, bobUpload: true, cors: true, others: true}

// azFixture names what one case's requests address.
type azFixture struct {
	bucket string // alice's bucket with the world's ACL and policy
	source string // the copy source bucket (one per world, never written)
	empty  string // an empty bucket with the world's ACL and policy
	fresh  string // a name no bucket has
	bobs   string // a bucket of bob's
	// aliceUpload and bobUpload are upload ids; partETag is part 1 of
	// alice's upload.
	aliceUpload, bobUpload, partETag string
}

var azSeq atomic.Uint64

// azNames allocates unique bucket names.
func azNames() *azFixture {
	n := "az" + strconv.FormatUint(azSeq.Add(1), 10)
	return &azFixture{bucket: n, empty: n + "-empty", fresh: n + "-new", bobs: n + "-bob"}
}

// policyFor fills the world's policy template in for bucket.
func (w *azWorld) policyFor(bucket string) []byte {
	if w.policy == "" {
		return nil
	}
	return []byte(strings.ReplaceAll(w.policy, "BUCKET", bucket))
}

// bucketACLDoc is the world's bucket ACL (alice's bucket).
func (w *azWorld) bucketACLDoc() []byte { return azACL(azAlice.id, w.bucketACL...) }

// objectACLDoc is the world's ACL of alice's objects.
func (w *azWorld) objectACLDoc() []byte { return azACL(azAlice.id, w.objectACL...) }

// azSource writes the copy source: alice's authenticated-read bucket (an
// ACL unlike the destination's) with pub (public-read) and priv (private).
// Copies only read it, so one serves a whole world.
func azSource(t *testing.T, h *Handler) string {
	t.Helper()
	ctx := context.Background()
	name := azNames().bucket + "-src"
	if err := h.store.CreateBucketWithACL(ctx, name, azAlice.id, azACL(azAlice.id, azGroupGrant(access.AuthenticatedUsersURI, access.PermRead))); err != nil {
		t.Fatal(err)
	}
	for key, acl := range map[string][]byte{"pub": azACL(azAlice.id, azGroupGrant(access.AllUsersURI, access.PermRead)), "priv": azACL(azAlice.id)} {
		if _, err := h.store.PutObject(ctx, name, key, strings.NewReader(key+" source"),
			fsstore.PutOptions{Meta: fsstore.ObjectMeta{Owner: azAlice.id, ACL: acl}}); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// fixture writes what needs asks for into h's store, for world w; source
// is the world's copy source bucket.
func (w *azWorld) fixture(t *testing.T, h *Handler, source string, needs azNeeds) *azFixture {
	t.Helper()
	ctx := context.Background()
	f := azNames()
	f.source = source
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	worldBucket := func(name string) {
		t.Helper()
		must(h.store.CreateBucketWithACL(ctx, name, azAlice.id, w.bucketACLDoc()))
		if p := w.policyFor(name); p != nil {
			must(h.store.SetBucketDoc(ctx, name, fsstore.BucketPolicy, p))
		}
	}
	worldBucket(f.bucket)
	if needs.cors {
		must(h.store.SetBucketDoc(ctx, f.bucket, fsstore.BucketCORS, azCORS))
	}
	for _, k := range needs.objects {
		_, err := h.store.PutObject(ctx, f.bucket, k, strings.NewReader(k+" data"),
			fsstore.PutOptions{Meta: fsstore.ObjectMeta{Owner: azAlice.id, ACL: w.objectACLDoc(), Tags: azObjectTags[k]}})
		must(err)
	}
	if needs.empty {
		worldBucket(f.empty)
	}
	if needs.others {
		_, err := h.store.PutObject(ctx, f.bucket, "by-bob", strings.NewReader("by-bob data"),
			fsstore.PutOptions{Meta: fsstore.ObjectMeta{Owner: azBob.id, ACL: azACL(azBob.id)}})
		must(err)
		must(h.store.CreateBucketWithACL(ctx, f.bobs, azBob.id, azACL(azBob.id)))
	}
	upload := func(owner, key string) (string, string) {
		t.Helper()
		up, err := h.store.CreateMultipartUpload(ctx, f.bucket, key, fsstore.ObjectMeta{Owner: owner, ACL: azACL(owner)})
		must(err)
		part, err := h.store.UploadPart(ctx, f.bucket, key, up.UploadID, 1, strings.NewReader("part one of "+key), nil)
		must(err)
		return up.UploadID, part.ETag
	}
	if needs.upload {
		f.aliceUpload, f.partETag = upload(azAlice.id, "mp/alice")
	}
	if needs.bobUpload {
		f.bobUpload, _ = upload(azBob.id, "mp/bob")
	}
	return f
}

// azState describes what a write could change in a fixture: the bucket's
// documents, its objects (with owner and ACL), its uploads and their parts,
// and which of the fixture's other bucket names exist.
func azState(t *testing.T, h *Handler, f *azFixture) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	info, err := h.store.Bucket(ctx, f.bucket)
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	fmt.Fprintf(&b, "acl %s\npolicy %s\ncors %s\n", info.ACL, info.Policy, info.CORS)
	list, err := h.store.ListObjects(ctx, f.bucket, fsstore.ListOptions{MaxKeys: 1000})
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	for _, o := range list.Objects {
		m, err := h.store.HeadObject(ctx, f.bucket, o.Key)
		if err != nil {
			t.Fatalf("state: %v", err)
		}
		fmt.Fprintf(&b, "object %s %s %s %s\n", o.Key, m.ETag, m.Owner, m.ACL)
	}
	ups, err := h.store.ListMultipartUploads(ctx, f.bucket, fsstore.ListUploadsOptions{MaxUploads: 1000})
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	for _, u := range ups.Uploads {
		parts, _, err := h.store.ListParts(ctx, f.bucket, u.Key, u.UploadID, 0, 1000)
		if err != nil {
			t.Fatalf("state: %v", err)
		}
		fmt.Fprintf(&b, "upload %s %s", u.Key, u.UploadID)
		for _, p := range parts {
			fmt.Fprintf(&b, " %d:%s", p.PartNumber, p.ETag)
		}
		b.WriteString("\n")
	}
	for _, name := range []string{f.empty, f.fresh} {
		_, err := h.store.Bucket(ctx, name)
		fmt.Fprintf(&b, "bucket %s exists %v\n", name, err == nil)
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Requests

// azRequest is one request of a case, before signing.
type azRequest struct {
	method string
	target string // path and query: "/bucket/key?acl"
	header http.Header
	body   []byte
	// form: the body is a browser POST form that carries its own
	// signature (or none); the request is sent unsigned.
	form bool
}

func (r azRequest) with(k, v string) azRequest {
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(k, v)
	r.header = h
	return r
}

// httpRequest builds the request p sends: SigV4-signed with p's key, or
// unsigned for the anonymous principal and for POST forms.
func (r azRequest) httpRequest(t *testing.T, p *azPrincipal) *http.Request {
	t.Helper()
	req := httptest.NewRequest(r.method, "http://s3.test"+r.target, bytes.NewReader(r.body))
	for k, v := range r.header {
		req.Header[k] = v
	}
	if p.key != "" && !r.form {
		sum := sha256.Sum256(r.body)
		payload := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", payload)
		creds := aws.Credentials{AccessKeyID: p.key, SecretAccessKey: p.secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	req.RequestURI = req.URL.RequestURI()
	return req
}

// azServe sends r as p straight to the handler.
func azServe(t *testing.T, h *Handler, p *azPrincipal, r azRequest) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, r.httpRequest(t, p), nil); err != nil {
		t.Fatalf("ServeHTTP returned %v", err)
	}
	return rec
}

// contentMD5 is the Content-MD5 header value of body.
func contentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// azPostForm is a browser upload of key into bucket by p: signed with a
// SigV4 POST policy that covers every field, or anonymous (no policy) for
// the anonymous principal. extra are more fields (e.g. acl).
func azPostForm(t *testing.T, p *azPrincipal, bucket, key string, extra ...[2]string) azRequest {
	t.Helper()
	fields := [][2]string{{"key", key}}
	fields = append(fields, extra...)
	if p.key != "" {
		now := time.Now().UTC()
		date, amzDate := now.Format("20060102"), now.Format("20060102T150405Z")
		cred := p.key + "/" + date + "/us-east-1/s3/aws4_request"
		fields = append(fields, [2]string{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, [2]string{"x-amz-credential", cred}, [2]string{"x-amz-date", amzDate})
		conds := []map[string]string{{"bucket": bucket}}
		for _, f := range fields {
			conds = append(conds, map[string]string{f[0]: f[1]})
		}
		doc, err := json.Marshal(map[string]any{"expiration": now.Add(time.Hour).Format(time.RFC3339), "conditions": conds})
		if err != nil {
			t.Fatal(err)
		}
		policy := base64.StdEncoding.EncodeToString(doc)
		mac := func(key []byte, s string) []byte {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(s))
			return m.Sum(nil)
		}
		k := mac([]byte("AWS4"+p.secret), date)
		for _, s := range []string{"us-east-1", "s3", "aws4_request"} {
			k = mac(k, s)
		}
		fields = append(fields, [2]string{"policy", policy}, [2]string{"x-amz-signature", hex.EncodeToString(mac(k, policy))})
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "upload.txt")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(fw, "posted by %s", p.name)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return azRequest{method: "POST", target: "/" + bucket, body: body.Bytes(), form: true,
		header: http.Header{"Content-Type": {mw.FormDataContentType()}}}
}

// ---------------------------------------------------------------------------
// Answers

// azErrorCodes are the S3 error codes of the expectation rows, with their
// status.
var azErrorCodes = map[string]struct {
	code   string
	status int
}{
	"AD":     {"AccessDenied", 403},
	"NSK":    {"NoSuchKey", 404},
	"NSBP":   {"NoSuchBucketPolicy", 404},
	"NSTS":   {"NoSuchTagSet", 404},
	"NSLC":   {"NoSuchLifecycleConfiguration", 404},
	"OLNF":   {"ObjectLockConfigurationNotFoundError", 404},
	"IBS":    {"InvalidBucketState", 409},
	"IR":     {"InvalidRequest", 400},
	"OCNF":   {"OwnershipControlsNotFoundError", 404},
	"SSECNF": {"ServerSideEncryptionConfigurationNotFoundError", 404},
	"NPAB":   {"NoSuchPublicAccessBlockConfiguration", 404},
}

// azObjectTags are the tags of alice's objects (s3:ExistingObjectTag).
var azObjectTags = map[string]map[string]string{"obj": {"Class": "public"}}

// azObjectKeys are alice's objects in her bucket.
var azObjectKeys = []string{"bob/obj", "bobfile", "obj", "protected/obj"}

// azDeleteKeys are the keys every DeleteObjects request names, in the order
// of the D/X letters of its expectations: alice's objects and a key that
// never existed.
var azDeleteKeys = []string{"bob/obj", "bob/sub/never", "bobfile", "obj", "protected/obj"}

// azAnswer checks rec against want: a status ("200", "204"), an error
// (AD, NSK, NSBP) or, for DeleteObjects, "200:" and one letter per key of
// azDeleteKeys, D deleted or X AccessDenied (quiet: only refused keys are
// listed, the others count as deleted). It returns what was answered in
// the same notation when it differs.
func azAnswer(rec *httptest.ResponseRecorder, method, want string, quiet bool) (got string, ok bool) {
	body := rec.Body.String()
	var doc struct {
		XMLName xml.Name
		Code    string
		Deleted []struct{ Key string }       `xml:"Deleted"`
		Errors  []struct{ Key, Code string } `xml:"Error"`
	}
	_ = xml.Unmarshal(rec.Body.Bytes(), &doc)
	status := strconv.Itoa(rec.Code)
	switch {
	case method == http.MethodHead:
		// No body: the status is all there is.
		got = status
		for name, e := range azErrorCodes {
			if e.status == rec.Code && want == name {
				got = name
			}
		}
		if body != "" {
			got += " with a body"
		}
	case doc.XMLName.Local == "Error":
		got = doc.Code
		for name, e := range azErrorCodes {
			if e.code == doc.Code && strconv.Itoa(e.status) == status {
				got = name
			}
		}
		if got == doc.Code {
			got = status + " " + doc.Code
		}
	case doc.XMLName.Local == "DeleteResult":
		letters := map[string]string{}
		for _, d := range doc.Deleted {
			letters[d.Key] = "D"
		}
		for _, e := range doc.Errors {
			letters[e.Key] = "X"
			if e.Code != "AccessDenied" {
				letters[e.Key] = "(" + e.Code + ")"
			}
		}
		got = status + ":"
		for _, k := range azDeleteKeys {
			l := letters[k]
			switch {
			case l == "" && quiet:
				l = "D"
			case l == "":
				l = "-"
			case l == "D" && quiet:
				l = "(listed)"
			}
			got += l
		}
	default:
		got = status
	}
	return got, got == want
}
