package fsstore

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestSetBucketDoc(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.CreateBucketWithACL(ctx, "docs", "alice", []byte(`{"owner_id":"alice"}`)); err != nil {
			t.Fatal(err)
		}
		// Concurrent updates of different documents must not lose each other.
		var wg sync.WaitGroup
		for i, doc := range []BucketDoc{BucketPolicy, BucketCORS, BucketACL} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := []byte([]string{`{"Statement":[]}`, `{"rules":[]}`, `{"owner_id":"alice","grants":[]}`}[i])
				if err := s.SetBucketDoc(ctx, "docs", doc, data); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		b, err := s.Bucket(ctx, "docs")
		if err != nil {
			t.Fatal(err)
		}
		if string(b.Policy) != `{"Statement":[]}` || string(b.CORS) != `{"rules":[]}` || string(b.ACL) != `{"owner_id":"alice","grants":[]}` || b.Owner != "alice" {
			t.Fatalf("bucket docs = %+v", b)
		}
		if err := s.SetBucketDoc(ctx, "docs", BucketPolicy, nil); err != nil {
			t.Fatal(err)
		}
		if b, _ = s.Bucket(ctx, "docs"); b.Policy != nil && len(b.Policy) != 0 {
			t.Fatalf("policy after delete = %q", b.Policy)
		}
		if err := s.SetBucketDoc(ctx, "nosuch", BucketCORS, []byte(`{}`)); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatalf("missing bucket: %v", err)
		}
	})
}

func TestSetObjectACL(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustBucket(t, s, "acl")
		m := put(t, s, "acl", "a/b.txt", []byte("hello"))
		for _, key := range []string{"a/b.txt", "folder/"} {
			if key == "folder/" {
				put(t, s, "acl", key, nil)
			}
			if err := s.SetObjectACL(ctx, "acl", key, []byte(`{"grants":[1]}`)); err != nil {
				t.Fatal(key, err)
			}
			got, err := s.HeadObject(ctx, "acl", key)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.ACL) != `{"grants":[1]}` {
				t.Fatalf("%s: ACL = %q", key, got.ACL)
			}
		}
		body, got := readObject(t, s, "acl", "a/b.txt")
		if string(body) != "hello" || got.ETag != m.ETag || !got.LastModified.Equal(m.LastModified) {
			t.Fatalf("object changed: %q %+v", body, got)
		}
		if err := s.SetObjectACL(ctx, "acl", "missing", []byte(`{}`)); !errors.Is(err, ErrNoSuchKey) {
			t.Fatalf("missing key: %v", err)
		}
		if err := s.SetObjectACL(ctx, "nobucket", "k", []byte(`{}`)); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatalf("missing bucket: %v", err)
		}
	})
}
