package e2e

// The golden root of TestUpgradeFromPreviousRelease as a compressed tar:
// mode bits, mtimes to the nanosecond (PAX), directories, hard links, and
// the user.* xattrs of files and directories as PAX records
// "SCHILY.xattr.<name>".

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const paxXattr = "SCHILY.xattr."

// userXattrs returns the user.* extended attributes of path (not
// following a symlink).
func userXattrs(path string) (map[string]string, error) {
	size, err := unix.Llistxattr(path, nil)
	if err != nil || size == 0 {
		return nil, err
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(path, buf); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if !strings.HasPrefix(name, "user.") {
			continue
		}
		n, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			return nil, fmt.Errorf("getxattr %s %s: %w", path, name, err)
		}
		v := make([]byte, n)
		if n, err = unix.Lgetxattr(path, name, v); err != nil {
			return nil, fmt.Errorf("getxattr %s %s: %w", path, name, err)
		}
		out[name] = string(v[:n])
	}
	return out, nil
}

// tarRoot writes the tree at root, root itself included as ".", to dst as
// a gzip-compressed PAX tar. Anything but directories and regular files
// (hard links included) is an error: the root of the previous release has
// nothing else.
func tarRoot(root, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	zw, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	seen := map[[2]uint64]string{} // (dev, inode) -> first name, for hard links
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if !fi.Mode().IsDir() && !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: %v is neither a directory nor a regular file", path, fi.Mode().Type())
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime(), Format: tar.FormatPAX}
		st := fi.Sys().(*syscall.Stat_t)
		ino := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
		switch {
		case fi.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case st.Nlink > 1 && seen[ino] != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, seen[ino]
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
			seen[ino] = hdr.Name
		}
		xa, err := userXattrs(path)
		if err != nil {
			return err
		}
		if len(xa) > 0 && hdr.Typeflag != tar.TypeLink {
			hdr.PAXRecords = map[string]string{}
			for k, v := range xa {
				hdr.PAXRecords[paxXattr+k] = v
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// untarRoot extracts the archive tarRoot wrote into root (which must exist
// and may be empty): files and directories with their modes, user.*
// xattrs and mtimes (a directory's after its children). A name escaping
// root (absolute, or through ..) or an entry of another type is an error.
func untarRoot(src, root string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	type dirMeta struct {
		path  string
		mode  os.FileMode
		mtime time.Time
	}
	var dirs []dirMeta
	local := func(name string) (string, error) {
		clean := strings.TrimSuffix(name, "/")
		if !filepath.IsLocal(filepath.FromSlash(clean)) {
			return "", fmt.Errorf("tar entry %q escapes the root", name)
		}
		return filepath.Join(root, filepath.FromSlash(clean)), nil
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		path, err := local(hdr.Name)
		if err != nil {
			return err
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if path != root {
				if err := os.Mkdir(path, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirMeta{path, mode, hdr.ModTime})
		case tar.TypeReg:
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Chmod(path, mode); err != nil {
				return err
			}
		case tar.TypeLink:
			target, err := local(hdr.Linkname)
			if err != nil {
				return err
			}
			if err := os.Link(target, path); err != nil {
				return err
			}
			continue // the first name carries the metadata
		default:
			return fmt.Errorf("tar entry %q: type %q is neither a directory nor a regular file", hdr.Name, hdr.Typeflag)
		}
		var names []string
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, paxXattr) {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			if err := unix.Setxattr(path, strings.TrimPrefix(k, paxXattr), []byte(hdr.PAXRecords[k]), 0); err != nil {
				return fmt.Errorf("setxattr %s %s: %w", path, k, err)
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			if err := os.Chtimes(path, hdr.ModTime, hdr.ModTime); err != nil {
				return err
			}
		}
	}
	// Deepest first: a directory's mode and mtime once nothing more is
	// created in it.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i].path, dirs[i].mode); err != nil {
			return err
		}
		if err := os.Chtimes(dirs[i].path, dirs[i].mtime, dirs[i].mtime); err != nil {
			return err
		}
	}
	return nil
}

// describeTree returns one line per entry under root (root included as
// "."): type, mode, mtime to the nanosecond, size, sha256 of a file's
// bytes, and user.* xattrs.
func describeTree(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		xa, err := userXattrs(path)
		if err != nil {
			return err
		}
		var xs []string
		for k, v := range xa {
			xs = append(xs, fmt.Sprintf("%s=%q", k, v))
		}
		sort.Strings(xs)
		sum := ""
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = sha256Hex(b)
		}
		out[rel] = fmt.Sprintf("%v mtime=%d size=%d sha256=%s xattrs=%v", fi.Mode(), fi.ModTime().UnixNano(), fi.Size(), sum, xs)
		return nil
	})
	return out, err
}

// sameTrees returns how the trees at a and b differ, nil if they do not.
func sameTrees(a, b string) ([]string, error) {
	da, err := describeTree(a)
	if err != nil {
		return nil, err
	}
	db, err := describeTree(b)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for k, v := range da {
		if db[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: %s, then %s", k, v, db[k]))
		}
	}
	for k, v := range db {
		if _, ok := da[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only in the copy: %s", k, v))
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}
