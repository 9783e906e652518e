// Package sealed is the at-rest format of encrypted objects: a fixed
// header (which key wraps the object's own random data key) followed by
// the plaintext cut into 64 KiB packages, each sealed with AES-256-GCM on
// its own. A package's nonce carries the object's random prefix, the
// package's number and whether it is the last one, so a reordered,
// swapped, truncated or extended file fails to open instead of yielding
// wrong bytes, and a range read decrypts only the packages it touches.
// docs/encryption.md describes the layout byte by byte.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sizes of the format.
const (
	// PackageSize is the plaintext of every package but the last.
	PackageSize = 64 << 10
	// TagSize is GCM's tag, added to each package.
	TagSize = 16
	// KeySize is the size of data keys and of the keys that wrap them
	// (AES-256).
	KeySize = 32
	// MaxKeyID is the longest key id the header holds.
	MaxKeyID = 32

	magic         = "CS3SEAL\x01" // format version 1
	prefixSize    = 7
	wrapNonceSize = 12
	wrappedSize   = KeySize + TagSize
	offKind       = 8 // len(magic)
	offIDLen      = offKind + 1
	offID         = offIDLen + 1
	offPrefix     = offID + MaxKeyID
	offWrapNonce  = offPrefix + prefixSize
	offWrapped    = offWrapNonce + wrapNonceSize
	// HeaderSize is the fixed header before the first package.
	HeaderSize = offWrapped + wrappedSize
)

// Kind says what wraps an object's data key.
type Kind byte

const (
	// MasterKey: one of the operator's keys, named by the key id (SSE-S3,
	// SSE-KMS).
	MasterKey Kind = 'M'
	// CustomerKey: the key the client sends with every request (SSE-C);
	// the header names no key.
	CustomerKey Kind = 'C'
)

// Errors. Every failure to open or read a sealed file wraps one of them.
var (
	// ErrFormat: the file is not a sealed file, or its size cannot be one.
	ErrFormat = errors.New("sealed: not a sealed file")
	// ErrKey: the key given does not unwrap the object's data key.
	ErrKey = errors.New("sealed: wrong key")
	// ErrTampered: a package fails authentication (changed, moved,
	// truncated or extended data).
	ErrTampered = errors.New("sealed: package fails authentication")
)

// Header is what the first HeaderSize bytes of a sealed file hold.
type Header struct {
	Kind  Kind
	KeyID string // MasterKey: the wrapping key's id
	raw   [HeaderSize]byte
}

// PlainSize is the plaintext size of a sealed file of fileSize bytes; ok
// is false when no sealed file has that size.
func PlainSize(fileSize int64) (size int64, ok bool) {
	c := fileSize - HeaderSize
	if c < TagSize {
		return 0, false
	}
	n := (c + PackageSize + TagSize - 1) / (PackageSize + TagSize)
	last := c - (n-1)*(PackageSize+TagSize)
	if last < TagSize || n > 1 && last == TagSize {
		return 0, false
	}
	return c - n*TagSize, true
}

// SealedSize is the file size of size bytes of plaintext.
func SealedSize(size int64) int64 {
	n := (size + PackageSize - 1) / PackageSize
	if n == 0 {
		n = 1
	}
	return HeaderSize + size + n*TagSize
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealed: key of %d bytes, want %d", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	return cipher.NewGCM(b)
}

// nonce is package i's nonce: prefix ‖ i (big endian, 32 bits) ‖ final.
func nonce(dst *[12]byte, prefix []byte, i uint64, final bool) {
	copy(dst[:prefixSize], prefix)
	binary.BigEndian.PutUint32(dst[prefixSize:], uint32(i))
	dst[11] = 0
	if final {
		dst[11] = 1
	}
}

// maxPackages keeps the package counter within its 32 bits.
const maxPackages = 1 << 32

// Writer seals what is written to it. Close writes the last package; a
// Writer not closed leaves a file that fails to open (no final package).
type Writer struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix []byte
	buf    []byte // the pending package, capacity PackageSize+TagSize
	n      uint64 // packages written
	err    error
}

// NewWriter writes the header to w and returns a Writer sealing under a
// fresh random data key, itself sealed under kek (the key named keyID for
// MasterKey, the customer's key for CustomerKey).
func NewWriter(w io.Writer, kind Kind, keyID string, kek []byte) (*Writer, error) {
	if len(keyID) > MaxKeyID {
		return nil, fmt.Errorf("sealed: key id %q longer than %d bytes", keyID, MaxKeyID)
	}
	wrap, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	var hdr [HeaderSize]byte
	copy(hdr[:], magic)
	hdr[offKind] = byte(kind)
	hdr[offIDLen] = byte(len(keyID))
	copy(hdr[offID:], keyID)
	var dataKey [KeySize]byte
	if _, err := rand.Read(dataKey[:]); err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	if _, err := rand.Read(hdr[offPrefix:offWrapped]); err != nil { // nonce prefix and wrap nonce
		return nil, fmt.Errorf("sealed: %w", err)
	}
	wrap.Seal(hdr[offWrapped:offWrapped], hdr[offWrapNonce:offWrapped], dataKey[:], hdr[:offWrapNonce])
	aead, err := newGCM(dataKey[:])
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr[:]); err != nil {
		return nil, err
	}
	return &Writer{w: w, aead: aead, prefix: hdr[offPrefix:offWrapNonce], buf: make([]byte, 0, PackageSize+TagSize)}, nil
}

// Write buffers p and seals each package once the next byte proves it is
// not the last.
func (s *Writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	written := 0
	for len(p) > 0 {
		if len(s.buf) == PackageSize {
			if s.err = s.seal(false); s.err != nil {
				return written, s.err
			}
		}
		k := copy(s.buf[len(s.buf):PackageSize], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		written += k
	}
	return written, nil
}

// Close seals the pending (possibly empty) package as the last one. It
// does not close the underlying writer.
func (s *Writer) Close() error {
	if s.err != nil {
		return s.err
	}
	s.err = s.seal(true)
	if s.err == nil {
		s.err = errors.New("sealed: writer closed")
		return nil
	}
	return s.err
}

func (s *Writer) seal(final bool) error {
	if s.n >= maxPackages {
		return errors.New("sealed: object too large for the package counter")
	}
	var nc [12]byte
	nonce(&nc, s.prefix, s.n, final)
	out := s.aead.Seal(s.buf[:0], nc[:], s.buf, nil)
	s.n++
	s.buf = s.buf[:0]
	if _, err := s.w.Write(out); err != nil {
		return err
	}
	return nil
}

// ReadHeader reads and checks the header of the sealed file r.
func ReadHeader(r io.ReaderAt) (Header, error) {
	var h Header
	if _, err := r.ReadAt(h.raw[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return h, ErrFormat
		}
		return h, fmt.Errorf("sealed: reading the header: %w", err)
	}
	if string(h.raw[:len(magic)]) != magic || h.raw[offIDLen] > MaxKeyID {
		return h, ErrFormat
	}
	h.Kind = Kind(h.raw[offKind])
	h.KeyID = string(h.raw[offID : offID+int(h.raw[offIDLen])])
	return h, nil
}

// Object is an open sealed file.
type Object struct {
	r      io.ReaderAt
	aead   cipher.AEAD
	prefix []byte
	size   int64 // plaintext
	last   uint64
}

// Open opens the sealed file r of fileSize bytes whose header is h with
// kek, the key that wrapped its data key.
func Open(r io.ReaderAt, fileSize int64, h Header, kek []byte) (*Object, error) {
	size, ok := PlainSize(fileSize)
	if !ok {
		return nil, fmt.Errorf("%w (size %d)", ErrFormat, fileSize)
	}
	wrap, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	dataKey, err := wrap.Open(nil, h.raw[offWrapNonce:offWrapped], h.raw[offWrapped:], h.raw[:offWrapNonce])
	if err != nil {
		return nil, ErrKey
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	last := uint64(0)
	if size > 0 {
		last = uint64((size - 1) / PackageSize)
	}
	return &Object{r: r, aead: aead, prefix: h.raw[offPrefix:offWrapNonce], size: size, last: last}, nil
}

// Size is the plaintext size.
func (o *Object) Size() int64 { return o.size }

// open decrypts package i into buf (capacity PackageSize+TagSize) and
// returns its plaintext.
func (o *Object) open(buf []byte, i uint64) ([]byte, error) {
	plain := int64(PackageSize)
	if i == o.last {
		plain = o.size - int64(i)*PackageSize
	}
	ct := buf[:plain+TagSize]
	if _, err := o.r.ReadAt(ct, HeaderSize+int64(i)*(PackageSize+TagSize)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: package %d is short", ErrTampered, i)
		}
		return nil, fmt.Errorf("sealed: reading package %d: %w", i, err)
	}
	var nc [12]byte
	nonce(&nc, o.prefix, i, i == o.last)
	p, err := o.aead.Open(ct[:0], nc[:], ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: package %d", ErrTampered, i)
	}
	return p, nil
}

// NewReader reads length bytes of plaintext from offset off, decrypting
// only the packages that hold them, one at a time. Bytes of a package are
// returned only once the whole package authenticated.
func (o *Object) NewReader(off, length int64) (*Reader, error) {
	if off < 0 || length < 0 || off+length > o.size {
		return nil, fmt.Errorf("sealed: range %d+%d outside %d bytes", off, length, o.size)
	}
	return &Reader{o: o, off: off, left: length}, nil
}

// Reader is a range of an Object's plaintext.
type Reader struct {
	o       *Object
	buf     []byte
	pending []byte // decrypted bytes not yet returned
	off     int64  // plaintext offset of the next byte to decrypt
	left    int64  // bytes still to return, pending included
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if len(r.pending) == 0 {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	r.left -= int64(n)
	return n, nil
}

// Prefetch decrypts the first package of the range, so that a damaged
// object fails before a response is committed.
func (r *Reader) Prefetch() error {
	if r.left == 0 || len(r.pending) > 0 {
		return nil
	}
	return r.fill()
}

func (r *Reader) fill() error {
	if r.buf == nil {
		r.buf = make([]byte, PackageSize+TagSize)
	}
	i := uint64(r.off / PackageSize)
	plain, err := r.o.open(r.buf, i)
	if err != nil {
		return err
	}
	plain = plain[r.off-int64(i)*PackageSize:]
	if int64(len(plain)) > r.left {
		plain = plain[:r.left]
	}
	r.pending = plain
	r.off += int64(len(plain))
	return nil
}

// WriteTo writes the rest of the range to w a package at a time, without
// the copy through a caller's buffer that Read costs.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for r.left > 0 {
		if len(r.pending) == 0 {
			if err := r.fill(); err != nil {
				return n, err
			}
		}
		m, err := w.Write(r.pending)
		n += int64(m)
		r.left -= int64(m)
		r.pending = r.pending[m:]
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
