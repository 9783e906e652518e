// Package cloudstack is the Caddy module s3.credentials.cloudstack: the
// access keys of Apache CloudStack users, read live from CloudStack's
// database (package github.com/caddys3/caddys3/cloudstack) through a
// credential cache (package credcache), for the s3 handler.
package cloudstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap/exp/zapslog"

	"github.com/caddys3/caddys3/auth"
	cs "github.com/caddys3/caddys3/cloudstack"
	"github.com/caddys3/caddys3/credcache"
)

func init() {
	caddy.RegisterModule(new(CloudStack))
}

// CloudStack reads Apache CloudStack users' API keys and secret keys live
// from CloudStack's database: a user's API key is the S3 access key id, its
// secret key the S3 secret, and what the key creates belongs to the user's
// account (canonical ID = the account's UUID). Answers are cached.
//
// Either DBProperties (with KeyFile or the CLOUD_SECRET_KEY variable for
// ENC(…) values) or DSN (with DatabaseKey when secrets are encrypted).
type CloudStack struct {
	// DBProperties is CloudStack's db.properties, usually
	// /etc/cloudstack/management/db.properties: the database host, port,
	// user, password (ENC(…) values are decrypted) and database key come
	// from it.
	DBProperties string `json:"db_properties,omitempty"`

	// KeyFile holds the management key on its first line (default
	// /etc/cloudstack/management/key, or the CLOUD_SECRET_KEY environment
	// variable when it is set). Only with DBProperties.
	KeyFile string `json:"key_file,omitempty"`

	// DSN is a go-sql-driver/mysql DSN for the cloud database, such as
	// "cloud:{env.CLOUD_DB_PASSWORD}@tcp(127.0.0.1:3306)/cloud"; the
	// alternative to DBProperties. Placeholders are expanded.
	DSN string `json:"dsn,omitempty"`

	// DatabaseKey decrypts the stored secret keys (db.cloud.encrypt.secret
	// in clear). Only with DSN; empty means the secrets are stored in
	// plain text (db.cloud.encryption.type=none). Placeholders are expanded.
	DatabaseKey string `json:"database_key,omitempty"`

	// CacheTTL is how long a key is used without asking the database again;
	// disabling a user in CloudStack takes effect within it. Default 60s.
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// NegativeCacheTTL is how long an unknown or unusable key is remembered.
	// Default 5s (at most CacheTTL).
	NegativeCacheTTL caddy.Duration `json:"negative_cache_ttl,omitempty"`

	// GracePeriod is how long keys confirmed by the database keep working
	// while it is unreachable; unknown keys get 503 ServiceUnavailable
	// meanwhile. Default 10m.
	GracePeriod caddy.Duration `json:"grace_period,omitempty"`

	// dsn is the key of the shared pool this module holds, released by
	// Cleanup; empty when none.
	dsn   string
	db    *sql.DB // the pool behind dsn, for Ping
	cache *credcache.Cache
	// minio caches the accounts behind "acs-<uuid>" users (the MinIO
	// admin API's; see AccountCredential), with the same TTLs.
	minio *credcache.Cache
}

// CaddyModule returns the Caddy module information.
func (*CloudStack) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "s3.credentials.cloudstack",
		New: func() caddy.Module { return new(CloudStack) },
	}
}

// UnmarshalCaddyfile reads the block of `credentials cloudstack`:
//
//	cloudstack {
//	    db_properties <path>     # or: dsn <dsn>
//	    key_file <path>          # with db_properties
//	    database_key <key>       # with dsn
//	    cache_ttl <duration>
//	    negative_cache_ttl <duration>
//	    grace_period <duration>
//	}
//
// The source may be configured once.
func (c *CloudStack) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the source name
	if d.NextArg() {
		return d.ArgErr()
	}
	if c.DBProperties != "" || c.DSN != "" {
		return d.Err("s3: credentials cloudstack is configured twice")
	}
	strs := map[string]*string{"db_properties": &c.DBProperties, "key_file": &c.KeyFile,
		"dsn": &c.DSN, "database_key": &c.DatabaseKey}
	durs := map[string]*caddy.Duration{"cache_ttl": &c.CacheTTL,
		"negative_cache_ttl": &c.NegativeCacheTTL, "grace_period": &c.GracePeriod}
	for d.NextBlock(0) {
		sub := d.Val()
		str, dur := strs[sub], durs[sub]
		if str == nil && dur == nil {
			return d.Errf("s3: credentials cloudstack: unknown subdirective %q", sub)
		}
		var v string
		if !d.AllArgs(&v) {
			return d.Errf("s3: credentials cloudstack: %s wants one argument", sub)
		}
		if str != nil {
			*str = v
			continue
		}
		t, err := caddy.ParseDuration(v)
		if err != nil {
			return d.Errf("s3: credentials cloudstack: %s: %v", sub, err)
		}
		*dur = caddy.Duration(t)
	}
	if err := c.Validate(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// Validate checks the configuration's shape.
func (c *CloudStack) Validate() error {
	switch {
	case c.DBProperties == "" && c.DSN == "":
		return errors.New("s3: credentials cloudstack: set db_properties or dsn")
	case c.DBProperties != "" && c.DSN != "":
		return errors.New("s3: credentials cloudstack: db_properties and dsn are alternatives")
	case c.KeyFile != "" && c.DBProperties == "":
		return errors.New("s3: credentials cloudstack: key_file goes with db_properties (use database_key with dsn)")
	case c.DatabaseKey != "" && c.DSN == "":
		return errors.New("s3: credentials cloudstack: database_key goes with dsn (db_properties carries its own)")
	case c.CacheTTL < 0 || c.NegativeCacheTTL < 0 || c.GracePeriod < 0:
		return errors.New("s3: credentials cloudstack: durations must be positive")
	}
	return nil
}

// Provision resolves the DSN and the database key, takes the shared
// database pool, checks the schema and the database key once and puts the
// cache in front of the provider.
func (c *CloudStack) Provision(ctx caddy.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	dsn, dbKey, err := c.resolve(caddy.NewReplacer())
	if err != nil {
		return err
	}
	if dsn, err = cs.NormalizeDSN(dsn); err != nil {
		return fmt.Errorf("s3: credentials cloudstack: %w", err)
	}
	db, err := acquireDB(dsn)
	if err != nil {
		return fmt.Errorf("s3: credentials cloudstack: opening the database: %w", err)
	}
	c.dsn, c.db = dsn, db
	log := ctx.Logger()
	p := cs.New(db, cs.Options{
		DatabaseKey: dbKey,
		// The s3 handler enforces Credential.ReadOnly.
		AllowReadOnly: true,
		Logger: slog.New(zapslog.NewHandler(log.Core(),
			zapslog.WithName(log.Name()), zapslog.AddStacktraceAt(slog.LevelError+100))),
	})
	initCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := p.Init(initCtx); err != nil {
		c.Cleanup()
		return fmt.Errorf("s3: credentials cloudstack: %w", err)
	}
	c.cache = credcache.New(p, credcache.Options{
		TTL:         time.Duration(c.CacheTTL),
		NegativeTTL: time.Duration(c.NegativeCacheTTL),
		GracePeriod: time.Duration(c.GracePeriod),
		Outage:      cs.IsOutage,
	})
	c.minio = credcache.New(p.MinioAccounts(), credcache.Options{
		TTL:         time.Duration(c.CacheTTL),
		NegativeTTL: time.Duration(c.NegativeCacheTTL),
		GracePeriod: time.Duration(c.GracePeriod),
		Outage:      cs.IsOutage,
	})
	return nil
}

// AccountCredential answers for an "acs-<account-uuid>" user of the MinIO
// admin API (objstore.Accounts): the live, enabled account behind it and
// the secret CloudStack keeps for it ("" when none); see
// cloudstack.MinioAccounts.
func (c *CloudStack) AccountCredential(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if c.minio == nil {
		return auth.Credential{}, auth.ErrCredentialsUnavailable
	}
	return c.minio.Lookup(ctx, accessKeyID)
}

// resolve returns the DSN and the database key, from db.properties or
// from dsn and database_key with their placeholders expanded.
func (c *CloudStack) resolve(repl *caddy.Replacer) (dsn, dbKey string, err error) {
	if c.DBProperties != "" {
		props, err := repl.ReplaceOrErr(c.DBProperties, true, true)
		if err != nil {
			return "", "", fmt.Errorf("s3: credentials cloudstack: db_properties: %w", err)
		}
		keyFile, err := repl.ReplaceOrErr(c.KeyFile, true, true)
		if err != nil {
			return "", "", fmt.Errorf("s3: credentials cloudstack: key_file: %w", err)
		}
		cfg, err := cs.LoadDBProperties(props, keyFile, os.Getenv)
		if err != nil {
			return "", "", fmt.Errorf("s3: credentials cloudstack: %w", err)
		}
		return cfg.DSN, cfg.DatabaseKey, nil
	}
	if dsn, err = repl.ReplaceOrErr(c.DSN, true, true); err != nil {
		// Never echo the DSN: it holds the password.
		return "", "", errors.New("s3: credentials cloudstack: dsn: a placeholder did not resolve")
	}
	if dbKey, err = repl.ReplaceOrErr(c.DatabaseKey, true, true); err != nil {
		return "", "", errors.New("s3: credentials cloudstack: database_key: a placeholder did not resolve")
	}
	return dsn, dbKey, nil
}

// Cleanup releases the shared database pool.
func (c *CloudStack) Cleanup() error {
	if c.dsn != "" {
		_, _ = pool.Delete(c.dsn)
		c.dsn = ""
	}
	return nil
}

// Lookup implements auth.Provider.
func (c *CloudStack) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if c.cache == nil {
		return auth.Credential{}, fmt.Errorf("%w: the cloudstack source is not provisioned", auth.ErrCredentialsUnavailable)
	}
	return c.cache.Lookup(ctx, accessKeyID)
}

// SetObserver makes f be told of the cache's hits and misses and of
// database failures (for metrics).
func (c *CloudStack) SetObserver(f func(credcache.Event)) {
	if c.cache != nil {
		c.cache.SetObserver(f)
	}
}

// pool shares one *sql.DB per DSN across handlers and config reloads.
var pool = caddy.NewUsagePool()

type pooledDB struct{ db *sql.DB }

// Destruct closes the pool when its last user released it.
func (d pooledDB) Destruct() error { return d.db.Close() }

// acquireDB returns the shared pool for dsn (normalized); release it with
// pool.Delete(dsn).
func acquireDB(dsn string) (*sql.DB, error) {
	v, _, err := pool.LoadOrNew(dsn, func() (caddy.Destructor, error) {
		db, err := cs.OpenDB(dsn)
		if err != nil {
			return nil, err
		}
		return pooledDB{db}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(pooledDB).db, nil
}

// Interface guards.
var (
	_ caddy.Provisioner     = (*CloudStack)(nil)
	_ caddy.Validator       = (*CloudStack)(nil)
	_ caddy.CleanerUpper    = (*CloudStack)(nil)
	_ caddyfile.Unmarshaler = (*CloudStack)(nil)
	_ auth.Provider         = (*CloudStack)(nil)
)
