// Package executor applies buckets' lifecycle rules (package lifecycle)
// to a store: passes that walk the buckets' versions and uploads and
// expire what the rules say, on one node at a time.
//
// One node at a time: a pass runs only while its node holds the store's
// "lifecycle" lease (fsstore.TakeLease), renewed after every page and
// given up at the end; a holder killed mid-pass is taken over. Resumable:
// the cursor (the bucket and the last key fully examined) is written
// after every page, so the next pass, on any node, goes on from there.
// Idempotent: every removal is decided again under the key's lock
// (fsstore.ExpireVersion) against what the pass saw, so a pass that
// re-examines keys after a crash, or two nodes whose leases overlapped
// after a long pause, never expire a version twice nor one that changed
// since. Bounded: a pass examines at most Budget versions, at most Rate a
// second, holding one listing page in memory.
package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/lifecycle"
)

// LeaseName names the executor's lease among the store's leases.
const LeaseName = "executor"

const cursorFile = "cursor.json"

// Options tune an Executor; zero values take the defaults.
type Options struct {
	// Rate is how many versions a pass examines per second at most
	// (default 1000): the executor's share of the disk.
	Rate float64
	// Budget is how many versions one pass examines at most (default
	// 100000); the next pass goes on from there.
	Budget int
	// PageSize is how many versions a listing page holds (default 1000;
	// tests make pages small to cross them).
	PageSize int
	// LeaseTTL is how long a lease lasts unless renewed (default 1m).
	LeaseTTL time.Duration
	// Now is the clock the rules are judged by (default time.Now); the
	// lease always uses the real clock.
	Now func() time.Time
	// Changing, if set, is called before a pass changes a bucket (expires
	// versions, aborts uploads); done after. The server keeps its usage
	// reservation for the bucket across it (caddys3/quota.go).
	Changing func(ctx context.Context, bucket fsstore.BucketInfo) (done func(), err error)
	// Observer, if set, is told of every pass and completed bucket.
	Observer Observer
	Logger   *zap.Logger
}

// Observer receives what passes did (metrics).
type Observer interface {
	PassDone(r Result)
	BucketDone(bucket string, at time.Time)
}

// Counts are what a pass did, by kind.
type Counts struct {
	Examined        int64 `json:"examined"`
	ExpiredCurrent  int64 `json:"expired_current"`  // a delete marker made, or the object deleted
	ExpiredVersions int64 `json:"expired_versions"` // noncurrent versions removed
	ExpiredMarkers  int64 `json:"expired_markers"`  // expired object delete markers removed
	AbortedUploads  int64 `json:"aborted_uploads"`
	BytesFreed      int64 `json:"bytes_freed"`
	KeptLocked      int64 `json:"kept_locked"` // due, but under retention or legal hold
}

// Result is one pass.
type Result struct {
	Counts
	// Ran is false when another node holds the lease (Holder).
	Ran    bool   `json:"ran"`
	Holder string `json:"holder,omitempty"`
	// CycleDone: every bucket was examined to its end (the next pass
	// starts again from the first).
	CycleDone bool          `json:"cycle_done"`
	Duration  time.Duration `json:"duration_ns"`
}

// Executor runs passes over one store.
type Executor struct {
	store   *fsstore.Store
	o       Options
	limiter *rate.Limiter
}

// New returns an executor of store.
func New(store *fsstore.Store, o Options) *Executor {
	if o.Rate <= 0 {
		o.Rate = 1000
	}
	if o.Budget <= 0 {
		o.Budget = 100000
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Executor{store: store, o: o, limiter: rate.NewLimiter(rate.Limit(o.Rate), max(1, int(o.Rate/10)))}
}

// cursor is where the next pass starts: in Bucket, after key After.
type cursor struct {
	Bucket string `json:"bucket"`
	After  string `json:"after,omitempty"`
}

// renew renews the lease; it fails with errLeaseLost when another node
// has taken it meanwhile.
func (p *pass) renew() error {
	held, _, err := p.e.store.TakeLease(p.ctx, LeaseName, time.Now(), p.e.o.LeaseTTL)
	if err != nil {
		return err
	}
	if !held {
		return errLeaseLost
	}
	p.renewed = time.Now()
	return nil
}

// tick is called before each version or upload is examined: it waits for
// the rate limit and renews the lease a third of its lifetime after the
// last renewal, so a slow page never outlives the lease.
func (p *pass) tick() error {
	if err := p.e.limiter.Wait(p.ctx); err != nil {
		return err
	}
	if time.Since(p.renewed) > p.e.o.LeaseTTL/3 {
		return p.renew()
	}
	return nil
}

// errLeaseLost stops a pass whose lease another node took.
var errLeaseLost = errors.New("lifecycle: lease lost")

// RunPass runs one pass if this node gets the lease, and logs one line.
func (e *Executor) RunPass(ctx context.Context) (Result, error) {
	start := time.Now()
	var res Result
	held, lease, err := e.store.TakeLease(ctx, LeaseName, time.Now(), e.o.LeaseTTL)
	if err != nil {
		return res, fmt.Errorf("lifecycle: taking the lease: %w", err)
	}
	if !held {
		res.Holder = lease.Holder
		return res, nil
	}
	res.Ran, res.Holder = true, lease.Holder
	p := &pass{e: e, ctx: ctx, budget: e.o.Budget, now: e.o.Now(), renewed: time.Now()}
	err = p.run()
	res.Counts, res.CycleDone = p.counts, p.cycleDone
	res.Duration = time.Since(start)
	if rerr := e.store.ReleaseLease(context.WithoutCancel(ctx), LeaseName); rerr != nil && err == nil {
		err = fmt.Errorf("lifecycle: releasing the lease: %w", rerr)
	}
	fields := []zap.Field{zap.String("node", res.Holder), zap.Int64("examined", res.Examined),
		zap.Int64("expired_current", res.ExpiredCurrent), zap.Int64("expired_versions", res.ExpiredVersions),
		zap.Int64("expired_markers", res.ExpiredMarkers), zap.Int64("aborted_uploads", res.AbortedUploads),
		zap.Int64("bytes_freed", res.BytesFreed), zap.Int64("kept_locked", res.KeptLocked),
		zap.Bool("cycle_done", res.CycleDone), zap.Duration("duration", res.Duration),
		zap.Float64("examined_per_second", float64(res.Examined)/max(res.Duration.Seconds(), 1e-9))}
	switch {
	case err != nil && ctx.Err() != nil: // the server stops: the cursor says where to go on
		e.o.Logger.Info("s3: lifecycle pass", append(fields, zap.Bool("stopped", true))...)
	case err != nil:
		e.o.Logger.Warn("s3: lifecycle pass", append(fields, zap.Error(err))...)
	case res.Examined > 0:
		e.o.Logger.Info("s3: lifecycle pass", fields...)
	default: // no bucket has rules: not worth an info line an hour
		e.o.Logger.Debug("s3: lifecycle pass", fields...)
	}
	if e.o.Observer != nil {
		e.o.Observer.PassDone(res)
	}
	return res, err
}

// pass is the state of one pass.
type pass struct {
	e         *Executor
	ctx       context.Context
	now       time.Time
	budget    int
	counts    Counts
	cycleDone bool
	renewed   time.Time // when the lease was last renewed
}

// changeBucket applies cfg to bucket b from after (its versions, then its
// uploads) inside Options.Changing.
func (p *pass) changeBucket(b fsstore.BucketInfo, cfg *lifecycle.Configuration, after string) (bool, error) {
	if p.e.o.Changing != nil {
		done, err := p.e.o.Changing(p.ctx, b)
		if err != nil {
			return false, err
		}
		defer done()
	}
	done, err := p.bucket(b, cfg, after)
	if err != nil || !done {
		return done, err
	}
	return true, p.uploads(b.Name, cfg)
}

func (p *pass) run() error {
	var cur cursor
	if b, err := p.e.store.ReadLifecycleState(cursorFile); err != nil {
		return err
	} else if len(b) > 0 && json.Unmarshal(b, &cur) != nil {
		cur = cursor{} // unreadable: start over (every action is idempotent)
	}
	buckets, err := p.e.store.ListBuckets(p.ctx)
	if err != nil {
		return err
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	for _, b := range buckets {
		if b.Name < cur.Bucket {
			continue
		}
		after := ""
		if b.Name == cur.Bucket {
			after = cur.After
		}
		cfg, err := lifecycle.Decode(b.Lifecycle)
		if err != nil {
			p.e.o.Logger.Warn("s3: lifecycle: bucket configuration unreadable", zap.String("bucket", b.Name), zap.Error(err))
			cfg = nil
		}
		if cfg != nil {
			done, err := p.changeBucket(b, cfg, after)
			if err != nil || !done {
				return err
			}
			if p.e.o.Observer != nil {
				p.e.o.Observer.BucketDone(b.Name, time.Now())
			}
		}
		if err := p.save(cursor{Bucket: b.Name + "\x00"}); err != nil {
			return err
		}
	}
	p.cycleDone = true
	return p.save(cursor{})
}

// save renews the lease and writes the cursor.
func (p *pass) save(c cursor) error {
	if err := p.renew(); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return p.e.store.WriteLifecycleState(cursorFile, b)
}
