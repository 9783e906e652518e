package auth

import (
	"context"
	"errors"
	"testing"
)

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
