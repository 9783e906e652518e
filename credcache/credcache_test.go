package credcache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddys3/caddys3/auth"
)

// clock is an adjustable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSource is a provider whose keys and availability the test changes.
type fakeSource struct {
	mu    sync.Mutex
	keys  map[string]auth.Credential
	errs  map[string]error // answers other than "unknown" for a key
	down  bool
	calls int
	// block, when set, holds every lookup until it is closed.
	block chan struct{}
	ctxs  chan context.Context
}

func newSource() *fakeSource {
	return &fakeSource{keys: map[string]auth.Credential{}, errs: map[string]error{}}
}

func (f *fakeSource) Lookup(ctx context.Context, key string) (auth.Credential, error) {
	f.mu.Lock()
	f.calls++
	block, ctxs := f.block, f.ctxs
	f.mu.Unlock()
	if ctxs != nil {
		ctxs <- ctx
	}
	if block != nil {
		<-block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return auth.Credential{}, fmt.Errorf("%w: connection refused", auth.ErrCredentialsUnavailable)
	case f.errs[key] != nil:
		return auth.Credential{}, f.errs[key]
	}
	if c, ok := f.keys[key]; ok {
		return c, nil
	}
	return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, key)
}

func (f *fakeSource) set(fn func(*fakeSource)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *fakeSource) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// events counts what the observer was told.
type events struct{ hit, miss, srcErr atomic.Int64 }

func (e *events) observe(ev Event) {
	switch ev {
	case Hit:
		e.hit.Add(1)
	case Miss:
		e.miss.Add(1)
	case SourceError:
		e.srcErr.Add(1)
	}
}

var errKeyOnly = errors.New("secret cannot be decrypted")

// step is one action of a scenario: change the source or the clock, then
// look a key up and check the answer, the source calls and the events.
type step struct {
	advance time.Duration
	source  func(*fakeSource)
	key     string
	// want: "ok" (the secret is checked), or the sentinel the error wraps.
	want       string
	secret     string
	calls      int // source calls made by this step
	hit, miss  int64
	sourceErrs int64
}

var wantErr = map[string]error{
	"invalid":     auth.ErrInvalidAccessKeyID,
	"denied":      auth.ErrAccessDenied,
	"unavailable": auth.ErrCredentialsUnavailable,
}

func TestCacheScenarios(t *testing.T) {
	opts := Options{TTL: 10 * time.Second, NegativeTTL: 2 * time.Second, GracePeriod: time.Minute, RetryAfter: time.Second}
	alice := auth.Credential{AccessKeyID: "alice", Secret: "s1", Owner: "acct-a"}
	disable := func(f *fakeSource) { delete(f.keys, "alice") }
	enable := func(f *fakeSource) { f.keys["alice"] = alice }
	down := func(f *fakeSource) { f.down = true }
	up := func(f *fakeSource) { f.down = false }
	cases := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{"positive answers are cached for the TTL", opts, []step{
			{key: "alice", want: "ok", secret: "s1", calls: 1, miss: 1},
			{advance: 9 * time.Second, key: "alice", want: "ok", secret: "s1", hit: 1},
			{advance: time.Second, key: "alice", want: "ok", secret: "s1", calls: 1, miss: 1},
		}},
		{"a disabled key works until the TTL ends", opts, []step{
			{key: "alice", want: "ok", calls: 1, miss: 1},
			{source: disable, advance: 9 * time.Second, key: "alice", want: "ok", hit: 1},
			{advance: 2 * time.Second, key: "alice", want: "invalid", calls: 1, miss: 1},
		}},
		{"negative answers are cached for the negative TTL", opts, []step{
			{source: disable, key: "alice", want: "invalid", calls: 1, miss: 1},
			{source: enable, advance: time.Second, key: "alice", want: "invalid", hit: 1},
			{advance: time.Second, key: "alice", want: "ok", calls: 1, miss: 1},
		}},
		{"the negative TTL is at most the TTL", Options{TTL: time.Second, NegativeTTL: time.Hour}, []step{
			{source: disable, key: "alice", want: "invalid", calls: 1, miss: 1},
			{source: enable, advance: time.Second, key: "alice", want: "ok", calls: 1, miss: 1},
		}},
		{"refusals other than unknown keys are cached too", opts, []step{
			{source: func(f *fakeSource) { f.errs["alice"] = fmt.Errorf("%w: read-only", auth.ErrAccessDenied) },
				key: "alice", want: "denied", calls: 1, miss: 1},
			{key: "alice", want: "denied", hit: 1},
		}},
		{"grace period while the source is down", opts, []step{
			{key: "alice", want: "ok", calls: 1, miss: 1},
			{source: down, advance: 11 * time.Second, key: "alice", want: "ok", secret: "s1", calls: 1, miss: 1, sourceErrs: 1},
			// Within RetryAfter the source is not asked again.
			{key: "bob", want: "unavailable", miss: 1},
			{key: "alice", want: "ok", miss: 1},
			{advance: time.Second, key: "bob", want: "unavailable", calls: 1, miss: 1, sourceErrs: 1},
			// Past the grace period (counted from the last confirmation).
			{advance: 50 * time.Second, key: "alice", want: "unavailable", calls: 1, miss: 1, sourceErrs: 1},
			{source: up, advance: time.Second, key: "alice", want: "ok", calls: 1, miss: 1},
			{key: "bob", want: "invalid", calls: 1, miss: 1},
		}},
		{"a refused key stays refused while the source is down", opts, []step{
			{source: disable, key: "alice", want: "invalid", calls: 1, miss: 1},
			{source: down, advance: 3 * time.Second, key: "alice", want: "invalid", calls: 1, miss: 1, sourceErrs: 1},
		}},
		{"the default outage test is ErrCredentialsUnavailable", opts, []step{
			{source: func(f *fakeSource) {
				f.errs["alice"] = fmt.Errorf("%w: %w", auth.ErrCredentialsUnavailable, errKeyOnly)
			},
				key: "alice", want: "unavailable", calls: 1, miss: 1, sourceErrs: 1},
			{key: "bob", want: "unavailable", miss: 1}, // RetryAfter pause
		}},
		{"a custom outage test keeps key-specific errors per key", Options{
			TTL: 10 * time.Second, NegativeTTL: 2 * time.Second, RetryAfter: time.Second,
			Outage: func(err error) bool {
				return errors.Is(err, auth.ErrCredentialsUnavailable) && !errors.Is(err, errKeyOnly)
			},
		}, []step{
			{source: func(f *fakeSource) {
				f.errs["alice"] = fmt.Errorf("%w: %w", auth.ErrCredentialsUnavailable, errKeyOnly)
			},
				key: "alice", want: "unavailable", calls: 1, miss: 1},
			{key: "alice", want: "unavailable", hit: 1}, // negative entry
			{key: "bob", want: "invalid", calls: 1, miss: 1},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource()
			src.keys["alice"] = alice
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			o := tc.opts
			o.Now = clk.Now
			c := New(src, o)
			var ev events
			c.SetObserver(ev.observe)
			for i, s := range tc.steps {
				if s.source != nil {
					src.set(s.source)
				}
				clk.Add(s.advance)
				calls, hit, miss, srcErr := src.callCount(), ev.hit.Load(), ev.miss.Load(), ev.srcErr.Load()
				cred, err := c.Lookup(context.Background(), s.key)
				if s.want == "ok" {
					if err != nil || (s.secret != "" && cred.Secret != s.secret) {
						t.Fatalf("step %d (%s): %+v %v", i, s.key, cred, err)
					}
				} else if !errors.Is(err, wantErr[s.want]) || cred.Secret != "" {
					t.Fatalf("step %d (%s): got %v (secret %v), want %s", i, s.key, err, cred.Secret != "", s.want)
				}
				if got := src.callCount() - calls; got != s.calls {
					t.Errorf("step %d: %d source calls, want %d", i, got, s.calls)
				}
				if h, m, e := ev.hit.Load()-hit, ev.miss.Load()-miss, ev.srcErr.Load()-srcErr; h != s.hit || m != s.miss || e != s.sourceErrs {
					t.Errorf("step %d: events hit %d miss %d source errors %d, want %d %d %d", i, h, m, e, s.hit, s.miss, s.sourceErrs)
				}
			}
		})
	}
}

// TestCacheSingleflight: concurrent lookups of one uncached key make one
// source call, and every caller gets its answer.
func TestCacheSingleflight(t *testing.T) {
	src := newSource()
	src.keys["k"] = auth.Credential{AccessKeyID: "k", Secret: "s"}
	src.block = make(chan struct{})
	c := New(src, Options{})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 64 {
		wg.Go(func() {
			if cred, err := c.Lookup(context.Background(), "k"); err != nil || cred.Secret != "s" {
				failed.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers join the flight
	close(src.block)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d lookups failed", failed.Load())
	}
	if n := src.callCount(); n != 1 {
		t.Fatalf("%d source calls, want 1", n)
	}
}

// TestCacheCallerContext: a caller whose context ends stops waiting with
// ErrCredentialsUnavailable; the source's lookup goes on without that
// cancellation and fills the cache for the next caller.
func TestCacheCallerContext(t *testing.T) {
	src := newSource()
	src.keys["k"] = auth.Credential{AccessKeyID: "k", Secret: "s"}
	src.block = make(chan struct{})
	src.ctxs = make(chan context.Context, 1)
	c := New(src, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Lookup(ctx, "k")
		done <- err
	}()
	srcCtx := <-src.ctxs
	cancel()
	if err := <-done; !errors.Is(err, auth.ErrCredentialsUnavailable) {
		t.Fatalf("cancelled caller: %v", err)
	}
	if srcCtx.Err() != nil {
		t.Fatal("the caller's cancellation reached the source")
	}
	src.set(func(f *fakeSource) { f.ctxs = nil })
	close(src.block)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.RLock()
		e := c.entries["k"]
		c.mu.RUnlock()
		if e != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned lookup did not fill the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cred, err := c.Lookup(context.Background(), "k"); err != nil || cred.Secret != "s" || src.callCount() != 1 {
		t.Fatalf("after the flight: %+v %v, %d calls", cred, err, src.callCount())
	}
}

// TestCacheBounds: the cache never holds more than MaxEntries, keeps the
// positive entries when dropping negative ones is enough, and passes
// over-long keys to the source uncached.
func TestCacheBounds(t *testing.T) {
	src := newSource()
	for i := range 3 {
		k := fmt.Sprint("good", i)
		src.keys[k] = auth.Credential{AccessKeyID: k, Secret: "s"}
	}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := New(src, Options{MaxEntries: 5, MaxKeyLength: 10, Now: clk.Now})
	ctx := context.Background()
	for i := range 3 {
		c.Lookup(ctx, fmt.Sprint("good", i))
	}
	for i := range 10 {
		c.Lookup(ctx, fmt.Sprint("bad", i))
		if n := len(c.entries); n > 5 {
			t.Fatalf("%d entries, max 5", n)
		}
	}
	for i := range 3 {
		if c.entries[fmt.Sprint("good", i)] == nil {
			t.Errorf("positive entry good%d dropped while negative ones were there", i)
		}
	}
	long := strings.Repeat("x", 11)
	calls := src.callCount()
	var ev events
	c.SetObserver(ev.observe)
	for range 2 {
		if _, err := c.Lookup(ctx, long); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Fatal(err)
		}
	}
	if src.callCount()-calls != 2 || c.entries[long] != nil || ev.hit.Load()+ev.miss.Load() != 0 {
		t.Error("an over-long key was cached or counted")
	}
	// Everything expired or past its grace: dropped first.
	clk.Add(time.Hour)
	c.Lookup(ctx, "good0")
	if len(c.entries) != 1 {
		t.Errorf("%d entries after expiry, want 1", len(c.entries))
	}
}

func TestCacheObserverOff(t *testing.T) {
	c := New(newSource(), Options{})
	var ev events
	c.SetObserver(ev.observe)
	c.SetObserver(nil)
	c.Lookup(context.Background(), "x")
	if ev.miss.Load() != 0 {
		t.Error("observer still told after SetObserver(nil)")
	}
}
