package fsstore

import (
	"bytes"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

// bucketCacheSize and bucketCacheBytes bound the buckets whose decoded
// record a Store keeps and their records' bytes (a record holds up to a
// 20 KB policy and other documents; kept twice, raw and decoded); past
// either the cache starts over.
const (
	bucketCacheSize  = 4096
	bucketCacheBytes = 8 << 20
)

// recordBufSize is the read buffer of a bucket record: most records are a
// few hundred bytes; a larger one (a long policy) grows its buffer.
const recordBufSize = 8 << 10

// bucketCache keeps each bucket's decoded record with the bytes it was
// decoded from. Every use still opens and reads the record file, so it
// sees exactly what an uncached read would (on NFS, open revalidates the
// file: close-to-open); what it saves is the JSON decode and its
// allocations, and, by reading with a raw fd, os.File's fcntl, fstat and
// the second read to EOF. Validity is the record's content, not a stamp:
// every writer publishes a whole new record (rename or link of a temp
// file), and equal bytes decode to an equal record, so no inode reuse or
// coarse timestamp can make it serve a stale one.
type bucketCache struct {
	mu    sync.Mutex
	m     map[string]*cachedBucket // by bucket name
	bytes int                      // the records' raw bytes in m
	bufs  sync.Pool                // *[]byte read buffers
}

// cachedBucket is one bucket's record: raw its file's bytes, info their
// decoding (Name set). Both are shared and never changed.
type cachedBucket struct {
	raw  []byte
	info BucketInfo
}

// bucketInfo returns bucket name's record, from the cache when the file
// still holds the bytes it was decoded from. The documents in the result
// are shared with other callers: read them, never change them in place.
func (s *Store) bucketInfo(name string) (BucketInfo, error) {
	if !ValidBucketName(name) {
		return BucketInfo{}, ErrNoSuchBucket
	}
	c := &s.bucketCache
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, recordBufSize)
		bp = &b
	}
	defer c.bufs.Put(bp)
	raw, err := s.readRecordInto(name, bp)
	if err != nil {
		return BucketInfo{}, err
	}
	c.mu.Lock()
	e := c.m[name]
	c.mu.Unlock()
	if e == nil || !bytes.Equal(e.raw, raw) {
		if e, err = decodeBucket(name, raw); err != nil {
			return BucketInfo{}, err
		}
		c.put(name, e)
	}
	info := e.info
	if info.ObjectLock != nil {
		// The one document a caller might change through its pointer.
		lock := *info.ObjectLock
		info.ObjectLock = &lock
	}
	return info, nil
}

// put caches e as bucket name's record.
func (c *bucketCache) put(name string, e *cachedBucket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[name]; old != nil {
		c.bytes -= len(old.raw)
		delete(c.m, name)
	}
	if c.m == nil || len(c.m) >= bucketCacheSize || c.bytes+len(e.raw) > bucketCacheBytes/2 {
		c.m, c.bytes = make(map[string]*cachedBucket), 0
	}
	c.m[name] = e
	c.bytes += len(e.raw)
}

// decodeBucket decodes the record raw of bucket name into a cache entry
// that owns a copy of raw.
func decodeBucket(name string, raw []byte) (*cachedBucket, error) {
	rec, err := decodeRecord(name, raw)
	if err != nil {
		return nil, err
	}
	return &cachedBucket{raw: bytes.Clone(raw), info: rec.info(name)}, nil
}

// info is the record as the Store hands it out.
func (rec *bucketRecord) info(name string) BucketInfo {
	var policy []byte
	if rec.Policy != "" {
		policy = []byte(rec.Policy)
	}
	return BucketInfo{Name: name, Owner: rec.Owner, Created: rec.Created,
		ACL: rec.ACL, Policy: policy, CORS: rec.CORS, Versioning: rec.Versioning, Tags: rec.Tags,
		ObjectLock: rec.ObjectLock, Ownership: rec.Ownership, PublicAccess: rec.PublicAccess, Encryption: rec.Encryption,
		Quota: rec.Quota, Lifecycle: rec.Lifecycle}
}

// readRecordInto reads bucket name's record file whole into *bp (grown
// as needed) through a raw fd: openat2 (or the O_NOFOLLOW walk), reads,
// close. A read shorter than the buffer is the end of the file, as for
// every regular file; only a record that fills the buffer costs another
// read.
func (s *Store) readRecordInto(name string, bp *[]byte) ([]byte, error) {
	path := recordPath(name)
	fd, err := s.root.openat(path, unix.O_RDONLY, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, ErrNoSuchBucket
	}
	if err != nil {
		return nil, pathErr("openat", path, err)
	}
	defer unix.Close(fd)
	buf, n := *bp, 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, pathErr("read", path, err)
		}
		n += m
		if m == 0 || n < len(buf) {
			return buf[:n], nil
		}
		buf = append(buf, 0) // grow
		buf = buf[:cap(buf)]
		*bp = buf
	}
}
