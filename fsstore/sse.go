package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
)

// Encryption says how an object's data file is sealed (package
// internal/sealed, docs/encryption.md); nil in ObjectMeta: a plain file.
// The store only carries it: the handler seals and unseals.
type Encryption struct {
	// Algorithm is what S3 reports as x-amz-server-side-encryption:
	// "AES256" or "aws:kms"; SSE-C objects report "AES256" as the
	// customer algorithm instead, with Customer set.
	Algorithm string `json:"a,omitempty"`
	Customer  bool   `json:"c,omitempty"`
	// KeyHMAC (SSE-C): a salted HMAC of the customer's key, to recognise
	// it; the key itself is never stored.
	KeyHMAC string `json:"h,omitempty"`
	// KMSKeyID is the key id an aws:kms object was written with.
	KMSKeyID string `json:"k,omitempty"`
	// Size is the plaintext size (the file is larger by the format's
	// header and tags).
	Size int64 `json:"n"`
	// Segs: the plaintext sizes of a multipart object's sealed parts, as
	// runs [count, size]; nil for an object sealed in one piece.
	Segs [][2]int64 `json:"g,omitempty"`
}

// Sealer turns the temp file of a put into the writer the plaintext goes
// through; Close ends the sealed stream (not the file).
type Sealer func(file io.Writer) (io.WriteCloser, error)

// withSize is e for an object of size plaintext bytes (a copy: e may be
// shared with the caller's options).
func (e *Encryption) withSize(size int64) *Encryption {
	if e == nil {
		return nil
	}
	c := *e
	c.Size = size
	return &c
}

// sizeOf is the object's size: the plaintext size of a sealed file, else
// size (the file's).
func (e *Encryption) sizeOf(size int64) int64 {
	if e == nil {
		return size
	}
	return e.Size
}

// copyBodySealed is copyBody through seal when the put is to be sealed:
// size and ETag are the plaintext's.
func (s *Store) copyBodySealed(ctx context.Context, f io.Writer, body io.Reader, seal Sealer) (int64, string, error) {
	if seal == nil {
		return s.copyBody(ctx, f, body)
	}
	w, err := seal(f)
	if err != nil {
		return 0, "", storageErr(err)
	}
	size, etag, err := s.copyBody(ctx, w, body)
	if err != nil {
		return 0, "", err
	}
	if err := w.Close(); err != nil {
		return 0, "", storageErr(err)
	}
	return size, etag, nil
}

// A sealed multipart object is its parts' sealed files one after the
// other, each with its own header and data key (Complete does not
// re-encrypt). Encryption.Segs keeps their plaintext sizes, as runs.

// maxSegmentRuns bounds Segs, kept in the object's metadata record (an
// xattr of at most one block on ext4): client uploads have one part size
// and a smaller last part, two runs.
const maxSegmentRuns = 100

// ErrTooManySegmentSizes: an encrypted upload whose parts have too many
// different sizes to be listed in the object's record.
var ErrTooManySegmentSizes = errors.New("fsstore: encrypted multipart upload with parts of too many different sizes")

// fileSize is the size of the part's file.
func (p Part) fileSize() int64 {
	if p.sealed > 0 {
		return p.sealed
	}
	return p.Size
}

// joinedEncryption is the Encryption of an object joined from parts of an
// upload with encryption e (nil: a plain upload, nil result). Every part
// must be sealed as its upload says.
func joinedEncryption(e *Encryption, parts []Part) (*Encryption, error) {
	for _, p := range parts {
		if (p.sealed > 0) != (e != nil) {
			return nil, &PartError{Err: ErrInvalidPart, PartNumber: p.PartNumber, ETag: p.ETag}
		}
	}
	if e == nil {
		return nil, nil
	}
	j := *e
	j.Size, j.Segs = 0, nil
	for _, p := range parts {
		j.Size += p.Size
		if n := len(j.Segs); n > 0 && j.Segs[n-1][1] == p.Size {
			j.Segs[n-1][0]++
			continue
		}
		if len(j.Segs) == maxSegmentRuns {
			return nil, ErrTooManySegmentSizes
		}
		j.Segs = append(j.Segs, [2]int64{1, p.Size})
	}
	return &j, nil
}

// Segments are the plaintext sizes of a sealed multipart object's parts,
// in order; nil for an object sealed in one piece.
func (e *Encryption) Segments() []int64 {
	if e == nil || len(e.Segs) == 0 {
		return nil
	}
	var sizes []int64
	for _, r := range e.Segs {
		for range r[0] {
			sizes = append(sizes, r[1])
		}
	}
	return sizes
}

// UploadPartSealed is UploadPart for an upload whose object is encrypted
// as e says: the part is sealed by seal, its Size is the plaintext's, its
// ETag the plaintext's MD5 (SSE-S3) or opaque (SSE-C).
func (s *Store) UploadPartSealed(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, checksums func() map[string]string, seal Sealer, e *Encryption) (Part, error) {
	return s.uploadPart(ctx, bucket, key, uploadID, partNumber, body, checksums, seal, e != nil && e.Customer)
}

// etag is the ETag of an object (or part) whose plaintext has the MD5
// md5hex: that MD5, as AWS for SSE-S3; for SSE-C an opaque random value,
// as AWS's, so that no digest of the plaintext is kept in the clear.
func (e *Encryption) etag(md5hex string) string {
	if e == nil || !e.Customer {
		return md5hex
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return md5hex
	}
	return hex.EncodeToString(b[:])
}
