package cloudstack

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrDecrypt means a CloudStack-encrypted value could not be
// decrypted with the given password in any of CloudStack's formats: the
// password (database key or management key) is wrong or the value is
// corrupt. It is never hidden behind a garbage plaintext.
var ErrDecrypt = errors.New("cannot decrypt CloudStack value: wrong key or corrupt value")

// Decrypt decrypts a value encrypted by CloudStack's
// CloudStackEncryptor the way CloudStack does: there is no version marker, so
// V2 (AES-256-GCM, 4.18+) is tried first, then V1 (Jasypt
// PBEWithMD5AndDES). An error wrapping ErrDecrypt is returned when
// neither format yields a plausible plaintext.
func Decrypt(password, ciphertext string) (string, error) {
	if pt, err := DecryptV2(password, ciphertext); err == nil {
		return pt, nil
	}
	if pt, err := DecryptV1(password, ciphertext); err == nil {
		return pt, nil
	}
	return "", ErrDecrypt
}

// DecryptV2 decrypts CloudStack's V2 format: base64 of
// IV(12) || ciphertext || tag(16), AES-256-GCM keyed with SHA-256 of the
// password, no associated data. The GCM tag authenticates the result.
func DecryptV2(password, ciphertext string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ciphertext))
	if err != nil {
		return "", fmt.Errorf("%w: V2: not base64", ErrDecrypt)
	}
	if len(raw) < 12+16 {
		return "", fmt.Errorf("%w: V2: too short", ErrDecrypt)
	}
	key := sha256.Sum256([]byte(password))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	pt, err := gcm.Open(nil, raw[:12], raw[12:], nil)
	if err != nil {
		return "", fmt.Errorf("%w: V2: authentication failed", ErrDecrypt)
	}
	if !plausiblePlaintext(pt) {
		return "", fmt.Errorf("%w: V2: not text", ErrDecrypt)
	}
	return string(pt), nil
}

// DecryptV1 decrypts CloudStack's V1 format (Jasypt
// PBEWithMD5AndDES, 1000 iterations): base64 of salt(8) || DES-CBC
// ciphertext with PKCS#5 padding. DES-CBC has no integrity check, so a wrong
// password is detected by the padding and by requiring the plaintext to be
// UTF-8 text without control characters (CloudStack encrypts passwords and
// keys): a wrong password never yields a "secret".
func DecryptV1(password, ciphertext string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ciphertext))
	if err != nil {
		return "", fmt.Errorf("%w: V1: not base64", ErrDecrypt)
	}
	if len(raw) < 16 || len(raw)%8 != 0 {
		return "", fmt.Errorf("%w: V1: bad length", ErrDecrypt)
	}
	salt, ct := raw[:8], raw[8:]
	// PBKDF1 with MD5, 1000 iterations.
	d := md5.Sum(append([]byte(password), salt...))
	for i := 1; i < 1000; i++ {
		d = md5.Sum(d[:])
	}
	block, err := des.NewCipher(d[:8])
	if err != nil {
		return "", err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, d[8:16]).CryptBlocks(pt, ct)
	n := int(pt[len(pt)-1])
	if n < 1 || n > 8 || n > len(pt) {
		return "", fmt.Errorf("%w: V1: bad padding", ErrDecrypt)
	}
	for _, b := range pt[len(pt)-n:] {
		if int(b) != n {
			return "", fmt.Errorf("%w: V1: bad padding", ErrDecrypt)
		}
	}
	pt = pt[:len(pt)-n]
	if !plausiblePlaintext(pt) {
		return "", fmt.Errorf("%w: V1: not text", ErrDecrypt)
	}
	return string(pt), nil
}

// plausiblePlaintext reports whether b is non-empty UTF-8 text without
// control characters, as every value CloudStack encrypts (passwords, keys)
// is. A wrong DES key passes the padding check about once in 256 tries; the
// text check rejects nearly all of those.
func plausiblePlaintext(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// DecryptPropertyValue returns a db.properties value in clear: values
// written as ENC(…) are decrypted with the management key (V2, then V1),
// others are returned as they are.
func DecryptPropertyValue(managementKey, value string) (string, error) {
	v := strings.TrimSpace(value)
	if !strings.HasPrefix(v, "ENC(") || !strings.HasSuffix(v, ")") {
		return value, nil
	}
	return Decrypt(managementKey, v[4:len(v)-1])
}

// ParseJavaProperties parses a Java .properties file such as CloudStack's
// db.properties: "key=value", "key: value" or "key value" lines, '#' and '!'
// comments, backslash line continuations and escapes (\t \n \r \f \uXXXX and
// a backslash before any other character). Later keys win.
func ParseJavaProperties(r io.Reader) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var logical bytes.Buffer
	cont := false
	for sc.Scan() {
		line := sc.Text()
		if cont {
			line = strings.TrimLeft(line, " \t\f")
		} else {
			t := strings.TrimLeft(line, " \t\f")
			if t == "" || t[0] == '#' || t[0] == '!' {
				continue
			}
			line = t
		}
		// A line ending in an odd number of backslashes continues.
		bs := 0
		for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
			bs++
		}
		if bs%2 == 1 {
			logical.WriteString(line[:len(line)-1])
			cont = true
			continue
		}
		logical.WriteString(line)
		cont = false
		k, v, err := splitProperty(logical.String())
		logical.Reset()
		if err != nil {
			return nil, err
		}
		props[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cont && logical.Len() > 0 {
		k, v, err := splitProperty(logical.String())
		if err != nil {
			return nil, err
		}
		props[k] = v
	}
	return props, nil
}

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(line string) (string, string, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(line) {
		i = len(line)
	}
	rawKey := line[:i]
	rest := strings.TrimLeft(line[i:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	k, err := unescapeProperty(rawKey)
	if err != nil {
		return "", "", err
	}
	v, err := unescapeProperty(rest)
	if err != nil {
		return "", "", err
	}
	return k, v, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("properties: malformed \\u escape in %q", s)
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", fmt.Errorf("properties: malformed \\u escape in %q", s)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
