package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exact usage counting. A bucket stores the bytes of every data inode that
// has a name in it (its plain tree or its version area): versions are hard
// links of one inode, temp names under .caddys3/tmp are not the bucket's.
// So its usage changes at exactly two moments, and the store reports both
// to Options.OnUsage:
//
//   - a staged file (one name: its temp name) is renamed or linked into the
//     bucket: +its size;
//   - the last name of an inode is removed: -its size.
//
// What a rename over an existing name destroys is not known from rename(2)
// (a concurrent writer may have replaced the file in between), so with a
// hook the store exchanges the two names (renameat2 RENAME_EXCHANGE) and
// then removes the old file from its private temp name, and an unversioned
// delete first renames the file to a private temp name. Both learn the
// replaced inode for sure, without the key lock unversioned writes do not
// take. Where the filesystem has no RENAME_EXCHANGE (NFS, many FUSE
// filesystems) a replacing rename reports inexact: the handler then walks
// the bucket (caddys3/quota.go). Without a hook nothing changes: one plain
// rename, one unlink.

// UsageHook receives the change of a bucket's stored bytes; inexact says
// the store could not tell what it replaced (the bucket needs a walk).
type UsageHook func(bucket string, bytes int64, inexact bool)

// removedPrefix names a file moved out of a bucket to be removed. The temp
// cleanup removes such names with unlink/rmdir only: a directory moved by
// a lost race (see dropLeaf) is never removed with its keys.
const removedPrefix = "rm-"

func (s *Store) countUsage(bucket string, bytes int64, inexact bool) {
	if s.onUsage != nil && (bytes != 0 || inexact) {
		s.onUsage(bucket, bytes, inexact)
	}
}

type usageSinkKey struct{}

// WithUsageSink makes the publishes made with ctx report their changes to
// sink instead of Options.OnUsage: a request that reserved room for what
// it stores keeps its own count, so its bytes are not counted before its
// reservation ends (caddys3/quota.go).
func WithUsageSink(ctx context.Context, sink UsageHook) context.Context {
	return context.WithValue(ctx, usageSinkKey{}, sink)
}

// countUsageCtx is countUsage, to ctx's sink when it has one.
func (s *Store) countUsageCtx(ctx context.Context, bucket string, bytes int64, inexact bool) {
	if sink, ok := ctx.Value(usageSinkKey{}).(UsageHook); ok && s.onUsage != nil {
		if bytes != 0 || inexact {
			sink(bucket, bytes, inexact)
		}
		return
	}
	s.countUsage(bucket, bytes, inexact)
}

// lstatAt stats name (relative to the root) without following a symlink.
func (s *Store) lstatAt(name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := s.root.at("fstatat", name, func(dfd int, base string) error {
		return unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	})
	return st, err
}

// renameat2 renames oldname to newname with flags (RENAME_EXCHANGE,
// RENAME_NOREPLACE).
func (s *Store) renameat2(oldname, newname string, flags uint) error {
	return s.root.at("renameat2", oldname, func(odfd int, obase string) error {
		return s.root.at("renameat2", newname, func(ndfd int, nbase string) error {
			return unix.Renameat2(odfd, obase, ndfd, nbase, flags)
		})
	})
}

func unsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// placeCounted is placeFile with a usage hook: the staged file tmp becomes
// target, and the hook hears what entered the bucket and what left it.
func (s *Store) placeCounted(ctx context.Context, bucket, tmp, target string, exclusive bool) error {
	tst, err := s.lstatAt(tmp)
	if err != nil {
		return err
	}
	// A staged file with more names (republish links a version) brings
	// no new bytes into the bucket.
	var adds int64
	if tst.Nlink == 1 {
		adds = tst.Size
	}
	if exclusive {
		// One atomic move, not link + unlink: see unescapeLocked.
		err := s.renameat2(tmp, target, unix.RENAME_NOREPLACE)
		if unsupported(err) {
			if err = s.root.Link(tmp, target); err == nil {
				s.root.Remove(tmp)
				s.countUsageCtx(ctx, bucket, adds, true)
			}
			return err
		}
		if err == nil {
			s.countUsageCtx(ctx, bucket, adds, false)
		}
		return err
	}
	// Under the target's name lock: a directory is made at a name
	// (makeComp) or removed (rmdirIfNoKey) only under it, so what the
	// Lstat saw (a file, or nothing) is what the exchange swaps; a
	// directory swapped out by a lost race could not be put back safely.
	rel := strings.TrimPrefix(target, bucket+"/")
	drel := parentOf(rel)
	l, err := s.lockName(ctx, bucket, drel, strings.TrimPrefix(rel[len(drel):], "/"))
	if err != nil {
		return err
	}
	defer l.unlock()
	for range 3 {
		ost, err := s.lstatAt(target)
		switch {
		case err == nil && ost.Mode&unix.S_IFMT == unix.S_IFDIR:
			return &os.PathError{Op: "rename", Path: target, Err: unix.EISDIR}
		case err == nil:
			err = s.renameat2(tmp, target, unix.RENAME_EXCHANGE)
			if unsupported(err) {
				return s.placeUncounted(ctx, bucket, tmp, target, adds)
			}
			if err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
			if err == nil {
				return s.dropExchanged(ctx, bucket, tmp, target, adds)
			}
			// Removed meanwhile: create it.
		case !errors.Is(err, unix.ENOENT):
			return err
		}
		err = s.renameat2(tmp, target, unix.RENAME_NOREPLACE)
		if unsupported(err) {
			return s.placeUncounted(ctx, bucket, tmp, target, adds)
		}
		if err == nil {
			s.countUsageCtx(ctx, bucket, adds, false)
			return nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return err
		}
		// Created meanwhile: exchange with it.
	}
	return s.placeUncounted(ctx, bucket, tmp, target, adds)
}

// placeUncounted renames tmp over target where what it replaces cannot be
// known for sure.
func (s *Store) placeUncounted(ctx context.Context, bucket, tmp, target string, adds int64) error {
	if err := s.root.Rename(tmp, target); err != nil {
		return err
	}
	s.countUsageCtx(ctx, bucket, adds, true)
	return nil
}

// dropExchanged finishes an exchange: tmp now names what target held.
// A directory that became target's between the Lstat and the exchange
// (a lost race) goes back; a file is removed, and counted when that was
// its last name.
func (s *Store) dropExchanged(ctx context.Context, bucket, tmp, target string, adds int64) error {
	ost, err := s.lstatAt(tmp)
	if err == nil && ost.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := s.renameat2(tmp, target, unix.RENAME_EXCHANGE); err != nil {
			return err
		}
		return &os.PathError{Op: "rename", Path: target, Err: unix.EISDIR}
	}
	s.countUsageCtx(ctx, bucket, adds, false)
	if err != nil {
		s.countUsageCtx(ctx, bucket, 0, true)
		return nil
	}
	if err := s.root.Remove(tmp); err != nil {
		s.countUsageCtx(ctx, bucket, 0, true)
		return nil // the temp cleanup removes it
	}
	if ost.Mode&unix.S_IFMT == unix.S_IFREG && ost.Nlink == 1 {
		s.countUsageCtx(ctx, bucket, -ost.Size, false)
	}
	return nil
}

// removeLeaf is unlinkLeaf (the plain file of name in d, at drel in
// bucket, and its %%file escape), counting what leaves bucket when the
// store has a usage hook; then under the name lock, as placeCounted, so
// that what it moves away is never a directory made meanwhile.
func (s *Store) removeLeaf(bucket, drel string, d *os.File, name string) (id fileID, removed bool, err error) {
	if s.onUsage == nil {
		return unlinkLeaf(d, name)
	}
	l, err := s.lockName(context.Background(), bucket, drel, name)
	if err != nil {
		return id, false, err
	}
	defer l.unlock()
	pd, err := s.root.Open(tmpDir)
	if err != nil {
		return id, false, err
	}
	defer pd.Close()
	err = withFd(d, func(dfd int) error {
		return withFd(pd, func(pfd int) error {
			var gone bool
			id, removed, err = s.dropCounted(bucket, dfd, pfd, name)
			if err != nil || len(escFile)+len(name) > maxNameLen {
				return err
			}
			_, gone, err = s.dropCounted(bucket, dfd, pfd, escFile+name)
			removed = removed || gone
			return err
		})
	})
	return id, removed, err
}

// dropCounted removes the regular file name of the directory dfd: moved
// to a private temp name in pfd (tmpDir) first, so it knows which inode it
// removes even when a writer replaces the name at the same moment, then
// unlinked and counted when that was the inode's last name.
func (s *Store) dropCounted(bucket string, dfd, pfd int, name string) (fileID, bool, error) {
	var st unix.Stat_t
	err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileID{}, false, nil // not an object file: nothing to remove
	}
	if err != nil {
		return fileID{}, false, err
	}
	priv := s.tempName(removedPrefix)
	pbase := priv[len(tmpDir)+1:]
	err = unix.Renameat2(dfd, name, pfd, pbase, unix.RENAME_NOREPLACE)
	switch {
	case unsupported(err):
		// No RENAME_NOREPLACE here: remove in place; the count may be off.
		if err := unix.Unlinkat(dfd, name, 0); err != nil {
			return fileID{}, false, ignoreGone(err)
		}
		s.countUsage(bucket, -st.Size, true)
		return fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}, true, nil
	case err != nil:
		return fileID{}, false, ignoreGone(err)
	}
	if err := unix.Fstatat(pfd, pbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		s.countUsage(bucket, 0, true)
		return fileID{}, true, nil
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		// The name became a directory of keys between the two calls: put
		// it back. (If that fails it stays under its rm- name, which the
		// temp cleanup never removes recursively.)
		return fileID{}, false, unix.Renameat2(pfd, pbase, dfd, name, unix.RENAME_NOREPLACE)
	}
	id := fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}
	if err := unix.Unlinkat(pfd, pbase, 0); err != nil {
		s.countUsage(bucket, 0, true) // the temp cleanup removes it
		return id, true, nil
	}
	if st.Nlink == 1 {
		s.countUsage(bucket, -st.Size, false)
	}
	return id, true, nil
}

// dropAt removes the object file at name (relative to the root), counted
// as dropCounted does, or plainly without a usage hook.
func (s *Store) dropAt(bucket, name string) {
	if s.onUsage == nil {
		s.root.Remove(name)
		return
	}
	pd, err := s.root.Open(tmpDir)
	if err != nil {
		s.countUsage(bucket, 0, true)
		return
	}
	defer pd.Close()
	err = s.root.at("unlinkat", name, func(dfd int, base string) error {
		return withFd(pd, func(pfd int) error {
			_, _, err := s.dropCounted(bucket, dfd, pfd, base)
			return err
		})
	})
	if err != nil {
		s.countUsage(bucket, 0, true)
	}
}

func ignoreGone(err error) error {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EISDIR) {
		return nil
	}
	return err
}

// usageStale says that bucket holds bytes no publish reported (a file
// copied in by hand, found by a repair): to the hook as an inexact change
// (the server walks the bucket), or, without one (caddy s3 fsck), by
// removing the bucket's usage document, which the next server to need it
// rebuilds by a walk.
func (s *Store) usageStale(ctx context.Context, bucket string) {
	if s.onUsage != nil {
		s.countUsage(bucket, 0, true)
		return
	}
	s.ForgetUsage(ctx, bucket)
}

// ForgetUsage removes the bucket's usage document under its lock: a
// process that changed the bucket without counting (a tool, not a
// server) makes the next server to need it rebuild it by a walk.
func (s *Store) ForgetUsage(ctx context.Context, bucket string) error {
	lk, err := s.lockUsage(ctx, bucket)
	if err != nil {
		return err
	}
	defer lk.unlock()
	if err := s.root.Remove(usageDir + "/" + bucket + ".json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr(err)
	}
	return nil
}

// NodeID names this Store among the nodes sharing its root (node.go).
func (s *Store) NodeID() string { return s.node }

// NodeAlive reports whether node id has a fresh heartbeat.
func (s *Store) NodeAlive(id string) bool { return s.nodeAlive(id, map[string]bool{}) }

// StoredBytes walks the bucket (its tree and its version area) and sums
// the sizes of its distinct data files: the same bytes the usage hook
// counts, including the header and tags of encrypted objects. files is
// the number of distinct files (versions and delete markers); complete is
// false when the walk stopped after limit files.
func (s *Store) StoredBytes(ctx context.Context, bucket string, limit int64) (bytes, files int64, complete bool, err error) {
	if !ValidBucketName(bucket) {
		return 0, 0, false, ErrNoSuchBucket
	}
	if _, err := s.root.Lstat(bucket); err != nil {
		return 0, 0, false, ErrNoSuchBucket
	}
	shared := map[uint64]bool{} // inodes with several names, once each
	stop := errors.New("limit")
	for _, top := range []string{bucket, versionsDir + "/" + bucket} {
		err = filepath.WalkDir(filepath.Join(s.root.Name(), top), func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // gone meanwhile: a walk is a snapshot of no instant anyway
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
				if shared[st.Ino] {
					return nil
				}
				shared[st.Ino] = true
			}
			bytes += fi.Size()
			files++
			if files >= limit {
				return stop
			}
			return nil
		})
		if err == stop {
			return bytes, files, false, nil
		}
		if err != nil {
			return bytes, files, false, err
		}
	}
	return bytes, files, true, nil
}
