package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddys3/caddys3/internal/madmintest"
	"github.com/caddys3/caddys3/internal/testserver"
)

// The whole CloudStack flow against real Caddy nodes sharing one root,
// each step as CloudStack's MinIO driver (minio-java / minio-admin 8.5.2)
// sends it, in the driver's order (../shared/cloudstack-objstore.md §2,
// §3.3; MinIOObjectStoreDriverImpl), asserting what the Java client
// parses. The tenant's steps are what the UI's bucket browser or any
// minio client does with the account's acs- keys.

// csFlowConfig is csConfig plus the tenant account's "CloudStack API key":
// a static key whose owner is the account's UUID, the canonical ID the
// cloudstack credential source gives an account's API keys (the real
// source is exercised in test/cloudstack).
func csFlowConfig(port int, root, apiKey, apiSecret, account string) testserver.Config {
	c := csConfig(port, root)
	c.Caddyfile = strings.Replace(c.Caddyfile, "\t\t\tkey AKIAEXAMPLEALICE0001",
		fmt.Sprintf("\t\t\tkey %s %s %s\n\t\t\tkey AKIAEXAMPLEALICE0001", apiKey, apiSecret, account), 1)
	return withMasterKeys(c, masterKeyEntry{"e2e-1", masterKey}) // the encryption switch (step 8)
}

// javaClient is minio-java 8.5.2's S3Base over http: path-style, region
// us-east-1, Content-MD5 on every request (MD5 of the empty body on
// GET/HEAD/DELETE too), the real payload SHA-256, and every header signed
// but accept-encoding, authorization and user-agent.
type javaClient struct {
	t           *testing.T
	base        string
	key, secret string
}

func (c javaClient) do(method, path, rawQuery string, body []byte, hdr map[string]string) rawResp {
	c.t.Helper()
	req := javaNewRequest(c.t, method, c.base, path, rawQuery, body)
	sum := md5.Sum(body)
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	ps := sha256.Sum256(body)
	payload := hex.EncodeToString(ps[:])
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", payload)
	vals := map[string]string{"host": req.URL.Host}
	for k, v := range req.Header {
		switch lk := strings.ToLower(k); lk {
		case "accept-encoding", "authorization", "user-agent":
		default:
			vals[lk] = strings.Join(v, ",")
		}
	}
	var names, lines []string
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lines = append(lines, n+":"+strings.TrimSpace(vals[n]))
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{method, req.URL.EscapedPath(), req.URL.RawQuery,
		strings.Join(lines, "\n"), "", signed, payload}, "\n")
	scope := day + "/us-east-1/s3/aws4_request"
	cr := sha256.Sum256([]byte(canonical))
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(cr[:])
	k := hmacSum([]byte("AWS4"+c.secret), day)
	for _, p := range []string{"us-east-1", "s3", "aws4_request"} {
		k = hmacSum(k, p)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.key+"/"+scope+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(hmacSum(k, sts)))
	return send(c.t, req)
}

// location is minio-java's getRegion for a bucket (every bucket call but
// makeBucket starts with it): true when the bucket exists, false on
// NoSuchBucket; anything else fails the test.
func (c javaClient) location(bucket string) bool {
	c.t.Helper()
	r := c.do("GET", "/"+bucket, "location=", nil, nil)
	if r.Status == 404 {
		wantJavaError(c.t, r, 404, "NoSuchBucket")
		return false
	}
	var loc struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		Value   string   `xml:",chardata"`
	}
	if r.Status != 200 || xml.Unmarshal(r.Body, &loc) != nil || (loc.Value != "" && loc.Value != "us-east-1") {
		c.t.Fatalf("GET ?location of %s: %s", bucket, r)
	}
	return true
}

// bucketCall is ?location, then the call (S3Base.execute with the
// region lookup).
func (c javaClient) bucketCall(method, bucket, key, rawQuery string, body []byte, hdr map[string]string) rawResp {
	c.t.Helper()
	if !c.location(bucket) {
		c.t.Fatalf("%s %s/%s: the bucket's ?location answered NoSuchBucket", method, bucket, key)
	}
	p := "/" + bucket
	if key != "" {
		p += "/" + key
	}
	return c.do(method, p, rawQuery, body, hdr)
}

// wantJavaError is S3Base's error parsing: a non-HEAD error needs an
// <Error> body with a Content-Type whose tokens include application/xml.
func wantJavaError(t *testing.T, r rawResp, status int, code string) {
	t.Helper()
	ct := false
	for _, tok := range strings.Split(r.Header.Get("Content-Type"), ";") {
		ct = ct || strings.TrimSpace(tok) == "application/xml"
	}
	if !ct {
		t.Errorf("error Content-Type %q is not application/xml (minio-java: InvalidResponseException): %s", r.Header.Get("Content-Type"), r)
	}
	wantXMLError(t, r, status, code)
}

// listAllMyBuckets is what minio-java parses of GET /; CreationDate must
// match ResponseDate's yyyy-MM-dd'T'HH:mm:ss.SSS'Z' or …ss'Z'.
func listAllMyBuckets(t *testing.T, c javaClient) (owner string, names []string) {
	t.Helper()
	r := c.do("GET", "/", "", nil, nil)
	var res struct {
		Owner struct {
			ID string `xml:"ID"`
		} `xml:"Owner"`
		Buckets []struct {
			Name         string `xml:"Name"`
			CreationDate string `xml:"CreationDate"`
		} `xml:"Buckets>Bucket"`
	}
	if r.Status != 200 || xml.Unmarshal(r.Body, &res) != nil {
		t.Fatalf("ListBuckets: %s", r)
	}
	javaDate := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$`)
	for _, b := range res.Buckets {
		if !javaDate.MatchString(b.CreationDate) {
			t.Errorf("CreationDate %q of %s: minio-java's ResponseDate cannot parse it", b.CreationDate, b.Name)
		}
		names = append(names, b.Name)
	}
	return res.Owner.ID, names
}

// csPublicPolicy is MinIOObjectStoreDriverImpl.setBucketPolicy's "Public"
// document, byte for byte.
func csPublicPolicy(bucket string) string {
	return "{\n" +
		"    \"Statement\": [\n" +
		"        {\n" +
		"            \"Action\": [\n" +
		"                \"s3:GetBucketLocation\",\n" +
		"                \"s3:ListBucket\"\n" +
		"            ],\n" +
		"            \"Effect\": \"Allow\",\n" +
		"            \"Principal\": \"*\",\n" +
		"            \"Resource\": \"arn:aws:s3:::" + bucket + "\"\n" +
		"        },\n" +
		"        {\n" +
		"            \"Action\": \"s3:GetObject\",\n" +
		"            \"Effect\": \"Allow\",\n" +
		"            \"Principal\": \"*\",\n" +
		"            \"Resource\": \"arn:aws:s3:::" + bucket + "/*\"\n" +
		"        }\n" +
		"    ],\n" +
		"    \"Version\": \"2012-10-17\"\n" +
		"}\n"
}

// csPrivatePolicy is its "Private" document: no statement, no policy.
const csPrivatePolicy = `{"Version":"2012-10-17","Statement":[]}`

// csAccountPolicy is createBucket's per-account policy (A3): one
// "arn:aws:s3:::<b>/*" per bucket the account has on the store (the new
// one's row is listed too: it is inserted, Allocated, before the driver
// runs), then the new bucket.
func csAccountPolicy(existing []string, bucket string) string {
	var res strings.Builder
	for _, b := range existing {
		res.WriteString("\"arn:aws:s3:::" + b + "/*\",\n")
	}
	res.WriteString("\"arn:aws:s3:::" + bucket + "/*\"\n")
	return " {\n" +
		"     \"Statement\": [\n" +
		"         {\n" +
		"             \"Action\": \"s3:*\",\n" +
		"             \"Effect\": \"Allow\",\n" +
		"             \"Principal\": \"*\",\n" +
		"             \"Resource\": [" + res.String() + "]" +
		"         }\n" +
		"     ],\n" +
		"     \"Version\": \"2012-10-17\"\n" +
		" }"
}

const csVersioning = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>%s</Status></VersioningConfiguration>`

func TestCloudStackFlow(t *testing.T) {
	root := t.TempDir()
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	const (
		uuid      = "5b2d7c1e-9a3f-4c8b-8e1d-2f4a6b8c0d1e"
		apiKey    = "CSAPIKEYTENANT000001"
		apiSecret = "cs-api-secret-of-the-tenant-0000000000000"
	)
	node1 := testserver.Start(t, csFlowConfig(ports[0], root, apiKey, apiSecret, uuid))
	node2 := testserver.Start(t, csFlowConfig(ports[1], root, apiKey, apiSecret, uuid))
	base1, base2 := node1.URL(), node2.URL()
	// The management server talks to node 1, the tenant to node 2.
	admin := javaClient{t, base1, csAdminKey, csAdminSecret}
	adm := func(method, cmd string, q [][2]string, body []byte) adminAnswer {
		return adminDo(t, javaAdminRequest(t, base1, method, cmd, q, body, csAdminKey, csAdminSecret))
	}
	admOK := func(method, cmd string, q [][2]string, body []byte) {
		t.Helper()
		if a := adm(method, cmd, q, body); a.status/100 != 2 {
			t.Fatalf("%s %s: %s", method, cmd, a)
		}
	}

	// 1. Add Object Storage: listBuckets with the admin keys.
	listAllMyBuckets(t, admin)

	// 2. createBucket phase 1: createUser(account).
	user := "acs-" + uuid
	userQ := [][2]string{{"accessKey", user}}
	wantAdminError(t, adm("GET", "user-info", userQ, nil), 404, "XMinioAdminNoSuchUser")
	secret := strings.Repeat("kQ3_", 21) + "xZ"
	admOK("PUT", "add-user", userQ, madmintest.Seal(t, 0, csAdminSecret,
		[]byte(`{"secretKey":"`+secret+`","policyName":"","memberOf":[],"status":"enabled"}`)))
	tenant := javaClient{t, base2, user, secret}
	tenantAPI := javaClient{t, base2, apiKey, apiSecret}

	// 3. createBucket phase 2, in the driver's order: bucketExists,
	// makeBucket (object lock ticked), the account's policy (A3, A4),
	// versioning, quota (1000 bytes here; GiB in CloudStack), Public.
	bucket := newBucketName("csflow")
	if admin.location(bucket) {
		t.Fatal("a new bucket exists")
	}
	wantStatus(t, admin.do("PUT", "/"+bucket, "", nil, map[string]string{"x-amz-bucket-object-lock-enabled": "true"}), 200)
	// Before A4 the bucket is the admin's: the tenant cannot open it.
	wantJavaError(t, tenant.do("GET", "/"+bucket, "location=", nil, nil), 403, "AccessDenied")
	policyName := user + "-policy"
	admOK("PUT", "add-canned-policy", [][2]string{{"name", policyName}}, []byte(csAccountPolicy([]string{bucket}, bucket)))
	admOK("PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", policyName}}, nil)
	wantStatus(t, admin.bucketCall("PUT", bucket, "", "versioning=", []byte(fmt.Sprintf(csVersioning, "Enabled")), nil), 200)
	admOK("PUT", "set-bucket-quota", [][2]string{{"bucket", bucket}}, []byte(`{"quotatype":"hard","quota":1000}`))
	if r := admin.bucketCall("PUT", bucket, "", "policy=", []byte(csPublicPolicy(bucket)), map[string]string{"Content-Type": "application/json"}); r.Status/100 != 2 {
		t.Fatalf("PUT ?policy Public: %s", r)
	}

	// The bucket is the account's: its acs- user and its CloudStack API
	// keys (the same canonical owner) list it, on the other node.
	for _, c := range []javaClient{tenant, tenantAPI} {
		owner, names := listAllMyBuckets(t, c)
		if owner != uuid || !strings.Contains(strings.Join(names, " "), bucket) {
			t.Fatalf("%s lists %q as %q", c.key, names, owner)
		}
	}
	// The admin sees every bucket (store validation, usage).
	if _, names := listAllMyBuckets(t, admin); !strings.Contains(strings.Join(names, " "), bucket) {
		t.Fatalf("the admin's ListBuckets: %q", names)
	}

	// 4. The tenant uploads; over the quota is refused with MinIO's code.
	wantStatus(t, tenant.bucketCall("PUT", bucket, "a.bin", "", randomBytes(600), map[string]string{"Content-Type": "application/octet-stream"}), 200)
	wantStatus(t, tenantAPI.bucketCall("PUT", bucket, "b.txt", "", []byte("hello"), nil), 200)
	wantJavaError(t, tenant.bucketCall("PUT", bucket, "c.bin", "", randomBytes(600), nil), 400, "XMinioAdminBucketQuotaExceeded")
	// HEAD and GET with Content-MD5 of the empty body.
	wantStatus(t, tenant.bucketCall("HEAD", bucket, "a.bin", "", nil, nil), 200)
	if r := tenant.bucketCall("GET", bucket, "b.txt", "", nil, nil); r.Status != 200 || string(r.Body) != "hello" {
		t.Fatalf("GET: %s", r)
	}

	// 5. The usage task: datausageinfo on the admin's node.
	var du struct {
		BucketsSizes map[string]int64 `json:"bucketsSizes"`
	}
	if a := adm("GET", "datausageinfo", nil, nil); a.status != 200 || json.Unmarshal(a.body, &du) != nil || du.BucketsSizes[bucket] != 605 {
		t.Fatalf("datausageinfo: %s", a)
	}

	// 6. Public: anonymous GET of an object and listing of the bucket.
	anon := func(path, q string) rawResp {
		u := base2 + path
		if q != "" {
			u += "?" + q
		}
		req, _ := http.NewRequest("GET", u, nil)
		return send(t, req)
	}
	if r := anon("/"+bucket+"/b.txt", ""); r.Status != 200 || string(r.Body) != "hello" {
		t.Fatalf("anonymous GET through the Public policy: %s", r)
	}
	if r := anon("/"+bucket, "list-type=2"); r.Status != 200 || !bytes.Contains(r.Body, []byte("<Key>a.bin</Key>")) {
		t.Fatalf("anonymous listing through the Public policy: %s", r)
	}
	wantJavaError(t, anon("/"+bucket, "versioning"), 403, "AccessDenied") // nothing more
	// Private: the empty statement list means no policy.
	if r := admin.bucketCall("PUT", bucket, "", "policy=", []byte(csPrivatePolicy), map[string]string{"Content-Type": "application/json"}); r.Status/100 != 2 {
		t.Fatalf("PUT ?policy Private: %s", r)
	}
	wantJavaError(t, anon("/"+bucket+"/b.txt", ""), 403, "AccessDenied")
	wantJavaError(t, admin.bucketCall("GET", bucket, "", "policy=", nil, nil), 404, "NoSuchBucketPolicy")
	// The tenant still reaches its objects.
	wantStatus(t, tenant.bucketCall("GET", bucket, "b.txt", "", nil, nil), 200)

	// 7. updateBucket: the UI's form sends the bucket's current values
	// again (versioning on: Enabled again is fine on a locked bucket);
	// versioning off is refused on a locked bucket, as AWS answers; a
	// larger quota admits the upload.
	wantStatus(t, admin.bucketCall("PUT", bucket, "", "versioning=", []byte(fmt.Sprintf(csVersioning, "Enabled")), nil), 200)
	wantJavaError(t, admin.bucketCall("PUT", bucket, "", "versioning=", []byte(fmt.Sprintf(csVersioning, "Suspended")), nil), 409, "InvalidBucketState")
	admOK("PUT", "set-bucket-quota", [][2]string{{"bucket", bucket}}, []byte(`{"quota":2000,"quotatype":"hard"}`))
	wantStatus(t, tenant.bucketCall("PUT", bucket, "c.bin", "", randomBytes(600), nil), 200)
	// 1205 of 2000 bytes: of 8 concurrent 200-byte uploads on both nodes,
	// exactly 3 fit (the quota ledger under the shared root).
	tenant1 := javaClient{t, base1, user, secret}
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := []javaClient{tenant, tenant1}[i%2]
			codes <- c.do("PUT", fmt.Sprintf("/%s/burst-%d", bucket, i), "", randomBytes(200), nil).Status
		}()
	}
	wg.Wait()
	close(codes)
	admitted := 0
	for c := range codes {
		if c == 200 {
			admitted++
		} else if c != 400 {
			t.Errorf("burst upload: %d", c)
		}
	}
	if admitted != 3 {
		t.Fatalf("%d of 8 concurrent uploads admitted; 3 fit", admitted)
	}

	// 8. The encryption switch: SSE-S3 default encryption (issue 19),
	// on and off again.
	sse := `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`
	wantStatus(t, admin.bucketCall("PUT", bucket, "", "encryption=", []byte(sse), nil), 200)
	if r := admin.bucketCall("GET", bucket, "", "encryption=", nil, nil); r.Status != 200 || !strings.Contains(string(r.Body), "<SSEAlgorithm>AES256</SSEAlgorithm>") {
		t.Fatalf("GET ?encryption after the switch: %s", r)
	}
	wantStatus(t, admin.bucketCall("DELETE", bucket, "", "encryption=", nil, nil), 204)

	// 9. deleteBucket: bucketExists, then removeBucket. Refused while
	// objects, then while their versions remain.
	deleteBucket := func() rawResp {
		t.Helper()
		wantStatus(t, admin.bucketCall("HEAD", bucket, "", "", nil, nil), 200)
		return admin.do("DELETE", "/"+bucket, "", nil, nil)
	}
	wantJavaError(t, deleteBucket(), 409, "BucketNotEmpty")
	for _, k := range []string{"a.bin", "b.txt", "c.bin", "burst-0", "burst-1", "burst-2", "burst-3", "burst-4", "burst-5", "burst-6", "burst-7"} {
		wantStatus(t, tenant.bucketCall("DELETE", bucket, k, "", nil, nil), 204)
	}
	wantJavaError(t, deleteBucket(), 409, "BucketNotEmpty")
	lv := tenant.bucketCall("GET", bucket, "", "versions=", nil, nil)
	var versions struct {
		V []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Version"`
		D []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"DeleteMarker"`
	}
	if lv.Status != 200 || xml.Unmarshal(lv.Body, &versions) != nil || len(versions.V) != 6 || len(versions.D) != 11 {
		t.Fatalf("ListObjectVersions: %s", lv)
	}
	for _, v := range append(versions.V, versions.D...) {
		wantStatus(t, tenant.bucketCall("DELETE", bucket, v.Key, "versionId="+v.VersionID, nil, nil), 204)
	}
	wantStatus(t, deleteBucket(), 204)
	if admin.location(bucket) {
		t.Fatal("the deleted bucket exists")
	}

	// 10. A stale grant opens nothing: the account's policy still names
	// the deleted bucket (CloudStack never shrinks it).
	// (a) The same name made by someone else (bob, over S3) stays bob's
	// when the stale policy is attached again.
	bobc := javaClient{t, base1, bobKey, bobSecret}
	wantStatus(t, bobc.do("PUT", "/"+bucket, "", nil, nil), 200)
	admOK("PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", policyName}}, nil)
	wantJavaError(t, tenant.do("GET", "/"+bucket, "location=", nil, nil), 403, "AccessDenied")
	wantStatus(t, bobc.do("DELETE", "/"+bucket, "", nil, nil), 204)
	// (b) Made again by the admin (for another account, say), after the
	// policy was stored: the old policy does not hand it over.
	time.Sleep(1100 * time.Millisecond) // the bucket's creation second is after the policy's
	wantStatus(t, admin.do("PUT", "/"+bucket, "", nil, nil), 200)
	admOK("PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", policyName}}, nil)
	wantJavaError(t, tenant.do("GET", "/"+bucket, "location=", nil, nil), 403, "AccessDenied")
	// …while a policy rebuilt for it (what CloudStack sends for the new
	// bucket) does.
	admOK("PUT", "add-canned-policy", [][2]string{{"name", policyName}}, []byte(csAccountPolicy(nil, bucket)))
	admOK("PUT", "set-user-or-group-policy", [][2]string{{"userOrGroup", user}, {"isGroup", "false"}, {"policyName", policyName}}, nil)
	if !tenant.location(bucket) {
		t.Fatal("the rebuilt policy did not hand the bucket over")
	}
	wantStatus(t, admin.bucketCall("DELETE", bucket, "", "", nil, nil), 204)

	// The user's secret never reaches a log.
	for i, n := range []*testserver.Server{node1, node2} {
		if strings.Contains(n.Logs(), secret) {
			t.Errorf("node %d logged the user's secret", i+1)
		}
	}
}
