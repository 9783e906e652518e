package fsstore

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Listing fields of a versioned bucket's versions.
//
// A brief ListObjectVersions page of a versioned bucket reads each key's
// plain file (its latest version) and its older versions in the version
// area through the listing-fields cache (listfields.go) instead of their
// whole records. A version is a hard link of the data file it was written
// as, so both names share one inode and one cache entry; everything that
// changes a version changes its file's ctime or inode as for plain keys:
// its id written into the record in place (setxattr), a link added or
// removed (the link count), a version replaced by another file. The
// plain file is still opened (openKey finds it through collisions and
// markers as a GET does); an area entry costs one fstatat of its name
// when cached. The bound on NFS is the one listfields.go states.

// loadOpenListed is the openLoader of brief listings: the plain file's
// listing fields, from the cache when its fstat shows it unchanged.
func (s *Store) loadOpenListed(f *os.File, id fileID, bucket, key string) (*os.File, metaRecord, fileID, bool, error) {
	var r *listedRecord
	var st unix.Stat_t
	err := withFd(f, func(fd int) error {
		var err error
		r, err = s.listedFieldsOf(fd, bucket, &st)
		return err
	})
	if err == nil && r == nil {
		err = fs.ErrNotExist // no longer a regular file: not reached, openKey opened one
	}
	if err != nil {
		f.Close()
		return nil, metaRecord{}, id, false, err
	}
	return f, r.record(), fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}, false, nil
}

// briefEntry is the ObjectMeta of the area entry name of st's key from
// its listing fields; ok is false when it is gone or not a regular file
// (the caller then reads it as before).
func (s *Store) briefEntry(st *vstate, name string) (m ObjectMeta, ok bool, err error) {
	w := walker{s: s, bucket: st.bucket, brief: true}
	err = s.root.at("list", st.vdir+"/"+name, func(dfd int, base string) error {
		m, ok, err = w.briefLoad(dfd, base, nil, -1)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	return m, ok, err
}
