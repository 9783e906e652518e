package fsstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A Complete whose id was fixed in advance (its 200 committed before it
// published) publishes under that id: as the latest when no other write
// came between, as a noncurrent version when one did (that write is
// newer); Suspended buckets answer "null", unversioned ones and Completes
// that do not hold the claim nothing.
func TestVersionSlot(t *testing.T) {
	complete := func(t *testing.T, s *Store, slot *VersionSlot, body string) ObjectMeta {
		t.Helper()
		u := create(t, s, "vbk", "k")
		p := uploadPart(t, s, u, 1, []byte(body))
		m, err := s.CompleteMultipartUpload(ctx, "vbk", "k", u.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{Version: slot})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fixed := func(t *testing.T, s *Store) (*VersionSlot, string) {
		t.Helper()
		slot := new(VersionSlot)
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if id := s.FixVersion(short, "vbk", slot); id != "" {
			t.Fatalf("a slot whose Complete holds no claim fixed %q", id)
		}
		slot.claim()
		id := s.FixVersion(ctx, "vbk", slot)
		if !ValidVersionID(id) || id == NullVersion {
			t.Fatalf("fixed id %q", id)
		}
		if again := s.FixVersion(ctx, "vbk", slot); again != id {
			t.Fatalf("fixed again: %q, then %q", id, again)
		}
		return slot, id
	}
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)

		slot, id := fixed(t, s)
		if m := complete(t, s, slot, "first"); m.VersionID != id {
			t.Fatalf("Complete published %q, fixed %q", m.VersionID, id)
		}
		if b, _ := vget(t, s, "k", ""); b != "first" {
			t.Fatalf("latest %q, want the Complete's", b)
		}

		slot, id = fixed(t, s)
		newer := put(t, s, "vbk", "k", []byte("newer put"))
		if m := complete(t, s, slot, "overtaken"); m.VersionID != id {
			t.Fatalf("Complete published %q, fixed %q", m.VersionID, id)
		}
		if b, _ := vget(t, s, "k", ""); b != "newer put" {
			t.Fatalf("latest %q: the put that published after the id was fixed must stay the latest", b)
		}
		if b, err := vget(t, s, "k", id); err != nil || b != "overtaken" {
			t.Fatalf("the overtaken Complete's version: %q, %v", b, err)
		}
		got := listVersionsAll(t, s, ListVersionsOptions{MaxKeys: 1000})
		want := []string{"k " + newer.VersionID + " latest=true", "k " + id + " latest=false"}
		if len(got) != 3 || fmt.Sprint(got[:2]) != fmt.Sprint(want) {
			t.Fatalf("versions %v, want %v then the first Complete's", got, want)
		}

		if err := s.SetBucketVersioning(ctx, "vbk", VersioningSuspended); err != nil {
			t.Fatal(err)
		}
		slot = new(VersionSlot)
		slot.claim()
		if id := s.FixVersion(ctx, "vbk", slot); id != NullVersion {
			t.Fatalf("Suspended bucket fixed %q, want null", id)
		}
		if m := complete(t, s, slot, "null one"); m.VersionID != "" {
			t.Fatalf("Suspended Complete published %q, want the null version", m.VersionID)
		}

		mustBucket(t, s, "plain")
		slot = new(VersionSlot)
		slot.claim()
		if id := s.FixVersion(ctx, "plain", slot); id != "" {
			t.Fatalf("unversioned bucket fixed %q", id)
		}
	})
}
