// Package madmintest seals and opens the bodies of MinIO's admin clients
// (madmin-go's EncryptData and DecryptData, minio-java's Crypto) for tests,
// from argon2, PBKDF2 and sio-go directly, independently of objstore's own
// code:
//
//	salt[32] || id[1] || nonce[8] || sio (DARE 2.0) stream
//
// id 0x00: key = Argon2id(password, salt, t=1, m=64 MiB, p=4), AES-256-GCM;
// id 0x01: the same key, ChaCha20-Poly1305;
// id 0x02: key = PBKDF2-SHA256(password, salt, 8192 iterations), AES-256-GCM.
package madmintest

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/secure-io/sio-go"
	"golang.org/x/crypto/argon2"
)

func stream(t testing.TB, id byte, password string, salt []byte) *sio.Stream {
	t.Helper()
	var key []byte
	alg := sio.AES_256_GCM
	switch id {
	case 0, 1:
		key = argon2.IDKey([]byte(password), salt, 1, 64*1024, 4, 32)
		if id == 1 {
			alg = sio.ChaCha20Poly1305
		}
	case 2:
		var err error
		if key, err = pbkdf2.Key(sha256.New, password, salt, 8192, 32); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown algorithm id %#x", id)
	}
	s, err := alg.Stream(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Seal encrypts plain with password as madmin's EncryptData does, with
// algorithm id.
func Seal(t testing.TB, id byte, password string, plain []byte) []byte {
	t.Helper()
	salt, nonce := make([]byte, 32), make([]byte, 8)
	rand.Read(salt)
	rand.Read(nonce)
	var buf bytes.Buffer
	buf.Write(salt)
	buf.WriteByte(id)
	buf.Write(nonce)
	w := stream(t, id, password, salt).EncryptWriter(&buf, nonce, nil)
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Open decrypts a sealed answer as madmin's DecryptData does.
func Open(t testing.TB, password string, data []byte) []byte {
	t.Helper()
	if len(data) < 41 {
		t.Fatalf("not a sealed body: %q", data)
	}
	s := stream(t, data[32], password, data[:32])
	plain, err := io.ReadAll(s.DecryptReader(bytes.NewReader(data[41:]), data[33:41], nil))
	if err != nil {
		t.Fatal(err)
	}
	return plain
}
