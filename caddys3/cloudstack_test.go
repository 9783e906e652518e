package caddys3

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	csmod "github.com/caddys3/caddys3/caddys3/credentials/cloudstack"
)

func adaptS3(t *testing.T, body string) (*Handler, error) {
	t.Helper()
	h := new(Handler)
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("s3 {\n" + body + "\n}"))
	return h, err
}

func TestCaddyfileCloudStack(t *testing.T) {
	h, err := adaptS3(t, `
		root /srv/s3
		credentials static {
			key OPERATOR opsecret
		}
		credentials cloudstack {
			db_properties /etc/cloudstack/management/db.properties
			key_file /etc/cloudstack/management/key
			cache_ttl 30s
			negative_cache_ttl 2s
			grace_period 15m
		}`)
	if err != nil {
		t.Fatal(err)
	}
	var cs csmod.CloudStack
	if err := json.Unmarshal(h.CredentialsRaw["cloudstack"], &cs); err != nil {
		t.Fatal(err)
	}
	if cs.DBProperties != "/etc/cloudstack/management/db.properties" || cs.KeyFile != "/etc/cloudstack/management/key" ||
		time.Duration(cs.CacheTTL) != 30*time.Second || time.Duration(cs.NegativeCacheTTL) != 2*time.Second ||
		time.Duration(cs.GracePeriod) != 15*time.Minute {
		t.Fatalf("%+v", cs)
	}
	b, _ := json.Marshal(h.CredentialsRaw)
	want := `{"cloudstack":{"db_properties":"/etc/cloudstack/management/db.properties","key_file":"/etc/cloudstack/management/key","cache_ttl":30000000000,"negative_cache_ttl":2000000000,"grace_period":900000000000},"static":[{"access_key_id":"OPERATOR","secret":"opsecret"}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}

	h, err = adaptS3(t, `
		root /srv/s3
		credentials cloudstack {
			dsn "cloud:{env.CLOUD_DB_PASSWORD}@tcp(127.0.0.1:3306)/cloud"
			database_key {env.CLOUD_DB_KEY}
		}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"cloudstack":{"dsn":"cloud:{env.CLOUD_DB_PASSWORD}@tcp(127.0.0.1:3306)/cloud","database_key":"{env.CLOUD_DB_KEY}"}}`; string(mustJSON(t, h.CredentialsRaw)) != want {
		t.Fatalf("%s", mustJSON(t, h.CredentialsRaw))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCaddyfileCloudStackErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"credentials cloudstack {\n}", "set db_properties or dsn"},
		{"credentials cloudstack {\ndsn a\ndb_properties b\n}", "alternatives"},
		{"credentials cloudstack {\ndsn a\nkey_file k\n}", "key_file goes with db_properties"},
		{"credentials cloudstack {\ndb_properties p\ndatabase_key k\n}", "database_key goes with dsn"},
		{"credentials cloudstack {\ndsn a\nbogus 1\n}", `unknown subdirective "bogus"`},
		{"credentials cloudstack {\ndsn a\ncache_ttl soon\n}", "cache_ttl"},
		{"credentials cloudstack {\ndsn\n}", "dsn wants one argument"},
		{"credentials cloudstack {\ndsn a b\n}", "dsn wants one argument"},
		{"credentials cloudstack extra {\ndsn a\n}", "wrong argument count"},
		{"credentials cloudstack {\ndsn a\n}\ncredentials cloudstack {\ndsn b\n}", "twice"},
	} {
		_, err := adaptS3(t, c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.body, err, c.want)
		}
	}
}

// TestCaddyfileCloudStackAdapt goes through the whole adapter, as `caddy
// adapt` does.
func TestCaddyfileCloudStackAdapt(t *testing.T) {
	in := "http://127.0.0.1:9000 {\n\ts3 {\n\t\troot /srv\n\t\tcredentials cloudstack {\n\t\t\tdsn \"cloud:pw@tcp(db:3306)/cloud\"\n\t\t\tdatabase_key k\n\t\t\tcache_ttl 1s\n\t\t}\n\t}\n}\n"
	adapter := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}
	got, _, err := adapter.Adapt([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"credentials":{"cloudstack":{"cache_ttl":1000000000,"database_key":"k","dsn":"cloud:pw@tcp(db:3306)/cloud"}}`) {
		t.Errorf("adapted JSON: %s", got)
	}
}

func TestProvisionCloudStackBadConfig(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	h := &Handler{Root: t.TempDir(), CredentialsRaw: caddy.ModuleMap{"cloudstack": json.RawMessage(`{"dsn": "cloud:pw@tcp(127.0.0.1:1)/"}`)}}
	err := h.Provision(ctx)
	if err == nil || !strings.Contains(err.Error(), "names no database") {
		t.Fatalf("got %v", err)
	}
	h.Cleanup()
	h = &Handler{Root: t.TempDir(), CredentialsRaw: caddy.ModuleMap{"cloudstack": json.RawMessage(`{"db_properties": "/nonexistent/db.properties"}`)}}
	if err := h.Provision(ctx); err == nil || !strings.Contains(err.Error(), "db_properties") {
		t.Fatalf("got %v", err)
	}
	h.Cleanup()
}

// A store that cannot be opened fails Provision with its reason, and the
// Cleanup Caddy runs after a failed Provision closes nothing: h.store
// must not hold a nil *fsstore.Store (a non-nil interface) that panics.
func TestProvisionStoreFailsCleanly(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Root: filepath.Join(file, "root")}
	if err := h.Provision(ctx); err == nil || !strings.Contains(err.Error(), "opening store") {
		t.Fatalf("Provision: %v", err)
	}
	if err := h.Cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
}
