package fsstore

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// fsRoot resolves slash-separated relative paths below one directory and
// never crosses a symlink, not even one whose target stays below it (as
// os.Root would follow): a directory link planted in a bucket
// ("alice/d -> ../bob") must not alias another bucket, key or the internal
// directory, and one leading out must not turn into a 500.
//
// With openat2(2) (Linux ≥ 5.6, probed at open) a path is resolved by the
// kernel in one call with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; without it,
// component by component with openat(O_NOFOLLOW). Either way a symlink met
// on the way is reported as ENOTDIR ("not a directory in the way"), which
// readers treat as a missing key and writers as ErrObjectParentIsFile; a
// symlink as the last component is never followed either: opening it
// fails with ELOOP (or ENOTDIR with O_DIRECTORY), Lstat reports the link
// itself, and Remove, Rename and Link act on the link, never its target.
//
// Every method returns *fs.PathError wrapping the errno, so errors.Is with
// fs.ErrNotExist, fs.ErrExist, syscall.ENOTDIR, ... works as with os.Root.
type fsRoot struct {
	fd      int // O_PATH directory
	name    string
	openat2 bool
}

// resolveFlags are the openat2 resolve flags of every lookup.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openFSRoot opens the directory name as a root, probing openat2 unless
// noOpenat2.
func openFSRoot(name string, noOpenat2 bool) (*fsRoot, error) {
	fd, err := unix.Open(name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r := &fsRoot{fd: fd, name: name}
	if !noOpenat2 {
		r.openat2 = probeOpenat2(fd)
	}
	return r, nil
}

// probeOpenat2 reports whether openat2 with the resolve flags works here
// (missing before Linux 5.6, and seccomp filters may refuse it).
func probeOpenat2(dirfd int) bool {
	fd, err := unix.Openat2(dirfd, ".", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: resolveFlags,
	})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// Name is the root's directory as given to openFSRoot.
func (r *fsRoot) Name() string { return r.name }

// Close releases the root.
func (r *fsRoot) Close() error { return unix.Close(r.fd) }

// pathErr wraps errno for name, reporting a symlink met on the way
// (ELOOP) as ENOTDIR.
func pathErr(op, name string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		err = unix.ENOTDIR
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// openat opens name with flags (O_NOFOLLOW and O_CLOEXEC are added),
// returning the raw errno on failure. ELOOP means the last component is a
// symlink or, with openat2, that one was met on the way. A distributed
// filesystem's transient ESTALE, or EEXIST to a create without O_EXCL,
// is retried a few times (dfs_retry.go).
func (r *fsRoot) openat(name string, flags int, mode uint32) (int, error) {
	fd, err := r.openatOnce(name, flags, mode)
	for try := 0; try < openRetries && err != nil && retryOpen(flags, err); try++ {
		fd, err = r.openatOnce(name, flags, mode)
	}
	return fd, err
}

// openatOnce is one openat of name (retrying only EINTR, and EAGAIN from
// openat2).
func (r *fsRoot) openatOnce(name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if name == "" {
		name = "."
	}
	if r.openat2 {
		for attempt := 1; ; attempt++ {
			fd, err := unix.Openat2(r.fd, name, &unix.OpenHow{Flags: uint64(flags), Mode: uint64(mode), Resolve: resolveFlags})
			if attempt < 8 && (errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN)) {
				continue // EAGAIN: a concurrent rename; retry a few times
			}
			return fd, err
		}
	}
	dfd, base, done, err := r.walkParent(name)
	if err != nil {
		return -1, err
	}
	defer done()
	for {
		fd, err := unix.Openat(dfd, base, flags, mode)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}

// walkParent opens the parent directory of name component by component
// with O_NOFOLLOW (the fallback without openat2), returning its fd, the
// last component and a function releasing the fd. A symlink on the way
// gives ENOTDIR; ".." components are refused (EXDEV, like
// RESOLVE_BENEATH).
func (r *fsRoot) walkParent(name string) (int, string, func(), error) {
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	if base == ".." {
		return -1, "", nil, unix.EXDEV
	}
	fd := r.fd
	done := func() {
		if fd != r.fd {
			unix.Close(fd)
		}
	}
	for dir != "" {
		c := dir
		if i := strings.IndexByte(dir, '/'); i >= 0 {
			c, dir = dir[:i], dir[i+1:]
		} else {
			dir = ""
		}
		switch c {
		case "", ".":
			continue
		case "..":
			done()
			return -1, "", nil, unix.EXDEV
		}
		nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			dir = c + "/" + dir
			continue
		}
		done()
		if err != nil {
			if errors.Is(err, unix.ELOOP) {
				err = unix.ENOTDIR
			}
			return -1, "", nil, err
		}
		fd = nfd
	}
	if base == "" {
		base = "."
	}
	return fd, base, done, nil
}

// parent returns an fd of the parent directory of name, its last
// component and a release function.
func (r *fsRoot) parent(name string) (int, string, func(), error) {
	if !r.openat2 {
		return r.walkParent(name)
	}
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return r.fd, name, func() {}, nil
	}
	fd, err := r.openat(name[:i], unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = unix.ENOTDIR
		}
		return -1, "", nil, err
	}
	return fd, name[i+1:], func() { unix.Close(fd) }, nil
}

// OpenFile opens name like os.OpenFile, never following a symlink.
func (r *fsRoot) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	fd, err := r.openat(name, flag, uint32(perm.Perm()))
	if err != nil {
		return nil, pathErr("openat", name, err)
	}
	return os.NewFile(uintptr(fd), r.name+"/"+name), nil
}

// Open opens name for reading.
func (r *fsRoot) Open(name string) (*os.File, error) {
	return r.OpenFile(name, os.O_RDONLY, 0)
}

// ReadFile reads the file name.
func (r *fsRoot) ReadFile(name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes data to name like os.WriteFile.
func (r *fsRoot) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// at runs fn on the parent of name and its last component.
func (r *fsRoot) at(op, name string, fn func(dfd int, base string) error) error {
	dfd, base, done, err := r.parent(name)
	if err == nil {
		err = fn(dfd, base)
		done()
	}
	if err != nil {
		return pathErr(op, name, err)
	}
	return nil
}

// Mkdir creates the directory name.
func (r *fsRoot) Mkdir(name string, perm fs.FileMode) error {
	return r.at("mkdirat", name, func(dfd int, base string) error {
		return unix.Mkdirat(dfd, base, uint32(perm.Perm()))
	})
}

// MkdirAll creates name and its missing parents. A symlink or a file in
// the way gives ENOTDIR.
func (r *fsRoot) MkdirAll(name string, perm fs.FileMode) error {
	return r.mkdirAllMade(name, perm, nil)
}

// mkdirAllMade is MkdirAll calling made, if set, for each directory it
// made itself: with its parent (relative to the root, "" for the root),
// and the parent's open descriptor and the name in it.
func (r *fsRoot) mkdirAllMade(name string, perm fs.FileMode, made func(parent string, dfd int, base string)) error {
	fd := r.fd
	defer func() {
		if fd != r.fd {
			unix.Close(fd)
		}
	}()
	for rest := name; rest != ""; {
		parent := strings.TrimRight(name[:len(name)-len(rest)], "/")
		c := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			c, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			return pathErr("mkdirat", name, unix.EXDEV)
		}
		err := unix.Mkdirat(fd, c, uint32(perm.Perm()))
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return pathErr("mkdirat", name, err)
		}
		if err == nil && made != nil {
			made(parent, fd, c)
		}
		nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return pathErr("openat", name, err)
		}
		if fd != r.fd {
			unix.Close(fd)
		}
		fd = nfd
	}
	return nil
}

// Remove removes the file or empty directory name (a symlink itself,
// never its target).
func (r *fsRoot) Remove(name string) error {
	return r.at("unlinkat", name, func(dfd int, base string) error {
		err := unix.Unlinkat(dfd, base, 0)
		if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM) {
			if derr := unix.Unlinkat(dfd, base, unix.AT_REMOVEDIR); !errors.Is(derr, unix.ENOTDIR) {
				err = derr
			}
		}
		return err
	})
}

// RemoveAll removes name and everything below it; a missing name is not
// an error. Symlinks below it are removed, never followed.
func (r *fsRoot) RemoveAll(name string) error {
	err := r.at("unlinkat", name, removeAllAt)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func removeAllAt(dfd int, name string) error {
	for attempt := 0; ; attempt++ {
		err := unix.Unlinkat(dfd, name, 0)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
			return err
		}
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return err
		}
		d := os.NewFile(uintptr(fd), name)
		names, rerr := d.Readdirnames(-1)
		for _, n := range names {
			if err := removeAllAt(fd, n); err != nil && rerr == nil {
				rerr = err
			}
		}
		d.Close()
		err = unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.ENOTEMPTY) || attempt >= 3 {
			if rerr != nil && !errors.Is(rerr, unix.ENOENT) {
				return rerr
			}
			return err
		}
	}
}

// Rename renames oldname to newname (renameat: a symlink is moved or
// replaced itself).
func (r *fsRoot) Rename(oldname, newname string) error {
	return r.at("renameat", oldname, func(odfd int, obase string) error {
		return r.at("renameat", newname, func(ndfd int, nbase string) error {
			return unix.Renameat(odfd, obase, ndfd, nbase)
		})
	})
}

// Link makes newname a hard link of oldname (linkat without
// AT_SYMLINK_FOLLOW: a symlink is linked itself); it fails with EEXIST if
// newname exists.
func (r *fsRoot) Link(oldname, newname string) error {
	return r.at("linkat", oldname, func(odfd int, obase string) error {
		return r.at("linkat", newname, func(ndfd int, nbase string) error {
			return unix.Linkat(odfd, obase, ndfd, nbase, 0)
		})
	})
}

// Lstat describes name without following a symlink as its last component.
func (r *fsRoot) Lstat(name string) (fs.FileInfo, error) {
	fi := &statInfo{name: name[strings.LastIndexByte(name, '/')+1:]}
	err := r.at("fstatat", name, func(dfd int, base string) error {
		return unix.Fstatat(dfd, base, &fi.st, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// Chtimes sets the access and modification times of name (a symlink's own
// times, never its target's).
func (r *fsRoot) Chtimes(name string, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return r.at("utimensat", name, func(dfd int, base string) error {
		return unix.UtimesNanoAt(dfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// OpenRoot opens the directory name as a root of its own (never through a
// symlink).
func (r *fsRoot) OpenRoot(name string) (*fsRoot, error) {
	fd, err := r.openat(name, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, pathErr("openat", name, err)
	}
	return &fsRoot{fd: fd, name: r.name + "/" + name, openat2: r.openat2}, nil
}

// statInfo is the fs.FileInfo of Lstat; Sys is the *unix.Stat_t.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (fi *statInfo) Name() string       { return fi.name }
func (fi *statInfo) Size() int64        { return fi.st.Size }
func (fi *statInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *statInfo) IsDir() bool        { return fi.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (fi *statInfo) Sys() any           { return &fi.st }
func (fi *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFREG:
	default:
		m |= fs.ModeIrregular
	}
	return m
}
