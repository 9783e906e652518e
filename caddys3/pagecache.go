package caddys3

import (
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/caddys3/caddys3/fsstore"
	lru "github.com/hashicorp/golang-lru/v2/simplelru"
)

// Listing page cache.
//
// A ListObjects or ListObjectsV2 page of cached keys costs the server a
// walk (directory listings, per key an fstatat and a listing-fields cache
// lookup, an ObjectEntry) and the XML document. The store can say, from
// one open and fstat per directory and one fstatat per key, whether every
// input the walk read is unchanged (fsstore.PageInputs): the page would
// then come out the same. So each handler keeps the encoded documents of
// recent brief pages with their inputs, keyed by the bucket and every
// request parameter that shapes the document, and answers a repeated
// request with the kept document when the store finds the inputs
// unchanged. Nothing is kept on disk; the memory is bounded in bytes
// (least recently used first out). The staleness bound is the store's
// (fsstore/pagecache.go): no later than an uncached listing locally; over
// NFS a record rewritten in place on another node may lag by the
// attribute cache time, as the listing-fields cache already may.

// listPageCacheBytes bounds the documents and inputs a handler keeps.
const listPageCacheBytes = 64 << 20

// pageChecker is a store that can revalidate a page's inputs.
type pageChecker interface {
	PageUnchanged(bucket string, in *fsstore.PageInputs) bool
}

// listPageCache holds encoded pages, least recently used dropped first
// once their cost passes max.
type listPageCache struct {
	max  int64
	mu   sync.Mutex
	used int64                       // under mu
	lru  *lru.LRU[string, *listPage] // under mu
}

// listPage is one kept document and what its page was built from.
type listPage struct {
	key string
	doc []byte
	in  *fsstore.PageInputs
}

func (p *listPage) cost() int64 { return int64(len(p.key)+len(p.doc)) + p.in.Cost() + 128 }

func newListPageCache(max int64) *listPageCache {
	c := &listPageCache{max: max}
	// Bounded by cost, not count: the count limit is never reached.
	c.lru, _ = lru.NewLRU(math.MaxInt32, func(_ string, p *listPage) { c.used -= p.cost() })
	return c
}

// get is the page kept under key, nil if none.
func (c *listPageCache) get(key string) *listPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, _ := c.lru.Get(key)
	return p
}

// drop removes p if it is still the page kept under its key.
func (c *listPageCache) drop(p *listPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.lru.Peek(p.key); ok && cur == p {
		c.lru.Remove(p.key)
	}
}

func (c *listPageCache) put(p *listPage) {
	if p.cost() > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(p.key) // Add would replace it without the eviction callback
	c.lru.Add(p.key, p)
	c.used += p.cost()
	for c.used > c.max {
		c.lru.RemoveOldest()
	}
}

// listPageKey names a listing document by everything that shapes it:
// the bucket, the API version and each parameter as the handler read it
// (lengths first, so no value can run into the next).
func listPageKey(bucket string, v2, fetchOwner bool, maxKeys int, parts ...string) string {
	var b strings.Builder
	b.WriteString(strconv.FormatBool(v2))
	b.WriteString(strconv.FormatBool(fetchOwner))
	b.WriteString(strconv.Itoa(maxKeys))
	for _, s := range append([]string{bucket}, parts...) {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}

// cachedPage is the document kept under key when its page is unchanged.
func (h *Handler) cachedPage(bucket, key string) []byte {
	pc, ok := h.store.(pageChecker)
	if h.listPages == nil || !ok {
		return nil
	}
	p := h.listPages.get(key)
	if p == nil {
		return nil
	}
	if !pc.PageUnchanged(bucket, p.in) {
		h.listPages.drop(p)
		return nil
	}
	return p.doc
}

// keepPage keeps doc under key when its page can be revalidated.
func (h *Handler) keepPage(key string, doc []byte, in *fsstore.PageInputs) {
	if h.listPages != nil && in != nil {
		h.listPages.put(&listPage{key: key, doc: doc, in: in})
	}
}
