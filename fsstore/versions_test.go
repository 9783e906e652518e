package fsstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

func vget(t *testing.T, s *Store, key, vid string) (string, error) {
	t.Helper()
	o, err := s.OpenObjectVersion(ctx, "vbk", key, vid)
	if err != nil {
		return "", err
	}
	defer o.Close()
	b, _ := io.ReadAll(o)
	return string(b), nil
}

func vstoreBucket(t *testing.T, s *Store, status string) {
	t.Helper()
	mustBucket(t, s, "vbk")
	if status != "" {
		if err := s.SetBucketVersioning(ctx, "vbk", status); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVersionsSemantics(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, "")
		put(t, s, "vbk", "k", []byte("legacy")) // null version, before versioning
		if err := s.SetBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
			t.Fatal(err)
		}
		if info, _ := s.Bucket(ctx, "vbk"); info.Versioning != VersioningEnabled {
			t.Fatalf("versioning %q", info.Versioning)
		}
		m1 := put(t, s, "vbk", "k", []byte("one"))
		m2 := put(t, s, "vbk", "k", []byte("two"))
		if m1.VersionID == "" || m2.VersionID == "" || m1.VersionID <= m2.VersionID {
			t.Fatalf("ids %q %q: want set, newest sorting first", m1.VersionID, m2.VersionID)
		}
		for vid, want := range map[string]string{"": "two", m1.VersionID: "one", m2.VersionID: "two", NullVersion: "legacy"} {
			if got, err := vget(t, s, "k", vid); err != nil || got != want {
				t.Errorf("get %q = %q, %v; want %q", vid, got, err, want)
			}
		}
		if _, err := vget(t, s, "k", "0000000000000d000000"); !errors.Is(err, ErrNoSuchVersion) {
			t.Errorf("unknown id: %v", err)
		}
		// A delete marker.
		dr, err := s.DeleteObjectVersion(ctx, "vbk", "k", "", "owner")
		if err != nil || !dr.DeleteMarker || dr.VersionID == "" {
			t.Fatalf("delete: %+v %v", dr, err)
		}
		_, err = vget(t, s, "k", "")
		var dme *DeleteMarkerError
		if !errors.Is(err, ErrNoSuchKey) || !errors.As(err, &dme) || dme.VersionID != dr.VersionID || dme.Addressed {
			t.Fatalf("get after delete: %v", err)
		}
		_, err = vget(t, s, "k", dr.VersionID)
		if errors.Is(err, ErrNoSuchKey) || !errors.As(err, &dme) || !dme.Addressed {
			t.Fatalf("get of the marker: %v", err)
		}
		if r, _ := s.ListObjects(ctx, "vbk", ListOptions{MaxKeys: 10}); len(r.Objects) != 0 {
			t.Fatalf("list shows %v", r.Objects)
		}
		// The marker names who deleted (ListObjectVersions' Owner).
		if vr, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 1}); err != nil || len(vr.Entries) != 1 ||
			!vr.Entries[0].DeleteMarker || vr.Entries[0].Meta.Owner != "owner" {
			t.Fatalf("marker entry: %+v %v", vr.Entries, err)
		}
		// If-None-Match * treats a marker as absent.
		if _, err := s.PutObject(ctx, "vbk", "k", strings.NewReader("x"), PutOptions{IfNoneMatch: "*", IfMatch: ""}); err != nil {
			t.Fatalf("if-none-match over a marker: %v", err)
		}
		if _, err := s.PutObject(ctx, "vbk", "k", strings.NewReader("y"), PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
			t.Fatalf("if-none-match over an object: %v", err)
		}
		lv, err := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 100})
		if err != nil || len(lv.Entries) != 5 || !lv.Entries[0].IsLatest || !lv.Entries[1].DeleteMarker || lv.Entries[4].VersionID != NullVersion {
			t.Fatalf("versions: %+v %v", lv, err)
		}
		// Deleting the latest re-publishes the next newest (a marker: none).
		latest := lv.Entries[0].VersionID
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", latest, "owner"); err != nil {
			t.Fatal(err)
		}
		if _, err := vget(t, s, "k", ""); !errors.As(err, &dme) {
			t.Fatalf("after deleting the latest: %v", err)
		}
		if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", dr.VersionID, "owner"); err != nil {
			t.Fatal(err)
		}
		if got, err := vget(t, s, "k", ""); got != "two" || err != nil {
			t.Fatalf("after deleting the marker: %q %v", got, err)
		}
		if got, _ := readObject(t, s, "vbk", "k"); string(got) != "two" {
			t.Fatalf("plain file %q", got)
		}
		// Suspended: null version replaced, ids kept.
		if err := s.SetBucketVersioning(ctx, "vbk", VersioningSuspended); err != nil {
			t.Fatal(err)
		}
		m := put(t, s, "vbk", "k", []byte("susp"))
		if m.VersionID != "" {
			t.Fatalf("suspended write got id %q", m.VersionID)
		}
		lv, _ = s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 100})
		var ids []string
		for _, e := range lv.Entries {
			ids = append(ids, e.VersionID)
		}
		if want := []string{NullVersion, m2.VersionID, m1.VersionID}; !equalStrings(ids, want) {
			t.Fatalf("suspended versions %v, want %v", ids, want)
		}
		dr, _ = s.DeleteObjectVersion(ctx, "vbk", "k", "", "owner")
		if !dr.DeleteMarker || dr.VersionID != "" {
			t.Fatalf("suspended delete %+v", dr)
		}
		if err := s.DeleteBucket(ctx, "vbk"); !errors.Is(err, ErrBucketNotEmpty) {
			t.Fatalf("delete bucket: %v", err)
		}
		for _, v := range []string{NullVersion, m2.VersionID, m1.VersionID} {
			if _, err := s.DeleteObjectVersion(ctx, "vbk", "k", v, "owner"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteBucket(ctx, "vbk"); err != nil {
			out, _ := exec.Command("find", rootPath(s)+"/vbk", rootPath(s)+"/.caddys3/versions").CombinedOutput()
			lv, _ := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 100})
			t.Fatalf("delete bucket: %v\n%s\n%+v", err, out, lv)
		}
	})
}

// vmodel is the in-memory model of a versioned bucket.
type vmodel map[string][]string // key → version ids newest first ("m:" prefix = marker)

func (m vmodel) entries() []string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if len(v) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for i, v := range m[k] {
			out = append(out, fmt.Sprintf("%s %s latest=%v", k, v, i == 0))
		}
	}
	return out
}

func listVersionsAll(t *testing.T, s *Store, o ListVersionsOptions) []string {
	t.Helper()
	var out []string
	for page := 0; ; page++ {
		r, err := s.ListObjectVersions(ctx, "vbk", o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Entries {
			v := e.VersionID
			if e.DeleteMarker {
				v = "m:" + v
			}
			out = append(out, fmt.Sprintf("%s %s latest=%v", e.Key, v, e.IsLatest))
		}
		for _, cp := range r.CommonPrefixes {
			out = append(out, "P "+cp)
		}
		if !r.IsTruncated {
			return out
		}
		if page > 10000 {
			t.Fatal("no end")
		}
		o.KeyMarker, o.VersionIDMarker = r.NextKeyMarker, r.NextVersionIDMarker
	}
}

func TestVersionsListModel(t *testing.T) {
	s := newStore(t, false)
	vstoreBucket(t, s, VersioningEnabled)
	rng := rand.New(rand.NewPCG(7, 15))
	keys := []string{"a", "a/b", "a/b/c", "a-", "a/", "a//x", "b", "d/", "d/e", "%%v", "x/%%v/y", "a/b/"}
	m := vmodel{}
	for i := 0; i < 300; i++ {
		k := keys[rng.IntN(len(keys))]
		switch r := rng.IntN(10); {
		case r < 6:
			body := []byte(fmt.Sprint(i))
			if strings.HasSuffix(k, "/") && rng.IntN(2) == 0 {
				body = nil
			}
			me := put(t, s, "vbk", k, body)
			m[k] = append([]string{me.VersionID}, m[k]...)
		case r < 8:
			dr, err := s.DeleteObjectVersion(ctx, "vbk", k, "", "owner")
			if err != nil {
				t.Fatal(err)
			}
			m[k] = append([]string{"m:" + dr.VersionID}, m[k]...)
		default:
			if len(m[k]) == 0 {
				continue
			}
			j := rng.IntN(len(m[k]))
			id := strings.TrimPrefix(m[k][j], "m:")
			if _, err := s.DeleteObjectVersion(ctx, "vbk", k, id, "owner"); err != nil {
				t.Fatal(err)
			}
			m[k] = append(m[k][:j:j], m[k][j+1:]...)
		}
	}
	want := m.entries()
	for _, mk := range []int{1, 2, 3, 7, 1000} {
		if got := listVersionsAll(t, s, ListVersionsOptions{MaxKeys: mk}); !equalStrings(got, want) {
			t.Fatalf("maxkeys %d:\n got %v\nwant %v", mk, got, want)
		}
	}
	// Latest content matches, ListObjects shows exactly the keys whose latest is not a marker.
	var live []string
	for k, v := range m {
		if len(v) > 0 && !strings.HasPrefix(v[0], "m:") {
			live = append(live, k)
		}
	}
	sort.Strings(live)
	if got := listAll(t, s, "vbk", ListOptions{MaxKeys: 1000}); !equalStrings(got, live) {
		t.Fatalf("ListObjects %v, want %v", got, live)
	}
	// With a delimiter: keys without '/' after the prefix, and prefixes.
	for _, mk := range []int{1, 2, 1000} {
		got := listVersionsAll(t, s, ListVersionsOptions{MaxKeys: mk, Delimiter: "/"})
		var w []string
		seen := map[string]bool{}
		for _, e := range want {
			k := e[:strings.IndexByte(e, ' ')]
			if i := strings.IndexByte(k, '/'); i >= 0 {
				if !seen[k[:i+1]] {
					seen[k[:i+1]] = true
					w = append(w, "P "+k[:i+1])
				}
				continue
			}
			w = append(w, e)
		}
		sort.Strings(got)
		sort.Strings(w)
		if !equalStrings(got, w) {
			t.Fatalf("delimiter maxkeys %d:\n got %v\nwant %v", mk, got, w)
		}
	}
}

func TestVersionsConcurrent(t *testing.T) {
	s1 := newStore(t, false)
	s2, err := Open(Options{Root: rootPath(s1)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	vstoreBucket(t, s1, VersioningEnabled)
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := s1
			if g%2 == 1 {
				s = s2
			}
			for i := 0; i < 10; i++ {
				m, err := s.PutObject(ctx, "vbk", "same", bytes.NewReader([]byte(fmt.Sprint(g, i))), PutOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, m.VersionID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	lv, err := s1.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 1000})
	if err != nil || len(lv.Entries) != 80 {
		t.Fatalf("%d versions, %v", len(lv.Entries), err)
	}
	sort.Strings(ids)
	for i, e := range lv.Entries {
		if e.VersionID != ids[i] || e.IsLatest != (i == 0) {
			t.Fatalf("entry %d: %+v, want %s", i, e, ids[i])
		}
	}
	if m, _ := s1.HeadObject(ctx, "vbk", "same"); m.VersionID != ids[0] {
		t.Fatalf("latest %s, want %s", m.VersionID, ids[0])
	}
}

func TestVersionsCrashBetweenRenameAndLink(t *testing.T) {
	s := newStore(t, false)
	vstoreBucket(t, s, VersioningEnabled)
	m1 := put(t, s, "vbk", "k", []byte("one"))
	testHookVersionRenamed = func(bucket, key string) { panic("killed") }
	func() {
		defer func() { recover() }()
		s.PutObject(ctx, "vbk", "k", strings.NewReader("two"), PutOptions{})
	}()
	testHookVersionRenamed = nil
	// The killed write's version is the plain file, the latest, listed
	// from its record though its entry is not in the area yet.
	if got, err := vget(t, s, "k", ""); got != "two" || err != nil {
		t.Fatalf("latest %q %v", got, err)
	}
	lv, _ := s.ListObjectVersions(ctx, "vbk", ListVersionsOptions{MaxKeys: 10})
	if len(lv.Entries) != 2 || !lv.Entries[0].IsLatest || lv.Entries[1].VersionID != m1.VersionID || lv.Entries[1].IsLatest {
		t.Fatalf("versions %+v", lv.Entries)
	}
	crashed := lv.Entries[0].VersionID
	if got, err := vget(t, s, "k", m1.VersionID); got != "one" || err != nil {
		t.Fatalf("first version %q %v", got, err)
	}
	// The next write is newer than both and latest; it adopts the killed
	// one into the area.
	m3 := put(t, s, "vbk", "k", []byte("three"))
	if m3.VersionID >= crashed {
		t.Fatalf("id %s not newest", m3.VersionID)
	}
	if got, err := vget(t, s, "k", crashed); got != "two" || err != nil {
		t.Fatalf("crashed version %q %v", got, err)
	}
	// A crash on a key with no plain file: the version is the latest, and
	// ListObjects shows it (TestVersionsKilledWriteAgrees checks more).
	testHookVersionRenamed = func(bucket, key string) { panic("killed") }
	func() {
		defer func() { recover() }()
		s.PutObject(ctx, "vbk", "new", strings.NewReader("n"), PutOptions{})
	}()
	testHookVersionRenamed = nil
	if got, err := vget(t, s, "new", ""); got != "n" || err != nil {
		t.Fatalf("new %q %v", got, err)
	}
	if keys := listAll(t, s, "vbk", ListOptions{}); !equalStrings(keys, []string{"k", "new"}) {
		t.Fatalf("listed %v", keys)
	}
}

// A restore that drops the bucket directory's mode bits (cp -r, a tar
// without modes) must not make a versioned bucket overwrite silently: the
// next Bucket (every request loads it) restores the flag from the record.
func TestVersionsFlagHealed(t *testing.T) {
	s := newStore(t, false)
	vstoreBucket(t, s, VersioningEnabled)
	first := put(t, s, "vbk", "k", []byte("one"))
	dir := filepath.Join(s.root.Name(), "vbk")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if versioned, _ := s.bucketState("vbk"); versioned {
		t.Fatal("the chmod left the flag")
	}
	if _, err := s.Bucket(ctx, "vbk"); err != nil {
		t.Fatal(err)
	}
	second := put(t, s, "vbk", "k", []byte("two"))
	if second.VersionID == "" || second.VersionID == first.VersionID {
		t.Fatalf("second put made version %q (first %q)", second.VersionID, first.VersionID)
	}
	if got, err := vget(t, s, "k", first.VersionID); err != nil || got != "one" {
		t.Fatalf("first version: %q, %v", got, err)
	}
}
