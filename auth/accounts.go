package auth

import (
	"context"
	"errors"
)

// Accounts is implemented by credential providers that can tell whether an
// account (a canonical ID, Credential.Owner) has keys with them, for ACL
// grants: S3 refuses a grant to an ID no account has and shows the
// grantee's display name.
type Accounts interface {
	// Account returns the display name of the account with canonical ID
	// id (its ID when it has none); ok=false when no key of the provider
	// belongs to it.
	Account(ctx context.Context, id string) (displayName string, ok bool, err error)
}

// ErrAccountsUnknown is returned by Chain.Account for an ID none of its
// providers knows when one of them cannot tell which accounts it has.
var ErrAccountsUnknown = errors.New("the credential sources cannot tell which accounts exist")

// Account implements Accounts over the configured keys.
func (s *Static) Account(_ context.Context, id string) (string, bool, error) {
	for _, c := range s.creds {
		if c.Owner == id && id != "" {
			if c.DisplayName != "" {
				return c.DisplayName, true, nil
			}
			return c.Owner, true, nil
		}
	}
	return "", false, nil
}

// Account implements Accounts: the first provider that knows id answers;
// when none does and one of them is not an Accounts (or failed), the
// answer is ErrAccountsUnknown (or that failure).
func (ch Chain) Account(ctx context.Context, id string) (string, bool, error) {
	var unsure error
	for _, p := range ch {
		a, ok := p.(Accounts)
		if !ok {
			unsure = ErrAccountsUnknown
			continue
		}
		name, found, err := a.Account(ctx, id)
		switch {
		case err != nil:
			unsure = err
		case found:
			return name, true, nil
		}
	}
	return "", false, unsure
}
