package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestServerKilledMidUpload SIGKILLs the real server while uploads (new
// keys, an overwrite, a multipart upload) are in flight, restarts it on the
// same root and requires: no torn or partial object is visible, the
// overwritten object still holds its old bytes whole, the unfinished
// multipart upload is still an upload and not an object, and the temp files
// the crash left behind are removed by the restarted server.
func TestServerKilledMidUpload(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	first := startExtraServer(t, filepath.Join(dir, "first"), port, root, "stale_temp_age 1s")
	bucket := newBucketName("crash")
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: first.URL(), Path: "/" + bucket, Creds: &alice}), 200)
	stable := randomBytes(1 << 20)
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: first.URL(), Path: "/" + bucket + "/stable", Body: stable, Creds: &alice}), 200)

	// An unfinished multipart upload with one part.
	r := doRaw(t, rawReq{Method: "POST", Base: first.URL(), Path: "/" + bucket + "/mp", RawQuery: "uploads",
		Query: url.Values{"uploads": {""}}, Creds: &alice})
	wantStatus(t, r, 200)
	var init struct{ UploadId string }
	if err := xml.Unmarshal(r.Body, &init); err != nil || init.UploadId == "" {
		t.Fatalf("initiate: %v %s", err, r)
	}
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: first.URL(), Path: "/" + bucket + "/mp",
		Query: url.Values{"partNumber": {"1"}, "uploadId": {init.UploadId}}, Body: randomBytes(1 << 20), Creds: &alice}), 200)

	// Slow uploads: three new keys, an overwrite of "stable" and a second
	// part of "mp".
	keys := []string{"inflight-0", "inflight-1", "inflight-2", "stable"}
	const size = 4 << 20
	targets := append([]string{}, keys...)
	targets = append(targets, "mp?partNumber=2&uploadId="+url.QueryEscape(init.UploadId))
	bodies := make([][]byte, len(targets))
	for i := range targets {
		bodies[i] = randomBytes(size)
	}
	done := startSlowPuts(t, first.URL()+"/"+bucket+"/", targets, bodies, 512<<10)
	first.Kill()
	done()

	tmp := filepath.Join(root, ".caddys3", "tmp")
	left, _ := os.ReadDir(tmp)
	if len(left) == 0 {
		// Puts stage unnamed files where the filesystem can (nothing to
		// leave), parts named ones.
		t.Fatal("the killed server left no temp files: the part upload was not in flight")
	}

	second := startExtraServer(t, filepath.Join(dir, "second"), port, root, "stale_temp_age 1s")
	for _, key := range keys[:3] {
		r := doRaw(t, rawReq{Method: "HEAD", Base: second.URL(), Path: "/" + bucket + "/" + key, Creds: &alice})
		wantStatus(t, r, 404)
	}
	got := doRaw(t, rawReq{Method: "GET", Base: second.URL(), Path: "/" + bucket + "/stable", Creds: &alice})
	wantStatus(t, got, 200)
	sum := md5.Sum(stable)
	if !bytes.Equal(got.Body, stable) || got.Header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("stable object changed by the interrupted overwrite: %d bytes, ETag %s", len(got.Body), got.Header.Get("ETag"))
	}
	list := doRaw(t, rawReq{Method: "GET", Base: second.URL(), Path: "/" + bucket, Query: url.Values{"list-type": {"2"}}, Creds: &alice})
	wantStatus(t, list, 200)
	var page struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal(list.Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Contents) != 1 || page.Contents[0].Key != "stable" {
		t.Errorf("after the crash the bucket lists %+v, want only stable", page.Contents)
	}
	uploads := doRaw(t, rawReq{Method: "GET", Base: second.URL(), Path: "/" + bucket, Query: url.Values{"uploads": {""}}, Creds: &alice})
	wantStatus(t, uploads, 200)
	if !bytes.Contains(uploads.Body, []byte(init.UploadId)) {
		t.Errorf("the unfinished multipart upload is gone after the crash: %s", uploads.Body)
	}
	// stale_temp_age 1s: the restarted server removes the crash's leftovers.
	for deadline := time.Now().Add(15 * time.Second); ; {
		left, _ := os.ReadDir(tmp)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			names := []string{}
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Fatalf("temp files still there 15s after restart: %v", names)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startSlowPuts starts slow signed PUTs (slowSignedPut) of bodies to
// prefix+keys, each on its own goroutine, and returns once each has sent
// at least started bytes; the returned function waits for them all. The
// server is to be killed in between: an upload that finishes with 200
// fails the test.
func startSlowPuts(t *testing.T, prefix string, keys []string, bodies [][]byte, started int64) (wait func()) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	progress := make([]atomic.Int64, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		req := slowSignedPut(t, prefix+key, bodies[i], 50*time.Millisecond, &progress[i])
		wg.Go(func() {
			if resp, err := hc.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Errorf("upload of %s finished before the kill; the test is too slow to mean anything", key)
				}
			}
		})
	}
	wait = func() {
		wg.Wait()
		hc.CloseIdleConnections()
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		all := true
		for i := range progress {
			all = all && progress[i].Load() >= started
		}
		if all {
			return wait
		}
		if time.Now().After(deadline) {
			wait()
			t.Fatal("uploads did not get under way")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
