package caddys3

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"
	"strings"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/internal/sealed"
	"github.com/caddys3/caddys3/s3err"
)

// SSE-C: the client sends its own key with every request. The key seals
// the object's data key (internal/sealed, kind CustomerKey); it is never
// stored or logged. What is stored is a salted HMAC of it, to tell a
// wrong key (403) from a damaged file before any decryption, and to check
// that every part of an upload comes with the key the upload began with.

// The SSE-C headers of the object a request addresses, and of a copy's
// source.
const (
	hdrSSEC       = "X-Amz-Server-Side-Encryption-Customer-"
	hdrSSECSource = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-"
	fieldSSEC     = "x-amz-server-side-encryption-customer-"
	sseCAlgorithm = "AES256"
	keyHMACSalt   = 16
)

// sseCHeader is prefix+name for the SSE-C headers, without building the
// string on every request (every GET asks for all three).
func sseCHeader(prefix, name string) string {
	if prefix == hdrSSEC {
		switch name {
		case "Algorithm":
			return hdrSSEC + "Algorithm"
		case "Key":
			return hdrSSEC + "Key"
		case "Key-Md5":
			return hdrSSEC + "Key-Md5"
		}
	}
	return prefix + name
}

// customerKey is a key a request sent, checked against its MD5.
type customerKey struct {
	key []byte
	md5 string // base64, as sent
}

// customerKeyFrom parses the SSE-C triple under prefix (hdrSSEC or
// hdrSSECSource); nil when the request sends none of it. A browser form
// (PostObject) sends it as fields.
func (h *Handler) customerKeyFrom(req *request, prefix string) (*customerKey, error) {
	get := func(name string) string {
		if req.form != nil {
			if prefix != hdrSSEC {
				return ""
			}
			return req.form.Fields[fieldSSEC+strings.ToLower(name)]
		}
		return headerOrField(req, sseCHeader(prefix, name), "")
	}
	alg, key, sum := get("Algorithm"), get("Key"), get("Key-Md5")
	if alg == "" && key == "" && sum == "" {
		return nil, nil
	}
	if req.r.TLS == nil && !h.Encryption.allowsSSECOverHTTP() {
		return nil, newTextError(s3err.SSECInsecure)
	}
	switch {
	case alg == "":
		return nil, newTextError(s3err.SSECAlgorithmMissing)
	case alg != sseCAlgorithm:
		return nil, newTextError(s3err.SSECAlgorithmInvalid)
	case key == "":
		return nil, newTextError(s3err.SSECKeyMissing)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != sealed.KeySize {
		return nil, newTextError(s3err.SSECKeyInvalid)
	}
	if sum == "" {
		return nil, newTextError(s3err.SSECKeyMD5Missing)
	}
	got := md5.Sum(raw)
	want, err := base64.StdEncoding.DecodeString(sum)
	if err != nil || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, newTextError(s3err.SSECKeyMD5Mismatch)
	}
	return &customerKey{key: raw, md5: sum}, nil
}

// keyHMAC is the stored token of the key: a random salt and the HMAC of
// the salt under the key, base64.
func (c *customerKey) keyHMAC() (string, error) {
	salt := make([]byte, keyHMACSalt)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(c.mac(salt)), nil
}

func (c *customerKey) mac(salt []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(salt)
	return m.Sum(append([]byte(nil), salt...))
}

// matches reports whether the token was made with this key.
func (c *customerKey) matches(token string) bool {
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(b) <= keyHMACSalt {
		return false
	}
	return hmac.Equal(c.mac(b[:keyHMACSalt]), b)
}

// customerEncryption is the record and sealer of a write with key c.
func customerEncryption(c *customerKey) (*fsstore.Encryption, fsstore.Sealer, error) {
	token, err := c.keyHMAC()
	if err != nil {
		return nil, nil, err
	}
	return &fsstore.Encryption{Customer: true, KeyHMAC: token}, customerSealer(c), nil
}

func customerSealer(c *customerKey) fsstore.Sealer {
	return func(w io.Writer) (io.WriteCloser, error) {
		return sealed.NewWriter(w, sealed.CustomerKey, "", c.key)
	}
}

// objectKey is the customer key a read of m must use (source: a copy's
// source, with the copy-source headers): nil for an object not sealed
// with one, whose read may not send one.
func (h *Handler) objectKey(req *request, m fsstore.ObjectMeta, source bool) ([]byte, error) {
	prefix := hdrSSEC
	if source {
		prefix = hdrSSECSource
	}
	c, err := h.customerKeyFrom(req, prefix)
	if err != nil {
		return nil, err
	}
	if m.Encryption == nil || !m.Encryption.Customer {
		if c != nil {
			return nil, newTextError(s3err.SSECNotApplicable)
		}
		return nil, nil
	}
	if c == nil {
		return nil, newTextError(s3err.SSECKeyRequired)
	}
	if !c.matches(m.Encryption.KeyHMAC) {
		return nil, newTextError(s3err.SSECWrongKey)
	}
	return c.key, nil
}

// partKey checks the key a part of an SSE-C upload comes with.
func (h *Handler) partKey(req *request, up fsstore.Upload) (*customerKey, error) {
	c, err := h.customerKeyFrom(req, hdrSSEC)
	if err != nil {
		return nil, err
	}
	switch {
	case up.Meta.Encryption == nil || !up.Meta.Encryption.Customer:
		if c != nil {
			return nil, newTextError(s3err.SSECNotApplicable)
		}
		return nil, nil
	case c == nil:
		return nil, newTextError(s3err.SSECPartKeyRequired)
	case !c.matches(up.Meta.Encryption.KeyHMAC):
		return nil, newTextError(s3err.SSECPartKeyMismatch)
	}
	return c, nil
}

// setCustomerHeaders answers the SSE-C headers of an object sealed with
// the request's key: the algorithm and the key's MD5 as sent.
func setCustomerHeaders(req *request, hdr http.Header, e *fsstore.Encryption) {
	if e == nil || !e.Customer {
		return
	}
	md5 := headerOrField(req, hdrSSEC+"Key-Md5", fieldSSEC+"key-md5")
	hdr.Set(hdrSSEC+"Algorithm", sseCAlgorithm)
	hdr.Set(hdrSSEC+"Key-Md5", md5)
}
