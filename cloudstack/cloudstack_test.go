package cloudstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/caddys3/caddys3/auth"
)

func usableRow() KeyRow {
	return KeyRow{
		KeyPairID: 7, APIKey: "k", Secret: sql.NullString{String: "s", Valid: true},
		UserUUID: "u-1", UserName: "alice", UserState: "enabled",
		AccountUUID: "a-1", AccountName: "acme", AccountState: "enabled",
	}
}

func TestKeyUsable(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	yes := sql.NullBool{Bool: true, Valid: true}
	no := sql.NullBool{Bool: false, Valid: true}
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	at := func(d time.Duration) sql.NullTime { return sql.NullTime{Time: now.Add(d), Valid: true} }
	cases := []struct {
		name string
		mod  func(*KeyRow)
		want string // substring of the reason; "" = usable
	}{
		{"usable", func(r *KeyRow) {}, ""},
		{"state case", func(r *KeyRow) { r.UserState = "Enabled" }, ""},
		{"user disabled", func(r *KeyRow) { r.UserState = "disabled" }, "user disabled"},
		{"user locked", func(r *KeyRow) { r.UserState = "locked" }, "user locked"},
		{"user removed", func(r *KeyRow) { r.UserRemoved = true }, "user removed"},
		{"account disabled", func(r *KeyRow) { r.AccountState = "disabled" }, "account disabled"},
		{"account locked", func(r *KeyRow) { r.AccountState = "locked" }, "account locked"},
		{"account removed", func(r *KeyRow) { r.AccountRemoved = true }, "account removed"},
		{"user access off", func(r *KeyRow) { r.UserAPIKeyAccess = no }, "(user)"},
		{"user on beats account off", func(r *KeyRow) { r.UserAPIKeyAccess = yes; r.AccountAPIKeyAccess = no }, ""},
		{"account off", func(r *KeyRow) { r.AccountAPIKeyAccess = no }, "(account)"},
		{"account on beats domain off", func(r *KeyRow) { r.AccountAPIKeyAccess = yes; r.DomainAPIKeyAccess = str("false") }, ""},
		{"domain off", func(r *KeyRow) { r.DomainAPIKeyAccess = str("false") }, "(domain)"},
		{"domain on beats global off", func(r *KeyRow) { r.DomainAPIKeyAccess = str("true"); r.GlobalAPIKeyAccess = str("false") }, ""},
		{"global off", func(r *KeyRow) { r.GlobalAPIKeyAccess = str("FALSE") }, "(global)"},
		{"global garbage = default", func(r *KeyRow) { r.GlobalAPIKeyAccess = str("maybe") }, ""},
		{"not yet valid", func(r *KeyRow) { r.StartDate = at(time.Minute) }, "not valid before"},
		{"started", func(r *KeyRow) { r.StartDate = at(-time.Minute) }, ""},
		{"expired", func(r *KeyRow) { r.EndDate = at(-time.Second) }, "expired"},
		{"expires exactly now", func(r *KeyRow) { r.EndDate = at(0) }, "expired"},
		{"within dates", func(r *KeyRow) { r.StartDate = at(-time.Hour); r.EndDate = at(time.Hour) }, ""},
	}
	for _, c := range cases {
		r := usableRow()
		c.mod(&r)
		got := KeyUsable(r, now)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.want)
		}
	}
}

func TestKeyPairAccess(t *testing.T) {
	r := func(rule, perm string) Rule { return Rule{rule, perm} }
	cases := []struct {
		name        string
		rules       []Rule
		read, write bool
	}{
		{"no rules: inherit role", nil, true, true},
		{"allow all", []Rule{r("*", "allow")}, true, true},
		{"deny all", []Rule{r("*", "deny")}, false, false},
		{"deny all upper", []Rule{r("*", "DENY")}, false, false},
		{"list only", []Rule{r("list*", "allow"), r("*", "deny")}, true, false},
		{"list only, no catch-all", []Rule{r("list*", "allow")}, true, false},
		{"unrelated allow", []Rule{r("listVirtualMachines", "allow")}, false, false},
		{"bucket apis", []Rule{r("*Bucket*", "ALLOW"), r("*", "deny")}, true, true},
		{"first match wins", []Rule{r("deleteBucket", "deny"), r("*", "allow")}, true, false},
		{"deny listBuckets first", []Rule{r("listBuckets", "deny"), r("*", "allow")}, false, false},
		{"case-insensitive", []Rule{r("LISTBUCKETS", "allow"), r("createbucket", "allow"), r("updateBucket", "allow"), r("deleteBucket", "allow")}, true, true},
	}
	for _, c := range cases {
		read, write := KeyPairAccess(c.rules)
		if read != c.read || write != c.write {
			t.Errorf("%s: read=%v write=%v, want %v %v", c.name, read, write, c.read, c.write)
		}
		if write && !read {
			t.Errorf("%s: write without read", c.name)
		}
	}
}

func TestCSRuleMatches(t *testing.T) {
	cases := []struct {
		rule, api string
		want      bool
	}{
		{"*", "listBuckets", true},
		{"list*", "listBuckets", true},
		{"list*", "createBucket", false},
		{"*Bucket", "createBucket", true},
		{"*Bucket", "listBuckets", false},
		{"*Bucket*", "listBuckets", true},
		{"c*e*t", "createBucket", true},
		{"c*x*t", "createBucket", false},
		{"listBuckets", "listbuckets", true},
		{"list", "listBuckets", false},
		{"a*a", "a", false},
	}
	for _, c := range cases {
		if got := csRuleMatches(c.rule, c.api); got != c.want {
			t.Errorf("csRuleMatches(%q, %q) = %v", c.rule, c.api, got)
		}
	}
}

func TestDBConfigFromProperties(t *testing.T) {
	// The packaged db.properties: management key "password".
	props := map[string]string{
		"db.cloud.username":        "cloud",
		"db.cloud.password":        "ENC(vlzQjmqOV4s5q7n+S1OMbA==)",
		"db.cloud.host":            "db.example.com, db2.example.com",
		"db.cloud.port":            "3307",
		"db.cloud.name":            "cloud",
		"db.cloud.encrypt.secret":  "ENC(zaGuSF5a4KyWayn2t0yyjDa0HjdToVtZ)",
		"db.cloud.encryption.type": "file",
	}
	cfg, err := DBConfigFromProperties(props, "password")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabaseKey != "password" {
		t.Errorf("database key %q", cfg.DatabaseKey)
	}
	m, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if m.User != "cloud" || m.Passwd != "cloud" || m.Addr != "db.example.com:3307" || m.DBName != "cloud" || !m.ParseTime || m.Loc != time.UTC {
		t.Errorf("dsn %+v", m)
	}
	if _, err := DBConfigFromProperties(props, "wrongkey"); err == nil || !strings.Contains(err.Error(), "management key") {
		t.Errorf("wrong management key: %v", err)
	}
	plain := map[string]string{"db.cloud.password": "pw", "db.cloud.encryption.type": "none"}
	cfg, err = DBConfigFromProperties(plain, "")
	if err != nil || cfg.DatabaseKey != "" {
		t.Fatalf("none: %+v %v", cfg, err)
	}
	m, _ = mysql.ParseDSN(cfg.DSN)
	if m.Passwd != "pw" || m.Addr != "localhost:3306" || m.User != "cloud" || m.DBName != "cloud" {
		t.Errorf("defaults: %+v", m)
	}
}

func TestLoadDBProperties(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "db.properties")
	os.WriteFile(props, []byte("db.cloud.password=ENC(vlzQjmqOV4s5q7n+S1OMbA==)\ndb.cloud.encrypt.secret=ENC(zaGuSF5a4KyWayn2t0yyjDa0HjdToVtZ)\ndb.cloud.encryption.type=file\n"), 0o600)
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("password\nignored\n"), 0o600)
	noenv := func(string) string { return "" }
	cfg, err := LoadDBProperties(props, key, noenv)
	if err != nil || cfg.DatabaseKey != "password" {
		t.Fatalf("%+v %v", cfg, err)
	}
	env := func(k string) string {
		if k == SecretKeyEnv {
			return "password"
		}
		return ""
	}
	if cfg, err := LoadDBProperties(props, "", env); err != nil || cfg.DatabaseKey != "password" {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	os.WriteFile(key, []byte("nottheone\n"), 0o600)
	if _, err := LoadDBProperties(props, key, noenv); err == nil {
		t.Fatal("wrong key file accepted")
	}
	if _, err := LoadDBProperties(filepath.Join(dir, "missing"), key, noenv); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNormalizeDSN(t *testing.T) {
	got, err := NormalizeDSN("cloud:pw@tcp(127.0.0.1:3306)/cloud")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mysql.ParseDSN(got)
	if !m.ParseTime || m.Loc != time.UTC || m.Timeout == 0 {
		t.Errorf("%s", got)
	}
	if _, err := NormalizeDSN("cloud:pw@tcp(127.0.0.1:3306)/"); err == nil {
		t.Error("a dsn without database accepted")
	}
}

func TestLooksEncrypted(t *testing.T) {
	if looksEncrypted(csSecret86) {
		t.Error("a plain secret looks encrypted")
	}
	for _, v := range csVectors {
		if !looksEncrypted(v.ciphertext) {
			t.Errorf("%s does not look encrypted", v.name)
		}
	}
}

func TestIsOutage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("%w: cannot look up access key %q", auth.ErrCredentialsUnavailable, "k"), true},
		{fmt.Errorf("%w: %w: access key %q", auth.ErrCredentialsUnavailable, ErrSecretUndecryptable, "k"), false},
		{fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, "k"), false},
		{auth.ErrAccessDenied, false},
	} {
		if got := IsOutage(c.err); got != c.want {
			t.Errorf("IsOutage(%v) = %v", c.err, got)
		}
	}
}

// TestLookupUnreachable: without a database every lookup of a plausible
// key is an outage (never InvalidAccessKeyId), and Init only warns.
func TestLookupUnreachable(t *testing.T) {
	dsn, err := NormalizeDSN("u:p@tcp(127.0.0.1:1)/cloud")
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := New(db, Options{QueryTimeout: 2 * time.Second})
	if err := p.Init(context.Background()); err != nil {
		t.Fatalf("Init with the database down: %v", err)
	}
	if p.Layout() != "" {
		t.Errorf("layout %q before detection", p.Layout())
	}
	_, err = p.Lookup(context.Background(), "AKIANOSUCHKEY")
	if !errors.Is(err, auth.ErrCredentialsUnavailable) || !IsOutage(err) {
		t.Fatalf("lookup with the database down: %v", err)
	}
	for _, key := range []string{"", strings.Repeat("k", 256)} {
		if _, err := p.Lookup(context.Background(), key); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("key of %d bytes: %v", len(key), err)
		}
	}
}
