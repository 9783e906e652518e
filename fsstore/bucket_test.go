package fsstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		if err := s.CreateBucket(ctx, "Bad_Name", "o"); !errors.Is(err, ErrInvalidBucketName) {
			t.Fatal(err)
		}
		before := time.Now().Truncate(time.Second)
		for _, b := range []string{"zeta", "alpha", "mid.dle"} {
			if err := s.CreateBucket(ctx, b, "owner-"+b); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateBucket(ctx, "alpha", "owner-alpha"); !errors.Is(err, ErrBucketAlreadyOwned) {
			t.Fatal(err)
		}
		if err := s.CreateBucket(ctx, "alpha", "mallory"); !errors.Is(err, ErrBucketExists) {
			t.Fatal(err)
		}
		info, err := s.Bucket(ctx, "alpha")
		if err != nil || info.Owner != "owner-alpha" || info.Name != "alpha" || info.Created.Before(before) {
			t.Fatal(info, err)
		}
		if _, err := s.Bucket(ctx, "nope"); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		list, err := s.ListBuckets(ctx)
		if err != nil || len(list) != 3 || list[0].Name != "alpha" || list[1].Name != "mid.dle" || list[2].Name != "zeta" {
			t.Fatal(list, err)
		}
		if list[2].Owner != "owner-zeta" {
			t.Fatal(list)
		}

		put(t, s, "alpha", "x/y", []byte("1"))
		if err := s.DeleteBucket(ctx, "alpha"); !errors.Is(err, ErrBucketNotEmpty) {
			t.Fatal(err)
		}
		put(t, s, "zeta", "m/", nil) // a lone folder marker is a key too
		if err := s.DeleteBucket(ctx, "zeta"); !errors.Is(err, ErrBucketNotEmpty) {
			t.Fatal(err)
		}
		if err := s.DeleteObject(ctx, "alpha", "x/y"); err != nil {
			t.Fatal(err)
		}
		// Empty directories left behind (e.g. by a crash) are not keys.
		os.MkdirAll(filepath.Join(rootPath(s), "alpha", "left", "over"), 0o755)
		if err := s.DeleteBucket(ctx, "alpha"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBucket(ctx, "alpha"); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		if exists(t, filepath.Join(rootPath(s), "alpha")) {
			t.Fatal("directory left")
		}
		if _, err := s.PutObject(ctx, "alpha", "k", nil, PutOptions{}); !errors.Is(err, ErrNoSuchBucket) {
			t.Fatal(err)
		}
		// The name is free again, for anyone.
		if err := s.CreateBucket(ctx, "alpha", "bob"); err != nil {
			t.Fatal(err)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestCreateBucketRace(t *testing.T) {
	s := newStore(t, false)
	for round := range 20 {
		name := fmt.Sprintf("race-%d", round)
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = s.CreateBucket(ctx, name, fmt.Sprint("owner", i)) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("two winners: %d and %d", winner, i)
				}
				winner = i
			case !errors.Is(err, ErrBucketExists):
				t.Fatalf("owner%d: %v", i, err)
			}
		}
		info, err := s.Bucket(ctx, name)
		if winner < 0 || err != nil || info.Owner != fmt.Sprint("owner", winner) {
			t.Fatalf("winner %d, record %+v %v", winner, info, err)
		}
	}
}
