package caddys3

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/credcache"
)

// s3Metrics are the handler's Prometheus collectors. Labels are bounded:
// the operation (a fixed set of Op values) and the S3 error code (a fixed
// set, or "OK"); never a bucket, key or access key.
type s3Metrics struct {
	requests      *prometheus.CounterVec   // operation, code
	duration      *prometheus.HistogramVec // operation
	bytesReceived *prometheus.CounterVec   // operation
	bytesSent     *prometheus.CounterVec   // operation
	uploads       prometheus.Gauge
	cacheHits     prometheus.Counter
	cacheMisses   prometheus.Counter
	dbErrors      prometheus.Counter
}

const metricsNamespace, metricsSubsystem = "caddy", "s3"

// newS3Metrics returns a fresh, unregistered set of collectors.
func newS3Metrics() *s3Metrics {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: name, Help: help}
	}
	return &s3Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(opts("requests_total",
			"S3 requests answered, by operation and S3 error code (OK for success).")), []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: "request_duration_seconds",
			Help:    "Time to answer an S3 request, by operation.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"operation"}),
		bytesReceived: prometheus.NewCounterVec(prometheus.CounterOpts(opts("received_bytes_total",
			"Request body bytes read by the S3 handler, by operation.")), []string{"operation"}),
		bytesSent: prometheus.NewCounterVec(prometheus.CounterOpts(opts("sent_bytes_total",
			"Response body bytes written by the S3 handler, by operation.")), []string{"operation"}),
		uploads: prometheus.NewGauge(prometheus.GaugeOpts(opts("uploads_in_flight",
			"PutObject, UploadPart and POST uploads in progress."))),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts(opts("credential_cache_hits_total",
			"CloudStack credential lookups answered from the cache."))),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts(opts("credential_cache_misses_total",
			"CloudStack credential lookups that needed the database (or its outage answer)."))),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts(opts("credential_db_errors_total",
			"Failed reads of the CloudStack credential database."))),
	}
}

// processMetrics is the set every handler of this process counts into, so
// counters keep growing across config reloads (Caddy makes a new registry
// per load; these are registered into each).
var processMetrics = newS3Metrics()

// registerMetrics registers m's collectors in reg and returns the set to
// count into: where reg already holds a collector of that name (another s3
// handler of the same config registered it), that one is reused. A nil reg
// returns m unregistered.
func registerMetrics(reg prometheus.Registerer, m *s3Metrics) (*s3Metrics, error) {
	if reg == nil {
		return m, nil
	}
	var errs []error
	out := &s3Metrics{
		requests:      register(reg, m.requests, &errs),
		duration:      register(reg, m.duration, &errs),
		bytesReceived: register(reg, m.bytesReceived, &errs),
		bytesSent:     register(reg, m.bytesSent, &errs),
		uploads:       register(reg, m.uploads, &errs),
		cacheHits:     register(reg, m.cacheHits, &errs),
		cacheMisses:   register(reg, m.cacheMisses, &errs),
		dbErrors:      register(reg, m.dbErrors, &errs),
	}
	return out, errors.Join(errs...)
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C, errs *[]error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	*errs = append(*errs, err)
	return c // still counts, just not exported
}

// provisionMetrics registers the collectors in this config's registry and
// connects the credential caches' counters (the cloudstack source's).
func (h *Handler) provisionMetrics(ctx caddy.Context, p auth.Provider) {
	m, err := registerMetrics(ctx.GetMetricsRegistry(), processMetrics)
	if err != nil {
		h.logger.Warn("s3: registering metrics", zap.Error(err))
	}
	h.metrics = m
	providers := []auth.Provider{p}
	if ch, ok := p.(auth.Chain); ok {
		providers = ch
	}
	for _, p := range providers {
		if c, ok := p.(cacheObservable); ok {
			c.SetObserver(m.credentialEvent)
		}
	}
}

// cacheObservable is a credential source with a credcache.Cache, such as
// s3.credentials.cloudstack.
type cacheObservable interface {
	SetObserver(func(credcache.Event))
}

// credentialEvent counts a credential cache's hit, miss or source error
// (for CloudStack, a failed database read).
func (m *s3Metrics) credentialEvent(ev credcache.Event) {
	switch ev {
	case credcache.Hit:
		m.cacheHits.Inc()
	case credcache.Miss:
		m.cacheMisses.Inc()
	case credcache.SourceError:
		m.dbErrors.Inc()
	}
}

// observe records a finished request: metrics, the access log's byte and
// access-key fields and the http.s3.access_key placeholder.
func (h *Handler) observe(req *request, w *countingWriter, body *countingBody, start time.Time) {
	code := string(req.code)
	if code == "" {
		code = "OK"
	}
	op := string(req.op.name)
	in, out := body.n.Load(), w.n.Load()
	if m := h.metrics; m != nil {
		m.requests.WithLabelValues(op, code).Inc()
		m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
		m.bytesReceived.WithLabelValues(op).Add(float64(in))
		m.bytesSent.WithLabelValues(op).Add(float64(out))
	}
	if extra, ok := req.ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Add(zap.Int64("s3_bytes_in", in))
		extra.Add(zap.Int64("s3_bytes_out", out))
	}
	if repl, ok := req.ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.s3.access_key", req.who.AccessKeyID)
		repl.Set("http.s3.error", string(req.code))
	}
}

// uploadStarted counts op in the in-flight uploads gauge when it is an
// upload; the returned func ends it.
func (h *Handler) uploadStarted(op *operation) func() {
	m := h.metrics
	if m == nil || !op.upload {
		return func() {}
	}
	m.uploads.Inc()
	return m.uploads.Dec
}

// keyLogField is the access log's view of the key: its length in bytes,
// or the key itself with log_keys.
func (h *Handler) keyLogField(key string) zap.Field {
	if h.LogKeys {
		return zap.String("s3_key", key)
	}
	return zap.Int("s3_key_length", len(key))
}

// countingWriter counts response body bytes. It keeps io.ReaderFrom (so a
// GET still reaches net/http's sendfile path, see sendBody) and Unwrap (so
// http.NewResponseController finds Flush and deadlines).
type countingWriter struct {
	http.ResponseWriter
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// ReadFrom hands r unchanged to the wrapped writer's ReadFrom.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	var err error
	if rf, ok := c.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(c.ResponseWriter, r)
	}
	c.n.Add(n)
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// countingBody counts request body bytes read and remembers how the
// reading went (see bodyio.go): whether it started, reached EOF or failed.
// A transport error (timeout, bad chunking, short body) is returned as a
// *clientBodyError, so it maps to an S3 client error wherever it surfaces.
type countingBody struct {
	io.ReadCloser
	n     atomic.Int64
	state bodyState
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, c.state.record(err)
}

// Close leaves the request body to net/http, which closes it after the
// handler (reading what is left, or closing the connection). Closing it
// here, before the answer, made net/http drain up to 256 KiB of a body
// the client had not sent yet: a request with "Expect: 100-continue"
// refused before its body was read got no answer until a timeout.
func (c *countingBody) Close() error { return nil }

// countRequestBody replaces r.Body with a counting one.
func countRequestBody(r *http.Request) *countingBody {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	cb := &countingBody{ReadCloser: body}
	r.Body = cb
	return cb
}
