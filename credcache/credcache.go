// Package credcache caches the answers of any credential provider
// (auth.Provider): positive answers for a TTL, negative ones for a shorter
// TTL, one lookup per access key at a time, and a grace period during which
// keys confirmed before keep working while the source is unavailable. It
// knows nothing of Caddy or of the source behind it.
package credcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/caddys3/caddys3/auth"
)

// Options configure a Cache. Zero values mean the documented defaults.
type Options struct {
	// TTL is how long a confirmed key is trusted without asking the source
	// again: disabling a key at the source takes effect within it.
	// Default 60s.
	TTL time.Duration
	// NegativeTTL is how long an unknown or refused key is remembered.
	// Default 5s, never more than TTL.
	NegativeTTL time.Duration
	// GracePeriod is how long after its last confirmation a key keeps
	// working while the source is unavailable. Default 10m.
	GracePeriod time.Duration
	// RetryAfter is how long the source is not asked after it was
	// unavailable: lookups answer from the cache or with
	// auth.ErrCredentialsUnavailable at once. Default 1s.
	RetryAfter time.Duration
	// MaxEntries bounds the cache. Default 100000.
	MaxEntries int
	// MaxKeyLength is the longest access key id that is cached; longer
	// ones go to the source uncached (and are not reported to the
	// observer), so that junk keys cannot fill the memory. Default 255.
	MaxKeyLength int
	// Outage tells whether an error of the source means the source is
	// unavailable (grace period, RetryAfter, SourceError) rather than an
	// answer about the key (cached for NegativeTTL). Nil means
	// errors.Is(err, auth.ErrCredentialsUnavailable).
	Outage func(error) bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Event is what the observer set with SetObserver is told.
type Event int

// The events reported to the observer.
const (
	Hit         Event = iota // Lookup answered from a fresh entry
	Miss                     // Lookup needed the source (or its outage answer)
	SourceError              // the source was unavailable
)

// Cache is an auth.Provider that answers from a cache in front of another
// provider, the source. The source bounds the time of its own lookups: the
// cache calls it without the caller's cancellation (one lookup serves every
// caller waiting for the same key), and a caller whose context ends gets
// auth.ErrCredentialsUnavailable at once.
type Cache struct {
	src  auth.Provider
	opts Options

	flight singleflight.Group

	mu        sync.RWMutex
	entries   map[string]*entry
	downUntil time.Time // the source is not asked before this

	observer atomic.Pointer[func(Event)]
}

type entry struct {
	cred     auth.Credential
	err      error     // non-nil for a negative entry
	expires  time.Time // fresh until
	verified time.Time // last confirmed by the source (positive entries)
}

// New returns a cache in front of src.
func New(src auth.Provider, opts Options) *Cache {
	if opts.TTL <= 0 {
		opts.TTL = 60 * time.Second
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = 5 * time.Second
	}
	opts.NegativeTTL = min(opts.NegativeTTL, opts.TTL)
	if opts.GracePeriod <= 0 {
		opts.GracePeriod = 10 * time.Minute
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100000
	}
	if opts.MaxKeyLength <= 0 {
		opts.MaxKeyLength = 255
	}
	if opts.Outage == nil {
		opts.Outage = func(err error) bool { return errors.Is(err, auth.ErrCredentialsUnavailable) }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{src: src, opts: opts, entries: map[string]*entry{}}
}

// SetObserver makes f be told of every cache hit and miss in Lookup and of
// every time the source was unavailable (for metrics); nil stops it. f must
// be quick and safe for concurrent use.
func (c *Cache) SetObserver(f func(Event)) {
	if f == nil {
		c.observer.Store(nil)
		return
	}
	c.observer.Store(&f)
}

func (c *Cache) observe(ev Event) {
	if f := c.observer.Load(); f != nil {
		(*f)(ev)
	}
}

// Lookup implements auth.Provider.
func (c *Cache) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if len(accessKeyID) > c.opts.MaxKeyLength {
		return c.src.Lookup(ctx, accessKeyID) // neither a hit nor a miss
	}
	now := c.opts.Now()
	c.mu.RLock()
	e := c.entries[accessKeyID]
	c.mu.RUnlock()
	if e != nil && now.Before(e.expires) {
		c.observe(Hit)
		return e.cred, e.err
	}
	c.observe(Miss)
	detached := context.WithoutCancel(ctx)
	ch := c.flight.DoChan(accessKeyID, func() (any, error) {
		cred, err := c.refresh(detached, accessKeyID)
		return result{cred, err}, nil
	})
	select {
	case r := <-ch:
		res := r.Val.(result)
		return res.cred, res.err
	case <-ctx.Done():
		return auth.Credential{}, fmt.Errorf("%w: %v", auth.ErrCredentialsUnavailable, ctx.Err())
	}
}

type result struct {
	cred auth.Credential
	err  error
}

// refresh asks the source about one key (one caller per key at a time) and
// updates the cache.
func (c *Cache) refresh(ctx context.Context, key string) (auth.Credential, error) {
	now := c.opts.Now()
	c.mu.RLock()
	e := c.entries[key]
	down := now.Before(c.downUntil)
	c.mu.RUnlock()
	if e != nil && now.Before(e.expires) {
		return e.cred, e.err // filled by a flight that just ended
	}
	if down {
		return c.unavailable(e, key, now)
	}
	cred, err := c.src.Lookup(ctx, key)
	if err != nil && c.opts.Outage(err) {
		c.observe(SourceError)
		c.mu.Lock()
		c.downUntil = now.Add(c.opts.RetryAfter)
		c.mu.Unlock()
		return c.unavailable(e, key, now)
	}
	ne := &entry{cred: cred, err: err}
	if err == nil {
		ne.expires = now.Add(c.opts.TTL)
		ne.verified = now
	} else {
		ne.expires = now.Add(c.opts.NegativeTTL)
	}
	c.store(key, ne, now)
	return cred, err
}

// unavailable answers while the source cannot be asked: a key confirmed
// within the grace period keeps working, a key the source refused stays
// refused, others get auth.ErrCredentialsUnavailable.
func (c *Cache) unavailable(e *entry, key string, now time.Time) (auth.Credential, error) {
	if e != nil && e.err == nil && now.Sub(e.verified) <= c.opts.GracePeriod {
		return e.cred, nil
	}
	if e != nil && e.err != nil && !errors.Is(e.err, auth.ErrCredentialsUnavailable) {
		return auth.Credential{}, e.err
	}
	return auth.Credential{}, fmt.Errorf("%w: cannot look up access key %q", auth.ErrCredentialsUnavailable, key)
}

// store adds an entry; when the cache is full it first drops expired
// negative entries and positive ones past their grace period, then all
// negative entries, then everything.
func (c *Cache) store(key string, e *entry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.opts.MaxEntries {
		for k, old := range c.entries {
			if (old.err != nil && !now.Before(old.expires)) || (old.err == nil && now.Sub(old.verified) > c.opts.GracePeriod) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.opts.MaxEntries {
			for k, old := range c.entries {
				if old.err != nil {
					delete(c.entries, k)
				}
			}
		}
		if len(c.entries) >= c.opts.MaxEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = e
}

var _ auth.Provider = (*Cache)(nil)
