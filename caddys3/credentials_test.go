package caddys3

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddys3/caddys3/auth"
)

// namedSource is a test credential source s3.credentials.test_<name> that
// knows every key and answers with its own name as the owner.
type namedSource struct{ name string }

func (s *namedSource) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: caddy.ModuleID("s3.credentials." + s.name), New: func() caddy.Module { return &namedSource{name: s.name} }}
}

func (s *namedSource) Lookup(_ context.Context, id string) (auth.Credential, error) {
	return auth.Credential{AccessKeyID: id, Secret: "x", Owner: s.name}, nil
}

func init() {
	for _, n := range []string{"test_alpha", "test_zeta"} {
		caddy.RegisterModule(&namedSource{name: n})
	}
}

func provisionHandler(t *testing.T, credentials string) (*Handler, error) {
	t.Helper()
	h := &Handler{Root: t.TempDir()}
	if credentials != "" {
		if err := json.Unmarshal([]byte(credentials), &h.CredentialsRaw); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	err := h.Provision(ctx)
	t.Cleanup(func() { _ = h.Cleanup() })
	return h, err
}

// TestCredentialsChainOrder: static first, then the other sources by name,
// whatever the order in the configuration.
func TestCredentialsChainOrder(t *testing.T) {
	h, err := provisionHandler(t, `{"test_zeta": {}, "test_alpha": {}, "static": [{"access_key_id": "OP", "secret": "s", "owner": "operator"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := h.verifier.Provider.(auth.Chain)
	if !ok || len(ch) != 3 {
		t.Fatalf("provider %T %v", h.verifier.Provider, h.verifier.Provider)
	}
	for id, owner := range map[string]string{"OP": "operator", "other": "test_alpha"} {
		if c, err := ch.Lookup(context.Background(), id); err != nil || c.Owner != owner {
			t.Errorf("%s: owner %q %v, want %q", id, c.Owner, err, owner)
		}
	}
	if c, _ := ch[2].Lookup(context.Background(), "x"); c.Owner != "test_zeta" {
		t.Errorf("last source %q", c.Owner)
	}
}

// TestCredentialsJSONForms: the static source takes the documented list
// or an object {"keys": […]}; unknown fields and bad keys are errors that
// never show a secret.
func TestCredentialsJSONForms(t *testing.T) {
	for _, cfg := range []string{
		`{"static": [{"access_key_id": "AK", "secret": "sec", "owner": "o"}]}`,
		`{"static": {"keys": [{"access_key_id": "AK", "secret": "sec", "owner": "o"}]}}`,
	} {
		h, err := provisionHandler(t, cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if c, err := h.verifier.Provider.Lookup(context.Background(), "AK"); err != nil || c.Secret != "sec" || c.Owner != "o" {
			t.Errorf("%s: %+v %v", cfg, c, err)
		}
	}
	h, err := provisionHandler(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.verifier.Provider.Lookup(context.Background(), "AK"); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("no sources: %v", err)
	}
	for cfg, want := range map[string]string{
		`{"static": [{"access_key_id": "AK", "secret": "topsecret", "bogus": 1}]}`:                                 "bogus",
		`{"static": {"keys": [], "bogus": 1}}`:                                                                     "bogus",
		`{"static": [{"access_key_id": "AK", "secret": "topsecret"}, {"access_key_id": "AK", "secret": "other"}]}`: "AK is listed twice",
		`{"static": [{"access_key_id": "AK"}]}`:                                                                    "needs an access key id and a secret",
		`{"static": [{"access_key_id": "AK", "secret": "{env.CADDYS3_TEST_UNSET_VAR}"}]}`:                          "secret of key AK",
		`{"ldap": {}}`: "unknown module: s3.credentials.ldap",
	} {
		_, err := provisionHandler(t, cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", cfg, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "other")) {
			t.Errorf("%s: the error shows a secret: %v", cfg, err)
		}
	}
}

// TestCaddyfileCredentialSources: a second static block adds keys, a
// second cloudstack block and unknown sources or subdirectives are errors
// that name them.
func TestCaddyfileCredentialSources(t *testing.T) {
	var h Handler
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`s3 {
		credentials static {
			key A1 s1
		}
		root /x
		credentials static {
			key A2 s2 o2
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(h.CredentialsRaw["static"]); got != `[{"access_key_id":"A1","secret":"s1"},{"access_key_id":"A2","secret":"s2","owner":"o2"}]` {
		t.Errorf("static %s", got)
	}
	for src, want := range map[string]string{
		"credentials ldap {\n}":                     `unknown credentials source "ldap"`,
		"credentials\n":                             "wrong argument count",
		"credentials static extra {\n}":             "wrong argument count",
		"credentials static {\n user a b\n}":        `unknown subdirective "user"`,
		"credentials static {\n key a\n}":           "got 1 arguments",
		"credentials cloudstack {\n dsn a\n tls\n}": `unknown subdirective "tls"`,
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("s3 {\n" + src + "\n}"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

// TestCloudStackMetricsWiring: the handler connects the cloudstack
// source's cache to the credential metrics. Its database is unreachable,
// which only warns at start: lookups are misses and database errors.
func TestCloudStackMetricsWiring(t *testing.T) {
	h, err := provisionHandler(t, `{"cloudstack": {"dsn": "u:p@tcp(127.0.0.1:1)/cloud"}}`)
	if err != nil {
		t.Fatal(err)
	}
	misses, dbErrors := h.metrics.cacheMisses, h.metrics.dbErrors
	m0, e0 := testutil.ToFloat64(misses), testutil.ToFloat64(dbErrors)
	for range 2 {
		if _, err := h.verifier.Provider.Lookup(context.Background(), "AKIANOSUCHKEY"); !errors.Is(err, auth.ErrCredentialsUnavailable) {
			t.Fatalf("lookup with the database down: %v", err)
		}
	}
	if m, e := testutil.ToFloat64(misses)-m0, testutil.ToFloat64(dbErrors)-e0; m != 2 || e != 1 {
		t.Errorf("misses +%v, database errors +%v; want +2, +1", m, e)
	}
}
