package caddys3

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddys3/caddys3/internal/keyring"
)

// EncryptionConfig is the handler's "encryption" value: the operator's
// master keys for SSE-S3 (docs/encryption.md).
type EncryptionConfig struct {
	// Keys are the master keys, the first encrypting new objects; every
	// key decrypts the objects written under it. Keep a retired key
	// listed as long as objects written under it exist.
	Keys []MasterKeyConfig `json:"keys,omitempty"`
	// SSECOverHTTP accepts SSE-C requests over plain HTTP, which S3
	// refuses (the key travels in the clear): for a server behind a
	// proxy that terminates TLS, and for tests.
	SSECOverHTTP bool `json:"ssec_over_http,omitempty"`
}

// allowsSSECOverHTTP reports whether SSE-C may come over plain HTTP.
func (c *EncryptionConfig) allowsSSECOverHTTP() bool { return c != nil && c.SSECOverHTTP }

// MasterKeyConfig is one master key.
type MasterKeyConfig struct {
	// ID names the key in every object sealed under it (1 to 32 bytes):
	// never reuse an id for another key.
	ID string `json:"id"`
	// Key is a file holding the key (32 raw bytes, or base64 or hex
	// text), or the key itself as text; placeholders such as
	// {env.S3_MASTER_KEY} or {file./path} are replaced at start.
	Key string `json:"key"`
}

// provisionEncryption loads the keyring; no key leaves h.keys nil, and
// SSE-S3 requests are refused (SSE-C needs no key of ours).
func (h *Handler) provisionEncryption(repl *caddy.Replacer) error {
	if h.Encryption == nil || len(h.Encryption.Keys) == 0 {
		return nil
	}
	keys := make([]keyring.Key, 0, len(h.Encryption.Keys))
	for _, k := range h.Encryption.Keys {
		source, err := repl.ReplaceOrErr(k.Key, true, true)
		if err != nil {
			return fmt.Errorf("s3: encryption key %q: %w", k.ID, err)
		}
		secret, err := keyring.Load(source)
		if err != nil {
			return fmt.Errorf("s3: encryption key %q: %w", k.ID, err)
		}
		keys = append(keys, keyring.Key{ID: k.ID, Secret: secret})
	}
	ring, err := keyring.New(keys)
	if err != nil {
		return fmt.Errorf("s3: encryption: %w", err)
	}
	h.keys = ring
	return nil
}

// unmarshalEncryption reads
//
//	encryption {
//	    key <id> <file|key|placeholder>
//	    ssec_over_http
//	}
//
// "key" may repeat; the first key encrypts.
func (h *Handler) unmarshalEncryption(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	if h.Encryption == nil {
		h.Encryption = &EncryptionConfig{}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "key":
			var k MasterKeyConfig
			if !d.AllArgs(&k.ID, &k.Key) {
				return d.ArgErr()
			}
			h.Encryption.Keys = append(h.Encryption.Keys, k)
		case "ssec_over_http":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.Encryption.SSECOverHTTP = true
		default:
			return d.Errf("s3: encryption: unknown subdirective %q", d.Val())
		}
	}
	return nil
}
