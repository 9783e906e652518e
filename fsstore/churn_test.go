package fsstore

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Listing while other goroutines put and delete nested keys never fails: a
// directory (or a key's metadata) that vanishes between being listed and
// being read is simply absent. Deletes prune emptied directories, so the
// listers keep meeting directories removed under their feet.
func TestListChurn(t *testing.T) {
	listModes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "bkt")
		keys := func(r *rand.Rand) string {
			a, b, c := r.IntN(3), r.IntN(4), r.IntN(4)
			switch r.IntN(4) {
			case 0:
				return fmt.Sprintf("p%d/q%d/r%d/k", a, b, c)
			case 1:
				return fmt.Sprintf("p%d/q%d/k%d", a, b, c)
			case 2:
				return fmt.Sprintf("p%d/q%d/", a, b)
			}
			return fmt.Sprintf("p%d/k%d", a, b)
		}
		deadline := time.Now().Add(time.Second)
		var wg sync.WaitGroup
		var pages, writes atomic.Int64
		errs := make(chan error, 16)
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 1))
				for time.Now().Before(deadline) {
					k := keys(r)
					var err error
					if r.IntN(2) == 0 {
						_, err = s.PutObject(ctx, "bkt", k, strings.NewReader(""), PutOptions{})
					} else {
						err = s.DeleteObject(ctx, "bkt", k)
					}
					if err != nil && !strings.Contains(err.Error(), "conflicts") {
						errs <- fmt.Errorf("write %q: %w", k, err)
						return
					}
					writes.Add(1)
				}
			}()
		}
		for l := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(l), 2))
				for time.Now().Before(deadline) {
					o := ListOptions{MaxKeys: 1 + r.IntN(5)}
					switch r.IntN(4) {
					case 0:
						o.Prefix = fmt.Sprintf("p%d/", r.IntN(3))
					case 1:
						o.Prefix = fmt.Sprintf("p%d/q%d/", r.IntN(3), r.IntN(4))
					}
					if r.IntN(2) == 0 {
						o.Delimiter = "/"
					}
					for {
						res, err := s.ListObjects(ctx, "bkt", o)
						pages.Add(1)
						if err != nil {
							errs <- fmt.Errorf("list %+v: %w", o, err)
							return
						}
						if !res.IsTruncated {
							break
						}
						o.After = res.Next
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		t.Logf("%d pages, %d writes", pages.Load(), writes.Load())
	})
}
