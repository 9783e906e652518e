package cloudstack

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/csencrypt"
)

const csSecret86 = "n-RopdRGrVR0yl9QH3ZS-8YjNSQ9WQGzIkye0GQCA1ErSZwQqam_bbhfXXinJiZNyv2mEIObss-4JUMx9X4mJg"

// The vectors of ../shared/cloudstack-notes.md (CloudStack's own tests, its
// packaged db.properties, and JDK-produced ciphertexts).
var csVectors = []struct {
	name, password, ciphertext, plaintext, format string
}{
	{"cloudstack-test-v2", "managementkey", "iYVsCZXiGiC6SzZLMNBvBL93hoUpntxkuRjyaqC8L+JYKXw=", "encthis", "V2"},
	{"db.properties-password", "password", "vlzQjmqOV4s5q7n+S1OMbA==", "cloud", "V1"},
	{"db.properties-encrypt.secret", "password", "zaGuSF5a4KyWayn2t0yyjDa0HjdToVtZ", "password", "V1"},
	{"jdk-v1-secret", "password", "AQIDBAUGBwi5knxGsWUP4CLN9ic+iVaE9kD4o450RQiGa8HKjy5LwlaZ5AeOaxOH/d0zeON/TMu5g+R/yinmQVxoLtQa0CDU7DNneGO1jA6DW4kPiDo8bBFEzDgK67Mv", csSecret86, "V1"},
	{"jdk-v2-secret", "password", "CQgHBgUEAwIBAAECEwSOidIFpGqqL96WlZTFPJg0U9qiGJxvRNC38tYGR7TF5lGZ/2NYB1OVtXoOMQPDCTHTKe98ihuBCbLqi4HfJB/xSQEEgLz6muJ4nmdRJg9xCooIY8awIGL9yqbgHJ3sGOW+f5lW", csSecret86, "V2"},
}

func TestDecryptVectors(t *testing.T) {
	for _, v := range csVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := Decrypt(v.password, v.ciphertext)
			if err != nil || got != v.plaintext {
				t.Fatalf("Decrypt = %q, %v; want %q", got, err, v.plaintext)
			}
			var one func(string, string) (string, error)
			var other func(string, string) (string, error)
			if v.format == "V1" {
				one, other = DecryptV1, DecryptV2
			} else {
				one, other = DecryptV2, DecryptV1
			}
			if got, err := one(v.password, v.ciphertext); err != nil || got != v.plaintext {
				t.Errorf("%s = %q, %v", v.format, got, err)
			}
			if got, err := other(v.password, v.ciphertext); err == nil {
				t.Errorf("the other format decrypted a %s value to %q", v.format, got)
			}
		})
	}
}

func TestDecryptWrongPassword(t *testing.T) {
	for _, v := range csVectors {
		for _, pw := range []string{"wrongpassword", "Password", "", "managementkey", "password"} {
			if pw == v.password {
				continue
			}
			got, err := Decrypt(pw, v.ciphertext)
			if err == nil || !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s with password %q: got %q, %v; want ErrDecrypt", v.name, pw, got, err)
			}
			if got != "" {
				t.Errorf("%s: garbage plaintext %q", v.name, got)
			}
		}
	}
}

// TestDecryptV1WrongKeyNeverGarbage encrypts many secrets and tries
// wrong passwords: DES-CBC has no MAC, so padding and the text check must
// reject every wrong-key result.
func TestDecryptV1WrongKeyNeverGarbage(t *testing.T) {
	for i := range 300 {
		b := make([]byte, 64)
		rand.Read(b)
		secret := base64.RawURLEncoding.EncodeToString(b)
		ct := csencrypt.V1("rightkey", secret)
		if got, err := Decrypt("rightkey", ct); err != nil || got != secret {
			t.Fatalf("round trip %d: %q %v", i, got, err)
		}
		if got, err := Decrypt("wrongkey", ct); err == nil {
			t.Fatalf("wrong key decrypted to %q", got)
		}
		ct2 := csencrypt.V2("rightkey", secret)
		if got, err := Decrypt("rightkey", ct2); err != nil || got != secret {
			t.Fatalf("V2 round trip %d: %q %v", i, got, err)
		}
		if got, err := Decrypt("wrongkey", ct2); err == nil {
			t.Fatalf("V2 wrong key decrypted to %q", got)
		}
	}
}

func TestDecryptMalformed(t *testing.T) {
	for _, ct := range []string{"", "not base64!!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAA==", strings.Repeat("A", 86)} {
		if got, err := Decrypt("password", ct); err == nil {
			t.Errorf("%q decrypted to %q", ct, got)
		}
	}
}

func TestDecryptPropertyValue(t *testing.T) {
	got, err := DecryptPropertyValue("password", "ENC(vlzQjmqOV4s5q7n+S1OMbA==)")
	if err != nil || got != "cloud" {
		t.Fatalf("got %q %v", got, err)
	}
	if got, err := DecryptPropertyValue("password", "plainvalue"); err != nil || got != "plainvalue" {
		t.Fatalf("plain: %q %v", got, err)
	}
	if _, err := DecryptPropertyValue("wrong", "ENC(vlzQjmqOV4s5q7n+S1OMbA==)"); err == nil {
		t.Fatal("wrong management key accepted")
	}
}

func TestParseJavaProperties(t *testing.T) {
	const in = `# comment
! also a comment
   db.cloud.username=cloud
db.cloud.password=ENC(vlzQjmqOV4s5q7n+S1OMbA==)
db.cloud.host : db1.example.com
db.cloud.port 3307
key\ with\ spaces = value with = and : inside
multi = first \
        second \
        third
escaped = tab\there\u0041\\
empty=
db.cloud.name=cloud
db.cloud.name=cloud2
`
	p, err := ParseJavaProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"db.cloud.username": "cloud",
		"db.cloud.password": "ENC(vlzQjmqOV4s5q7n+S1OMbA==)",
		"db.cloud.host":     "db1.example.com",
		"db.cloud.port":     "3307",
		"key with spaces":   "value with = and : inside",
		"multi":             "first second third",
		"escaped":           "tab\thereA\\",
		"empty":             "",
		"db.cloud.name":     "cloud2",
	}
	for k, v := range want {
		if got, ok := p[k]; !ok || got != v {
			t.Errorf("%q = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if len(p) != len(want) {
		t.Errorf("got %d keys, want %d: %q", len(p), len(want), p)
	}
}

func FuzzParseJavaProperties(f *testing.F) {
	f.Add("a=b\nc : d \\\n e\n")
	f.Add("x\\u00")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseJavaProperties(strings.NewReader(s))
	})
}

func FuzzDecrypt(f *testing.F) {
	for _, v := range csVectors {
		f.Add(v.password, v.ciphertext)
	}
	f.Fuzz(func(t *testing.T, pw, ct string) {
		if got, err := Decrypt(pw, ct); err == nil && !plausiblePlaintext([]byte(got)) {
			t.Fatalf("implausible plaintext %q", got)
		}
	})
}
