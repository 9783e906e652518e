package objstore

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/secure-io/sio-go"
	"golang.org/x/crypto/argon2"
)

// The request-body encryption of MinIO's admin clients (madmin-go's
// EncryptData, re-implemented by minio-java's io.minio.admin.Crypto 8.5.2),
// read for its format only:
//
//	salt[32] || id[1] || nonce[8] || sio (DARE 2.0) stream
//
// id 0x00: key = Argon2id(password, salt, t=1, m=64 MiB, p=4), AES-256-GCM;
// id 0x01: the same key, ChaCha20-Poly1305;
// id 0x02: key = PBKDF2-SHA256(password, salt, 8192 iterations), AES-256-GCM.
// The password is the secret key of the admin that signed the request.
// The stream is github.com/secure-io/sio-go (MIT): 16 KiB fragments, each
// sealed with nonce||uint32_le(seq), the last flagged in its associated data.
const (
	saltLen      = 32
	nonceLen     = 8
	headerLen    = saltLen + 1 + nonceLen
	argon2Time   = 1
	argon2Memory = 64 * 1024 // KiB
	argon2Par    = 4
	pbkdf2Iter   = 8192

	idArgon2AESGCM   = 0x00
	idArgon2ChaCha20 = 0x01
	idPBKDF2AESGCM   = 0x02
)

// ErrDecrypt is a body that does not decrypt: too short, an unknown
// algorithm, a tag that fails (a wrong password or tampered bytes).
var ErrDecrypt = errors.New("objstore: the encrypted body does not decrypt")

// argon2Mu serialises the 64 MiB key derivations (as MinIO does), so a
// burst of add-user calls cannot take 64 MiB each at once.
var argon2Mu sync.Mutex

// cipherStream derives the key of algorithm id from password and salt.
func cipherStream(password string, salt []byte, id byte) (*sio.Stream, error) {
	var alg sio.Algorithm
	var key []byte
	switch id {
	case idArgon2AESGCM, idArgon2ChaCha20:
		argon2Mu.Lock()
		key = argon2.IDKey([]byte(password), salt, argon2Time, argon2Memory, argon2Par, 32)
		argon2Mu.Unlock()
		alg = sio.AES_256_GCM
		if id == idArgon2ChaCha20 {
			alg = sio.ChaCha20Poly1305
		}
	case idPBKDF2AESGCM:
		var err error
		if key, err = pbkdf2.Key(sha256.New, password, salt, pbkdf2Iter, 32); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
		alg = sio.AES_256_GCM
	default:
		return nil, fmt.Errorf("%w: unknown algorithm id %#x", ErrDecrypt, id)
	}
	stream, err := alg.Stream(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return stream, nil
}

// Encrypt seals plain for a madmin client that signed with password, as
// madmin's EncryptData does on a machine with AES instructions (id 0x00):
// the encrypted answers (policy attach and detach) are decrypted by the
// caller with its secret key.
func Encrypt(password string, plain []byte) ([]byte, error) {
	out := make([]byte, headerLen, headerLen+len(plain)+64)
	if _, err := rand.Read(out[:saltLen]); err != nil {
		return nil, err
	}
	out[saltLen] = idArgon2AESGCM
	if _, err := rand.Read(out[saltLen+1 : headerLen]); err != nil {
		return nil, err
	}
	stream, err := cipherStream(password, out[:saltLen], idArgon2AESGCM)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(out)
	w := stream.EncryptWriter(buf, out[saltLen+1:headerLen], nil)
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decrypt returns the plaintext of a madmin-encrypted body sealed with
// password.
func Decrypt(password string, data []byte) ([]byte, error) {
	if len(data) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, shorter than its header", ErrDecrypt, len(data))
	}
	salt, id, nonce := data[:saltLen], data[saltLen], data[saltLen+1:headerLen]
	stream, err := cipherStream(password, salt, id)
	if err != nil {
		return nil, err
	}
	plain, err := io.ReadAll(stream.DecryptReader(bytes.NewReader(data[headerLen:]), nonce, nil))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return plain, nil
}
