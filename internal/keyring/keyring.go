// Package keyring holds the operator's master keys: the first encrypts
// new objects, every one decrypts, so that objects written before a
// rotation stay readable. Keys are named by short ids stored with each
// object (internal/sealed's header).
package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/caddys3/caddys3/internal/sealed"
)

// Keyring is an ordered set of named 256-bit keys. It is not changed
// after New, so it is safe for concurrent use.
type Keyring struct {
	ids  []string
	keys map[string][]byte
}

// Key is one entry: its id and its 32 bytes.
type Key struct {
	ID     string
	Secret []byte
}

// New is the keyring of keys, the first being the current one.
func New(keys []Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no key")
	}
	k := &Keyring{keys: make(map[string][]byte, len(keys))}
	for _, e := range keys {
		if e.ID == "" || len(e.ID) > sealed.MaxKeyID {
			return nil, fmt.Errorf("keyring: key id %q: 1 to %d bytes", e.ID, sealed.MaxKeyID)
		}
		if _, dup := k.keys[e.ID]; dup {
			return nil, fmt.Errorf("keyring: key id %q given twice", e.ID)
		}
		if len(e.Secret) != sealed.KeySize {
			return nil, fmt.Errorf("keyring: key %q has %d bytes, want %d", e.ID, len(e.Secret), sealed.KeySize)
		}
		k.ids = append(k.ids, e.ID)
		k.keys[e.ID] = bytes.Clone(e.Secret)
	}
	return k, nil
}

// Current is the key new objects are sealed under.
func (k *Keyring) Current() (id string, secret []byte) {
	return k.ids[0], k.keys[k.ids[0]]
}

// Lookup is the key named id.
func (k *Keyring) Lookup(id string) ([]byte, bool) {
	s, ok := k.keys[id]
	return s, ok
}

// IDs are the key ids, the current one first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// ParseText is a key written as text: 44 characters of standard base64 or
// 64 hex digits (surrounding white space ignored).
func ParseText(s string) ([]byte, bool) {
	s = string(bytes.TrimSpace([]byte(s)))
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == sealed.KeySize {
		return b, true
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == sealed.KeySize {
		return b, true
	}
	return nil, false
}

// Load is the key in source: the key itself as text (ParseText), or else
// the path of a file holding it as text or as 32 raw bytes.
func Load(source string) ([]byte, error) {
	if b, ok := ParseText(source); ok {
		return b, nil
	}
	// Errors do not repeat source: it may be a mistyped key.
	data, err := os.ReadFile(source)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("keyring: neither a key as text nor a readable key file: %w", err)
	}
	if b, ok := ParseText(string(data)); ok {
		return b, nil
	}
	if len(data) == sealed.KeySize {
		return data, nil
	}
	return nil, errors.New("keyring: the key file holds no 256-bit key (32 raw bytes, 44 base64 characters or 64 hex digits)")
}
