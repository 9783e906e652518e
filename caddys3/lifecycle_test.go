package caddys3

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddys3/caddys3/lifecycle/executor"
)

func TestLifecycleCaddyfile(t *testing.T) {
	h := new(Handler)
	d := caddyfile.NewTestDispenser(`s3 {
		root /srv
		lifecycle {
			interval 10m
			rate 200
			budget 5000
			lease_ttl 30s
			test_clock_offset_file /tmp/clock
		}
	}`)
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	want := LifecycleOptions{Interval: caddy.Duration(10 * time.Minute), Rate: 200, Budget: 5000,
		LeaseTTL: caddy.Duration(30 * time.Second), TestClockOffsetFile: "/tmp/clock"}
	if h.Lifecycle == nil || *h.Lifecycle != want {
		t.Fatalf("got %+v", h.Lifecycle)
	}
	for _, bad := range []string{"rate 0", "rate x", "budget", "speed 3", "off now"} {
		err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser("s3 {\n lifecycle {\n " + bad + "\n }\n}"))
		if err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The metrics count what passes report, and the last completed scan per
// bucket.
func TestLifecycleMetrics(t *testing.T) {
	m := newLifecycleMetrics()
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{m.examined, m.expired, m.freed, m.duration, m.lastScan} {
		reg.MustRegister(c)
	}
	m.PassDone(executor.Result{Ran: true, Counts: executor.Counts{Examined: 7, ExpiredCurrent: 2, ExpiredVersions: 1, BytesFreed: 99}, Duration: time.Second})
	m.PassDone(executor.Result{Ran: false, Counts: executor.Counts{Examined: 1000}})
	m.BucketDone("logs", time.Unix(1700000000, 0))
	want := `
# HELP caddy_s3_lifecycle_objects_examined_total Object versions and delete markers examined by lifecycle passes.
# TYPE caddy_s3_lifecycle_objects_examined_total counter
caddy_s3_lifecycle_objects_examined_total 7
# HELP caddy_s3_lifecycle_bytes_freed_total Bytes of object versions removed by lifecycle rules.
# TYPE caddy_s3_lifecycle_bytes_freed_total counter
caddy_s3_lifecycle_bytes_freed_total 99
# HELP caddy_s3_lifecycle_last_completed_scan_timestamp_seconds When a lifecycle pass last examined the bucket to its end (Unix time).
# TYPE caddy_s3_lifecycle_last_completed_scan_timestamp_seconds gauge
caddy_s3_lifecycle_last_completed_scan_timestamp_seconds{bucket="logs"} 1.7e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "caddy_s3_lifecycle_objects_examined_total",
		"caddy_s3_lifecycle_bytes_freed_total", "caddy_s3_lifecycle_last_completed_scan_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.expired.WithLabelValues("current")); got != 2 {
		t.Fatalf("expired current %v", got)
	}
}
