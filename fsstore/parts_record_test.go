package fsstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// The part record keeps runs of equal sizes, drops checksums past their
// budget and the whole list past maxPartRuns, and expands back to the
// parts it was made of.
func TestPartsRecord(t *testing.T) {
	uniform := func(n int, size, last int64, sum string) []ObjectPart {
		out := make([]ObjectPart, n)
		for i := range out {
			out[i] = ObjectPart{PartNumber: i + 1, Size: size, Checksum: sum}
		}
		out[n-1].Size = last
		return out
	}
	varied := func(n int) []ObjectPart {
		out := make([]ObjectPart, n)
		for i := range out {
			out[i] = ObjectPart{PartNumber: i + 1, Size: int64(100 + i)}
		}
		return out
	}
	noSums := func(p []ObjectPart) []ObjectPart {
		out := slices.Clone(p)
		for i := range out {
			out[i].Checksum = ""
		}
		return out
	}
	gaps := []ObjectPart{{1, 5, "a"}, {3, 5, "b"}, {4, 5, "c"}, {9, 2, "d"}}
	cases := []struct {
		name  string
		parts []ObjectPart
		want  []ObjectPart // nil: no list kept
		runs  int
	}{
		{"none", nil, nil, 0},
		{"uniform, 10000 parts, no checksums", uniform(10000, 5<<20, 7, ""), uniform(10000, 5<<20, 7, ""), 2},
		{"uniform with CRC32s that fit", uniform(100, 5<<20, 7, "AAAAAA=="), uniform(100, 5<<20, 7, "AAAAAA=="), 2},
		{"checksums past the budget are dropped", uniform(1000, 5<<20, 7, "AAAAAA=="), noSums(uniform(1000, 5<<20, 7, "AAAAAA==")), 2},
		{"gaps in the numbers start runs", gaps, gaps, 3},
		{"sizes that vary within the run limit", varied(maxPartRuns), varied(maxPartRuns), maxPartRuns},
		{"past the run limit nothing is kept", varied(maxPartRuns + 1), nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := partsRecordOf(c.parts)
			// Through JSON, as the record is stored.
			b, err := json.Marshal(metaRecord{PT: r})
			if err != nil {
				t.Fatal(err)
			}
			var back metaRecord
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if got := back.PT.parts(); !slices.Equal(got, c.want) {
				t.Fatalf("parts: got %d parts %v…, want %d", len(got), got[:min(len(got), 3)], len(c.want))
			}
			if r != nil && len(r.Runs) != c.runs {
				t.Fatalf("runs: got %d, want %d", len(r.Runs), c.runs)
			}
			if len(b) > 2048 {
				t.Fatalf("record of %d bytes", len(b))
			}
		})
	}
}

// A damaged record (a hand edit, a bad run) reads as no list, never as a
// wrong one or a panic.
func TestPartsRecordDamaged(t *testing.T) {
	for _, raw := range []string{`{"r":[[0,1,5]]}`, `{"r":[[1,-1,5]]}`, `{"r":[[1,2,-5]]}`, `{"r":[[1,20000,5]]}`} {
		var r partsRecord
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
		if got := r.parts(); got != nil {
			t.Fatalf("%s: %v", raw, got)
		}
	}
}

// PartsCount reads the ETag's "-N".
func TestPartsCount(t *testing.T) {
	for etag, want := range map[string]int{"abc": 0, "abc-3": 3, "abc-": 0, "abc-x": 0, "abc-0": 0, "abc-10000": 10000} {
		m := ObjectMeta{ETag: etag}
		if got := m.PartsCount(); got != want {
			t.Fatalf("%s: got %d, want %d", etag, got, want)
		}
	}
}

// Complete keeps the part list (with the part checksums of a COMPOSITE
// upload only) in the object's record, in both metadata stores and in a
// versioned bucket; a PUT over it or a copy of it has none.
func TestCompleteKeepsParts(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		data := [][]byte{partData(1, testMinPart), partData(2, testMinPart), partData(3, 9)}
		for _, c := range []struct {
			algo, typ string
			sums      bool
			versioned bool
		}{
			{"", "", false, false},
			{"CRC32", "COMPOSITE", true, false},
			{"CRC32", "FULL_OBJECT", false, false},
			{"SHA256", "COMPOSITE", true, true},
		} {
			key := fmt.Sprintf("k-%s-%s-%v", c.algo, c.typ, c.versioned)
			if c.versioned {
				if err := s.SetBucketVersioning(ctx, "bkt", VersioningEnabled); err != nil {
					t.Fatal(err)
				}
			}
			u := createWithChecksum(t, s, key, c.algo, c.typ)
			var parts []Part
			for i, d := range data {
				if c.algo == "" {
					p, err := s.UploadPart(ctx, "bkt", key, u.UploadID, i+1, bytes.NewReader(d), nil)
					if err != nil {
						t.Fatal(err)
					}
					parts = append(parts, p)
				} else {
					parts = append(parts, uploadPartSum(t, s, u, i+1, d, c.algo))
				}
			}
			if _, err := s.CompleteMultipartUpload(ctx, "bkt", key, u.UploadID, completeParts(parts...), CompleteOptions{}); err != nil {
				t.Fatal(err)
			}
			m, err := s.HeadObject(ctx, "bkt", key)
			if err != nil {
				t.Fatal(err)
			}
			var want []ObjectPart
			for i, d := range data {
				p := ObjectPart{PartNumber: i + 1, Size: int64(len(d))}
				if c.sums {
					p.Checksum = b64sum(c.algo, d)
				}
				want = append(want, p)
			}
			if got := m.Parts(); !slices.Equal(got, want) {
				t.Fatalf("%s: parts %v, want %v", key, got, want)
			}
			if c.versioned {
				v, err := s.HeadObjectVersion(ctx, "bkt", key, m.VersionID)
				if err != nil || !slices.Equal(v.Parts(), want) {
					t.Fatalf("%s: version's parts %v, %v", key, v.Parts(), err)
				}
			}
			// A copy keeps the metadata, not the parts.
			if _, err := s.PutObject(ctx, "bkt", key+"-copy", bytes.NewReader(nil), PutOptions{Meta: m}); err != nil {
				t.Fatal(err)
			}
			if cp, _ := s.HeadObject(ctx, "bkt", key+"-copy"); cp.Parts() != nil {
				t.Fatalf("a copy has parts %v", cp.Parts())
			}
		}
	})
}
