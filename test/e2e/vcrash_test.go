package e2e

// Versioned buckets under kill -9 and with two nodes on one root (issue
// 15, "Done when": crash and race tests cover versioned buckets). Each
// test drives the real server binary and then checks, through every node,
// that the bucket's history is whole: every acknowledged write is a
// listed version holding its bytes, the versions of a key are strictly
// ordered, the plain GET answers the newest listed version, and
// ListObjects shows exactly the keys whose newest version is not a delete
// marker.

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// enableVersioning turns versioning on for bucket through cl.
func enableVersioning(t *testing.T, cl *s3.Client, bucket string) {
	t.Helper()
	_, err := cl.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", bucket, err)
	}
}

// allVersions is every entry of ListObjectVersions of bucket through the
// node at base, following the markers, in document order.
func allVersions(t *testing.T, base, bucket string) []versionEntryXML {
	t.Helper()
	var out []versionEntryXML
	q := url.Values{"versions": {""}, "max-keys": {"250"}}
	for range 1000 {
		r := doRaw(t, rawReq{Method: "GET", Base: base, Path: "/" + bucket, Query: q, Creds: &alice})
		wantStatus(t, r, 200)
		doc, err := parseVersions(r.Body)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		out = append(out, doc.Entries...)
		if !doc.IsTruncated {
			return out
		}
		q = url.Values{"versions": {""}, "max-keys": {"250"}, "key-marker": {doc.NextKeyMarker},
			"version-id-marker": {doc.NextVersionIDMarker}}
	}
	t.Fatal("ListObjectVersions did not end")
	return nil
}

// wantWholeHistory checks the invariants of the package comment through
// every node in bases and returns each key's entries, newest first.
func wantWholeHistory(t *testing.T, bases []string, bucket string) map[string][]versionEntryXML {
	t.Helper()
	var keys []string
	byKey := map[string][]versionEntryXML{}
	for i, base := range bases {
		entries := allVersions(t, base, bucket)
		if i > 0 {
			var prev []versionEntryXML
			for _, k := range keys {
				prev = append(prev, byKey[k]...)
			}
			if fmt.Sprint(prev) != fmt.Sprint(entries) {
				t.Fatalf("nodes list different versions:\n%s: %v\n%s: %v", bases[0], prev, base, entries)
			}
			continue
		}
		seen := map[string]bool{}
		for _, e := range entries {
			list := byKey[e.Key]
			if len(list) == 0 {
				if len(keys) > 0 && keys[len(keys)-1] >= e.Key {
					t.Fatalf("keys out of order: %q after %q", e.Key, keys[len(keys)-1])
				}
				keys = append(keys, e.Key)
			} else if last := list[len(list)-1]; last.VersionID >= e.VersionID {
				// Ids sort newest first (fsstore/versions.go).
				t.Fatalf("%q: version %s listed after %s: not strictly ordered", e.Key, e.VersionID, last.VersionID)
			}
			if seen[e.VersionID] {
				t.Fatalf("version id %s twice", e.VersionID)
			}
			seen[e.VersionID] = true
			if e.IsLatest != (len(list) == 0) {
				t.Fatalf("%q: version %s IsLatest %v at position %d", e.Key, e.VersionID, e.IsLatest, len(list))
			}
			byKey[e.Key] = append(list, e)
		}
	}
	var present []string
	for _, k := range keys {
		if byKey[k][0].XMLName.Local == "Version" {
			present = append(present, k)
		}
	}
	for _, base := range bases {
		if got := listAllKeys(t, sdk(alice, base), bucket, ""); !equalKeys(got, present) {
			t.Fatalf("%s: ListObjectsV2 has %q, ListObjectVersions' latest data versions are %q", base, got, present)
		}
		for _, k := range keys {
			latest := byKey[k][0]
			r := doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(bucket, k), Creds: &alice})
			if latest.XMLName.Local == "DeleteMarker" {
				if r.Status != 404 || r.Header.Get("X-Amz-Delete-Marker") != "true" || r.Header.Get("X-Amz-Version-Id") != latest.VersionID {
					t.Fatalf("%s: GET %q whose latest is the marker %s: %s", base, k, latest.VersionID, r)
				}
				continue
			}
			wantStatus(t, r, 200)
			if got := r.Header.Get("X-Amz-Version-Id"); got != latest.VersionID {
				t.Fatalf("%s: GET %q answers version %s, the newest listed is %s", base, k, got, latest.VersionID)
			}
			byID := doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(bucket, k),
				Query: url.Values{"versionId": {latest.VersionID}}, Creds: &alice})
			wantStatus(t, byID, 200)
			if !bytes.Equal(byID.Body, r.Body) {
				t.Fatalf("%s: GET %q and GET ?versionId=%s differ", base, k, latest.VersionID)
			}
		}
	}
	return byKey
}

// getVersion is the body of one version (through base), failing unless 200.
func getVersion(t *testing.T, base, bucket, key, vid string) []byte {
	t.Helper()
	r := doRaw(t, rawReq{Method: "GET", Base: base, Path: objPath(bucket, key), Query: url.Values{"versionId": {vid}}, Creds: &alice})
	if r.Status != 200 {
		t.Fatalf("GET %q ?versionId=%s: %s", key, vid, r)
	}
	return r.Body
}

// TestVersionedOverwriteKilled SIGKILLs the server again and again while
// clients overwrite the same keys of a versioned bucket with distinct
// bodies, restarting it on the same root each time. Afterwards every PUT
// that was answered 200 is a listed version with its bytes, every listed
// version holds one whole body that some client sent (nothing torn), and
// the history is whole (wantWholeHistory).
func TestVersionedOverwriteKilled(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	node := startExtraServer(t, filepath.Join(dir, "node0"), port, root)
	bucket := newBucketName("vkill")
	cl := sdk(alice, node.URL())
	if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	enableVersioning(t, cl, bucket)

	keys := []string{"k0", "dir/k1", "k2/"}
	const workers, size = 6, 96 << 10
	var mu sync.Mutex
	sent := map[string]map[string]bool{}    // key → md5 of every body sent
	acked := map[string]map[string]string{} // key → version id → md5 of a 200 PUT
	for _, k := range keys {
		sent[k], acked[k] = map[string]bool{}, map[string]string{}
	}
	const rounds = 4
	var seq atomic.Int64
	var failedAfter200 atomic.Int64
	for round := range rounds {
		cl := sdk(alice, node.URL())
		stop := make(chan struct{})
		var oks atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					key := keys[(w+i)%len(keys)]
					body := append([]byte(fmt.Sprintf("round %d worker %d put %d seq %d|", round, w, i, seq.Add(1))), randomBytes(size)...)
					sum := md5Hex(body)
					mu.Lock()
					sent[key][sum] = true
					mu.Unlock()
					out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
					if err != nil {
						continue // killed, or refused while down: not acknowledged
					}
					vid := aws.ToString(out.VersionId)
					if vid == "" {
						failedAfter200.Add(1)
						continue
					}
					mu.Lock()
					acked[key][vid] = sum
					mu.Unlock()
					oks.Add(1)
				}
			})
		}
		// Let some writes finish, then kill in the middle of others.
		for deadline := time.Now().Add(20 * time.Second); oks.Load() < 20; {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: only %d PUTs answered in 20s", round, oks.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
		node.Kill()
		close(stop)
		wg.Wait()
		node = startExtraServer(t, filepath.Join(dir, fmt.Sprintf("node%d", round+1)), port, root)
	}
	if n := failedAfter200.Load(); n > 0 {
		t.Fatalf("%d PUTs answered 200 without a version id", n)
	}
	byKey := wantWholeHistory(t, []string{node.URL()}, bucket)
	total := 0
	for _, k := range keys {
		listed := map[string]bool{}
		for _, e := range byKey[k] {
			if e.XMLName.Local != "Version" {
				t.Fatalf("%q: a %s in a bucket without deletes", k, e.XMLName.Local)
			}
			listed[e.VersionID] = true
			if body := getVersion(t, node.URL(), bucket, k, e.VersionID); !sent[k][md5Hex(body)] {
				t.Fatalf("%q version %s: %d bytes that no client sent (torn?)", k, e.VersionID, len(body))
			}
		}
		for vid, sum := range acked[k] {
			if !listed[vid] {
				t.Fatalf("%q: version %s was acknowledged but is not listed", k, vid)
			}
			if got := md5Hex(getVersion(t, node.URL(), bucket, k, vid)); got != sum {
				t.Fatalf("%q version %s: body md5 %s, the PUT sent %s", k, vid, got, sum)
			}
		}
		total += len(acked[k])
		t.Logf("%q: %d versions listed, %d acknowledged", k, len(byKey[k]), len(acked[k]))
	}
	t.Logf("%d kills, %d acknowledged PUTs", rounds, total)
}

// TestTwoNodesVersionedRace races PUTs and DELETEs (delete markers) of the
// same keys of a versioned bucket through the main server and a second
// server process on its root. Every acknowledged write has its own
// version id, each client's writes are ordered as it made them, the
// listing holds exactly the acknowledged versions, and both nodes answer
// the same latest (wantWholeHistory through both).
func TestTwoNodesVersionedRace(t *testing.T) {
	bases := []string{srv.base, startSecondNode(t)}
	versionedRace(t, bases, makeBucket(t, alice, "vrace"), 30)
}

// versionedRace races three writers on every node in bases, ops writes
// each, over the keys of bucket (a fresh bucket, versioning enabled here
// through bases[0]) and checks the whole history through each node.
func versionedRace(t *testing.T, bases []string, bucket string, ops int) {
	t.Helper()
	enableVersioning(t, sdk(alice, bases[0]), bucket)
	keys := []string{"a", "a/b", "c"}
	const workersPerNode = 3
	type write struct {
		key, vid, sum string
		marker        bool
	}
	var mu sync.Mutex
	var all []write
	var wg sync.WaitGroup
	for n, base := range bases {
		cl := sdk(alice, base)
		for w := range workersPerNode {
			wg.Go(func() {
				prev := map[string]string{}
				for i := range ops {
					key := keys[(i*7+w+n)%len(keys)]
					var wr write
					if (i+w+n)%4 == 3 {
						out, err := cl.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
						if err != nil {
							t.Errorf("node %d DELETE %q: %v", n, key, err)
							return
						}
						if !aws.ToBool(out.DeleteMarker) {
							t.Errorf("node %d DELETE %q made no delete marker", n, key)
						}
						wr = write{key: key, vid: aws.ToString(out.VersionId), marker: true}
					} else {
						body := []byte(fmt.Sprintf("node %d worker %d op %d on %s", n, w, i, key))
						out, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
						if err != nil {
							t.Errorf("node %d PUT %q: %v", n, key, err)
							return
						}
						wr = write{key: key, vid: aws.ToString(out.VersionId), sum: md5Hex(body)}
					}
					// A client's later write of a key is a newer version
					// (ids sort newest first).
					if p := prev[key]; wr.vid == "" || p != "" && wr.vid >= p {
						t.Errorf("%q: version %q written after %q", key, wr.vid, p)
					}
					prev[key] = wr.vid
					mu.Lock()
					all = append(all, wr)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	byKey := wantWholeHistory(t, bases, bucket)
	ids := map[string]write{}
	for _, wr := range all {
		if _, dup := ids[wr.vid]; dup {
			t.Fatalf("version id %s given to two writes", wr.vid)
		}
		ids[wr.vid] = wr
	}
	listed := 0
	for _, k := range keys {
		for _, e := range byKey[k] {
			wr, ok := ids[e.VersionID]
			if !ok || wr.key != k || wr.marker != (e.XMLName.Local == "DeleteMarker") {
				t.Fatalf("%q: listed %s %s is no acknowledged write of it (%+v)", k, e.XMLName.Local, e.VersionID, wr)
			}
			if !wr.marker {
				for _, base := range bases {
					if got := md5Hex(getVersion(t, base, bucket, k, e.VersionID)); got != wr.sum {
						t.Fatalf("%s: %q version %s has other bytes than its PUT", base, k, e.VersionID)
					}
				}
			}
			listed++
		}
	}
	if listed != len(all) {
		t.Fatalf("%d versions listed, %d writes acknowledged", listed, len(all))
	}
}

// TestVersionedCompleteKilled is TestServerKilledMidComplete on a
// versioned bucket whose key already has a version: the server is killed
// while it joins the upload, restarted on the same root, and the retried
// Complete finishes; the key then has exactly one new version (the
// upload's bytes, the latest), the old version is untouched, and a second
// retry (answered from the recorded result) adds none.
func TestVersionedCompleteKilled(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	first := startExtraServer(t, filepath.Join(dir, "first"), port, root)
	bucket := newBucketName("vcrashmpu")
	cl := sdk(alice, first.URL())
	if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	enableVersioning(t, cl, bucket)
	old := []byte("the version before the upload")
	v0 := aws.ToString(putBytes(t, cl, bucket, "big", old).VersionId)

	// Fewer parts than TestServerKilledMidComplete (its 600 MiB take most
	// of a minute to upload here); the join of 240 MiB is still caught.
	const nParts = 48
	mc := killMidComplete(t, first, root, bucket, "big", nParts)
	second := startExtraServer(t, filepath.Join(dir, "second"), port, root)
	mc.complete.Base = second.URL()
	etag, vid, took := retryComplete(t, mc.hc, mc.complete)
	t.Logf("retried Complete answered in %v (%v after the kill)", took.Round(time.Millisecond), time.Since(mc.killed).Round(time.Millisecond))
	if want := mpETag(mc.parts...); etag != want {
		t.Fatalf("retried Complete ETag %s, want %s", etag, want)
	}
	if took > time.Minute {
		t.Errorf("the retried Complete took %v", took)
	}
	again, vid2, _ := retryComplete(t, mc.hc, mc.complete)
	if again != etag {
		t.Errorf("second retry ETag %s, want the recorded %s", again, etag)
	}

	byKey := wantWholeHistory(t, []string{second.URL()}, bucket)
	got := byKey["big"]
	if len(got) != 2 || got[1].VersionID != v0 || got[0].XMLName.Local != "Version" || got[0].VersionID == "null" {
		t.Fatalf("versions of the key after the retried Complete: %+v, want one new version over %s", got, v0)
	}
	for _, v := range []string{vid, vid2} {
		// Also a Complete answered after keepAliveAfter, whose 200 went
		// out before it claimed the dead node's upload (fsstore.VersionSlot).
		if v != got[0].VersionID {
			t.Errorf("a Complete answered version %q, the new version is %s", v, got[0].VersionID)
		}
	}
	head := doRaw(t, rawReq{Method: "HEAD", Base: second.URL(), Path: "/" + bucket + "/big",
		Query: url.Values{"versionId": {got[0].VersionID}}, Creds: &alice})
	wantStatus(t, head, 200)
	if head.Header.Get("ETag") != etag || head.Header.Get("Content-Length") != fmt.Sprint(nParts*len(mc.parts[0])) {
		t.Errorf("new version: ETag %s Content-Length %s", head.Header.Get("ETag"), head.Header.Get("Content-Length"))
	}
	if b := getVersion(t, second.URL(), bucket, "big", v0); !bytes.Equal(b, old) {
		t.Errorf("the old version now holds %d other bytes", len(b))
	}
}
