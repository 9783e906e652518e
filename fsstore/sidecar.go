package fsstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"syscall"
	"time"
)

// sidecarGrace protects records of uploads still in flight (staged but not
// yet published) from pruning by other writers of the same key.
const sidecarGrace = 10 * time.Minute

// sidecarMeta is the fallback for filesystems without user xattrs. Each key
// has a directory .caddys3/meta/<h[:2]>/<h> (h = hex SHA-256 of
// bucket NUL key, so names never collide with keys or exceed NAME_MAX)
// holding one record per data-file inode, named by the inode number, plus
// "marker" for folder markers. A record carries the inode, size and mtime
// of the file it describes: a reader fstat()s its open fd and only accepts
// the record that matches, so a concurrent overwrite can never pair new
// metadata with old bytes. Records are written before the data file is
// published; stale ones are pruned after a grace period.
type sidecarMeta struct{ s *Store }

type sidecarRecord struct {
	ID     fileID     `json:"id"`
	Bucket string     `json:"b"`
	Key    string     `json:"k"`
	Meta   metaRecord `json:"m"`
}

const markerRecord = "marker"

func sidecarDir(bucket, key string) string {
	h := sha256.Sum256([]byte(bucket + "\x00" + key))
	x := hex.EncodeToString(h[:])
	return metaDir + "/" + x[:2] + "/" + x
}

func inoName(id fileID) string { return strconv.FormatUint(id.Ino, 10) }

func (m *sidecarMeta) write(bucket, key, name string, rec sidecarRecord, exclusive bool) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	dir := sidecarDir(bucket, key)
	for attempt := 0; ; attempt++ {
		err := m.s.mkdirAll(dir) // syncgroup.go
		if err == nil {
			err = m.s.writeAtomic(dir+"/"+name, b, exclusive)
			if errors.Is(err, fs.ErrExist) {
				return err // exclusive and the record exists
			}
		}
		if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist)) && attempt < publishAttempts {
			continue // dir pruned by a concurrent delete
		}
		return storageErr(err)
	}
}

func (m *sidecarMeta) read(bucket, key, name string) (sidecarRecord, bool, error) {
	var rec sidecarRecord
	b, err := m.s.root.ReadFile(sidecarDir(bucket, key) + "/" + name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	if json.Unmarshal(b, &rec) != nil {
		return rec, false, nil
	}
	return rec, true, nil
}

// prune removes records other than keep (and the marker) older than the
// grace period, then the key's directory if it became empty.
func (m *sidecarMeta) prune(bucket, key, keep string) {
	dir := sidecarDir(bucket, key)
	d, err := m.s.root.Open(dir)
	if err != nil {
		return
	}
	ents, _ := d.ReadDir(-1)
	d.Close()
	cutoff := time.Now().Add(-sidecarGrace)
	left := 0
	for _, e := range ents {
		if e.Name() != keep && e.Name() != markerRecord {
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
				if m.s.root.Remove(dir+"/"+e.Name()) == nil {
					continue
				}
			}
		}
		left++
	}
	if left == 0 {
		m.s.root.Remove(dir) // fails harmlessly if a writer just added one
	}
}

func (m *sidecarMeta) stage(_ int, id fileID, bucket, key string, rec *metaRecord) error {
	return m.write(bucket, key, inoName(id), sidecarRecord{ID: id, Bucket: bucket, Key: key, Meta: *rec}, false)
}

func (m *sidecarMeta) unstage(id fileID, bucket, key string) {
	m.s.root.Remove(sidecarDir(bucket, key) + "/" + inoName(id))
}

func (m *sidecarMeta) published(id fileID, bucket, key string) {
	m.prune(bucket, key, inoName(id))
}

func (m *sidecarMeta) load(_ int, id fileID, bucket, key string) (metaRecord, bool, error) {
	rec, ok, err := m.read(bucket, key, inoName(id))
	if !ok || err != nil || rec.ID != id {
		return metaRecord{}, false, err
	}
	return rec.Meta, true, nil
}

func (m *sidecarMeta) removed(id fileID, bucket, key string) {
	m.s.root.Remove(sidecarDir(bucket, key) + "/" + inoName(id))
	m.prune(bucket, key, "")
}

func (m *sidecarMeta) forget(bucket, key string) {
	m.s.root.RemoveAll(sidecarDir(bucket, key))
}

func (m *sidecarMeta) setMarker(_ int, dirIno uint64, bucket, key string, rec *metaRecord, exclusive bool) error {
	sr := sidecarRecord{ID: fileID{Ino: dirIno}, Bucket: bucket, Key: key, Meta: *rec}
	err := m.write(bucket, key, markerRecord, sr, exclusive)
	if exclusive && errors.Is(err, fs.ErrExist) {
		if old, ok, _ := m.read(bucket, key, markerRecord); ok && old.ID.Ino == dirIno {
			return ErrPreconditionFailed
		}
		// A stale record of a directory that no longer exists.
		m.s.root.Remove(sidecarDir(bucket, key) + "/" + markerRecord)
		err = m.write(bucket, key, markerRecord, sr, true)
		if errors.Is(err, fs.ErrExist) {
			return ErrPreconditionFailed
		}
	}
	return err
}

func (m *sidecarMeta) loadMarker(_ int, dirIno uint64, bucket, key string) (metaRecord, bool, error) {
	rec, ok, err := m.read(bucket, key, markerRecord)
	if !ok || err != nil || rec.ID.Ino != dirIno {
		return metaRecord{}, false, err
	}
	return rec.Meta, true, nil
}

func (m *sidecarMeta) removeMarker(_ int, bucket, key string) error {
	err := m.s.root.Remove(sidecarDir(bucket, key) + "/" + markerRecord)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	m.prune(bucket, key, "")
	return nil
}
