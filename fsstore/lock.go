package fsstore

// Per-key publish locks.
//
// If-None-Match "*" needs no lock: link(2) fails when the name exists, in
// any process. If-Match needs "read the current ETag, compare, rename" to
// be one step, and no single system call does that, so conditional
// publishes of one key serialize on an exclusive lock on a per-key lock
// file:
//
//	<root>/.caddys3/locks/<h[:2]>/<h>    h = hex sha256(bucket "\x00" key)
//
// The lock is an open file description (OFD) fcntl lock (F_OFD_SETLK): it
// belongs to the open file, not to the process, so two Stores in one
// process exclude each other as two processes do, closing an unrelated fd
// of the same file does not drop it, and on NFSv4 it is a lease-protected
// byte-range lock the server arbitrates between clients (on kernels
// without OFD locks, flock(2), which Linux's NFS client also maps to a
// server-side lock). A crashed holder's lock goes with its process (on
// NFSv4, when its lease expires). Lock files are empty, never removed
// (removing one while another process has it open would let two writers
// lock different inodes), and cost one inode per key ever written with
// If-Match.
//
// The lock is held only around the check and the rename: staging, copying
// and fsyncing the data happen before it is taken. Waiting is bounded by
// the request's context (polling with a capped backoff, since a blocking
// F_OFD_SETLKW cannot be interrupted by a context).
//
// The bound: conditional writers (If-Match on PutObject, folder markers
// and CompleteMultipartUpload) are linearized among themselves, so of N
// racing If-Match writers expecting the same ETag exactly one wins.
// Unconditional puts, If-None-Match "*" creates and deletes stay lock-free;
// one of those landing between a conditional writer's ETag read and its
// rename (a window of a metadata read plus a rename, with no data I/O) is
// overwritten by the conditional writer as if it had come just before the
// check. Nothing is ever torn: every publish is still a single rename or
// link.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const locksDir = internalDir + "/locks"

// lockPath is the lock file of bucket/key, relative to the root.
func lockPath(bucket, key string) (dir, file string) {
	h := sha256.Sum256([]byte(bucket + "\x00" + key))
	x := hex.EncodeToString(h[:])
	dir = locksDir + "/" + x[:2]
	return dir, dir + "/" + x
}

// keyLock is a held per-key lock.
type keyLock struct{ f *os.File }

// unlock releases the lock (closing the file description drops it).
func (l *keyLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// Backoff bounds while waiting for a per-key lock.
const (
	lockWaitMin = 100 * time.Microsecond
	lockWaitMax = 20 * time.Millisecond
)

// lockKey takes the exclusive publish lock of bucket/key, waiting until it
// is free or ctx is done (then it returns ctx's error).
func (s *Store) lockKey(ctx context.Context, bucket, key string) (*keyLock, error) {
	dir, file := lockPath(bucket, key)
	return s.lockRange(ctx, dir, file, 0, 0)
}

// lockRange takes an exclusive lock on the byte range [start, start+n) of
// the lock file (n == 0: to the end), creating the file and its directory
// if needed, waiting until it is free or ctx is done.
func (s *Store) lockRange(ctx context.Context, dir, file string, start, n int64) (*keyLock, error) {
	f, err := s.root.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.root.MkdirAll(dir, 0o755); err != nil {
			return nil, storageErr(err)
		}
		f, err = s.root.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	}
	if err != nil {
		return nil, storageErr(err)
	}
	wait := lockWaitMin
	for {
		ok, err := tryLock(f, start, n)
		if err != nil {
			f.Close()
			return nil, storageErr(err)
		}
		if ok {
			return &keyLock{f: f}, nil
		}
		// Jitter so that waiters in different processes spread out.
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, lockWaitMax)
	}
}

// tryLock tries to take an exclusive lock on f without blocking: an OFD
// fcntl lock on the byte range [start, start+n) (n == 0: to the end of
// the file), or flock(2) of the whole file where OFD locks are missing.
func tryLock(f *os.File, start, n int64) (locked bool, err error) {
	err = withFd(f, func(fd int) error {
		for {
			lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: start, Len: n}
			err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk)
			if errors.Is(err, unix.EINVAL) {
				err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
			}
			switch {
			case err == nil:
				locked = true
				return nil
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES), errors.Is(err, unix.EWOULDBLOCK):
				return nil
			default:
				return err
			}
		}
	})
	return locked, err
}
