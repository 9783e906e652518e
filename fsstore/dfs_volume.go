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

	"golang.org/x/sys/unix"
)

// glusterPathinfo is the GlusterFS client's virtual xattr with the
// translator graph of a file or directory.
const glusterPathinfo = "glusterfs.pathinfo"

// ErrUnsupportedVolume: the root is on a volume type where rename-over
// is not atomic for other clients.
var ErrUnsupportedVolume = errors.New("unsupported volume")

// checkVolume refuses a root on a GlusterFS distribute volume; any other
// filesystem (no such xattr) passes.
func checkVolume(root string) error {
	buf := make([]byte, 4096)
	n, err := unix.Getxattr(root, glusterPathinfo, buf)
	if errors.Is(err, unix.ERANGE) {
		if n, err = unix.Getxattr(root, glusterPathinfo, nil); err == nil {
			buf = make([]byte, n)
			n, err = unix.Getxattr(root, glusterPathinfo, buf)
		}
	}
	if err != nil {
		return nil // not GlusterFS (ENODATA, ENOTSUP, ...)
	}
	return volumeRefusal(root, string(buf[:n]))
}

// volumeRefusal judges the glusterfs.pathinfo value of root.
func volumeRefusal(root, pathinfo string) error {
	if !strings.Contains(pathinfo, "<DISTRIBUTE:") {
		return nil
	}
	return fmt.Errorf("%w: %s is on a GlusterFS volume that distributes files over several subvolumes (%s), where a rename over an existing name is not atomic for other clients; use a replicate or disperse volume of one subvolume (docs/scale-out.md)",
		ErrUnsupportedVolume, root, strings.TrimSpace(pathinfo))
}
