package fsstore

import (
	"fmt"
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRetryOpen(t *testing.T) {
	wrapped := func(e error) error { return fmt.Errorf("lock: %w", &fs.PathError{Op: "openat", Path: "x", Err: e}) }
	for _, tc := range []struct {
		flags int
		err   error
		want  bool
	}{
		{unix.O_RDWR | unix.O_CREAT, unix.EEXIST, true}, // FUSE create race
		{unix.O_RDWR | unix.O_CREAT, wrapped(unix.EEXIST), true},
		{unix.O_RDWR | unix.O_CREAT | unix.O_EXCL, unix.EEXIST, false}, // the answer of an exclusive create
		{unix.O_RDONLY, unix.EEXIST, false},
		{unix.O_RDONLY, unix.ESTALE, true},
		{unix.O_RDONLY, wrapped(unix.ESTALE), true},
		{unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, unix.ESTALE, true},
		{unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL, unix.ESTALE, false}, // may have been created
		{unix.O_RDONLY, unix.ENOENT, false},
		{unix.O_RDONLY, unix.EIO, false},
	} {
		if got := retryOpen(tc.flags, tc.err); got != tc.want {
			t.Errorf("retryOpen(%#x, %v) = %v, want %v", tc.flags, tc.err, got, tc.want)
		}
	}
}
