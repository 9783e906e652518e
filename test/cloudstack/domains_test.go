package cloudstack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/auth"
)

// The domain-level api.key.access, resolved as CloudStack resolves it
// (DomainDetailsDaoImpl.getConfigValue through ConfigKey.valueIn of the
// account's domain): with the global enable.domain.settings.for.child.domain
// true, the nearest of the account's domain and its parents up to ROOT that
// has the setting decides; otherwise (CloudStack's default) only the
// account's own domain counts.

var parentDomainDBs = map[string]string{"cloud": databaseKey, "cloud422": legacyDatabaseKey}

// setConfig sets (or with value "" deletes) a global setting in the
// configuration table of the fixture databases.
func setConfig(t *testing.T, name, value string) {
	t.Helper()
	for db := range parentDomainDBs {
		execSQL(t, fmt.Sprintf("DELETE FROM %s.configuration WHERE name = ?", db), name)
		if value != "" {
			execSQL(t, fmt.Sprintf("INSERT INTO %s.configuration (name, value, default_value) VALUES (?, ?, 'false')", db), name, value)
		}
	}
}

// checkDomainKeys looks the named keys up with fresh providers (no cache)
// in both layouts and expects the given outcomes. A name applies to both
// databases (skipped where it does not exist) unless "db/name" overrides it.
func checkDomainKeys(t *testing.T, want map[string]string) {
	t.Helper()
	for db, dbKey := range parentDomainDBs {
		p := newProvider(t, db, dbKey, providerOptions{})
		for name, w := range want {
			if strings.Contains(name, "/") {
				continue
			}
			c, ok := keys[db+"/"+name]
			if !ok {
				continue
			}
			if o, ok := want[db+"/"+name]; ok {
				w = o
			}
			c.want = w
			checkLookup(t, p, c)
		}
	}
}

func nestedWant(inherit bool) map[string]string {
	want := map[string]string{}
	for _, d := range nestedDomainKeys {
		want[d.name] = wantOK
		if inherit {
			want[d.name] = d.inherited
		}
	}
	return want
}

// TestProviderParentDomains: parent disables, child and grandchild inherit;
// a child enabling overrides its parent's disable and is inherited by its
// own children; the walk reaches ROOT and stops at a removed domain; and
// none of it happens unless enable.domain.settings.for.child.domain is true.
func TestProviderParentDomains(t *testing.T) {
	defer setConfig(t, "enable.domain.settings.for.child.domain", "")
	ctx := context.Background()

	t.Run("own domain only by default", func(t *testing.T) {
		want := nestedWant(false)
		want["domain-access-off"], want["legacy-domain-off"] = wantInvalid, wantInvalid
		checkDomainKeys(t, want)
		// "false" and anything Java's Boolean.parseBoolean does not read
		// as true keep inheritance off.
		for _, v := range []string{"false", "yes", "1"} {
			setConfig(t, "enable.domain.settings.for.child.domain", v)
			checkDomainKeys(t, want)
		}
	})

	t.Run("inherited from parents", func(t *testing.T) {
		for _, v := range []string{"true", "TRUE"} {
			setConfig(t, "enable.domain.settings.for.child.domain", v)
			want := nestedWant(true)
			// Unchanged: the domain's own setting, and user/account
			// settings above any domain setting.
			want["domain-access-off"], want["legacy-domain-off"] = wantInvalid, wantInvalid
			want["domain-access-on"], want["user-access-on-overrides-domain"] = wantOK, wantOK
			want["alice"], want["erin"] = wantOK, wantOK
			checkDomainKeys(t, want)
		}
		// The refusal names the level that decided.
		p := newProvider(t, "cloud", databaseKey, providerOptions{})
		_, err := p.Lookup(ctx, k("cloud", "dom-grandchild").key)
		if !errors.Is(err, auth.ErrInvalidAccessKeyID) || !strings.Contains(err.Error(), "API key access disabled (domain)") {
			t.Errorf("grandchild of a disabled domain: %v", err)
		}
	})

	t.Run("ROOT disables", func(t *testing.T) {
		for db := range parentDomainDBs {
			execSQL(t, fmt.Sprintf("INSERT INTO %s.domain_details (domain_id, name, value) VALUES (1, 'api.key.access', 'false')", db))
		}
		defer func() {
			for db := range parentDomainDBs {
				execSQL(t, fmt.Sprintf("DELETE FROM %s.domain_details WHERE domain_id = 1 AND name = 'api.key.access'", db))
			}
		}()
		setConfig(t, "enable.domain.settings.for.child.domain", "true")
		want := nestedWant(true)
		want["alice"], want["erin"] = wantInvalid, wantInvalid // accounts in ROOT
		// cloud's "open" (3) enables: its child stops there; in cloud422
		// "open" has no setting, so its child inherits ROOT's.
		want["dom-open-child"], want["cloud422/dom-open-child"] = wantOK, wantInvalid
		want["domain-access-on"] = wantOK
		// Below the removed domain the walk stops: global setting (true).
		want["dom-below-removed"] = wantOK
		checkDomainKeys(t, want)

		// Inheritance off: ROOT's setting concerns only accounts in ROOT.
		setConfig(t, "enable.domain.settings.for.child.domain", "")
		want = nestedWant(false)
		want["alice"], want["erin"] = wantInvalid, wantInvalid
		want["domain-access-on"] = wantOK
		checkDomainKeys(t, want)
	})

	t.Run("global setting when no domain on the way has one", func(t *testing.T) {
		setConfig(t, "enable.domain.settings.for.child.domain", "true")
		defer execSQL(t, "UPDATE cloud.configuration SET value = NULL WHERE name = 'api.key.access'")
		execSQL(t, "UPDATE cloud.configuration SET value = 'false' WHERE name = 'api.key.access'")
		p := newProvider(t, "cloud", databaseKey, providerOptions{})
		for name, want := range map[string]string{
			"dom-open-child":          wantOK,      // open's true
			"dom-reopened-grandchild": wantOK,      // reopened's true
			"dom-below-removed":       wantInvalid, // walk stopped: global false
			"alice":                   wantInvalid, // ROOT has no setting: global false
		} {
			c := k("cloud", name)
			c.want = want
			checkLookup(t, p, c)
		}
	})
}

// TestProviderParentDomainsFallback: without cloud.domain, or with a domain
// table that has no parent column, only the account's own domain is
// consulted (the behaviour before parent domains), even with
// enable.domain.settings.for.child.domain=true; with the column the walk
// is back.
func TestProviderParentDomainsFallback(t *testing.T) {
	const db = "cloudflat"
	execSQL(t, "DROP DATABASE IF EXISTS "+db)
	defer execSQL(t, "DROP DATABASE IF EXISTS "+db)
	execSQL(t, schemaSQL(layout{db: db, accessCols: true}))
	execSQL(t, "DROP TABLE "+db+".domain")
	execSQL(t, "INSERT INTO "+db+".domain_details (domain_id, name, value) VALUES (2, 'api.key.access', 'false')")
	execSQL(t, "INSERT INTO "+db+".configuration (name, value) VALUES ('enable.domain.settings.for.child.domain', 'true')")
	add := func(name string, domain int) csKey {
		c := csKey{db: db, name: name, key: newAPIKey(), secret: newAPIKey(), owner: newUUID(), disp: "acct-" + name}
		execSQL(t, "INSERT INTO "+db+".account (uuid, account_name, domain_id, state, created) VALUES (?, ?, ?, 'enabled', UTC_TIMESTAMP())",
			c.owner, c.disp, domain)
		execSQL(t, "INSERT INTO "+db+`.user (uuid, username, account_id, state, created, api_key, secret_key)
			SELECT UUID(), ?, id, 'enabled', UTC_TIMESTAMP(), ?, ? FROM `+db+".account WHERE account_name = ?",
			name, c.key, c.secret, c.disp)
		return c
	}
	own, child := add("flat-own", 2), add("flat-child", 4)

	check := func(t *testing.T, childWant string) {
		t.Helper()
		p := newProvider(t, db, "", providerOptions{})
		own.want, child.want = wantInvalid, childWant
		checkLookup(t, p, own)
		checkLookup(t, p, child)
	}
	t.Run("no domain table", func(t *testing.T) { check(t, wantOK) })
	execSQL(t, "CREATE TABLE "+db+".domain (id bigint unsigned PRIMARY KEY, name varchar(255))")
	execSQL(t, "INSERT INTO "+db+".domain (id, name) VALUES (1, 'ROOT'), (2, 'blocked'), (4, 'child')")
	t.Run("no parent column", func(t *testing.T) { check(t, wantOK) })
	execSQL(t, "ALTER TABLE "+db+".domain ADD COLUMN parent bigint unsigned NULL")
	execSQL(t, "UPDATE "+db+".domain SET parent = CASE id WHEN 1 THEN NULL WHEN 2 THEN 1 ELSE 2 END")
	t.Run("parent column", func(t *testing.T) { check(t, wantInvalid) })
}
