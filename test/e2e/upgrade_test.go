package e2e

// TestUpgradeFromPreviousRelease: a root written by the previous release is
// read by this one without any step (issue 15, "Done when"). The root is
// golden, in testdata; see the test's comment for why and how to write it
// anew.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/caddys3/caddys3/internal/testserver"
)

// previousRelease is the commit whose server writes the root: the last
// commit before issue 15 changed fsstore's layout (collision escapes,
// keys ending in '/' with a body, the version area, name locks). Only
// -update-upgrade-root needs it in the clone (and its modules): the test
// itself reads the golden root.
const previousRelease = "acd13fee57e9f0141e3e8120b933b8aed580609d"

// buildPreviousRelease extracts previousRelease (git archive) into dir and
// builds its cmd/caddy there, with -trimpath so the build cache serves the
// next run whatever the directory (the first build takes minutes, a cached
// one seconds). Never with -race: the old server's races are not this
// release's.
func buildPreviousRelease(t *testing.T, dir string) string {
	t.Helper()
	repo, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", repo, "cat-file", "-e", previousRelease+"^{commit}").CombinedOutput(); err != nil {
		t.Fatalf("the previous release %s is not in this clone (%v %s): -update-upgrade-root needs the full git history (git fetch --unshallow)", previousRelease, err, out)
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	archive := exec.CommandContext(ctx, "git", "-C", repo, "archive", "--format=tar", previousRelease)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	var aerr, terr bytes.Buffer
	archive.Stderr, untar.Stderr = &aerr, &terr
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v %s", previousRelease, err, aerr.String())
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("tar -x: %v %s", err, terr.String())
	}
	goBin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	} else if gr := os.Getenv("GOROOT"); gr != "" {
		goBin = filepath.Join(gr, "bin", "go")
	}
	bin := filepath.Join(dir, "caddy-"+previousRelease)
	start := time.Now()
	build := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-o", bin, "./cmd/caddy")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the previous release %s: %v\n%s", previousRelease, err, out)
	}
	t.Logf("built the previous release %s in %v", previousRelease, time.Since(start).Round(time.Second))
	return bin
}

// upgradeFixture is what the old server wrote, to be read back.
type upgradeFixture struct {
	bucket, vbucket string
	objects         map[string][]byte // key -> bytes, in bucket
	many            []string          // the large directory's keys
	mpKey           string
	mpParts         [][]byte
	openKey, openID string
	openPart1       []byte
	openParts       []types.CompletedPart
}

const (
	upgPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"bobreads","Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/pub/*"]}]}`
	upgOrigin = "http://upgrade.example"
)

// upgradeKeys are keys the previous release stored with escapes or as
// markers, besides plain ones.
var upgradeKeys = []string{"a//b", "./x", "a/../b", "%%x", "a/%%y/z", "/lead", "a/b", "sp ace/ü+.txt", "d/", "d/inside.txt", "pub/open.txt"}

// repeatBytes is n bytes of seed repeated: deterministic, so the test
// knows the bytes of the golden root without storing them twice, and
// compressible, so the golden tarball stays small.
func repeatBytes(n int, seed string) []byte {
	return bytes.Repeat([]byte(seed), n/len(seed)+1)[:n]
}

// newUpgradeFixture is what writeOldRoot writes into bucket and vbucket,
// all but the unfinished upload's id and part, which the server chooses.
func newUpgradeFixture(bucket, vbucket string) *upgradeFixture {
	f := &upgradeFixture{bucket: bucket, vbucket: vbucket, objects: map[string][]byte{}}
	f.objects["plain.txt"] = []byte("plain text, written by the previous release\n")
	f.objects["bin/data.bin"] = repeatBytes(100<<10, "bin/data.bin, 100 KiB\n")
	for i, k := range upgradeKeys {
		body := []byte(fmt.Sprintf("key %q, %d\n", k, i))
		if strings.HasSuffix(k, "/") {
			body = nil // a folder marker
		}
		f.objects[k] = body
	}
	f.mpKey = "mp/big.bin"
	f.mpParts = [][]byte{repeatBytes(5*mib, "mp/big.bin part 1\n"), repeatBytes(1000, "mp/big.bin part 2\n")}
	f.objects[f.mpKey] = concat(f.mpParts...)
	f.openKey = "mp/open.bin"
	f.openPart1 = repeatBytes(5*mib, "mp/open.bin part 1\n")
	for i := range 900 {
		f.many = append(f.many, fmt.Sprintf("many/key-with-a-longer-name-%04d", i))
	}
	return f
}

// writeOldRoot writes f through the server at base (the previous release)
// and fills in the unfinished upload's id and part.
func writeOldRoot(t *testing.T, base string, f *upgradeFixture) {
	ctx := ctxT(t)
	a := sdk(alice, base)
	for _, b := range []string{f.bucket, f.vbucket} {
		if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("old server: CreateBucket %s: %v", b, err)
		}
	}
	// A plain object with every stored header.
	if _, err := a.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(f.bucket), Key: aws.String("plain.txt"), Body: bytes.NewReader(f.objects["plain.txt"]),
		ContentType: aws.String("text/plain; charset=utf-8"), CacheControl: aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="p.txt"`), ContentEncoding: aws.String("identity"),
		ContentLanguage: aws.String("de-CH"), Expires: aws.Time(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
		Metadata: map[string]string{"color": "blue", "two-words": "x y"},
	}); err != nil {
		t.Fatalf("old server: PutObject plain.txt: %v", err)
	}
	if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String("bin/data.bin"),
		Body: bytes.NewReader(f.objects["bin/data.bin"]), ContentType: aws.String("application/x-test"),
		GrantRead: aws.String(`id="bob"`)}); err != nil {
		t.Fatalf("old server: PutObject bin/data.bin: %v", err)
	}
	for i, k := range upgradeKeys {
		if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(k), Body: bytes.NewReader(f.objects[k]),
			Metadata: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
			t.Fatalf("old server: PutObject %q: %v", k, err)
		}
	}
	// An object ACL and a bucket ACL, policy and CORS.
	if _, err := a.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(f.bucket), Key: aws.String("plain.txt"),
		ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("old server: PutObjectAcl: %v", err)
	}
	if _, err := a.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(f.bucket), GrantRead: aws.String(`id="bob"`)}); err != nil {
		t.Fatalf("old server: PutBucketAcl: %v", err)
	}
	if _, err := a.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(f.bucket), Policy: aws.String(fmt.Sprintf(upgPolicy, f.bucket))}); err != nil {
		t.Fatalf("old server: PutBucketPolicy: %v", err)
	}
	if _, err := a.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(f.bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{upgOrigin}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(300)}}}}); err != nil {
		t.Fatalf("old server: PutBucketCors: %v", err)
	}
	// A completed multipart object with CRC32 checksums.
	crc := func(in *s3.CreateMultipartUploadInput) {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		in.ContentType = aws.String("application/x-mp")
		in.Metadata = map[string]string{"mp": "yes"}
	}
	id := createUpload(t, a, f.bucket, f.mpKey, crc)
	var parts []types.CompletedPart
	for i, p := range f.mpParts {
		parts = append(parts, uploadPart(t, a, f.bucket, f.mpKey, id, int32(i+1), p, func(in *s3.UploadPartInput) {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}))
	}
	completeUpload(t, a, f.bucket, f.mpKey, id, parts)
	// An unfinished upload, one part in.
	f.openID = createUpload(t, a, f.bucket, f.openKey, crc)
	f.openParts = []types.CompletedPart{uploadPart(t, a, f.bucket, f.openKey, f.openID, 1, f.openPart1, func(in *s3.UploadPartInput) {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	})}
	// A directory large enough for the list cache (16 KiB of entries).
	putAll(t, a, f.bucket, f.many)
	// The bucket that gets versioning after the upgrade.
	for _, k := range []string{"keep.txt", "over.txt", "gone.txt"} {
		putBytes(t, a, f.vbucket, k, []byte("old "+k))
	}
}

// putAll puts each key with its name as body, 8 at a time.
func putAll(t *testing.T, cl *s3.Client, bucket string, keys []string) {
	var wg sync.WaitGroup
	ch := make(chan string)
	errs := make(chan error, len(keys))
	for range 8 {
		wg.Go(func() {
			for k := range ch {
				if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
					errs <- fmt.Errorf("PutObject %s: %w", k, err)
				}
			}
		})
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// Observations: what a server answers about the root, as comparable lines.

type upgListEntry struct {
	Key          string `xml:"Key"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	LastModified string `xml:"LastModified"`
	StorageClass string `xml:"StorageClass"`
	OwnerID      string `xml:"Owner>ID"`
}

type upgList struct {
	Contents              []upgListEntry `xml:"Contents"`
	CommonPrefixes        []string       `xml:"CommonPrefixes>Prefix"`
	IsTruncated           bool           `xml:"IsTruncated"`
	NextContinuationToken string         `xml:"NextContinuationToken"`
	NextMarker            string         `xml:"NextMarker"`
	KeyCount              int            `xml:"KeyCount"`
}

type upgUploads struct {
	Uploads []struct {
		Key       string `xml:"Key"`
		UploadID  string `xml:"UploadId"`
		Initiated string `xml:"Initiated"`
		Initiator string `xml:"Initiator>ID"`
		Owner     string `xml:"Owner>ID"`
	} `xml:"Upload"`
}

type upgParts struct {
	Parts []struct {
		PartNumber    int    `xml:"PartNumber"`
		ETag          string `xml:"ETag"`
		Size          int64  `xml:"Size"`
		LastModified  string `xml:"LastModified"`
		ChecksumCRC32 string `xml:"ChecksumCRC32"`
	} `xml:"Part"`
}

type upgACL struct {
	Owner  string `xml:"Owner>ID"`
	Grants []struct {
		ID         string `xml:"Grantee>ID"`
		URI        string `xml:"Grantee>URI"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

type upgBuckets struct {
	Buckets []struct {
		Name    string `xml:"Name"`
		Created string `xml:"CreationDate"`
	} `xml:"Buckets>Bucket"`
}

// objectHeaders are the headers whose values must survive the upgrade.
var objectHeaders = []string{"ETag", "Content-Length", "Content-Type", "Content-Encoding", "Content-Disposition",
	"Content-Language", "Cache-Control", "Expires", "Last-Modified", "X-Amz-Checksum-Crc32", "X-Amz-Mp-Parts-Count"}

// observe asks the server at base about everything f wrote and returns one
// line per fact, keyed by what was asked.
func observe(t *testing.T, base string, f *upgradeFixture) map[string]string {
	t.Helper()
	obs := map[string]string{}
	get := func(c *creds, path string, q url.Values, h http.Header) rawResp {
		return doRaw(t, rawReq{Method: "GET", Base: base, Path: path, Query: q, Header: h, Creds: c})
	}
	// Failures are errors, not fatal: one misread must not hide the
	// others.
	must := func(what string, r rawResp) rawResp {
		if r.Status != 200 {
			t.Errorf("%s on %s: %s", what, base, r)
		}
		return r
	}
	decode := func(what string, r rawResp, v any) {
		if must(what, r).Status != 200 {
			return
		}
		if err := xml.Unmarshal(r.Body, v); err != nil {
			t.Errorf("%s on %s: %v\n%s", what, base, err, r.Body)
		}
	}
	line := func(v any) string { return fmt.Sprintf("%+v", v) }

	// Every object: bytes and headers (checksums asked for), and its ACL.
	keys := append([]string{}, f.many...)
	for k := range f.objects {
		keys = append(keys, k)
	}
	for _, k := range keys {
		for _, method := range []string{"GET", "HEAD"} {
			r := doRaw(t, rawReq{Method: method, Base: base, Path: objPath(f.bucket, k), Creds: &alice,
				Header: http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}}})
			must(method+" "+k, r)
			var hs []string
			for _, h := range objectHeaders {
				hs = append(hs, h+"="+r.Header.Get(h))
			}
			var meta []string
			for h, v := range r.Header {
				if strings.HasPrefix(h, "X-Amz-Meta-") {
					meta = append(meta, h+"="+strings.Join(v, ","))
				}
			}
			sort.Strings(meta)
			obs[method+" "+k] = fmt.Sprintf("sha256=%s %v %v", sha256Hex(r.Body), hs, meta)
		}
		want := f.objects[k]
		if want == nil && !strings.HasSuffix(k, "/") {
			want = []byte(k) // the large directory
		}
		if r := get(&alice, objPath(f.bucket, k), nil, nil); !bytes.Equal(r.Body, want) {
			t.Errorf("GET %s on %s: %d bytes, not the %d written", k, base, len(r.Body), len(want))
		}
	}
	for _, k := range []string{"plain.txt", "bin/data.bin", "a//b"} {
		var acl upgACL
		decode("GetObjectAcl "+k, get(&alice, objPath(f.bucket, k), url.Values{"acl": {""}}, nil), &acl)
		obs["acl "+k] = line(acl)
	}
	// Bucket documents.
	var bacl upgACL
	decode("GetBucketAcl", get(&alice, "/"+f.bucket, url.Values{"acl": {""}}, nil), &bacl)
	obs["bucket acl"] = line(bacl)
	obs["bucket policy"] = string(must("GetBucketPolicy", get(&alice, "/"+f.bucket, url.Values{"policy": {""}}, nil)).Body)
	obs["bucket cors"] = string(must("GetBucketCors", get(&alice, "/"+f.bucket, url.Values{"cors": {""}}, nil)).Body)
	var bl upgBuckets
	decode("ListBuckets", get(&alice, "/", nil, nil), &bl)
	for _, b := range bl.Buckets {
		if b.Name == f.bucket || b.Name == f.vbucket {
			obs["bucket "+b.Name] = b.Created
		}
	}
	// The policy and ACLs at work: bob reads pub/ (policy) and
	// bin/data.bin (object ACL), anonymous plain.txt (public-read), and a
	// CORS preflight from the allowed origin.
	obs["bob pub"] = fmt.Sprint(get(&bob, objPath(f.bucket, "pub/open.txt"), nil, nil).Status)
	obs["bob bin"] = fmt.Sprint(get(&bob, objPath(f.bucket, "bin/data.bin"), nil, nil).Status)
	obs["anon plain"] = fmt.Sprint(get(nil, objPath(f.bucket, "plain.txt"), nil, nil).Status)
	obs["anon bin"] = fmt.Sprint(get(nil, objPath(f.bucket, "bin/data.bin"), nil, nil).Status)
	pre := doRaw(t, rawReq{Method: "OPTIONS", Base: base, Path: objPath(f.bucket, "plain.txt"),
		Header: http.Header{"Origin": {upgOrigin}, "Access-Control-Request-Method": {"PUT"}}})
	obs["cors preflight"] = fmt.Sprintf("%d %s %s %s", pre.Status, pre.Header.Get("Access-Control-Allow-Origin"),
		pre.Header.Get("Access-Control-Allow-Methods"), pre.Header.Get("Access-Control-Max-Age"))

	// Listings, V1 and V2, with and without delimiter, whole and in pages.
	for _, b := range []string{f.bucket, f.vbucket} {
		for _, v2 := range []bool{false, true} {
			for _, delim := range []string{"", "/"} {
				for _, prefix := range []string{"", "a/", "many/", "d/"} {
					for _, max := range []int{1000, 97} {
						var all []string
						token := ""
						for page := 0; ; page++ {
							q := url.Values{"max-keys": {fmt.Sprint(max)}, "prefix": {prefix}}
							if delim != "" {
								q.Set("delimiter", delim)
							}
							if v2 {
								q.Set("list-type", "2")
								q.Set("fetch-owner", "true")
								if token != "" {
									q.Set("continuation-token", token)
								}
							} else if token != "" {
								q.Set("marker", token)
							}
							var l upgList
							if r := get(&alice, "/"+b, q, nil); r.Status != 200 || xml.Unmarshal(r.Body, &l) != nil {
								t.Fatalf("list %s on %s: %s", q.Encode(), base, r)
							}
							for _, c := range l.Contents {
								all = append(all, line(c))
							}
							for _, p := range l.CommonPrefixes {
								all = append(all, "P:"+p)
							}
							if !l.IsTruncated {
								break
							}
							switch {
							case v2:
								token = l.NextContinuationToken
							case l.NextMarker != "":
								token = l.NextMarker
							case len(l.Contents) > 0:
								token = l.Contents[len(l.Contents)-1].Key
							}
							if page > 100 || token == "" {
								t.Fatalf("listing %s on %s does not end", q.Encode(), base)
							}
						}
						obs[fmt.Sprintf("list %s v2=%v delim=%q prefix=%q max=%d", b, v2, delim, prefix, max)] = strings.Join(all, "\n")
					}
				}
			}
		}
	}
	// The unfinished upload and its part.
	var ups upgUploads
	decode("ListMultipartUploads", get(&alice, "/"+f.bucket, url.Values{"uploads": {""}}, nil), &ups)
	obs["uploads"] = line(ups)
	var ps upgParts
	decode("ListParts", get(&alice, objPath(f.bucket, f.openKey), url.Values{"uploadId": {f.openID}}, nil), &ps)
	obs["parts"] = line(ps)
	return obs
}

// The golden root: written by the previous release, kept in testdata.
const (
	upgradeRootTar = "testdata/upgrade-root-acd13fe.tar.gz"
	upgradeGolden  = "testdata/upgrade-root-acd13fe.json.gz" // gzip: 2.5 MB of JSON, listings mostly
)

var updateUpgradeRoot = flag.Bool("update-upgrade-root", false,
	"TestUpgradeFromPreviousRelease: build the previous release from git, write the golden root and its observations in testdata anew, then test as usual")

// upgradeGoldenDoc is upgradeGolden: what the previous release chose while
// writing the root, and what it answered about it (observe).
type upgradeGoldenDoc struct {
	PreviousRelease string
	Bucket, VBucket string
	OpenID          string
	OpenParts       []upgradeGoldenPart
	Observations    map[string]string
}

type upgradeGoldenPart struct {
	PartNumber          int32
	ETag, ChecksumCRC32 string
}

// generateUpgradeRoot builds the previous release, starts it on a fresh
// root, writes the fixture, records what it answers (observe), stops it,
// and saves the root as upgradeRootTar and the answers as upgradeGolden.
func generateUpgradeRoot(t *testing.T) {
	dir := t.TempDir()
	oldBin := buildPreviousRelease(t, dir)
	root := filepath.Join(dir, "root")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := extraConfig(port, root, "off")
	cfg.Bin, cfg.Dir = oldBin, filepath.Join(dir, "old")
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := testserver.Start(t, cfg)
	f := newUpgradeFixture("upg-golden", "upgv-golden")
	writeOldRoot(t, old.URL(), f)
	doc := upgradeGoldenDoc{PreviousRelease: previousRelease, Bucket: f.bucket, VBucket: f.vbucket, OpenID: f.openID,
		Observations: observe(t, old.URL(), f)}
	for _, p := range f.openParts {
		doc.OpenParts = append(doc.OpenParts, upgradeGoldenPart{aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToString(p.ChecksumCRC32)})
	}
	old.Stop()
	if t.Failed() {
		t.Fatal("the previous release did not write or read the root; nothing saved")
	}
	if err := tarRoot(root, upgradeRootTar); err != nil {
		t.Fatal(err)
	}
	// The archive restores the root exactly, or it is no golden root.
	back := filepath.Join(dir, "back")
	if err := os.Mkdir(back, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := untarRoot(upgradeRootTar, back); err != nil {
		t.Fatal(err)
	}
	if diffs, err := sameTrees(root, back); err != nil || len(diffs) > 0 {
		t.Fatalf("%s does not restore the root (%v):\n%s", upgradeRootTar, err, strings.Join(diffs, "\n"))
	}
	js, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(append(js, '\n')); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upgradeGolden, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and %s", upgradeRootTar, upgradeGolden)
}

// TestUpgradeFromPreviousRelease: this release starts, with no step
// between, on a root the previous release (previousRelease) wrote through
// the HTTP API (xattr metadata: the filesystems of the test machines have
// user xattrs, so sidecar roots are not covered here), and must answer
// what the previous release answered about it (observe: bytes, headers
// with ETags, checksums and metadata, ACLs, policy, CORS and their effect,
// listings V1 and V2 with and without delimiter, whole and paged, the
// unfinished upload and its part); then it completes the old upload and
// applies the new features to the old data: a key through an old object,
// versioning with the old object as the null version, a delete marker.
//
// The root is golden: upgradeRootTar holds it as the previous release left
// it (everything, its node heartbeat and temporary directories included,
// with modes, mtimes and user.* xattrs of files and directories), and
// upgradeGolden (gzip-compressed JSON: zcat to read) what the previous
// release answered about it before it stopped. Golden, because building the previous release at test time
// needs its commit in the clone (CI may clone shallow) and its modules
// (CI has only this go.mod's), and takes minutes. To regenerate (only
// when the fixture changes; the previous release does not), with the full
// git history and network for the old modules:
//
//	go test ./test/e2e -run TestUpgradeFromPreviousRelease -count=1 -update-upgrade-root
//
// which builds previousRelease from git, writes both files anew, and then
// runs the test on them.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	if *updateUpgradeRoot {
		generateUpgradeRoot(t)
	}
	var g upgradeGoldenDoc
	if err := readGzipJSON(upgradeGolden, &g); err != nil {
		t.Fatalf("%s: %v", upgradeGolden, err)
	}
	if g.PreviousRelease != previousRelease || len(g.Observations) == 0 || g.OpenID == "" || len(g.OpenParts) != 1 {
		t.Fatalf("%s is not a golden root of %s with observations and an unfinished upload: regenerate it (-update-upgrade-root)", upgradeGolden, previousRelease)
	}
	f := newUpgradeFixture(g.Bucket, g.VBucket)
	f.openID = g.OpenID
	for _, p := range g.OpenParts {
		f.openParts = append(f.openParts, types.CompletedPart{PartNumber: aws.Int32(p.PartNumber), ETag: aws.String(p.ETag), ChecksumCRC32: aws.String(p.ChecksumCRC32)})
	}
	before := g.Observations

	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := untarRoot(upgradeRootTar, root); err != nil {
		t.Fatalf("extracting %s: %v", upgradeRootTar, err)
	}
	t.Logf("extracted the golden root in %v", time.Since(start).Round(time.Millisecond))
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}

	// This release on the root, without any step between.
	cur := startExtraServer(t, filepath.Join(dir, "new"), port, root)
	base := cur.URL()
	after := observe(t, base, f)
	var names []string
	for k := range before {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if after[k] != before[k] {
			t.Errorf("%s differs after the upgrade:\nprevious release: %s\nthis release:     %s", k, before[k], after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d observations after the upgrade, %d before", len(after), len(before))
	}
	// Facts that must hold, not only be as before.
	for k, want := range map[string]string{"bob pub": "200", "bob bin": "200", "anon plain": "200", "anon bin": "403"} {
		if after[k] != want {
			t.Errorf("%s: HTTP %s, want %s", k, after[k], want)
		}
	}
	if !strings.Contains(after["uploads"], f.openID) {
		t.Errorf("ListMultipartUploads after the upgrade lacks the unfinished upload %s: %s", f.openID, after["uploads"])
	}
	if got := strings.Count(after[fmt.Sprintf("list %s v2=true delim=\"\" prefix=\"many/\" max=97", f.bucket)], "\n") + 1; got != len(f.many) {
		t.Errorf("the large directory lists %d keys, want %d", got, len(f.many))
	}
	t.Logf("this release read the root in %v", time.Since(start).Round(time.Millisecond))

	a := sdk(alice, base)
	ctx := ctxT(t)

	// The unfinished upload completes under this release.
	last := randomBytes(777)
	parts := append(f.openParts, uploadPart(t, a, f.bucket, f.openKey, f.openID, 2, last, func(in *s3.UploadPartInput) {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}))
	out := completeUpload(t, a, f.bucket, f.openKey, f.openID, parts)
	wantCompleted(t, a, f.bucket, f.openKey, out, f.openPart1, last)
	if got, want := aws.ToString(out.ChecksumCRC32), compositeCRC32(f.openPart1, last); got != want {
		t.Errorf("Complete of the old upload: ChecksumCRC32 %s, want %s", got, want)
	}

	// A key through an old object: a/b is an object, a/b/c goes beside it.
	putBytes(t, a, f.bucket, "a/b/c", []byte("new c"))
	if got := getBytes(t, a, f.bucket, "a/b"); !bytes.Equal(got, f.objects["a/b"]) {
		t.Errorf("a/b after putting a/b/c: %q, want %q", got, f.objects["a/b"])
	}
	if got := getBytes(t, a, f.bucket, "a/b/c"); string(got) != "new c" {
		t.Errorf("a/b/c: %q", got)
	}
	lo, err := a.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), Prefix: aws.String("a/")})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range lo.Contents {
		listed = append(listed, aws.ToString(o.Key))
	}
	if want := []string{"a/%%y/z", "a/../b", "a//b", "a/b", "a/b/c"}; strings.Join(listed, "|") != strings.Join(want, "|") {
		t.Errorf("ListObjectsV2 a/ = %q, want %q", listed, want)
	}

	// Versioning on an old bucket: the old object becomes the null version.
	if _, err := a.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(f.vbucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning on the old bucket: %v", err)
	}
	put := putBytes(t, a, f.vbucket, "over.txt", []byte("new over.txt"))
	newID := aws.ToString(put.VersionId)
	if newID == "" || newID == "null" {
		t.Fatalf("overwrite in the versioned old bucket: VersionId %q", newID)
	}
	if got := getBytes(t, a, f.vbucket, "over.txt"); string(got) != "new over.txt" {
		t.Errorf("over.txt: %q", got)
	}
	getVersion := func(key, id string) rawResp {
		return doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(f.vbucket, key), Query: url.Values{"versionId": {id}}, Creds: &alice})
	}
	if r := getVersion("over.txt", "null"); r.Status != 200 || string(r.Body) != "old over.txt" || r.Header.Get("X-Amz-Version-Id") != "null" {
		t.Errorf("GET over.txt?versionId=null: want the old bytes as version null, got %s", r)
	}
	if r := getVersion("keep.txt", "null"); r.Status != 200 || string(r.Body) != "old keep.txt" {
		t.Errorf("GET keep.txt?versionId=null (never overwritten): %s", r)
	}
	del, err := a.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(f.vbucket), Key: aws.String("gone.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Errorf("DeleteObject of an old object in the versioned bucket: DeleteMarker %v VersionId %q", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}
	if r := getVersion("gone.txt", "null"); r.Status != 200 || string(r.Body) != "old gone.txt" {
		t.Errorf("GET gone.txt?versionId=null after the delete: %s", r)
	}
	if r := doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(f.vbucket, "gone.txt"), Creds: &alice}); r.Status != 404 ||
		r.Header.Get("X-Amz-Delete-Marker") != "true" {
		t.Errorf("GET gone.txt after the delete: want 404 with x-amz-delete-marker, got %s", r)
	}
	lv := doRaw(t, rawReq{Method: "GET", Base: base, Path: "/" + f.vbucket, Query: url.Values{"versions": {""}}, Creds: &alice})
	doc, err := parseVersions(must200(t, lv).Body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range doc.Entries {
		id := e.VersionID
		switch id {
		case newID:
			id = "new"
		case aws.ToString(del.VersionId):
			id = "marker"
		}
		got = append(got, fmt.Sprintf("%s %s %s latest=%v", e.XMLName.Local, e.Key, id, e.IsLatest))
	}
	want := []string{
		"DeleteMarker gone.txt marker latest=true",
		"Version gone.txt null latest=false",
		"Version keep.txt null latest=true",
		"Version over.txt new latest=true",
		"Version over.txt null latest=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ListObjectVersions of the old bucket:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("upgrade steps took %v (the extraction included)", time.Since(start).Round(time.Millisecond))
}

// readGzipJSON decodes the gzip-compressed JSON file at path into v.
func readGzipJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	return json.NewDecoder(zr).Decode(v)
}

func must200(t *testing.T, r rawResp) rawResp {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("want 200, got %s", r)
	}
	return r
}
