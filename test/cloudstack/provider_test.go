package cloudstack

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/cloudstack"
	"github.com/caddys3/caddys3/credcache"
)

// clock is an adjustable clock for the provider.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

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

func openDB(t testing.TB, name string) *sql.DB {
	t.Helper()
	d, err := cloudstack.NormalizeDSN(dsn(name))
	if err != nil {
		t.Fatal(err)
	}
	db, err := cloudstack.OpenDB(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// providerOptions are the options of the provider and of its cache.
type providerOptions struct {
	DatabaseKey                                    string
	AllowReadOnly                                  bool
	CacheTTL, NegativeTTL, GracePeriod, RetryAfter time.Duration
	Now                                            func() time.Time
}

// provider is the CloudStack provider behind the credential cache, as the
// s3.credentials.cloudstack module runs it.
type provider struct {
	*credcache.Cache
	cs *cloudstack.Provider
}

func (p provider) Init(ctx context.Context) error { return p.cs.Init(ctx) }
func (p provider) Layout() string                 { return p.cs.Layout() }

func newCloudStack(db *sql.DB, o providerOptions) provider {
	cs := cloudstack.New(db, cloudstack.Options{DatabaseKey: o.DatabaseKey, AllowReadOnly: o.AllowReadOnly, Now: o.Now})
	return provider{credcache.New(cs, credcache.Options{TTL: o.CacheTTL, NegativeTTL: o.NegativeTTL,
		GracePeriod: o.GracePeriod, RetryAfter: o.RetryAfter, Outage: cloudstack.IsOutage, Now: o.Now}), cs}
}

func newProvider(t testing.TB, name, dbKey string, opts providerOptions) provider {
	t.Helper()
	opts.DatabaseKey = dbKey
	p := newCloudStack(openDB(t, name), opts)
	if err := p.Init(context.Background()); err != nil {
		t.Fatalf("Init %s: %v", name, err)
	}
	return p
}

func checkLookup(t *testing.T, p auth.Provider, c csKey) {
	t.Helper()
	cred, err := p.Lookup(context.Background(), c.key)
	switch c.want {
	case wantOK:
		if err != nil {
			t.Errorf("%s/%s: %v", c.db, c.name, err)
			return
		}
		if cred.Secret != c.secret || cred.Owner != c.owner || cred.DisplayName != c.disp || cred.AccessKeyID != c.key {
			t.Errorf("%s/%s: got owner %q name %q secret ok %v", c.db, c.name, cred.Owner, cred.DisplayName, cred.Secret == c.secret)
		}
		if cred.ReadOnly {
			t.Errorf("%s/%s: read-only", c.db, c.name)
		}
	case wantInvalid, wantDenied, wantUnavailable:
		want := map[string]error{wantInvalid: auth.ErrInvalidAccessKeyID, wantDenied: auth.ErrAccessDenied,
			wantUnavailable: auth.ErrCredentialsUnavailable}[c.want]
		if !errors.Is(err, want) {
			t.Errorf("%s/%s: got %v, want %v", c.db, c.name, err, want)
		}
		if cred.Secret != "" {
			t.Errorf("%s/%s: a refused key came with a secret", c.db, c.name)
		}
	}
}

// TestProviderLayouts looks up every fixture key in all three databases:
// layout detection, V1/V2/plain secrets, user/account/domain/global rules,
// dates, ambiguity and permission rules.
func TestProviderLayouts(t *testing.T) {
	providers := map[string]provider{
		"cloud":      newProvider(t, "cloud", databaseKey, providerOptions{}),
		"cloud422":   newProvider(t, "cloud422", legacyDatabaseKey, providerOptions{}),
		"cloudplain": newProvider(t, "cloudplain", "", providerOptions{}),
	}
	for db, want := range map[string]string{"cloud": "api_keypair", "cloud422": "user", "cloudplain": "user"} {
		if got := providers[db].Layout(); got != want {
			t.Errorf("%s: layout %q, want %q", db, got, want)
		}
	}
	n := 0
	for _, name := range keyOrder {
		c := keys[name]
		t.Run(name, func(t *testing.T) { checkLookup(t, providers[c.db], c) })
		n++
	}
	if n < 35 {
		t.Errorf("only %d fixture keys", n)
	}
	// Twice: the answers come from the cache now and must be the same.
	for _, name := range keyOrder {
		checkLookup(t, providers[keys[name].db], keys[name])
	}
	// Keys match exactly although the column's collation ignores case.
	alice := k("cloud", "alice")
	for _, variant := range []string{strings.ToUpper(alice.key), strings.ToLower(alice.key)} {
		if variant == alice.key {
			continue
		}
		if _, err := providers["cloud"].Lookup(context.Background(), variant); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("case variant of alice's key: %v", err)
		}
	}
	if _, err := providers["cloud"].Lookup(context.Background(), "no-such-key"); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("unknown key: %v", err)
	}
	// A read-only key pair works read-only where the caller enforces it.
	ro := newProvider(t, "cloud", databaseKey, providerOptions{AllowReadOnly: true})
	if c, err := ro.Lookup(context.Background(), k("cloud", "rules-list-only").key); err != nil || !c.ReadOnly {
		t.Errorf("list-only pair with AllowReadOnly: %+v %v", c.ReadOnly, err)
	}
	if _, err := ro.Lookup(context.Background(), k("cloud", "rules-deny-all").key); !errors.Is(err, auth.ErrAccessDenied) {
		t.Errorf("deny-all pair with AllowReadOnly: %v", err)
	}
}

// TestProviderWrongDatabaseKey: a wrong key is a clear start-up error, and a
// provider that was not checked never hands out a garbage secret.
func TestProviderWrongDatabaseKey(t *testing.T) {
	for _, db := range []string{"cloud", "cloud422"} {
		p := newCloudStack(openDB(t, db), providerOptions{DatabaseKey: "not-the-database-key"})
		err := p.Init(context.Background())
		if err == nil || !strings.Contains(err.Error(), "wrong database key") {
			t.Errorf("%s: Init = %v, want a wrong-database-key error", db, err)
		}
		for _, name := range []string{"alice", "bob", "erin"} {
			c, ok := keys[db+"/"+name]
			if !ok {
				continue
			}
			cred, err := p.Lookup(context.Background(), c.key)
			if !errors.Is(err, auth.ErrCredentialsUnavailable) || cred.Secret != "" {
				t.Errorf("%s/%s with the wrong key: %q %v", db, name, cred.Secret, err)
			}
		}
	}
	// Wrong password for the database user: a start-up error.
	d, _ := cloudstack.NormalizeDSN(strings.Replace(dsn("cloud"), dbPassword, "wrong-pw", 1))
	db, _ := cloudstack.OpenDB(d)
	defer db.Close()
	if err := newCloudStack(db, providerOptions{}).Init(context.Background()); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("wrong database password: %v", err)
	}
	// Not a CloudStack database.
	execSQL(t, "CREATE DATABASE IF NOT EXISTS notcloud")
	execSQL(t, "GRANT SELECT ON notcloud.* TO 'cloud'@'127.0.0.1'")
	if err := newCloudStack(openDB(t, "notcloud"), providerOptions{}).Init(context.Background()); err == nil || !strings.Contains(err.Error(), "not a CloudStack database") {
		t.Errorf("empty database: %v", err)
	}
}

// TestProviderGlobalSetting turns the global api.key.access off and on.
func TestProviderGlobalSetting(t *testing.T) {
	defer execSQL(t, "UPDATE cloud.configuration SET value = NULL WHERE name = 'api.key.access'")
	execSQL(t, "UPDATE cloud.configuration SET value = 'false' WHERE name = 'api.key.access'")
	p := newProvider(t, "cloud", databaseKey, providerOptions{})
	for _, name := range []string{"alice", "domain-access-on", "user-access-on-overrides-account"} {
		c := k("cloud", name)
		_, err := p.Lookup(context.Background(), c.key)
		if name == "alice" && !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("alice with global api.key.access=false: %v", err)
		}
		if name != "alice" && err != nil {
			t.Errorf("%s (set at a lower level) with global false: %v", name, err)
		}
	}
}

// TestProviderCacheTTL: a disabled user keeps working only until the TTL
// runs out; re-enabled, it works again after the negative TTL.
func TestProviderCacheTTL(t *testing.T) {
	clk := newClock()
	p := newProvider(t, "cloud", databaseKey, providerOptions{CacheTTL: 10 * time.Second, NegativeTTL: 2 * time.Second, Now: clk.Now})
	carol := k("cloud", "carol")
	ctx := context.Background()
	if _, err := p.Lookup(ctx, carol.key); err != nil {
		t.Fatal(err)
	}
	execSQL(t, "UPDATE cloud.user SET state = 'disabled' WHERE username = 'carol'")
	defer execSQL(t, "UPDATE cloud.user SET state = 'enabled' WHERE username = 'carol'")
	clk.Add(9 * time.Second)
	if _, err := p.Lookup(ctx, carol.key); err != nil {
		t.Fatalf("within the TTL: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := p.Lookup(ctx, carol.key); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Fatalf("after the TTL: %v", err)
	}
	execSQL(t, "UPDATE cloud.user SET state = 'enabled' WHERE username = 'carol'")
	clk.Add(time.Second)
	if _, err := p.Lookup(ctx, carol.key); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Fatalf("within the negative TTL: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := p.Lookup(ctx, carol.key); err != nil {
		t.Fatalf("after the negative TTL: %v", err)
	}
}

func statusCounter(t testing.TB, name string) int64 {
	t.Helper()
	var n string
	var v int64
	if err := maria.root.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestProviderSingleflight: many concurrent lookups of an uncached key make
// one query (plus the key pair's permission query), counted by the server.
func TestProviderSingleflight(t *testing.T) {
	for _, tc := range []struct {
		db, name string
		max      int64
	}{{"cloud", "bob", 2}, {"cloud422", "erin", 1}} {
		p := newProvider(t, tc.db, map[string]string{"cloud": databaseKey, "cloud422": legacyDatabaseKey}[tc.db], providerOptions{})
		c := k(tc.db, tc.name)
		before := statusCounter(t, "Com_stmt_execute")
		var wg sync.WaitGroup
		var failed atomic.Int32
		start := make(chan struct{})
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if cred, err := p.Lookup(context.Background(), c.key); err != nil || cred.Secret != c.secret {
					failed.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if failed.Load() > 0 {
			t.Errorf("%s: %d lookups failed", tc.db, failed.Load())
		}
		if n := statusCounter(t, "Com_stmt_execute") - before; n < 1 || n > tc.max {
			t.Errorf("%s: 64 concurrent lookups ran %d statements, want 1..%d", tc.db, n, tc.max)
		}
	}
}

// TestProviderDatabaseDown stops MariaDB: keys confirmed within the grace
// period keep working, unknown keys get ErrCredentialsUnavailable (never
// InvalidAccessKeyId), the grace period is bounded, and everything works
// again when the database is back. A provider created while the database
// is down starts (no error) and works once it is back.
func TestProviderDatabaseDown(t *testing.T) {
	clk := newClock()
	p := newProvider(t, "cloud", databaseKey, providerOptions{CacheTTL: time.Second, NegativeTTL: 500 * time.Millisecond,
		GracePeriod: time.Minute, RetryAfter: time.Second, Now: clk.Now})
	ctx := context.Background()
	alice, dave, frank := k("cloud", "alice"), k("cloud", "dave"), k("cloud", "user-disabled")
	if _, err := p.Lookup(ctx, alice.key); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Lookup(ctx, frank.key); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Fatal(err)
	}
	stopMaria()
	restarted := false
	defer func() {
		if !restarted {
			restartMaria(t)
		}
	}()
	clk.Add(2 * time.Second) // TTLs over: the provider must ask
	if c, err := p.Lookup(ctx, alice.key); err != nil || c.Secret != alice.secret {
		t.Fatalf("alice within the grace period: %v", err)
	}
	if _, err := p.Lookup(ctx, dave.key); !errors.Is(err, auth.ErrCredentialsUnavailable) {
		t.Fatalf("unknown key while the database is down: %v", err)
	}
	if _, err := p.Lookup(ctx, frank.key); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Fatalf("a refused key must stay refused: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := p.Lookup(ctx, alice.key); err != nil {
		t.Fatalf("alice again: %v", err)
	}
	late := newCloudStack(openDB(t, "cloud"), providerOptions{DatabaseKey: databaseKey})
	if err := late.Init(ctx); err != nil {
		t.Fatalf("Init while the database is down must only warn: %v", err)
	}
	if _, err := late.Lookup(ctx, alice.key); !errors.Is(err, auth.ErrCredentialsUnavailable) {
		t.Fatalf("new provider, database down: %v", err)
	}
	clk.Add(2 * time.Minute) // past the grace period
	if _, err := p.Lookup(ctx, alice.key); !errors.Is(err, auth.ErrCredentialsUnavailable) {
		t.Fatalf("after the grace period: %v", err)
	}

	restartMaria(t)
	restarted = true
	clk.Add(2 * time.Second) // past RetryAfter
	for _, c := range []csKey{alice, dave} {
		if got, err := p.Lookup(ctx, c.key); err != nil || got.Secret != c.secret {
			t.Fatalf("%s after the restart: %v", c.name, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := late.Lookup(ctx, alice.key)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("late provider after the restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if late.Layout() != "api_keypair" {
		t.Errorf("late layout %q", late.Layout())
	}
}
