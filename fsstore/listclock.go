package fsstore

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fsClock is a lower bound of the filesystem's clock, which the listing
// caches compare ctimes with (see listcache.go): a ctime strictly older
// than a reading taken before a read means any later change gets another
// ctime.
type fsClock struct {
	ns        atomic.Int64
	probeMu   sync.Mutex
	lastProbe time.Time // local time of the last probe, under probeMu
}

// now is the latest reading (ns; 0 before the first).
func (c *fsClock) now() int64 { return c.ns.Load() }

// refresh reads the filesystem clock again unless it was read in the last
// listProbeEvery, and reports whether it did.
func (c *fsClock) refresh(s *Store) bool {
	c.probeMu.Lock()
	if time.Since(c.lastProbe) < listProbeEvery {
		c.probeMu.Unlock()
		return false
	}
	c.lastProbe = time.Now()
	c.probeMu.Unlock()
	now, err := s.fsClock()
	if err != nil {
		return false // e.g. no space for the probe: just do not cache
	}
	for {
		old := c.ns.Load()
		if now <= old || c.ns.CompareAndSwap(old, now) {
			return true
		}
	}
}

// fsClock reads the filesystem's clock: the ctime of a new file in the
// staging directory.
func (s *Store) fsClock() (int64, error) {
	name, f, err := s.createTemp("clock-")
	if err != nil {
		return 0, err
	}
	defer s.root.Remove(name)
	defer f.Close()
	var ns int64
	err = withFd(f, func(fd int) error {
		var st unix.Stat_t
		err := unix.Fstat(fd, &st)
		ns = st.Ctim.Nano()
		return err
	})
	return ns, err
}
