package cloudstack

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// awsCLI runs the aws-cli on PATH (the machine's pip aws-cli v1, which
// sends CRC32 trailers by default) with a CloudStack key pair and returns
// its standard output.
func awsCLI(t *testing.T, base string, c csKey, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("aws-cli is needed for this test (test/install-deps installs it): %v", err)
	}
	cmd := exec.Command(bin, append([]string{"--endpoint-url", base, "--output", "json"}, args...)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+c.key, "AWS_SECRET_ACCESS_KEY="+c.secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_MAX_ATTEMPTS=1", "HOME="+home)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// TestCaddyCloudStackAccounts: buckets belong to CloudStack accounts. Two
// accounts sign with their own CloudStack keys through aws-cli and
// aws-sdk-go-v2; what one account owns is closed to the other until an
// ACL grant (by account UUID) or a bucket policy opens it.
func TestCaddyCloudStackAccounts(t *testing.T) {
	base, _ := startCaddy(t)
	alice, bob := k("cloud", "alice"), k("cloud", "bob")
	sdkAlice, sdkBob := client(base, alice.key, alice.secret), client(base, bob.key, bob.secret)

	// aws-cli as alice: create a bucket and upload.
	if _, err := awsCLI(t, base, alice, "s3api", "create-bucket", "--bucket", "acme-shared"); err != nil {
		t.Fatal(err)
	}
	// Other tests count alice's buckets: leave none behind.
	defer func() {
		if _, err := awsCLI(t, base, alice, "s3", "rb", "--force", "s3://acme-shared"); err != nil {
			t.Errorf("removing the bucket: %v", err)
		}
	}()
	src := filepath.Join(t.TempDir(), "report.txt")
	os.WriteFile(src, []byte("quarterly numbers"), 0o644)
	if _, err := awsCLI(t, base, alice, "s3", "cp", src, "s3://acme-shared/reports/q1.txt"); err != nil {
		t.Fatal(err)
	}

	// ListBuckets names the account: canonical ID = account UUID, display
	// name = account name.
	out, err := awsCLI(t, base, alice, "s3api", "list-buckets")
	if err != nil {
		t.Fatal(err)
	}
	var lb struct {
		Owner   struct{ ID, DisplayName string }
		Buckets []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out), &lb); err != nil {
		t.Fatalf("list-buckets output %q: %v", out, err)
	}
	if lb.Owner.ID != alice.owner || lb.Owner.DisplayName != alice.disp {
		t.Errorf("ListBuckets owner = %+v, want ID %q DisplayName %q", lb.Owner, alice.owner, alice.disp)
	}

	// bob (account globex) sees none of it.
	if out, err := awsCLI(t, base, bob, "s3api", "list-buckets"); err != nil || strings.Contains(out, "acme-shared") {
		t.Errorf("bob's list-buckets shows alice's bucket or failed: %v %s", err, out)
	}
	if _, err := awsCLI(t, base, bob, "s3", "ls", "s3://acme-shared/"); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("bob listing alice's bucket: want AccessDenied, got %v", err)
	}
	_, err = sdkBob.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String("reports/q1.txt")})
	wantErr(t, "bob GetObject before any grant", err, 403, "AccessDenied")

	// alice grants bob's account READ on the object by its UUID (aws-cli
	// x-amz-grant-read); bob can read that object, still not list.
	if _, err := awsCLI(t, base, alice, "s3api", "put-object-acl", "--bucket", "acme-shared", "--key", "reports/q1.txt",
		"--grant-read", "id="+bob.owner); err != nil {
		t.Fatal(err)
	}
	obj, err := sdkBob.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String("reports/q1.txt")})
	if err != nil {
		t.Fatalf("bob GetObject after the grant: %v", err)
	}
	obj.Body.Close()
	_, err = sdkBob.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String("acme-shared")})
	wantErr(t, "bob listing after an object grant", err, 403, "AccessDenied")
	acl, err := sdkAlice.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String("acme-shared"), Key: aws.String("reports/q1.txt")})
	if err != nil {
		t.Fatal(err)
	}
	var grantees []string
	for _, g := range acl.Grants {
		grantees = append(grantees, aws.ToString(g.Grantee.ID)+":"+string(g.Permission))
	}
	if got := strings.Join(grantees, ","); got != bob.owner+":READ" {
		// --grant-read replaces the whole ACL, as in S3: only bob's grant.
		t.Errorf("object ACL grants = %s, want %s:READ", got, bob.owner)
	}

	// A bucket policy naming bob's account lets bob write under incoming/
	// and nowhere else.
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::%s:root"]},"Action":["s3:PutObject"],"Resource":["arn:aws:s3:::acme-shared/incoming/*"]}]}`, bob.owner)
	if _, err := sdkAlice.PutBucketPolicy(ctxT(t), &s3.PutBucketPolicyInput{Bucket: aws.String("acme-shared"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	roundTripAs := func(c *s3.Client, key string) error {
		_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String(key), Body: strings.NewReader("from bob")})
		return err
	}
	if err := roundTripAs(sdkBob, "incoming/from-bob.txt"); err != nil {
		t.Errorf("bob PutObject under incoming/ with the policy: %v", err)
	}
	wantErr(t, "bob PutObject outside incoming/", roundTripAs(sdkBob, "reports/evil.txt"), 403, "AccessDenied")
	// alice, the bucket owner, reads what bob wrote in her bucket.
	if _, err := sdkAlice.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String("incoming/from-bob.txt")}); err != nil {
		t.Errorf("bucket owner reading an object another account wrote: %v", err)
	}

	// A canned bucket ACL through the SDK: authenticated-read opens listing
	// to every CloudStack account.
	if _, err := sdkAlice.PutBucketAcl(ctxT(t), &s3.PutBucketAclInput{Bucket: aws.String("acme-shared"), ACL: types.BucketCannedACLAuthenticatedRead}); err != nil {
		t.Fatal(err)
	}
	if out, err := awsCLI(t, base, bob, "s3", "ls", "s3://acme-shared/reports/"); err != nil || !strings.Contains(out, "q1.txt") {
		t.Errorf("bob listing with authenticated-read: %v %s", err, out)
	}
	// A root admin of CloudStack is not an admin here (admin_accounts is
	// not configured): the operator's static key gets AccessDenied too.
	_, err = client(base, opKey, opSecret).GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String("reports/q1.txt")})
	wantErr(t, "operator key without admin_accounts", err, 403, "AccessDenied")

	// Disabling bob's account in CloudStack closes the door again, grant or
	// not, within the cache TTL.
	execSQL(t, "UPDATE cloud.account SET state = 'disabled' WHERE account_name = 'globex'")
	defer execSQL(t, "UPDATE cloud.account SET state = 'enabled' WHERE account_name = 'globex'")
	eventually(t, 5*time.Second, "bob refused with his account disabled", func() error {
		_, err := sdkBob.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("acme-shared"), Key: aws.String("reports/q1.txt")})
		if s, c := apiError(err); s == 403 && c == "InvalidAccessKeyId" {
			return nil
		}
		return fmt.Errorf("still %v", err)
	})
}
