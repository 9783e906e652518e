package fsstore

import (
	"os"
	"unique"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sys/unix"
)

// Listing fields cache.
//
// A ListObjects page names each key's size, ETag, mtime, checksum
// algorithm and type, and (fetch-owner) owner. Size and mtime come from
// the data file's stat; the rest sits in its metadata record, whose read
// (open, fstat, fgetxattr, close and a JSON decode) is most of what a
// listed key costs. So a page that only needs these fields (a brief
// listing, ListOptions.Brief) keeps the listing part of each record in a
// per-Store LRU keyed by the data file's device and inode, and reads a key
// with one fstatat(2) of its name instead.
//
// Validation. An entry carries the file's ctime, size and mtime (ns) from
// the fstat that preceded the read of its record, and is used only while a
// fresh fstatat of the name still shows that inode with those three
// values. Every change to the file changes its ctime: writing its bytes,
// setxattr(2) (the store's in-place rewrites of a record: ACL, tags,
// retention, a version's id, repair; and any by hand), chmod, a link
// count change. A name that now points to another file (every store write
// publishes a new inode by rename or link) has another inode, or, if the
// inode number was reused, a ctime at least as new as its creation. As in
// listcache.go, ctimes are coarse, so an entry is kept only when the
// file's ctime is strictly older than a filesystem clock reading taken
// before its record was read: any later change then gets a later ctime.
//
// Bound. Locally a listing reflects every change completed before its
// page's fstatat of the key. Over NFS, stat(2) of a file may be answered
// from the client's attribute cache, which open(2) would have revalidated:
// a record rewritten in place by another node (an ACL or tag change, or a
// file edited by hand) may list its old fields for up to the attribute
// cache time (acregmax, 60 s by default; actimeo=1 makes it 1 s) — the
// same lag docs/nfs.md states for listings. A key replaced by another node
// is a new inode behind a changed directory, which the walk revalidates by
// opening it, so it is never listed with the old object's fields.
//
// Only the xattr metadata store uses the cache: a sidecar record is
// rewritten without touching the data file's ctime.
const defaultListFieldsEntries = 128 << 10

type fileKey struct{ dev, ino uint64 }

// listedFile is the listing part of one data file's record, valid while
// the file's stat shows ctime, size and mtime.
type listedFile struct {
	ctime, size, mtime int64
	rec                *listedRecord
}

// listedRecord is the part of a metaRecord a brief listing shows. Owners
// are interned: a bucket's keys mostly share one.
type listedRecord struct {
	etag, checksumAlgorithm, checksumType, owner, v string
	checksums                                       map[string]string
	se                                              *Encryption
	dm                                              bool
}

func listedRecordOf(rec *metaRecord) *listedRecord {
	return &listedRecord{
		etag: rec.ETag, checksumAlgorithm: rec.ChecksumAlgorithm, checksumType: rec.ChecksumType,
		owner: unique.Make(rec.Owner).Value(), v: rec.V, checksums: rec.Checksums, se: rec.SE, dm: rec.DM,
	}
}

// record is the metaRecord holding only r's fields.
func (r *listedRecord) record() metaRecord {
	return metaRecord{ETag: r.etag, Checksums: r.checksums, ChecksumAlgorithm: r.checksumAlgorithm,
		ChecksumType: r.checksumType, Owner: r.owner, V: r.v, DM: r.dm, SE: r.se}
}

// meta is the ObjectMeta of a file of this size and mtime (unix seconds).
func (r *listedRecord) meta(size, mtime int64) ObjectMeta {
	rec := r.record()
	return rec.meta(size, mtime)
}

// listFields is the cache; nil when disabled.
type listFields struct {
	lru *lru.Cache[fileKey, listedFile]
}

// newListFieldsFor is the cache for the metadata store m with room for
// entries files (0: the default; negative: none).
func newListFieldsFor(m metaStore, entries int) *listFields {
	if _, ok := m.(*xattrMeta); !ok || entries < 0 {
		return nil
	}
	if entries == 0 {
		entries = defaultListFieldsEntries
	}
	c, err := lru.New[fileKey, listedFile](entries)
	if err != nil {
		return nil // only for a size < 1, excluded above
	}
	return &listFields{lru: c}
}

// valid is the cached listing part of the file whose stat is st, nil
// unless cached with st's ctime, size and mtime.
func (c *listFields) valid(st *unix.Stat_t) *listedRecord {
	e, ok := c.lru.Get(fileKey{dev: st.Dev, ino: st.Ino})
	if ok && e.ctime == st.Ctim.Nano() && e.size == st.Size && e.mtime == st.Mtim.Nano() {
		return e.rec
	}
	return nil
}

// briefLoad reads the listing fields of the regular file name in the
// directory dfd, from the cache when the file is unchanged; ok is false
// when it vanished or is not a regular file. pre, if not nil, is the
// name's fstatat issued ahead during this page (liststat.go); rdir is
// the directory's index in w.rec.
func (w *walker) briefLoad(dfd int, name string, pre *statResult, rdir int32) (ObjectMeta, bool, error) {
	var st unix.Stat_t
	var err error
	if pre != nil {
		st, err = pre.stat(), pre.err
	} else {
		err = unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		w.rec.fail()
		if goneDir(err) {
			return ObjectMeta{}, false, nil
		}
		return ObjectMeta{}, false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		w.rec.fail()
		return ObjectMeta{}, false, nil
	}
	if r := w.s.listFields.valid(&st); r != nil {
		w.rec.file(rdir, name, &st)
		return r.meta(st.Size, st.Mtim.Sec), true, nil
	}
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		w.rec.fail()
		if goneDir(err) {
			return ObjectMeta{}, false, nil // deleted, or replaced by a symlink, since listed
		}
		return ObjectMeta{}, false, err
	}
	defer unix.Close(fd)
	r, err := w.s.listedFieldsOf(fd, w.bucket, &st)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		w.rec.fail()
		return ObjectMeta{}, false, err
	}
	w.rec.file(rdir, name, &st) // the fstat the record was read after
	return r.meta(st.Size, st.Mtim.Sec), true, nil
}

// listedFieldsOf reads the listing fields of the open file fd, from the
// cache when its fstat (left in st) shows it unchanged, else from its
// record, then cached when its stamp allows; nil for a file that is not
// a regular one.
func (s *Store) listedFieldsOf(fd int, bucket string, st *unix.Stat_t) (*listedRecord, error) {
	if err := unix.Fstat(fd, st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, nil
	}
	if r := s.listFields.valid(st); r != nil {
		return r, nil
	}
	if st.Ctim.Nano() >= s.listClock.now() {
		s.listClock.refresh(s) // a fresh file: a newer clock may let it be cached
	}
	clock := s.listClock.now() // read before the record, after the stat
	id := fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}
	rec, _, err := s.meta.load(fd, id, bucket, "")
	if err != nil {
		return nil, err
	}
	r := listedRecordOf(&rec)
	if st.Ctim.Nano() < clock {
		s.listFields.lru.Add(fileKey{dev: st.Dev, ino: st.Ino}, listedFile{ctime: st.Ctim.Nano(), size: st.Size, mtime: st.Mtim.Nano(), rec: r})
	}
	return r, nil
}

// dirFd is the descriptor of a directory the walk holds open (directories
// are never in non-blocking mode, so Fd changes nothing).
func dirFd(d *os.File) int { return int(d.Fd()) }
