package fsstore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/caddys3/caddys3/checksum"
)

func b64sum(algo string, data []byte) string {
	h := checksum.New(algo)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// createWithChecksum starts an upload with a checksum algorithm and type.
func createWithChecksum(t *testing.T, s *Store, key, algo, typ string) Upload {
	t.Helper()
	u, err := s.CreateMultipartUpload(ctx, "bkt", key, ObjectMeta{ChecksumAlgorithm: algo, ChecksumType: typ})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// uploadPartSum uploads a part whose verified checksum of algo is reported
// at EOF, as auth's reader does.
func uploadPartSum(t *testing.T, s *Store, u Upload, n int, data []byte, algo string) Part {
	t.Helper()
	p, err := s.UploadPart(ctx, "bkt", u.Key, u.UploadID, n, bytes.NewReader(data), func() map[string]string {
		return map[string]string{algo: b64sum(algo, data)}
	})
	if err != nil || p.Checksums[algo] != b64sum(algo, data) {
		t.Fatal(p, err)
	}
	return p
}

// mustNotPublish checks that a failed Complete left no object, no temp
// file, and the upload in place.
func mustNotPublish(t *testing.T, s *Store, u Upload) {
	t.Helper()
	if _, err := s.HeadObject(ctx, "bkt", u.Key); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("object published: %v", err)
	}
	if _, err := s.GetUpload(ctx, "bkt", u.Key, u.UploadID); err != nil {
		t.Fatalf("upload gone: %v", err)
	}
	if len(tmpEntries(t, s)) != 0 {
		t.Fatal("temp files left")
	}
}

// Complete computes a COMPOSITE or FULL_OBJECT checksum from the parts'
// checksums, checks the one the client sent, publishes nothing on a
// mismatch and can be completed again afterwards.
func TestCompleteChecksums(t *testing.T) {
	data := [][]byte{partData(1, 150), partData(2, 120), partData(3, 9)}
	whole := slices.Concat(data...)
	composite := func(algo string) string {
		var raw []byte
		for _, d := range data {
			b, _ := base64.StdEncoding.DecodeString(b64sum(algo, d))
			raw = append(raw, b...)
		}
		return b64sum(algo, raw) + "-3"
	}
	cases := []struct{ algo, typ, want, sendOK string }{
		{"CRC32", "COMPOSITE", composite("CRC32"), composite("CRC32")},
		{"SHA256", "COMPOSITE", composite("SHA256"), composite("SHA256")[:44]}, // without "-3"
		{"SHA1", "COMPOSITE", composite("SHA1"), ""},
		{"CRC32", "FULL_OBJECT", b64sum("CRC32", whole), b64sum("CRC32", whole)},
		{"CRC32C", "FULL_OBJECT", b64sum("CRC32C", whole), ""},
		{"CRC64NVME", "FULL_OBJECT", b64sum("CRC64NVME", whole), b64sum("CRC64NVME", whole)},
	}
	mpModes(t, func(t *testing.T, s *Store) {
		for _, c := range cases {
			key := c.algo + "-" + c.typ
			u := createWithChecksum(t, s, key, c.algo, c.typ)
			var parts []Part
			for i, d := range data {
				parts = append(parts, uploadPartSum(t, s, u, i+1, d, c.algo))
			}
			for _, bad := range []string{b64sum(c.algo, []byte("other")), c.want + "x", c.want[:len(c.want)-1]} {
				_, err := s.CompleteMultipartUpload(ctx, "bkt", key, u.UploadID, completeParts(parts...), CompleteOptions{ExpectedChecksums: map[string]string{c.algo: bad}})
				var mm *ChecksumMismatchError
				if !errors.As(err, &mm) || mm.Algorithm != c.algo || !errors.Is(err, ErrBadDigest) {
					t.Fatalf("%s: sent %q: %v", key, bad, err)
				}
				mustNotPublish(t, s, u)
			}
			// Another algorithm's value is not the upload's: ignored.
			opts := CompleteOptions{ExpectedChecksums: map[string]string{c.algo: c.sendOK, otherAlgo(c.algo): "bogus"}}
			m, err := s.CompleteMultipartUpload(ctx, "bkt", key, u.UploadID, completeParts(parts...), opts)
			want := map[string]string{c.algo: c.want}
			if err != nil || !maps.Equal(m.Checksums, want) || m.ChecksumAlgorithm != c.algo || m.ChecksumType != c.typ {
				t.Fatalf("%s: %+v %v", key, m, err)
			}
			if h, err := s.HeadObject(ctx, "bkt", key); err != nil || !maps.Equal(h.Checksums, want) || h.ChecksumType != c.typ {
				t.Fatalf("%s: stored %+v %v", key, h, err)
			}
			// A retried Complete gets the recorded result.
			again, err := s.CompleteMultipartUpload(ctx, "bkt", key, u.UploadID, completeParts(parts...), opts)
			if err != nil || !maps.Equal(again.Checksums, want) || again.ETag != m.ETag {
				t.Fatalf("%s: retry %+v %v", key, again, err)
			}
		}
	})
}

// A part without a checksum of the upload's algorithm (uploaded without
// one, as UploadPartCopy does, or with another algorithm's) fails Complete
// with the part number; once the part is uploaded again with its checksum
// the upload completes.
func TestCompleteMissingPartChecksum(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := createWithChecksum(t, s, "k", "CRC32C", "COMPOSITE")
		p1 := uploadPartSum(t, s, u, 1, partData(1, 100), "CRC32C")
		p2 := uploadPart(t, s, u, 2, partData(2, 100))
		p3 := uploadPartSum(t, s, u, 3, partData(3, 5), "SHA256")
		for _, c := range []struct {
			parts []Part
			part  int
		}{{[]Part{p1, p2, p3}, 2}, {[]Part{p1, p3}, 3}} {
			_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(c.parts...), CompleteOptions{})
			var me *MissingPartChecksumError
			if !errors.As(err, &me) || me.Algorithm != "CRC32C" || me.PartNumber != c.part || !errors.Is(err, ErrMissingPartChecksum) {
				t.Fatalf("got %v, want part %d missing", err, c.part)
			}
			mustNotPublish(t, s, u)
		}
		p2 = uploadPartSum(t, s, u, 2, partData(2, 100), "CRC32C")
		p3 = uploadPartSum(t, s, u, 3, partData(3, 5), "CRC32C")
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p1, p2, p3), CompleteOptions{})
		if err != nil || len(m.Checksums) != 1 || m.Checksums["CRC32C"] == "" {
			t.Fatal(m, err)
		}
	})
}

// otherAlgo is an algorithm other than algo.
func otherAlgo(algo string) string {
	if algo == "SHA256" {
		return "CRC32"
	}
	return "SHA256"
}

// The checksums a Complete names for a part, against the part as stored
// (S3's rules, as versitygw's validatePartChecksum applies them).
func TestPartChecksumRules(t *testing.T) {
	data := []byte("part data")
	crc, sha := b64sum("CRC32", data), b64sum("SHA256", data)
	stored := Part{PartNumber: 3, Checksums: map[string]string{"CRC32": crc}}
	other := b64sum("CRC32", []byte("other"))
	for _, c := range []struct {
		name string
		algo string // the upload's
		sent map[string]string
		rule ChecksumRule // 0: no ChecksumRuleError
		want error        // nil: accepted
	}{
		{"matching", "CRC32", map[string]string{"CRC32": crc}, 0, nil},
		{"none sent, upload without algorithm", "", nil, 0, nil},
		{"matching, upload without algorithm", "", map[string]string{"CRC32": crc}, 0, nil},
		{"none sent", "CRC32", nil, 0, ErrMissingPartChecksum},
		{"wrong value", "CRC32", map[string]string{"CRC32": other}, 0, ErrInvalidPart},
		{"wrong value, upload without algorithm", "", map[string]string{"CRC32": other}, 0, ErrInvalidPart},
		{"not stored, upload without algorithm", "", map[string]string{"SHA256": sha}, 0, ErrInvalidPart},
		{"another algorithm", "CRC32", map[string]string{"SHA256": sha}, PartChecksumOtherAlgorithm, nil},
		{"two", "CRC32", map[string]string{"CRC32": crc, "SHA256": sha}, PartChecksumInvalid, nil},
		{"not base64", "CRC32", map[string]string{"CRC32": "!!"}, PartChecksumInvalid, nil},
		{"wrong size", "CRC32", map[string]string{"CRC32": sha}, PartChecksumInvalid, nil},
	} {
		err := partChecksumRules(c.algo, CompletePart{PartNumber: 3, Checksums: c.sent}, stored)
		var re *ChecksumRuleError
		switch {
		case c.rule != 0 && (!errors.As(err, &re) || re.Rule != c.rule || re.PartNumber != 3):
			t.Errorf("%s: got %v, want rule %d", c.name, err, c.rule)
		case c.rule == 0 && c.want == nil && err != nil, c.rule == 0 && c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Whole-object rules: the type must be the upload's; a newer
	// algorithm's checksum must be the upload's algorithm, an older one's
	// is ignored.
	meta := ObjectMeta{ChecksumAlgorithm: "CRC32", ChecksumType: "COMPOSITE"}
	for _, c := range []struct {
		opts CompleteOptions
		rule ChecksumRule
	}{
		{CompleteOptions{ChecksumType: "COMPOSITE"}, 0},
		{CompleteOptions{ChecksumType: "FULL_OBJECT"}, ChecksumModeMismatch},
		{CompleteOptions{ExpectedChecksums: map[string]string{"SHA256": "x"}}, 0},
		{CompleteOptions{ExpectedChecksums: map[string]string{"SHA512": "x"}}, ObjectChecksumTypeMismatch},
	} {
		err := completeChecksumRules(meta, c.opts)
		var re *ChecksumRuleError
		if c.rule == 0 && err != nil || c.rule != 0 && (!errors.As(err, &re) || re.Rule != c.rule) {
			t.Errorf("%+v: got %v, want rule %d", c.opts, err, c.rule)
		}
	}
}
