package caddys3

import (
	"sync"

	"github.com/caddys3/caddys3/access"
)

// policyCacheSize bounds the parsed policies a handler keeps; past it the
// cache starts over (policies change rarely, buckets with one are few).
const policyCacheSize = 512

// policyCache keeps parsed bucket policies keyed by bucket and document, so
// a request under a policy does not parse it again (~35 µs and 200
// allocations each). The bucket record is still read on every request, so
// a policy changed by another node is seen at once: its new text is a new
// key.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*access.Policy
}

func (c *policyCache) get(bucket string, doc []byte) (*access.Policy, error) {
	if c == nil {
		return access.ParsePolicy(doc, bucket)
	}
	k := bucket + "\x00" + string(doc)
	c.mu.Lock()
	p, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := access.ParsePolicy(doc, bucket)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= policyCacheSize {
		c.m = make(map[string]*access.Policy)
	}
	c.m[k] = p
	c.mu.Unlock()
	return p, nil
}
