package fsstore

import (
	"errors"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Durable names of directories (`fsync always`).
//
// A publish syncs the directory it named its file in. That makes the
// file's name durable, but the directory is reachable only through its
// own name in its parent, and so on up to the root. A directory this node
// makes is synced into its parent when it is made (makeComp, mkdirAll);
// a publish that finds its directory already there cannot tell whether
// that happened: another node may have made it a moment ago, or another
// request of this node whose sync of the parent is still running (the
// fast paths open an existing directory without its name lock). So
// before a directory's sync counts, each directory on its path that this
// node has not yet seen named durably gets its parent synced, through the
// sync group, once per directory per node. Directories are told apart by
// device, inode and birth time, so one removed and made again (another
// incarnation, maybe with the same inode number) counts as new.
//
// The set only grows until it holds namedDirsMax directories, then starts
// again: forgetting costs a directory one more sync of its parent.
type namedDirs struct {
	mu   sync.Mutex
	seen map[dirIdentity]struct{}
}

// dirIdentity is one incarnation of a directory.
type dirIdentity struct {
	dev, ino            uint64
	birthSec, birthNsec int64
}

const namedDirsMax = 1 << 16

func (n *namedDirs) has(id dirIdentity) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.seen[id]
	return ok
}

func (n *namedDirs) add(id dirIdentity) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil || len(n.seen) >= namedDirsMax {
		n.seen = make(map[dirIdentity]struct{})
	}
	n.seen[id] = struct{}{}
}

// identityAt identifies the directory name in the open directory dfd
// without following a symlink. A filesystem without birth times (NFS)
// gives zero for it: the inode number alone then tells directories apart.
func identityAt(dfd int, name string) (dirIdentity, error) {
	var st unix.Statx_t
	if err := unix.Statx(dfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_INO|unix.STATX_BTIME, &st); err != nil {
		return dirIdentity{}, err
	}
	id := dirIdentity{dev: uint64(st.Dev_major)<<32 | uint64(st.Dev_minor), ino: st.Ino}
	if st.Mask&unix.STATX_BTIME != 0 {
		id.birthSec, id.birthNsec = st.Btime.Sec, int64(st.Btime.Nsec)
	}
	return id, nil
}

// ensureNamed makes the name of directory dir (relative to the root) and
// of each directory above it durable in its parent, syncing the parents
// of those this node has not seen so yet. A directory on the way that is
// gone was removed because it held nothing, so neither did dir: there is
// nothing left to make durable.
func (s *Store) ensureNamed(dir string) error {
	if dir == "" || dir == "." {
		return nil
	}
	for end := 0; end < len(dir); end++ {
		if i := strings.IndexByte(dir[end:], '/'); i >= 0 {
			end += i
		} else {
			end = len(dir)
		}
		prefix := dir[:end]
		id, err := identityAt(s.root.fd, prefix)
		switch {
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
			return nil
		case err != nil:
			return pathErr("statx", prefix, err)
		}
		if s.named.has(id) {
			continue
		}
		parent := dotIfRoot(parentOf(prefix))
		if err := s.dirSyncs.sync(parent, s.fsyncDirFn(parent)); err != nil {
			return err
		}
		s.named.add(id)
	}
	return nil
}

// markNamed records that name in the open directory dfd was made and its
// parent synced since: its name is durable. An error only costs a sync
// later, in ensureNamed.
func (s *Store) markNamed(dfd int, name string) {
	if id, err := identityAt(dfd, name); err == nil {
		s.named.add(id)
	}
}

func dotIfRoot(name string) string {
	if name == "" {
		return "."
	}
	return name
}
