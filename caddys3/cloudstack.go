package caddys3

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"github.com/caddys3/caddys3/cloudstack"
	"github.com/caddys3/caddys3/credcache"
)

// CloudStackCredentials reads Apache CloudStack users' API keys and secret
// keys live from CloudStack's database: a user's API key is the S3 access
// key id, its secret key the S3 secret, and what the key creates belongs to
// the user's account (canonical ID = the account's UUID).
//
// Either DBProperties (with KeyFile or the CLOUD_SECRET_KEY variable for
// ENC(…) values) or DSN (with DatabaseKey when secrets are encrypted).
type CloudStackCredentials struct {
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
}

// csPool shares one *sql.DB per DSN across handlers and config reloads.
var csPool = caddy.NewUsagePool()

type csDB struct{ db *sql.DB }

// Destruct closes the pool when its last user released it.
func (d csDB) Destruct() error { return d.db.Close() }

// acquireCloudStackDB returns the shared pool for dsn (normalized); release
// it with csPool.Delete(dsn).
func acquireCloudStackDB(dsn string) (*sql.DB, error) {
	v, _, err := csPool.LoadOrNew(dsn, func() (caddy.Destructor, error) {
		db, err := cloudstack.OpenDB(dsn)
		if err != nil {
			return nil, err
		}
		return csDB{db}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(csDB).db, nil
}

// validate checks the configuration's shape.
func (c *CloudStackCredentials) validate() error {
	switch {
	case c.DBProperties == "" && c.DSN == "":
		return fmt.Errorf("s3: credentials cloudstack: set db_properties or dsn")
	case c.DBProperties != "" && c.DSN != "":
		return fmt.Errorf("s3: credentials cloudstack: db_properties and dsn are alternatives")
	case c.KeyFile != "" && c.DBProperties == "":
		return fmt.Errorf("s3: credentials cloudstack: key_file goes with db_properties (use database_key with dsn)")
	case c.DatabaseKey != "" && c.DSN == "":
		return fmt.Errorf("s3: credentials cloudstack: database_key goes with dsn (db_properties carries its own)")
	case c.CacheTTL < 0 || c.NegativeCacheTTL < 0 || c.GracePeriod < 0:
		return fmt.Errorf("s3: credentials cloudstack: durations must be positive")
	}
	return nil
}

// provisionCloudStack builds the CloudStack provider: it resolves the DSN
// and database key, takes the shared pool (the returned key is what
// Cleanup releases) and checks schema and database key once.
func provisionCloudStack(ctx caddy.Context, c *CloudStackCredentials, repl *caddy.Replacer, logger *zap.Logger) (*credcache.Cache, string, error) {
	if err := c.validate(); err != nil {
		return nil, "", err
	}
	var dsn, dbKey string
	if c.DBProperties != "" {
		props, err := repl.ReplaceOrErr(c.DBProperties, true, true)
		if err != nil {
			return nil, "", fmt.Errorf("s3: credentials cloudstack: db_properties: %w", err)
		}
		keyFile, err := repl.ReplaceOrErr(c.KeyFile, true, true)
		if err != nil {
			return nil, "", fmt.Errorf("s3: credentials cloudstack: key_file: %w", err)
		}
		cfg, err := cloudstack.LoadDBProperties(props, keyFile, os.Getenv)
		if err != nil {
			return nil, "", fmt.Errorf("s3: credentials cloudstack: %w", err)
		}
		dsn, dbKey = cfg.DSN, cfg.DatabaseKey
	} else {
		var err error
		if dsn, err = repl.ReplaceOrErr(c.DSN, true, true); err != nil {
			// Never echo the DSN: it holds the password.
			return nil, "", fmt.Errorf("s3: credentials cloudstack: dsn: a placeholder did not resolve")
		}
		if dbKey, err = repl.ReplaceOrErr(c.DatabaseKey, true, true); err != nil {
			return nil, "", fmt.Errorf("s3: credentials cloudstack: database_key: a placeholder did not resolve")
		}
	}
	dsn, err := cloudstack.NormalizeDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("s3: credentials cloudstack: %w", err)
	}
	db, err := acquireCloudStackDB(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("s3: credentials cloudstack: opening the database: %w", err)
	}
	log := logger.Named("cloudstack")
	p := cloudstack.New(db, cloudstack.Options{
		DatabaseKey: dbKey,
		// The handler enforces Credential.ReadOnly (see readOnlyOps).
		AllowReadOnly: true,
		Logger: slog.New(zapslog.NewHandler(log.Core(),
			zapslog.WithName(log.Name()), zapslog.AddStacktraceAt(slog.LevelError+100))),
	})
	initCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := p.Init(initCtx); err != nil {
		_, _ = csPool.Delete(dsn)
		return nil, "", fmt.Errorf("s3: credentials cloudstack: %w", err)
	}
	return credcache.New(p, credcache.Options{
		TTL:         time.Duration(c.CacheTTL),
		NegativeTTL: time.Duration(c.NegativeCacheTTL),
		GracePeriod: time.Duration(c.GracePeriod),
		Outage:      cloudstack.IsOutage,
	}), dsn, nil
}
