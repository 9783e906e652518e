package caddys3

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/caddys3/caddys3/s3err"
)

// exportedMetricNames are the series names newS3Metrics exports, with a
// histogram's _bucket, _sum and _count.
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := registerMetrics(reg, newS3Metrics())
	if err != nil {
		t.Fatal(err)
	}
	// Vectors are gathered only once they have a child.
	m.requests.WithLabelValues("x", "OK").Inc()
	m.duration.WithLabelValues("x").Observe(1)
	m.bytesReceived.WithLabelValues("x").Add(1)
	m.bytesSent.WithLabelValues("x").Add(1)
	lc := newLifecycleMetrics()
	for _, c := range []prometheus.Collector{lc.examined, lc.expired, lc.freed, lc.duration, lc.lastScan} {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	lc.examined.WithLabelValues().Inc()
	lc.expired.WithLabelValues("current").Inc()
	lc.freed.WithLabelValues().Inc()
	lc.duration.WithLabelValues().Observe(1)
	lc.lastScan.WithLabelValues("b").Set(1)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		}
	}
	if len(names) < 8 {
		t.Fatalf("gathered only %v", names)
	}
	return names
}

var (
	metricRef   = regexp.MustCompile(`\bcaddy_s3_[a-z0-9_]+`)
	codeMatcher = regexp.MustCompile(`code\s*(=~|!~|=|!=)\s*"([^"]*)"`)
)

// checkExprs checks the metric names and S3 codes a set of PromQL
// expressions uses: every caddy_s3_* name is exported, every code exists.
func checkExprs(t *testing.T, file string, exprs []string, names map[string]bool) {
	t.Helper()
	if len(exprs) == 0 {
		t.Fatalf("%s: no expressions found", file)
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricRef.FindAllString(e, -1) {
			used[n] = true
			if !names[n] {
				t.Errorf("%s: %q uses %s, which caddys3/metrics.go does not export", file, e, n)
			}
		}
		for _, m := range codeMatcher.FindAllStringSubmatch(e, -1) {
			for _, c := range strings.Split(m[2], "|") {
				if _, ok := s3err.Lookup(s3err.Code(c)); !ok && c != "OK" {
					t.Errorf("%s: code %q is no S3 error code of s3err", file, c)
				}
			}
		}
	}
	if len(used) == 0 {
		t.Errorf("%s: uses no caddy_s3_* metric", file)
	}
}

// The Grafana dashboard parses and every metric it queries exists.
func TestGrafanaDashboardMetrics(t *testing.T) {
	const file = "../docs/grafana/caddys3.json"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	names := exportedMetricNames(t)
	checkExprs(t, file, exprs, names)
	// Every metric the handler exports is on the dashboard.
	all := strings.Join(exprs, "\n")
	for n := range names {
		if !strings.Contains(all, n) && !strings.HasSuffix(n, "_seconds") && !strings.HasSuffix(n, "_bucket") {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
}

// The alerting rules parse, use only exported metrics and real codes, and
// the 5xx rule names exactly the 5xx codes (but NotImplemented).
func TestPrometheusAlertRules(t *testing.T) {
	const file = "../docs/prometheus/caddys3-alerts.yml"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var exprs []string
	alerts := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v: alert, expr, severity and summary are required", r)
			}
			exprs = append(exprs, r.Expr)
			alerts[r.Alert] = r.Expr
		}
	}
	checkExprs(t, file, exprs, exportedMetricNames(t))
	for _, a := range []string{"CaddyS3HighErrorRatio", "CaddyS3ServerErrors", "CaddyS3CredentialDatabaseErrors", "CaddyS3DiskAlmostFull"} {
		if alerts[a] == "" {
			t.Errorf("no alert %s", a)
		}
	}
	var want []string
	for _, c := range s3err.Codes() {
		if row, _ := s3err.Lookup(c); row.Status >= 500 && c != s3err.NotImplemented {
			want = append(want, string(c))
		}
	}
	slices.Sort(want)
	m := codeMatcher.FindStringSubmatch(alerts["CaddyS3ServerErrors"])
	if m == nil || m[1] != "=~" {
		t.Fatalf("CaddyS3ServerErrors has no code=~ matcher: %s", alerts["CaddyS3ServerErrors"])
	}
	got := strings.Split(m[2], "|")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("CaddyS3ServerErrors matches codes %v, want the 5xx codes %v", got, want)
	}
}
