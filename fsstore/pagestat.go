package fsstore

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatatName is fstatat(2) of name (NUL-terminated) in the directory dfd,
// not following a symlink, without unix.Fstatat's copy of the name: the
// one allocation a revalidated listed key would otherwise cost.
func fstatatName(dfd int, name []byte, st *unix.Stat_t) error {
	_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dfd), uintptr(unsafe.Pointer(&name[0])),
		uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
