package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/caddys3/caddys3/internal/testserver"
)

// slowBody hands out size bytes of data in chunks, pausing between them,
// and counts what was read.
type slowBody struct {
	data  []byte
	off   int
	chunk int
	pause time.Duration
	read  *atomic.Int64
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.off >= len(s.data) {
		return 0, io.EOF
	}
	if s.off > 0 {
		time.Sleep(s.pause)
	}
	n := copy(p[:min(len(p), s.chunk)], s.data[s.off:])
	s.off += n
	s.read.Add(int64(n))
	return n, nil
}

// slowSignedPut builds a PUT of body (UNSIGNED-PAYLOAD, signed as alice)
// whose bytes arrive in 64 KiB steps with pause between them.
func slowSignedPut(t *testing.T, url string, data []byte, pause time.Duration, read *atomic.Int64) *http.Request {
	t.Helper()
	body := &slowBody{data: data, chunk: 64 << 10, pause: pause, read: read}
	req, err := http.NewRequest("PUT", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(data))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := rawSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret},
		req, "UNSIGNED-PAYLOAD", "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestReloadDuringUploads starts a second server (the harness's binary)
// with an admin endpoint on loopback, runs slow uploads, runs `caddy
// reload` with a changed config while they are all in flight, and requires
// that every upload completes intact, that the new config is active and
// that the server keeps serving.
func TestReloadDuringUploads(t *testing.T) {
	ports, err := testserver.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "root")
	admin := fmt.Sprintf("127.0.0.1:%d", ports[1])
	s := testserver.Start(t, extraConfig(ports[0], root, admin, "max_object_size 1GiB"))
	base := s.URL()

	bucket := newBucketName("reload")
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + bucket, Creds: &alice}), 200)

	const uploads, size = 4, 4 << 20
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 3 * time.Minute}
	defer hc.CloseIdleConnections()
	type result struct {
		key, etag string
		status    int
		err       error
		done      time.Time
	}
	results := make([]result, uploads)
	payloads := make([][]byte, uploads)
	var progress [uploads]atomic.Int64
	var finished atomic.Int32
	var wg sync.WaitGroup
	for i := range uploads {
		payloads[i] = randomBytes(size)
		key := fmt.Sprintf("upload-%d", i)
		req := slowSignedPut(t, base+"/"+bucket+"/"+key, payloads[i], 60*time.Millisecond, &progress[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finished.Add(1)
			r := result{key: key}
			resp, err := hc.Do(req)
			if err != nil {
				r.err = err
			} else {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r.status, r.etag = resp.StatusCode, strings.Trim(resp.Header.Get("ETag"), `"`)
			}
			r.done = time.Now()
			results[i] = r
		}()
	}
	// Wait until every upload is well under way (4 MiB take ~4s).
	for deadline := time.Now().Add(30 * time.Second); ; {
		all := true
		for i := range progress {
			if progress[i].Load() < 512<<10 {
				all = false
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) || finished.Load() > 0 {
			t.Fatal("uploads did not get under way")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := finished.Load(); n != 0 {
		t.Fatalf("%d uploads finished before the reload; the test would prove nothing", n)
	}

	reloadStart := time.Now()
	if err := s.Reload(extraConfig(ports[0], root, admin, "max_object_size 2GiB").Caddyfile); err != nil {
		t.Fatal(err)
	}
	reloadEnd := time.Now()
	t.Logf("reload took %v; %d of %d uploads had finished when it returned",
		reloadEnd.Sub(reloadStart).Round(time.Millisecond), finished.Load(), uploads)

	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.status != 200 {
			t.Errorf("upload %s broken by the reload: status %d, %v", r.key, r.status, r.err)
			continue
		}
		if r.etag != md5Hex(payloads[i]) {
			t.Errorf("upload %s: ETag %s, want %s", r.key, r.etag, md5Hex(payloads[i]))
		}
		if !r.done.After(reloadStart) {
			t.Errorf("upload %s finished before the reload started", r.key)
		}
	}

	// The new config is the running one.
	resp, err := hc.Get(s.AdminURL() + "/config/")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf(`"max_object_size":%d`, int64(2<<30)); !strings.Contains(string(cfg), want) {
		t.Errorf("after reload the admin API's config lacks %s:\n%s", want, cfg)
	}
	// Everything uploaded across the reload reads back intact, and a new
	// upload goes through the new config.
	for i := range uploads {
		got := doRaw(t, rawReq{Method: "GET", Base: base, Path: fmt.Sprintf("/%s/upload-%d", bucket, i), Creds: &alice})
		wantStatus(t, got, 200)
		if md5Hex(got.Body) != md5Hex(payloads[i]) {
			t.Errorf("upload-%d reads back different bytes", i)
		}
	}
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Base: base, Path: "/" + bucket + "/after", Body: []byte("after reload"), Creds: &alice}), 200)
	got := doRaw(t, rawReq{Method: "GET", Base: base, Path: "/" + bucket + "/after", Creds: &alice})
	wantStatus(t, got, 200)
	if string(got.Body) != "after reload" {
		t.Errorf("GET after reload: %q", got.Body)
	}
}
