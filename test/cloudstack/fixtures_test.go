package cloudstack

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/caddys3/caddys3/internal/csencrypt"
)

// Expected outcomes of a lookup.
const (
	wantOK          = "ok"
	wantInvalid     = "invalid"     // ErrInvalidAccessKeyID / InvalidAccessKeyId
	wantDenied      = "denied"      // ErrAccessDenied / AccessDenied
	wantUnavailable = "unavailable" // ErrCredentialsUnavailable / ServiceUnavailable
)

// csKey is one API key in the fixtures with what a lookup must return.
type csKey struct {
	db, name    string
	key, secret string // secret in clear
	want        string
	owner, disp string // account UUID and name, for wantOK
}

// keys holds every fixture key by "db/name".
var keys = map[string]csKey{}

// keyOrder lists the fixture names in insertion order.
var keyOrder []string

func k(db, name string) csKey {
	c, ok := keys[db+"/"+name]
	if !ok {
		panic("no fixture " + db + "/" + name)
	}
	return c
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	h := randHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newAPIKey returns a CloudStack-style key: 86 characters of unpadded
// URL-safe base64 of 64 random bytes.
func newAPIKey() string {
	b := make([]byte, 64)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// layout describes one fixture database.
type layout struct {
	db         string
	keyPairs   bool // 4.23+
	accessCols bool // 4.20+ api_key_access columns
	encrypt    func(string) string
}

func schemaSQL(l layout) string {
	access := ""
	if l.accessCols {
		access = ", api_key_access tinyint(1) NULL DEFAULT NULL"
	}
	userKeys := ""
	if !l.keyPairs {
		userKeys = ", api_key varchar(255) NULL, secret_key varchar(255) NULL, UNIQUE KEY i_user__api_key (api_key)"
	}
	s := fmt.Sprintf(`
CREATE DATABASE %[1]s CHARACTER SET utf8mb4;
CREATE TABLE %[1]s.domain (id bigint unsigned PRIMARY KEY, uuid varchar(40), parent bigint unsigned, name varchar(255), path varchar(255), state char(32) NOT NULL DEFAULT 'Active', removed datetime NULL);
CREATE TABLE %[1]s.domain_details (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, domain_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(1024) NOT NULL);
CREATE TABLE %[1]s.configuration (category varchar(255) NOT NULL DEFAULT 'Advanced', instance varchar(255) NOT NULL DEFAULT 'DEFAULT', component varchar(255) NOT NULL DEFAULT 'management-server', name varchar(255) NOT NULL PRIMARY KEY, value varchar(4095), default_value varchar(4095), description varchar(1024));
CREATE TABLE %[1]s.account (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), account_name varchar(100), type int unsigned NOT NULL DEFAULT 0, role_id bigint unsigned, domain_id bigint unsigned NOT NULL, state varchar(10) NOT NULL DEFAULT 'enabled', created datetime, removed datetime, cleanup_needed tinyint(1) NOT NULL DEFAULT 0%[2]s);
CREATE TABLE %[1]s.user (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), username varchar(255) NOT NULL, password varchar(255) NOT NULL DEFAULT '', account_id bigint unsigned NOT NULL, firstname varchar(255), lastname varchar(255), email varchar(255), state varchar(10) NOT NULL DEFAULT 'enabled', created datetime, removed datetime, timezone varchar(30), is_default tinyint(1) DEFAULT 0%[2]s%[3]s);
GRANT SELECT ON %[1]s.* TO 'cloud'@'127.0.0.1';
INSERT INTO %[1]s.domain (id, uuid, parent, name, path) VALUES (1, UUID(), NULL, 'ROOT', '/'), (2, UUID(), 1, 'blocked', '/blocked/'), (3, UUID(), 1, 'open', '/open/');
INSERT INTO %[1]s.configuration (name, value, default_value) VALUES ('api.key.access', NULL, 'true');
`, l.db, access, userKeys)
	if l.keyPairs {
		s += fmt.Sprintf(`
CREATE TABLE %[1]s.api_keypair (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), name varchar(255), domain_id bigint unsigned, account_id bigint unsigned, user_id bigint unsigned NOT NULL, start_date datetime NULL, end_date datetime NULL, description varchar(100), api_key varchar(255) NOT NULL, secret_key varchar(255) NOT NULL, created datetime, removed datetime NULL, KEY i_api_keypair__api_key (api_key));
CREATE TABLE %[1]s.api_keypair_permissions (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), api_keypair_id bigint unsigned NOT NULL, rule varchar(255) NOT NULL, permission varchar(255) NOT NULL, sort_order bigint unsigned NOT NULL DEFAULT 0, description varchar(255));
`, l.db)
	}
	return s
}

type fixtureDB struct {
	l        layout
	accounts map[string]struct {
		id   int64
		uuid string
	}
	userIDs map[string]int64
	err     error
}

func (f *fixtureDB) exec(q string, args ...any) sql.Result {
	if f.err != nil {
		return nil
	}
	r, err := maria.root.Exec(q, args...)
	if err != nil {
		f.err = fmt.Errorf("%s: %w", q, err)
	}
	return r
}

func (f *fixtureDB) lastID(r sql.Result) int64 {
	if r == nil {
		return 0
	}
	id, _ := r.LastInsertId()
	return id
}

// account inserts an account; access is "", "0" or "1" (api_key_access).
func (f *fixtureDB) account(name, state string, removed bool, access string, domain int) {
	uuid := newUUID()
	var rem any
	if removed {
		rem = time.Now().UTC().Add(-time.Hour)
	}
	q := fmt.Sprintf("INSERT INTO %s.account (uuid, account_name, domain_id, state, created, removed) VALUES (?,?,?,?,UTC_TIMESTAMP(),?)", f.l.db)
	id := f.lastID(f.exec(q, uuid, name, domain, state, rem))
	if access != "" {
		f.exec(fmt.Sprintf("UPDATE %s.account SET api_key_access = ? WHERE id = ?", f.l.db), access, id)
	}
	f.accounts[name] = struct {
		id   int64
		uuid string
	}{id, uuid}
}

// user inserts a user and, in the ≤4.22 layouts, its key pair. want is the
// expected lookup outcome (for the 4.23 layout the key pairs are added with
// pair()).
func (f *fixtureDB) user(account, name, state string, removed bool, access string, want string) {
	a := f.accounts[account]
	var rem any
	if removed {
		rem = time.Now().UTC().Add(-time.Hour)
	}
	q := fmt.Sprintf("INSERT INTO %s.user (uuid, username, account_id, state, created, removed) VALUES (UUID(),?,?,?,UTC_TIMESTAMP(),?)", f.l.db)
	id := f.lastID(f.exec(q, name, a.id, state, rem))
	if access != "" {
		f.exec(fmt.Sprintf("UPDATE %s.user SET api_key_access = ? WHERE id = ?", f.l.db), access, id)
	}
	f.userIDs[name] = id
	if !f.l.keyPairs {
		key, secret := newAPIKey(), newAPIKey()
		f.exec(fmt.Sprintf("UPDATE %s.user SET api_key = ?, secret_key = ? WHERE id = ?", f.l.db), key, f.l.encrypt(secret), id)
		f.register(csKey{db: f.l.db, name: name, key: key, secret: secret, want: want, owner: a.uuid, disp: account})
	}
}

type pairOpts struct {
	start, end *time.Time
	removed    bool
	rules      [][2]string
	key        string // reuse a key (ambiguity cases)
	ciphertext string // store this instead of encrypting the secret
}

// pair adds a key pair (4.23 layout) for user with the expected outcome.
func (f *fixtureDB) pair(user, account, name string, o pairOpts, want string) {
	a := f.accounts[account]
	key, secret := o.key, newAPIKey()
	if key == "" {
		key = newAPIKey()
	}
	ct := o.ciphertext
	if ct == "" {
		ct = f.l.encrypt(secret)
	}
	var start, end, rem any
	if o.start != nil {
		start = *o.start
	}
	if o.end != nil {
		end = *o.end
	}
	if o.removed {
		rem = time.Now().UTC().Add(-time.Hour)
	}
	q := fmt.Sprintf(`INSERT INTO %s.api_keypair (uuid, name, domain_id, account_id, user_id, start_date, end_date, api_key, secret_key, created, removed)
		VALUES (UUID(), ?, 1, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), ?)`, f.l.db)
	id := f.lastID(f.exec(q, name, a.id, f.userIDs[user], start, end, key, ct, rem))
	for i, r := range o.rules {
		f.exec(fmt.Sprintf("INSERT INTO %s.api_keypair_permissions (uuid, api_keypair_id, rule, permission, sort_order) VALUES (UUID(), ?, ?, ?, ?)", f.l.db),
			id, r[0], r[1], i)
	}
	if name != "" {
		f.register(csKey{db: f.l.db, name: name, key: key, secret: secret, want: want, owner: a.uuid, disp: account})
	}
}

func (f *fixtureDB) register(c csKey) {
	keys[c.db+"/"+c.name] = c
	keyOrder = append(keyOrder, c.db+"/"+c.name)
}

func tm(d time.Duration) *time.Time {
	t := time.Now().UTC().Add(d).Truncate(time.Second)
	return &t
}

// buildFixtures creates the cloud user and the three databases.
func buildFixtures() error {
	setup := fmt.Sprintf(`
DROP USER IF EXISTS ''@'localhost';
DROP USER IF EXISTS ''@'%%';
CREATE USER 'cloud'@'127.0.0.1' IDENTIFIED BY '%s';
`, dbPassword)
	if _, err := maria.root.Exec(setup); err != nil {
		return err
	}
	v2 := func(s string) string { return csencrypt.V2(databaseKey, s) }
	v1 := func(s string) string { return csencrypt.V1(databaseKey, s) }
	mixed := func() func(string) string {
		n := 0
		return func(s string) string {
			n++
			if n%2 == 0 {
				return v1(s)
			}
			return v2(s)
		}
	}()

	// 4.23+: key pairs.
	f := &fixtureDB{l: layout{db: "cloud", keyPairs: true, accessCols: true, encrypt: mixed}, userIDs: map[string]int64{},
		accounts: map[string]struct {
			id   int64
			uuid string
		}{}}
	if _, err := maria.root.Exec(schemaSQL(f.l)); err != nil {
		return err
	}
	f.exec("INSERT INTO cloud.domain_details (domain_id, name, value) VALUES (2, 'api.key.access', 'false'), (3, 'api.key.access', 'true')")
	f.account("acme", "enabled", false, "", 1)
	f.account("globex", "enabled", false, "", 1)
	f.account("disabledacct", "disabled", false, "", 1)
	f.account("lockedacct", "locked", false, "", 1)
	f.account("removedacct", "enabled", true, "", 1)
	f.account("noaccessacct", "enabled", false, "0", 1)
	f.account("blockeddomacct", "enabled", false, "", 2)
	f.account("opendomacct", "enabled", false, "", 3)
	for _, u := range []struct{ acct, name, state string }{
		{"acme", "alice", "enabled"}, {"acme", "carol", "enabled"}, {"acme", "jane", "enabled"}, {"acme", "kate", "enabled"},
		{"globex", "bob", "enabled"}, {"globex", "dave", "enabled"},
		{"acme", "frank", "disabled"}, {"acme", "gina", "locked"},
		{"disabledacct", "u1", "enabled"}, {"lockedacct", "u2", "enabled"}, {"removedacct", "u3", "enabled"},
		{"noaccessacct", "u4", "enabled"}, {"blockeddomacct", "u6", "enabled"}, {"opendomacct", "u8", "enabled"},
	} {
		f.user(u.acct, u.name, u.state, false, "", "")
	}
	f.user("acme", "hank", "enabled", true, "", "")
	f.user("acme", "ivan", "enabled", false, "0", "")
	f.user("noaccessacct", "u5", "enabled", false, "1", "")
	f.user("blockeddomacct", "u7", "enabled", false, "1", "")
	f.pair("alice", "acme", "alice", pairOpts{}, wantOK)
	f.pair("bob", "globex", "bob", pairOpts{}, wantOK)
	f.pair("carol", "acme", "carol", pairOpts{}, wantOK)
	f.pair("dave", "globex", "dave", pairOpts{}, wantOK)
	f.pair("frank", "acme", "user-disabled", pairOpts{}, wantInvalid)
	f.pair("gina", "acme", "user-locked", pairOpts{}, wantInvalid)
	f.pair("hank", "acme", "user-removed", pairOpts{}, wantInvalid)
	f.pair("ivan", "acme", "user-access-off", pairOpts{}, wantInvalid)
	f.pair("u1", "disabledacct", "account-disabled", pairOpts{}, wantInvalid)
	f.pair("u2", "lockedacct", "account-locked", pairOpts{}, wantInvalid)
	f.pair("u3", "removedacct", "account-removed", pairOpts{}, wantInvalid)
	f.pair("u4", "noaccessacct", "account-access-off", pairOpts{}, wantInvalid)
	f.pair("u5", "noaccessacct", "user-access-on-overrides-account", pairOpts{}, wantOK)
	f.pair("u6", "blockeddomacct", "domain-access-off", pairOpts{}, wantInvalid)
	f.pair("u7", "blockeddomacct", "user-access-on-overrides-domain", pairOpts{}, wantOK)
	f.pair("u8", "opendomacct", "domain-access-on", pairOpts{}, wantOK)
	f.pair("jane", "acme", "pair-expired", pairOpts{start: tm(-48 * time.Hour), end: tm(-time.Hour)}, wantInvalid)
	f.pair("jane", "acme", "pair-not-yet", pairOpts{start: tm(time.Hour)}, wantInvalid)
	f.pair("jane", "acme", "pair-in-dates", pairOpts{start: tm(-time.Hour), end: tm(time.Hour)}, wantOK)
	f.pair("jane", "acme", "pair-removed", pairOpts{removed: true}, wantInvalid)
	f.pair("jane", "acme", "pair-ambiguous", pairOpts{}, wantInvalid)
	f.pair("kate", "acme", "", pairOpts{key: keys["cloud/pair-ambiguous"].key}, "")
	f.pair("jane", "acme", "pair-removed-duplicate", pairOpts{}, wantOK)
	f.pair("kate", "acme", "", pairOpts{key: keys["cloud/pair-removed-duplicate"].key, removed: true}, "")
	f.pair("jane", "acme", "rules-deny-all", pairOpts{rules: [][2]string{{"*", "deny"}}}, wantDenied)
	f.pair("jane", "acme", "rules-list-only", pairOpts{rules: [][2]string{{"list*", "allow"}, {"*", "deny"}}}, wantDenied)
	f.pair("jane", "acme", "rules-allow-all", pairOpts{rules: [][2]string{{"*", "allow"}}}, wantOK)
	f.pair("jane", "acme", "rules-buckets", pairOpts{rules: [][2]string{{"*Bucket*", "ALLOW"}, {"*", "DENY"}}}, wantOK)
	f.pair("jane", "acme", "rules-unrelated", pairOpts{rules: [][2]string{{"listVirtualMachines", "allow"}}}, wantDenied)
	f.pair("jane", "acme", "secret-other-key", pairOpts{ciphertext: csencrypt.V2("some-other-key", "x")}, wantUnavailable)
	f.nestedDomains()
	if f.err != nil {
		return f.err
	}

	// 4.20–4.22: keys on the user row, V1 secrets under the legacy key.
	g := &fixtureDB{l: layout{db: "cloud422", accessCols: true, encrypt: func(s string) string { return csencrypt.V1(legacyDatabaseKey, s) }},
		userIDs: map[string]int64{}, accounts: map[string]struct {
			id   int64
			uuid string
		}{}}
	if _, err := maria.root.Exec(schemaSQL(g.l)); err != nil {
		return err
	}
	g.exec("INSERT INTO cloud422.domain_details (domain_id, name, value) VALUES (2, 'api.key.access', 'false')")
	g.account("initech", "enabled", false, "", 1)
	g.account("gone", "enabled", true, "", 1)
	g.account("blockeddom", "enabled", false, "", 2)
	g.user("initech", "erin", "enabled", false, "", wantOK)
	g.user("initech", "legacy-disabled", "disabled", false, "", wantInvalid)
	g.user("initech", "legacy-access-off", "enabled", false, "0", wantInvalid)
	g.user("initech", "legacy-removed", "enabled", true, "", wantInvalid)
	g.user("gone", "legacy-account-removed", "enabled", false, "", wantInvalid)
	g.user("blockeddom", "legacy-domain-off", "enabled", false, "", wantInvalid)
	g.nestedDomains()
	if g.err != nil {
		return g.err
	}

	// Before 4.20: no api_key_access columns, plain secrets.
	p := &fixtureDB{l: layout{db: "cloudplain", encrypt: func(s string) string { return s }},
		userIDs: map[string]int64{}, accounts: map[string]struct {
			id   int64
			uuid string
		}{}}
	if _, err := maria.root.Exec(schemaSQL(p.l)); err != nil {
		return err
	}
	p.account("umbrella", "enabled", false, "", 1)
	p.account("umbrella-off", "disabled", false, "", 1)
	p.user("umbrella", "paul", "enabled", false, "", wantOK)
	p.user("umbrella", "plain-removed", "enabled", true, "", wantInvalid)
	p.user("umbrella-off", "plain-account-disabled", "enabled", false, "", wantInvalid)
	if p.err != nil {
		return p.err
	}
	_, err := maria.root.Exec("FLUSH PRIVILEGES")
	return err
}

// nestedDomainKeys are the keys of nestedDomains: one account per domain
// below "blocked" (2, api.key.access=false) and "open" (3, true), and the
// outcome when CloudStack walks up to the parent domains.
var nestedDomainKeys = []struct {
	name      string
	domain    int
	inherited string // with enable.domain.settings.for.child.domain=true
}{
	{"dom-child", 4, wantInvalid},          // blocked/child inherits false
	{"dom-reopened", 5, wantOK},            // blocked/reopened: its own true beats the parent's false
	{"dom-grandchild", 6, wantInvalid},     // blocked/child/grandchild inherits false from its grandparent
	{"dom-reopened-grandchild", 7, wantOK}, // the nearest setting wins: reopened's true
	{"dom-open-child", 8, wantOK},          // open/child inherits true
	{"dom-below-removed", 10, wantOK},      // blocked/gone (removed)/x: the walk stops at a removed domain
}

// nestedDomains adds a domain tree below "blocked" and "open" with an
// account and a key in each domain (see nestedDomainKeys). CloudStack
// consults parent domains only when the global setting
// enable.domain.settings.for.child.domain is true, which the fixtures do
// not set: here every one of these keys is usable (TestProviderLayouts);
// TestProviderParentDomains turns inheritance on.
func (f *fixtureDB) nestedDomains() {
	f.exec(fmt.Sprintf(`INSERT INTO %s.domain (id, uuid, parent, name, path, removed) VALUES
		(4, UUID(), 2, 'child', '/blocked/child/', NULL),
		(5, UUID(), 2, 'reopened', '/blocked/reopened/', NULL),
		(6, UUID(), 4, 'grandchild', '/blocked/child/grandchild/', NULL),
		(7, UUID(), 5, 'grandchild', '/blocked/reopened/grandchild/', NULL),
		(8, UUID(), 3, 'child', '/open/child/', NULL),
		(9, UUID(), 2, 'gone', '/blocked/gone/', UTC_TIMESTAMP()),
		(10, UUID(), 9, 'x', '/blocked/gone/x/', NULL)`, f.l.db))
	f.exec(fmt.Sprintf("INSERT INTO %s.domain_details (domain_id, name, value) VALUES (5, 'api.key.access', 'true')", f.l.db))
	for _, d := range nestedDomainKeys {
		acct := "acct-" + d.name
		f.account(acct, "enabled", false, "", d.domain)
		if f.l.keyPairs {
			f.user(acct, "user-"+d.name, "enabled", false, "", "")
			f.pair("user-"+d.name, acct, d.name, pairOpts{}, wantOK)
		} else {
			f.user(acct, d.name, "enabled", false, "", wantOK)
		}
	}
}

// writeDBProperties writes a db.properties for cloud422 as
// cloudstack-setup-databases does (ENC(…) values under the management key)
// and the key file, and returns their paths.
func writeDBProperties(dir string) (props, keyFile string, err error) {
	props = filepath.Join(dir, "db.properties")
	keyFile = filepath.Join(dir, "key")
	content := fmt.Sprintf(`# Generated by the tests, shaped like CloudStack's
cluster.node.IP=127.0.0.1
db.cloud.username=%s
db.cloud.password=ENC(%s)
db.cloud.host=127.0.0.1
db.cloud.port=%d
db.cloud.name=cloud422
db.cloud.maxActive=250
db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true
db.cloud.encryption.type=file
db.cloud.encrypt.secret=ENC(%s)
db.usage.username=cloud
`, dbUser, csencrypt.V2(managementKey, dbPassword), maria.port, csencrypt.V1(managementKey, legacyDatabaseKey))
	if err := os.WriteFile(props, []byte(content), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, []byte(managementKey+"\n"), 0o600); err != nil {
		return "", "", err
	}
	return props, keyFile, nil
}
