package fsstore

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Overwrites on the unnamed fast path (putunnamed.go).
//
// A link never replaces, so a put over an existing key finds its name
// taken (EEXIST) and must rename a named file over it. Done the general
// way (publishStaged) that re-resolves both directories: the key's for
// the failed link, the staging directory's for the staging name, then
// both again for the rename, each an openat2 and a close. Here the key's
// directory stays open from the failed link to the rename, and the
// staging directory from the staging link to the rename: four system
// calls fewer. Whether the key exists is not known before the link (the
// request stats only the bucket), and a check before it would cost a
// system call on every new key, the common put; the failed link is that
// check, and it cannot be wrong: the rename replaces whatever holds the
// name by then, atomically, and a name that was freed meanwhile is taken
// all the same.
//
// Where the rename fails (the name is a directory of keys, the directory
// was pruned), the file keeps its staging name and the caller publishes
// it the general way, which knows the escapes and retries. With a usage
// hook the general way is taken from the start: it counts what the
// rename replaced.

// placeUnnamed publishes the staged unnamed file f (metadata set, synced
// with fsync) at target, relative to the root: a link where the name is
// free, else, without a usage hook, a link at a fresh staging name
// renamed over target. Both use one descriptor of target's directory,
// which with fsync is synced after (syncErr, once published). On a
// failure with tmp set, f is named tmp: the caller publishes it the
// general way. Other failures are linkUnnamed's.
func (s *Store) placeUnnamed(bucket, key string, f *os.File, target string) (tmp string, err, syncErr error) {
	dir, base := parentOf(target), target[strings.LastIndexByte(target, '/')+1:]
	flags := unix.O_PATH | unix.O_DIRECTORY
	if s.fsync {
		flags = unix.O_RDONLY | unix.O_DIRECTORY // fsync refuses O_PATH
	}
	dfd, err := s.root.openat(dir, flags, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = unix.ENOTDIR // a symlink in the way, as fsRoot.parent says
		}
		return "", pathErr("openat", dir, err), nil
	}
	defer unix.Close(dfd)
	if err := linkFile(f, dfd, base); err != nil {
		if !errors.Is(err, unix.EEXIST) || s.onUsage != nil {
			return "", pathErr("linkat", target, err), nil
		}
		if tmp, err = s.replaceWithUnnamed(bucket, key, f, dfd, base); err != nil {
			return tmp, err, nil
		}
	}
	if s.fsync {
		if syncErr = s.ensureNamed(dir); syncErr == nil { // named.go
			syncErr = s.dirSyncs.sync(dir, func() error { return unix.Fsync(dfd) })
		}
	}
	return "", nil, syncErr
}

// replaceWithUnnamed links f at a fresh staging name and renames it over
// base in the directory dfd. tmp is the staging name once f has it.
func (s *Store) replaceWithUnnamed(bucket, key string, f *os.File, dfd int, base string) (tmp string, err error) {
	name := s.tempName("put-")
	err = s.root.at("linkat", name, func(tdfd int, tbase string) error {
		if err := linkFile(f, tdfd, tbase); err != nil {
			return err
		}
		tmp = name
		if testHookStaged != nil {
			testHookStaged(bucket, key)
		}
		return unix.Renameat(tdfd, tbase, dfd, base) // on failure the caller goes on with tmp
	})
	return tmp, err
}
