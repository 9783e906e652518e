package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rcloneConfig is the rclone remote of docs/backup.md for one endpoint.
func rcloneConfig(name, endpoint string) string {
	return fmt.Sprintf(`[%s]
type = s3
provider = Other
access_key_id = %s
secret_access_key = %s
endpoint = %s
region = us-east-1
force_path_style = true
`, name, aliceKey, aliceSecret, endpoint)
}

// rclone runs rclone with the given config text and arguments, in an
// environment that carries nothing of the caller's AWS_* or RCLONE_*
// settings (see test/clients/scenario-rclone.sh for why).
func rclone(t *testing.T, config string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("rclone", append([]string{"--config", conf}, args...)...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rclone %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The rclone recipe of docs/backup.md moves every bucket of one caddys3 to
// another and back: bytes, single-part ETags, content headers and user
// metadata arrive (rclone -M); what it cannot carry is documented there.
func TestRcloneMoveRoot(t *testing.T) {
	dir := t.TempDir()
	a := startOnFreePort(t, filepath.Join(dir, "a"))
	b := startOnFreePort(t, filepath.Join(dir, "b"))
	c := startOnFreePort(t, filepath.Join(dir, "c"))
	cl := sdk(alice, a.URL())
	ctx := ctxT(t)
	buckets := []string{newBucketName("rc-one"), newBucketName("rc-two")}
	want := map[string]objState{}
	for _, bk := range buckets {
		if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bk)}); err != nil {
			t.Fatal(err)
		}
		for i, key := range []string{"plain.txt", "nested/deep/key.json", "big.bin"} {
			body := []byte(fmt.Sprintf("body %d of %s/%s", i, bk, key))
			if key == "big.bin" {
				body = randomBytes(3 << 20)
			}
			in := &s3.PutObjectInput{Bucket: aws.String(bk), Key: aws.String(key), Body: bytes.NewReader(body),
				ContentType: aws.String("text/x-test-" + fmt.Sprint(i)), CacheControl: aws.String("max-age=7"),
				Metadata: map[string]string{"color": "blue", "n": fmt.Sprint(i)}}
			if _, err := cl.PutObject(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, v := range snapshotObjects(t, a.URL(), buckets) {
		v.Grants = nil // rclone does not carry object ACLs (docs/backup.md)
		want[k] = v
	}
	conf := rcloneConfig("src", a.URL()) + rcloneConfig("dst", b.URL()) + rcloneConfig("back", c.URL())
	// The commands of docs/backup.md: everything to the other server, then back.
	rclone(t, conf, "copy", "--metadata", "--checksum", "src:", "dst:")
	rclone(t, conf, "check", "src:", "dst:")
	rclone(t, conf, "copy", "--metadata", "--checksum", "dst:", "back:")
	for _, target := range []struct{ name, base string }{{"other server", b.URL()}, {"back", c.URL()}} {
		got := snapshotObjects(t, target.base, buckets)
		if len(got) != len(want) {
			t.Errorf("%s: %d objects, want %d", target.name, len(got), len(want))
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok {
				t.Errorf("%s: %s missing", target.name, k)
				continue
			}
			g.Grants = nil
			delete(g.Meta, "mtime") // rclone's own times (docs/backup.md)
			delete(g.Meta, "btime")
			if !strings.EqualFold(fmt.Sprint(g), fmt.Sprint(w)) {
				t.Errorf("%s: %s = %+v, want %+v", target.name, k, g, w)
			}
		}
	}
}
