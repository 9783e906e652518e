package fsstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// On-disk listing index.
//
// The memory cache of listcache.go makes every page after the first cheap,
// but the first page on a node (after a start, on another node, or after
// the directory changed) reads and sorts the whole directory: about a
// second for a million entries. So the sorted listing of a large directory
// (listIndexMinEntries or more entries) is also written to
// .caddys3/listidx/<bucket>/<sha256 of its cache key>, and a node whose
// memory cache misses loads that file instead of reading the directory —
// if the stamp recorded in it equals the directory's stamp now.
//
// Never stale: a listing is written only when the memory cache would keep
// it (its stamp passed the racy-ctime guard, see listcache.go), so any
// later change of the directory gives it another stamp, on every node.
// The file's stamp is compared field by field with the fstat of the
// directory the walk opened, exactly as the memory cache does, but without
// st_dev: NFS and FUSE clients number the same filesystem differently, and
// an index usable by one node only would be pointless. Leaving it out is
// safe because the file sits at the hash of the directory's path: another
// directory at that path on the same filesystem has another inode, or the
// same inode number reused with a later ctime; one on another filesystem
// mounted there would have to match inode, size, link count and both
// timestamps to the nanosecond.
//
// Crash and foreign files: the file is published by rename from a temp
// file (never fsynced: it is a cache) and carries a magic, a format
// version, the stamp, its counts and a CRC-32C of everything before it. A
// torn, truncated or foreign file fails a check and is ignored (the
// directory is read and the file rewritten); sizes are checked against the
// file's length and the memory cache's size before anything is allocated.
//
// Housekeeping: a file whose directory changed is rewritten by the next
// listing that reads the directory (memory misses only, not every page),
// or removed when the directory has become small. DeleteBucket removes the
// bucket's folder. What remains: the file of a large directory that was
// later removed whole stays until its path is listed again or the bucket
// is deleted (at most one file per path that once held a large directory).
const (
	listIdxDir          = internalDir + "/listidx"
	listIndexMinEntries = 10_000
	listIndexVersion    = 1
	listIndexHeaderSize = 72 // binary.Size(listIndexHeader{})
	// listIndexHasByName flags a stored byName array (version areas).
	listIndexHasByName = 1
)

// listIndexMagic opens every index file.
var listIndexMagic = [8]byte{'c', 'a', 'd', 'd', 'y', 's', '3', 'L'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// listIndexPath is the index file of the directory cached under key.
func listIndexPath(bucket, key string) string {
	h := sha256.Sum256([]byte(key))
	return listIdxDir + "/" + bucket + "/" + hex.EncodeToString(h[:16])
}

// listIndexHeader is the fixed part of an index file, little endian.
type listIndexHeader struct {
	Magic                 [8]byte
	Version, Flags        uint32
	Ino, Nlink            uint64
	Size, MTime, CTime    int64
	N, NEsc, NByName, Buf uint32
}

func (h *listIndexHeader) stamp() dirStamp {
	return dirStamp{ino: h.Ino, nlink: h.Nlink, size: h.Size, mtime: h.MTime, ctime: h.CTime}
}

// bodySize is the length of the arrays and names after the header.
func (h *listIndexHeader) bodySize() int64 {
	return 4*(int64(h.N)+1+int64(h.NEsc)+int64(h.NByName)) + int64(h.Buf)
}

// diskStamp is the part of a stamp that is the same on every node.
func diskStamp(s dirStamp) dirStamp { s.dev = 0; return s }

// loadListIndex returns the listing of the directory whose stamp is now,
// cached under key, from its index file; nil if there is none or it does
// not match. found reports that a file was there (then stale or broken).
func (s *Store) loadListIndex(bucket, key string, now dirStamp) (l *dirList, found bool) {
	f, err := s.root.OpenFile(listIndexPath(bucket, key), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	l, err = s.readListIndex(f, now)
	if err != nil {
		return nil, true
	}
	l.stamp = now
	return l, true
}

// errListIndex: an index file is stale, torn or not one.
var errListIndex = errors.New("fsstore: listing index does not match")

// readListIndex decodes the index file f if it records the stamp now.
func (s *Store) readListIndex(f *os.File, now dirStamp) (*dirList, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var hb [listIndexHeaderSize]byte
	if _, err := io.ReadFull(f, hb[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errListIndex, err)
	}
	var h listIndexHeader
	if _, err := binary.Decode(hb[:], binary.LittleEndian, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errListIndex, err)
	}
	switch {
	case h.Magic != listIndexMagic || h.Version != listIndexVersion:
		return nil, fmt.Errorf("%w: not an index of this version", errListIndex)
	case h.stamp() != diskStamp(now):
		return nil, fmt.Errorf("%w: directory changed", errListIndex)
	case fi.Size() != listIndexHeaderSize+h.bodySize()+4:
		return nil, fmt.Errorf("%w: %d bytes, header says %d", errListIndex, fi.Size(), listIndexHeaderSize+h.bodySize()+4)
	case fi.Size() > s.listCache.max:
		return nil, fmt.Errorf("%w: larger than the listing cache", errListIndex)
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	return decodeListIndex(&h, crc32.Checksum(hb[:], castagnoli), f, *bp)
}

// decodeListIndex reads the body and checksum of an index whose header is
// h (crc: the header's CRC-32C) from r into a listing, through chunk: each
// byte is copied once, into the listing (a fresh process pays a page
// fault for every new page it touches, so a whole-file buffer would
// double the cost). Offsets and indices that do not fit are refused.
func decodeListIndex(h *listIndexHeader, crc uint32, r io.Reader, chunk []byte) (*dirList, error) {
	read := func(n int) ([]byte, error) {
		if _, err := io.ReadFull(r, chunk[:n]); err != nil {
			return nil, fmt.Errorf("%w: %v", errListIndex, err)
		}
		crc = crc32.Update(crc, castagnoli, chunk[:n])
		return chunk[:n], nil
	}
	u32s := func(count int) ([]uint32, error) {
		a := make([]uint32, count)
		for done := 0; done < count; {
			b, err := read(4 * min(count-done, len(chunk)/4))
			if err != nil {
				return nil, err
			}
			for i := 0; i < len(b); i += 4 {
				a[done] = binary.LittleEndian.Uint32(b[i:])
				done++
			}
		}
		return a, nil
	}
	n := int(h.N)
	l := &dirList{}
	var err error
	if l.off, err = u32s(n + 1); err != nil {
		return nil, err
	}
	if h.NEsc > 0 {
		if l.esc, err = u32s(int(h.NEsc)); err != nil {
			return nil, err
		}
	}
	byName, err := u32s(int(h.NByName))
	if err != nil {
		return nil, err
	}
	if h.Flags&listIndexHasByName != 0 {
		l.byName = byName
	}
	var names strings.Builder
	names.Grow(int(h.Buf))
	for rest := int(h.Buf); rest > 0; {
		b, err := read(min(rest, len(chunk)))
		if err != nil {
			return nil, err
		}
		names.Write(b)
		rest -= len(b)
	}
	l.buf = names.String()
	want := crc
	if b, err := read(4); err != nil || binary.LittleEndian.Uint32(b) != want {
		return nil, fmt.Errorf("%w: checksum", errListIndex)
	}
	if l.off[0] != 0 || l.off[n] != h.Buf {
		return nil, fmt.Errorf("%w: offsets", errListIndex)
	}
	for i := range n {
		if l.off[i] > l.off[i+1] {
			return nil, fmt.Errorf("%w: offsets", errListIndex)
		}
	}
	for i, e := range l.esc {
		if int(e) >= n || i > 0 && e <= l.esc[i-1] {
			return nil, fmt.Errorf("%w: escapes", errListIndex)
		}
	}
	for _, e := range l.byName {
		if int(e) >= n {
			return nil, fmt.Errorf("%w: names", errListIndex)
		}
	}
	return l, nil
}

// encodeListIndex is the index file of l.
func encodeListIndex(l *dirList) []byte {
	h := listIndexHeader{Magic: listIndexMagic, Version: listIndexVersion,
		Ino: l.stamp.ino, Nlink: l.stamp.nlink, Size: l.stamp.size, MTime: l.stamp.mtime, CTime: l.stamp.ctime,
		N: uint32(l.len()), NEsc: uint32(len(l.esc)), NByName: uint32(len(l.byName)), Buf: uint32(len(l.buf))}
	if l.byName != nil {
		h.Flags |= listIndexHasByName
	}
	out := make([]byte, 0, listIndexHeaderSize+h.bodySize()+4)
	out, _ = binary.Append(out, binary.LittleEndian, &h)
	for _, a := range [][]uint32{l.off, l.esc, l.byName} {
		for _, v := range a {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	out = append(out, l.buf...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// saveListIndex writes (or, for a listing too small to index, removes) the
// index of the directory cached under key, whose listing l just read from
// the directory passed the racy-ctime guard; hadFile says an index file
// was found for it. Failures are ignored: the index is only a cache.
func (s *Store) saveListIndex(bucket, key string, l *dirList, hadFile bool) {
	name := listIndexPath(bucket, key)
	if l.len() < s.listIndexMin || l.cost() > s.listCache.max {
		if hadFile {
			s.root.Remove(name)
		}
		return
	}
	data := encodeListIndex(l)
	err := s.writeAtomic(name, data, false)
	if errors.Is(err, fs.ErrNotExist) {
		if s.root.MkdirAll(parentOf(name), 0o755) == nil {
			s.writeAtomic(name, data, false)
		}
	}
}
