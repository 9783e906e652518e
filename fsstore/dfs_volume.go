package fsstore

// Volume types the store refuses at start (docs/scale-out.md).
//
// Publishing an object is a rename over its name (or a link), and readers
// on other nodes rely on seeing the old file or the new one, never
// neither. A GlusterFS volume whose files are spread over several
// subvolumes by DHT (distribute, distributed-replicate) breaks that: a
// name hashed to another subvolume than its file's is a link-file, and a
// rename over it is two steps that other clients can see between (about
// 1% of reads got ENOENT in test/dfs's measurement). GlusterFS tells the
// layout of a directory in its virtual xattr glusterfs.pathinfo, which
// names DISTRIBUTE exactly when DHT has more than one subvolume (a single
// replicate or disperse set leaves DHT out of the graph).

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// glusterPathinfo is the GlusterFS client's virtual xattr with the
// translator graph of a file or directory.
const glusterPathinfo = "glusterfs.pathinfo"

// ErrUnsupportedVolume: the root is on a volume type where rename-over
// is not atomic for other clients.
var ErrUnsupportedVolume = errors.New("unsupported volume")

// checkVolume refuses a root on a GlusterFS distribute volume; a
// filesystem without the xattr passes. Any other failure to read it (a
// GlusterFS client that lost its bricks for a moment: ENOTCONN, EIO) is
// retried and then fails the start: passing it would let a distribute
// volume through exactly when its client is in trouble.
func checkVolume(root string) error {
	var err error
	for try := 0; try < volumeCheckTries; try++ {
		if try > 0 {
			time.Sleep(volumeCheckPause)
		}
		var pathinfo string
		pathinfo, err = readPathinfo(root)
		if err == nil {
			return volumeRefusal(root, pathinfo)
		}
		if noPathinfo(err) {
			return nil
		}
	}
	return fmt.Errorf("reading %s of %s to tell its volume type: %w", glusterPathinfo, root, err)
}

const (
	volumeCheckTries = 5
	volumeCheckPause = 200 * time.Millisecond
)

// readPathinfo reads root's glusterfs.pathinfo, growing the buffer once
// when 4 KiB is too small.
func readPathinfo(root string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Getxattr(root, glusterPathinfo, buf)
	if errors.Is(err, unix.ERANGE) {
		if n, err = unix.Getxattr(root, glusterPathinfo, nil); err == nil {
			buf = make([]byte, n)
			n, err = unix.Getxattr(root, glusterPathinfo, buf)
		}
	}
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// noPathinfo tells the errors with which a filesystem says it has no such
// xattr (ENODATA: ext4, MooseFS; EOPNOTSUPP: tmpfs, NFS, the
// glusterfs.* namespace on local filesystems) or will not show it.
func noPathinfo(err error) bool {
	for _, e := range []error{unix.ENODATA, unix.EOPNOTSUPP, unix.ENOSYS, unix.EPERM, unix.EACCES} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// volumeRefusal judges the glusterfs.pathinfo value of root.
func volumeRefusal(root, pathinfo string) error {
	if !strings.Contains(pathinfo, "<DISTRIBUTE:") {
		return nil
	}
	return fmt.Errorf("%w: %s is on a GlusterFS volume that distributes files over several subvolumes (%s), where a rename over an existing name is not atomic for other clients; use a replicate or disperse volume of one subvolume (docs/scale-out.md)",
		ErrUnsupportedVolume, root, strings.TrimSpace(pathinfo))
}
