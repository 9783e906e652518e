package auth

import (
	"context"
	"errors"
	"testing"
)

// noAccounts is a provider that cannot tell which accounts it has.
type noAccounts struct{}

func (noAccounts) Lookup(context.Context, string) (Credential, error) {
	return Credential{}, ErrInvalidAccessKeyID
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	s := NewStatic([]Credential{{AccessKeyID: "A", Secret: "s", Owner: "alice"}, {AccessKeyID: "B", Secret: "s", Owner: "bob-id", DisplayName: "Bob"}})
	cases := []struct {
		name  string
		p     Accounts
		id    string
		want  string
		found bool
		err   error
	}{
		{"static owner", s, "alice", "alice", true, nil},
		{"static display name", s, "bob-id", "Bob", true, nil},
		{"static unknown", s, "carol", "", false, nil},
		{"static empty id", s, "", "", false, nil},
		{"chain finds", Chain{noAccounts{}, s}, "bob-id", "Bob", true, nil},
		{"chain of directories: unknown", Chain{s}, "carol", "", false, nil},
		{"chain with a source that cannot tell", Chain{s, noAccounts{}}, "carol", "", false, ErrAccountsUnknown},
		{"empty chain", Chain{}, "carol", "", false, nil},
	}
	for _, c := range cases {
		name, found, err := c.p.Account(ctx, c.id)
		if name != c.want || found != c.found || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: Account(%q) = %q, %v, %v; want %q, %v, %v", c.name, c.id, name, found, err, c.want, c.found, c.err)
		}
	}
}
