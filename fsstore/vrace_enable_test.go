package fsstore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Writes and deletes racing the first enabling of versioning all succeed,
// and afterwards every version is listed once, the latest being the
// plain file.
func TestWritesRacingFirstEnable(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		for round := 0; round < 20; round++ {
			bucket := fmt.Sprintf("race%d", round)
			mustBucket(t, s, bucket)
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 5; i++ {
						if _, err := s.PutObject(ctx, bucket, "k", nil, PutOptions{}); err != nil {
							errs <- fmt.Errorf("put: %w", err)
						}
						if w == 0 && i == 2 {
							if _, err := s.DeleteObjectVersion(ctx, bucket, "k", "", ""); err != nil {
								errs <- fmt.Errorf("delete: %w", err)
							}
						}
					}
				}()
			}
			if err := s.SetBucketVersioning(ctx, bucket, VersioningEnabled); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("round %d: %v", round, err)
			}
			// Then: each version listed once, the latest first and the
			// one GET serves.
			r, err := s.ListObjectVersions(ctx, bucket, ListVersionsOptions{MaxKeys: 1000})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for i, e := range r.Entries {
				if seen[e.VersionID] || e.IsLatest != (i == 0) {
					t.Fatalf("round %d: versions %+v", round, r.Entries)
				}
				seen[e.VersionID] = true
			}
			m, err := s.HeadObject(ctx, bucket, "k")
			if latest := r.Entries[0]; latest.DeleteMarker != errors.Is(err, ErrNoSuchKey) || err == nil && listedOrNull(m.VersionID) != latest.VersionID {
				t.Fatalf("round %d: HEAD %+v %v, latest listed %+v", round, m, err, latest)
			}
		}
	})
}

func listedOrNull(id string) string {
	if id == "" {
		return NullVersion
	}
	return id
}
