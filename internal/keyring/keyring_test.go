package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestNewAndRotation(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	r, err := New([]Key{{"new", k2}, {"old", k1}})
	if err != nil {
		t.Fatal(err)
	}
	if id, s := r.Current(); id != "new" || !bytes.Equal(s, k2) {
		t.Fatalf("current %q", id)
	}
	if s, ok := r.Lookup("old"); !ok || !bytes.Equal(s, k1) {
		t.Fatal("the old key is not found")
	}
	if _, ok := r.Lookup("gone"); ok {
		t.Fatal("an unknown id was found")
	}
	for name, keys := range map[string][]Key{
		"none":         nil,
		"duplicate id": {{"a", k1}, {"a", k2}},
		"short key":    {{"a", k1[:16]}},
		"empty id":     {{"", k1}},
		"id too long":  {{string(make([]byte, 33)), k1}},
	} {
		if _, err := New(keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoad(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	b64 := base64.StdEncoding.EncodeToString(key)
	for name, source := range map[string]string{
		"inline base64": b64,
		"inline hex":    hex.EncodeToString(key),
		"base64 file":   write("b64", []byte(b64+"\n")),
		"hex file":      write("hex", []byte(hex.EncodeToString(key))),
		"raw file":      write("raw", key),
	} {
		got, err := Load(source)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for name, source := range map[string]string{
		"missing file": filepath.Join(dir, "nope"),
		"short file":   write("short", key[:31]),
		"text of 16":   base64.StdEncoding.EncodeToString(key[:16]),
	} {
		if _, err := Load(source); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
