package fsstore

// Colliding keys.
//
// A key is split at '/': every component but the last is a directory, the
// last a file. Two keys collide when one name must be a file for one and a
// directory for the other: "a" and "a/b"; "d/" with a body (the file
// "d/%%empty") and "d//x" (the directory "d/%%empty"). Both are stored,
// the later one under a collision escape in the same directory:
//
//	%%dir.<n>    the directory of component n, used while the plain n is a file
//	%%file.<n>   the object whose last component is n, while the plain n is a directory
//
// (n is the stored name of the component, so "%%dir.%%empty" is the
// directory of an empty component). Invariants, kept under the name lock
// of (bucket, directory, n) — a byte-range OFD lock at a hash of the three
// in .caddys3/locks/names, taken only on the slow paths below:
//
//   - a plain directory n and %%dir.n never both exist: %%dir.n is made
//     only while the plain n is a file, and a new plain directory n only
//     while %%dir.n does not exist (when it does, it is used instead);
//   - %%file.n exists only while the plain n is a directory: when a prune
//     removes the plain directory n, %%file.n moves back to the plain
//     name by link(2) + unlink (link fails if a newer plain n was written
//     meanwhile: then the newer one is the object and the escaped one is
//     removed, the newer write wins as in S3). Prunes remove an empty
//     directory under its name lock (rmdirIfNoKey), which is also what
//     keeps a folder marker being set from being pruned with it.
//
// So a key has one place, found by a lookup that walks the plain names and
// tries an escape only where a plain name failed: a hit costs what it cost
// before; a miss at the last component costs one more openat (%%file.n),
// and a miss at a directory one fstatat of the bucket's escape flag
// (.caddys3/escapes/<bucket>, made before the first %%dir escape of the
// bucket and never removed), followed, only in a bucket that has one, by a
// walk of the components.
//
// A crash between the rmdir of a plain directory and the link back of
// %%file.n leaves the escaped file alone: lookups still find it, and a
// later put of the plain name wins over it (DeleteObject removes both).

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	// namesLock is the lock file of the name locks (byte ranges).
	namesLock = locksDir + "/names"
	// escapesDir holds one empty flag file per bucket that has (or had) a
	// %%dir escape.
	escapesDir = internalDir + "/escapes"
)

// lockName takes the name lock of the component name in the directory
// (actual stored path) drel of bucket.
func (s *Store) lockName(ctx context.Context, bucket, drel, name string) (*keyLock, error) {
	h := sha256.Sum256([]byte(bucket + "\x00" + drel + "\x00" + name))
	off := int64(binary.BigEndian.Uint64(h[:8]) >> 2) // a non-negative offset
	return s.lockRange(ctx, locksDir, namesLock, off, 1)
}

// escapeFlag is the flag file saying that bucket may hold %%dir escapes.
func escapeFlag(bucket string) string { return escapesDir + "/" + bucket }

// mayHaveEscapes reports whether bucket may hold %%dir escapes.
func (s *Store) mayHaveEscapes(bucket string) bool {
	_, err := s.root.Lstat(escapeFlag(bucket))
	return !errors.Is(err, fs.ErrNotExist)
}

// setEscapeFlag makes the flag of bucket, before its first %%dir escape.
func (s *Store) setEscapeFlag(bucket string) error {
	f, err := s.root.OpenFile(escapeFlag(bucket), os.O_RDONLY|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.root.MkdirAll(escapesDir, 0o755); err == nil {
			f, err = s.root.OpenFile(escapeFlag(bucket), os.O_RDONLY|os.O_CREATE, 0o644)
		}
	}
	if err != nil {
		return storageErr(err)
	}
	return f.Close()
}

// splitRel splits a stored path into its names ("" has none).
func splitRel(rel string) []string {
	if rel == "" {
		return nil
	}
	return strings.Split(rel, "/")
}

// missErr says whether err from opening a directory component means "not
// (or not a directory) here".
func missErr(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)
}

// findDir opens (O_RDONLY) the directory holding the keys below the stored
// path rel of bucket ("" is the bucket directory), following collision
// escapes, and returns it with its actual stored path. A missing
// directory is an error wrapping fs.ErrNotExist or syscall.ENOTDIR.
func (s *Store) findDir(bucket, rel string) (*os.File, string, error) {
	d, err := s.root.OpenFile(join(bucket, rel), os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err == nil || rel == "" {
		return d, rel, err
	}
	if !missErr(err) || errors.Is(err, fs.ErrNotExist) && !s.mayHaveEscapes(bucket) {
		return nil, "", err
	}
	fd, actual, err := s.walkDir(bucket, rel, unix.O_RDONLY, nil)
	if err != nil {
		return nil, "", err
	}
	return os.NewFile(uintptr(fd), join(bucket, actual)), actual, nil
}

// walkDir opens the directory of the stored path rel of bucket component
// by component with flags (plus O_DIRECTORY, O_NOFOLLOW), trying the
// %%dir escape of a component whose plain name is missing or not a
// directory. create, if set, is called for a component found under
// neither name, with the open parent, its actual path and the name, and
// returns the opened (or made) directory and its actual name.
func (s *Store) walkDir(bucket, rel string, flags int, create func(dfd int, drel, name string) (int, string, error)) (int, string, error) {
	flags |= unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := s.root.openat(bucket, flags, 0)
	if err != nil {
		return -1, "", pathErr("openat", bucket, err)
	}
	actual := ""
	for _, name := range splitRel(rel) {
		nfd, err := openatRetry(fd, name, flags)
		if missErr(err) && len(escDir)+len(name) <= maxNameLen {
			if efd, eerr := openatRetry(fd, escDir+name, flags); eerr == nil {
				nfd, err, name = efd, nil, escDir+name
			}
		}
		if missErr(err) && create != nil {
			nfd, name, err = create(fd, actual, name)
		}
		unix.Close(fd)
		if err != nil {
			if errors.Is(err, unix.ELOOP) {
				err = unix.ENOTDIR
			}
			return -1, "", pathErr("openat", join(bucket, joinRel(actual, name)), err)
		}
		fd, actual = nfd, joinRel(actual, name)
	}
	return fd, actual, nil
}

func openatRetry(dfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dfd, name, flags, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// makeDir returns the actual stored path of the directory of the stored
// path rel of bucket, making the missing components: a component whose
// plain name is free becomes a plain directory, one whose plain name is a
// file gets (or reuses) its %%dir escape; both under the component's name
// lock. It returns errRetry when a concurrent prune removed a directory on
// the way, ErrNoSuchBucket without the bucket directory and
// ErrObjectParentIsFile when a symlink (or other non-file) is in the way.
func (s *Store) makeDir(ctx context.Context, bucket, rel string) (string, error) {
	fd, actual, err := s.walkDir(bucket, rel, unix.O_PATH, func(dfd int, drel, name string) (int, string, error) {
		return s.makeComp(ctx, bucket, dfd, drel, name)
	})
	if err == nil {
		unix.Close(fd)
		return actual, nil
	}
	switch {
	case errors.Is(err, errRetry), errors.Is(err, ErrObjectParentIsFile), errors.Is(err, ErrKeyTooLong):
		return "", errors.Unwrap(err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		if berr := s.checkBucket(bucket); berr != nil {
			return "", berr
		}
		return "", errRetry
	}
	return "", storageErr(err)
}

// makeComp opens the directory of component name in the open directory
// dfd (actual path drel), making it under the name lock.
func (s *Store) makeComp(ctx context.Context, bucket string, dfd int, drel, name string) (int, string, error) {
	l, err := s.lockName(ctx, bucket, drel, name)
	if err != nil {
		return -1, "", err
	}
	defer l.unlock()
	esc := escDir + name
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	for range publishAttempts {
		if fd, err := openatRetry(dfd, name, flags); err == nil {
			return fd, name, nil
		}
		if len(esc) <= maxNameLen {
			if fd, err := openatRetry(dfd, esc, flags); err == nil {
				return fd, esc, nil
			}
		}
		var st unix.Stat_t
		err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case errors.Is(err, unix.ENOENT):
			err = unix.Mkdirat(dfd, name, 0o755)
		case err != nil:
		case st.Mode&unix.S_IFMT == unix.S_IFREG:
			if len(esc) > maxNameLen {
				return -1, "", ErrKeyTooLong
			}
			if err = s.setEscapeFlag(bucket); err == nil {
				err = unix.Mkdirat(dfd, esc, 0o755)
			}
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			continue // made meanwhile: open it
		default:
			return -1, "", ErrObjectParentIsFile // a symlink (or a fifo...): never followed
		}
		if err == nil && s.fsync {
			made := name
			if st.Mode&unix.S_IFMT == unix.S_IFREG {
				made = esc
			}
			err = s.syncMadeDir(join(bucket, drel), dfd, made) // syncgroup.go
		}
		switch {
		case err == nil, errors.Is(err, unix.EEXIST):
		case errors.Is(err, unix.ENOENT):
			return -1, "", errRetry // dfd was pruned
		default:
			return -1, "", storageErr(err)
		}
	}
	return -1, "", errRetry
}

// placeFile renames (or, exclusive, links) the staged file tmp to the
// stored path target (relative to the root).
func (s *Store) placeFile(ctx context.Context, bucket, tmp, target string, exclusive bool) error {
	if s.onUsage != nil {
		return s.placeCounted(ctx, bucket, tmp, target, exclusive)
	}
	if !exclusive {
		return s.root.Rename(tmp, target)
	}
	if err := s.root.Link(tmp, target); err != nil {
		return err
	}
	s.root.Remove(tmp)
	return nil
}

// publishLeaf publishes tmp as the object named name in the directory
// drel (actual stored path) of bucket: at the plain name, or at its
// %%file escape while the plain name is a directory holding keys.
// errRetry: the directory vanished, or the plain name changed under us.
func (s *Store) publishLeaf(ctx context.Context, bucket, drel, name, tmp string, exclusive bool) error {
	rel := joinRel(drel, name)
	target := join(bucket, rel)
	var err error
	if exclusive {
		err = s.placeExclusive(ctx, bucket, drel, name, tmp, target)
	} else {
		err = s.placeFile(ctx, bucket, tmp, target, false)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return errRetry
	case errors.Is(err, fs.ErrExist), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY):
	default:
		return storageErr(err)
	}
	fi, lerr := s.root.Lstat(target)
	switch {
	case lerr == nil && fi.IsDir():
		// An empty leftover directory is not a key: replace it.
		if s.rmdirIfNoKey(bucket, rel) {
			return errRetry
		}
		return s.publishEscaped(ctx, bucket, drel, name, tmp, exclusive)
	case lerr == nil && exclusive:
		return ErrPreconditionFailed
	case lerr == nil, errors.Is(lerr, fs.ErrNotExist), errors.Is(lerr, syscall.ENOTDIR):
		return errRetry // replaced by a file or deleted meanwhile
	}
	return err
}

// placeExclusive links tmp to the plain name (If-None-Match "*") under
// the name lock. A prune removes the plain directory and moves %%file.n
// back to the plain name under that lock, so the link cannot slip in
// between and succeed over a key that exists; an escape left behind by a
// prune killed in between is moved back first.
func (s *Store) placeExclusive(ctx context.Context, bucket, drel, name, tmp, target string) error {
	l, err := s.lockName(ctx, bucket, drel, name)
	if err != nil {
		return err
	}
	defer l.unlock()
	if len(escFile)+len(name) <= maxNameLen {
		if _, err := s.root.Lstat(join(bucket, joinRel(drel, escFile+name))); err == nil {
			s.unescapeLocked(bucket, drel, name)
		}
	}
	return s.placeFile(ctx, bucket, tmp, target, true)
}

// publishEscaped publishes tmp at the %%file escape of name in drel, under
// the name lock, while the plain name is a directory.
func (s *Store) publishEscaped(ctx context.Context, bucket, drel, name, tmp string, exclusive bool) error {
	esc := escFile + name
	if len(esc) > maxNameLen {
		return ErrKeyTooLong
	}
	l, err := s.lockName(ctx, bucket, drel, name)
	if err != nil {
		return err
	}
	defer l.unlock()
	plain := join(bucket, joinRel(drel, name))
	fi, err := s.root.Lstat(plain)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), err == nil && !fi.IsDir():
		return errRetry // the plain name is free again, or a file, or drel went: start over
	case err != nil:
		return err
	}
	err = s.placeFile(ctx, bucket, tmp, join(bucket, joinRel(drel, esc)), exclusive)
	switch {
	case err == nil:
	case exclusive && errors.Is(err, fs.ErrExist):
		return ErrPreconditionFailed
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return errRetry
	default:
		return storageErr(err)
	}
	// Prunes remove a directory under this lock (rmdirIfNoKey), so the
	// plain directory is still there; should anything else have removed
	// it, the file moves back now rather than stay escaped.
	if fi, err := s.root.Lstat(plain); err != nil || !fi.IsDir() {
		s.unescapeLocked(bucket, drel, name)
	}
	return nil
}

// unescapeLocked moves the %%file escape of name in drel back to the plain
// name unless the plain name is a directory; the caller holds the name
// lock. When a newer plain file exists, the escaped one is dropped.
func (s *Store) unescapeLocked(bucket, drel, name string) {
	plain := join(bucket, joinRel(drel, name))
	esc := join(bucket, joinRel(drel, escFile+name))
	if fi, err := s.root.Lstat(plain); err == nil && fi.IsDir() {
		return
	}
	if s.onUsage != nil {
		// One atomic move: a link and an unlink would give the file a
		// second name for a moment, and a writer replacing the plain
		// name then could not tell its last name from another.
		err := s.renameat2(esc, plain, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EEXIST) {
			s.dropAt(bucket, esc) // its bytes leave the bucket
		}
		if !unsupported(err) {
			return
		}
		s.countUsage(bucket, 0, true)
	}
	err := s.root.Link(esc, plain)
	if err == nil || errors.Is(err, fs.ErrExist) {
		s.root.Remove(esc)
	}
}

// afterRmdirLocked runs, under the name lock, after the plain directory
// name in drel was removed: an escaped file of the same name moves back to
// the plain name.
func (s *Store) afterRmdirLocked(bucket, drel, name string) {
	if strings.HasPrefix(name, escDir) || len(escFile)+len(name) > maxNameLen {
		return
	}
	if _, err := s.root.Lstat(join(bucket, joinRel(drel, escFile+name))); err != nil {
		return
	}
	s.unescapeLocked(bucket, drel, name)
}

// openLeaf opens the object named name in the open directory d: the plain
// regular file, else its %%file escape. It returns the file, its identity
// and the stored name found; a missing object is fs.ErrNotExist.
func openLeaf(d *os.File, name string) (*os.File, fileID, error) {
	var f *os.File
	var id fileID
	err := withFd(d, func(dfd int) error {
		const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		fd, err := unix.Openat(dfd, name, flags, 0)
		if err == nil {
			var mode uint32
			if id, mode, err = statID(fd); err != nil || mode == unix.S_IFREG {
				if err != nil {
					unix.Close(fd)
					return err
				}
				f = os.NewFile(uintptr(fd), name)
				return nil
			}
			unix.Close(fd)
			if mode != unix.S_IFDIR {
				return unix.ENOENT
			}
		} else if !errors.Is(err, unix.ENOENT) {
			if missErr(err) {
				return unix.ENOENT // a symlink, or the directory went
			}
			return err
		}
		if len(escFile)+len(name) > maxNameLen {
			return unix.ENOENT
		}
		fd, err = unix.Openat(dfd, escFile+name, flags, 0)
		if err != nil {
			if missErr(err) {
				return unix.ENOENT
			}
			return err
		}
		var mode uint32
		if id, mode, err = statID(fd); err != nil || mode != unix.S_IFREG {
			unix.Close(fd)
			return cmpErr(err, unix.ENOENT)
		}
		f = os.NewFile(uintptr(fd), escFile+name)
		return nil
	})
	if err != nil {
		return nil, id, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	return f, id, nil
}

// unlinkLeaf removes the object named name from the open directory d: the
// plain regular file and its %%file escape (only one exists but after a
// crash in an undo, when the plain one is the newer). It returns the
// identity of the plain file removed, if any, and whether anything was.
func unlinkLeaf(d *os.File, name string) (id fileID, removed bool, err error) {
	err = withFd(d, func(dfd int) error {
		var st unix.Stat_t
		err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG:
			id = fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}
			// unlinkat without AT_REMOVEDIR never removes a directory.
			err := unix.Unlinkat(dfd, name, 0)
			switch {
			case err == nil:
				removed = true
			case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EISDIR):
			default:
				return err
			}
		case err == nil, errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		default:
			return err
		}
		if len(escFile)+len(name) > maxNameLen {
			return nil
		}
		err = unix.Unlinkat(dfd, escFile+name, 0)
		switch {
		case err == nil:
			removed = true
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EISDIR), errors.Is(err, unix.ENOTDIR):
		default:
			return err
		}
		return nil
	})
	return id, removed, err
}
