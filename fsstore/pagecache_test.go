package fsstore

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// keptPage is a page listed with its inputs, as a caller would keep it.
type keptPage struct {
	o   ListOptions
	res ListResult
}

// keepAllPages lists every page of o with inputs and returns those that
// got inputs (were settled enough to be kept).
func keepAllPages(t *testing.T, s *Store, o ListOptions) []keptPage {
	t.Helper()
	o.Inputs = true
	var kept []keptPage
	for range 1000 {
		res, err := s.ListObjects(ctx, "bkt", o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if res.Inputs != nil {
			kept = append(kept, keptPage{o, res})
		}
		if !res.IsTruncated {
			return kept
		}
		o.After = res.Next
	}
	t.Fatalf("%+v: no end", o)
	return nil
}

// samePage reports whether a and b list the same page.
func samePage(a, b ListResult) bool {
	a.Inputs, b.Inputs = nil, nil
	if len(a.Objects) == 0 && len(b.Objects) == 0 {
		a.Objects, b.Objects = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// TestPageInputsNeverStale: on a random tree changed at random between
// listings, by a second Store on the same root and by hand (keys added,
// replaced, deleted, renamed in, removed, truncated, records edited in
// place with size and mtime unchanged (directory markers' too), files rewritten in place with
// their mtime set back, empty directories made), a page whose recorded
// inputs PageUnchanged accepts is exactly the page a fresh listing gives.
// It also checks that pages are kept and accepted when nothing changed,
// so that it cannot pass by refusing everything, and that checking a
// page's files from several goroutines agrees with checking them in turn.
func TestPageInputsNeverStale(t *testing.T) {
	s := newStore(t, false)
	s2 := secondStore(t, s)
	mustBucket(t, s, "bkt")
	dir := filepath.Join(rootPath(s), "bkt")
	rng := rand.New(rand.NewPCG(29, 18))
	randKey := func() string {
		parts := make([]string, 1+rng.IntN(3))
		for i := range parts {
			parts[i] = string("abc"[rng.IntN(3)]) + string("xy"[rng.IntN(2)])
		}
		return strings.Join(parts, "/")
	}
	bodies := map[string]string{} // every key's body
	keys := func() []string { return slices.Sorted(maps.Keys(bodies)) }
	isKey := func(k string) bool { // no collision with a stored directory
		for other := range bodies {
			if strings.HasPrefix(other, k+"/") || strings.HasPrefix(k, other+"/") {
				return false
			}
		}
		return true
	}
	for i := range 150 {
		k := randKey()
		if i%2 == 0 {
			k = fmt.Sprintf("big/%03d", i)
		}
		if isKey(k) {
			bodies[k] = fmt.Sprintf("body %s %d", k, rng.IntN(1000))
		}
	}
	for _, k := range []string{"ax/", "bx/", "cy/", "bx/cx/", "marker-only/"} { // directory markers
		bodies[k] = "" // kept in the directory's xattr
	}
	for _, k := range keys() {
		put(t, s, "bkt", k, []byte(bodies[k]))
	}
	var opts []ListOptions
	for _, prefix := range []string{"", "a", "ax/", "big/", "big/1", "bx/c"} {
		for _, delim := range []string{"", "/", "y"} {
			for _, maxKeys := range []int{1, 7, 70, 1000} {
				opts = append(opts, ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, Brief: true})
			}
		}
	}
	keepAll := func() []keptPage {
		waitSettled()
		s.listClock.refresh(s)
		var kept []keptPage
		for _, o := range opts {
			kept = append(kept, keepAllPages(t, s, o)...)
		}
		return kept
	}
	mutations := []struct {
		name string
		do   func(k string)
	}{
		{"put by another store", func(string) {
			if k := randKey(); isKey(k) {
				bodies[k] = "new " + k
				put(t, s2, "bkt", k, []byte(bodies[k]))
			}
		}},
		{"replaced by another store", func(k string) {
			bodies[k] = bodies[k] + " again"
			put(t, s2, "bkt", k, []byte(bodies[k]))
		}},
		{"deleted by another store", func(k string) {
			if err := s2.DeleteObject(ctx, "bkt", k); err != nil {
				t.Fatal(err)
			}
			delete(bodies, k)
		}},
		{"removed by hand", func(k string) {
			if err := os.Remove(filepath.Join(dir, k)); err != nil {
				t.Fatal(err)
			}
			delete(bodies, k)
		}},
		{"renamed in by hand", func(k string) {
			put(t, s2, "bkt", "staged/x", []byte("renamed in"))
			if err := os.Rename(filepath.Join(dir, "staged", "x"), filepath.Join(dir, k)); err != nil {
				t.Fatal(err)
			}
			bodies[k] = "renamed in"
		}},
		{"record edited by hand", func(k string) {
			editETagByHand(t, filepath.Join(dir, k), bodies[k], bodies[k]+" edited")
			bodies[k] += " edited"
		}},
		{"rewritten in place by hand, mtime set back", func(k string) {
			p := filepath.Join(dir, k)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(strings.Repeat("z", int(fi.Size()))), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, time.Time{}, fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated by hand", func(k string) {
			if err := os.Truncate(filepath.Join(dir, k), 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"marker's record removed by hand", func(k string) {
			if !strings.HasSuffix(k, "/") {
				return
			}
			if err := unix.Removexattr(filepath.Join(dir, k), xattrName); err != nil {
				t.Fatal(err)
			}
			delete(bodies, k)
		}},
		{"empty directory made by hand", func(string) {
			if err := os.MkdirAll(filepath.Join(dir, randKey()+"q"), 0o755); err != nil && !errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: under a key
				t.Fatal(err)
			}
		}},
	}
	kept := keepAll()
	accepted := 0
	for round := range 90 {
		ks := keys()
		k := ks[rng.IntN(len(ks))]
		what := "nothing"
		if round%6 != 5 {
			m := mutations[rng.IntN(len(mutations))]
			if strings.HasSuffix(k, "/") { // a marker: its record is the directory's xattr
				m = mutations[[]int{2, 5, 8}[rng.IntN(3)]] // deleted, edited or removed by hand
			}
			what = m.name + " " + k
			m.do(k)
		}
		for _, p := range kept {
			s.statFanout = statFanout{} // serial
			unchanged := s.PageUnchanged("bkt", p.res.Inputs)
			s.statFanout = eager // files checked from several goroutines
			if s.PageUnchanged("bkt", p.res.Inputs) != unchanged {
				t.Fatalf("round %d, after %s: page %+v: serial and spread checks disagree", round, what, p.o)
			}
			if !unchanged {
				if what == "nothing" {
					t.Fatalf("round %d: nothing changed, page %+v refused", round, p.o)
				}
				continue
			}
			accepted++
			o := p.o
			o.Inputs = false
			fresh, err := s.ListObjects(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			if !samePage(p.res, fresh) {
				t.Fatalf("round %d, after %s: page %+v accepted as unchanged:\n kept %+v\nfresh %+v", round, what, p.o, p.res, fresh)
			}
		}
		kept = keepAll()
	}
	if accepted < 1000 {
		t.Fatalf("only %d pages accepted", accepted)
	}
}

// TestPageInputsRacy: a page gets inputs only when every directory and
// file it read has a ctime older than the filesystem clock read before
// the walk, as a change in the same timestamp tick would leave them
// unchanged; pages without inputs are those that cannot be revalidated.
func TestPageInputsRacy(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "d/a", []byte("a"))
	p := filepath.Join(rootPath(s), "bkt", "d", "a")
	waitSettled()
	if err := os.Chmod(p, 0o640); err != nil { // the file's ctime, not its directory's
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	ctime := fi.Sys().(*syscall.Stat_t).Ctim.Nano()
	o := ListOptions{Prefix: "d/", MaxKeys: 10, Brief: true, Inputs: true}
	inputs := func() *PageInputs {
		t.Helper()
		res, err := s.ListObjects(ctx, "bkt", o)
		if err != nil || len(res.Objects) != 1 {
			t.Fatal(res, err)
		}
		return res.Inputs
	}
	s.listClock.lastProbe = time.Now().Add(time.Hour) // no probe
	s.listClock.ns.Store(ctime)
	if inputs() != nil {
		t.Fatal("inputs of a page whose file may change in the same tick")
	}
	s.listClock.ns.Store(ctime + 1)
	in := inputs()
	if in == nil || !s.PageUnchanged("bkt", in) {
		t.Fatal("settled page not given inputs, or refused", in)
	}
	// The same for the directory: its listing may change in the tick.
	waitSettled()
	if err := os.Chmod(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if fi, err = os.Stat(filepath.Dir(p)); err != nil {
		t.Fatal(err)
	}
	s.listClock.ns.Store(fi.Sys().(*syscall.Stat_t).Ctim.Nano())
	if inputs() != nil {
		t.Fatal("inputs of a page whose directory may change in the same tick")
	}
	o.Brief = false
	if inputs() != nil {
		t.Fatal("inputs of a full page")
	}
	o.Brief, o.Inputs = true, false
	if inputs() != nil {
		t.Fatal("inputs not asked for")
	}
	if s := newStore(t, true); s.newPageRecorder(ListOptions{Brief: true, Inputs: true}) != nil {
		t.Fatal("sidecar store records page inputs")
	}
}

// TestPageInputsMarkerDecides: a directory that a page shows as a common
// prefix only because of its marker (a record in the directory's xattr)
// is an input of the page though its listing was never read: its marker
// removed or edited by hand, the page is not accepted.
func TestPageInputsMarkerDecides(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	for _, k := range []string{"a", "m/", "z"} {
		put(t, s, "bkt", k, nil)
	}
	m := filepath.Join(rootPath(s), "bkt", "m")
	for _, o := range []ListOptions{
		{Delimiter: "/", MaxKeys: 10, Brief: true}, // m/ a common prefix: the probe stops at the marker
		{Prefix: "m", MaxKeys: 10, Brief: true},    // m/ listed as a key
		{MaxKeys: 1, After: "a", Brief: true},      // m/ the whole page
	} {
		waitSettled()
		s.listClock.refresh(s)
		o.Inputs = true
		kept, err := s.ListObjects(ctx, "bkt", o)
		if err != nil || kept.Inputs == nil {
			t.Fatal(kept, err)
		}
		editETagByHand(t, m, "", "by hand")
		if s.PageUnchanged("bkt", kept.Inputs) {
			t.Errorf("%+v: page accepted after the marker was edited by hand", o)
		}
		editETagByHand(t, m, "by hand", "")
		waitSettled()
		s.listClock.refresh(s)
		if kept, err = s.ListObjects(ctx, "bkt", o); err != nil || kept.Inputs == nil {
			t.Fatal(kept, err)
		}
		raw := make([]byte, 4096)
		n, err := unix.Getxattr(m, xattrName, raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Removexattr(m, xattrName); err != nil {
			t.Fatal(err)
		}
		if s.PageUnchanged("bkt", kept.Inputs) {
			t.Errorf("%+v: page accepted after the marker was removed by hand", o)
		}
		if err := unix.Setxattr(m, xattrName, raw[:n], 0); err != nil {
			t.Fatal(err)
		}
	}
}
