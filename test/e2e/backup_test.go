package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objState is what a backup must keep of one object version.
type objState struct {
	ETag, ContentType, CacheControl string
	Meta                            map[string]string
	Grants                          []string
	Body                            string // MD5 of the bytes
}

// fillBackupSource writes, through the server at base, the objects a
// backup must keep: content headers, user metadata, an ACL, a folder
// marker, a nested key, a multipart object and a versioned key with two
// versions (hard links in the version area). It returns the buckets.
func fillBackupSource(t *testing.T, base string) []string {
	t.Helper()
	cl := sdk(alice, base)
	ctx := ctxT(t)
	b, vb := newBucketName("bk-plain"), newBucketName("bk-vers")
	for _, name := range []string{b, vb} {
		if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
			t.Fatal(err)
		}
	}
	puts := []*s3.PutObjectInput{
		{Key: aws.String("plain.txt"), ContentType: aws.String("text/plain; charset=utf-8"), CacheControl: aws.String("max-age=60"), Metadata: map[string]string{"color": "blue"}},
		{Key: aws.String("nested/deep/key.json"), ContentType: aws.String("application/json")},
		{Key: aws.String("public.bin"), ACL: types.ObjectCannedACLPublicRead},
		{Key: aws.String("folder/")},
	}
	for i, in := range puts {
		in.Bucket = &b
		if !strings.HasSuffix(*in.Key, "/") {
			in.Body = bytes.NewReader([]byte(fmt.Sprintf("body %d of %s", i, *in.Key)))
		}
		if _, err := cl.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", *in.Key, err)
		}
	}
	up, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp.bin"), ContentType: aws.String("video/mp4")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for n, body := range [][]byte{randomBytes(5 << 20), randomBytes(1000)} {
		p, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: up.Key, UploadId: up.UploadId, PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(int32(n + 1))})
	}
	if _, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: up.Key, UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &vb, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"first", "second"} {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: &vb, Key: aws.String("v"), Body: strings.NewReader(v), Metadata: map[string]string{"which": v}}); err != nil {
			t.Fatal(err)
		}
	}
	return []string{b, vb}
}

// snapshotObjects reads every version of every object of buckets through
// the server at base: "bucket/key@version" → its state.
func snapshotObjects(t *testing.T, base string, buckets []string) map[string]objState {
	t.Helper()
	cl := sdk(alice, base)
	ctx := ctxT(t)
	out := map[string]objState{}
	for _, b := range buckets {
		vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &b})
		if err != nil {
			t.Fatalf("list versions of %s: %v", b, err)
		}
		for _, v := range vs.Versions {
			h, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: v.Key, VersionId: v.VersionId})
			if err != nil {
				t.Fatalf("head %s/%s: %v", b, *v.Key, err)
			}
			acl, err := cl.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &b, Key: v.Key, VersionId: v.VersionId})
			if err != nil {
				t.Fatalf("acl %s/%s: %v", b, *v.Key, err)
			}
			var grants []string
			for _, g := range acl.Grants {
				grants = append(grants, fmt.Sprintf("%s %s %s", aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.URI), g.Permission))
			}
			sort.Strings(grants)
			body := md5Hex(getVersion(t, base, b, *v.Key, aws.ToString(v.VersionId)))
			out[b+"/"+*v.Key+"@"+aws.ToString(v.VersionId)] = objState{
				ETag: aws.ToString(h.ETag), ContentType: aws.ToString(h.ContentType), CacheControl: aws.ToString(h.CacheControl),
				Meta: h.Metadata, Grants: grants, Body: body,
			}
		}
	}
	return out
}

// sh runs a documented command line with bash.
func sh(t *testing.T, line string) {
	t.Helper()
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", line).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
}

// docCommands returns the lines of docs/backup.md's sh blocks that start
// with prefix, and fails unless there are two (a backup and a restore).
func docCommands(t *testing.T, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/backup.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inSh := false
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = line == "```sh"
		case inSh && strings.HasPrefix(line, prefix):
			out = append(out, line)
		}
	}
	if len(out) != 2 {
		t.Fatalf("docs/backup.md: %d commands starting with %q, want a backup and a restore: %q", len(out), prefix, out)
	}
	return out
}

// A backup of a live root made with the commands of docs/backup.md and
// restored into an empty root serves every object version with its ETag,
// content headers, user metadata and ACL, and fsck finds it clean.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	a := startOnFreePort(t, src)
	buckets := fillBackupSource(t, a.URL())
	want := snapshotObjects(t, a.URL(), buckets)
	if len(want) != 7 {
		t.Fatalf("source has %d object versions, want 7: %v", len(want), want)
	}
	// The commands of docs/backup.md, read from it, with SRC, BACKUP and
	// DST filled in: the backup, then the restore.
	recipes := map[string][]string{
		"rsync": docCommands(t, "rsync -aHAX"),
		"tar":   docCommands(t, "tar --"),
	}
	for name, cmds := range recipes {
		t.Run(name, func(t *testing.T) {
			backup, dst := filepath.Join(dir, name+"-backup"), filepath.Join(dir, name+"-restored")
			for _, d := range []string{backup, dst} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			env := fmt.Sprintf("SRC=%q BACKUP=%q DST=%q; ", src, backup, dst)
			sh(t, env+cmds[0])
			sh(t, env+cmds[1])
			if out, code := runFsck(t, "--root", dst); code != 0 {
				t.Errorf("fsck of the restored root: exit %d\n%s", code, out)
			}
			b := startOnFreePort(t, dst)
			got := snapshotObjects(t, b.URL(), buckets)
			if !reflect.DeepEqual(got, want) {
				for k, w := range want {
					if !reflect.DeepEqual(got[k], w) {
						t.Errorf("%s: restored %+v, want %+v", k, got[k], w)
					}
				}
				t.Errorf("restored %d versions, want %d", len(got), len(want))
			}
		})
	}
}
