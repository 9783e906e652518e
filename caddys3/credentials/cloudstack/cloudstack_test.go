package cloudstack

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddys3/caddys3/auth"
)

// TestCloudStackPoolShared checks that handlers (and config reloads) with
// the same DSN share one *sql.DB and that the last release closes it.
// sql.Open does not connect, so no database is needed.
func TestCloudStackPoolShared(t *testing.T) {
	dsn := "cloud:pw@tcp(127.0.0.1:1)/cloud_pooltest?parseTime=true"
	a, err := acquireDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := acquireDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("two acquisitions of one DSN gave two pools")
	}
	other, err := acquireDB(dsn + "&x=1")
	if err != nil {
		t.Fatal(err)
	}
	if other == a {
		t.Fatal("different DSNs share a pool")
	}
	pool.Delete(dsn + "&x=1")
	if deleted, _ := pool.Delete(dsn); deleted {
		t.Fatal("pool destroyed while still in use")
	}
	if deleted, _ := pool.Delete(dsn); !deleted {
		t.Fatal("pool not destroyed by the last release")
	}
	c, _ := acquireDB(dsn)
	if c == a {
		t.Fatal("a released pool was handed out again")
	}
	pool.Delete(dsn)
}

// TestProvisionReleasesPool: a provisioned module holds the pool of its
// DSN (the database is unreachable, which only warns), Cleanup releases it,
// and a failed Provision holds nothing.
func TestProvisionReleasesPool(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	c := &CloudStack{DSN: "u:{env.CADDYS3_TEST_CS_PW}@tcp(127.0.0.1:1)/cloud_provisiontest"}
	t.Setenv("CADDYS3_TEST_CS_PW", "pw")
	if err := c.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	dsn := c.dsn
	if !strings.Contains(dsn, "u:pw@") {
		t.Fatalf("placeholder not expanded in the pool key")
	}
	if _, err := c.Lookup(context.Background(), "AKIAX"); !errors.Is(err, auth.ErrCredentialsUnavailable) {
		t.Fatalf("lookup: %v", err)
	}
	if refs, ok := pool.References(dsn); !ok || refs != 1 {
		t.Fatalf("pool references %d %v", refs, ok)
	}
	if err := c.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, ok := pool.References(dsn); ok {
		t.Fatal("Cleanup did not release the pool")
	}
	if err := c.Cleanup(); err != nil {
		t.Fatal("a second Cleanup:", err)
	}

	for _, bad := range []struct {
		c    CloudStack
		want string
	}{
		{CloudStack{DSN: "cloud:pw@tcp(127.0.0.1:1)/"}, "names no database"},
		{CloudStack{DSN: "cloud:{env.CADDYS3_TEST_UNSET}@tcp(127.0.0.1:1)/cloud"}, "dsn: a placeholder did not resolve"},
		{CloudStack{DSN: "cloud:pw@tcp(127.0.0.1:1)/cloud", DatabaseKey: "{env.CADDYS3_TEST_UNSET}"}, "database_key: a placeholder did not resolve"},
		{CloudStack{DBProperties: "/nonexistent/db.properties"}, "db_properties"},
		{CloudStack{DSN: "a", KeyFile: "k"}, "key_file goes with db_properties"},
	} {
		err := bad.c.Provision(ctx)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want %q", bad.c, err, bad.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("the error shows the password: %v", err)
		}
		if bad.c.dsn != "" || bad.c.cache != nil {
			t.Errorf("%+v: a failed Provision holds a pool", bad.c)
		}
	}
}

// TestJSONShape: the fields and their names are those of the handler's
// former "cloudstack" object.
func TestJSONShape(t *testing.T) {
	in := `{"db_properties":"/p","key_file":"/k","cache_ttl":30000000000,"negative_cache_ttl":2000000000,"grace_period":900000000000}`
	var c CloudStack
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(&c)
	if string(out) != in {
		t.Errorf("round trip\n got %s\nwant %s", out, in)
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	var c CloudStack
	d := caddyfile.NewTestDispenser("cloudstack {\n dsn x@tcp(h)/cloud\n database_key k\n grace_period 1m\n}")
	if err := c.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	if c.DSN != "x@tcp(h)/cloud" || c.DatabaseKey != "k" || c.GracePeriod != caddy.Duration(60e9) {
		t.Errorf("%+v", c)
	}
	d = caddyfile.NewTestDispenser("cloudstack {\n dsn y\n}")
	if err := c.UnmarshalCaddyfile(d); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("second block: %v", err)
	}
}
