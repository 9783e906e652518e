package fsstore

import (
	"context"
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
	// KMSKeyID is the key id an aws:kms object was written with.
	KMSKeyID string `json:"k,omitempty"`
	// Size is the plaintext size (the file is larger by the format's
	// header and tags).
	Size int64 `json:"n"`
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
