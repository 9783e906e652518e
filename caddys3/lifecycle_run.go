package caddys3

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/lifecycle"
	"github.com/caddys3/caddys3/lifecycle/executor"
)

// LifecycleOptions configure the lifecycle executor (the "lifecycle"
// block of the s3 directive). Every node sharing a root runs the loop;
// the store's lease lets one pass run at a time.
type LifecycleOptions struct {
	// Interval is the pause between passes once every bucket was examined
	// (a pass that stopped at its budget is followed at once by the next).
	// Default 1h.
	Interval caddy.Duration `json:"interval,omitempty"`
	// Rate is how many versions a pass examines per second at most.
	// Default 1000.
	Rate float64 `json:"rate,omitempty"`
	// Budget is how many versions one pass examines at most. Default
	// 100000.
	Budget int `json:"budget,omitempty"`
	// LeaseTTL is how long a node's lease outlives its last renewal.
	// Default 1m.
	LeaseTTL caddy.Duration `json:"lease_ttl,omitempty"`
	// Off stops the executor on this node (rules are still stored and
	// answered; another node sharing the root may run them).
	Off bool `json:"off,omitempty"`
	// TestClockOffsetFile is for TESTS ONLY: a file holding a duration
	// ("720h") added to the clock the rules are judged by, read at each
	// pass, so an end-to-end test can move time. Never set it in
	// production: objects would expire early.
	TestClockOffsetFile string `json:"test_clock_offset_file,omitempty"`
}

// unmarshalLifecycle reads the lifecycle block:
//
//	lifecycle {
//	    interval <duration>
//	    rate <versions-per-second>
//	    budget <versions-per-pass>
//	    lease_ttl <duration>
//	    off
//	    test_clock_offset_file <path>   # TESTS ONLY
//	}
func (h *Handler) unmarshalLifecycle(d *caddyfile.Dispenser) error {
	o := &LifecycleOptions{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "interval":
			err = durationArg(d, &o.Interval)
		case "lease_ttl":
			err = durationArg(d, &o.LeaseTTL)
		case "rate", "budget":
			name := d.Val()
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			var n int
			if _, serr := fmt.Sscan(v, &n); serr != nil || n <= 0 {
				return d.Errf("lifecycle %s: want a positive integer, not %q", name, v)
			}
			if name == "rate" {
				o.Rate = float64(n)
			} else {
				o.Budget = n
			}
		case "off":
			if d.NextArg() {
				return d.ArgErr()
			}
			o.Off = true
		case "test_clock_offset_file":
			if !d.AllArgs(&o.TestClockOffsetFile) {
				return d.ArgErr()
			}
		default:
			return d.Errf("s3: lifecycle: unknown subdirective %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	h.Lifecycle = o
	return nil
}

// lifecycleRuntime is a handler's executor and the loop that drives it.
type lifecycleRuntime struct {
	exec     *executor.Executor
	interval time.Duration
	off      bool
	stop     context.CancelFunc
	done     chan struct{}
}

// keepsOwnUploads tells the store which buckets' uploads their own
// lifecycle rules abort (fsstore.Options.KeepsOwnUploads).
func keepsOwnUploads(b fsstore.BucketInfo) bool {
	c, err := lifecycle.Decode(b.Lifecycle)
	return err == nil && c != nil && c.HasAbortRule()
}

// newLifecycleExecutor builds the executor of o over store.
func newLifecycleExecutor(store *fsstore.Store, o *LifecycleOptions, logger *zap.Logger, obs executor.Observer, changing func(context.Context, fsstore.BucketInfo) (func(), error)) *executor.Executor {
	if o == nil {
		o = &LifecycleOptions{}
	}
	return executor.New(store, executor.Options{
		Rate: o.Rate, Budget: o.Budget, LeaseTTL: time.Duration(o.LeaseTTL),
		Now: testClock(o.TestClockOffsetFile, logger), Observer: obs, Logger: logger, Changing: changing,
	})
}

// testClock is time.Now, moved by the offset in file when one is set
// (LifecycleOptions.TestClockOffsetFile: tests only).
func testClock(file string, logger *zap.Logger) func() time.Time {
	if file == "" {
		return time.Now
	}
	logger.Warn("s3: lifecycle: test_clock_offset_file is set: rules are judged by a test clock (never use this in production)", zap.String("file", file))
	return func() time.Time {
		b, err := os.ReadFile(file)
		if err != nil {
			return time.Now()
		}
		off, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			return time.Now()
		}
		return time.Now().Add(off)
	}
}

// startLifecycle starts the executor loop of the handler's store.
func (h *Handler) startLifecycle(store *fsstore.Store) {
	o := h.Lifecycle
	if o == nil {
		o = &LifecycleOptions{}
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	rt := &lifecycleRuntime{
		exec:     newLifecycleExecutor(store, o, h.logger, h.lcMetrics, h.usageChanging),
		interval: time.Duration(o.Interval),
		off:      o.Off,
		stop:     cancel,
		done:     make(chan struct{}),
	}
	if rt.interval <= 0 {
		rt.interval = time.Hour
	}
	h.lc = rt
	if rt.off {
		close(rt.done)
		return
	}
	go rt.loop(loopCtx, h.logger)
}

// loop runs passes: back to back while a cycle is unfinished, then one
// per interval.
func (rt *lifecycleRuntime) loop(ctx context.Context, logger *zap.Logger) {
	defer close(rt.done)
	for {
		res, err := rt.exec.RunPass(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := rt.interval
		if err == nil && res.Ran && !res.CycleDone {
			wait = 0
		}
		if err != nil {
			logger.Debug("s3: lifecycle pass failed", zap.Error(err))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// stopLifecycle stops the loop and waits for a running pass to stop.
func (h *Handler) stopLifecycle() {
	if h.lc != nil {
		h.lc.stop()
		<-h.lc.done
	}
}

// lifecycleMetrics are the executor's Prometheus collectors. The last
// completed scan is labelled by bucket: operators ask it per bucket, and
// the set is bounded by the buckets that have a configuration.
type lifecycleMetrics struct {
	examined *prometheus.CounterVec // (no labels)
	expired  *prometheus.CounterVec // action
	freed    *prometheus.CounterVec // (no labels)
	duration *prometheus.HistogramVec
	lastScan *prometheus.GaugeVec // bucket
}

func newLifecycleMetrics() *lifecycleMetrics {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: name, Help: help}
	}
	return &lifecycleMetrics{
		examined: prometheus.NewCounterVec(prometheus.CounterOpts(opts("lifecycle_objects_examined_total",
			"Object versions and delete markers examined by lifecycle passes.")), nil),
		expired: prometheus.NewCounterVec(prometheus.CounterOpts(opts("lifecycle_expired_total",
			"What lifecycle rules expired, by action: current (a delete marker or a delete), noncurrent, delete_marker, upload (aborted).")), []string{"action"}),
		freed: prometheus.NewCounterVec(prometheus.CounterOpts(opts("lifecycle_bytes_freed_total",
			"Bytes of object versions removed by lifecycle rules.")), nil),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: "lifecycle_pass_duration_seconds",
			Help:    "Duration of lifecycle passes.",
			Buckets: []float64{.01, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600},
		}, nil),
		lastScan: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("lifecycle_last_completed_scan_timestamp_seconds",
			"When a lifecycle pass last examined the bucket to its end (Unix time).")), []string{"bucket"}),
	}
}

// processLifecycleMetrics is the set every handler of this process
// counts into (as processMetrics, across config reloads).
var processLifecycleMetrics = newLifecycleMetrics()

// lifecycleMetricsOf registers the collectors in reg (nil: unregistered).
func lifecycleMetricsOf(reg prometheus.Registerer) *lifecycleMetrics {
	m := processLifecycleMetrics
	if reg == nil {
		return m
	}
	var errs []error
	return &lifecycleMetrics{
		examined: register(reg, m.examined, &errs),
		expired:  register(reg, m.expired, &errs),
		freed:    register(reg, m.freed, &errs),
		duration: register(reg, m.duration, &errs),
		lastScan: register(reg, m.lastScan, &errs),
	}
}

var _ executor.Observer = (*lifecycleMetrics)(nil)

func (m *lifecycleMetrics) PassDone(r executor.Result) {
	if !r.Ran {
		return
	}
	m.examined.WithLabelValues().Add(float64(r.Examined))
	m.expired.WithLabelValues("current").Add(float64(r.ExpiredCurrent))
	m.expired.WithLabelValues("noncurrent").Add(float64(r.ExpiredVersions))
	m.expired.WithLabelValues("delete_marker").Add(float64(r.ExpiredMarkers))
	m.expired.WithLabelValues("upload").Add(float64(r.AbortedUploads))
	m.freed.WithLabelValues().Add(float64(r.BytesFreed))
	m.duration.WithLabelValues().Observe(r.Duration.Seconds())
}

func (m *lifecycleMetrics) BucketDone(bucket string, at time.Time) {
	m.lastScan.WithLabelValues(bucket).Set(float64(at.Unix()))
}
