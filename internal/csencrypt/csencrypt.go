// Package csencrypt encrypts secrets the way CloudStack stores them, for
// the tests of the decrypting side (auth) and the fixture databases of
// test/cloudstack. The server itself never encrypts.
package csencrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// V1 is Jasypt's PBEWithMD5AndDES with a random salt: base64 of
// salt(8) || DES-CBC ciphertext, key and IV from 1000 rounds of MD5.
func V1(password, plaintext string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	d := md5.Sum(append([]byte(password), salt...))
	for i := 1; i < 1000; i++ {
		d = md5.Sum(d[:])
	}
	block, _ := des.NewCipher(d[:8])
	n := 8 - len(plaintext)%8
	pt := append([]byte(plaintext), []byte(strings.Repeat(string(rune(n)), n))...)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, d[8:16]).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(append(salt, ct...))
}

// V2 is CloudStack's AES-256-GCM format: base64 of IV(12) || ciphertext ||
// tag, the key the SHA-256 of the password.
func V2(password, plaintext string) string {
	key := sha256.Sum256([]byte(password))
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	iv := make([]byte, 12)
	rand.Read(iv)
	return base64.StdEncoding.EncodeToString(gcm.Seal(iv, iv, []byte(plaintext), nil))
}
