package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/lifecycle"
)

var ctx = context.Background()

// world is a store on a temp root and a movable rule clock.
type world struct {
	t      *testing.T
	root   string
	s      *fsstore.Store
	offset time.Duration
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, root: filepath.Join(t.TempDir(), "root")}
	w.s = w.open()
	return w
}

func (w *world) open() *fsstore.Store {
	s, err := fsstore.Open(fsstore.Options{Root: w.root})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { s.Close() })
	return s
}

func (w *world) exec(o Options) *Executor {
	o.Now = func() time.Time { return time.Now().Add(w.offset) }
	o.Rate = 1e6
	return New(w.s, o)
}

// bucket makes a bucket with the rules and versioning ("" for none).
func (w *world) bucket(name, versioning string, rules ...string) {
	w.t.Helper()
	if err := w.s.CreateBucket(ctx, name, "owner"); err != nil {
		w.t.Fatal(err)
	}
	if versioning != "" {
		if err := w.s.SetBucketVersioning(ctx, name, fsstore.VersioningEnabled); err != nil {
			w.t.Fatal(err)
		}
		if versioning == fsstore.VersioningSuspended {
			if err := w.s.SetBucketVersioning(ctx, name, versioning); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	w.bucketRules(name, rules...)
}

func (w *world) put(bucket, key, body string, tags map[string]string) fsstore.ObjectMeta {
	w.t.Helper()
	m, err := w.s.PutObject(ctx, bucket, key, strings.NewReader(body), fsstore.PutOptions{Meta: fsstore.ObjectMeta{Tags: tags}})
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func (w *world) pass(e *Executor) Result {
	w.t.Helper()
	r, err := e.RunPass(ctx)
	if err != nil || !r.Ran {
		w.t.Fatalf("pass: %+v, %v", r, err)
	}
	return r
}

// versions lists a bucket's versions as "key:D" (data) and "key:M"
// (marker), newest first per key.
func (w *world) versions(bucket string) string {
	w.t.Helper()
	r, err := w.s.ListObjectVersions(ctx, bucket, fsstore.ListVersionsOptions{MaxKeys: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range r.Entries {
		kind := "D"
		if e.DeleteMarker {
			kind = "M"
		}
		out = append(out, e.Key+":"+kind)
	}
	return strings.Join(out, " ")
}

func rule(body string) string { return "<Rule><Status>Enabled</Status>" + body + "</Rule>" }

const day = 24 * time.Hour

// Expiration without versioning deletes, by prefix, tag and size; nothing
// before its day.
func TestExpireUnversioned(t *testing.T) {
	w := newWorld(t)
	w.bucket("bkt-b", "",
		rule("<ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>1</Days></Expiration>"),
		rule("<ID>tmp</ID><Filter><Tag><Key>tmp</Key><Value>yes</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>"),
		rule("<ID>big</ID><Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter><Expiration><Days>1</Days></Expiration>"),
	)
	w.put("bkt-b", "logs/a", "x", nil)
	w.put("bkt-b", "keep/a", "x", nil)
	w.put("bkt-b", "keep/tagged", "x", map[string]string{"tmp": "yes"})
	w.put("bkt-b", "keep/other-tag", "x", map[string]string{"tmp": "no"})
	w.put("bkt-b", "keep/large", "123456", nil)
	e := w.exec(Options{})
	if r := w.pass(e); r.ExpiredCurrent != 0 || r.Examined != 5 {
		t.Fatalf("before the day: %+v", r)
	}
	w.offset = 2 * day
	r := w.pass(e)
	if r.ExpiredCurrent != 3 || r.BytesFreed != 8 || !r.CycleDone {
		t.Fatalf("pass: %+v", r)
	}
	if got := w.versions("bkt-b"); got != "keep/a:D keep/other-tag:D" {
		t.Fatalf("left %q", got)
	}
}

// Versioned: the current version gets one delete marker (never two, pass
// after pass); noncurrent versions go NoncurrentDays after they became
// noncurrent, keeping NewerNoncurrentVersions; then the lone marker goes.
func TestExpireVersioned(t *testing.T) {
	w := newWorld(t)
	w.bucket("bkt-v", fsstore.VersioningEnabled,
		rule("<ID>cur</ID><Filter><Prefix>cur/</Prefix></Filter><Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"),
		rule("<ID>nc</ID><Filter><Prefix>x</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"),
		rule("<ID>keep2</ID><Filter><Prefix>k2/</Prefix></Filter><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
		rule("<ID>dm</ID><Filter><Prefix>cur/</Prefix></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
	)
	w.put("bkt-v", "cur/a", "one", nil)
	for i := range 4 {
		w.put("bkt-v", "k2/a", fmt.Sprint(i), nil)
	}
	w.put("bkt-v", "x", "old", nil)
	w.put("bkt-v", "x", "new", nil)
	e := w.exec(Options{})
	w.offset = 2 * day
	r := w.pass(e)
	if r.ExpiredCurrent != 1 || r.ExpiredVersions != 2 || r.ExpiredMarkers != 0 {
		t.Fatalf("pass 1: %+v", r)
	}
	// cur/a: marker over its data; k2/a: current + the 2 newest
	// noncurrent kept; x: its old version gone.
	if got := w.versions("bkt-v"); got != "cur/a:M cur/a:D k2/a:D k2/a:D k2/a:D x:D" {
		t.Fatalf("after pass 1: %q", got)
	}
	if r := w.pass(e); r.ExpiredCurrent != 0 || r.ExpiredMarkers != 0 {
		t.Fatalf("pass 2 expired the current version again, or a marker not alone: %+v", r)
	}
	// cur/a's data went (noncurrent for a day by the moved clock); its
	// marker stays until a pass sees it alone.
	if got := w.versions("bkt-v"); got != "cur/a:M k2/a:D k2/a:D k2/a:D x:D" {
		t.Fatalf("after pass 2: %q", got)
	}
	// cur/a's data became noncurrent at the marker's time (now): a day
	// later it goes, and a pass after that its lone marker.
	w.offset = 4 * day
	w.pass(e)
	w.pass(e)
	if got := w.versions("bkt-v"); got != "k2/a:D k2/a:D k2/a:D x:D" {
		t.Fatalf("after the marker's day: %q", got)
	}
}

// In a Suspended bucket expiring the null current version replaces it
// with a null delete marker.
func TestExpireSuspended(t *testing.T) {
	w := newWorld(t)
	w.bucket("bkt-s", fsstore.VersioningSuspended, rule("<Filter/><Expiration><Days>1</Days></Expiration>"))
	w.put("bkt-s", "a", "12345", nil)
	w.offset = 2 * day
	r := w.pass(w.exec(Options{}))
	if r.ExpiredCurrent != 1 || r.BytesFreed != 5 {
		t.Fatalf("pass: %+v", r)
	}
	if got := w.versions("bkt-s"); got != "a:M" {
		t.Fatalf("left %q", got)
	}
}

// A noncurrent version under retention or legal hold is kept and counted.
func TestLockedVersionsKept(t *testing.T) {
	w := newWorld(t)
	if err := w.s.CreateBucketWith(ctx, "bkt-l", "owner", fsstore.NewBucket{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	w.bucketRules("bkt-l", rule("<Filter/><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"))
	held := w.put("bkt-l", "held", "1", nil)
	w.put("bkt-l", "held", "2", nil)
	retained := w.put("bkt-l", "retained", "1", nil)
	w.put("bkt-l", "retained", "2", nil)
	w.put("bkt-l", "free", "1", nil)
	w.put("bkt-l", "free", "2", nil)
	if err := w.s.SetObjectLegalHold(ctx, "bkt-l", "held", held.VersionID, fsstore.LegalHoldOn); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SetObjectRetention(ctx, "bkt-l", "retained", retained.VersionID, fsstore.LockCompliance, time.Now().Add(365*day), false); err != nil {
		t.Fatal(err)
	}
	w.offset = 10 * day
	r := w.pass(w.exec(Options{}))
	if r.ExpiredVersions != 1 || r.KeptLocked != 2 {
		t.Fatalf("pass: %+v", r)
	}
	if got := w.versions("bkt-l"); got != "free:D held:D held:D retained:D retained:D" {
		t.Fatalf("left %q", got)
	}
}

func (w *world) bucketRules(name string, rules ...string) {
	c, err := lifecycle.Parse([]byte("<LifecycleConfiguration>" + strings.Join(rules, "") + "</LifecycleConfiguration>"))
	if err != nil {
		w.t.Fatal(err)
	}
	doc, _ := c.Encode()
	if err := w.s.SetBucketDoc(ctx, name, fsstore.BucketLifecycle, doc); err != nil {
		w.t.Fatal(err)
	}
}

// A bucket's abort rule aborts its uploads; the server-wide cleanup
// leaves them to it.
func TestAbortUploads(t *testing.T) {
	w := newWorld(t)
	w.bucket("bkt-u", "", rule("<Filter><Prefix>tmp/</Prefix></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"))
	for _, k := range []string{"tmp/a", "keep/a"} {
		if _, err := w.s.CreateMultipartUpload(ctx, "bkt-u", k, fsstore.ObjectMeta{}); err != nil {
			t.Fatal(err)
		}
	}
	w.offset = 2 * day
	if r := w.pass(w.exec(Options{})); r.AbortedUploads != 1 {
		t.Fatalf("pass: %+v", r)
	}
	res, err := w.s.ListMultipartUploads(ctx, "bkt-u", fsstore.ListUploadsOptions{MaxUploads: 10})
	if err != nil || len(res.Uploads) != 1 || res.Uploads[0].Key != "keep/a" {
		t.Fatalf("uploads left %+v, %v", res.Uploads, err)
	}
}

// A pass stops at its budget and the next goes on from the cursor on disk
// (a new executor, as after a restart): every key examined once per cycle.
func TestResumesFromCursor(t *testing.T) {
	w := newWorld(t)
	w.bucket("bkt-a", "", rule("<Filter/><Expiration><Days>1</Days></Expiration>"))
	w.bucket("bkt-b", "", rule("<Filter/><Expiration><Days>1</Days></Expiration>"))
	for i := range 5 {
		w.put("bkt-a", fmt.Sprintf("k%d", i), "x", nil)
		w.put("bkt-b", fmt.Sprintf("k%d", i), "x", nil)
	}
	w.offset = 2 * day
	var total Counts
	passes := 0
	for {
		r := w.pass(w.exec(Options{PageSize: 2, Budget: 2}))
		passes++
		total.Examined += r.Examined
		total.ExpiredCurrent += r.ExpiredCurrent
		if r.CycleDone {
			break
		}
		if passes > 20 {
			t.Fatal("no end")
		}
	}
	if passes < 5 || total.ExpiredCurrent != 10 || total.Examined != 10 {
		t.Fatalf("%d passes, %+v", passes, total)
	}
}

// One lease holder at a time: a second node on the root does not run
// while the first holds the lease, and takes it once that node is gone.
func TestLeaseOneNodeAtATime(t *testing.T) {
	w := newWorld(t)
	other := w.open()
	held, lease, err := w.s.TakeLease(ctx, LeaseName, time.Now(), time.Hour)
	if err != nil || !held {
		t.Fatal(held, err)
	}
	r, err := New(other, Options{}).RunPass(ctx)
	if err != nil || r.Ran || r.Holder != lease.Holder {
		t.Fatalf("second node: %+v, %v", r, err)
	}
	w.s.Close() // its heartbeat goes: the node is dead
	r, err = New(other, Options{}).RunPass(ctx)
	if err != nil || !r.Ran {
		t.Fatalf("takeover: %+v, %v", r, err)
	}
}

// BenchmarkPass measures a pass over a bucket of 5,000 objects whose rule
// is not yet due (every version examined, none expired): the figure is
// examined/s, without the rate limit.
//
//	go test ./lifecycle/executor -run '^$' -bench BenchmarkPass -benchtime 5x
func BenchmarkPass(b *testing.B) {
	t := &testing.T{}
	w := &world{t: t, root: filepath.Join(b.TempDir(), "root")}
	s, err := fsstore.Open(fsstore.Options{Root: w.root})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w.s = s
	w.bucket("bench", fsstore.VersioningEnabled, rule("<Filter/><Expiration><Days>30</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration>"))
	const n = 5000
	for i := range n {
		w.put("bench", fmt.Sprintf("dir%02d/key%05d", i%50, i), "body", nil)
	}
	e := w.exec(Options{Budget: 1 << 30})
	b.ResetTimer()
	var examined int64
	for range b.N {
		r, err := e.RunPass(ctx)
		if err != nil || r.Examined != n {
			b.Fatalf("%+v, %v", r, err)
		}
		examined += r.Examined
	}
	b.ReportMetric(float64(examined)/b.Elapsed().Seconds(), "examined/s")
}
