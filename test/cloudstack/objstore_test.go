package cloudstack

import (
	"errors"
	"testing"

	"github.com/caddys3/caddys3/auth"
	"github.com/caddys3/caddys3/cloudstack"
)

// The accounts behind CloudStack's MinIO users ("acs-<account-uuid>"),
// read from a real MariaDB: cloud.account and cloud.account_details as
// CloudStack 4.19+ writes them.
func TestMinioAccounts(t *testing.T) {
	const db = "cloudobj"
	execSQL(t, "DROP DATABASE IF EXISTS "+db)
	execSQL(t, "CREATE DATABASE "+db+" CHARACTER SET utf8mb4")
	execSQL(t, "GRANT SELECT ON "+db+".* TO 'cloud'@'127.0.0.1'")
	execSQL(t, "CREATE TABLE "+db+".account (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, uuid varchar(40), account_name varchar(100), type int unsigned NOT NULL DEFAULT 0, domain_id bigint unsigned NOT NULL, state varchar(10) NOT NULL DEFAULT 'enabled', created datetime, removed datetime)")
	p := cloudstack.New(openDB(t, db), cloudstack.Options{}).MinioAccounts()
	ctx := t.Context()
	live := newUUID()
	key := "acs-" + live

	// Without account_details (not CloudStack's schema): an outage, which
	// the caller rides out on its own files.
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state) VALUES (1, ?, 'tenant', 1, 'enabled')", live)
	if _, err := p.Lookup(ctx, key); !errors.Is(err, auth.ErrCredentialsUnavailable) || !cloudstack.IsOutage(err) {
		t.Fatalf("no account_details: %v", err)
	}
	execSQL(t, "CREATE TABLE "+db+".account_details (id bigint unsigned AUTO_INCREMENT PRIMARY KEY, account_id bigint unsigned NOT NULL, name varchar(255) NOT NULL, value varchar(4096) NOT NULL)")

	noDetails, disabled, removed, stale := newUUID(), newUUID(), newUUID(), newUUID()
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state) VALUES (2, ?, 'nodetails', 1, 'enabled'), (3, ?, 'off', 1, 'disabled'), (5, ?, 'stale', 1, 'enabled')", noDetails, disabled, stale)
	execSQL(t, "INSERT INTO "+db+".account (id, uuid, account_name, domain_id, state, removed) VALUES (4, ?, 'gone', 1, 'enabled', UTC_TIMESTAMP())", removed)
	execSQL(t, "INSERT INTO "+db+".account_details (account_id, name, value) VALUES (1, 'minio-accesskey', ?), (1, 'minio-secretkey', 'old'), (1, 'minio-secretkey', 'the-secret'), (5, 'minio-accesskey', 'acs-someone-else'), (5, 'minio-secretkey', 'not-for-this-key')", key)

	for _, c := range []struct {
		name, key, secret, owner string
		err                      error
	}{
		{"live, with keys (the newest row)", key, "the-secret", live, nil},
		{"live, no keys", "acs-" + noDetails, "", noDetails, nil},
		{"keys stored for another name", "acs-" + stale, "", stale, nil},
		{"disabled", "acs-" + disabled, "", "", auth.ErrAccessDenied},
		{"removed", "acs-" + removed, "", "", auth.ErrInvalidAccessKeyID},
		{"unknown", "acs-" + newUUID(), "", "", auth.ErrInvalidAccessKeyID},
		{"not an acs- name", "AKIAEXAMPLE", "", "", auth.ErrInvalidAccessKeyID},
		{"injection", "acs-' OR '1'='1", "", "", auth.ErrInvalidAccessKeyID},
	} {
		cred, err := p.Lookup(ctx, c.key)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %+v %v, want %v", c.name, cred, err, c.err)
			}
			continue
		}
		if err != nil || cred.Secret != c.secret || cred.Owner != c.owner || cred.AccessKeyID != c.key {
			t.Errorf("%s: %+v %v", c.name, cred, err)
		}
	}
}
