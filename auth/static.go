package auth

import (
	"context"
	"errors"
	"fmt"
)

// Static is a Provider over a fixed list of credentials.
type Static struct {
	creds map[string]Credential
}

// NewStatic returns a Provider over creds. When an access key id appears
// twice the last entry wins; use NewStaticChecked to reject duplicates.
func NewStatic(creds []Credential) *Static {
	s := &Static{creds: make(map[string]Credential, len(creds))}
	for _, c := range creds {
		s.creds[c.AccessKeyID] = c
	}
	return s
}

// NewStaticChecked is NewStatic that rejects empty and duplicate access key
// ids and empty secrets, for configuration validation.
func NewStaticChecked(creds []Credential) (*Static, error) {
	seen := make(map[string]bool, len(creds))
	var errs []error
	for i, c := range creds {
		switch {
		case c.AccessKeyID == "":
			errs = append(errs, fmt.Errorf("credential %d: empty access key id", i))
		case c.Secret == "":
			errs = append(errs, fmt.Errorf("credential %q: empty secret", c.AccessKeyID))
		case seen[c.AccessKeyID]:
			errs = append(errs, fmt.Errorf("credential %q: duplicate access key id", c.AccessKeyID))
		}
		seen[c.AccessKeyID] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return NewStatic(creds), nil
}

// Lookup implements Provider.
func (s *Static) Lookup(_ context.Context, accessKeyID string) (Credential, error) {
	if c, ok := s.creds[accessKeyID]; ok && accessKeyID != "" {
		return c, nil
	}
	return Credential{}, fmt.Errorf("%w: %q", ErrInvalidAccessKeyID, accessKeyID)
}
