package fsstore

import (
	"bytes"
	"maps"
	"testing"
)

// Tags live in each version's record: a change on one version leaves the
// others alone, a new version starts with the tags its write asked for,
// and a marker key keeps its tags too. Fails when SetObjectTags edits the
// wrong record (the current one for a named version) or drops "tg".
func TestObjectTagsFollowTheVersion(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		vstoreBucket(t, s, VersioningEnabled)
		putTagged := func(key, body string, tags map[string]string) ObjectMeta {
			m, err := s.PutObject(ctx, "vbk", key, bytes.NewReader([]byte(body)), PutOptions{Meta: ObjectMeta{Tags: tags}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		v1 := putTagged("k", "one", map[string]string{"v": "1"})
		v2 := putTagged("k", "two", map[string]string{"v": "2"})
		tagsOf := func(version string) map[string]string {
			t.Helper()
			m, err := s.HeadObjectVersion(ctx, "vbk", "k", version)
			if err != nil {
				t.Fatal(err)
			}
			return m.Tags
		}
		want := func(version string, tags map[string]string) {
			t.Helper()
			if got := tagsOf(version); !maps.Equal(got, tags) || (tags == nil) != (got == nil) {
				t.Errorf("version %q: tags %v, want %v", version, got, tags)
			}
		}
		want(v1.VersionID, map[string]string{"v": "1"})
		want(v2.VersionID, map[string]string{"v": "2"})
		if err := s.SetObjectTags(ctx, "vbk", "k", v1.VersionID, map[string]string{"old": "yes"}); err != nil {
			t.Fatal(err)
		}
		want(v1.VersionID, map[string]string{"old": "yes"})
		want(v2.VersionID, map[string]string{"v": "2"})
		want("", map[string]string{"v": "2"})
		if err := s.SetObjectTags(ctx, "vbk", "k", "", map[string]string{"cur": "yes"}); err != nil {
			t.Fatal(err)
		}
		want(v2.VersionID, map[string]string{"cur": "yes"})
		want(v1.VersionID, map[string]string{"old": "yes"})
		// The bytes and the rest of the record are untouched.
		if m := tagsOfMeta(t, s, v2.VersionID); m.ETag != v2.ETag || m.Size != v2.Size {
			t.Errorf("meta changed: %+v, was %+v", m, v2)
		}
		if err := s.SetObjectTags(ctx, "vbk", "k", v1.VersionID, map[string]string{}); err != nil {
			t.Fatal(err)
		}
		want(v1.VersionID, nil)
		// A folder marker.
		putTagged("dir/", "", map[string]string{"m": "1"})
		if err := s.SetObjectTags(ctx, "vbk", "dir/", "", map[string]string{"m": "2"}); err != nil {
			t.Fatal(err)
		}
		if m, err := s.HeadObject(ctx, "vbk", "dir/"); err != nil || m.Tags["m"] != "2" {
			t.Errorf("marker tags %v, %v", m.Tags, err)
		}
		if err := s.SetObjectTags(ctx, "vbk", "missing", "", nil); err == nil {
			t.Error("tags of a missing key: no error")
		}
	})
}

func tagsOfMeta(t *testing.T, s *Store, version string) ObjectMeta {
	t.Helper()
	m, err := s.HeadObjectVersion(ctx, "vbk", "k", version)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Bucket tags are a document of the bucket record.
func TestBucketTagsDoc(t *testing.T) {
	s := newStore(t, false)
	mustBucket(t, s, "tagbkt")
	if err := s.SetBucketDoc(ctx, "tagbkt", BucketTagging, []byte(`{"a":"b"}`)); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Bucket(ctx, "tagbkt"); err != nil || string(info.Tags) != `{"a":"b"}` {
		t.Fatalf("tags %q, %v", info.Tags, err)
	}
	if err := s.SetBucketDoc(ctx, "tagbkt", BucketTagging, nil); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Bucket(ctx, "tagbkt"); info.Tags != nil {
		t.Errorf("tags after removal %q", info.Tags)
	}
}
