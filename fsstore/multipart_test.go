package fsstore

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testMinPart = 100

// mpModes runs f against both metadata stores with a small minimum part
// size.
func mpModes(t *testing.T, f func(t *testing.T, s *Store)) {
	modes(t, func(t *testing.T, s *Store) {
		s.minPartSize = testMinPart
		mustBucket(t, s, "bkt")
		f(t, s)
	})
}

func create(t testing.TB, s *Store, bucket, key string) Upload {
	t.Helper()
	u, err := s.CreateMultipartUpload(ctx, bucket, key, ObjectMeta{ContentType: "text/x-test", UserMeta: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatalf("create %q: %v", key, err)
	}
	return u
}

func uploadPart(t testing.TB, s *Store, u Upload, n int, data []byte) Part {
	t.Helper()
	p, err := s.UploadPart(ctx, u.Bucket, u.Key, u.UploadID, n, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("part %d: %v", n, err)
	}
	if p.PartNumber != n || p.Size != int64(len(data)) || p.ETag != md5hex(data) {
		t.Fatalf("part %d: %+v", n, p)
	}
	return p
}

func completeParts(parts ...Part) []CompletePart {
	var out []CompletePart
	for _, p := range parts {
		// The request names the part's checksums as UploadPart returned them.
		out = append(out, CompletePart{PartNumber: p.PartNumber, ETag: `"` + p.ETag + `"`, Checksums: p.Checksums})
	}
	return out
}

// wantETag computes the multipart ETag from the part bytes.
func wantETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		h := md5.Sum(p)
		sums = append(sums, h[:]...)
	}
	h := md5.Sum(sums)
	return hex.EncodeToString(h[:]) + "-" + strconv.Itoa(len(parts))
}

func partData(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i/251)
	}
	return b
}

func uploadEntries(t testing.TB, s *Store, bucket string) []string {
	t.Helper()
	names, err := os.ReadDir(filepath.Join(rootPath(s), bucketUploads(bucket)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		out = append(out, n.Name())
	}
	return out
}

func mustErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func TestMultipartHappyPath(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "dir/obj")
		if !validUploadID(u.UploadID) || u.Key != "dir/obj" || u.Bucket != "bkt" || u.Initiated.IsZero() {
			t.Fatalf("upload %+v", u)
		}
		got, err := s.GetUpload(ctx, "bkt", "dir/obj", u.UploadID)
		if err != nil || got.UploadID != u.UploadID || got.Meta.ContentType != "text/x-test" || got.Meta.UserMeta["a"] != "b" {
			t.Fatalf("get %+v %v", got, err)
		}
		data := [][]byte{partData(1, 150), partData(2, 100), partData(3, 7)}
		var parts []Part
		for i, d := range data {
			p, err := s.UploadPart(ctx, "bkt", "dir/obj", u.UploadID, i+1, bytes.NewReader(d), func() map[string]string {
				return map[string]string{"CRC32": b64sum("CRC32", d)}
			})
			if err != nil || p.ETag != md5hex(d) || p.Checksums["CRC32"] == "" {
				t.Fatal(p, err)
			}
			parts = append(parts, p)
		}
		listed, trunc, err := s.ListParts(ctx, "bkt", "dir/obj", u.UploadID, 0, 0)
		if err != nil || trunc || len(listed) != 3 {
			t.Fatal(listed, trunc, err)
		}
		for i, p := range listed {
			if p.PartNumber != i+1 || p.ETag != md5hex(data[i]) || p.Size != int64(len(data[i])) ||
				p.Checksums["CRC32"] != b64sum("CRC32", data[i]) || p.LastModified.IsZero() {
				t.Fatalf("listed %+v", p)
			}
		}
		// The upload has no checksum algorithm: the parts' checksums and an
		// expected value are ignored, the object has no checksum.
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "dir/obj", u.UploadID, completeParts(parts...), CompleteOptions{ExpectedChecksums: map[string]string{"CRC32": "whole"}})
		if err != nil {
			t.Fatal(err)
		}
		whole := slices.Concat(data...)
		if m.ETag != wantETag(data...) || m.Size != int64(len(whole)) || m.ContentType != "text/x-test" ||
			m.UserMeta["a"] != "b" || m.Checksums != nil || m.LastModified.IsZero() {
			t.Fatalf("meta %+v", m)
		}
		b, om := readObject(t, s, "bkt", "dir/obj")
		if !bytes.Equal(b, whole) || om.ETag != m.ETag || om.ContentType != "text/x-test" || om.Checksums != nil {
			t.Fatalf("object %d bytes, meta %+v", len(b), om)
		}
		_, err = s.GetUpload(ctx, "bkt", "dir/obj", u.UploadID)
		mustErr(t, "get after complete", err, ErrNoSuchUpload)
		if left := uploadEntries(t, s, "bkt"); !equalStrings(left, []string{u.UploadID + doneSuffix}) {
			t.Fatalf("left in uploads: %v", left)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
		if _, sidecar := s.meta.(*sidecarMeta); sidecar {
			// Only the object's sidecar is left, none of the parts'.
			n := 0
			filepath.WalkDir(filepath.Join(rootPath(s), metaDir), func(_ string, d fs.DirEntry, _ error) error {
				if !d.IsDir() {
					n++
				}
				return nil
			})
			if n != 1 {
				t.Fatalf("%d sidecar records left", n)
			}
		}
	})
}

func TestUploadPartReplace(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		old := uploadPart(t, s, u, 1, partData(1, 200))
		p2 := uploadPart(t, s, u, 2, partData(2, 5))
		neu := uploadPart(t, s, u, 1, partData(9, 120))
		listed, _, err := s.ListParts(ctx, "bkt", "k", u.UploadID, 0, 10)
		if err != nil || len(listed) != 2 || listed[0].ETag != neu.ETag || listed[0].Size != 120 {
			t.Fatal(listed, err)
		}
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(old, p2), CompleteOptions{})
		mustErr(t, "complete with replaced etag", err, ErrInvalidPart)
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(neu, p2), CompleteOptions{})
		if err != nil || m.ETag != wantETag(partData(9, 120), partData(2, 5)) {
			t.Fatal(m, err)
		}
		b, _ := readObject(t, s, "bkt", "k")
		if !bytes.Equal(b, slices.Concat(partData(9, 120), partData(2, 5))) {
			t.Fatal("wrong bytes")
		}
	})
}

func TestMultipartErrors(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		mustBucket(t, s, "other")
		u := create(t, s, "bkt", "k")
		foreignKey := create(t, s, "bkt", "k2")
		foreignBucket := create(t, s, "other", "k")
		p1 := uploadPart(t, s, u, 1, partData(1, 100))
		p2 := uploadPart(t, s, u, 2, partData(2, 99))
		p3 := uploadPart(t, s, u, 3, partData(3, 10))

		_, err := s.CreateMultipartUpload(ctx, "nobucket", "k", ObjectMeta{})
		mustErr(t, "create in missing bucket", err, ErrNoSuchBucket)
		_, err = s.CreateMultipartUpload(ctx, "bkt", "a/\xff/b", ObjectMeta{})
		mustErr(t, "create bad key", err, ErrInvalidKey)
		_, err = s.CreateMultipartUpload(ctx, "bkt", "", ObjectMeta{})
		mustErr(t, "create empty key", err, ErrInvalidKey)

		bad := []string{"", "../x", "..", "x", strings.ToLower(u.UploadID), u.UploadID + "/..", u.UploadID + claimSuffix,
			"../" + u.UploadID, foreignKey.UploadID, foreignBucket.UploadID, newUploadID(time.Now())}
		for _, id := range bad {
			_, err := s.GetUpload(ctx, "bkt", "k", id)
			mustErr(t, "get "+id, err, ErrNoSuchUpload)
			_, err = s.UploadPart(ctx, "bkt", "k", id, 1, strings.NewReader("x"), nil)
			mustErr(t, "part "+id, err, ErrNoSuchUpload)
			_, _, err = s.ListParts(ctx, "bkt", "k", id, 0, 0)
			mustErr(t, "list parts "+id, err, ErrNoSuchUpload)
			_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", id, completeParts(p1), CompleteOptions{})
			mustErr(t, "complete "+id, err, ErrNoSuchUpload)
			mustErr(t, "abort "+id, s.AbortMultipartUpload(ctx, "bkt", "k", id), ErrNoSuchUpload)
		}
		_, err = s.GetUpload(ctx, "nobucket", "k", u.UploadID)
		mustErr(t, "get in missing bucket", err, ErrNoSuchBucket)
		// The foreign uploads were not touched.
		for _, f := range []Upload{foreignKey, foreignBucket} {
			if _, err := s.GetUpload(ctx, f.Bucket, f.Key, f.UploadID); err != nil {
				t.Fatal(err)
			}
		}

		for _, n := range []int{0, -1, 10001} {
			_, err := s.UploadPart(ctx, "bkt", "k", u.UploadID, n, strings.NewReader("x"), nil)
			mustErr(t, "part number "+strconv.Itoa(n), err, ErrInvalidPartNumber)
		}
		if _, err := s.UploadPart(ctx, "bkt", "k", u.UploadID, 10000, strings.NewReader("x"), nil); err != nil {
			t.Fatal(err)
		}

		complete := func(parts []CompletePart) error {
			_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, parts, CompleteOptions{})
			return err
		}
		mustErr(t, "empty list", complete(nil), ErrInvalidPartOrder)
		mustErr(t, "descending", complete(completeParts(p2, p1)), ErrInvalidPartOrder)
		mustErr(t, "duplicate", complete(completeParts(p1, p1)), ErrInvalidPartOrder)
		mustErr(t, "wrong etag", complete([]CompletePart{{PartNumber: 1, ETag: p2.ETag}}), ErrInvalidPart)
		mustErr(t, "missing part", complete([]CompletePart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 4, ETag: p1.ETag}}), ErrInvalidPart)
		mustErr(t, "too small", complete(completeParts(p2, p3)), ErrEntityTooSmall)
		mustErr(t, "too small", complete(completeParts(p1, p2, p3)), ErrEntityTooSmall)

		// Every failure left the upload usable; ETags may be unquoted and
		// in upper case.
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID,
			[]CompletePart{{PartNumber: 1, ETag: strings.ToUpper(p1.ETag)}, {PartNumber: 3, ETag: p3.ETag}}, CompleteOptions{})
		if err != nil || m.ETag != wantETag(partData(1, 100), partData(3, 10)) {
			t.Fatal(m, err)
		}
		b, _ := readObject(t, s, "bkt", "k")
		if !bytes.Equal(b, slices.Concat(partData(1, 100), partData(3, 10))) {
			t.Fatal("wrong bytes")
		}
	})
}

func TestMultipartMinPartSizeDefault(t *testing.T) {
	s := newStore(t, false)
	if s.minPartSize != MinPartSize {
		t.Fatal(s.minPartSize)
	}
	mustBucket(t, s, "bkt")
	u := create(t, s, "bkt", "k")
	p1 := uploadPart(t, s, u, 1, partData(1, 1000))
	p2 := uploadPart(t, s, u, 2, partData(2, 1000))
	_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p1, p2), CompleteOptions{})
	mustErr(t, "default minimum", err, ErrEntityTooSmall)
}

func TestCompleteFailuresKeepUpload(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		put(t, s, "bkt", "k", []byte("old"))
		put(t, s, "bkt", "file", []byte("x"))
		u := create(t, s, "bkt", "k")
		p := uploadPart(t, s, u, 1, partData(1, 10))
		_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{IfNoneMatch: "*"})
		mustErr(t, "If-None-Match", err, ErrPreconditionFailed)
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{IfMatch: md5hex([]byte("other"))})
		mustErr(t, "If-Match", err, ErrPreconditionFailed)
		if b, _ := readObject(t, s, "bkt", "k"); string(b) != "old" {
			t.Fatal("object replaced")
		}
		// A key below an object completes next to it.
		u2 := create(t, s, "bkt", "file/sub")
		p2 := uploadPart(t, s, u2, 1, []byte("y"))
		if _, err = s.CompleteMultipartUpload(ctx, "bkt", "file/sub", u2.UploadID, completeParts(p2), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if b, _ := readObject(t, s, "bkt", "file/sub"); string(b) != "y" {
			t.Fatalf("file/sub: %q", b)
		}

		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{IfMatch: `"` + md5hex([]byte("old")) + `"`})
		if err != nil || m.ETag != wantETag(partData(1, 10)) {
			t.Fatal(m, err)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestUploadPartFailingBody(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		old := uploadPart(t, s, u, 1, partData(1, 300))
		boom := errors.New("boom")
		noSums := func() map[string]string {
			t.Error("checksums asked for without a clean EOF")
			return nil
		}
		_, err := s.UploadPart(ctx, "bkt", "k", u.UploadID, 1, &failingReader{data: partData(2, 500), err: boom}, noSums)
		mustErr(t, "failing body", err, boom)
		_, err = s.UploadPart(ctx, "bkt", "k", u.UploadID, 2, &failingReader{data: partData(2, 500), err: boom}, nil)
		mustErr(t, "failing body, new part", err, boom)
		listed, _, err := s.ListParts(ctx, "bkt", "k", u.UploadID, 0, 0)
		if err != nil || len(listed) != 1 || listed[0].ETag != old.ETag || listed[0].Size != 300 {
			t.Fatal(listed, err)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestAbortMultipartUpload(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		uploadPart(t, s, u, 1, partData(1, 10))
		uploadPart(t, s, u, 2, partData(2, 10))
		mustErr(t, "abort other key", s.AbortMultipartUpload(ctx, "bkt", "x", u.UploadID), ErrNoSuchUpload)
		if err := s.AbortMultipartUpload(ctx, "bkt", "k", u.UploadID); err != nil {
			t.Fatal(err)
		}
		mustErr(t, "abort twice", s.AbortMultipartUpload(ctx, "bkt", "k", u.UploadID), ErrNoSuchUpload)
		_, err := s.GetUpload(ctx, "bkt", "k", u.UploadID)
		mustErr(t, "get aborted", err, ErrNoSuchUpload)
		_, err = s.UploadPart(ctx, "bkt", "k", u.UploadID, 3, strings.NewReader("x"), nil)
		mustErr(t, "part after abort", err, ErrNoSuchUpload)
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, []CompletePart{{PartNumber: 1, ETag: md5hex(partData(1, 10))}}, CompleteOptions{})
		mustErr(t, "complete after abort", err, ErrNoSuchUpload)
		if left := uploadEntries(t, s, "bkt"); len(left) != 0 {
			t.Fatal(left)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
		if _, err := s.HeadObject(ctx, "bkt", "k"); !errors.Is(err, ErrNoSuchKey) {
			t.Fatal(err)
		}
	})
}

func TestListPartsPaging(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		for _, n := range []int{7, 1, 3, 2, 10000, 5, 4} {
			uploadPart(t, s, u, n, partData(n, n%50+1))
		}
		var got []int
		marker, pages := 0, 0
		for {
			parts, trunc, err := s.ListParts(ctx, "bkt", "k", u.UploadID, marker, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(parts) > 3 || (trunc && len(parts) != 3) {
				t.Fatalf("page %d: %d parts, truncated %v", pages, len(parts), trunc)
			}
			for _, p := range parts {
				got = append(got, p.PartNumber)
				marker = p.PartNumber
			}
			if !trunc {
				break
			}
		}
		if !slices.Equal(got, []int{1, 2, 3, 4, 5, 7, 10000}) || pages != 3 {
			t.Fatal(got, pages)
		}
		parts, trunc, err := s.ListParts(ctx, "bkt", "k", u.UploadID, 4, 2)
		if err != nil || !trunc || len(parts) != 2 || parts[0].PartNumber != 5 || parts[1].PartNumber != 7 {
			t.Fatal(parts, trunc, err)
		}
		parts, trunc, err = s.ListParts(ctx, "bkt", "k", u.UploadID, 10000, 2)
		if err != nil || trunc || len(parts) != 0 {
			t.Fatal(parts, trunc, err)
		}
	})
}

func TestListMultipartUploads(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		// Upload ids of one key sort in creation order.
		a1 := create(t, s, "bkt", "a")
		time.Sleep(time.Millisecond)
		a2 := create(t, s, "bkt", "a")
		b1 := create(t, s, "bkt", "b/1")
		b2 := create(t, s, "bkt", "b/2")
		bb := create(t, s, "bkt", "b/c/3")
		c := create(t, s, "bkt", "c")
		done := create(t, s, "bkt", "d")
		gone := create(t, s, "bkt", "e")
		p := uploadPart(t, s, done, 1, []byte("x"))
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", "d", done.UploadID, completeParts(p), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.AbortMultipartUpload(ctx, "bkt", "e", gone.UploadID); err != nil {
			t.Fatal(err)
		}
		if a1.UploadID >= a2.UploadID {
			t.Fatal("ids not in creation order")
		}
		all := []Upload{a1, a2, b1, b2, bb, c}
		ids := func(us []Upload) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.Key+"@"+u.UploadID)
			}
			return out
		}
		list := func(o ListUploadsOptions) ListUploadsResult {
			t.Helper()
			res, err := s.ListMultipartUploads(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := list(ListUploadsOptions{})
		if !equalStrings(ids(res.Uploads), ids(all)) || res.IsTruncated || res.NextKeyMarker != "" {
			t.Fatalf("all: %v", ids(res.Uploads))
		}
		if res.Uploads[0].Meta.ContentType != "text/x-test" || res.Uploads[0].Initiated.IsZero() {
			t.Fatalf("upload %+v", res.Uploads[0])
		}
		// Paging with both markers visits every upload once.
		for _, max := range []int{1, 2, 4} {
			var got []Upload
			o := ListUploadsOptions{MaxUploads: max}
			for {
				res := list(o)
				got = append(got, res.Uploads...)
				if !res.IsTruncated {
					break
				}
				if len(res.Uploads) != max {
					t.Fatal("short truncated page")
				}
				o.KeyMarker, o.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
			}
			if !equalStrings(ids(got), ids(all)) {
				t.Fatalf("max %d: %v", max, ids(got))
			}
		}
		res = list(ListUploadsOptions{KeyMarker: "a"})
		if !equalStrings(ids(res.Uploads), ids(all[2:])) {
			t.Fatalf("key marker: %v", ids(res.Uploads))
		}
		res = list(ListUploadsOptions{KeyMarker: "a", UploadIDMarker: a1.UploadID})
		if !equalStrings(ids(res.Uploads), ids(all[1:])) {
			t.Fatalf("both markers: %v", ids(res.Uploads))
		}
		res = list(ListUploadsOptions{UploadIDMarker: a2.UploadID}) // ignored without a key marker
		if !equalStrings(ids(res.Uploads), ids(all)) {
			t.Fatalf("id marker only: %v", ids(res.Uploads))
		}
		res = list(ListUploadsOptions{Prefix: "b/"})
		if !equalStrings(ids(res.Uploads), ids([]Upload{b1, b2, bb})) {
			t.Fatalf("prefix: %v", ids(res.Uploads))
		}
		res = list(ListUploadsOptions{Delimiter: "/"})
		if !equalStrings(ids(res.Uploads), ids([]Upload{a1, a2, c})) || !equalStrings(res.CommonPrefixes, []string{"b/"}) {
			t.Fatalf("delimiter: %v %v", ids(res.Uploads), res.CommonPrefixes)
		}
		res = list(ListUploadsOptions{Delimiter: "/", Prefix: "b/"})
		if !equalStrings(ids(res.Uploads), ids([]Upload{b1, b2})) || !equalStrings(res.CommonPrefixes, []string{"b/c/"}) {
			t.Fatalf("prefix+delimiter: %v %v", ids(res.Uploads), res.CommonPrefixes)
		}
		// Paging with a delimiter: a common prefix is one entry and is not
		// repeated on the next page.
		var seq []string
		o := ListUploadsOptions{Delimiter: "/", MaxUploads: 1}
		for {
			res := list(o)
			seq = append(seq, ids(res.Uploads)...)
			seq = append(seq, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			o.KeyMarker, o.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		want := append(ids([]Upload{a1, a2}), "b/", "c@"+c.UploadID)
		if !equalStrings(seq, want) {
			t.Fatalf("delimiter paging: %v", seq)
		}
		res = list(ListUploadsOptions{Delimiter: "/", KeyMarker: "b/"})
		if !equalStrings(ids(res.Uploads), ids([]Upload{c})) || len(res.CommonPrefixes) != 0 {
			t.Fatalf("marker at prefix: %v %v", ids(res.Uploads), res.CommonPrefixes)
		}
		_, err := s.ListMultipartUploads(ctx, "nobucket", ListUploadsOptions{})
		mustErr(t, "missing bucket", err, ErrNoSuchBucket)
	})
}

func TestCompleteRetry(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		p1 := uploadPart(t, s, u, 1, partData(1, 100))
		p2 := uploadPart(t, s, u, 2, partData(2, 10))
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p1, p2), CompleteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Overwrite the object: the retry must not republish.
		put(t, s, "bkt", "k", []byte("later"))
		again, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID,
			[]CompletePart{{PartNumber: 1, ETag: strings.ToUpper(p1.ETag)}, {PartNumber: 2, ETag: p2.ETag}}, CompleteOptions{IfNoneMatch: "*"})
		if err != nil || again.ETag != m.ETag || !again.LastModified.Equal(m.LastModified) || again.Size != m.Size {
			t.Fatalf("retry %+v %v, first %+v", again, err, m)
		}
		if b, _ := readObject(t, s, "bkt", "k"); string(b) != "later" {
			t.Fatal("retry republished")
		}
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p1), CompleteOptions{})
		mustErr(t, "retry with other parts", err, ErrNoSuchUpload)
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k2", u.UploadID, completeParts(p1, p2), CompleteOptions{})
		mustErr(t, "retry with other key", err, ErrNoSuchUpload)
	})
}

func TestConcurrentComplete(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		const nParts = 12
		data := make([][]byte, nParts)
		parts := make([]Part, nParts)
		var wg sync.WaitGroup
		for i := range nParts {
			data[i] = partData(i, 1000+i*37)
			wg.Go(func() {
				p, err := s.UploadPart(ctx, "bkt", "k", u.UploadID, i+1, bytes.NewReader(data[i]), nil)
				if err != nil {
					t.Error(err)
				}
				parts[i] = p
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		const n = 8
		metas := make([]ObjectMeta, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				metas[i], errs[i] = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("complete %d: %v", i, errs[i])
			}
			if metas[i].ETag != wantETag(data...) || !metas[i].LastModified.Equal(metas[0].LastModified) || metas[i].Size != metas[0].Size {
				t.Fatalf("complete %d: %+v vs %+v", i, metas[i], metas[0])
			}
		}
		b, m := readObject(t, s, "bkt", "k")
		if !bytes.Equal(b, slices.Concat(data...)) || m.ETag != metas[0].ETag {
			t.Fatal("object differs from the concatenation")
		}
		if got := listAll(t, s, "bkt", ListOptions{}); !equalStrings(got, []string{"k"}) {
			t.Fatal(got)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

// TestCompleteWaitsForClaim simulates a Complete running elsewhere by
// claiming the upload by hand.
func TestCompleteWaitsForClaim(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		u := create(t, s, "bkt", "k")
		p := uploadPart(t, s, u, 1, []byte("data"))
		dir, claimed := uploadDir("bkt", u.UploadID), claimedDir("bkt", u.UploadID)
		if err := s.root.Rename(dir, claimed); err != nil {
			t.Fatal(err)
		}
		s.completeWait = 50 * time.Millisecond
		_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{})
		mustErr(t, "claimed", err, ErrCompleteInProgress)
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "other", u.UploadID, completeParts(p), CompleteOptions{})
		mustErr(t, "claimed, other key", err, ErrNoSuchUpload)
		c, cancel := contextWithCancel()
		cancel()
		_, err = s.CompleteMultipartUpload(c, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{})
		mustErr(t, "cancelled", err, c.Err())

		// The other Complete gives up (un-claims) while we wait: we claim
		// it and finish.
		s.completeWait = time.Minute
		go func() {
			time.Sleep(30 * time.Millisecond)
			s.root.Rename(claimed, dir)
		}()
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(p), CompleteOptions{})
		if err != nil || m.ETag != wantETag([]byte("data")) {
			t.Fatal(m, err)
		}
	})
}

func TestCompleteCopyModes(t *testing.T) {
	var objects [2][]byte
	for i, noCFR := range []bool{false, true} {
		s, err := Open(Options{Root: filepath.Join(t.TempDir(), "root"), NoCopyFileRange: noCFR})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.minPartSize = testMinPart
		mustBucket(t, s, "bkt")
		u := create(t, s, "bkt", "k")
		var data [][]byte
		var parts []Part
		// Larger than the copy buffer, and odd sizes.
		for n, size := range []int{copyBufSize*3 + 17, 101, 1 << 20, 1} {
			data = append(data, partData(n, size))
			parts = append(parts, uploadPart(t, s, u, n+1, data[n]))
		}
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		objects[i], _ = readObject(t, s, "bkt", "k")
		total := int64(len(slices.Concat(data...)))
		if !bytes.Equal(objects[i], slices.Concat(data...)) {
			t.Fatalf("noCFR=%v: wrong bytes", noCFR)
		}
		cfr, cp := s.joinedCFR.Load(), s.joinedCopy.Load()
		if noCFR && (cfr != 0 || cp != total) || !noCFR && (cfr != total || cp != 0) {
			t.Fatalf("noCFR=%v: %d bytes by copy_file_range, %d by copy, of %d", noCFR, cfr, cp, total)
		}
	}
	if !bytes.Equal(objects[0], objects[1]) {
		t.Fatal("copy modes differ")
	}
}

// backdate rewrites an upload's record as if initiated d ago.
func backdate(t *testing.T, s *Store, dir string, d time.Duration) {
	t.Helper()
	rec, err := s.loadUploadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec.Initiated = rec.Initiated.Add(-d)
	b, _ := json.Marshal(rec)
	if err := s.root.WriteFile(dir+"/"+uploadRecordName, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCleanupUploads(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		fresh := create(t, s, "bkt", "fresh")
		old := create(t, s, "bkt", "old")
		uploadPart(t, s, old, 1, []byte("x"))
		backdate(t, s, uploadDir("bkt", old.UploadID), 2*time.Hour)

		// A crash mid-Complete of a recent upload: un-claimed by cleanup.
		crashed := create(t, s, "bkt", "crashed")
		cp := uploadPart(t, s, crashed, 1, []byte("y"))
		if err := s.root.Rename(uploadDir("bkt", crashed.UploadID), claimedDir("bkt", crashed.UploadID)); err != nil {
			t.Fatal(err)
		}
		// A crash mid-Complete of an old upload: aborted.
		crashedOld := create(t, s, "bkt", "crashed-old")
		backdate(t, s, uploadDir("bkt", crashedOld.UploadID), 2*time.Hour)
		if err := s.root.Rename(uploadDir("bkt", crashedOld.UploadID), claimedDir("bkt", crashedOld.UploadID)); err != nil {
			t.Fatal(err)
		}
		// A claim refreshed just now: a live Complete, left alone.
		live := create(t, s, "bkt", "live")
		backdate(t, s, uploadDir("bkt", live.UploadID), 2*time.Hour)
		if err := s.root.Rename(uploadDir("bkt", live.UploadID), claimedDir("bkt", live.UploadID)); err != nil {
			t.Fatal(err)
		}
		longAgo := time.Now().Add(-2 * time.Hour)
		for _, u := range []Upload{crashed, crashedOld} {
			if err := s.root.Chtimes(claimedDir("bkt", u.UploadID), longAgo, longAgo); err != nil {
				t.Fatal(err)
			}
		}
		// A finished upload whose done record is old.
		fin := create(t, s, "bkt", "fin")
		fp := uploadPart(t, s, fin, 1, []byte("z"))
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", "fin", fin.UploadID, completeParts(fp), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.root.Chtimes(doneRecordPath("bkt", fin.UploadID), longAgo, longAgo); err != nil {
			t.Fatal(err)
		}
		// Uploads of a bucket deleted without them (e.g. by an older
		// version).
		mustBucket(t, s, "gone")
		create(t, s, "gone", "k")
		if err := s.root.Remove("gone"); err != nil {
			t.Fatal(err)
		}
		if err := s.root.Remove(recordPath("gone")); err != nil {
			t.Fatal(err)
		}

		n, err := s.CleanupUploads(ctx, time.Hour)
		if err != nil || n != 3 { // old, crashedOld, gone/k
			t.Fatal(n, err)
		}
		for _, u := range []Upload{fresh, crashed} {
			if _, err := s.GetUpload(ctx, "bkt", u.Key, u.UploadID); err != nil {
				t.Fatalf("%s: %v", u.Key, err)
			}
		}
		for _, u := range []Upload{old, crashedOld} {
			_, err := s.GetUpload(ctx, "bkt", u.Key, u.UploadID)
			mustErr(t, u.Key, err, ErrNoSuchUpload)
		}
		if !s.fileExists(claimedDir("bkt", live.UploadID)) {
			t.Fatal("live claim removed")
		}
		if s.fileExists(doneRecordPath("bkt", fin.UploadID)) {
			t.Fatal("old done record kept")
		}
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "fin", fin.UploadID, completeParts(fp), CompleteOptions{})
		mustErr(t, "complete after record expired", err, ErrNoSuchUpload)
		if s.fileExists(bucketUploads("gone")) {
			t.Fatal("uploads of a deleted bucket kept")
		}
		// The un-claimed upload completes.
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", "crashed", crashed.UploadID, completeParts(cp), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}

		// Everything initiated before now goes.
		n, err = s.CleanupUploads(ctx, 0)
		if err != nil || n != 2 { // fresh, live
			t.Fatal(n, err)
		}
		if left := uploadEntries(t, s, "bkt"); len(left) != 0 {
			t.Fatal(left)
		}
	})
}

func TestUploadsNeverListed(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		put(t, s, "bkt", "a", []byte("a"))
		u := create(t, s, "bkt", "d/e/f")
		p := uploadPart(t, s, u, 1, []byte("part"))
		u2 := create(t, s, "bkt", "g")
		uploadPart(t, s, u2, 1, []byte("part"))
		if got := listAll(t, s, "bkt", ListOptions{}); !equalStrings(got, []string{"a"}) {
			t.Fatal(got)
		}
		if got := listAll(t, s, "bkt", ListOptions{Delimiter: "/"}); !equalStrings(got, []string{"a"}) {
			t.Fatal(got)
		}
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", "d/e/f", u.UploadID, completeParts(p), CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := listAll(t, s, "bkt", ListOptions{}); !equalStrings(got, []string{"a", "d/e/f"}) {
			t.Fatal(got)
		}
		if _, err := s.HeadObject(ctx, "bkt", ".caddys3/uploads"); !errors.Is(err, ErrNoSuchKey) {
			t.Fatal(err)
		}
	})
}

func TestDeleteBucketWithUpload(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		put(t, s, "bkt", "obj", []byte("x"))
		u := create(t, s, "bkt", "k")
		uploadPart(t, s, u, 1, []byte("part"))
		mustErr(t, "delete non-empty", s.DeleteBucket(ctx, "bkt"), ErrBucketNotEmpty)
		if _, err := s.GetUpload(ctx, "bkt", "k", u.UploadID); err != nil {
			t.Fatal("upload dropped by a failed delete:", err)
		}
		if err := s.DeleteObject(ctx, "bkt", "obj"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBucket(ctx, "bkt"); err != nil {
			t.Fatal(err)
		}
		if s.fileExists(bucketUploads("bkt")) {
			t.Fatal("uploads kept")
		}
		_, err := s.GetUpload(ctx, "bkt", "k", u.UploadID)
		mustErr(t, "get in deleted bucket", err, ErrNoSuchBucket)
		mustBucket(t, s, "bkt")
		_, err = s.GetUpload(ctx, "bkt", "k", u.UploadID)
		mustErr(t, "get in recreated bucket", err, ErrNoSuchUpload)
		res, err := s.ListMultipartUploads(ctx, "bkt", ListUploadsOptions{})
		if err != nil || len(res.Uploads) != 0 {
			t.Fatal(res, err)
		}
		if len(tmpEntries(t, s)) != 0 {
			t.Fatal("temp files left")
		}
	})
}

func TestUploadIDs(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 100 {
		id := newUploadID(time.Now())
		if !validUploadID(id) || seen[id] || id <= prev {
			t.Fatal(id, prev)
		}
		seen[id] = true
		prev = id
		time.Sleep(time.Microsecond)
	}
	for _, id := range []string{"", "..", "../" + prev[3:], prev[:38] + "W", prev[:38] + "a", prev + "0"} {
		if validUploadID(id) {
			t.Fatal(id)
		}
	}
}

func BenchmarkComplete(b *testing.B) {
	const nParts, partSize = 10, 8 << 20
	for _, noCFR := range []bool{false, true} {
		b.Run(fmt.Sprintf("NoCopyFileRange=%v", noCFR), func(b *testing.B) {
			s, err := Open(Options{Root: filepath.Join(b.TempDir(), "root"), NoCopyFileRange: noCFR})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			mustBucket(b, s, "bkt")
			// Parts are uploaded once and hard-linked into each new upload
			// (their metadata is in the inode's xattr).
			tmpl := create(b, s, "bkt", "tmpl")
			var parts []Part
			for n := 1; n <= nParts; n++ {
				parts = append(parts, uploadPart(b, s, tmpl, n, partData(n, partSize)))
			}
			b.SetBytes(nParts * partSize)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				u := create(b, s, "bkt", "obj")
				for n := 1; n <= nParts; n++ {
					if err := s.root.Link(uploadDir("bkt", tmpl.UploadID)+"/"+partName(n), uploadDir("bkt", u.UploadID)+"/"+partName(n)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := s.CompleteMultipartUpload(ctx, "bkt", "obj", u.UploadID, completeParts(parts...), CompleteOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
