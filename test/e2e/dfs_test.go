//go:build dfs

package e2e

// The scale-out suite (docs/scale-out.md): three server processes, each
// on its own mount of one distributed filesystem volume, behind a Caddy
// load balancer, run through the cross-node races, crashes and listing
// checks of the two-node tests. test/dfs/run.sh brings up MooseFS and
// GlusterFS and runs it once on each:
//
//	go test -tags dfs ./test/e2e -run TestDFS
//
// with CADDYS3_DFS_MOUNTS naming the three mount points (colon-separated)
// and CADDYS3_DFS_NAME the filesystem, for the log.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/caddys3/caddys3/internal/testserver"
)

// The suite's sizes: smaller than on a local disk, where a metadata
// operation costs no network round trip (GlusterFS takes about ten times
// MooseFS's time), so that the whole stage stays within its budget.
var dfsRaces = raceScale{listKeys: 150, listRounds: 8, createRounds: 6, overwriteRounds: 4}

const (
	dfsVersionedOps     = 12
	dfsObjectLockRounds = 20
)

// dfsCluster is three nodes on three mounts of one volume and the
// balancer in front of them.
type dfsCluster struct {
	// t is the whole suite's test: nodes (re)started by a subtest outlive it.
	t     *testing.T
	fs    string
	roots []string // each node's root, on its own mount
	ports []int
	nodes []*testserver.Server
	lb    *testserver.Server
	// crashes counts the nodes killed with SIGKILL.
	crashes atomic.Int64
	// races counts the rounds of concurrent writers on one key.
	races atomic.Int64
}

// dfsLBCaddyfile is the balancer: round robin over the nodes, an active
// health check on the readiness endpoint (docs/operations.md), a node
// that refuses a connection taken out for fail_duration, and retries:
// any request whose connection failed (nothing reached the node), and GET
// and HEAD also after a failure mid-request, for up to lb_try_duration.
const dfsLBCaddyfile = `{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https off
}

http://127.0.0.1:%d {
	reverse_proxy %s {
		lb_policy round_robin
		lb_try_duration 15s
		lb_try_interval 250ms
		lb_retry_match {
			method GET HEAD
		}
		fail_duration 5s
		max_fails 1
		health_uri /minio/health/ready
		health_interval 1s
		health_timeout 2s
		health_status 200
	}
}
`

func startDFSCluster(t *testing.T) *dfsCluster {
	mounts := strings.Split(os.Getenv("CADDYS3_DFS_MOUNTS"), ":")
	if len(mounts) != 3 || mounts[0] == "" {
		t.Fatalf("CADDYS3_DFS_MOUNTS must name three mount points of one volume (test/dfs/run.sh sets it), got %q", os.Getenv("CADDYS3_DFS_MOUNTS"))
	}
	c := &dfsCluster{t: t, fs: os.Getenv("CADDYS3_DFS_NAME")}
	ports, err := testserver.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	c.ports = ports[:3]
	var upstreams []string
	for i, m := range mounts {
		c.roots = append(c.roots, filepath.Join(m, "caddys3-root"))
		c.nodes = append(c.nodes, nil)
		c.start(i)
		upstreams = append(upstreams, fmt.Sprintf("127.0.0.1:%d", c.ports[i]))
	}
	lbAddr := fmt.Sprintf("127.0.0.1:%d", ports[3])
	c.lb = testserver.Start(t, testserver.Config{
		Bin:       srv.bin,
		Caddyfile: fmt.Sprintf(dfsLBCaddyfile, ports[3], strings.Join(upstreams, " ")),
		Wait:      []string{lbAddr},
	})
	c.waitHealthy(t)
	return c
}

// start starts node i (again) on its port and root, until the suite ends.
func (c *dfsCluster) start(i int) {
	c.nodes[i] = startExtraServer(c.t, c.t.TempDir(), c.ports[i], c.roots[i])
}

// kill SIGKILLs node i.
func (c *dfsCluster) kill(i int) {
	c.nodes[i].Kill()
	c.crashes.Add(1)
}

// waitHealthy waits until a request through the balancer reaches every
// node (its health checks passed for all three).
func (c *dfsCluster) waitHealthy(t *testing.T) {
	t.Helper()
	for _, n := range c.nodes {
		for deadline := time.Now().Add(30 * time.Second); ; {
			resp, err := http.Get(n.URL() + "/minio/health/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready after 30s: %v", n.URL(), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Two health intervals: the balancer has seen them all up.
	time.Sleep(2 * time.Second)
}

func (c *dfsCluster) lbURL() string { return c.lb.URL() }

func (c *dfsCluster) bases() []string {
	var b []string
	for _, n := range c.nodes {
		b = append(b, n.URL())
	}
	return b
}

// clients are alice's SDK clients of the three nodes, then the balancer.
func (c *dfsCluster) clients() []*s3.Client {
	var cls []*s3.Client
	for _, b := range c.bases() {
		cls = append(cls, sdk(alice, b))
	}
	return append(cls, sdk(alice, c.lbURL()))
}

// newBucket makes a bucket through the balancer.
func (c *dfsCluster) newBucket(t *testing.T, prefix string) string {
	t.Helper()
	name := newBucketName(prefix)
	if _, err := sdk(alice, c.lbURL()).CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s through the balancer: %v", name, err)
	}
	return name
}

// wireCounts is how many responses the shared client has recorded and
// how many of them were 5xx (recordingTransport, harness_test.go).
func wireCounts() (total, serverErrors int, errs []string) {
	wire.mu.Lock()
	defer wire.mu.Unlock()
	for _, what := range wire.ids {
		total++
		if strings.Contains(what, " -> 5") {
			serverErrors++
			errs = append(errs, what)
		}
	}
	return total, serverErrors, errs
}

// TestDFS runs the scale-out suite on the volume of CADDYS3_DFS_MOUNTS.
// Every request but the ones in flight on a node when it is killed goes
// through the harness's recording client: none may be answered with a
// 5xx (nor lack an x-amz-request-id, which a balancer's own 502 does).
func TestDFS(t *testing.T) {
	c := startDFSCluster(t)
	before, _, _ := wireCounts()
	t.Cleanup(func() {
		total, n5xx, errs := wireCounts()
		t.Logf("%s: %d requests (recorded), %d races, %d crashes, %d 5xx", c.fs, total-before, c.races.Load(), c.crashes.Load(), n5xx)
		fmt.Printf("dfs summary: %s: requests %d, races %d, crashes %d, 5xx %d\n", c.fs, total-before, c.races.Load(), c.crashes.Load(), n5xx)
		for _, e := range errs {
			t.Errorf("answered with a server error: %s", e)
		}
	})

	t.Run("shared-root-races", func(t *testing.T) {
		c.races.Add(int64(dfsRaces.createRounds + dfsRaces.overwriteRounds))
		sharedRootRaces(t, c.clients(), dfsRaces, c.newBucket)
	})
	t.Run("listing-consistency", func(t *testing.T) { dfsListingConsistency(t, c) })
	t.Run("multipart-across-nodes", func(t *testing.T) { dfsMultipartAcrossNodes(t, c) })
	t.Run("versioned-race", func(t *testing.T) {
		c.races.Add(1)
		versionedRace(t, c.bases(), c.newBucket(t, "dfs-vrace"), dfsVersionedOps)
	})
	t.Run("object-lock-race", func(t *testing.T) {
		c.races.Add(dfsObjectLockRounds)
		bucket := newBucketName("dfs-ol")
		lb := sdk(alice, c.lbURL())
		if _, err := lb.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		objectLockRace(t, sdk(alice, c.bases()[0]), sdk(alice, c.bases()[1]), bucket, dfsObjectLockRounds)
	})
	t.Run("kill-mid-put", func(t *testing.T) { dfsKillMidPut(t, c) })
	t.Run("kill-mid-complete", func(t *testing.T) { dfsKillMidComplete(t, c) })
}

// dfsListingConsistency: writers on every node; once a node acknowledged
// a PUT or DELETE, every node's listing shows it.
func dfsListingConsistency(t *testing.T, c *dfsCluster) {
	bucket := c.newBucket(t, "dfs-list")
	nodes := c.clients()[:3]
	const rounds = 20
	var wg sync.WaitGroup
	for w := range nodes {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("w%d/k%03d", w, i)
				if _, err := nodes[w].PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(key)}); err != nil {
					t.Errorf("PUT %s through node%d: %v", key, w+1, err)
					return
				}
				for j, cl := range nodes {
					if !listHas(t, cl, bucket, fmt.Sprintf("w%d/", w), key) {
						t.Errorf("node%d's listing misses %s acknowledged by node%d", j+1, key, w+1)
					}
				}
				if i%3 != 2 {
					continue
				}
				if _, err := nodes[(w+1)%3].DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
					t.Errorf("DELETE %s: %v", key, err)
					return
				}
				for j, cl := range nodes {
					if listHas(t, cl, bucket, fmt.Sprintf("w%d/", w), key) {
						t.Errorf("node%d's listing still has %s after its DELETE was acknowledged", j+1, key)
					}
				}
			}
		})
	}
	wg.Wait()
}

// listHas tells whether cl lists key under prefix in bucket.
func listHas(t *testing.T, cl *s3.Client, bucket, prefix, key string) bool {
	keys, err := listedKeys(t, cl, bucket, prefix)
	if err != nil {
		t.Error(err)
	}
	return slices.Contains(keys, key)
}

// dfsMultipartAcrossNodes: one upload created on node1, its parts sent at
// once through all three nodes, listed through node2, completed through
// node3 and read through the balancer.
func dfsMultipartAcrossNodes(t *testing.T, c *dfsCluster) {
	bucket := c.newBucket(t, "dfs-mpu")
	nodes := c.clients()
	parts := [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(1000)}
	id := createUpload(t, nodes[0], bucket, "big")
	done := make([]types.CompletedPart, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { done[i] = uploadPart(t, nodes[i%3], bucket, "big", id, int32(i+1), p) })
	}
	wg.Wait()
	listed, err := nodes[1].ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Parts) != len(parts) {
		t.Fatalf("node2 lists %d parts, want %d", len(listed.Parts), len(parts))
	}
	out := completeUpload(t, nodes[2], bucket, "big", id, done)
	wantCompleted(t, nodes[3], bucket, "big", out, parts...)
	for j, cl := range nodes[:3] {
		ups, err := cl.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Errorf("node%d still lists %d uploads after the Complete", j+1, len(ups.Uploads))
		}
	}
}

// dfsKillMidPut SIGKILLs node1 while slow PUTs (new keys and an overwrite)
// stream into it; the clients then send them again through the balancer,
// which takes them to the other nodes. No torn object is ever visible,
// the overwritten object keeps its old bytes until its retry lands, and
// node1, restarted, sees what the others wrote.
func dfsKillMidPut(t *testing.T, c *dfsCluster) {
	bucket := c.newBucket(t, "dfs-crash")
	lb := sdk(alice, c.lbURL())
	stable := randomBytes(1 << 20)
	putBytes(t, lb, bucket, "stable", stable)
	keys := []string{"inflight-0", "inflight-1", "stable"}
	const size = 2 << 20
	bodies := make([][]byte, len(keys))
	for i := range keys {
		bodies[i] = randomBytes(size)
	}
	done := startSlowPuts(t, c.bases()[0]+"/"+bucket+"/", keys, bodies, 256<<10)
	c.kill(0)
	done()

	// Through the balancer (node1 is down): nothing torn, the old bytes.
	for _, key := range keys[:2] {
		_, err := lb.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantSDKError(t, err, 404, "")
	}
	if got := getBytes(t, lb, bucket, "stable"); !bytes.Equal(got, stable) {
		t.Fatalf("stable changed by the interrupted overwrite: %d bytes", len(got))
	}
	// The clients' retries go to the surviving nodes.
	for i, key := range keys {
		putBytes(t, lb, bucket, key, bodies[i])
	}
	c.start(0)
	c.waitHealthy(t)
	for j, cl := range c.clients() {
		for i, key := range keys {
			if got := getBytes(t, cl, bucket, key); !bytes.Equal(got, bodies[i]) {
				t.Errorf("client %d reads %d other bytes for %s", j, len(got), key)
			}
		}
		if got := listAllKeys(t, cl, bucket, ""); !equalKeys(got, []string{"inflight-0", "inflight-1", "stable"}) {
			t.Errorf("client %d lists %v", j, got)
		}
	}
}

// dfsKillMidComplete SIGKILLs node1 while it joins a multipart upload;
// the client's retried Complete goes through the balancer to another
// node, which takes the dead claim over once its heartbeats stop.
func dfsKillMidComplete(t *testing.T, c *dfsCluster) {
	bucket := c.newBucket(t, "dfs-crashmpu")
	const nParts = 24
	mc := killMidComplete(t, c.nodes[0], c.roots[0], bucket, "big", nParts)
	c.crashes.Add(1)
	mc.complete.Base = c.lbURL()
	etag, _, took := retryComplete(t, mc.hc, mc.complete)
	t.Logf("the retried Complete through the balancer answered in %v", took.Round(time.Millisecond))
	if want := mpETag(mc.parts...); etag != want {
		t.Fatalf("retried Complete ETag %s, want %s", etag, want)
	}
	c.start(0)
	c.waitHealthy(t)
	for j, cl := range c.clients() {
		out, err := cl.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
		if err != nil {
			t.Fatalf("client %d: %v", j, err)
		}
		sum := sha256Hex(concat(mc.parts...))
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || sha256Hex(b) != sum {
			t.Errorf("client %d reads %d bytes (%v), not the upload", j, len(b), err)
		}
		ups, err := cl.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Errorf("client %d still lists the upload after the Complete", j)
		}
	}
}

// TestDFSRefusesDistributeVolume starts a server on a GlusterFS
// distribute volume (CADDYS3_DFS_DISTRIBUTE_MOUNT, made by test/dfs): it
// must refuse to start and say why (fsstore/dfs_volume.go).
func TestDFSRefusesDistributeVolume(t *testing.T) {
	mount := os.Getenv("CADDYS3_DFS_DISTRIBUTE_MOUNT")
	if mount == "" {
		t.Fatal("CADDYS3_DFS_DISTRIBUTE_MOUNT must name a mount of a GlusterFS distribute volume (test/dfs/run.sh sets it)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := extraConfig(port, filepath.Join(mount, "caddys3-root"), "off")
	cfg.Dir = t.TempDir()
	s, err := testserver.Launch(cfg)
	if err == nil {
		s.Stop()
		t.Fatal("the server started on a distribute volume")
	}
	if !strings.Contains(err.Error(), "unsupported volume") || !strings.Contains(err.Error(), "rename over an existing name is not atomic") {
		t.Fatalf("start-up failed without the reason: %v", err)
	}
}
