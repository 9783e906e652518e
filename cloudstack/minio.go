package cloudstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/caddys3/caddys3/auth"
)

// MinioAccounts answers for the users CloudStack's MinIO object-storage
// driver creates, "acs-<account-uuid>": the account behind one, read live
// from cloud.account, and the S3 keys CloudStack keeps for it in
// cloud.account_details (minio-accesskey / minio-secretkey, plain text:
// AccountDetailVO has no @Encrypt). Lookup returns a credential owned by
// the account's UUID, the same owner as the account's API keys. Its
// Secret is the stored minio-secretkey when minio-accesskey names the
// requested key, else "": the account exists and is enabled but the
// database holds no secret for that key.
//
// Errors: auth.ErrInvalidAccessKeyID when no live account has the UUID
// (or the key is not an acs- name), auth.ErrAccessDenied when the account
// is not enabled, auth.ErrCredentialsUnavailable when the database cannot
// be read (IsOutage is true for it).
type MinioAccounts struct{ p *Provider }

// MinioAccounts returns the acs- user lookup over the same database.
func (c *Provider) MinioAccounts() MinioAccounts { return MinioAccounts{c} }

var acsKey = regexp.MustCompile(`^acs-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)

const minioAccountQuery = `SELECT a.account_name, a.state,
	(SELECT d.value FROM account_details d WHERE d.account_id = a.id AND d.name = 'minio-accesskey' ORDER BY d.id DESC LIMIT 1),
	(SELECT d.value FROM account_details d WHERE d.account_id = a.id AND d.name = 'minio-secretkey' ORDER BY d.id DESC LIMIT 1)
	FROM account a WHERE a.uuid = ? AND a.removed IS NULL LIMIT 2`

// Lookup implements auth.Provider for acs- keys.
func (m MinioAccounts) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	sub := acsKey.FindStringSubmatch(accessKeyID)
	if sub == nil {
		return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, accessKeyID)
	}
	uuid := sub[1]
	ctx, cancel := context.WithTimeout(ctx, m.p.opts.QueryTimeout)
	defer cancel()
	rows, err := m.p.db.QueryContext(ctx, minioAccountQuery, uuid)
	if err != nil {
		return auth.Credential{}, m.outage(ctx, accessKeyID, classify(err))
	}
	defer rows.Close()
	var name, state string
	var key, secret sql.NullString
	n := 0
	for rows.Next() {
		if err := rows.Scan(&name, &state, &key, &secret); err != nil {
			return auth.Credential{}, m.outage(ctx, accessKeyID, classify(err))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return auth.Credential{}, m.outage(ctx, accessKeyID, classify(err))
	}
	switch {
	case n == 0:
		return auth.Credential{}, fmt.Errorf("%w: no live account %s", auth.ErrInvalidAccessKeyID, uuid)
	case n > 1:
		return auth.Credential{}, fmt.Errorf("%w: more than one live account %s", auth.ErrInvalidAccessKeyID, uuid)
	case !strings.EqualFold(state, "enabled"):
		return auth.Credential{}, fmt.Errorf("%w: account %s is %s", auth.ErrAccessDenied, uuid, state)
	}
	c := auth.Credential{AccessKeyID: accessKeyID, Owner: uuid, DisplayName: name}
	if key.Valid && key.String == accessKeyID {
		c.Secret = secret.String
	}
	return c, nil
}

func (m MinioAccounts) outage(ctx context.Context, key string, err error) error {
	m.p.log.Log(ctx, slog.LevelWarn, "cloudstack: account database unavailable", "error", err.Error())
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: cannot look up the account of %q", auth.ErrCredentialsUnavailable, key)
}

var _ auth.Provider = MinioAccounts{}
