package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// promSample is one series of a Prometheus text exposition.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

var promLabelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrapeMetrics fetches and parses the server's /metrics.
func scrapeMetrics(t *testing.T) []promSample {
	t.Helper()
	// Not httpClient: its wire log wants an x-amz-request-id on everything.
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get(srv.metricsBase + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	var out []promSample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		series := line[:i]
		s := promSample{name: series, labels: map[string]string{}, value: v}
		if j := strings.IndexByte(series, '{'); j >= 0 {
			s.name = series[:j]
			for _, m := range promLabelRE.FindAllStringSubmatch(series[j:], -1) {
				s.labels[m[1]] = m[2]
			}
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// metricSum adds the values of the samples named name whose labels include
// want ("" as a value in want matches only an absent or empty label).
func metricSum(samples []promSample, name string, want map[string]string) (float64, bool) {
	var sum float64
	found := false
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

// TestMetricsEndpoint sends a known set of requests and requires that the
// s3 metrics on Caddy's metrics endpoint moved by exactly that much, that
// no series has a label other than operation, code (and the histogram's
// le), and that the access log has the s3 fields of each request.
func TestMetricsEndpoint(t *testing.T) {
	bucket := newBucketName("metrics")
	key := "dir/metrics-object.bin"
	data := randomBytes(1000)

	before := scrapeMetrics(t)
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Path: "/" + bucket, Creds: &alice}), 200)
	wantStatus(t, doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Body: data, Creds: &alice}), 200)
	got := doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, key), Creds: &alice})
	wantStatus(t, got, 200)
	if !bytes.Equal(got.Body, data) {
		t.Fatal("GET returned other bytes")
	}
	wantXMLError(t, doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, key+"-missing"), Creds: &alice}), 404, "NoSuchKey")
	wantXMLError(t, doRaw(t, rawReq{Method: "GET", Path: objPath(bucket, key)}), 403, "AccessDenied")
	after := scrapeMetrics(t)

	delta := func(name string, labels map[string]string) float64 {
		a, ok := metricSum(after, name, labels)
		if !ok {
			t.Errorf("metrics lack %s%v", name, labels)
		}
		b, _ := metricSum(before, name, labels)
		return a - b
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"caddy_s3_requests_total", map[string]string{"operation": "CreateBucket", "code": "OK"}, 1},
		{"caddy_s3_requests_total", map[string]string{"operation": "PutObject", "code": "OK"}, 1},
		{"caddy_s3_requests_total", map[string]string{"operation": "GetObject", "code": "OK"}, 1},
		{"caddy_s3_requests_total", map[string]string{"operation": "GetObject", "code": "NoSuchKey"}, 1},
		{"caddy_s3_requests_total", map[string]string{"operation": "GetObject", "code": "AccessDenied"}, 1},
		{"caddy_s3_request_duration_seconds_count", map[string]string{"operation": "PutObject"}, 1},
		{"caddy_s3_request_duration_seconds_count", map[string]string{"operation": "GetObject"}, 3},
		{"caddy_s3_received_bytes_total", map[string]string{"operation": "PutObject"}, 1000},
		{"caddy_s3_received_bytes_total", map[string]string{"operation": "GetObject"}, 0},
	} {
		if d := delta(c.name, c.labels); d != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, d, c.want)
		}
	}
	// GetObject sent the object plus two XML error bodies.
	if d := delta("caddy_s3_sent_bytes_total", map[string]string{"operation": "GetObject"}); d < 1000 || d > 1000+4096 {
		t.Errorf("sent_bytes_total{GetObject} moved by %v, want 1000 plus two small error bodies", d)
	}
	if d := delta("caddy_s3_sent_bytes_total", map[string]string{"operation": "PutObject"}); d != 0 {
		t.Errorf("sent_bytes_total{PutObject} moved by %v, want 0", d)
	}
	if v, ok := metricSum(after, "caddy_s3_uploads_in_flight", nil); !ok || v != 0 {
		t.Errorf("uploads_in_flight = %v (present %v), want 0", v, ok)
	}
	// No CloudStack source here: the credential counters exist, at 0.
	for _, name := range []string{"caddy_s3_credential_cache_hits_total", "caddy_s3_credential_cache_misses_total", "caddy_s3_credential_db_errors_total"} {
		if v, ok := metricSum(after, name, nil); !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", name, v, ok)
		}
	}
	// Bounded labels only.
	allowed := map[string]bool{"operation": true, "code": true, "le": true}
	for _, s := range after {
		if !strings.HasPrefix(s.name, "caddy_s3_") {
			continue
		}
		for k, v := range s.labels {
			// The lifecycle executor's: a fixed set of actions, and the
			// buckets with a lifecycle configuration (docs/lifecycle.md).
			lifecycleLabel := strings.HasPrefix(s.name, "caddy_s3_lifecycle_") && (k == "action" || k == "bucket")
			if !allowed[k] && !lifecycleLabel {
				t.Errorf("%s has label %s=%q", s.name, k, v)
			}
			if strings.Contains(v, bucket) || strings.Contains(v, "metrics-object") || strings.Contains(v, aliceKey) {
				t.Errorf("%s label %s=%q carries a bucket, key or access key", s.name, k, v)
			}
		}
	}

	// The access log entries of these requests.
	entries := waitAccessLog(t, func(e map[string]any) bool {
		return e["s3_bucket"] == bucket
	}, 5)
	type row struct{ op, code string }
	byRow := map[row]map[string]any{}
	var seen []string
	for _, e := range entries {
		op, _ := e["s3_operation"].(string)
		code, _ := e["s3_error"].(string)
		byRow[row{op, code}] = e
		seen = append(seen, op+"/"+code)
	}
	sort.Strings(seen)
	num := func(e map[string]any, f string) float64 {
		v, ok := e[f].(float64)
		if !ok {
			t.Errorf("access log entry %v: field %s missing", e["s3_operation"], f)
		}
		return v
	}
	for _, c := range []struct {
		r                  row
		keyLen, in, outMin float64
		outMax             float64
		accessKey          string
	}{
		{row{"CreateBucket", ""}, -1, 0, 0, 0, aliceKey},
		{row{"PutObject", ""}, float64(len(key)), 1000, 0, 0, aliceKey},
		{row{"GetObject", ""}, float64(len(key)), 0, 1000, 1000, aliceKey},
		{row{"GetObject", "NoSuchKey"}, float64(len(key + "-missing")), 0, 100, 2048, aliceKey},
		{row{"GetObject", "AccessDenied"}, float64(len(key)), 0, 100, 2048, ""},
	} {
		e := byRow[c.r]
		if e == nil {
			t.Errorf("no access log entry for %v (seen %v)", c.r, seen)
			continue
		}
		if c.keyLen >= 0 {
			if kl := num(e, "s3_key_length"); kl != c.keyLen {
				t.Errorf("%v: s3_key_length %v, want %v", c.r, kl, c.keyLen)
			}
		} else if _, ok := e["s3_key_length"]; ok {
			t.Errorf("%v: s3_key_length on a bucket request", c.r)
		}
		if _, ok := e["s3_key"]; ok {
			t.Errorf("%v: s3_key logged although log_keys is off", c.r)
		}
		if in := num(e, "s3_bytes_in"); in != c.in {
			t.Errorf("%v: s3_bytes_in %v, want %v", c.r, in, c.in)
		}
		if out := num(e, "s3_bytes_out"); out < c.outMin || out > c.outMax {
			t.Errorf("%v: s3_bytes_out %v, want %v..%v", c.r, out, c.outMin, c.outMax)
		}
		if ak, _ := e["s3_access_key"].(string); ak != c.accessKey {
			t.Errorf("%v: s3_access_key %q, want %q", c.r, ak, c.accessKey)
		}
	}
}

// waitAccessLog waits until the access log has at least n entries for
// which match is true and returns them.
func waitAccessLog(t *testing.T, match func(map[string]any) bool, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(srv.accessLog)
		var out []map[string]any
		for line := range bytes.SplitSeq(b, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var e map[string]any
			if json.Unmarshal(line, &e) == nil && match(e) {
				out = append(out, e)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				t.Fatalf("access log has %d matching entries, want %d", len(out), n)
			}
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}
