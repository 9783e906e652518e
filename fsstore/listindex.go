package fsstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
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
// version, the stamp, its counts and block table under one CRC-32C, and
// a CRC-32C in each block of names. A torn, truncated or foreign file
// fails a check and is ignored (the directory is read and the file
// rewritten); sizes are checked against the file's length and the memory
// cache's size before anything is allocated. A page served straight from
// the blocks (listpage.go) checks every block it reads, and a bad one
// sends it down the same path.
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
	// listIndexVersion 2 stores the names in checksummed blocks behind a
	// block table, so that a page reads only its blocks (listpage.go).
	// Version 1 (one checksum over the whole file) is not read: such a
	// file fails the version check and is rewritten as version 2 by the
	// next listing that reads the directory.
	listIndexVersion    = 2
	listIndexHeaderSize = 80 // binary.Size(listIndexHeader{})
	// listIndexHasByName flags a stored byName array (version areas).
	listIndexHasByName = 1
	// listIndexBlockBytes is the size at which a block is closed: about
	// 2,500 names of 8 bytes, so a page of 1,000 keys reads one or two.
	listIndexBlockBytes = 32 << 10
	// listIndexHeadRead is what the first read of a file asks for: the
	// header and a block table of up to about 1,000 blocks.
	listIndexHeadRead = 32 << 10
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
//
// Layout of a version 2 file: the header; the block table (TableLen
// bytes: for each block the index of its first entry (u32), its length in
// bytes (u32) and its first sort key (u16 length, bytes)); a CRC-32C of
// header and table; the blocks, one after another; and, when
// listIndexHasByName is set, NByName u32 indices and their CRC-32C. A
// block holds its entries' offsets into its names (count+1 u32, from 0),
// its escape count and the ascending indices, within the block, of its
// escaped entries (u32 each), the names, and a CRC-32C of the block.
type listIndexHeader struct {
	Magic                 [8]byte
	Version, Flags        uint32
	Ino, Nlink            uint64
	Size, MTime, CTime    int64
	N, NEsc, NByName, Buf uint32
	NBlocks, TableLen     uint32
}

func (h *listIndexHeader) stamp() dirStamp {
	return dirStamp{ino: h.Ino, nlink: h.Nlink, size: h.Size, mtime: h.MTime, ctime: h.CTime}
}

// diskStamp is the part of a stamp that is the same on every node.
func diskStamp(s dirStamp) dirStamp { s.dev = 0; return s }

// errListIndex: an index file is stale, torn or not one.
var errListIndex = errors.New("fsstore: listing index does not match")

// indexBlock is one entry of the block table.
type indexBlock struct {
	first, n int    // index of its first entry, and its entry count
	off, len int64  // where it is in the file, and its length
	firstKey string // its first sort key
}

// listIndexFile is an open index file whose header, stamp and block
// table were checked.
type listIndexFile struct {
	f      *os.File
	h      listIndexHeader
	blocks []indexBlock
	byName int64 // offset of the byName section
}

// openListIndex opens the index file of the directory cached under key
// and checks it against the directory's stamp now; found reports that a
// file was there (then stale or broken if x is nil). The caller closes
// x.f.
func (s *Store) openListIndex(bucket, key string, now dirStamp) (x *listIndexFile, found bool) {
	f, err := s.root.OpenFile(listIndexPath(bucket, key), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	x, err = readListIndexHead(f, now, s.listCache.max)
	if err != nil {
		f.Close()
		return nil, true
	}
	return x, true
}

// readListIndexHead reads and checks the header and block table of the
// index file f for the stamp now; files larger than limit are refused.
func readListIndexHead(f *os.File, now dirStamp, limit int64) (*listIndexFile, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size > limit {
		return nil, fmt.Errorf("%w: larger than the listing cache", errListIndex)
	}
	head := make([]byte, min(size, listIndexHeadRead))
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errListIndex, err)
	}
	x := &listIndexFile{f: f}
	h := &x.h
	if _, err := binary.Decode(head, binary.LittleEndian, h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errListIndex, err)
	}
	switch {
	case h.Magic != listIndexMagic || h.Version != listIndexVersion:
		return nil, fmt.Errorf("%w: not an index of this version", errListIndex)
	case h.stamp() != diskStamp(now):
		return nil, fmt.Errorf("%w: directory changed", errListIndex)
	case int64(h.TableLen) > size-listIndexHeaderSize-4:
		return nil, fmt.Errorf("%w: block table past the end", errListIndex)
	}
	if tableEnd := listIndexHeaderSize + int(h.TableLen) + 4; tableEnd > len(head) {
		head = append(head, make([]byte, tableEnd-len(head))...)
		if _, err := f.ReadAt(head[listIndexHeaderSize:], listIndexHeaderSize); err != nil {
			return nil, fmt.Errorf("%w: block table: %v", errListIndex, err)
		}
	}
	table := head[listIndexHeaderSize : listIndexHeaderSize+h.TableLen]
	if crc32.Checksum(head[:listIndexHeaderSize+h.TableLen], castagnoli) != binary.LittleEndian.Uint32(head[listIndexHeaderSize+h.TableLen:]) {
		return nil, fmt.Errorf("%w: block table checksum", errListIndex)
	}
	if x.blocks, x.byName, err = parseBlockTable(h, table, listIndexHeaderSize+int64(h.TableLen)+4); err != nil {
		return nil, err
	}
	if want := x.byName + byNameSize(h); size != want {
		return nil, fmt.Errorf("%w: %d bytes, header says %d", errListIndex, size, want)
	}
	return x, nil
}

// byNameSize is the length of the byName section of a file with header h.
func byNameSize(h *listIndexHeader) int64 {
	if h.Flags&listIndexHasByName == 0 {
		return 0
	}
	return 4*int64(h.NByName) + 4
}

// parseBlockTable decodes the block table of a file with header h; the
// first block starts at off. It returns the blocks and where they end.
func parseBlockTable(h *listIndexHeader, table []byte, off int64) ([]indexBlock, int64, error) {
	bad := fmt.Errorf("%w: block table", errListIndex)
	if int(h.NBlocks) > len(table)/10 || h.N > 0 && h.NBlocks == 0 {
		return nil, 0, bad
	}
	blocks := make([]indexBlock, h.NBlocks)
	for i := range blocks {
		if len(table) < 10 {
			return nil, 0, bad
		}
		b := &blocks[i]
		b.first, b.len = int(binary.LittleEndian.Uint32(table)), int64(binary.LittleEndian.Uint32(table[4:]))
		kl := int(binary.LittleEndian.Uint16(table[8:]))
		if len(table) < 10+kl || b.first != 0 && i == 0 || i > 0 && b.first <= blocks[i-1].first || b.first >= int(h.N) {
			return nil, 0, bad
		}
		b.firstKey, table = string(table[10:10+kl]), table[10+kl:]
		b.off, off = off, off+b.len
		if i > 0 {
			blocks[i-1].n = b.first - blocks[i-1].first
		}
	}
	if len(blocks) > 0 {
		blocks[len(blocks)-1].n = int(h.N) - blocks[len(blocks)-1].first
	}
	if len(table) != 0 {
		return nil, 0, bad
	}
	return blocks, off, nil
}

// listBuilder assembles a listing from decoded blocks.
type listBuilder struct {
	names strings.Builder
	off   []uint32
	esc   []uint32
}

// addBlock checks block data (whose table entry is b) and appends its
// entries. Offsets and indices that do not fit are refused.
func (lb *listBuilder) addBlock(b *indexBlock, data []byte) error {
	bad := fmt.Errorf("%w: block at %d", errListIndex, b.off)
	n := b.n
	if len(data) < 4*(n+1)+8 {
		return bad
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(body):]) {
		return fmt.Errorf("%w: block at %d: checksum", errListIndex, b.off)
	}
	offs, rest := body[:4*(n+1)], body[4*(n+1):]
	nEsc := int(binary.LittleEndian.Uint32(rest))
	if nEsc > n || len(rest) < 4+4*nEsc {
		return bad
	}
	escs, names := rest[4:4+4*nEsc], rest[4+4*nEsc:]
	base, idx := uint32(lb.names.Len()), uint32(len(lb.off))
	prev := uint32(0)
	for i := range n + 1 {
		o := binary.LittleEndian.Uint32(offs[4*i:])
		if o < prev || i == 0 && o != 0 || i == n && int(o) != len(names) {
			return bad
		}
		if i < n {
			lb.off = append(lb.off, base+o)
		}
		prev = o
	}
	if n > 0 && string(names[:binary.LittleEndian.Uint32(offs[4:])]) != b.firstKey {
		return bad
	}
	for i := range nEsc {
		e := binary.LittleEndian.Uint32(escs[4*i:])
		if int(e) >= n || i > 0 && idx+e <= lb.esc[len(lb.esc)-1] {
			return bad
		}
		lb.esc = append(lb.esc, idx+e)
	}
	lb.names.Write(names)
	return nil
}

// list is the listing built, with stamp.
func (lb *listBuilder) list(stamp dirStamp) *dirList {
	l := &dirList{buf: lb.names.String(), off: append(lb.off, uint32(lb.names.Len())), stamp: stamp}
	if len(lb.esc) > 0 {
		l.esc = lb.esc
	}
	return l
}

// readBlocks reads blocks [from, to) of x, in reads of about len(chunk)
// bytes (or one read when a block is larger), into lb.
func (x *listIndexFile) readBlocks(lb *listBuilder, from, to int, chunk []byte) error {
	for from < to {
		end, span := from+1, x.blocks[from].len
		for end < to && span+x.blocks[end].len <= int64(len(chunk)) {
			span += x.blocks[end].len
			end++
		}
		buf := chunk
		if span > int64(len(buf)) {
			buf = make([]byte, span)
		}
		buf = buf[:span]
		if _, err := x.f.ReadAt(buf, x.blocks[from].off); err != nil {
			return fmt.Errorf("%w: %v", errListIndex, err)
		}
		for ; from < end; from++ {
			b := &x.blocks[from]
			if err := lb.addBlock(b, buf[:b.len]); err != nil {
				return err
			}
			buf = buf[b.len:]
		}
	}
	return nil
}

// loadListIndex returns the whole listing of the directory whose stamp is
// now, cached under key, from its index file; nil if there is none or it
// does not match. found reports that a file was there (then stale or
// broken).
func (s *Store) loadListIndex(bucket, key string, now dirStamp) (l *dirList, found bool) {
	x, found := s.openListIndex(bucket, key, now)
	if x == nil {
		return nil, found
	}
	defer x.f.Close()
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	l, err := x.readAll(*bp)
	if err != nil {
		return nil, true
	}
	l.stamp = now
	return l, true
}

// readAll reads every block and the byName section of x through chunk.
func (x *listIndexFile) readAll(chunk []byte) (*dirList, error) {
	h := &x.h
	lb := &listBuilder{off: make([]uint32, 0, int(h.N)+1)}
	lb.names.Grow(int(h.Buf))
	if err := x.readBlocks(lb, 0, len(x.blocks), chunk); err != nil {
		return nil, err
	}
	if lb.names.Len() != int(h.Buf) || len(lb.off) != int(h.N) || len(lb.esc) != int(h.NEsc) {
		return nil, fmt.Errorf("%w: counts", errListIndex)
	}
	l := lb.list(dirStamp{})
	if h.Flags&listIndexHasByName != 0 {
		b := make([]byte, byNameSize(h))
		if _, err := x.f.ReadAt(b, x.byName); err != nil {
			return nil, fmt.Errorf("%w: %v", errListIndex, err)
		}
		body := b[:len(b)-4]
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(body):]) {
			return nil, fmt.Errorf("%w: names checksum", errListIndex)
		}
		l.byName = make([]uint32, h.NByName)
		for i := range l.byName {
			if l.byName[i] = binary.LittleEndian.Uint32(body[4*i:]); l.byName[i] >= h.N {
				return nil, fmt.Errorf("%w: names", errListIndex)
			}
		}
	}
	return l, nil
}

// encodeListIndex is the index file of l, with blocks closed at
// blockBytes.
func encodeListIndex(l *dirList, blockBytes int) []byte {
	var table, blocks []byte
	nBlocks := 0
	for i, e := 0, 0; i < l.len(); nBlocks++ {
		start := len(blocks)
		j := i
		for j < l.len() && (j == i || int(l.off[j]-l.off[i])+4*(j-i) < blockBytes) {
			j++
		}
		for k := i; k <= j; k++ {
			blocks = binary.LittleEndian.AppendUint32(blocks, l.off[k]-l.off[i])
		}
		e0 := e
		for e < len(l.esc) && int(l.esc[e]) < j {
			e++
		}
		blocks = binary.LittleEndian.AppendUint32(blocks, uint32(e-e0))
		for _, x := range l.esc[e0:e] {
			blocks = binary.LittleEndian.AppendUint32(blocks, x-uint32(i))
		}
		blocks = append(blocks, l.buf[l.off[i]:l.off[j]]...)
		blocks = binary.LittleEndian.AppendUint32(blocks, crc32.Checksum(blocks[start:], castagnoli))
		table = binary.LittleEndian.AppendUint32(table, uint32(i))
		table = binary.LittleEndian.AppendUint32(table, uint32(len(blocks)-start))
		table = binary.LittleEndian.AppendUint16(table, uint16(len(l.at(i))))
		table = append(table, l.at(i)...)
		i = j
	}
	h := listIndexHeader{Magic: listIndexMagic, Version: listIndexVersion,
		Ino: l.stamp.ino, Nlink: l.stamp.nlink, Size: l.stamp.size, MTime: l.stamp.mtime, CTime: l.stamp.ctime,
		N: uint32(l.len()), NEsc: uint32(len(l.esc)), NByName: uint32(len(l.byName)), Buf: uint32(len(l.buf)),
		NBlocks: uint32(nBlocks), TableLen: uint32(len(table))}
	if l.byName != nil {
		h.Flags |= listIndexHasByName
	}
	out := make([]byte, 0, listIndexHeaderSize+len(table)+4+len(blocks)+int(byNameSize(&h)))
	out, _ = binary.Append(out, binary.LittleEndian, &h)
	out = append(out, table...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
	out = append(out, blocks...)
	if l.byName != nil {
		start := len(out)
		for _, v := range l.byName {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out[start:], castagnoli))
	}
	return out
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
	data := encodeListIndex(l, s.listIndexBlock)
	err := s.writeAtomic(name, data, false)
	if errors.Is(err, fs.ErrNotExist) {
		if s.root.MkdirAll(parentOf(name), 0o755) == nil {
			s.writeAtomic(name, data, false)
		}
	}
}
