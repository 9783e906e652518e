package e2e

// Bucket lifecycle (issue 20): ?lifecycle through the SDKs and raw
// requests, x-amz-expiration, and the executor on servers whose rule
// clock a test moves (the test-only test_clock_offset_file), alone and as
// two nodes on one root.

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/caddys3/caddys3/internal/testserver"
)

func lifecyclePut(t *testing.T, base, bucket, doc string, withMD5 bool) rawResp {
	t.Helper()
	hdr := http.Header{}
	if withMD5 {
		sum := md5.Sum([]byte(doc))
		hdr.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	}
	return doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + bucket, Query: url.Values{"lifecycle": {""}}, Header: hdr, Body: []byte(doc), Creds: &alice})
}

// The configuration API: SDK round trip, minio-go, deletion, and S3's
// refusals with their codes.
func TestLifecycleConfiguration(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "lc")
	_, err := cl.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 404, "NoSuchLifecycleConfiguration")

	rules := []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)}},
		{ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled,
			Filter:                      &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tmp/"), Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("scratch")}}, ObjectSizeGreaterThan: aws.Int64(10)}},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(3), NewerNoncurrentVersions: aws.Int32(2)}},
		{ID: aws.String("uploads"), Status: types.ExpirationStatusDisabled, Filter: &types.LifecycleRuleFilter{},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)}},
	}
	if _, err := cl.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
		t.Fatal(err)
	}
	got, err := cl.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != 3 || aws.ToString(got.Rules[0].Filter.Prefix) != "logs/" || aws.ToInt32(got.Rules[0].Expiration.Days) != 30 ||
		aws.ToInt64(got.Rules[1].Filter.And.ObjectSizeGreaterThan) != 10 || aws.ToString(got.Rules[1].Filter.And.Tags[0].Value) != "scratch" ||
		aws.ToInt32(got.Rules[1].NoncurrentVersionExpiration.NewerNoncurrentVersions) != 2 ||
		got.Rules[2].Status != types.ExpirationStatusDisabled || aws.ToInt32(got.Rules[2].AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 {
		t.Fatalf("GET answered %+v", got.Rules)
	}
	if _, err := cl.DeleteBucketLifecycle(ctxT(t), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	wantSDKError(t, err, 404, "NoSuchLifecycleConfiguration")

	// minio-go's SetBucketLifecycle / GetBucketLifecycle.
	m := mc(t, alice, false)
	cfg := lifecycle.NewConfiguration()
	cfg.Rules = []lifecycle.Rule{{ID: "mc", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "mc/"}, Expiration: lifecycle.Expiration{Days: 7}}}
	if err := m.SetBucketLifecycle(ctxT(t), bucket, cfg); err != nil {
		t.Fatalf("minio-go SetBucketLifecycle: %v", err)
	}
	back, err := m.GetBucketLifecycle(ctxT(t), bucket)
	if err != nil || len(back.Rules) != 1 || back.Rules[0].ID != "mc" || back.Rules[0].Expiration.Days != 7 || back.Rules[0].RuleFilter.Prefix != "mc/" {
		t.Fatalf("minio-go GetBucketLifecycle: %+v, %v", back, err)
	}

	const ok = `<LifecycleConfiguration><Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`
	// Without Content-MD5 or a checksum S3 refuses the PUT.
	wantXMLError(t, lifecyclePut(t, srv.base, bucket, ok, false), 400, "InvalidRequest")
	refusals := []struct {
		name, doc string
		status    int
		code, msg string
	}{
		{"malformed", `<LifecycleConfiguration><Rule>`, 400, "MalformedXML", ""},
		{"days 0", strings.Replace(ok, "<Days>1<", "<Days>0<", 1), 400, "InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"no filter", strings.Replace(ok, "<Filter/>", "", 1), 400, "MalformedXML", ""},
		{"transition", strings.Replace(ok, "</Rule>", "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>", 1), 501, "NotImplemented", "Lifecycle transitions are not implemented"},
		{"abort with tag", `<LifecycleConfiguration><Rule><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`, 400, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."},
		{"date not midnight", strings.Replace(ok, "<Days>1</Days>", "<Date>2030-01-01T12:00:00Z</Date>", 1), 400, "InvalidArgument", "'Date' must be at midnight GMT"},
	}
	for _, r := range refusals {
		e := wantXMLError(t, lifecyclePut(t, srv.base, bucket, r.doc, true), r.status, r.code)
		if !strings.HasPrefix(e.Message, r.msg) {
			t.Errorf("%s: message %q, want %q", r.name, e.Message, r.msg)
		}
	}
	if back, err := m.GetBucketLifecycle(ctxT(t), bucket); err != nil || back.Rules[0].ID != "mc" {
		t.Fatalf("a refused PUT changed the configuration: %+v, %v", back, err)
	}
}

// x-amz-expiration on PUT, HEAD and GET: midnight UTC after the object's
// age reaches Days, and the rule's id; none for keys no rule selects.
func TestLifecycleExpirationHeader(t *testing.T) {
	cl := aliceSDK()
	bucket := makeBucket(t, alice, "lcx")
	wantStatus(t, lifecyclePut(t, srv.base, bucket, `<LifecycleConfiguration><Rule><ID>three-days</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>`, true), 200)
	put, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/a"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/a")})
	if err != nil {
		t.Fatal(err)
	}
	due := head.LastModified.UTC().AddDate(0, 0, 3)
	if day := due.Truncate(24 * time.Hour); !day.Equal(due) {
		due = day.Add(24 * time.Hour)
	}
	want := fmt.Sprintf(`expiry-date="%s", rule-id="three-days"`, due.Format(http.TimeFormat))
	get, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/a")})
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	for name, got := range map[string]*string{"PUT": put.Expiration, "HEAD": head.Expiration, "GET": get.Expiration} {
		if aws.ToString(got) != want {
			t.Errorf("%s x-amz-expiration %q, want %q", name, aws.ToString(got), want)
		}
	}
	// CopyObject answers the copy's expiry (its own last-modified time).
	cp, err := cl.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("logs/copy"), CopySource: aws.String(bucket + "/logs/a")})
	if err != nil || !strings.HasSuffix(aws.ToString(cp.Expiration), `, rule-id="three-days"`) {
		t.Fatalf("CopyObject x-amz-expiration %q, %v", aws.ToString(cp.Expiration), err)
	}
	other, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("data/a"), Body: strings.NewReader("x")})
	if err != nil || other.Expiration != nil {
		t.Fatalf("a key no rule selects: %v, %v", aws.ToString(other.Expiration), err)
	}
}

// lifecycleNode starts a server on root whose lifecycle loop runs every
// interval at rate versions a second, judging rules by the clock moved
// by clockFile.
func lifecycleNode(t *testing.T, root, clockFile string, rate int) *testserver.Server {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return startExtraServer(t, "", port, root, fmt.Sprintf(`lifecycle {
			interval 100ms
			rate %d
			test_clock_offset_file %s
		}`, rate, clockFile))
}

func moveClock(t *testing.T, file string, by time.Duration) {
	t.Helper()
	if err := os.WriteFile(file, []byte(by.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// versionsOf counts each key's versions: "1D1M" is one data version
// and one delete marker.
func versionsOf(t *testing.T, cl *s3.Client, bucket, prefix string) map[string]string {
	t.Helper()
	data, markers := map[string]int{}, map[string]int{}
	p := s3.NewListObjectVersionsPaginator(cl, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Versions {
			data[aws.ToString(x.Key)]++
		}
		for _, x := range page.DeleteMarkers {
			markers[aws.ToString(x.Key)]++
		}
	}
	out := map[string]string{}
	for k := range data {
		out[k] = fmt.Sprintf("%dD%dM", data[k], markers[k])
	}
	for k := range markers {
		out[k] = fmt.Sprintf("%dD%dM", data[k], markers[k])
	}
	return out
}

// markerCount is how many delete markers the bucket has.
func markerCount(t *testing.T, cl *s3.Client, bucket string) int {
	n := 0
	for _, v := range versionsOf(t, cl, bucket, "") {
		if strings.HasSuffix(v, "D1M") {
			n++
		}
	}
	return n
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The executor expires by the moved clock: without versioning the
// object goes; with versioning the current version gets a delete marker
// and, a day after it became noncurrent, goes too; then the lone marker.
// `caddy s3 lifecycle run` runs a pass on demand and prints its counts.
func TestLifecycleExpiresByMovedClock(t *testing.T) {
	dir := t.TempDir()
	root, clock := filepath.Join(dir, "root"), filepath.Join(dir, "clock")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	node := lifecycleNode(t, root, clock, 100000)
	cl := sdk(alice, node.URL())
	plain := makeBucketOn(t, cl, "lcplain")
	versioned := makeBucketOn(t, cl, "lcver")
	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(versioned),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	rule := `<LifecycleConfiguration><Rule><ID>d1</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>` +
		`<Rule><ID>dm</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>`
	for _, b := range []string{plain, versioned} {
		wantStatus(t, lifecyclePut(t, node.URL(), b, rule, true), 200)
		putBytes(t, cl, b, "old/a", []byte("aaaa"))
		putBytes(t, cl, b, "new/a", []byte("bbbb"))
	}
	// The clock has not moved: a pass on demand expires nothing.
	var res struct {
		Ran            bool  `json:"ran"`
		Examined       int64 `json:"examined"`
		ExpiredCurrent int64 `json:"expired_current"`
	}
	out, err := node.Command(ctxT(t), "s3", "lifecycle", "run", "--config", node.ConfigPath).Output()
	if err != nil || json.Unmarshal(out, &res) != nil || !res.Ran || res.Examined != 4 || res.ExpiredCurrent != 0 {
		t.Fatalf("s3 lifecycle run: %s, %v", out, err)
	}
	// Days count to the first midnight UTC after creation + 1 day, which
	// is up to 48 hours after a key made just after midnight: 49 hours
	// are past it whatever the time of day the test runs at.
	moveClock(t, clock, 49*time.Hour)
	waitFor(t, 20*time.Second, "the versioned key's delete marker", func() bool {
		return versionsOf(t, cl, versioned, "old/")["old/a"] == "1D1M"
	})
	if _, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(plain), Key: aws.String("old/a")}); httpStatus(err) != 404 {
		t.Fatalf("unversioned old/a: %v", err)
	}
	if got := versionsOf(t, cl, versioned, "new/")["new/a"]; got != "1D0M" {
		t.Fatalf("new/a: %q", got)
	}
	getBytes(t, cl, plain, "new/a")
	// A day after the marker (rounded to midnight UTC as above), the
	// noncurrent data goes, then the marker.
	moveClock(t, clock, 98*time.Hour)
	waitFor(t, 20*time.Second, "the noncurrent version and the lone marker", func() bool {
		return len(versionsOf(t, cl, versioned, "old/")) == 0
	})
}

func makeBucketOn(t *testing.T, cl *s3.Client, prefix string) string {
	t.Helper()
	name := newBucketName(prefix)
	if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return name
}

// Two nodes on one root: one holds the executor's lease at a time; the
// holder killed mid-pass is taken over by the other, which finishes the
// work, and no key is expired twice (exactly one delete marker each).
func TestLifecycleTwoNodesLease(t *testing.T) {
	dir := t.TempDir()
	root, clock := filepath.Join(dir, "root"), filepath.Join(dir, "clock")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	const keys = 120
	nodes := []*testserver.Server{lifecycleNode(t, root, clock, 40), lifecycleNode(t, root, clock, 40)}
	cl := sdk(alice, nodes[0].URL())
	bucket := makeBucketOn(t, cl, "lc2n")
	if _, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, lifecyclePut(t, nodes[0].URL(), bucket, `<LifecycleConfiguration><Rule><ID>d1</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`, true), 200)
	for i := range keys {
		putBytes(t, cl, bucket, fmt.Sprintf("k%03d", i), []byte("x"))
	}
	moveClock(t, clock, 49*time.Hour) // past Days 1 at any time of day (TestLifecycleExpiresByMovedClock)
	// The lease names the node running the pass; its heartbeat file names
	// its process.
	leaseFile := filepath.Join(root, ".caddys3", "lifecycle", "executor.lease")
	var holder string
	waitFor(t, 10*time.Second, "a lease holder", func() bool {
		var l struct{ Holder string }
		b, err := os.ReadFile(leaseFile)
		if err != nil || json.Unmarshal(b, &l) != nil {
			return false
		}
		holder = l.Holder
		return holder != ""
	})
	hb, err := os.ReadFile(filepath.Join(root, ".caddys3", "nodes", holder))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(hb))
	if len(f) != 4 {
		t.Fatalf("heartbeat %q", hb)
	}
	killed, survivor := -1, -1
	for i, n := range nodes {
		if fmt.Sprint(n.Pid()) == f[2] {
			killed, survivor = i, 1-i
		}
	}
	if killed < 0 {
		t.Fatalf("no node has pid %s", f[2])
	}
	// Mid-pass: some keys have their marker, not all (40 a second).
	waitFor(t, 10*time.Second, "the first markers", func() bool {
		return markerCount(t, cl, bucket) > 0
	})
	nodes[killed].Kill()
	cl = sdk(alice, nodes[survivor].URL())
	if n := markerCount(t, cl, bucket); n >= keys {
		t.Fatalf("the pass was over before the kill (%d markers): nothing to take over", n)
	}
	waitFor(t, 30*time.Second, "every key's marker", func() bool {
		return markerCount(t, cl, bucket) == keys
	})
	// A few more passes of the survivor change nothing.
	time.Sleep(500 * time.Millisecond)
	for k, v := range versionsOf(t, cl, bucket, "") {
		if v != "1D1M" {
			t.Errorf("%s: versions %q, want one marker over its data", k, v)
		}
	}
	b, _ := os.ReadFile(leaseFile)
	if bytes.Contains(b, []byte(holder)) {
		t.Fatalf("the killed node still holds the lease: %s", b)
	}
	if !strings.Contains(nodes[survivor].Logs(), "s3: lifecycle pass") {
		t.Fatal("the survivor logged no pass")
	}
}
