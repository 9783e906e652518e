package auth

import (
	"context"
	"errors"
	"fmt"
)

// Chain is a Provider that asks its providers in order (for example the
// static operator keys first, then CloudStack): the first one that knows
// the key answers. A provider's error other than ErrInvalidAccessKeyID
// (such as ErrCredentialsUnavailable) is returned when no later provider
// knows the key either.
type Chain []Provider

// Lookup implements Provider.
func (ch Chain) Lookup(ctx context.Context, accessKeyID string) (Credential, error) {
	var firstOther error
	for _, p := range ch {
		c, err := p.Lookup(ctx, accessKeyID)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrInvalidAccessKeyID) && firstOther == nil {
			firstOther = err
		}
	}
	if firstOther != nil {
		return Credential{}, firstOther
	}
	return Credential{}, fmt.Errorf("%w: %q", ErrInvalidAccessKeyID, accessKeyID)
}
