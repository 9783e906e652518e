package fsstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The small-PUT fast path: an unnamed staging file.
//
// A put stages its bytes in a named temp file under .caddys3/tmp and
// renames it into the bucket. Every put of the whole store then takes the
// staging directory's lock twice (the create and the rename) and every
// rename is a cross-directory one, which the kernel serializes per
// filesystem. Where the filesystem makes unnamed files (open(2)
// O_TMPFILE: ext4, XFS, Btrfs, tmpfs) a put of a new key instead writes an
// unnamed file in the staging directory and links it at the key
// (linkat(2) of /proc/self/fd/N, the unprivileged way; AT_EMPTY_PATH needs
// CAP_DAC_READ_SEARCH): no staging name, and only the key's directory is
// locked. A link never replaces, so the link is the whole publication
// only when the key's name is free; otherwise (an overwrite, a missing
// directory, a collision escape) the file gets its staging name after
// all and the put goes the usual way (publishTemp). So is every put the
// fast path does not fit: versioned buckets, conditional writes and
// folder markers, which need the key's lock. With sidecar metadata, whose
// record is published with the file's name, puts stage named files.
//
// Crash safety is the named file's: bytes and metadata are complete
// before the link, the link is atomic, and an unnamed file that was never
// linked is freed by the kernel when its descriptor closes, also at a
// kill -9 (ext4 and XFS reclaim it from the orphan list after a power
// loss), so it leaves nothing for the temp cleanup.

// probeUnnamed reports whether puts can stage in unnamed files: metadata
// in xattrs (set on the file before it has a name), and a staging
// directory whose filesystem makes unnamed files and lets them be linked
// through /proc (mounted, and no seccomp or LSM refusing it).
func (s *Store) probeUnnamed() bool {
	if _, xattrs := s.meta.(*xattrMeta); !xattrs {
		return false
	}
	f, err := s.createUnnamed()
	if err != nil {
		return false
	}
	defer f.Close()
	name := s.tempName("probe-")
	if err := s.linkUnnamed(f, name); err != nil {
		return false
	}
	return s.root.Remove(name) == nil
}

// createUnnamed creates an unnamed file on the staging directory's
// filesystem (linkable: not O_EXCL).
func (s *Store) createUnnamed() (*os.File, error) {
	f, err := s.root.OpenFile(tmpDir, unix.O_RDWR|unix.O_TMPFILE, 0o644)
	return f, storageErr(err)
}

// createStaging creates the file a put writes its body to: unnamed when
// the store can (tmp is then ""), else a named temp file.
func (s *Store) createStaging(prefix string) (tmp string, f *os.File, err error) {
	if s.unnamed {
		f, err = s.createUnnamed()
		return "", f, err
	}
	return s.createTemp(prefix)
}

// linkUnnamed gives the open file f the name target (relative to the
// root); it fails with EEXIST when target exists.
func (s *Store) linkUnnamed(f *os.File, target string) error {
	return s.root.at("linkat", target, func(dfd int, base string) error {
		return linkFile(f, dfd, base)
	})
}

// linkFile names the open file f base in the directory dfd: linkat of
// /proc/self/fd/N, the unprivileged way (AT_EMPTY_PATH needs
// CAP_DAC_READ_SEARCH).
func linkFile(f *os.File, dfd int, base string) error {
	return withFd(f, func(fd int) error {
		return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), dfd, base, unix.AT_SYMLINK_FOLLOW)
	})
}

// unnamedFits reports whether a put of the fully written unnamed file can
// be published by a link alone (see the top of this file).
func (s *Store) unnamedFits(p objPath, opts PutOptions, versioned bool) bool {
	return !versioned && !p.marker && opts.IfMatch == "" && opts.IfNoneMatch == ""
}

// publishUnnamed publishes the fully written unnamed file f at key with
// meta: by a link when the key's name is free, else under a staging name
// the usual way; it consumes f. A put the fast path does not fit
// (unnamedFits) gets a staging name only, returned with f still open,
// for publishTemp.
func (s *Store) publishUnnamed(ctx context.Context, bucket, key string, p objPath, f *os.File, meta ObjectMeta, opts PutOptions, versioned bool) (_ ObjectMeta, tmp string, _ error) {
	if !s.unnamedFits(p, opts, versioned) {
		return s.nameUnnamed(f)
	}
	rec := recordOf(&meta)
	id, err := s.stageMeta(f, bucket, key, &rec)
	if err == nil && s.fsync {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return ObjectMeta{}, "", storageErr(err)
	}
	tmp, err, syncErr := s.placeUnnamed(bucket, key, f, join(bucket, p.rel)) // putreplace.go
	switch {
	case err == nil:
	case tmp != "", errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrExist):
		// Taken by a directory or with a usage hook, or its directory
		// missing: the usual way.
		return s.publishNamed(ctx, bucket, key, p, f, tmp, id, &rec, meta.Size, opts)
	default:
		f.Close()
		return ObjectMeta{}, "", storageErr(err)
	}
	// A link replaces nothing: the bucket gained exactly the file's bytes
	// (a rename over a key is done here only without a usage hook).
	s.countUsageCtx(ctx, bucket, id.Size, false)
	m := rec.meta(meta.Size, unixSec(id.MTime))
	if err := f.Close(); err != nil {
		return m, "", storageErr(err)
	}
	return m, "", storageErr(syncErr)
}

// publishNamed publishes the staged unnamed file f (its metadata record
// rec set, synced with fsync) under a staging name (tmp, or a new one when
// tmp is ""), where a link at the key could not; it consumes f.
func (s *Store) publishNamed(ctx context.Context, bucket, key string, p objPath, f *os.File, tmp string, id fileID, rec *metaRecord, size int64, opts PutOptions) (ObjectMeta, string, error) {
	if tmp == "" {
		var err error
		if _, tmp, err = s.nameUnnamed(f); err != nil {
			return ObjectMeta{}, "", err
		}
	}
	m, published, err := s.publishStaged(ctx, bucket, key, p, tmp, f, id, rec, size, opts.IfMatch, opts.IfNoneMatch)
	if !published {
		s.discardTemp(tmp, f)
		s.meta.unstage(id, bucket, key)
	}
	return m, "", err
}

// nameUnnamed links the unnamed file f at a fresh staging name and
// returns it; on error f is closed.
func (s *Store) nameUnnamed(f *os.File) (ObjectMeta, string, error) {
	tmp := s.tempName("put-")
	if err := s.linkUnnamed(f, tmp); err != nil {
		f.Close()
		return ObjectMeta{}, "", storageErr(err)
	}
	return ObjectMeta{}, tmp, nil
}

// fill reads from r until buf is full or r fails (io.EOF included), so
// that a small body arriving in several reads is written with one write.
// Not io.ReadFull: it reports a short end as io.ErrUnexpectedEOF, which
// a truncated request body also returns, and the two must stay apart.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
