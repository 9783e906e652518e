package auth

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func usableRow() CloudStackKeyRow {
	return CloudStackKeyRow{
		KeyPairID: 7, APIKey: "k", Secret: sql.NullString{String: "s", Valid: true},
		UserUUID: "u-1", UserName: "alice", UserState: "enabled",
		AccountUUID: "a-1", AccountName: "acme", AccountState: "enabled",
	}
}

func TestCloudStackKeyUsable(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	yes := sql.NullBool{Bool: true, Valid: true}
	no := sql.NullBool{Bool: false, Valid: true}
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	at := func(d time.Duration) sql.NullTime { return sql.NullTime{Time: now.Add(d), Valid: true} }
	cases := []struct {
		name string
		mod  func(*CloudStackKeyRow)
		want string // substring of the reason; "" = usable
	}{
		{"usable", func(r *CloudStackKeyRow) {}, ""},
		{"state case", func(r *CloudStackKeyRow) { r.UserState = "Enabled" }, ""},
		{"user disabled", func(r *CloudStackKeyRow) { r.UserState = "disabled" }, "user disabled"},
		{"user locked", func(r *CloudStackKeyRow) { r.UserState = "locked" }, "user locked"},
		{"user removed", func(r *CloudStackKeyRow) { r.UserRemoved = true }, "user removed"},
		{"account disabled", func(r *CloudStackKeyRow) { r.AccountState = "disabled" }, "account disabled"},
		{"account locked", func(r *CloudStackKeyRow) { r.AccountState = "locked" }, "account locked"},
		{"account removed", func(r *CloudStackKeyRow) { r.AccountRemoved = true }, "account removed"},
		{"user access off", func(r *CloudStackKeyRow) { r.UserAPIKeyAccess = no }, "(user)"},
		{"user on beats account off", func(r *CloudStackKeyRow) { r.UserAPIKeyAccess = yes; r.AccountAPIKeyAccess = no }, ""},
		{"account off", func(r *CloudStackKeyRow) { r.AccountAPIKeyAccess = no }, "(account)"},
		{"account on beats domain off", func(r *CloudStackKeyRow) { r.AccountAPIKeyAccess = yes; r.DomainAPIKeyAccess = str("false") }, ""},
		{"domain off", func(r *CloudStackKeyRow) { r.DomainAPIKeyAccess = str("false") }, "(domain)"},
		{"domain on beats global off", func(r *CloudStackKeyRow) { r.DomainAPIKeyAccess = str("true"); r.GlobalAPIKeyAccess = str("false") }, ""},
		{"global off", func(r *CloudStackKeyRow) { r.GlobalAPIKeyAccess = str("FALSE") }, "(global)"},
		{"global garbage = default", func(r *CloudStackKeyRow) { r.GlobalAPIKeyAccess = str("maybe") }, ""},
		{"not yet valid", func(r *CloudStackKeyRow) { r.StartDate = at(time.Minute) }, "not valid before"},
		{"started", func(r *CloudStackKeyRow) { r.StartDate = at(-time.Minute) }, ""},
		{"expired", func(r *CloudStackKeyRow) { r.EndDate = at(-time.Second) }, "expired"},
		{"expires exactly now", func(r *CloudStackKeyRow) { r.EndDate = at(0) }, "expired"},
		{"within dates", func(r *CloudStackKeyRow) { r.StartDate = at(-time.Hour); r.EndDate = at(time.Hour) }, ""},
	}
	for _, c := range cases {
		r := usableRow()
		c.mod(&r)
		got := CloudStackKeyUsable(r, now)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCloudStackKeyPairAccess(t *testing.T) {
	r := func(rule, perm string) CloudStackRule { return CloudStackRule{rule, perm} }
	cases := []struct {
		name        string
		rules       []CloudStackRule
		read, write bool
	}{
		{"no rules: inherit role", nil, true, true},
		{"allow all", []CloudStackRule{r("*", "allow")}, true, true},
		{"deny all", []CloudStackRule{r("*", "deny")}, false, false},
		{"deny all upper", []CloudStackRule{r("*", "DENY")}, false, false},
		{"list only", []CloudStackRule{r("list*", "allow"), r("*", "deny")}, true, false},
		{"list only, no catch-all", []CloudStackRule{r("list*", "allow")}, true, false},
		{"unrelated allow", []CloudStackRule{r("listVirtualMachines", "allow")}, false, false},
		{"bucket apis", []CloudStackRule{r("*Bucket*", "ALLOW"), r("*", "deny")}, true, true},
		{"first match wins", []CloudStackRule{r("deleteBucket", "deny"), r("*", "allow")}, true, false},
		{"deny listBuckets first", []CloudStackRule{r("listBuckets", "deny"), r("*", "allow")}, false, false},
		{"case-insensitive", []CloudStackRule{r("LISTBUCKETS", "allow"), r("createbucket", "allow"), r("updateBucket", "allow"), r("deleteBucket", "allow")}, true, true},
	}
	for _, c := range cases {
		read, write := CloudStackKeyPairAccess(c.rules)
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

type fakeProvider struct {
	creds map[string]Credential
	err   error
}

func (f fakeProvider) Lookup(_ context.Context, k string) (Credential, error) {
	if c, ok := f.creds[k]; ok {
		return c, nil
	}
	if f.err != nil {
		return Credential{}, f.err
	}
	return Credential{}, ErrInvalidAccessKeyID
}

func TestChain(t *testing.T) {
	static := NewStatic([]Credential{{AccessKeyID: "op", Secret: "s1", Owner: "operator"}, {AccessKeyID: "both", Secret: "static"}})
	cs := fakeProvider{creds: map[string]Credential{"cs": {AccessKeyID: "cs", Secret: "s2"}, "both": {AccessKeyID: "both", Secret: "cloudstack"}}}
	ch := Chain{static, cs}
	ctx := context.Background()
	if c, err := ch.Lookup(ctx, "op"); err != nil || c.Owner != "operator" {
		t.Fatal(c, err)
	}
	if c, err := ch.Lookup(ctx, "cs"); err != nil || c.Secret != "s2" {
		t.Fatal(c, err)
	}
	if c, err := ch.Lookup(ctx, "both"); err != nil || c.Secret != "static" {
		t.Fatal("static keys must be checked first:", c, err)
	}
	if _, err := ch.Lookup(ctx, "nope"); !errors.Is(err, ErrInvalidAccessKeyID) {
		t.Fatal(err)
	}
	down := Chain{static, fakeProvider{err: ErrCredentialsUnavailable}}
	if _, err := down.Lookup(ctx, "nope"); !errors.Is(err, ErrCredentialsUnavailable) {
		t.Fatal("an unavailable provider must not turn into InvalidAccessKeyId:", err)
	}
	if _, err := down.Lookup(ctx, "op"); err != nil {
		t.Fatal("static keys must work while the database is down:", err)
	}
}

func TestCloudStackDBConfigFromProperties(t *testing.T) {
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
	cfg, err := CloudStackDBConfigFromProperties(props, "password")
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
	if _, err := CloudStackDBConfigFromProperties(props, "wrongkey"); err == nil || !strings.Contains(err.Error(), "management key") {
		t.Errorf("wrong management key: %v", err)
	}
	plain := map[string]string{"db.cloud.password": "pw", "db.cloud.encryption.type": "none"}
	cfg, err = CloudStackDBConfigFromProperties(plain, "")
	if err != nil || cfg.DatabaseKey != "" {
		t.Fatalf("none: %+v %v", cfg, err)
	}
	m, _ = mysql.ParseDSN(cfg.DSN)
	if m.Passwd != "pw" || m.Addr != "localhost:3306" || m.User != "cloud" || m.DBName != "cloud" {
		t.Errorf("defaults: %+v", m)
	}
}

func TestLoadCloudStackDBProperties(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "db.properties")
	os.WriteFile(props, []byte("db.cloud.password=ENC(vlzQjmqOV4s5q7n+S1OMbA==)\ndb.cloud.encrypt.secret=ENC(zaGuSF5a4KyWayn2t0yyjDa0HjdToVtZ)\ndb.cloud.encryption.type=file\n"), 0o600)
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("password\nignored\n"), 0o600)
	noenv := func(string) string { return "" }
	cfg, err := LoadCloudStackDBProperties(props, key, noenv)
	if err != nil || cfg.DatabaseKey != "password" {
		t.Fatalf("%+v %v", cfg, err)
	}
	env := func(k string) string {
		if k == CloudStackSecretKeyEnv {
			return "password"
		}
		return ""
	}
	if cfg, err := LoadCloudStackDBProperties(props, "", env); err != nil || cfg.DatabaseKey != "password" {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	os.WriteFile(key, []byte("nottheone\n"), 0o600)
	if _, err := LoadCloudStackDBProperties(props, key, noenv); err == nil {
		t.Fatal("wrong key file accepted")
	}
	if _, err := LoadCloudStackDBProperties(filepath.Join(dir, "missing"), key, noenv); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNormalizeCloudStackDSN(t *testing.T) {
	got, err := NormalizeCloudStackDSN("cloud:pw@tcp(127.0.0.1:3306)/cloud")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mysql.ParseDSN(got)
	if !m.ParseTime || m.Loc != time.UTC || m.Timeout == 0 {
		t.Errorf("%s", got)
	}
	if _, err := NormalizeCloudStackDSN("cloud:pw@tcp(127.0.0.1:3306)/"); err == nil {
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
