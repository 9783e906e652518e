package caddys3

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddys3/caddys3/cloudstack"
	"github.com/caddys3/caddys3/credcache"
)

// counterValue sums the samples of the named metric whose labels include
// want.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func TestRegisterMetricsTwiceSharesCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := registerMetrics(reg, newS3Metrics())
	if err != nil {
		t.Fatal(err)
	}
	// A second handler of the same config, with its own fresh collectors:
	// it must get the first one's, not an error.
	b, err := registerMetrics(reg, newS3Metrics())
	if err != nil {
		t.Fatalf("second registration: %v", err)
	}
	if a.requests != b.requests || a.duration != b.duration || a.uploads != b.uploads ||
		a.bytesReceived != b.bytesReceived || a.bytesSent != b.bytesSent ||
		a.cacheHits != b.cacheHits || a.cacheMisses != b.cacheMisses || a.dbErrors != b.dbErrors {
		t.Fatal("the second registration did not reuse the registered collectors")
	}
	a.requests.WithLabelValues("GetObject", "OK").Inc()
	b.requests.WithLabelValues("GetObject", "OK").Inc()
	if got := counterValue(t, reg, "caddy_s3_requests_total", map[string]string{"operation": "GetObject", "code": "OK"}); got != 2 {
		t.Fatalf("requests_total = %v, want 2", got)
	}
	// The process-wide set goes into a new registry per config load.
	for range 2 {
		if _, err := registerMetrics(prometheus.NewRegistry(), processMetrics); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := registerMetrics(reg, processMetrics); err != nil {
		t.Fatalf("process metrics into a registry holding other collectors: %v", err)
	}
}

// TestProvisionTwiceOneRegistry provisions two handlers in one Caddy
// context (two s3 handlers of one config) and checks both count into the
// context's registry.
func TestProvisionTwiceOneRegistry(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	var hs []*Handler
	for range 2 {
		h := &Handler{Root: t.TempDir()}
		if err := h.Provision(ctx); err != nil {
			t.Fatal(err)
		}
		defer h.Cleanup()
		hs = append(hs, h)
	}
	if hs[0].metrics.requests != hs[1].metrics.requests {
		t.Fatal("two handlers of one config do not share collectors")
	}
	reg := ctx.GetMetricsRegistry()
	before := counterValue(t, reg, "caddy_s3_requests_total", map[string]string{"operation": "ListBuckets", "code": "AccessDenied"})
	for _, h := range hs {
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, httptest.NewRequest("GET", "http://s3.test/", nil), nil)
	}
	if got := counterValue(t, reg, "caddy_s3_requests_total", map[string]string{"operation": "ListBuckets", "code": "AccessDenied"}) - before; got != 2 {
		t.Fatalf("anonymous ListBuckets counted %v times, want 2", got)
	}
}

// TestMetricsLabelsBounded drives requests with many buckets, keys and an
// access key through the handler and requires that no label carries them.
func TestMetricsLabelsBounded(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	reg := prometheus.NewRegistry()
	m, err := registerMetrics(reg, newS3Metrics())
	if err != nil {
		t.Fatal(err)
	}
	h.metrics = m
	var secretish []string
	for i := range 5 {
		b := "bucket-labels-" + string(rune('a'+i))
		k := "key-labels-" + string(rune('a'+i))
		secretish = append(secretish, b, k)
		mustStatus(t, serveSigned(t, h, "PUT", "/"+b, nil), 200)
		mustStatus(t, serveSigned(t, h, "PUT", "/"+b+"/"+k, []byte("hello")), 200)
		mustStatus(t, serveSigned(t, h, "GET", "/"+b+"/"+k, nil), 200)
		mustStatus(t, serveSigned(t, h, "GET", "/"+b+"/missing-"+k, nil), 404)
	}
	secretish = append(secretish, serveTestKey, serveTestSecret)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"operation": true, "code": true}
	series := 0
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			series++
			for _, lp := range mt.GetLabel() {
				if !allowed[lp.GetName()] {
					t.Errorf("%s has label %q", mf.GetName(), lp.GetName())
				}
				for _, s := range secretish {
					if strings.Contains(lp.GetValue(), s) {
						t.Errorf("%s label %s=%q carries %q", mf.GetName(), lp.GetName(), lp.GetValue(), s)
					}
				}
			}
		}
	}
	if series == 0 {
		t.Fatal("no series gathered")
	}
	want := map[[2]string]float64{
		{"CreateBucket", "OK"}: 5, {"PutObject", "OK"}: 5, {"GetObject", "OK"}: 5, {"GetObject", "NoSuchKey"}: 5,
	}
	for lv, n := range want {
		if got := counterValue(t, reg, "caddy_s3_requests_total", map[string]string{"operation": lv[0], "code": lv[1]}); got != n {
			t.Errorf("requests_total{%s,%s} = %v, want %v", lv[0], lv[1], got, n)
		}
	}
	if got := counterValue(t, reg, "caddy_s3_received_bytes_total", map[string]string{"operation": "PutObject"}); got != 25 {
		t.Errorf("received_bytes_total{PutObject} = %v, want 25", got)
	}
	if got := counterValue(t, reg, "caddy_s3_sent_bytes_total", map[string]string{"operation": "GetObject"}); got < 25 {
		t.Errorf("sent_bytes_total{GetObject} = %v, want at least 25 (bodies and error XML)", got)
	}
	if got := counterValue(t, reg, "caddy_s3_request_duration_seconds", map[string]string{"operation": "GetObject"}); got != 10 {
		t.Errorf("request_duration_seconds{GetObject} count = %v, want 10", got)
	}
	if got := counterValue(t, reg, "caddy_s3_uploads_in_flight", nil); got != 0 {
		t.Errorf("uploads_in_flight = %v after all uploads ended", got)
	}
}

// readFromRecorder is a ResponseWriter with ReadFrom, standing in for
// net/http's (sendfile) writer.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	readFrom int
	gotFile  bool
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.readFrom++
	_, r.gotFile = src.(*os.File)
	return io.Copy(r.ResponseRecorder.Body, src)
}

// TestCountingWriterKeepsReaderFrom: the wrapper must still be an
// io.ReaderFrom and hand the *os.File itself to the wrapped ReadFrom, so
// sendBody keeps net/http's sendfile path.
func TestCountingWriterKeepsReaderFrom(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "obj"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	inner := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
	cw := &countingWriter{ResponseWriter: inner}
	var w http.ResponseWriter = cw
	if _, ok := w.(io.ReaderFrom); !ok {
		t.Fatal("countingWriter is not an io.ReaderFrom")
	}
	if err := sendBody(w, f, int64(len(data)), true); err != nil {
		t.Fatal(err)
	}
	if inner.readFrom != 1 || !inner.gotFile {
		t.Fatalf("wrapped ReadFrom called %d times, got the *os.File: %v", inner.readFrom, inner.gotFile)
	}
	if cw.n.Load() != int64(len(data)) || !bytes.Equal(inner.Body.Bytes(), data) {
		t.Fatalf("counted %d bytes, sent %d, want %d", cw.n.Load(), inner.Body.Len(), len(data))
	}
	// Without ReadFrom below, it copies; Unwrap serves ResponseController.
	plain := httptest.NewRecorder()
	cw2 := &countingWriter{ResponseWriter: plain}
	if n, err := cw2.ReadFrom(strings.NewReader("abc")); n != 3 || err != nil || plain.Body.String() != "abc" || cw2.n.Load() != 3 {
		t.Fatalf("fallback ReadFrom: %d %v %q", n, err, plain.Body.String())
	}
	if err := http.NewResponseController(cw2).Flush(); err != nil {
		t.Fatalf("Flush through Unwrap: %v", err)
	}
}

// TestCloudStackObserverCounts: a CloudStack provider whose database is
// unreachable reports misses and database errors to the metrics.
func TestCloudStackObserverCounts(t *testing.T) {
	dsn, err := cloudstack.NormalizeDSN("u:p@tcp(127.0.0.1:1)/cloud")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs := credcache.New(cloudstack.New(db, cloudstack.Options{}), credcache.Options{Outage: cloudstack.IsOutage})
	reg := prometheus.NewRegistry()
	m, err := registerMetrics(reg, newS3Metrics())
	if err != nil {
		t.Fatal(err)
	}
	cs.SetObserver(m.credentialEvent)
	for range 2 {
		if _, err := cs.Lookup(context.Background(), "AKIANOSUCHKEY"); err == nil {
			t.Fatal("lookup against an unreachable database succeeded")
		}
	}
	if got := counterValue(t, reg, "caddy_s3_credential_cache_misses_total", nil); got != 2 {
		t.Errorf("cache misses = %v, want 2", got)
	}
	if got := counterValue(t, reg, "caddy_s3_credential_db_errors_total", nil); got != 1 {
		t.Errorf("db errors = %v, want 1 (the second lookup falls in the retry pause)", got)
	}
	if got := counterValue(t, reg, "caddy_s3_credential_cache_hits_total", nil); got != 0 {
		t.Errorf("cache hits = %v, want 0", got)
	}
}

func TestCaddyfileLogKeys(t *testing.T) {
	for in, want := range map[string]bool{
		"s3 {\n root /x\n}":                false,
		"s3 {\n root /x\n log_keys\n}":     true,
		"s3 {\n root /x\n log_keys on\n}":  true,
		"s3 {\n root /x\n log_keys off\n}": false,
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if h.LogKeys != want {
			t.Errorf("%q: LogKeys = %v, want %v", in, h.LogKeys, want)
		}
	}
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("s3 {\n root /x\n log_keys maybe\n}")); err == nil {
		t.Error("log_keys maybe accepted")
	}
}
