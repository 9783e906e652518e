package fsstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resolvers runs f against stores resolving paths with openat2 (when the
// kernel has it) and with the O_NOFOLLOW walk, each with both metadata
// stores.
func resolvers(t *testing.T, f func(t *testing.T, s *Store)) {
	for _, noOpenat2 := range []bool{false, true} {
		for _, sidecar := range []bool{false, true} {
			name := "openat2"
			if noOpenat2 {
				name = "nofollow-walk"
			}
			if sidecar {
				name += "/sidecar"
			}
			t.Run(name, func(t *testing.T) {
				s, err := open(Options{Root: filepath.Join(t.TempDir(), "root"), noOpenat2: noOpenat2}, sidecar)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if !noOpenat2 && !s.root.openat2 {
					t.Log("openat2 unavailable: this run uses the O_NOFOLLOW walk too")
				}
				f(t, s)
			})
		}
	}
}

// plantLinks makes buckets alice and bob (bob holding "secret", "sub/x"
// and "dir/" marker) and plants in alice: d -> ../bob (directory inside
// the root), out -> a directory outside the root, k -> ../bob/secret
// (file inside), kout -> a file outside, internal -> ../.caddys3. It
// returns the outside directory.
func plantLinks(t *testing.T, s *Store) string {
	t.Helper()
	mustBucket(t, s, "alice")
	mustBucket(t, s, "bob")
	put(t, s, "alice", "mine", []byte("alice-data"))
	put(t, s, "bob", "secret", []byte("bob-data"))
	put(t, s, "bob", "sub/x", []byte("bob-x"))
	put(t, s, "bob", "dir/", nil)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside-data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(outside, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(rootPath(s), "alice")
	for name, target := range map[string]string{
		"d":        "../bob",
		"out":      outside,
		"k":        "../bob/secret",
		"kout":     filepath.Join(outside, "secret"),
		"internal": "../" + internalDir,
	} {
		if err := os.Symlink(target, filepath.Join(a, name)); err != nil {
			t.Fatal(err)
		}
	}
	return outside
}

// bobIntact checks bob's bucket holds exactly what plantLinks put there.
func bobIntact(t *testing.T, s *Store, outside string) {
	t.Helper()
	if got := listAll(t, s, "bob", ListOptions{}); !equalStrings(got, []string{"dir/", "secret", "sub/x"}) {
		t.Errorf("bob's keys: %q", got)
	}
	if b, _ := readObject(t, s, "bob", "secret"); string(b) != "bob-data" {
		t.Errorf("bob's secret: %q", b)
	}
	if b, _ := readObject(t, s, "bob", "sub/x"); string(b) != "bob-x" {
		t.Errorf("bob's sub/x: %q", b)
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 2 {
		t.Errorf("outside directory changed: %v", ents)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "outside-data" {
		t.Errorf("outside file: %q", b)
	}
}

// Keys through a planted symlink do not exist for readers.
var linkedKeys = []string{
	"d/secret", "d/sub/x", "d/dir/", "d/sub/", "out/secret", "out/dir/", "k", "kout", "d", "out",
	"internal/empty", "internal/buckets/bob.json", "k/", "d/nope",
}

func TestSymlinkReadsAreMissing(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		for _, key := range linkedKeys {
			if o, err := s.OpenObject(ctx, "alice", key); !errors.Is(err, ErrNoSuchKey) {
				if err == nil {
					b, _ := io.ReadAll(o)
					o.Close()
					t.Errorf("open %q: read %q through a symlink", key, b)
				} else {
					t.Errorf("open %q: %v, want ErrNoSuchKey", key, err)
				}
			}
			if _, err := s.HeadObject(ctx, "alice", key); !errors.Is(err, ErrNoSuchKey) {
				t.Errorf("head %q: %v, want ErrNoSuchKey", key, err)
			}
			if err := s.SetObjectACL(ctx, "alice", key, []byte("acl")); !errors.Is(err, ErrNoSuchKey) {
				t.Errorf("set ACL %q: %v, want ErrNoSuchKey", key, err)
			}
		}
		bobIntact(t, s, outside)
	})
}

func TestSymlinkDeleteNeverReachesTarget(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		for _, key := range linkedKeys {
			if strings.Count(key, "/") == 0 || key == "k/" {
				continue // the links themselves: below
			}
			if err := s.DeleteObject(ctx, "alice", key); err != nil {
				t.Errorf("delete %q: %v (a missing key is no error)", key, err)
			}
		}
		bobIntact(t, s, outside)
		// Deleting a key that is itself a file symlink removes at most the
		// link, never its target.
		for _, key := range []string{"k", "kout", "d", "out"} {
			if err := s.DeleteObject(ctx, "alice", key); err != nil {
				t.Errorf("delete %q: %v", key, err)
			}
		}
		bobIntact(t, s, outside)
	})
}

func TestSymlinkWritesRefused(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		for _, key := range []string{"d/secret", "d/new", "d/sub/new", "d/dir/", "d/newdir/", "out/new", "out/secret", "out/dir/", "internal/x", "k/x", "kout/x"} {
			_, err := s.PutObject(ctx, "alice", key, strings.NewReader(""), PutOptions{})
			if !errors.Is(err, ErrObjectParentIsFile) {
				t.Errorf("put %q: %v, want ErrObjectParentIsFile", key, err)
			}
			_, err = s.PutObject(ctx, "alice", key, strings.NewReader(""), PutOptions{IfNoneMatch: "*"})
			if !errors.Is(err, ErrObjectParentIsFile) {
				t.Errorf("put If-None-Match %q: %v, want ErrObjectParentIsFile", key, err)
			}
		}
		// Multipart: the upload may start (nothing is written at the key),
		// Complete is refused.
		{
			u, err := s.CreateMultipartUpload(ctx, "alice", "d/mp", ObjectMeta{})
			if err != nil {
				t.Fatal(err)
			}
			body := bytes.Repeat([]byte("p"), 10)
			p, err := s.UploadPart(ctx, "alice", "d/mp", u.UploadID, 1, bytes.NewReader(body), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.CompleteMultipartUpload(ctx, "alice", "d/mp", u.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{})
			if !errors.Is(err, ErrObjectParentIsFile) {
				t.Errorf("complete d/mp: %v, want ErrObjectParentIsFile", err)
			}
		}
		bobIntact(t, s, outside)
		// A put at a key that is itself a symlink replaces the link (rename
		// does not follow it) and never writes through it.
		for _, key := range []string{"k", "kout"} {
			put(t, s, "alice", key, []byte("new-"+key))
			if b, _ := readObject(t, s, "alice", key); string(b) != "new-"+key {
				t.Errorf("%q: %q", key, b)
			}
			if fi, err := os.Lstat(filepath.Join(rootPath(s), "alice", key)); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%q is not a regular file now: %v %v", key, fi, err)
			}
		}
		bobIntact(t, s, outside)
	})
}

func TestSymlinkListingSkipsLinks(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		if got := listAll(t, s, "alice", ListOptions{}); !equalStrings(got, []string{"mine"}) {
			t.Errorf("alice: %q", got)
		}
		if got := listAll(t, s, "alice", ListOptions{Delimiter: "/"}); !equalStrings(got, []string{"mine"}) {
			t.Errorf("alice, delimiter: %q", got)
		}
		for _, prefix := range []string{"d/", "d/sub/", "out/", "k/", "internal/", "d", "o"} {
			if got := listAll(t, s, "alice", ListOptions{Prefix: prefix}); len(got) != 0 {
				t.Errorf("prefix %q: %q", prefix, got)
			}
			if got := listAll(t, s, "alice", ListOptions{Prefix: prefix, Delimiter: "/"}); len(got) != 0 {
				t.Errorf("prefix %q, delimiter: %q", prefix, got)
			}
		}
		bobIntact(t, s, outside)
	})
}

func TestSymlinkedBucketDirectory(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		// bb2 has a record (restored from a backup, say) but its directory
		// is a link to bob's; bb3 links out of the root.
		mustBucket(t, s, "bb2")
		mustBucket(t, s, "bb3")
		for name, target := range map[string]string{"bb2": "bob", "bb3": outside} {
			dir := filepath.Join(rootPath(s), name)
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range []string{"bb2", "bb3"} {
			for _, key := range []string{"secret", "sub/x", "dir/"} {
				if _, err := s.OpenObject(ctx, b, key); !errors.Is(err, ErrNoSuchBucket) {
					t.Errorf("open %s/%s: %v", b, key, err)
				}
				if _, err := s.HeadObject(ctx, b, key); !errors.Is(err, ErrNoSuchBucket) {
					t.Errorf("head %s/%s: %v", b, key, err)
				}
				if _, err := s.PutObject(ctx, b, key+"new", strings.NewReader("x"), PutOptions{}); !errors.Is(err, ErrNoSuchBucket) {
					t.Errorf("put %s/%s: %v", b, key, err)
				}
				if err := s.DeleteObject(ctx, b, key); err != nil && !errors.Is(err, ErrNoSuchBucket) {
					t.Errorf("delete %s/%s: %v", b, key, err)
				}
			}
			if _, err := s.ListObjects(ctx, b, ListOptions{MaxKeys: 10}); !errors.Is(err, ErrNoSuchBucket) {
				t.Errorf("list %s: %v", b, err)
			}
			if _, err := s.CreateMultipartUpload(ctx, b, "m", ObjectMeta{}); err != nil && !errors.Is(err, ErrNoSuchBucket) {
				t.Errorf("create upload %s: %v", b, err)
			}
		}
		bobIntact(t, s, outside)
	})
}

// A part file or upload directory replaced by a symlink in the staging area
// is never read through.
func TestSymlinkInMultipartStaging(t *testing.T) {
	resolvers(t, func(t *testing.T, s *Store) {
		outside := plantLinks(t, s)
		body := bytes.Repeat([]byte("p"), 10)
		u, err := s.CreateMultipartUpload(ctx, "alice", "mp", ObjectMeta{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.UploadPart(ctx, "alice", "mp", u.UploadID, 1, bytes.NewReader(body), nil)
		if err != nil {
			t.Fatal(err)
		}
		part := filepath.Join(rootPath(s), uploadDir("alice", u.UploadID), partName(1))
		if err := os.Remove(part); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(rootPath(s), "bob", "secret"), part); err != nil {
			t.Fatal(err)
		}
		if parts, _, err := s.ListParts(ctx, "alice", "mp", u.UploadID, 0, 100); err != nil || len(parts) > 0 {
			t.Errorf("list parts: %v %v", parts, err)
		}
		if _, err := s.CompleteMultipartUpload(ctx, "alice", "mp", u.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{}); err == nil {
			t.Error("complete read a symlinked part")
		}
		if _, err := s.OpenObject(ctx, "alice", "mp"); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("mp: %v", err)
		}
		// The whole upload directory replaced by a link to bob's bucket.
		u2, err := s.CreateMultipartUpload(ctx, "alice", "mp2", ObjectMeta{})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(rootPath(s), uploadDir("alice", u2.UploadID))
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(rootPath(s), "bob"), dir); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UploadPart(ctx, "alice", "mp2", u2.UploadID, 1, bytes.NewReader(body), nil); err == nil {
			t.Error("upload part through a symlinked upload directory")
		}
		if err := s.AbortMultipartUpload(ctx, "alice", "mp2", u2.UploadID); err != nil && !errors.Is(err, ErrNoSuchUpload) {
			t.Errorf("abort: %v", err)
		}
		bobIntact(t, s, outside)
	})
}

// The probe found openat2 where the kernel has it (Linux ≥ 5.6).
func TestResolverProbe(t *testing.T) {
	s := newStore(t, false)
	t.Logf("openat2 with RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH: %v", s.root.openat2)
}
