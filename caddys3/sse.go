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

// writeEncryption is the encryption a write of a new object asks for and
// the sealer of its bytes: SSE-C by its customer key headers, else SSE-S3
// by x-amz-server-side-encryption or the bucket's default; nil: none.
func (h *Handler) writeEncryption(req *request) (*fsstore.Encryption, fsstore.Sealer, error) {
	c, err := h.customerKeyFrom(req, hdrSSEC)
	if err != nil {
		return nil, nil, err
	}
	if c != nil {
		if headerOrField(req, hdrSSE, fieldSSE) != "" {
			return nil, nil, newTextError(s3err.SSECWithSSE)
		}
		return customerEncryption(c)
	}
	enc, err := h.encryptionFor(req)
	if err != nil || enc == nil {
		return nil, nil, err
	}
	return enc, h.sealer(), nil
}

// encryptionFor is the SSE-S3 encryption a write asks for: its
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
	var err error
	opts.Meta.Encryption, opts.Seal, err = h.writeEncryption(req)
	return err
}

// sealer seals under the current master key.
func (h *Handler) sealer() fsstore.Sealer {
	id, secret := h.keys.Current()
	return func(w io.Writer) (io.WriteCloser, error) {
		return sealed.NewWriter(w, sealed.MasterKey, id, secret)
	}
}

// storePart stores a part of upload up: sealed on its own when the
// upload's object is encrypted (Complete joins the sealed parts as they
// are).
func (h *Handler) storePart(req *request, up fsstore.Upload, n int, body io.Reader, sums func() map[string]string) (fsstore.Part, error) {
	c, err := h.partKey(req, up)
	if err != nil {
		return fsstore.Part{}, err
	}
	if c != nil {
		return h.store.UploadPartSealed(req.ctx, req.t.bucket, req.t.key, up.UploadID, n, body, sums, customerSealer(c), up.Meta.Encryption)
	}
	if up.Meta.Encryption == nil {
		return h.store.UploadPart(req.ctx, req.t.bucket, req.t.key, up.UploadID, n, body, sums)
	}
	if h.keys == nil {
		return fsstore.Part{}, newTextError(s3err.SSENoMasterKey)
	}
	return h.store.UploadPartSealed(req.ctx, req.t.bucket, req.t.key, up.UploadID, n, body, sums, h.sealer(), up.Meta.Encryption)
}

// setEncryptionHeaders adds the response headers that say how an object
// is stored: x-amz-server-side-encryption, or SSE-C's algorithm and the
// request's key MD5.
func setEncryptionHeaders(req *request, hdr http.Header, e *fsstore.Encryption) {
	if e != nil && e.Algorithm != "" {
		hdr.Set(hdrSSE, e.Algorithm)
	}
	setCustomerHeaders(req, hdr, e)
}

// errSealedDamaged wraps every failure to open or decrypt a sealed file:
// the object is answered with an error, never with wrong bytes.
var errSealedDamaged = errors.New("s3: sealed object cannot be read")

// plaintext is length bytes of obj's content from off: the file itself
// for a plain object; for a sealed one, a reader that decrypts only the
// packages the range touches, its first package already checked (so a
// damaged object fails before a response is committed).
func (h *Handler) plaintext(obj *fsstore.Object, off, length int64, customer []byte) (io.Reader, error) {
	enc := obj.Meta.Encryption
	if enc == nil {
		return io.NewSectionReader(obj.File, off, length), nil
	}
	fi, err := obj.Stat()
	if err != nil {
		return nil, err
	}
	segs := enc.Segments()
	if segs == nil {
		segs = []int64{enc.Size}
	}
	r := &segmentsReader{h: h, file: obj.File, sizes: segs, off: off, left: length, customer: customer}
	if total := sealedTotal(segs); total != fi.Size() || enc.Size != obj.Meta.Size {
		return nil, fmt.Errorf("%w: file of %d bytes, its record says %d", errSealedDamaged, fi.Size(), total)
	}
	if err := r.next(); err != nil {
		return nil, err
	}
	return r, nil
}

// sealedTotal is the file size of sealed segments of the plaintext sizes.
func sealedTotal(sizes []int64) int64 {
	var n int64
	for _, s := range sizes {
		n += sealed.SealedSize(s)
	}
	return n
}

// segmentsReader reads a range of a sealed object made of one sealed
// segment (a PUT) or several (a multipart object, one per part), opening
// each segment when the range reaches it.
type segmentsReader struct {
	h     *Handler
	file  io.ReaderAt
	sizes []int64 // plaintext sizes of the segments
	seg   int     // index of the open segment
	start int64   // file offset of segment seg
	base  int64   // plaintext offset of segment seg
	cur   *sealed.Reader
	off   int64 // plaintext offset of the next byte to open
	left  int64 // bytes of the range not yet opened
	// customer is the SSE-C key, nil for an SSE-S3 object.
	customer []byte
}

// next opens the segment holding r.off and checks its first package.
func (r *segmentsReader) next() error {
	for r.seg < len(r.sizes) && r.off >= r.base+r.sizes[r.seg] && !(r.left == 0 && r.off == r.base) {
		r.start += sealed.SealedSize(r.sizes[r.seg])
		r.base += r.sizes[r.seg]
		r.seg++
	}
	if r.seg == len(r.sizes) {
		r.cur = nil
		return nil
	}
	size := sealed.SealedSize(r.sizes[r.seg])
	sec := io.NewSectionReader(r.file, r.start, size)
	o, err := r.h.openSealed(sec, size, r.customer)
	if err != nil {
		return err
	}
	n := min(r.left, r.base+r.sizes[r.seg]-r.off)
	rd, err := o.NewReader(r.off-r.base, n)
	if err == nil {
		err = rd.Prefetch()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errSealedDamaged, err)
	}
	r.cur, r.off, r.left = rd, r.off+n, r.left-n
	return nil
}

// Read implements io.Reader.
func (r *segmentsReader) Read(p []byte) (int, error) {
	for r.cur != nil {
		n, err := r.cur.Read(p)
		if err != io.EOF {
			return n, err
		}
		if r.left == 0 {
			break
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	return 0, io.EOF
}

// WriteTo writes the rest of the range to w, segment by segment, a
// package at a time.
func (r *segmentsReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.cur != nil {
		n, err := r.cur.WriteTo(w)
		total += n
		if err != nil || r.left == 0 {
			return total, err
		}
		if err := r.next(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// openSealed opens one sealed segment of size bytes with the master key
// its header names, or the customer's key.
func (h *Handler) openSealed(r io.ReaderAt, size int64, customer []byte) (*sealed.Object, error) {
	hd, err := sealed.ReadHeader(r)
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
	case sealed.CustomerKey:
		if kek = customer; kek == nil {
			return nil, fmt.Errorf("%w: sealed with a customer key, none given", errSealedDamaged)
		}
	default:
		return nil, fmt.Errorf("%w: key kind %q not supported", errSealedDamaged, hd.Kind)
	}
	o, err := sealed.Open(r, size, hd, kek)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSealedDamaged, err)
	}
	return o, nil
}

// sourcePlaintext is length bytes from off of a copy's source, decrypted
// with the copy-source SSE-C key when it has one.
func (h *Handler) sourcePlaintext(req *request, src *fsstore.Object, off, length int64) (io.Reader, error) {
	key, err := h.objectKey(req, src.Meta, true)
	if err != nil {
		return nil, err
	}
	return h.plaintext(src, off, length, key)
}

// sealedBody makes resp send length bytes from start of the sealed
// object obj (GetObject); HEAD sends no body and decrypts nothing.
func (h *Handler) sealedBody(resp *response, obj *fsstore.Object, start, length int64, customer []byte) (*response, error) {
	if resp.head {
		return resp, nil
	}
	body, err := h.plaintext(obj, start, length, customer)
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
