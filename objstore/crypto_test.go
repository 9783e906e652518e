package objstore

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/madmintest"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// manualSeal builds the one-fragment package minio-java's Crypto sends,
// from crypto/cipher alone (no sio): the fragment nonce is nonce||uint32
// little-endian seq, the associated data flag||tag, the tag that of an
// empty plaintext sealed at seq 0. flag 0x80 marks the final fragment.
func manualSeal(t *testing.T, id byte, password string, salt, nonce, plain []byte, flag byte, seq uint32) []byte {
	t.Helper()
	var aead cipher.AEAD
	switch id {
	case 0, 1:
		key := argon2.IDKey([]byte(password), salt, 1, 64*1024, 4, 32)
		var err error
		if id == 0 {
			block, _ := aes.NewCipher(key)
			aead, err = cipher.NewGCM(block)
		} else {
			aead, err = chacha20poly1305.New(key)
		}
		if err != nil {
			t.Fatal(err)
		}
	default:
		key, _ := pbkdf2.Key(sha256.New, password, salt, 8192, 32)
		block, _ := aes.NewCipher(key)
		aead, _ = cipher.NewGCM(block)
	}
	n := make([]byte, 12)
	copy(n, nonce)
	ad := append([]byte{flag}, aead.Seal(nil, n, nil, nil)...)
	binary.LittleEndian.PutUint32(n[8:], seq)
	out := append(append(append([]byte{}, salt...), id), nonce...)
	return aead.Seal(out, n, plain, ad)
}

const userJSON = `{"secretKey":"3b4N5uX_kq9v0yJc2Qm7w8ZtR1pLsA6dFgHjKlXcVbNmQwErTyUiOpAsDfGhJkLzXcVbNm1234567890abcdefghijklmno","policyName":"","memberOf":[],"status":"enabled"}`

// fixedVector was made by manualSeal with the password "adminsecret", salt
// 00 01 … 1f, nonce a0 … a7 and userJSON: what minio-java 8.5.2 sends for
// that admin secret, salt and nonce.
const fixedVector = "" +
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" +
	"00a0a1a2a3a4a5a6a7a0d046804c01093d7a7f80daff0d9dacb83c27d7c45f5e" +
	"4f19c9664ceacf0a3af5259eeb7967c4bf8995a61ffe4f7d173577bf43645e0a" +
	"208cce1ca042a96a1a16a975eaae5b41283791e01d3591367a67315b2c64d8d6" +
	"6f011f6eccf1835d670b16de4630c697c7cf33c7fb46089ba2677fbd49682ee9" +
	"60b8ee16ed83e9d623a968d3f79540c2bab1e06c29d24312217b898f28f1896f" +
	"a51b558fa4f8d1a4d354936c8efc660b121c4a178ed7909962"

func TestDecryptRoundTrips(t *testing.T) {
	for _, id := range []byte{0, 1, 2} {
		for _, size := range []int{0, 1, len(userJSON), 16 << 10, 16<<10 + 1, 40 << 10} {
			plain := bytes.Repeat([]byte("x"), size)
			if size == len(userJSON) {
				plain = []byte(userJSON)
			}
			got, err := Decrypt("s3cret", madmintest.Seal(t, id, "s3cret", plain))
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("id %d, %d bytes: %v (got %d bytes)", id, size, err, len(got))
			}
		}
	}
}

func TestDecryptJavaPackage(t *testing.T) {
	salt, nonce := make([]byte, 32), make([]byte, 8)
	for i := range salt {
		salt[i] = byte(i)
	}
	for i := range nonce {
		nonce[i] = 0xa0 + byte(i)
	}
	for _, id := range []byte{0, 1, 2} {
		got, err := Decrypt("adminsecret", manualSeal(t, id, "adminsecret", salt, nonce, []byte(userJSON), 0x80, 1))
		if err != nil || string(got) != userJSON {
			t.Fatalf("id %d: %v %q", id, err, got)
		}
	}
	vec, err := hex.DecodeString(fixedVector)
	if err != nil {
		t.Fatal(err)
	}
	if want := manualSeal(t, 0, "adminsecret", salt, nonce, []byte(userJSON), 0x80, 1); !bytes.Equal(vec, want) {
		t.Fatalf("the fixed vector is not what manualSeal makes:\n%x", want)
	}
	got, err := Decrypt("adminsecret", vec)
	if err != nil || string(got) != userJSON {
		t.Fatalf("fixed vector: %v %q", err, got)
	}
	// What must not decrypt: each as real MinIO refuses it.
	good := manualSeal(t, 0, "adminsecret", salt, nonce, []byte(userJSON), 0x80, 1)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	bad := map[string]struct {
		password string
		data     []byte
	}{
		"wrong password":        {"adminsecreT", good},
		"not final":             {"adminsecret", manualSeal(t, 0, "adminsecret", salt, nonce, []byte(userJSON), 0x00, 1)},
		"sequence 0":            {"adminsecret", manualSeal(t, 0, "adminsecret", salt, nonce, []byte(userJSON), 0x80, 0)},
		"tampered":              {"adminsecret", flipped},
		"truncated":             {"adminsecret", good[:len(good)-1]},
		"header only":           {"adminsecret", good[:41]},
		"shorter than a header": {"adminsecret", good[:40]},
		"unknown algorithm":     {"adminsecret", append(append(bytes.Clone(good[:32]), 3), good[33:]...)},
		"plaintext":             {"adminsecret", []byte(strings.Repeat(userJSON, 2))},
	}
	for name, c := range bad {
		if got, err := Decrypt(c.password, c.data); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v %q", name, err, got)
		}
	}
}
