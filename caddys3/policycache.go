package caddys3

import (
	"bytes"
	"sync"

	"github.com/caddys3/caddys3/access"
)

// policyCacheSize bounds the buckets whose parsed policy a handler keeps;
// past it the cache starts over (buckets with a policy are few).
const policyCacheSize = 512

// policyCache keeps the parsed policy of each bucket with the document it
// came from, so a request under a policy does not parse it again (~35 µs
// and 200 allocations each). The bucket record is still read on every
// request, so a policy changed by another node is seen at once: its text
// no longer matches the cached document.
type policyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy // by bucket name
}

type cachedPolicy struct {
	doc    []byte
	policy *access.Policy
}

func (c *policyCache) get(bucket string, doc []byte) (*access.Policy, error) {
	if c == nil {
		return access.ParsePolicy(doc, bucket)
	}
	c.mu.Lock()
	e, ok := c.m[bucket]
	c.mu.Unlock()
	if ok && bytes.Equal(e.doc, doc) {
		return e.policy, nil
	}
	p, err := access.ParsePolicy(doc, bucket)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= policyCacheSize {
		c.m = make(map[string]cachedPolicy)
	}
	c.m[bucket] = cachedPolicy{doc: p.Raw(), policy: p}
	c.mu.Unlock()
	return p, nil
}
