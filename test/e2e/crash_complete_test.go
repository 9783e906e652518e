package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/internal/testserver"
)

// TestServerKilledMidComplete SIGKILLs the real server while it joins a
// large multipart upload (the upload claimed, the joined temp file half
// written), restarts it on the same root with the default stale_temp_age
// (1h) and requires: the retried Complete with the same part list
// finishes the object within a bounded time (the dead Complete's claim
// goes stale after 3 heartbeats), the retry after that gets the recorded
// result, the upload is no longer listed, and the temp files of the
// killed server are removed by the restarted one at start-up, without
// waiting for stale_temp_age.
func TestServerKilledMidComplete(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	first := startExtraServer(t, filepath.Join(dir, "first"), port, root)
	bucket := newBucketName("crashmpu")
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: first.URL(), Path: "/" + bucket, Creds: &alice}), 200)

	const nParts = 120
	mc := killMidComplete(t, first, root, bucket, "big", nParts)
	id, parts, part, complete, tmp, uploads, hc, killed := mc.id, mc.parts, mc.parts[0], mc.complete, mc.tmp, mc.uploads, mc.hc, mc.killed
	left, _ := os.ReadDir(tmp)
	if len(left) == 0 {
		t.Fatal("the killed server left no temp files")
	}

	// The killed server's heartbeat file names it (see fsstore/node.go).
	nodes, _ := os.ReadDir(filepath.Join(root, ".caddys3", "nodes"))
	dead := ""
	if len(nodes) == 1 {
		dead = "n-" + nodes[0].Name() + "."
	} else {
		t.Errorf("heartbeat files of the killed server: %v", nodes)
	}

	second := startExtraServer(t, filepath.Join(dir, "second"), port, root)
	restarted := time.Now()
	// The restarted server (same machine, the killed process gone) removed
	// them at start-up, without waiting for heartbeats or the age.
	left, _ = os.ReadDir(tmp)
	for _, e := range left {
		if dead != "" && strings.HasPrefix(e.Name(), dead) {
			t.Errorf("temp file of the killed server left after the restart: %s", e.Name())
		}
	}
	complete.Base = second.URL()
	retry := func() (string, time.Duration) {
		etag, _, took := retryComplete(t, hc, complete)
		return etag, took
	}
	etag, took := retry()
	t.Logf("retried Complete answered in %v (%v after the restart, %v after the kill)",
		took.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	if want := mpETag(parts...); etag != want {
		t.Fatalf("retried Complete ETag %s, want %s", etag, want)
	}
	// Three claim heartbeats (15s) plus the join: well under a minute.
	if took > time.Minute {
		t.Errorf("the retried Complete took %v", took)
	}
	if again, _ := retry(); again != etag {
		t.Errorf("second retry ETag %s, want the recorded %s", again, etag)
	}
	head := doRaw(t, rawReq{Method: "HEAD", Base: second.URL(), Path: "/" + bucket + "/big", Creds: &alice})
	wantStatus(t, head, 200)
	if got := head.Header.Get("Content-Length"); got != strconv.Itoa(nParts*len(part)) || head.Header.Get("ETag") != etag {
		t.Errorf("object: Content-Length %s ETag %s", got, head.Header.Get("ETag"))
	}
	list := doRaw(t, rawReq{Method: "GET", Base: second.URL(), Path: "/" + bucket, Query: url.Values{"uploads": {""}}, Creds: &alice})
	wantStatus(t, list, 200)
	if bytes.Contains(list.Body, []byte(id)) {
		t.Errorf("the completed upload is still listed: %s", list.Body)
	}

	// Nothing else is left in staging (the retried Complete cleans up
	// after itself).
	for deadline := killed.Add(2 * time.Minute); ; {
		left, _ := os.ReadDir(tmp)
		if len(left) == 0 {
			t.Logf("staging empty %v after the kill", time.Since(killed).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Fatalf("temp files still there 2 min after the kill: %v", names)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ents, _ := os.ReadDir(uploads); len(ents) != 1 || ents[0].Name() != id+".done" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("uploads directory after recovery: %v", names)
	}
}

// midComplete is a CompleteMultipartUpload killed half way by
// killMidComplete: the upload, its parts, the request to retry (Base to
// set), the claim file, the staging and uploads directories, the client
// and the time of the kill.
type midComplete struct {
	id                  string
	parts               [][]byte
	complete            rawReq
	claim, tmp, uploads string
	hc                  *http.Client
	killed              time.Time
}

// killMidComplete uploads nParts parts of 5 MiB of key through first
// (serving root), sends the Complete and SIGKILLs first while it joins
// (the upload claimed, the joined temp file half written): enough parts
// that the join takes long enough to be killed in the middle.
func killMidComplete(t *testing.T, first *testserver.Server, root, bucket, key string, nParts int) midComplete {
	t.Helper()
	r := doRaw(t, rawReq{Method: "POST", Base: first.URL(), Path: "/" + bucket + "/" + key,
		Query: url.Values{"uploads": {""}}, Creds: &alice})
	wantStatus(t, r, 200)
	var init struct{ UploadId string }
	if err := xml.Unmarshal(r.Body, &init); err != nil || init.UploadId == "" {
		t.Fatalf("initiate: %v %s", err, r)
	}
	id := init.UploadId

	// The same bytes in every part, hashed once.
	part := randomBytes(5 * mib)
	ph := sha256Hex(part)
	parts := make([][]byte, nParts)
	var body strings.Builder
	body.WriteString("<CompleteMultipartUpload>")
	for i := range nParts {
		r := doRaw(t, rawReq{Method: "PUT", Base: first.URL(), Path: "/" + bucket + "/" + key,
			Query: url.Values{"partNumber": {strconv.Itoa(i + 1)}, "uploadId": {id}}, Body: part, PayloadHash: ph, Creds: &alice})
		wantStatus(t, r, 200)
		parts[i] = part
		fmt.Fprintf(&body, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, r.Header.Get("ETag"))
	}
	body.WriteString("</CompleteMultipartUpload>")
	complete := rawReq{Method: "POST", Path: "/" + bucket + "/" + key, Query: url.Values{"uploadId": {id}},
		Body: []byte(body.String()), Creds: &alice}

	uploads := filepath.Join(root, ".caddys3", "uploads", bucket)
	claim := filepath.Join(uploads, id+".completing")
	tmp := filepath.Join(root, ".caddys3", "tmp")
	joining := func() bool {
		if _, err := os.Stat(claim); err != nil {
			return false
		}
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			if strings.Contains(e.Name(), "mpu-") {
				return true
			}
		}
		return false
	}

	hc := &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Minute}
	t.Cleanup(hc.CloseIdleConnections)
	complete.Base = first.URL()
	req := buildRaw(t, complete)
	answered := make(chan string, 1)
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- string(b)
	}()
	for deadline := time.Now().Add(time.Minute); !joining(); {
		if time.Now().After(deadline) {
			t.Fatal("the Complete did not start joining")
		}
		time.Sleep(time.Millisecond)
	}
	first.Kill()
	killed := time.Now()
	if b := <-answered; strings.Contains(b, "<CompleteMultipartUploadResult") {
		t.Fatalf("the Complete finished before the kill: %s", b)
	}
	if _, err := os.Stat(claim); err != nil {
		t.Fatalf("the kill did not interrupt the Complete: %v", err)
	}
	return midComplete{id: id, parts: parts, complete: complete, claim: claim, tmp: tmp, uploads: uploads, hc: hc, killed: killed}
}

// retryComplete sends complete (its Base set) with hc and requires a
// CompleteMultipartUploadResult; it returns the ETag, the
// x-amz-version-id ("" when none) and how long the answer took.
func retryComplete(t *testing.T, hc *http.Client, complete rawReq) (string, string, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := hc.Do(buildRaw(t, complete))
	if err != nil {
		t.Fatalf("retried Complete after %v: %v", time.Since(start), err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("<CompleteMultipartUploadResult")) {
		t.Fatalf("retried Complete after %v: %d %s", time.Since(start), resp.StatusCode, b)
	}
	var res struct{ ETag string }
	if err := xml.Unmarshal(bytes.TrimSpace(b), &res); err != nil {
		t.Fatalf("retried Complete: %v: %s", err, b)
	}
	return res.ETag, resp.Header.Get("X-Amz-Version-Id"), time.Since(start)
}
