package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// maxCachedKeys bounds the signing-key cache; when full it is emptied, which
// costs four HMACs per key on the next request and keeps memory bounded.
const maxCachedKeys = 1024

// keyCache holds derived SigV4 signing keys. A key changes once a day per
// secret and region, so the cache saves four HMACs on nearly every request.
type keyCache struct {
	mu sync.Mutex
	m  map[keyID]*signingKey
}

type keyID struct{ secret, date, region, service string }

func (c *keyCache) get(secret, date, region, service string) *signingKey {
	id := keyID{secret, date, region, service}
	c.mu.Lock()
	k, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = newSigningKey(deriveKey(secret, date, region, service))
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[keyID]*signingKey)
	}
	c.m[id] = k
	c.mu.Unlock()
	return k
}

// deriveKey is the SigV4 signing key: HMAC chain over date, region, service.
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKey is a derived SigV4 signing key and HMACs keyed with it,
// kept for reuse: keying an HMAC costs two SHA-256 blocks and six
// allocations, which every request and every signed chunk paid.
type signingKey struct {
	key  []byte
	macs sync.Pool // of hash.Hash, hmac.New(sha256.New, key)
}

func newSigningKey(key []byte) *signingKey {
	k := &signingKey{key: key}
	k.macs.New = func() any { return hmac.New(sha256.New, key) }
	return k
}

// sign is HMAC-SHA256 of data under the key.
func (k *signingKey) sign(data string) []byte {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(data))
	sum := h.Sum(nil)
	k.macs.Put(h)
	return sum
}
