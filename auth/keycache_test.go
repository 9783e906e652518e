package auth

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestSigningKeySign: a signing key's pooled HMACs give what a fresh
// HMAC gives, for every use of each pooled one, from many goroutines at
// once (a pooled HMAC not reset would carry the last message over).
func TestSigningKeySign(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		raw := make([]byte, 32)
		for i := range raw {
			raw[i] = byte(rng.Uint32())
		}
		k := newSigningKey(raw)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					data := fmt.Sprintf("%d/%d/%s", g, i, bytes.Repeat([]byte{'x'}, i*7))
					if got, want := k.sign(data), hmacSHA256(raw, data); !bytes.Equal(got, want) {
						t.Errorf("sign(%q) = %x, want %x", data, got, want)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}
