package caddys3

import (
	"testing"

	"github.com/caddys3/caddys3/fsstore"
)

// TestListPageKeyDistinct: requests that differ in anything that shapes
// the listing document get different page keys; values cannot run into
// each other. Fails when a parameter is left out of the key.
func TestListPageKeyDistinct(t *testing.T) {
	type shape struct {
		bucket     string
		v2, owner  bool
		maxKeys    int
		parameters []string // encoding, prefix, delimiter, start-after, token, after
	}
	base := shape{"b", true, false, 1000, []string{"", "p/", "/", "", "", ""}}
	shapes := []shape{base,
		{"c", true, false, 1000, base.parameters},
		{"b", false, false, 1000, base.parameters},
		{"b", true, true, 1000, base.parameters},
		{"b", true, false, 999, base.parameters},
	}
	for i := range base.parameters {
		p := append([]string(nil), base.parameters...)
		p[i] += "x"
		shapes = append(shapes, shape{"b", true, false, 1000, p})
	}
	// Values that only differ in where one ends and the next begins.
	shapes = append(shapes, shape{"b", true, false, 1000, []string{"", "p/x", "", "", "", ""}},
		shape{"b", true, false, 1000, []string{"", "p", "/x", "", "", ""}},
		shape{"b", true, false, 1000, []string{"", "p:", "x", "", "", ""}},
		shape{"b", true, false, 1000, []string{"", "p", ":x", "", "", ""}})
	seen := map[string]int{}
	for i, s := range shapes {
		k := listPageKey(s.bucket, s.v2, s.owner, s.maxKeys, s.parameters...)
		if j, ok := seen[k]; ok {
			t.Errorf("shapes %d and %d share the key %q", j, i, k)
		}
		seen[k] = i
	}
}

// TestListPageCacheBounded: the cache drops the least recently used pages
// beyond its size, and a page larger than the whole cache is not kept.
func TestListPageCacheBounded(t *testing.T) {
	in := &fsstore.PageInputs{}
	page := func(key string, n int) *listPage { return &listPage{key: key, doc: make([]byte, n), in: in} }
	one := page("a", 1000).cost()
	c := newListPageCache(3 * one)
	c.put(page("a", 1000))
	c.put(page("b", 1000))
	c.put(page("c", 1000))
	if c.get("a") == nil { // a is now the most recently used
		t.Fatal("a dropped too soon")
	}
	c.put(page("d", 1000))
	if c.get("b") != nil || c.get("a") == nil || c.get("c") == nil || c.get("d") == nil {
		t.Fatal("not the least recently used page dropped")
	}
	if c.used > c.max {
		t.Fatalf("%d bytes kept, bound %d", c.used, c.max)
	}
	c.put(page("huge", int(4*one)))
	if c.get("huge") != nil {
		t.Fatal("page larger than the cache kept")
	}
	p := c.get("a")
	c.put(page("a", 10)) // replaced: dropping the old one does nothing
	c.drop(p)
	if c.get("a") == nil {
		t.Fatal("drop removed the page that replaced it")
	}
}
