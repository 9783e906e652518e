package caddys3

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/internal/sealed"
	"github.com/caddys3/caddys3/s3err"
)

// Encryption at rest (docs/encryption.md): a write that asks for SSE-S3,
// by header or by its bucket's default, is sealed under the current
// master key (internal/sealed); a read of a sealed object decrypts the
// packages its range touches. Plain objects keep their path untouched:
// every hook here returns at once for them.

const (
	hdrSSE   = "X-Amz-Server-Side-Encryption"
	sseS3    = "AES256"
	sseKMS   = "aws:kms"
	sseDSSE  = "aws:kms:dsse"
	fieldSSE = "x-amz-server-side-encryption"
)

// headerOrField reads a write's parameter: the browser form's field
// (PostObject), else the request header, which a presigned URL carries
// in its query.
func headerOrField(req *request, header, field string) string {
	if req.form != nil {
		return req.form.Fields[field]
	}
	if v := req.r.Header.Get(header); v != "" || !req.presigned() {
		return v
	}
	return queryValueFold(req.query, header)
}

// encryptionFor is the encryption a write of a new object asks for: its
// x-amz-server-side-encryption, else the bucket's default; nil: none.
func (h *Handler) encryptionFor(req *request) (*fsstore.Encryption, error) {
	name, v := fieldSSE, headerOrField(req, hdrSSE, fieldSSE)
	if v == "" {
		d, err := bucketEncryption(req.bucket)
		if err != nil || d == nil {
			return nil, err
		}
		v = d.Algorithm
	}
	switch v {
	case sseS3:
	case sseKMS, sseDSSE:
		return nil, newTextError(s3err.SSEKMSNotImplemented)
	default:
		return nil, newTextError(s3err.SSEMethodUnsupported).withArgument(name, v)
	}
	if h.keys == nil {
		return nil, newTextError(s3err.SSENoMasterKey)
	}
	return &fsstore.Encryption{Algorithm: sseS3}, nil
}

// applyEncryption sets what a whole-object write (PUT, POST, copy) asks
// for in opts: the object's Encryption and the sealer of its body. It
// always overwrites opts.Meta.Encryption: a copy's metadata is the
// source's, and says nothing of the copy.
func (h *Handler) applyEncryption(req *request, opts *fsstore.PutOptions) error {
	enc, err := h.encryptionFor(req)
	opts.Meta.Encryption = enc
	if err != nil || enc == nil {
		return err
	}
	id, secret := h.keys.Current()
	opts.Seal = func(w io.Writer) (io.WriteCloser, error) {
		return sealed.NewWriter(w, sealed.MasterKey, id, secret)
	}
	return nil
}

// refuseEncryptedUpload refuses a multipart upload that would be
// encrypted: parts are not sealed yet, and storing them plain would be a
// lie.
func (h *Handler) refuseEncryptedUpload(req *request) error {
	enc, err := h.encryptionFor(req)
	if err != nil {
		return err
	}
	if enc != nil {
		return newTextError(s3err.SSEMultipartNotImplemented)
	}
	return nil
}

// setEncryptionHeaders adds the response headers that say how an object
// is stored.
func setEncryptionHeaders(hdr http.Header, e *fsstore.Encryption) {
	if e != nil && e.Algorithm != "" {
		hdr.Set(hdrSSE, e.Algorithm)
	}
}

// errSealedDamaged wraps every failure to open or decrypt a sealed file:
// the object is answered with an error, never with wrong bytes.
var errSealedDamaged = errors.New("s3: sealed object cannot be read")

// plaintext is length bytes of obj's content from off: the file itself
// for a plain object; for a sealed one, a reader that decrypts the
// packages the range touches, its first package already checked (so a
// damaged object fails before a response is committed).
func (h *Handler) plaintext(obj *fsstore.Object, off, length int64) (io.Reader, error) {
	if obj.Meta.Encryption == nil {
		return io.NewSectionReader(obj.File, off, length), nil
	}
	hd, err := sealed.ReadHeader(obj.File)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSealedDamaged, err)
	}
	var kek []byte
	switch hd.Kind {
	case sealed.MasterKey:
		ok := false
		if h.keys != nil {
			kek, ok = h.keys.Lookup(hd.KeyID)
		}
		if !ok {
			return nil, fmt.Errorf("%w: master key %q is not configured", errSealedDamaged, hd.KeyID)
		}
	default:
		return nil, fmt.Errorf("%w: key kind %q not supported", errSealedDamaged, hd.Kind)
	}
	fi, err := obj.Stat()
	if err != nil {
		return nil, err
	}
	o, err := sealed.Open(obj.File, fi.Size(), hd, kek)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSealedDamaged, err)
	}
	if o.Size() != obj.Meta.Size {
		return nil, fmt.Errorf("%w: file holds %d bytes, metadata says %d", errSealedDamaged, o.Size(), obj.Meta.Size)
	}
	rd, err := o.NewReader(off, length)
	if err == nil {
		err = rd.Prefetch()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSealedDamaged, err)
	}
	return rd, nil
}

// sealedBody makes resp send length bytes from start of the sealed
// object obj (GetObject); HEAD sends no body and decrypts nothing.
func (h *Handler) sealedBody(resp *response, obj *fsstore.Object, start, length int64) (*response, error) {
	if resp.head {
		return resp, nil
	}
	body, err := h.plaintext(obj, start, length)
	if err != nil {
		return nil, err
	}
	resp.body, resp.length = body, length
	return resp, nil
}

// sendStream copies the body to the response. An error (a package that
// fails authentication) stops it before any byte of that package is
// sent, and the connection is cut (request.abort).
func (h *Handler) sendStream(req *request, w io.Writer, resp *response) {
	var err error
	if wt, ok := resp.body.(io.WriterTo); ok { // a sealed reader: its length is the range's
		_, err = wt.WriteTo(w)
	} else {
		_, err = io.CopyN(w, resp.body, resp.length)
	}
	if err != nil {
		req.abort = true
		h.logger.Error("s3: object body failed after its headers; connection cut", zapRequestID(req), zap.Error(err))
	}
}
