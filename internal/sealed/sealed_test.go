package sealed

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// pattern is plaintext that is easy to spot and differs per offset.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i/251)
	}
	return p
}

// seal returns the sealed file of plain, written in chunks of chunk
// bytes.
func seal(t testing.TB, plain []byte, kek []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, MasterKey, "k1", kek)
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		n := min(chunk, len(p))
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// unseal reads length bytes at off of the sealed file.
func unseal(file []byte, kek []byte, off, length int64) ([]byte, error) {
	r := bytes.NewReader(file)
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	o, err := Open(r, int64(len(file)), h, kek)
	if err != nil {
		return nil, err
	}
	if length < 0 {
		length = o.Size() - off
	}
	rd, err := o.NewReader(off, length)
	if err != nil {
		return nil, err
	}
	if off%2 == 1 { // both ways of reading
		var b bytes.Buffer
		_, err := rd.WriteTo(&b)
		return b.Bytes(), err
	}
	return io.ReadAll(rd)
}

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 100, PackageSize - 1, PackageSize, PackageSize + 1, 2 * PackageSize, 3*PackageSize + 5} {
		for _, chunk := range []int{1 << 20, 32 << 10, 7} {
			if chunk == 7 && size > PackageSize+1 {
				continue
			}
			plain := pattern(size)
			file := seal(t, plain, key(1), chunk)
			if int64(len(file)) != SealedSize(int64(size)) {
				t.Fatalf("size %d: file of %d bytes, SealedSize says %d", size, len(file), SealedSize(int64(size)))
			}
			if n, ok := PlainSize(int64(len(file))); !ok || n != int64(size) {
				t.Fatalf("size %d: PlainSize = %d, %v", size, n, ok)
			}
			if size >= 16 && bytes.Contains(file, plain[:16]) {
				t.Fatalf("size %d: plaintext visible in the sealed file", size)
			}
			got, err := unseal(file, key(1), 0, -1)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("size %d chunk %d: %d bytes back, err %v", size, chunk, len(got), err)
			}
		}
	}
}

func TestRanges(t *testing.T) {
	plain := pattern(3*PackageSize + 100)
	file := seal(t, plain, key(2), 1<<20)
	for _, tc := range []struct{ off, n int64 }{
		{0, 0}, {0, 1}, {PackageSize - 1, 2}, {PackageSize, PackageSize}, {PackageSize + 10, 4096},
		{3 * PackageSize, 100}, {3*PackageSize + 99, 1}, {5, int64(len(plain)) - 5},
	} {
		got, err := unseal(file, key(2), tc.off, tc.n)
		if err != nil || !bytes.Equal(got, plain[tc.off:tc.off+tc.n]) {
			t.Errorf("range %d+%d: %d bytes, err %v", tc.off, tc.n, len(got), err)
		}
	}
	if _, err := unseal(file, key(2), int64(len(plain)), 1); err == nil {
		t.Error("a range past the end opened")
	}
}

// TestDamage: every kind of damage fails the read with an error, and no
// byte of a damaged package is returned.
func TestDamage(t *testing.T) {
	plain := pattern(3*PackageSize + 100)
	good := seal(t, plain, key(3), 1<<20)
	pkg := func(i int) int { return HeaderSize + i*(PackageSize+TagSize) }
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		file []byte
		want error
	}{
		{"flip in the header magic", edit(func(b []byte) []byte { b[0] ^= 1; return b }), ErrFormat},
		{"flip in the key id", edit(func(b []byte) []byte { b[offID] ^= 1; return b }), ErrKey},
		{"flip in the nonce prefix", edit(func(b []byte) []byte { b[offPrefix] ^= 1; return b }), ErrKey},
		{"flip in the wrapped key", edit(func(b []byte) []byte { b[offWrapped+3] ^= 1; return b }), ErrKey},
		{"flip in package 0", edit(func(b []byte) []byte { b[pkg(0)+5] ^= 0x80; return b }), ErrTampered},
		{"flip in package 2's tag", edit(func(b []byte) []byte { b[pkg(3)-1] ^= 1; return b }), ErrTampered},
		{"flip in the last package", edit(func(b []byte) []byte { b[len(b)-20] ^= 1; return b }), ErrTampered},
		{"last package dropped", edit(func(b []byte) []byte { return b[:pkg(3)] }), ErrTampered},
		{"last two packages dropped", edit(func(b []byte) []byte { return b[:pkg(2)] }), ErrTampered},
		{"truncated mid-package", edit(func(b []byte) []byte { return b[:pkg(1)+1000] }), ErrTampered},
		{"truncated to a size no file has", edit(func(b []byte) []byte { return b[:pkg(3)+5] }), ErrFormat},
		{"packages 0 and 1 swapped", edit(func(b []byte) []byte {
			p0 := bytes.Clone(b[pkg(0):pkg(1)])
			copy(b[pkg(0):], b[pkg(1):pkg(2)])
			copy(b[pkg(1):], p0)
			return b
		}), ErrTampered},
		{"package 1 repeated over 2", edit(func(b []byte) []byte { copy(b[pkg(2):], b[pkg(1):pkg(2)]); return b }), ErrTampered},
		{"extended by a package", edit(func(b []byte) []byte {
			last := bytes.Clone(b[pkg(3):])
			return append(append(b[:pkg(3)], b[pkg(2):pkg(3)]...), last...)
		}), ErrTampered},
		{"header only", edit(func(b []byte) []byte { return b[:HeaderSize] }), ErrFormat},
		{"empty file", nil, ErrFormat},
	}
	for _, tc := range cases {
		got, err := unseal(tc.file, key(3), 0, -1)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
		if !bytes.Equal(got, plain[:len(got)]) {
			t.Errorf("%s: wrong bytes returned before the error", tc.name)
		}
	}
}

// TestReaderStopsAtDamage: a stream returns the packages before a damaged
// one, then the error, never the damaged package's bytes.
func TestReaderStopsAtDamage(t *testing.T) {
	plain := pattern(3 * PackageSize)
	file := seal(t, plain, key(4), 1<<20)
	file[HeaderSize+2*(PackageSize+TagSize)+10] ^= 1
	got, err := unseal(file, key(4), 0, -1)
	if !errors.Is(err, ErrTampered) || len(got) != 2*PackageSize || !bytes.Equal(got, plain[:len(got)]) {
		t.Fatalf("got %d bytes, err %v; want the first two packages, then ErrTampered", len(got), err)
	}
}

func TestWrongKeyAndHeader(t *testing.T) {
	file := seal(t, pattern(10), key(5), 10)
	if _, err := unseal(file, key(6), 0, -1); !errors.Is(err, ErrKey) {
		t.Fatalf("wrong key: err %v", err)
	}
	h, err := ReadHeader(bytes.NewReader(file))
	if err != nil || h.Kind != MasterKey || h.KeyID != "k1" {
		t.Fatalf("header %+v, err %v", h, err)
	}
	if _, err := NewWriter(io.Discard, MasterKey, string(make([]byte, MaxKeyID+1)), key(1)); err == nil {
		t.Fatal("a key id too long for the header was accepted")
	}
	if _, err := NewWriter(io.Discard, CustomerKey, "", key(1)[:16]); err == nil {
		t.Fatal("a 128-bit key was accepted")
	}
}

// TestUniquePerObject: two objects of the same plaintext under the same
// key share no ciphertext (fresh data key and nonce prefix).
func TestUniquePerObject(t *testing.T) {
	plain := pattern(1000)
	a, b := seal(t, plain, key(7), 1000), seal(t, plain, key(7), 1000)
	if bytes.Equal(a[HeaderSize:HeaderSize+32], b[HeaderSize:HeaderSize+32]) {
		t.Fatal("same ciphertext for two objects")
	}
}

func TestPlainSizeRejects(t *testing.T) {
	for _, n := range []int64{0, HeaderSize, HeaderSize + TagSize - 1, HeaderSize + PackageSize + TagSize + TagSize, HeaderSize + PackageSize + TagSize + 3} {
		if _, ok := PlainSize(n); ok {
			t.Errorf("PlainSize(%d) accepted", n)
		}
	}
}

const benchSize = 64 << 20

func BenchmarkSeal64MiB(b *testing.B) {
	plain := pattern(32 << 10)
	b.SetBytes(benchSize)
	for b.Loop() {
		w, err := NewWriter(io.Discard, MasterKey, "k", key(1))
		if err != nil {
			b.Fatal(err)
		}
		for range benchSize / len(plain) {
			w.Write(plain)
		}
		w.Close()
	}
}

func BenchmarkOpen64MiB(b *testing.B) {
	file := seal(b, pattern(benchSize), key(1), 1<<20)
	r := bytes.NewReader(file)
	h, _ := ReadHeader(r)
	b.SetBytes(benchSize)
	for b.Loop() {
		o, err := Open(r, int64(len(file)), h, key(1))
		if err != nil {
			b.Fatal(err)
		}
		rd, _ := o.NewReader(0, o.Size())
		if _, err := io.Copy(io.Discard, rd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRange4KiB: 4 KiB from the middle of a 64 MiB object, header
// read and key unwrap included (what one ranged GET does).
func BenchmarkRange4KiB(b *testing.B) {
	file := seal(b, pattern(benchSize), key(1), 1<<20)
	r := bytes.NewReader(file)
	b.SetBytes(4096)
	for b.Loop() {
		h, _ := ReadHeader(r)
		o, err := Open(r, int64(len(file)), h, key(1))
		if err != nil {
			b.Fatal(err)
		}
		rd, _ := o.NewReader(benchSize/2+1000, 4096)
		if _, err := io.Copy(io.Discard, rd); err != nil {
			b.Fatal(err)
		}
	}
}
