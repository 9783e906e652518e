package objstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/caddys3/caddys3/auth"
)

// fakeAccounts stands for CloudStack's database (the real one is
// test/cloudstack's MariaDB).
type fakeAccounts map[string]error

const acsUser = "acs-3f1c2a9e-7b4d-4e2a-9c1f-0a5b6c7d8e9f"

func (f fakeAccounts) AccountCredential(_ context.Context, key string) (auth.Credential, error) {
	err, ok := f[key]
	if !ok {
		return auth.Credential{}, fmt.Errorf("%w: no account", auth.ErrInvalidAccessKeyID)
	}
	if err != nil {
		return auth.Credential{}, err
	}
	return auth.Credential{AccessKeyID: key, Secret: "from-account-details", Owner: Owner(key)}, nil
}

func TestUsersCheckedAgainstCloudStack(t *testing.T) {
	users, err := Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := users.PutUser(User{AccessKey: acsUser, SecretKey: "from-file"}); err != nil {
		t.Fatal(err)
	}
	if err := users.PutUser(User{AccessKey: "plainuser", SecretKey: "p"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, key  string
		acct       fakeAccounts
		secret     string
		err        error
		noFileUser bool
	}{
		{name: "live account, file", key: acsUser, acct: fakeAccounts{acsUser: nil}, secret: "from-file"},
		{name: "account removed", key: acsUser, acct: fakeAccounts{}, err: auth.ErrInvalidAccessKeyID},
		{name: "account disabled", key: acsUser, acct: fakeAccounts{acsUser: auth.ErrAccessDenied}, err: auth.ErrAccessDenied},
		{name: "database down: the file decides", key: acsUser, acct: fakeAccounts{acsUser: auth.ErrCredentialsUnavailable}, secret: "from-file"},
		{name: "no file: account_details", key: acsUser, acct: fakeAccounts{acsUser: nil}, secret: "from-account-details", noFileUser: true},
		{name: "no file, database down", key: acsUser, acct: fakeAccounts{acsUser: auth.ErrCredentialsUnavailable}, err: auth.ErrInvalidAccessKeyID, noFileUser: true},
		{name: "not an acs- user: never asked", key: "plainuser", acct: fakeAccounts{}, secret: "p"},
	} {
		if c.noFileUser {
			users.RemoveUser(c.key)
		}
		users.Accounts = c.acct
		cred, err := users.Lookup(ctx, c.key)
		if c.err != nil && !errors.Is(err, c.err) || c.err == nil && (err != nil || cred.Secret != c.secret) {
			t.Errorf("%s: %+v %v", c.name, cred, err)
		}
		if c.err == nil && cred.Owner != Owner(c.key) {
			t.Errorf("%s: owner %q", c.name, cred.Owner)
		}
		if c.noFileUser {
			users.PutUser(User{AccessKey: acsUser, SecretKey: "from-file"})
		}
	}
}
