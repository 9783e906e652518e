package fsstore

// Distributed filesystems (docs/scale-out.md) answer two things a local
// disk never does, both transient:
//
//   - EEXIST to open(O_CREAT) without O_EXCL: over FUSE (MooseFS,
//     GlusterFS) the kernel looks the name up, finds nothing, and sends a
//     create that fails when another mount created the name in between;
//     the kernel does not retry it as it does for a local filesystem.
//     Opened again, the name is found and opened, which is what
//     O_CREAT without O_EXCL promises.
//   - ESTALE, when a name was resolved to an inode that another client
//     has replaced (rename-over) or removed: the kernel retries once with
//     revalidation, and GlusterFS still answers it about once in a
//     thousand opens during a rename-over. Opened again, the name
//     resolves to the new inode.
//
// Both are retried by fsRoot.openat, so by every open of the store, a
// bounded number of times, for opens only: an
// O_CREAT|O_EXCL create is never retried (EEXIST is its answer, and after
// ESTALE the create may have happened).

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openRetries bounds the extra opens after EEXIST or ESTALE.
const openRetries = 3

// retryOpen tells whether an open with flags that failed with err is
// worth repeating (see above).
func retryOpen(flags int, err error) bool {
	if flags&unix.O_EXCL != 0 {
		return false
	}
	return errors.Is(err, unix.ESTALE) || flags&unix.O_CREAT != 0 && errors.Is(err, unix.EEXIST)
}
