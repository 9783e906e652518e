package fsstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// openPlainFile opens the regular file at the plain stored path rel of
// bucket with one openat2 from the root (RESOLVE_BENEATH and no symlinks,
// as every lookup: root.go), where openKey's general path opens the
// directory first (openat2, fcntl, close more). ok is false when that
// finds no regular file, or without openat2 (the walk opens each
// directory anyway): the caller then takes the general path, which also
// knows collision escapes, markers and missing keys. A plain path that
// opens as a regular file is what the general path finds first too.
func (s *Store) openPlainFile(bucket, rel string) (f *os.File, id fileID, ok bool) {
	if !s.root.openat2 {
		return nil, id, false
	}
	fd, err := s.root.openat(bucket+"/"+rel, unix.O_RDONLY, 0)
	if err != nil {
		return nil, id, false
	}
	id, mode, err := statID(fd)
	if err != nil || mode != unix.S_IFREG {
		unix.Close(fd)
		return nil, id, false
	}
	return os.NewFile(uintptr(fd), rel), id, true
}
