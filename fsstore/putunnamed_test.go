package fsstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// stagingStamp is the staging directory's change time: creating or
// removing a name in it moves it, an unnamed file does not.
func stagingStamp(t *testing.T, s *Store) unix.Timespec {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(rootPath(s), tmpDir), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ctim
}

// TestPutUnnamed: a put of a new key never names a staging file; every
// other put (an overwrite, a missing directory, a name taken by a
// directory of keys, a conditional write, a versioned bucket) still
// stores what it was given, with its metadata, and leaves nothing behind.
func TestPutUnnamed(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			s := newStore(t, false)
			s.fsync = fsync
			testPutUnnamed(t, s)
		})
	}
}

func testPutUnnamed(t *testing.T, s *Store) {
	if !s.unnamed {
		t.Fatal("no unnamed staging on the test's filesystem (O_TMPFILE and /proc/self/fd links)")
	}
	mustBucket(t, s, "bkt")
	meta := ObjectMeta{ContentType: "text/x-new", UserMeta: map[string]string{"k": "v"}}
	putMeta := func(key string, body []byte, opts PutOptions) {
		t.Helper()
		opts.Meta = meta
		m, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(body), opts)
		if err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		got, gm := readObject(t, s, "bkt", key)
		if !bytes.Equal(got, body) || gm.ETag != md5hex(body) || m.ETag != gm.ETag ||
			gm.ContentType != meta.ContentType || gm.UserMeta["k"] != "v" || gm.LastModified != m.LastModified {
			t.Fatalf("%q: read %q %+v after put %+v", key, got, gm, m)
		}
	}

	before := stagingStamp(t, s)
	putMeta("new", []byte("fresh"), PutOptions{})
	if after := stagingStamp(t, s); after != before {
		t.Fatalf("a put of a new key named a staging file (staging ctime %v -> %v)", before, after)
	}

	putMeta("new", []byte("replaced"), PutOptions{})                       // overwrite
	putMeta("a/b/c", []byte("deep"), PutOptions{})                         // directories made
	putMeta("a", []byte("escaped"), PutOptions{})                          // "a" is a directory of keys
	putMeta("cond", []byte("if-none-match"), PutOptions{IfNoneMatch: "*"}) // under the name lock
	if _, err := s.PutObject(ctx, "bkt", "cond", bytes.NewReader([]byte("again")), PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-None-Match over an existing key: %v", err)
	}
	if got, _ := readObject(t, s, "bkt", "a/b/c"); string(got) != "deep" {
		t.Fatalf("a/b/c after a put of a: %q", got)
	}
	// A failed body publishes nothing.
	if _, err := s.PutObject(ctx, "bkt", "broken", &failingReader{data: []byte("part"), err: io.ErrUnexpectedEOF}, PutOptions{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("broken body: %v", err)
	}
	if _, err := s.HeadObject(ctx, "bkt", "broken"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("broken put published: %v", err)
	}
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Fatalf("staging entries left: %v", left)
	}
}

// TestPutUnnamedRace: writers of one new key race; every put succeeds,
// and the key holds one of them whole, with that writer's metadata.
func TestPutUnnamedRace(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "bkt")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
			opts := PutOptions{Meta: ObjectMeta{UserMeta: map[string]string{"who": fmt.Sprint(i)}}}
			if _, err := s.PutObject(ctx, "bkt", "k", bytes.NewReader(body), opts); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, m := readObject(t, s, "bkt", "k")
	var who int
	fmt.Sscan(m.UserMeta["who"], &who)
	if want := bytes.Repeat([]byte{byte('a' + who)}, 1000+who); !bytes.Equal(got, want) || m.ETag != md5hex(want) {
		t.Fatalf("key holds %d bytes of %q with metadata of writer %d", len(got), got[:1], who)
	}
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Fatalf("staging entries left: %v", left)
	}
}

// TestPutUnnamedUsage: a linked put reports its bytes exactly; an
// overwrite still reports the difference.
func TestPutUnnamedUsage(t *testing.T) {
	s, u := countingStore(t, false)
	if !s.unnamed {
		t.Fatal("no unnamed staging")
	}
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "k", make([]byte, 100))
	put(t, s, "bkt", "j", make([]byte, 7))
	if u.bytes["bkt"] != 107 || u.inexact["bkt"] {
		t.Fatalf("after two new keys: %d bytes, inexact %v", u.bytes["bkt"], u.inexact["bkt"])
	}
	put(t, s, "bkt", "k", make([]byte, 40))
	if u.bytes["bkt"] != 47 || u.bytes["bkt"] != walkedBytes(t, s, "bkt") {
		t.Fatalf("after an overwrite: %d bytes, walked %d", u.bytes["bkt"], walkedBytes(t, s, "bkt"))
	}
}

// TestPutSidecarNamed: with sidecar metadata a put stages a named file
// (its record is published with the file's name).
func TestPutSidecarNamed(t *testing.T) {
	if s := newStore(t, true); s.unnamed {
		t.Fatal("sidecar store stages unnamed files")
	}
}

// writeCounter counts Write calls.
type writeCounter struct{ n int }

func (w *writeCounter) Write(p []byte) (int, error) { w.n++; return len(p), nil }

// trickle returns its data one byte per Read.
type trickle struct{ data []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// TestCopyBodyOneWrite: a small body that arrives in many reads is written
// with one write, and its bytes and ETag are unchanged.
func TestCopyBodyOneWrite(t *testing.T) {
	s := newStore(t, false)
	body := bytes.Repeat([]byte("0123456789"), 410)
	var w writeCounter
	n, etag, err := s.copyBody(ctx, &w, &trickle{data: body})
	if err != nil || n != int64(len(body)) || etag != md5hex(body) {
		t.Fatal(n, etag, err)
	}
	if w.n != 1 {
		t.Fatalf("%d writes for a %d-byte body", w.n, len(body))
	}
}
