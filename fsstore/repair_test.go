package fsstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listedETag is the ETag a listing shows for key (the stored record, as
// listings never repair).
func listedETag(t *testing.T, s *Store, bucket, key string) string {
	t.Helper()
	res, err := s.ListObjects(ctx, bucket, ListOptions{Prefix: key, MaxKeys: 1})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("list %q: %v %v", key, res.Objects, err)
	}
	return res.Objects[0].Meta.ETag
}

// dropIn copies body into the bucket directory by hand, as an operator does.
func dropIn(t *testing.T, s *Store, bucket, rel string, body []byte) {
	t.Helper()
	p := filepath.Join(rootPath(s), bucket, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A file copied in by hand gets its ETag at the first read, stored so the
// next reads and listings have it, and keeps its bytes.
func TestReadRepairsMissingMetadata(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		body := []byte("copied in by hand")
		dropIn(t, s, "bkt", "dir/hand.txt", body)
		if got := listedETag(t, s, "bkt", "dir/hand.txt"); got != "" {
			t.Fatalf("listed ETag before any read = %q", got)
		}
		m, err := s.HeadObject(ctx, "bkt", "dir/hand.txt")
		if err != nil {
			t.Fatal(err)
		}
		if m.ETag != md5hex(body) || m.ContentType != DefaultContentType || m.Size != int64(len(body)) || m.Owner != "owner" {
			t.Fatalf("head = %+v", m)
		}
		if got := listedETag(t, s, "bkt", "dir/hand.txt"); got != md5hex(body) {
			t.Fatalf("listed ETag after the read = %q: not stored", got)
		}
		got, m2 := readObject(t, s, "bkt", "dir/hand.txt")
		if string(got) != string(body) || m2.ETag != m.ETag {
			t.Fatalf("get = %q %+v", got, m2)
		}
	})
}

// Above the limit a read fails with ErrMetadataMissing and stores nothing;
// RepairObject repairs it whatever its size.
func TestReadMissingMetadataAboveLimit(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		s.repairMax = 8
		mustBucket(t, s, "bkt")
		body := []byte("more than eight bytes")
		dropIn(t, s, "bkt", "big", body)
		dropIn(t, s, "bkt", "small", []byte("8 bytes!"))
		if _, err := s.HeadObject(ctx, "bkt", "big"); !errors.Is(err, ErrMetadataMissing) {
			t.Fatalf("head big: %v, want ErrMetadataMissing", err)
		}
		if _, err := s.OpenObject(ctx, "bkt", "big"); !errors.Is(err, ErrMetadataMissing) {
			t.Fatalf("open big: %v, want ErrMetadataMissing", err)
		}
		if m, err := s.HeadObject(ctx, "bkt", "small"); err != nil || m.ETag == "" {
			t.Fatalf("head small (at the limit): %+v %v", m, err)
		}
		missing, err := s.RepairObject(ctx, "bkt", "big", false)
		if err != nil || !missing {
			t.Fatalf("check big = %v %v", missing, err)
		}
		if _, err := s.HeadObject(ctx, "bkt", "big"); !errors.Is(err, ErrMetadataMissing) {
			t.Fatalf("a check without repair stored a record: %v", err)
		}
		if missing, err := s.RepairObject(ctx, "bkt", "big", true); err != nil || !missing {
			t.Fatalf("repair big = %v %v", missing, err)
		}
		if m, err := s.HeadObject(ctx, "bkt", "big"); err != nil || m.ETag != md5hex(body) {
			t.Fatalf("head after repair = %+v %v", m, err)
		}
		if missing, err := s.RepairObject(ctx, "bkt", "big", true); err != nil || missing {
			t.Fatalf("second repair = %v %v", missing, err)
		}
	})
}

// A record that lost only its ETag keeps the rest (owner, user metadata)
// when repaired.
func TestRepairKeepsRecord(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		body := []byte("x")
		if _, err := s.PutObject(ctx, "bkt", "k", bytes.NewReader(body), PutOptions{Meta: ObjectMeta{Owner: "alice", UserMeta: map[string]string{"a": "b"}, ContentType: "text/plain"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.editRecord(ctx, "bkt", "k", "", func(r *metaRecord) { r.ETag = "" }); err != nil {
			t.Fatal(err)
		}
		m, err := s.HeadObject(ctx, "bkt", "k")
		if err != nil || m.ETag != md5hex(body) || m.Owner != "alice" || m.UserMeta["a"] != "b" || m.ContentType != "text/plain" {
			t.Fatalf("head = %+v %v", m, err)
		}
	})
}

// Sidecar records of files that are gone are found once older than the
// grace, and removed only with repair; live records stay.
func TestOrphanSidecars(t *testing.T) {
	s := newStore(t, true)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "live", []byte("live"))
	put(t, s, "bkt", "gone", []byte("gone"))
	if err := os.Remove(filepath.Join(rootPath(s), "bkt", "gone")); err != nil {
		t.Fatal(err)
	}
	var found []string
	record := func(rel string) { found = append(found, rel) }
	if n, err := s.OrphanSidecars(ctx, true, record); err != nil || n != 0 {
		t.Fatalf("young records: %d %v", n, err)
	}
	old := time.Now().Add(-2 * sidecarGrace)
	for _, key := range []string{"live", "gone"} {
		dir := filepath.Join(rootPath(s), sidecarDir("bkt", key))
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			os.Chtimes(filepath.Join(dir, e.Name()), old, old)
		}
	}
	if n, err := s.OrphanSidecars(ctx, false, record); err != nil || n != 1 {
		t.Fatalf("report: %d %v", n, err)
	}
	if n, err := s.OrphanSidecars(ctx, true, record); err != nil || n != 1 {
		t.Fatalf("repair: %d %v", n, err)
	}
	if n, err := s.OrphanSidecars(ctx, false, record); err != nil || n != 0 {
		t.Fatalf("after repair: %d %v", n, err)
	}
	if exists(t, filepath.Join(rootPath(s), sidecarDir("bkt", "gone"))) {
		t.Error("the orphan's directory is still there")
	}
	if m, err := s.HeadObject(ctx, "bkt", "live"); err != nil || m.ETag != md5hex([]byte("live")) {
		t.Fatalf("live object lost its record: %+v %v", m, err)
	}
	if len(found) != 2 || found[0] != found[1] {
		t.Errorf("found = %v", found)
	}
}

// stripMeta removes key's records, as a restore that dropped xattrs does.
func stripMeta(t *testing.T, s *Store, bucket, key string) {
	t.Helper()
	if s.SidecarMode() {
		if err := os.RemoveAll(filepath.Join(rootPath(s), sidecarDir(bucket, key))); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := unix.Removexattr(filepath.Join(rootPath(s), bucket, key), xattrName); err != nil {
		t.Fatal(err)
	}
}

// Reads by version id (the entry in the version area, or the plain file as
// the null version) repair too, and keep the version id.
func TestVersionedReadRepairsMissingMetadata(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "k", []byte("null version"))
		stripMeta(t, s, "bkt", "k")
		o, err := s.OpenObjectVersion(ctx, "bkt", "k", NullVersion)
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if o.Meta.ETag != md5hex([]byte("null version")) {
			t.Errorf("null version: %+v", o.Meta)
		}
		if err := s.SetBucketVersioning(ctx, "bkt", "Enabled"); err != nil {
			t.Fatal(err)
		}
		m := put(t, s, "bkt", "v", []byte("versioned"))
		stripMeta(t, s, "bkt", "v")
		o, err = s.OpenObjectVersion(ctx, "bkt", "v", m.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		if o.Meta.ETag != md5hex([]byte("versioned")) || o.Meta.VersionID != m.VersionID {
			t.Errorf("version %s: %+v", m.VersionID, o.Meta)
		}
	})
}

// renewInode gives rel a new inode with the same bytes and times, as a
// file-level restore does.
func renewInode(t *testing.T, s *Store, rel string) {
	t.Helper()
	p := filepath.Join(rootPath(s), rel)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, p, b, fi.ModTime().Truncate(time.Second))
}

// replaceFile replaces p with a new file (a new inode: written before the
// old one is unlinked) holding b, modified at mtime.
func replaceFile(t *testing.T, p string, b []byte, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(p+".new", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p+".new", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
}

// In sidecar mode a restored file (new inode, same size and mtime to the
// second) gets its old record back, all of it; a file whose bytes differ
// from the record's ETag does not.
func TestSidecarRecordFollowsRestore(t *testing.T) {
	s := newStore(t, true)
	mustBucket(t, s, "bkt")
	meta := ObjectMeta{ContentType: "text/plain", UserMeta: map[string]string{"color": "blue"}, Owner: "alice"}
	for _, k := range []string{"kept", "changed"} {
		if _, err := s.PutObject(ctx, "bkt", k, bytes.NewReader([]byte("body of "+k)), PutOptions{Meta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	renewInode(t, s, "bkt/kept")
	// Same size and time, other bytes: the old record does not describe it.
	p := filepath.Join(rootPath(s), "bkt/changed")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, p, []byte("BODY OF changed"), fi.ModTime())

	m, err := s.HeadObject(ctx, "bkt", "kept")
	if err != nil || m.ETag != md5hex([]byte("body of kept")) || m.ContentType != "text/plain" || m.UserMeta["color"] != "blue" || m.Owner != "alice" {
		t.Errorf("restored file: %+v %v", m, err)
	}
	m, err = s.HeadObject(ctx, "bkt", "changed")
	if err != nil || m.ETag != md5hex([]byte("BODY OF changed")) || m.ContentType != DefaultContentType || m.Owner != "owner" {
		t.Errorf("changed file: %+v %v", m, err)
	}
}

// When the record cannot be stored (here: the key's lock is not had in
// time), the read still gets the computed ETag, and nothing is stored.
func TestRepairUnstoredStillServes(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	dropIn(t, s, "bkt", "k", []byte("body"))
	l, err := s.lockKey(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	f, rec, id, _, err := s.openKey("bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done, cancel := contextWithCancel()
	cancel()
	got, err := s.fillRecord(done, f, id, "bkt", "k")
	if err == nil || got.ETag != md5hex([]byte("body")) || got.Owner != "owner" {
		t.Fatalf("fillRecord = %+v, %v; want the computed record and an error", got, err)
	}
	if rec.ETag != "" {
		t.Fatalf("record before: %+v", rec)
	}
	if missing, err := s.RepairObject(ctx, "bkt", "k", false); err != nil || !missing {
		t.Errorf("stored anyway: %v %v", missing, err)
	}
}
