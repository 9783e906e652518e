// Package static is the Caddy module s3.credentials.static: a fixed list
// of access keys for the s3 handler (http.handlers.s3). The handler asks it
// before its other credential sources.
package static

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddys3/caddys3/auth"
)

func init() {
	caddy.RegisterModule(new(Static))
}

// Static is a fixed list of access keys. In JSON it is the list itself,
//
//	"credentials": {"static": [{"access_key_id": "…", "secret": "…", "owner": "…"}]}
//
// and an object {"keys": […]} is accepted too.
type Static struct {
	// Keys are the access keys.
	Keys []Key `json:"keys,omitempty"`

	provider *auth.Static
}

// Key is one access key in the configuration.
type Key struct {
	// AccessKeyID is the public key id (e.g. AKIA…).
	AccessKeyID string `json:"access_key_id"`
	// Secret is the secret access key; placeholders such as {env.S3_SECRET}
	// or {file./run/secrets/s3} are expanded at provision time.
	Secret string `json:"secret"`
	// Owner names the account that owns what this key creates. Default: the
	// access key id.
	Owner string `json:"owner,omitempty"`
}

// ModuleMap returns the s3 handler's "credentials" value with keys as its
// only source, for configurations built in Go.
func ModuleMap(keys ...Key) caddy.ModuleMap {
	return caddy.ModuleMap{"static": caddyconfig.JSON(Static{Keys: keys}, nil)}
}

// CaddyModule returns the Caddy module information.
func (*Static) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "s3.credentials.static",
		New: func() caddy.Module { return new(Static) },
	}
}

// UnmarshalJSON accepts the list of keys or an object {"keys": […]},
// refusing unknown fields in either.
func (s *Static) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(b) > 0 && b[0] == '[' {
		return dec.Decode(&s.Keys)
	}
	type plain Static // without this method
	return dec.Decode((*plain)(s))
}

// MarshalJSON writes the list of keys, the form `caddy adapt` has always
// emitted.
func (s Static) MarshalJSON() ([]byte, error) {
	if s.Keys == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.Keys)
}

// UnmarshalCaddyfile reads the block of `credentials static`:
//
//	static {
//	    key <access-key-id> <secret> [<owner>]
//	}
//
// "key" may repeat; secrets may be placeholders such as {env.S3_SECRET}.
// Called again on the same value (a second `credentials static` block), it
// adds the keys.
func (s *Static) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the source name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		if d.Val() != "key" {
			return d.Errf("s3: credentials static: unknown subdirective %q (want key)", d.Val())
		}
		args := d.RemainingArgs()
		if len(args) < 2 || len(args) > 3 {
			return d.Errf("s3: key wants <access-key-id> <secret> [<owner>], got %d arguments", len(args))
		}
		k := Key{AccessKeyID: args[0], Secret: args[1]}
		if slices.ContainsFunc(s.Keys, func(o Key) bool { return o.AccessKeyID == k.AccessKeyID }) {
			return d.Errf("s3: access key %s is listed twice", k.AccessKeyID)
		}
		if len(args) == 3 {
			k.Owner = args[2]
		}
		s.Keys = append(s.Keys, k)
	}
	return nil
}

// Provision expands placeholders in the secrets and builds the provider.
func (s *Static) Provision(caddy.Context) error {
	if err := s.Validate(); err != nil {
		return err
	}
	repl := caddy.NewReplacer()
	creds := make([]auth.Credential, 0, len(s.Keys))
	for _, k := range s.Keys {
		secret, err := repl.ReplaceOrErr(k.Secret, true, true)
		if err != nil {
			// Never echo the secret itself.
			return fmt.Errorf("s3: secret of key %s: %w", k.AccessKeyID, err)
		}
		owner := k.Owner
		if owner == "" {
			owner = k.AccessKeyID
		}
		creds = append(creds, auth.Credential{AccessKeyID: k.AccessKeyID, Secret: secret, Owner: owner})
	}
	s.provider = auth.NewStatic(creds)
	return nil
}

// Validate refuses keys without an id or a secret and ids listed twice.
func (s *Static) Validate() error {
	seen := make(map[string]bool, len(s.Keys))
	for _, k := range s.Keys {
		if k.AccessKeyID == "" || k.Secret == "" {
			return errors.New("s3: a static key needs an access key id and a secret")
		}
		if seen[k.AccessKeyID] {
			return fmt.Errorf("s3: access key %s is listed twice", k.AccessKeyID)
		}
		seen[k.AccessKeyID] = true
	}
	return nil
}

// Lookup implements auth.Provider.
func (s *Static) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	if s.provider == nil {
		return auth.Credential{}, fmt.Errorf("%w: %q", auth.ErrInvalidAccessKeyID, accessKeyID)
	}
	return s.provider.Lookup(ctx, accessKeyID)
}

// Account implements auth.Accounts: the owners of the configured keys.
func (s *Static) Account(ctx context.Context, id string) (string, bool, error) {
	if s.provider == nil {
		return "", false, nil
	}
	return s.provider.Account(ctx, id)
}

// Interface guards.
var (
	_ caddy.Provisioner     = (*Static)(nil)
	_ caddy.Validator       = (*Static)(nil)
	_ caddyfile.Unmarshaler = (*Static)(nil)
	_ auth.Provider         = (*Static)(nil)
	_ auth.Accounts         = (*Static)(nil)
	_ json.Unmarshaler      = (*Static)(nil)
	_ json.Marshaler        = Static{}
)
