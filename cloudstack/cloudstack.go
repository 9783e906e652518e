// Package cloudstack is a credential provider (auth.Provider) over Apache
// CloudStack's MySQL/MariaDB database: it reads users' API keys and secret
// keys live, detects the schema layout (4.19–4.22 keys on cloud.user, 4.23+
// cloud.api_keypair), decrypts secrets (V1 and V2 formats) and reads
// db.properties. It knows nothing of Caddy and keeps no cache: wrap it in a
// credcache.Cache.
package cloudstack

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/caddys3/caddys3/auth"
)

// Provider is an auth.Provider that reads Apache CloudStack users' API keys
// and secret keys live from CloudStack's MySQL/MariaDB database ("cloud").
//
// The schema layout is detected from information_schema (not from a version
// string): up to 4.22 the key pair is on cloud.user; from 4.23 it is in
// cloud.api_keypair (several pairs per user, optional start/end dates,
// per-pair permission rules, no unique index on api_key). A key is accepted
// only while CloudStack itself would accept it (see KeyUsable).
//
// Every Lookup asks the database. When it cannot be read, Lookup logs why
// and returns an error wrapping auth.ErrCredentialsUnavailable (S3
// ServiceUnavailable, 503, which clients retry), never
// auth.ErrInvalidAccessKeyID; IsOutage tells these errors apart from a
// secret that cannot be decrypted. Put a credcache.Cache in front of it for
// TTLs, one query per key at a time and a grace period while the database
// is down.
//
// Key-pair permission rules (4.23+) map onto S3 like this (see
// KeyPairAccess): a pair without rules has full access, as it
// inherits its account's role; otherwise the rules are evaluated as
// CloudStack evaluates role rules (first matching rule in sort_order wins,
// '*' wildcards, API names case-insensitive, no match = deny) for the
// object-storage APIs: S3 reads need listBuckets, S3 writes additionally
// need createBucket, updateBucket and deleteBucket. A pair allowed to read
// but not write gets auth.Credential.ReadOnly (refused outright unless
// AllowReadOnly is set); a pair whose rules allow neither is refused with
// auth.ErrAccessDenied, so it can never write.
type Provider struct {
	db   *sql.DB
	opts Options
	log  *slog.Logger

	schemaMu sync.Mutex
	schema   *csSchema
}

// Options configure a Provider. Zero values mean the documented defaults.
type Options struct {
	// DatabaseKey decrypts secret_key values (db.cloud.encrypt.secret in
	// db.properties, in clear). Empty means secrets are stored in plain text
	// (db.cloud.encryption.type=none).
	DatabaseKey string
	// QueryTimeout bounds one lookup's queries. Default 5s.
	QueryTimeout time.Duration
	// AllowReadOnly returns read-only key pairs with auth.Credential.ReadOnly set.
	// When false they are refused with auth.ErrAccessDenied: set it only where
	// the caller enforces ReadOnly.
	AllowReadOnly bool
	// Logger receives database failures and decryption errors; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock that key-pair dates are compared with; nil means
	// time.Now.
	Now func() time.Time
}

// ErrSecretUndecryptable is wrapped (with auth.ErrCredentialsUnavailable)
// by the error for a key whose stored secret the database key does not
// decrypt: an answer about that key, not an outage of the database.
var ErrSecretUndecryptable = errors.New("cloudstack: secret key cannot be decrypted")

// IsOutage reports whether a Lookup error means the database could not be
// read (as opposed to an answer about the key): the test to give a
// credcache.Cache as its Outage option.
func IsOutage(err error) bool {
	return errors.Is(err, auth.ErrCredentialsUnavailable) && !errors.Is(err, ErrSecretUndecryptable)
}

// csSchema is what the start-up detection found.
type csSchema struct {
	keyPairs    bool // 4.23+: cloud.api_keypair
	permissions bool // cloud.api_keypair_permissions exists
	// parentDomains: api.key.access of parent domains can be consulted
	// (cloud.domain.parent exists and the server has recursive CTEs).
	parentDomains bool
	query         string
	queryArgs     int    // how many times query takes the access key
	sample        string // a few secret keys, to check the database key
}

// New returns a provider over db, which must be a go-sql-driver/mysql pool
// opened with parseTime=true&loc=UTC (see OpenDB). It does not touch the
// database; call Init.
func New(db *sql.DB, opts Options) *Provider {
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Provider{db: db, opts: opts, log: log}
}

// NormalizeDSN parses a go-sql-driver/mysql DSN and returns it with
// what the provider needs: parseTime=true, loc=UTC, and timeouts (dial 5s,
// read/write 30s) unless the DSN sets them.
func NormalizeDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("cloudstack: bad dsn: %w", err)
	}
	if cfg.DBName == "" {
		return "", errors.New("cloudstack: the dsn names no database (…/cloud)")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg.FormatDSN(), nil
}

// OpenDB opens a pool for a DSN normalized by NormalizeDSN. It does not
// connect.
func OpenDB(dsn string) (*sql.DB, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxLifetime(10 * time.Minute)
	db.SetConnMaxIdleTime(2 * time.Minute)
	return db, nil
}

// dbError marks an error of the database itself (as opposed to an answer
// about a key); transient ones may go away (connection refused, timeouts,
// dropped connections).
type dbError struct {
	err       error
	transient bool
}

func (e *dbError) Error() string { return e.err.Error() }
func (e *dbError) Unwrap() error { return e.err }

// classify marks err as a database error, transient unless the server
// answered with an error that retrying will not fix (access denied, unknown
// database, bad schema).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1044, 1045, 1049, 1142, 1143, 1146, 1054: // access denied, unknown db/table/column
			return &dbError{err: err}
		}
	}
	return &dbError{err: err, transient: true}
}

func isTransient(err error) bool {
	var e *dbError
	return errors.As(err, &e) && e.transient
}

func isDBError(err error) bool {
	var e *dbError
	return errors.As(err, &e)
}

// Init detects the schema layout and checks the database key against a
// sample of stored secret keys. Errors the operator must fix (no CloudStack
// schema, access denied, a database key that decrypts none of the sampled
// secrets) are returned; an unreachable database is only logged, and
// detection is retried on the first lookups.
func (c *Provider) Init(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.QueryTimeout)
	defer cancel()
	s, err := c.ensureSchema(ctx)
	if err != nil {
		if isTransient(err) {
			c.log.Warn("cloudstack: database unreachable at start-up; will retry on lookups", "error", err.Error())
			return nil
		}
		return err
	}
	if err := c.checkDatabaseKey(ctx, s); err != nil {
		if isTransient(err) {
			c.log.Warn("cloudstack: database unreachable at start-up; will retry on lookups", "error", err.Error())
			return nil
		}
		return err
	}
	return nil
}

// Layout reports the detected schema layout: "api_keypair" (4.23+),
// "user" (up to 4.22) or "" when not detected yet.
func (c *Provider) Layout() string {
	c.schemaMu.Lock()
	defer c.schemaMu.Unlock()
	switch {
	case c.schema == nil:
		return ""
	case c.schema.keyPairs:
		return "api_keypair"
	default:
		return "user"
	}
}

func (c *Provider) ensureSchema(ctx context.Context) (*csSchema, error) {
	c.schemaMu.Lock()
	defer c.schemaMu.Unlock()
	if c.schema != nil {
		return c.schema, nil
	}
	s, err := detectCloudStackSchema(ctx, c.db)
	if err != nil {
		return nil, err
	}
	c.schema = s
	layout := "user (CloudStack 4.22 or older)"
	if s.keyPairs {
		layout = "api_keypair (CloudStack 4.23 or newer)"
	}
	c.log.Info("cloudstack: schema detected", "layout", layout, "parent_domain_settings", s.parentDomains)
	return s, nil
}

func detectCloudStackSchema(ctx context.Context, db *sql.DB) (*csSchema, error) {
	var dbName sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		return nil, classify(fmt.Errorf("cloudstack: connecting to the database: %w", err))
	}
	if !dbName.Valid || dbName.String == "" {
		return nil, errors.New("cloudstack: no database selected (the dsn must name the cloud database)")
	}
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN
		('user','account','api_keypair','api_keypair_permissions','domain','domain_details','configuration')`)
	if err != nil {
		return nil, classify(fmt.Errorf("cloudstack: reading information_schema: %w", err))
	}
	defer rows.Close()
	cols := map[string]bool{}
	tables := map[string]bool{}
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			return nil, classify(err)
		}
		t, col = strings.ToLower(t), strings.ToLower(col)
		tables[t] = true
		cols[t+"."+col] = true
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	var missing []string
	for _, need := range []string{"user.id", "user.uuid", "user.username", "user.account_id", "user.state", "user.removed",
		"account.id", "account.uuid", "account.account_name", "account.state", "account.removed", "account.domain_id"} {
		if !cols[need] {
			missing = append(missing, need)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cloudstack: database %s is not a CloudStack database (missing %s)", dbName.String, strings.Join(missing, ", "))
	}
	s := &csSchema{}
	switch {
	case cols["api_keypair.api_key"] && cols["api_keypair.secret_key"] && cols["api_keypair.user_id"]:
		s.keyPairs = true
		s.permissions = cols["api_keypair_permissions.api_keypair_id"] && cols["api_keypair_permissions.rule"] &&
			cols["api_keypair_permissions.permission"]
	case cols["user.api_key"] && cols["user.secret_key"]:
	default:
		return nil, fmt.Errorf("cloudstack: database %s has neither api_keypair.api_key (4.23+) nor user.api_key (4.22 and older)", dbName.String)
	}

	// Columns of the API-key-access rule (4.20+); absent columns read NULL
	// (inherit), so older schemas need no special case.
	nullOr := func(ok bool, expr string) string {
		if ok {
			return expr
		}
		return "NULL"
	}
	userAccess := nullOr(cols["user.api_key_access"], "u.api_key_access")
	acctAccess := nullOr(cols["account.api_key_access"], "a.api_key_access")
	domainDetails := cols["domain_details.domain_id"] && cols["domain_details.name"] && cols["domain_details.value"]
	domainAccess := nullOr(domainDetails,
		"(SELECT dd.value FROM domain_details dd WHERE dd.domain_id = a.domain_id AND dd.name = 'api.key.access' LIMIT 1)")
	globalExpr := "c.value"
	if cols["configuration.default_value"] {
		globalExpr = "COALESCE(c.value, c.default_value)"
	}
	configuration := cols["configuration.name"] && cols["configuration.value"]
	globalAccess := nullOr(configuration,
		"(SELECT "+globalExpr+" FROM configuration c WHERE c.name = 'api.key.access' LIMIT 1)")

	// Parent domains (see csDomainChain): only with cloud.domain.parent and
	// a server with recursive CTEs (MariaDB 10.2+, MySQL 8); otherwise the
	// account's own domain alone, as before.
	var with string
	if domainDetails && configuration && cols["domain.id"] && cols["domain.parent"] {
		ok, err := csRecursiveCTE(ctx, db)
		if err != nil {
			return nil, err
		}
		if ok {
			s.parentDomains = true
			with, domainAccess = csDomainChain(s.keyPairs, cols["domain.removed"], domainAccess, globalExpr)
			s.queryArgs++
		}
	}
	s.queryArgs++

	common := `u.uuid, u.username, u.state, u.removed IS NOT NULL, ` + userAccess + `,
		a.uuid, a.account_name, a.state, a.removed IS NOT NULL, ` + acctAccess + `,
		` + domainAccess + `, ` + globalAccess
	if s.keyPairs {
		s.query = with + `SELECT k.id, k.api_key, k.secret_key, k.start_date, k.end_date, ` + common + `
		FROM ` + csKeyJoin(true) + `
		WHERE k.api_key = ? AND k.removed IS NULL`
		s.sample = `SELECT secret_key FROM api_keypair WHERE removed IS NULL AND secret_key IS NOT NULL AND secret_key <> '' LIMIT 20`
	} else {
		s.query = with + `SELECT 0, u.api_key, u.secret_key, NULL, NULL, ` + common + `
		FROM ` + csKeyJoin(false) + `
		WHERE u.api_key = ? AND u.removed IS NULL`
		s.sample = `SELECT secret_key FROM user WHERE removed IS NULL AND api_key IS NOT NULL AND secret_key IS NOT NULL AND secret_key <> '' LIMIT 20`
	}
	return s, nil
}

// csKeyJoin joins a key to its user and account.
func csKeyJoin(keyPairs bool) string {
	if keyPairs {
		return "api_keypair k JOIN user u ON k.user_id = u.id JOIN account a ON u.account_id = a.id"
	}
	return "user u JOIN account a ON u.account_id = a.id"
}

// csMaxDomainDepth bounds the walk up cloud.domain.parent (a guard against
// a cycle in a damaged table; CloudStack's trees are a few levels deep).
const csMaxDomainDepth = 100

// csDomainChain returns a WITH clause and the domain-level api.key.access
// expression that resolve the setting as CloudStack does
// (DomainDetailsDaoImpl.getConfigValue, reached through
// ConfigKey.valueIn(account.domain_id)): when the global setting
// enable.domain.settings.for.child.domain is true, the nearest of the
// account's domain and its parents up to ROOT that has api.key.access in
// domain_details decides (the walk stops at a removed domain, which
// CloudStack's findById does not return); when it is false (CloudStack's
// default), only the account's own domain counts (own). The WITH clause
// takes the access key as a parameter: it walks up from the domains of the
// accounts holding the key, and the outer query picks the chain that
// starts at its own account's domain.
func csDomainChain(keyPairs, removedCol bool, own, globalExpr string) (with, expr string) {
	live := func(alias string) string {
		if removedCol {
			return " AND " + alias + ".removed IS NULL"
		}
		return ""
	}
	keyCond := "u.api_key = ? AND u.removed IS NULL"
	if keyPairs {
		keyCond = "k.api_key = ? AND k.removed IS NULL"
	}
	with = fmt.Sprintf(`WITH RECURSIVE csdomain (start_id, id, parent, depth) AS (
		SELECT d.id, d.id, d.parent, 0 FROM domain d
		WHERE d.id IN (SELECT a.domain_id FROM %s WHERE %s)%s
		UNION ALL
		SELECT ch.start_id, p.id, p.parent, ch.depth + 1 FROM csdomain ch JOIN domain p ON p.id = ch.parent
		WHERE ch.depth < %d%s
	)
	`, csKeyJoin(keyPairs), keyCond, live("d"), csMaxDomainDepth, live("p"))
	inherit := `(SELECT LOWER(` + globalExpr + `) FROM configuration c
			WHERE c.name = 'enable.domain.settings.for.child.domain' LIMIT 1) = 'true'`
	nearest := `(SELECT dd.value FROM csdomain ch JOIN domain_details dd ON dd.domain_id = ch.id AND dd.name = 'api.key.access'
			WHERE ch.start_id = a.domain_id ORDER BY ch.depth LIMIT 1)`
	expr = `CASE WHEN ` + inherit + `
		THEN ` + nearest + `
		ELSE ` + own + ` END`
	return with, expr
}

// csRecursiveCTE reports whether the server runs WITH RECURSIVE (MariaDB
// 10.2+, MySQL 8); a syntax error means it does not.
func csRecursiveCTE(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `WITH RECURSIVE t (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 2) SELECT COUNT(*) FROM t`).Scan(&n)
	var me *mysql.MySQLError
	switch {
	case err == nil:
		return n == 2, nil
	case errors.As(err, &me) && (me.Number == 1064 || me.Number == 1149): // syntax error
		return false, nil
	default:
		return false, classify(fmt.Errorf("cloudstack: checking for recursive CTE support: %w", err))
	}
}

// checkDatabaseKey decrypts a sample of stored secrets: a database key that
// decrypts none of them is wrong.
func (c *Provider) checkDatabaseKey(ctx context.Context, s *csSchema) error {
	rows, err := c.db.QueryContext(ctx, s.sample)
	if err != nil {
		return classify(fmt.Errorf("cloudstack: reading secret keys: %w", err))
	}
	defer rows.Close()
	var total, ok, plainLooking int
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return classify(err)
		}
		total++
		if c.opts.DatabaseKey == "" {
			if !looksEncrypted(v) {
				plainLooking++
			}
			continue
		}
		if _, err := Decrypt(c.opts.DatabaseKey, v); err == nil {
			ok++
		}
	}
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	switch {
	case total == 0:
		c.log.Info("cloudstack: no API keys in the database yet; the database key cannot be checked")
	case c.opts.DatabaseKey == "" && plainLooking == 0:
		c.log.Warn("cloudstack: no database key configured but the stored secret keys look encrypted; set database_key or key_file",
			"sampled", total)
	case c.opts.DatabaseKey != "" && ok == 0:
		return fmt.Errorf("cloudstack: the database key decrypts none of the %d sampled secret keys: wrong database key (database_key, key_file or CLOUD_SECRET_KEY)?", total)
	case c.opts.DatabaseKey != "" && ok < total:
		c.log.Warn("cloudstack: some sampled secret keys cannot be decrypted with the database key", "sampled", total, "decrypted", ok)
	}
	return nil
}

// looksEncrypted reports whether v has the shape of a V1 or V2 ciphertext:
// padded standard base64 of at least 16 bytes. CloudStack's generated
// secrets are 86 characters of unpadded URL-safe base64.
func looksEncrypted(v string) bool {
	if len(v) == 86 && !strings.ContainsAny(v, "+/=") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) >= 16
}

// Lookup implements auth.Provider: it asks the database about one key.
func (c *Provider) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if accessKeyID == "" || len(accessKeyID) > 255 {
		return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, accessKeyID)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.QueryTimeout)
	defer cancel()
	s, err := c.ensureSchema(ctx)
	if err == nil {
		var cred auth.Credential
		cred, err = c.query(ctx, s, accessKeyID, c.opts.Now())
		if !isDBError(err) {
			return cred, err
		}
	}
	level := slog.LevelWarn
	if !isTransient(err) {
		level = slog.LevelError
	}
	c.log.Log(ctx, level, "cloudstack: credential database unavailable", "error", err.Error())
	return auth.Credential{}, fmt.Errorf("%w: cannot look up access key %q", auth.ErrCredentialsUnavailable, accessKeyID)
}

// KeyRow is what one lookup reads about a key pair, its user,
// account, domain and the global setting.
type KeyRow struct {
	KeyPairID          int64 // 0 for the ≤4.22 layout
	APIKey             string
	Secret             sql.NullString
	StartDate, EndDate sql.NullTime

	UserUUID, UserName, UserState string
	UserRemoved                   bool
	UserAPIKeyAccess              sql.NullBool

	AccountUUID, AccountName, AccountState string
	AccountRemoved                         bool
	AccountAPIKeyAccess                    sql.NullBool

	DomainAPIKeyAccess, GlobalAPIKeyAccess sql.NullString
}

// query reads the key; errors wrapping dbError are database failures,
// others are answers about the key.
func (c *Provider) query(ctx context.Context, s *csSchema, key string, now time.Time) (auth.Credential, error) {
	args := make([]any, max(s.queryArgs, 1))
	for i := range args {
		args[i] = key
	}
	rows, err := c.db.QueryContext(ctx, s.query, args...)
	if err != nil {
		return auth.Credential{}, classify(fmt.Errorf("cloudstack: looking up a key: %w", err))
	}
	var found []KeyRow
	for rows.Next() {
		var r KeyRow
		if err := rows.Scan(&r.KeyPairID, &r.APIKey, &r.Secret, &r.StartDate, &r.EndDate,
			&r.UserUUID, &r.UserName, &r.UserState, &r.UserRemoved, &r.UserAPIKeyAccess,
			&r.AccountUUID, &r.AccountName, &r.AccountState, &r.AccountRemoved, &r.AccountAPIKeyAccess,
			&r.DomainAPIKeyAccess, &r.GlobalAPIKeyAccess); err != nil {
			rows.Close()
			return auth.Credential{}, classify(fmt.Errorf("cloudstack: reading a key: %w", err))
		}
		// The column's collation may be case-insensitive: keys match exactly.
		if r.APIKey == key {
			found = append(found, r)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return auth.Credential{}, classify(fmt.Errorf("cloudstack: reading a key: %w", err))
	}
	switch len(found) {
	case 0:
		return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, key)
	case 1:
	default:
		c.log.Error("cloudstack: API key is held by several live key pairs; refused", "access_key", key, "count", len(found))
		return auth.Credential{}, fmt.Errorf("%w: %q is ambiguous (%d key pairs)", auth.ErrInvalidAccessKeyID, key, len(found))
	}
	r := found[0]
	if reason := KeyUsable(r, now); reason != "" {
		return auth.Credential{}, fmt.Errorf("%w: %q: %s", auth.ErrInvalidAccessKeyID, key, reason)
	}
	readOnly := false
	if s.keyPairs && s.permissions {
		rules, err := c.rules(ctx, r.KeyPairID)
		if err != nil {
			return auth.Credential{}, err
		}
		read, write := KeyPairAccess(rules)
		switch {
		case !read:
			return auth.Credential{}, fmt.Errorf("%w: the permission rules of key pair %d deny S3 access", auth.ErrAccessDenied, r.KeyPairID)
		case !write && !c.opts.AllowReadOnly:
			return auth.Credential{}, fmt.Errorf("%w: key pair %d is read-only (its rules deny createBucket/updateBucket/deleteBucket)", auth.ErrAccessDenied, r.KeyPairID)
		}
		readOnly = !write
	}
	if !r.Secret.Valid || r.Secret.String == "" {
		return auth.Credential{}, fmt.Errorf("%w: %q has no secret key", auth.ErrInvalidAccessKeyID, key)
	}
	secret := r.Secret.String
	if c.opts.DatabaseKey != "" {
		secret, err = Decrypt(c.opts.DatabaseKey, r.Secret.String)
		if err != nil {
			c.log.Error("cloudstack: the secret key of an API key cannot be decrypted with the database key", "access_key", key)
			return auth.Credential{}, fmt.Errorf("%w: %w: access key %q (wrong database key?)", auth.ErrCredentialsUnavailable, ErrSecretUndecryptable, key)
		}
	}
	return auth.Credential{
		AccessKeyID: key,
		Secret:      secret,
		Owner:       r.AccountUUID,
		DisplayName: r.AccountName,
		ReadOnly:    readOnly,
	}, nil
}

// Rule is one key-pair permission rule.
type Rule struct {
	Rule       string // API name, '*' wildcards
	Permission string // "allow" or "deny"
}

func (c *Provider) rules(ctx context.Context, keyPairID int64) ([]Rule, error) {
	rows, err := c.db.QueryContext(ctx,
		`SELECT rule, permission FROM api_keypair_permissions WHERE api_keypair_id = ? ORDER BY sort_order`, keyPairID)
	if err != nil {
		return nil, classify(fmt.Errorf("cloudstack: reading key pair permissions: %w", err))
	}
	defer rows.Close()
	var rules []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Rule, &r.Permission); err != nil {
			return nil, classify(err)
		}
		rules = append(rules, r)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return rules, nil
}

// KeyUsable returns "" when CloudStack would accept the key at
// now, else why not: the user and the account must be enabled and not
// removed; API-key access must not be disabled (user, else account, else
// domain, else global setting, default allowed); the key pair must be
// within its start and end dates.
func KeyUsable(r KeyRow, now time.Time) string {
	switch {
	case r.UserRemoved:
		return "user removed"
	case !strings.EqualFold(r.UserState, "enabled"):
		return "user " + strings.ToLower(r.UserState)
	case r.AccountRemoved:
		return "account removed"
	case !strings.EqualFold(r.AccountState, "enabled"):
		return "account " + strings.ToLower(r.AccountState)
	}
	if allowed, level := APIKeyAccess(r.UserAPIKeyAccess, r.AccountAPIKeyAccess, r.DomainAPIKeyAccess, r.GlobalAPIKeyAccess); !allowed {
		return "API key access disabled (" + level + ")"
	}
	if r.StartDate.Valid && now.Before(r.StartDate.Time) {
		return "key pair not valid before " + r.StartDate.Time.UTC().Format(time.RFC3339)
	}
	if r.EndDate.Valid && !now.Before(r.EndDate.Time) {
		return "key pair expired at " + r.EndDate.Time.UTC().Format(time.RFC3339)
	}
	return ""
}

// APIKeyAccess resolves api.key.access: the user's value, else the
// account's (NULL inherits), else the domain setting, else the global one
// (default true). It returns the result and the level that decided. The
// domain setting is the account's domain's or, when the global
// enable.domain.settings.for.child.domain is true, its nearest parent's
// that has one (the lookup query resolves it, see csDomainChain).
func APIKeyAccess(user, account sql.NullBool, domain, global sql.NullString) (bool, string) {
	if user.Valid {
		return user.Bool, "user"
	}
	if account.Valid {
		return account.Bool, "account"
	}
	if b, ok := parseSettingBool(domain); ok {
		return b, "domain"
	}
	if b, ok := parseSettingBool(global); ok {
		return b, "global"
	}
	return true, "default"
}

func parseSettingBool(v sql.NullString) (bool, bool) {
	if !v.Valid {
		return false, false
	}
	b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v.String)))
	if err != nil {
		return false, false
	}
	return b, true
}

// CloudStack object-storage API names that S3 access maps onto.
var (
	csReadAPIs  = []string{"listBuckets"}
	csWriteAPIs = []string{"createBucket", "updateBucket", "deleteBucket"}
)

// KeyPairAccess maps a key pair's permission rules (in sort
// order) onto S3: no rules means full access (the pair inherits its
// account's role); otherwise S3 reads need listBuckets allowed and S3 writes
// need reads plus createBucket, updateBucket and deleteBucket allowed, each
// decided by the first matching rule, no match meaning deny.
func KeyPairAccess(rules []Rule) (read, write bool) {
	if len(rules) == 0 {
		return true, true
	}
	allowed := func(api string) bool {
		for _, r := range rules {
			if csRuleMatches(r.Rule, api) {
				return strings.EqualFold(strings.TrimSpace(r.Permission), "allow")
			}
		}
		return false
	}
	read = true
	for _, api := range csReadAPIs {
		read = read && allowed(api)
	}
	write = read
	for _, api := range csWriteAPIs {
		write = write && allowed(api)
	}
	return read, write
}

// csRuleMatches matches an API name against a rule with '*' wildcards,
// case-insensitively.
func csRuleMatches(rule, api string) bool {
	rule, api = strings.ToLower(strings.TrimSpace(rule)), strings.ToLower(api)
	parts := strings.Split(rule, "*")
	if len(parts) == 1 {
		return rule == api
	}
	if !strings.HasPrefix(api, parts[0]) {
		return false
	}
	api = api[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(api, p)
		if i < 0 {
			return false
		}
		api = api[i+len(p):]
	}
	return strings.HasSuffix(api, last) && len(api) >= len(last)
}

var _ auth.Provider = (*Provider)(nil)
