package fsstore

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// xattrName holds an object's metadata on its data file (or marker
// directory).
const xattrName = "user.caddys3"

// metaRecord is the stored form of ObjectMeta: compact JSON with short
// names. Size and LastModified come from fstat of the data file, so they
// cannot disagree with the bytes; only markers (directories, whose mtime
// moves with their children) store their time.
type metaRecord struct {
	ETag               string            `json:"e,omitempty"`
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	UserMeta           map[string]string `json:"um,omitempty"`
	Checksums          map[string]string `json:"ck,omitempty"`
	ChecksumAlgorithm  string            `json:"ca,omitempty"`
	ChecksumType       string            `json:"cy,omitempty"`
	Owner              string            `json:"o,omitempty"`
	ACL                json.RawMessage   `json:"a,omitempty"`
	MTime              int64             `json:"mt,omitempty"` // markers: unix seconds
	// V is the name of the version's entry in the version area (see
	// versions.go), "" for an object written while the bucket was never
	// versioned (the null version); DM marks a delete marker.
	V  string `json:"v,omitempty"`
	DM bool   `json:"dm,omitempty"`
	// Tags: the version's tag set (tags.go).
	Tags map[string]string `json:"tg,omitempty"`
	// Object lock (retention.go): the version's retention and legal hold.
	LK *lockRecord `json:"lk,omitempty"`
	LH string      `json:"lh,omitempty"`
	// PT is the part list of a multipart object (parts_record.go).
	PT *partsRecord `json:"pt,omitempty"`
	// SE: how the data file is sealed (sse.go); nil for a plain file.
	SE *Encryption `json:"se,omitempty"`
}

func recordOf(m *ObjectMeta) metaRecord {
	return metaRecord{
		ETag:               m.ETag,
		ContentType:        m.ContentType,
		ContentEncoding:    m.ContentEncoding,
		ContentDisposition: m.ContentDisposition,
		ContentLanguage:    m.ContentLanguage,
		CacheControl:       m.CacheControl,
		Expires:            m.Expires,
		UserMeta:           m.UserMeta,
		Checksums:          m.Checksums,
		ChecksumAlgorithm:  m.ChecksumAlgorithm,
		ChecksumType:       m.ChecksumType,
		Owner:              m.Owner,
		ACL:                m.ACL,
		Tags:               m.Tags,
		LK:                 lockRecordOf(m),
		LH:                 m.LegalHold,
		PT:                 m.parts,
		SE:                 m.Encryption,
	}
}

func (r *metaRecord) meta(size int64, mtime int64) ObjectMeta {
	return ObjectMeta{
		Size:               r.SE.sizeOf(size),
		ETag:               r.ETag,
		LastModified:       time.Unix(mtime, 0).UTC(),
		ContentType:        r.ContentType,
		ContentEncoding:    r.ContentEncoding,
		ContentDisposition: r.ContentDisposition,
		ContentLanguage:    r.ContentLanguage,
		CacheControl:       r.CacheControl,
		Expires:            r.Expires,
		UserMeta:           r.UserMeta,
		Checksums:          r.Checksums,
		ChecksumAlgorithm:  r.ChecksumAlgorithm,
		ChecksumType:       r.ChecksumType,
		Owner:              r.Owner,
		ACL:                r.ACL,
		VersionID:          exposedID(r.V),
		DeleteMarker:       r.DM,
		Tags:               r.Tags,
		LockMode:           r.LK.mode(),
		LockUntil:          r.LK.until(),
		LegalHold:          r.LH,
		parts:              r.PT,
		Encryption:         r.SE,
	}
}

// fileID identifies one version of a data file: a sidecar written for
// another inode, or before the file changed, does not match.
type fileID struct {
	Ino   uint64 `json:"i"`
	Size  int64  `json:"s"`
	MTime int64  `json:"m"` // unix nanoseconds
}

func statID(fd int) (fileID, uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileID{}, 0, err
	}
	return fileID{Ino: st.Ino, Size: st.Size, MTime: st.Mtim.Nano()}, st.Mode & unix.S_IFMT, nil
}

// metaStore keeps object metadata so that it always describes the bytes a
// reader has open. Data files are identified by an open fd plus its fileID;
// markers by the open directory.
type metaStore interface {
	// stage attaches rec to the unpublished temp file fd/id for key.
	stage(fd int, id fileID, bucket, key string, rec *metaRecord) error
	// unstage undoes stage after the publish failed.
	unstage(id fileID, bucket, key string)
	// published runs after id was published at key.
	published(id fileID, bucket, key string)
	// load returns the record of the open data file; ok is false when it has
	// none (a file dropped in by hand, a crashed sidecar writer).
	load(fd int, id fileID, bucket, key string) (rec metaRecord, ok bool, err error)
	// removed runs after the data file id was unlinked from key.
	removed(id fileID, bucket, key string)
	// forget drops every record of key, whose data files are gone for good
	// (the parts of a finished multipart upload).
	forget(bucket, key string)

	// setMarker gives the open directory fd marker metadata; with exclusive
	// it fails with ErrPreconditionFailed if the marker exists.
	setMarker(fd int, dirIno uint64, bucket, key string, rec *metaRecord, exclusive bool) error
	loadMarker(fd int, dirIno uint64, bucket, key string) (rec metaRecord, ok bool, err error)
	removeMarker(fd int, bucket, key string) error
}

// xattrMeta keeps metadata in the user.caddys3 xattr of the data file
// itself, set on the temp file before publishing, so the rename publishes
// bytes and metadata together.
type xattrMeta struct {
	bufs *sync.Pool // *[]byte read buffers: listings read one xattr per key
}

func newXattrMeta() *xattrMeta {
	return &xattrMeta{bufs: &sync.Pool{New: func() any { b := make([]byte, 1024); return &b }}}
}

func (*xattrMeta) stage(fd int, _ fileID, _, _ string, rec *metaRecord) error {
	return setXattr(fd, rec, 0)
}

func (*xattrMeta) unstage(fileID, string, string)   {}
func (*xattrMeta) published(fileID, string, string) {}
func (*xattrMeta) removed(fileID, string, string)   {}
func (*xattrMeta) forget(string, string)            {}

func (x *xattrMeta) load(fd int, _ fileID, _, _ string) (metaRecord, bool, error) {
	return x.get(fd)
}

func (*xattrMeta) setMarker(fd int, _ uint64, _, _ string, rec *metaRecord, exclusive bool) error {
	flags := 0
	if exclusive {
		flags = unix.XATTR_CREATE
	}
	err := setXattr(fd, rec, flags)
	if exclusive && errors.Is(err, unix.EEXIST) {
		return ErrPreconditionFailed
	}
	return err
}

func (x *xattrMeta) loadMarker(fd int, _ uint64, _, _ string) (metaRecord, bool, error) {
	return x.get(fd)
}

func (*xattrMeta) removeMarker(fd int, _, _ string) error {
	err := unix.Fremovexattr(fd, xattrName)
	if errors.Is(err, unix.ENODATA) {
		return nil
	}
	return err
}

func setXattr(fd int, rec *metaRecord, flags int) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return storageErr(unix.Fsetxattr(fd, xattrName, b, flags))
}

func (x *xattrMeta) get(fd int) (metaRecord, bool, error) {
	var rec metaRecord
	bp := x.bufs.Get().(*[]byte)
	defer x.bufs.Put(bp)
	for {
		n, err := unix.Fgetxattr(fd, xattrName, *bp)
		switch {
		case errors.Is(err, unix.ERANGE):
			if n, err = unix.Fgetxattr(fd, xattrName, nil); err != nil {
				return rec, false, err
			}
			*bp = make([]byte, n+64)
			continue
		case errors.Is(err, unix.ENODATA):
			return rec, false, nil
		case err != nil:
			return rec, false, err
		}
		if err := json.Unmarshal((*bp)[:n], &rec); err != nil {
			return rec, false, nil // unreadable: treat as absent
		}
		return rec, true, nil
	}
}
