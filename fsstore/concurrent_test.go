package fsstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// body returns a distinctive body for writer i: every byte is i.
func body(i, size int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }

func checkWhole(t *testing.T, data []byte, m ObjectMeta) {
	t.Helper()
	if int64(len(data)) != m.Size || md5hex(data) != m.ETag {
		t.Fatalf("torn object: %d bytes, meta %d %s", len(data), m.Size, m.ETag)
	}
	if len(data) > 0 && !bytes.Equal(data, body(int(data[0]), len(data))) {
		t.Fatal("object mixes writers")
	}
}

func TestConcurrentWriters(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				if _, err := s.PutObject(ctx, "bkt", "one/key", bytes.NewReader(body(i, 100_000+i*997)), PutOptions{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		data, m := readObject(t, s, "bkt", "one/key")
		checkWhole(t, data, m)
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestReadersDuringOverwrites(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "k", body(0, 1000))
		var stop atomic.Bool
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; !stop.Load(); i++ {
					n := 1 + (w*50+i)%200
					if _, err := s.PutObject(ctx, "bkt", "k", bytes.NewReader(body(n, n*331)), PutOptions{}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		var reads atomic.Int64
		var rg sync.WaitGroup
		for range 4 {
			rg.Go(func() {
				for range 300 {
					o, err := s.OpenObject(ctx, "bkt", "k")
					if err != nil {
						t.Error(err)
						return
					}
					data, err := io.ReadAll(o)
					o.Close()
					if err != nil {
						t.Error(err)
						return
					}
					checkWhole(t, data, o.Meta)
					// Listings see whole objects too.
					if res, err := s.ListObjects(ctx, "bkt", ListOptions{MaxKeys: 1}); err != nil || len(res.Objects) != 1 || res.Objects[0].Meta.ETag == "" {
						t.Errorf("list %+v %v", res, err)
						return
					}
					reads.Add(1)
				}
			})
		}
		rg.Wait()
		stop.Store(true)
		wg.Wait()
		if reads.Load() != 1200 {
			t.Fatal("readers failed")
		}
	})
}

func TestIfNoneMatchRace(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		for _, key := range []string{"k", "d/k", "m/"} {
			const n = 32
			var wins, fails atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var b []byte
					if key != "m/" {
						b = body(i, 5000)
					}
					_, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(b), PutOptions{IfNoneMatch: "*"})
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, ErrPreconditionFailed):
						fails.Add(1)
					default:
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 || fails.Load() != n-1 {
				t.Fatalf("%s: %d wins, %d fails", key, wins.Load(), fails.Load())
			}
			data, m := readObject(t, s, "bkt", key)
			checkWhole(t, data, m)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

// TestPutVsDeletePruning races puts into a directory with deletes that
// prune it when it empties: every put must land.
func TestPutVsDeletePruning(t *testing.T) {
	modes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 150 {
					key := fmt.Sprintf("p/q/r/w%d-%d", w, i%3)
					if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader([]byte(key)), PutOptions{}); err != nil {
						t.Errorf("put %s: %v", key, err)
						return
					}
					if i%2 == 0 {
						if _, err := s.PutObject(ctx, "bkt", "p/q/m/", nil, PutOptions{}); err != nil {
							t.Errorf("put marker: %v", err)
							return
						}
						if _, err := s.HeadObject(ctx, "bkt", "p/q/m/"); err != nil && !errors.Is(err, ErrNoSuchKey) {
							t.Error(err)
						}
						s.DeleteObject(ctx, "bkt", "p/q/m/")
					}
					if err := s.DeleteObject(ctx, "bkt", key); err != nil {
						t.Errorf("delete %s: %v", key, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if keys := listAll(t, s, "bkt", ListOptions{}); len(keys) != 0 {
			t.Fatalf("left %v", keys)
		}
	})
}
