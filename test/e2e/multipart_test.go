package e2e

// Multipart upload: the whole life cycle through aws-sdk-go-v2 (default
// integrity settings, over HTTP with signed payloads + CRC32 headers and over
// HTTPS with unsigned trailing checksums), minio-go and the SDK's upload
// manager; listings; UploadPartCopy; every error of the API; retried and
// conditional Completes; concurrency.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/minio/minio-go/v7"
)

// TestMultipartBasic uploads 5 MiB + 5 MiB + 1 KiB and checks the multipart
// ETag in the Complete response, HEAD, GET, ListObjectsV2 and minio-go's
// StatObject, the content (whole and a range across a part boundary) and
// the metadata given at CreateMultipartUpload.
func TestMultipartBasic(t *testing.T) {
	bucket := makeBucket(t, alice, "mpbasic")
	p1, p2, p3 := randomBytes(5*mib), randomBytes(5*mib), randomBytes(1024)
	whole := concat(p1, p2, p3)
	want := mpETag(p1, p2, p3)
	for _, ep := range []struct{ name, base string }{{"http", srv.base}, {"https", srv.tlsBase}} {
		t.Run(ep.name, func(t *testing.T) {
			cl := sdk(alice, ep.base)
			ctx := ctxT(t)
			key := "dir/mp-" + ep.name + ".bin"
			id := createUpload(t, cl, bucket, key, func(in *s3.CreateMultipartUploadInput) {
				in.ContentType = aws.String("application/x-mp-test")
				in.Metadata = map[string]string{"color": "red"}
			})
			var parts []types.CompletedPart
			for i, p := range [][]byte{p1, p2, p3} {
				parts = append(parts, uploadPart(t, cl, bucket, key, id, int32(i+1), p))
			}
			out := completeUpload(t, cl, bucket, key, id, etagsOnly(parts))
			if got := aws.ToString(out.ETag); got != want {
				t.Errorf("CompleteMultipartUpload ETag %s, want %s", got, want)
			}
			if aws.ToString(out.Bucket) != bucket || aws.ToString(out.Key) != key {
				t.Errorf("CompleteMultipartUpload Bucket %q Key %q, want %q %q", aws.ToString(out.Bucket), aws.ToString(out.Key), bucket, key)
			}
			if aws.ToString(out.Location) == "" {
				t.Errorf("CompleteMultipartUpload without Location")
			}
			if ep.name == "https" && wire.payloadCount("STREAMING-UNSIGNED-PAYLOAD-TRAILER") == 0 {
				t.Errorf("the SDK sent no part with a trailing checksum over HTTPS; that path was not exercised")
			}

			head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToString(head.ETag) != want {
				t.Errorf("HeadObject ETag %s, want %s", aws.ToString(head.ETag), want)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(whole)) {
				t.Errorf("HeadObject ContentLength %d, want %d", aws.ToInt64(head.ContentLength), len(whole))
			}
			if aws.ToString(head.ContentType) != "application/x-mp-test" {
				t.Errorf("HeadObject ContentType %q, want the one given at CreateMultipartUpload", aws.ToString(head.ContentType))
			}
			if head.Metadata["color"] != "red" {
				t.Errorf("HeadObject Metadata %v, want color=red from CreateMultipartUpload", head.Metadata)
			}

			get, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			body, err := io.ReadAll(get.Body)
			get.Body.Close()
			if err != nil {
				t.Fatalf("GetObject body: %v", err)
			}
			if !bytes.Equal(body, whole) {
				t.Errorf("GetObject returned %d bytes (sha256 %x), want the %d concatenated part bytes (%x)",
					len(body), sha256.Sum256(body), len(whole), sha256.Sum256(whole))
			}
			if aws.ToString(get.ETag) != want {
				t.Errorf("GetObject ETag %s, want %s", aws.ToString(get.ETag), want)
			}

			// A range across the boundary between parts 1 and 2.
			rng, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Range: aws.String(fmt.Sprintf("bytes=%d-%d", 5*mib-10, 5*mib+9))})
			if err != nil {
				t.Fatalf("GetObject range: %v", err)
			}
			rb, _ := io.ReadAll(rng.Body)
			rng.Body.Close()
			if !bytes.Equal(rb, whole[5*mib-10:5*mib+10]) {
				t.Errorf("range across the part boundary returned %x, want %x", rb, whole[5*mib-10:5*mib+10])
			}

			list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key)})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if len(list.Contents) != 1 {
				t.Fatalf("ListObjectsV2 prefix %s returned %d objects, want 1", key, len(list.Contents))
			}
			if o := list.Contents[0]; aws.ToString(o.ETag) != want || aws.ToInt64(o.Size) != int64(len(whole)) {
				t.Errorf("ListObjectsV2 has ETag %s size %d, want %s %d", aws.ToString(o.ETag), aws.ToInt64(o.Size), want, len(whole))
			}

			st, err := mc(t, alice, false).StatObject(ctx, bucket, key, minio.StatObjectOptions{})
			if err != nil {
				t.Fatalf("minio StatObject: %v", err)
			}
			if `"`+st.ETag+`"` != want {
				t.Errorf("minio StatObject ETag %s, want %s", st.ETag, want)
			}

			// The upload is gone once completed.
			_, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			wantSDKError(t, err, 404, "NoSuchUpload")
			lu, err := cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
			if err != nil {
				t.Fatalf("ListMultipartUploads: %v", err)
			}
			for _, u := range lu.Uploads {
				if aws.ToString(u.UploadId) == id {
					t.Errorf("completed upload %s still listed by ListMultipartUploads", id)
				}
			}
		})
	}
}

// TestMultipartChecksums: an upload created with a CRC32 checksum gets the
// per-part checksums in UploadPart and ListParts and the COMPOSITE checksum
// "<crc32 of part crc32s>-N" at Complete and HEAD; a FULL_OBJECT upload
// gets the CRC32 of the whole object.
func TestMultipartChecksums(t *testing.T) {
	bucket := makeBucket(t, alice, "mpsum")
	cl := aliceSDK()
	ctx := ctxT(t)
	p1, p2 := randomBytes(5*mib), randomBytes(3000)
	whole := concat(p1, p2)

	t.Run("composite", func(t *testing.T) {
		key := "composite"
		id := createUpload(t, cl, bucket, key, func(in *s3.CreateMultipartUploadInput) {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		})
		var parts []types.CompletedPart
		for i, p := range [][]byte{p1, p2} {
			cp := uploadPart(t, cl, bucket, key, id, int32(i+1), p, func(in *s3.UploadPartInput) {
				in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
			})
			if got := aws.ToString(cp.ChecksumCRC32); got != crc32B64(p) {
				t.Errorf("UploadPart %d ChecksumCRC32 %q, want %q", i+1, got, crc32B64(p))
			}
			parts = append(parts, cp)
		}
		lp, err := cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		if lp.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
			t.Errorf("ListParts ChecksumAlgorithm %q, want CRC32", lp.ChecksumAlgorithm)
		}
		for i, p := range lp.Parts {
			if i < 2 && aws.ToString(p.ChecksumCRC32) != crc32B64([][]byte{p1, p2}[i]) {
				t.Errorf("ListParts part %d ChecksumCRC32 %q, want %q", i+1, aws.ToString(p.ChecksumCRC32), crc32B64([][]byte{p1, p2}[i]))
			}
		}
		out := completeUpload(t, cl, bucket, key, id, parts)
		want := compositeCRC32(p1, p2)
		if got := aws.ToString(out.ChecksumCRC32); got != want {
			t.Errorf("Complete ChecksumCRC32 %q, want the composite %q", got, want)
		}
		if out.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("Complete ChecksumType %q, want COMPOSITE", out.ChecksumType)
		}
		if aws.ToString(out.ETag) != mpETag(p1, p2) {
			t.Errorf("Complete ETag %s, want %s", aws.ToString(out.ETag), mpETag(p1, p2))
		}
		head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if got := aws.ToString(head.ChecksumCRC32); got != want {
			t.Errorf("HeadObject (checksum mode) ChecksumCRC32 %q, want %q", got, want)
		}
		if !bytes.Equal(getBytes(t, cl, bucket, key), whole) {
			t.Errorf("content differs")
		}
	})

	t.Run("full-object", func(t *testing.T) {
		key := "full"
		id := createUpload(t, cl, bucket, key, func(in *s3.CreateMultipartUploadInput) {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
			in.ChecksumType = types.ChecksumTypeFullObject
		})
		var parts []types.CompletedPart
		for i, p := range [][]byte{p1, p2} {
			parts = append(parts, uploadPart(t, cl, bucket, key, id, int32(i+1), p, func(in *s3.UploadPartInput) {
				in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
			}))
		}
		// A wrong full-object checksum is refused and leaves the upload.
		_, err := cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, parts, func(in *s3.CompleteMultipartUploadInput) {
			in.ChecksumCRC32 = aws.String(crc32B64([]byte("something else")))
			in.ChecksumType = types.ChecksumTypeFullObject
		}))
		wantSDKError(t, err, 400, "BadDigest")
		wantAbsent(t, bucket, key)
		out := completeUpload(t, cl, bucket, key, id, parts, func(in *s3.CompleteMultipartUploadInput) {
			in.ChecksumCRC32 = aws.String(crc32B64(whole))
			in.ChecksumType = types.ChecksumTypeFullObject
		})
		if got := aws.ToString(out.ChecksumCRC32); got != crc32B64(whole) {
			t.Errorf("Complete ChecksumCRC32 %q, want the full-object %q", got, crc32B64(whole))
		}
		if out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("Complete ChecksumType %q, want FULL_OBJECT", out.ChecksumType)
		}
		head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if got := aws.ToString(head.ChecksumCRC32); got != crc32B64(whole) {
			t.Errorf("HeadObject ChecksumCRC32 %q, want %q", got, crc32B64(whole))
		}
		// GET with checksum mode: the SDK validates the full-object CRC32.
		get, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		b, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil || !bytes.Equal(b, whole) {
			t.Errorf("GetObject with checksum validation: %d bytes, err %v", len(b), err)
		}
	})
}

// TestMultipartPartReupload: uploading a part number again replaces it.
func TestMultipartPartReupload(t *testing.T) {
	bucket := makeBucket(t, alice, "mpreup")
	cl := aliceSDK()
	ctx := ctxT(t)
	key := "k"
	a, b, tail := randomBytes(5*mib), randomBytes(5*mib+7), randomBytes(10)
	id := createUpload(t, cl, bucket, key)
	first := uploadPart(t, cl, bucket, key, id, 1, a)
	second := uploadPart(t, cl, bucket, key, id, 1, b)
	last := uploadPart(t, cl, bucket, key, id, 2, tail)

	lp, err := cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != 2 {
		t.Fatalf("ListParts lists %d parts after re-uploading part 1, want 2", len(lp.Parts))
	}
	if p := lp.Parts[0]; aws.ToInt32(p.PartNumber) != 1 || aws.ToString(p.ETag) != quotedMD5(b) || aws.ToInt64(p.Size) != int64(len(b)) {
		t.Errorf("ListParts part 1 is #%d %s (%d bytes), want the re-upload %s (%d bytes)",
			aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToInt64(p.Size), quotedMD5(b), len(b))
	}

	_, err = cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, etagsOnly([]types.CompletedPart{first, last})))
	wantSDKError(t, err, 400, "InvalidPart")
	// The re-uploaded part 1 followed by part 2.
	wantCompleted(t, cl, bucket, key, completeUpload(t, cl, bucket, key, id, etagsOnly([]types.CompletedPart{second, last})), b, tail)
}

// TestMultipartAbort: after AbortMultipartUpload every operation on the
// upload answers NoSuchUpload and nothing was published.
func TestMultipartAbort(t *testing.T) {
	bucket := makeBucket(t, alice, "mpabort")
	cl := aliceSDK()
	ctx := ctxT(t)
	key := "aborted"
	data := randomBytes(1000)
	id, parts := uploadAll(t, cl, bucket, key, data)
	out, err := cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); !ok || raw.StatusCode != 204 {
		t.Errorf("AbortMultipartUpload answered %v, want 204", raw)
	}
	_, err = cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(2), Body: bytes.NewReader(data)})
	wantSDKError(t, err, 404, "NoSuchUpload")
	_, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	wantSDKError(t, err, 404, "NoSuchUpload")
	_, err = cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, etagsOnly(parts)))
	wantSDKError(t, err, 404, "NoSuchUpload")
	_, err = cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	wantSDKError(t, err, 404, "NoSuchUpload")
	wantAbsent(t, bucket, key)
	lu, err := cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != 0 {
		t.Errorf("ListMultipartUploads still lists %d uploads after the abort", len(lu.Uploads))
	}
}

// TestMultipartListParts: max-parts, part-number-marker, IsTruncated and
// NextPartNumberMarker.
func TestMultipartListParts(t *testing.T) {
	bucket := makeBucket(t, alice, "mplp")
	cl := aliceSDK()
	ctx := ctxT(t)
	key := "dir/parts"
	id := createUpload(t, cl, bucket, key)
	defer abortQuietly(cl, bucket, key, id)
	sizes := map[int32]int{1: 100, 2: 200, 3: 300, 5: 500}
	data := map[int32][]byte{}
	for _, n := range []int32{5, 1, 3, 2} { // out of order on purpose
		data[n] = randomBytes(sizes[n])
		uploadPart(t, cl, bucket, key, id, n, data[n])
	}
	check := func(t *testing.T, got []types.Part, want ...int32) {
		t.Helper()
		var nums []int32
		for _, p := range got {
			nums = append(nums, aws.ToInt32(p.PartNumber))
		}
		if fmt.Sprint(nums) != fmt.Sprint(want) {
			t.Fatalf("parts %v, want %v", nums, want)
		}
		for _, p := range got {
			n := aws.ToInt32(p.PartNumber)
			if aws.ToString(p.ETag) != quotedMD5(data[n]) || aws.ToInt64(p.Size) != int64(sizes[n]) {
				t.Errorf("part %d: ETag %s size %d, want %s %d", n, aws.ToString(p.ETag), aws.ToInt64(p.Size), quotedMD5(data[n]), sizes[n])
			}
			if p.LastModified == nil || time.Since(*p.LastModified) > time.Hour {
				t.Errorf("part %d: LastModified %v", n, p.LastModified)
			}
		}
	}
	list := func(t *testing.T, max int32, marker string) *s3.ListPartsOutput {
		t.Helper()
		in := &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)}
		if max > 0 {
			in.MaxParts = aws.Int32(max)
		}
		if marker != "" {
			in.PartNumberMarker = aws.String(marker)
		}
		out, err := cl.ListParts(ctx, in)
		if err != nil {
			t.Fatalf("ListParts max %d marker %q: %v", max, marker, err)
		}
		if aws.ToString(out.UploadId) != id || aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
			t.Errorf("ListParts answered bucket %q key %q upload %q", aws.ToString(out.Bucket), aws.ToString(out.Key), aws.ToString(out.UploadId))
		}
		return out
	}
	t.Run("all", func(t *testing.T) {
		out := list(t, 0, "")
		check(t, out.Parts, 1, 2, 3, 5)
		if aws.ToBool(out.IsTruncated) {
			t.Errorf("IsTruncated with every part listed")
		}
	})
	t.Run("max-parts=2", func(t *testing.T) {
		out := list(t, 2, "")
		check(t, out.Parts, 1, 2)
		if !aws.ToBool(out.IsTruncated) {
			t.Errorf("IsTruncated false with 2 of 4 parts listed")
		}
		if aws.ToString(out.NextPartNumberMarker) != "2" {
			t.Errorf("NextPartNumberMarker %q, want 2", aws.ToString(out.NextPartNumberMarker))
		}
		if aws.ToInt32(out.MaxParts) != 2 {
			t.Errorf("MaxParts %d, want 2", aws.ToInt32(out.MaxParts))
		}
		next := list(t, 2, aws.ToString(out.NextPartNumberMarker))
		check(t, next.Parts, 3, 5)
		if aws.ToBool(next.IsTruncated) {
			t.Errorf("second page IsTruncated")
		}
		if aws.ToString(next.PartNumberMarker) != "2" {
			t.Errorf("second page PartNumberMarker %q, want 2", aws.ToString(next.PartNumberMarker))
		}
	})
	t.Run("marker=3", func(t *testing.T) {
		check(t, list(t, 0, "3").Parts, 5)
	})
	t.Run("marker=5", func(t *testing.T) {
		out := list(t, 0, "5")
		check(t, out.Parts)
		if aws.ToBool(out.IsTruncated) {
			t.Errorf("IsTruncated on an empty page")
		}
	})
	t.Run("max-parts=1 paging", func(t *testing.T) {
		var all []types.Part
		marker := ""
		for i := 0; i < 10; i++ {
			out := list(t, 1, marker)
			all = append(all, out.Parts...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			marker = aws.ToString(out.NextPartNumberMarker)
		}
		check(t, all, 1, 2, 3, 5)
	})
}

type uploadRef struct{ key, id string }

// TestMultipartListUploads: prefix, delimiter, key-marker, upload-id-marker
// and paging with max-uploads.
func TestMultipartListUploads(t *testing.T) {
	bucket := makeBucket(t, alice, "mplu")
	cl := aliceSDK()
	ctx := ctxT(t)
	putBytes(t, cl, bucket, "e-object", []byte("a plain object, not an upload"))
	var mine []uploadRef
	for _, k := range []string{"c", "a/2", "d", "b/x/1", "a/1", "c"} {
		id := createUpload(t, cl, bucket, k)
		mine = append(mine, uploadRef{k, id})
		time.Sleep(5 * time.Millisecond) // distinct initiation times for the two "c"
	}
	defer func() {
		for _, u := range mine {
			abortQuietly(cl, bucket, u.key, u.id)
		}
	}()
	type page struct {
		uploads  []uploadRef
		prefixes []string
		out      *s3.ListMultipartUploadsOutput
	}
	list := func(t *testing.T, in s3.ListMultipartUploadsInput) page {
		t.Helper()
		in.Bucket = aws.String(bucket)
		out, err := cl.ListMultipartUploads(ctx, &in)
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		var p page
		p.out = out
		for _, u := range out.Uploads {
			p.uploads = append(p.uploads, uploadRef{aws.ToString(u.Key), aws.ToString(u.UploadId)})
			if u.Initiated == nil || time.Since(*u.Initiated) > time.Hour {
				t.Errorf("upload %s Initiated %v", aws.ToString(u.Key), u.Initiated)
			}
		}
		for _, cp := range out.CommonPrefixes {
			p.prefixes = append(p.prefixes, aws.ToString(cp.Prefix))
		}
		return p
	}
	keysOf := func(us []uploadRef) []string {
		var ks []string
		for _, u := range us {
			ks = append(ks, u.key)
		}
		return ks
	}

	full := list(t, s3.ListMultipartUploadsInput{})
	if got := fmt.Sprint(keysOf(full.uploads)); got != "[a/1 a/2 b/x/1 c c d]" {
		t.Fatalf("ListMultipartUploads keys %s, want [a/1 a/2 b/x/1 c c d] (sorted by key)", got)
	}
	ids := map[string]bool{}
	for _, u := range mine {
		ids[u.id] = true
	}
	for _, u := range full.uploads {
		if !ids[u.id] {
			t.Errorf("listed upload id %q for %s is not one CreateMultipartUpload returned", u.id, u.key)
		}
	}
	if full.uploads[3].id == full.uploads[4].id {
		t.Fatalf("the two uploads of c share an id")
	}
	// S3 orders the uploads of one key by initiation time.
	var cIDs []string
	for _, u := range mine {
		if u.key == "c" {
			cIDs = append(cIDs, u.id)
		}
	}
	if full.uploads[3].id != cIDs[0] || full.uploads[4].id != cIDs[1] {
		t.Errorf("uploads of c listed as %s, %s; want initiation order %s, %s", full.uploads[3].id, full.uploads[4].id, cIDs[0], cIDs[1])
	}

	cases := []struct {
		name         string
		in           s3.ListMultipartUploadsInput
		wantKeys     string
		wantPrefixes string
	}{
		{"prefix a/", s3.ListMultipartUploadsInput{Prefix: aws.String("a/")}, "[a/1 a/2]", "[]"},
		{"delimiter /", s3.ListMultipartUploadsInput{Delimiter: aws.String("/")}, "[c c d]", "[a/ b/]"},
		{"prefix b/ delimiter /", s3.ListMultipartUploadsInput{Prefix: aws.String("b/"), Delimiter: aws.String("/")}, "[]", "[b/x/]"},
		{"key-marker b/x/1", s3.ListMultipartUploadsInput{KeyMarker: aws.String("b/x/1")}, "[c c d]", "[]"},
		{"key-marker c", s3.ListMultipartUploadsInput{KeyMarker: aws.String("c")}, "[d]", "[]"},
		{"key-marker a", s3.ListMultipartUploadsInput{KeyMarker: aws.String("a")}, "[a/1 a/2 b/x/1 c c d]", "[]"},
		{"prefix zzz", s3.ListMultipartUploadsInput{Prefix: aws.String("zzz")}, "[]", "[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := list(t, c.in)
			if got := fmt.Sprint(keysOf(p.uploads)); got != c.wantKeys {
				t.Errorf("keys %s, want %s", got, c.wantKeys)
			}
			if got := fmt.Sprint(append([]string{}, p.prefixes...)); got != c.wantPrefixes {
				t.Errorf("common prefixes %s, want %s", got, c.wantPrefixes)
			}
			if aws.ToBool(p.out.IsTruncated) {
				t.Errorf("IsTruncated on a complete page")
			}
		})
	}
	t.Run("key-marker c upload-id-marker first c", func(t *testing.T) {
		p := list(t, s3.ListMultipartUploadsInput{KeyMarker: aws.String("c"), UploadIdMarker: aws.String(full.uploads[3].id)})
		want := []uploadRef{full.uploads[4], full.uploads[5]}
		if fmt.Sprint(p.uploads) != fmt.Sprint(want) {
			t.Errorf("uploads %v, want %v (the uploads after the marker)", p.uploads, want)
		}
	})
	t.Run("max-uploads=1 paging", func(t *testing.T) {
		var all []uploadRef
		in := s3.ListMultipartUploadsInput{MaxUploads: aws.Int32(1)}
		for i := 0; i < 12; i++ {
			p := list(t, in)
			if len(p.uploads) > 1 {
				t.Fatalf("max-uploads 1 returned %d uploads", len(p.uploads))
			}
			all = append(all, p.uploads...)
			if !aws.ToBool(p.out.IsTruncated) {
				break
			}
			if aws.ToString(p.out.NextKeyMarker) == "" || aws.ToString(p.out.NextUploadIdMarker) == "" {
				t.Fatalf("truncated page without NextKeyMarker/NextUploadIdMarker: %q %q",
					aws.ToString(p.out.NextKeyMarker), aws.ToString(p.out.NextUploadIdMarker))
			}
			in.KeyMarker, in.UploadIdMarker = p.out.NextKeyMarker, p.out.NextUploadIdMarker
		}
		if fmt.Sprint(all) != fmt.Sprint(full.uploads) {
			t.Errorf("paged listing %v, want %v", all, full.uploads)
		}
	})
}

// TestUploadPartCopy builds an object from byte ranges of another object
// (whose key needs URL-encoding) and from a whole object.
func TestUploadPartCopy(t *testing.T) {
	bucket := makeBucket(t, alice, "mpcopy")
	cl := aliceSDK()
	ctx := ctxT(t)
	srcKey := "src dir/ü+ß.bin"
	src := randomBytes(8 * mib)
	putBytes(t, cl, bucket, srcKey, src)
	copySource := bucket + "/" + escapeKey(srcKey)

	key := "dst"
	id := createUpload(t, cl, bucket, key)
	defer abortQuietly(cl, bucket, key, id)
	partCopy := func(n int32, rng string, optFns ...func(*s3.UploadPartCopyInput)) (*s3.UploadPartCopyOutput, error) {
		in := &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			PartNumber: aws.Int32(n), CopySource: aws.String(copySource)}
		if rng != "" {
			in.CopySourceRange = aws.String(rng)
		}
		for _, f := range optFns {
			f(in)
		}
		return cl.UploadPartCopy(ctx, in)
	}
	var parts []types.CompletedPart
	var want [][]byte
	for i, c := range []struct {
		rng        string
		start, end int // end exclusive
	}{
		{"bytes=1048576-6291455", 1 * mib, 6 * mib},
		{"", 0, len(src)},
		{"bytes=7340032-7341055", 7 * mib, 7*mib + 1024},
	} {
		out, err := partCopy(int32(i+1), c.rng)
		if err != nil {
			t.Fatalf("UploadPartCopy part %d range %q: %v", i+1, c.rng, err)
		}
		piece := src[c.start:c.end]
		if out.CopyPartResult == nil || aws.ToString(out.CopyPartResult.ETag) != quotedMD5(piece) {
			t.Errorf("UploadPartCopy part %d CopyPartResult %+v, want ETag %s", i+1, out.CopyPartResult, quotedMD5(piece))
		} else if out.CopyPartResult.LastModified == nil {
			t.Errorf("UploadPartCopy part %d CopyPartResult without LastModified", i+1)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
		want = append(want, piece)
	}

	t.Run("errors", func(t *testing.T) {
		_, err := partCopy(9, "bytes=0-1023", func(in *s3.UploadPartCopyInput) {
			in.CopySourceIfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
		})
		wantSDKError(t, err, 412, "PreconditionFailed")
		_, err = partCopy(9, "bytes=0-1023", func(in *s3.UploadPartCopyInput) { in.CopySourceIfNoneMatch = aws.String(quotedMD5(src)) })
		wantSDKError(t, err, 412, "PreconditionFailed")
		_, err = partCopy(9, "bytes=0-1023", func(in *s3.UploadPartCopyInput) { in.CopySource = aws.String(bucket + "/no-such-key") })
		wantSDKError(t, err, 404, "NoSuchKey")
		// S3 answers a range past the end of the source with 400
		// InvalidArgument ("Range specified is not valid for source object
		// of size: N"), and a malformed range with 400 InvalidArgument too.
		_, err = partCopy(9, fmt.Sprintf("bytes=%d-%d", len(src)-10, len(src)+10))
		wantSDKError(t, err, 400, "InvalidArgument")
		_, err = partCopy(9, "bytes=abc-def")
		wantSDKError(t, err, 400, "InvalidArgument")
		_, err = cl.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: aws.String("no-such-upload"), PartNumber: aws.Int32(1), CopySource: aws.String(copySource)})
		wantSDKError(t, err, 404, "NoSuchUpload")
	})

	// The object is the copied ranges.
	wantCompleted(t, cl, bucket, key, completeUpload(t, cl, bucket, key, id, parts), want...)
}

// TestMultipartErrors is the table of the API's errors; the upload stays
// usable after each refused Complete.
func TestMultipartErrors(t *testing.T) {
	bucket := makeBucket(t, alice, "mperr")
	cl := aliceSDK()
	ctx := ctxT(t)
	key := "obj"
	big, small1, small2 := randomBytes(5*mib), randomBytes(1024), randomBytes(2048)
	id := createUpload(t, cl, bucket, key)
	p1 := uploadPart(t, cl, bucket, key, id, 1, big)
	p2 := uploadPart(t, cl, bucket, key, id, 2, small1)
	p3 := uploadPart(t, cl, bucket, key, id, 3, small2)
	p1, p2, p3 = etagsOnly([]types.CompletedPart{p1})[0], etagsOnly([]types.CompletedPart{p2})[0], etagsOnly([]types.CompletedPart{p3})[0]
	bad := func(p types.CompletedPart, etag string) types.CompletedPart {
		p.ETag = aws.String(etag)
		return p
	}

	completeErrs := []struct {
		name   string
		parts  []types.CompletedPart
		status int
		code   string
	}{
		{"wrong ETag", []types.CompletedPart{p1, bad(p2, quotedMD5([]byte("not part 2")))}, 400, "InvalidPart"},
		{"part never uploaded", []types.CompletedPart{p1, {PartNumber: aws.Int32(7), ETag: p2.ETag}}, 400, "InvalidPart"},
		{"descending part numbers", []types.CompletedPart{p2, p1}, 400, "InvalidPartOrder"},
		{"non-last part under 5 MiB", []types.CompletedPart{p1, p2, p3}, 400, "EntityTooSmall"},
	}
	for _, c := range completeErrs {
		t.Run("complete/"+c.name, func(t *testing.T) {
			_, err := cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, c.parts))
			wantSDKError(t, err, c.status, c.code)
			wantAbsent(t, bucket, key)
		})
	}

	completeRaw := func(body []byte) rawResp {
		return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}},
			Header: http.Header{"Content-Type": {"application/xml"}}, Body: body, Creds: &alice})
	}
	t.Run("complete/malformed XML", func(t *testing.T) {
		wantXMLError(t, completeRaw([]byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>")), 400, "MalformedXML")
	})
	t.Run("complete/not XML", func(t *testing.T) {
		wantXMLError(t, completeRaw([]byte("this is not xml")), 400, "MalformedXML")
	})
	t.Run("complete/no parts", func(t *testing.T) {
		wantXMLError(t, completeRaw([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></CompleteMultipartUpload>`)), 400, "MalformedXML")
	})

	partRaw := func(n string) rawResp {
		return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}, "partNumber": {n}},
			Body: []byte("part data"), Creds: &alice})
	}
	for _, n := range []string{"0", "10001", "-1", "abc"} {
		t.Run("upload part number "+n, func(t *testing.T) {
			wantXMLError(t, partRaw(n), 400, "InvalidArgument")
		})
	}
	t.Run("upload part number 10000", func(t *testing.T) {
		wantStatus(t, partRaw("10000"), 200)
	})
	t.Run("upload part with a wrong Content-MD5", func(t *testing.T) {
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}, "partNumber": {"4"}},
			Header: http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, Body: []byte("part data"), Creds: &alice})
		wantXMLError(t, r, 400, "BadDigest")
	})

	t.Run("no such upload", func(t *testing.T) {
		_, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: aws.String("bogus-upload-id"), PartNumber: aws.Int32(1), Body: bytes.NewReader(small1)})
		wantSDKError(t, err, 404, "NoSuchUpload")
		_, err = cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, "bogus-upload-id", []types.CompletedPart{p1}))
		wantSDKError(t, err, 404, "NoSuchUpload")
		_, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String("bogus-upload-id")})
		wantSDKError(t, err, 404, "NoSuchUpload")
		_, err = cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String("bogus-upload-id")})
		wantSDKError(t, err, 404, "NoSuchUpload")
		// A real upload id under another key is not that key's upload.
		_, err = cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("other-key"),
			UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader(small1)})
		wantSDKError(t, err, 404, "NoSuchUpload")
		// Path traversal in the upload id.
		_, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String("../../" + id)})
		wantSDKError(t, err, 404, "NoSuchUpload")
	})
	t.Run("no such bucket", func(t *testing.T) {
		_, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(newBucketName("missing")), Key: aws.String("k")})
		wantSDKError(t, err, 404, "NoSuchBucket")
	})
	t.Run("other owner", func(t *testing.T) {
		b := bobSDK()
		_, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("bob")})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
			UploadId: aws.String(id), PartNumber: aws.Int32(4), Body: bytes.NewReader(small1)})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		wantSDKError(t, err, 403, "AccessDenied")
		_, err = b.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, []types.CompletedPart{p1, p2}))
		wantSDKError(t, err, 403, "AccessDenied")
	})

	// After all of that the upload completes with parts 1 and 2.
	wantCompleted(t, cl, bucket, key, completeUpload(t, cl, bucket, key, id, []types.CompletedPart{p1, p2}), big, small1)
}

// TestMultipartCompleteRetry: a retried Complete of a completed upload
// answers the same result (clients retry after a lost response).
func TestMultipartCompleteRetry(t *testing.T) {
	bucket := makeBucket(t, alice, "mpretry")
	cl := aliceSDK()
	key := "retried"
	a, b := randomBytes(5*mib), randomBytes(100)
	id, parts := uploadAll(t, cl, bucket, key, a, b)
	first := completeUpload(t, cl, bucket, key, id, etagsOnly(parts))
	second, err := cl.CompleteMultipartUpload(ctxT(t), completeInput(bucket, key, id, etagsOnly(parts)))
	if err != nil {
		t.Fatalf("retried CompleteMultipartUpload: %v", err)
	}
	if aws.ToString(second.ETag) != aws.ToString(first.ETag) || aws.ToString(first.ETag) != mpETag(a, b) {
		t.Errorf("retried Complete ETag %s, first %s, want both %s", aws.ToString(second.ETag), aws.ToString(first.ETag), mpETag(a, b))
	}
	if !bytes.Equal(getBytes(t, cl, bucket, key), concat(a, b)) {
		t.Errorf("content changed by the retried Complete")
	}
}

// TestMultipartConditionalComplete: If-None-Match: * and If-Match on
// CompleteMultipartUpload behave as on PutObject.
func TestMultipartConditionalComplete(t *testing.T) {
	bucket := makeBucket(t, alice, "mpcond")
	cl := aliceSDK()
	ctx := ctxT(t)
	old := []byte("the existing object")
	putBytes(t, cl, bucket, "exists", old)
	data := randomBytes(2000)
	one := func(key string) (string, []types.CompletedPart) {
		id, parts := uploadAll(t, cl, bucket, key, data)
		t.Cleanup(func() { abortQuietly(cl, bucket, key, id) })
		return id, etagsOnly(parts)
	}

	t.Run("If-None-Match * on an existing key", func(t *testing.T) {
		id, parts := one("exists")
		_, err := cl.CompleteMultipartUpload(ctx, completeInput(bucket, "exists", id, parts, func(in *s3.CompleteMultipartUploadInput) {
			in.IfNoneMatch = aws.String("*")
		}))
		wantSDKError(t, err, 412, "PreconditionFailed")
		if got := getBytes(t, cl, bucket, "exists"); !bytes.Equal(got, old) {
			t.Errorf("the existing object was replaced despite the failed condition")
		}
	})
	t.Run("If-None-Match * on a new key", func(t *testing.T) {
		id, parts := one("new")
		out := completeUpload(t, cl, bucket, "new", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
		if aws.ToString(out.ETag) != mpETag(data) {
			t.Errorf("ETag %s, want %s", aws.ToString(out.ETag), mpETag(data))
		}
	})
	t.Run("If-Match with a wrong ETag", func(t *testing.T) {
		id, parts := one("exists")
		_, err := cl.CompleteMultipartUpload(ctx, completeInput(bucket, "exists", id, parts, func(in *s3.CompleteMultipartUploadInput) {
			in.IfMatch = aws.String(`"00000000000000000000000000000000"`)
		}))
		wantSDKError(t, err, 412, "PreconditionFailed")
		if got := getBytes(t, cl, bucket, "exists"); !bytes.Equal(got, old) {
			t.Errorf("the existing object was replaced despite the failed condition")
		}
	})
	t.Run("If-Match with the current ETag", func(t *testing.T) {
		id, parts := one("exists")
		completeUpload(t, cl, bucket, "exists", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(quotedMD5(old)) })
		if got := getBytes(t, cl, bucket, "exists"); !bytes.Equal(got, data) {
			t.Errorf("the object was not replaced")
		}
	})
}

// TestMultipartConcurrentParts uploads the 8 parts of one upload from 8
// goroutines at once, one part number twice.
func TestMultipartConcurrentParts(t *testing.T) {
	bucket := makeBucket(t, alice, "mppar")
	cl := aliceSDK()
	key := "parallel"
	const n = 8
	data := make([][]byte, n)
	for i := range data {
		size := 5 * mib
		if i == n-1 {
			size = 64 << 10
		}
		data[i] = randomBytes(size)
	}
	id := createUpload(t, cl, bucket, key)
	defer abortQuietly(cl, bucket, key, id)
	parts := make([]types.CompletedPart, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			ctx, cancel := ctxShort()
			defer cancel()
			out, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
				UploadId: aws.String(id), PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data[i])})
			if err != nil {
				errs[i] = err
				return
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag}
		}(i)
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("parallel UploadPart %d: %v", i+1, err)
		}
		if aws.ToString(parts[i].ETag) != quotedMD5(data[i]) {
			t.Errorf("parallel UploadPart %d ETag %s, want %s", i+1, aws.ToString(parts[i].ETag), quotedMD5(data[i]))
		}
	}
	lp, err := cl.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != n {
		t.Errorf("ListParts lists %d parts, want %d", len(lp.Parts), n)
	}
	wantCompleted(t, cl, bucket, key, completeUpload(t, cl, bucket, key, id, parts), data...)
}

// TestMultipartRacingUploads: two uploads of one key complete at the same
// moment (and one upload is completed twice at once); the object is always
// exactly one of them, never a mix.
func TestMultipartRacingUploads(t *testing.T) {
	bucket := makeBucket(t, alice, "mprace")
	cl := aliceSDK()
	key := "contested"
	a1, a2 := randomBytes(5*mib), randomBytes(1000)
	b1, b2 := randomBytes(5*mib), randomBytes(2000)
	wholeA, wholeB := concat(a1, a2), concat(b1, b2)
	etagA, etagB := mpETag(a1, a2), mpETag(b1, b2)

	race := func(t *testing.T, fns ...func() (*s3.CompleteMultipartUploadOutput, error)) ([]*s3.CompleteMultipartUploadOutput, []error) {
		outs := make([]*s3.CompleteMultipartUploadOutput, len(fns))
		errs := make([]error, len(fns))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, f := range fns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				outs[i], errs[i] = f()
			}()
		}
		close(start)
		wg.Wait()
		return outs, errs
	}
	completer := func(id string, parts []types.CompletedPart) func() (*s3.CompleteMultipartUploadOutput, error) {
		return func() (*s3.CompleteMultipartUploadOutput, error) {
			ctx, cancel := ctxShort()
			defer cancel()
			return cl.CompleteMultipartUpload(ctx, completeInput(bucket, key, id, etagsOnly(parts)))
		}
	}
	checkObject := func(t *testing.T) {
		t.Helper()
		got := getBytes(t, cl, bucket, key)
		head, err := cl.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		switch {
		case bytes.Equal(got, wholeA):
			if aws.ToString(head.ETag) != etagA {
				t.Errorf("content is upload A but ETag %s (A %s, B %s)", aws.ToString(head.ETag), etagA, etagB)
			}
		case bytes.Equal(got, wholeB):
			if aws.ToString(head.ETag) != etagB {
				t.Errorf("content is upload B but ETag %s (A %s, B %s)", aws.ToString(head.ETag), etagA, etagB)
			}
		default:
			t.Errorf("content (%d bytes) is neither upload A (%d) nor B (%d): a mixed object", len(got), len(wholeA), len(wholeB))
		}
	}

	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprintf("two uploads/%d", round), func(t *testing.T) {
			idA, pa := uploadAll(t, cl, bucket, key, a1, a2)
			idB, pb := uploadAll(t, cl, bucket, key, b1, b2)
			outs, errs := race(t, completer(idA, pa), completer(idB, pb))
			ok := 0
			for i, err := range errs {
				if err != nil {
					t.Logf("Complete %c lost the race: %v", 'A'+i, err)
					continue
				}
				ok++
				if want := []string{etagA, etagB}[i]; aws.ToString(outs[i].ETag) != want {
					t.Errorf("Complete %c ETag %s, want %s", 'A'+i, aws.ToString(outs[i].ETag), want)
				}
			}
			if ok == 0 {
				t.Fatalf("both racing Completes failed: %v / %v", errs[0], errs[1])
			}
			checkObject(t)
		})
	}
	t.Run("one upload completed twice at once", func(t *testing.T) {
		id, parts := uploadAll(t, cl, bucket, key, a1, a2)
		outs, errs := race(t, completer(id, parts), completer(id, parts))
		ok := 0
		for i, err := range errs {
			if err != nil {
				// S3 may answer the loser with NoSuchUpload; nothing else.
				var re *awshttp.ResponseError
				var ae smithy.APIError
				if !errors.As(err, &re) || re.HTTPStatusCode() != 404 || !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchUpload" {
					t.Errorf("concurrent Complete %d: %v (want success or 404 NoSuchUpload)", i, err)
				}
				continue
			}
			ok++
			if aws.ToString(outs[i].ETag) != etagA {
				t.Errorf("concurrent Complete %d ETag %s, want %s", i, aws.ToString(outs[i].ETag), etagA)
			}
		}
		if ok == 0 {
			t.Fatalf("neither of two identical concurrent Completes succeeded")
		}
		if got := getBytes(t, cl, bucket, key); !bytes.Equal(got, wholeA) {
			t.Errorf("content after the double Complete is not upload A (%d bytes)", len(got))
		}
	})
}

// TestMultipartNotListed: an upload in progress (parts uploaded, not
// completed) is no object: not listed (v1, v2, with and without a
// delimiter), not a common prefix, HEAD/GET 404.
func TestMultipartNotListed(t *testing.T) {
	bucket := makeBucket(t, alice, "mphide")
	cl := aliceSDK()
	ctx := ctxT(t)
	putBytes(t, cl, bucket, "visible", []byte("v"))
	id, _ := uploadAll(t, cl, bucket, "hidden/obj", randomBytes(5*mib), randomBytes(10))
	id2, _ := uploadAll(t, cl, bucket, "top", randomBytes(10))
	check := func(t *testing.T) {
		t.Helper()
		for _, delim := range []string{"", "/"} {
			in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
			if delim != "" {
				in.Delimiter = aws.String(delim)
			}
			v2, err := cl.ListObjectsV2(ctx, in)
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			var keys []string
			for _, o := range v2.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			for _, p := range v2.CommonPrefixes {
				keys = append(keys, "P:"+aws.ToString(p.Prefix))
			}
			if fmt.Sprint(keys) != "[visible]" {
				t.Errorf("ListObjectsV2 delimiter %q lists %v, want only [visible]", delim, keys)
			}
			v1in := &s3.ListObjectsInput{Bucket: aws.String(bucket)}
			if delim != "" {
				v1in.Delimiter = aws.String(delim)
			}
			v1, err := cl.ListObjects(ctx, v1in)
			if err != nil {
				t.Fatalf("ListObjects: %v", err)
			}
			if len(v1.Contents) != 1 || len(v1.CommonPrefixes) != 0 {
				t.Errorf("ListObjects delimiter %q lists %d objects and %d prefixes, want 1 and 0", delim, len(v1.Contents), len(v1.CommonPrefixes))
			}
		}
		mcl := mc(t, alice, false)
		var mkeys []string
		for o := range mcl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatalf("minio ListObjects: %v", o.Err)
			}
			mkeys = append(mkeys, o.Key)
		}
		if fmt.Sprint(mkeys) != "[visible]" {
			t.Errorf("minio ListObjects recursive lists %v, want [visible]", mkeys)
		}
		wantAbsent(t, bucket, "hidden/obj")
		wantAbsent(t, bucket, "top")
		_, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("hidden/obj")})
		wantSDKError(t, err, 404, "NoSuchKey")
	}
	t.Run("in progress", check)
	for _, u := range []uploadRef{{"hidden/obj", id}, {"top", id2}} {
		if _, err := cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)}); err != nil {
			t.Fatalf("AbortMultipartUpload: %v", err)
		}
	}
	t.Run("aborted", check)
}

// TestMinioMultipart: minio-go's parallel multipart PutObject (64 MiB in
// 16 MiB parts, 4 threads; 11 MiB in 5 MiB parts with trailing checksums),
// ComposeObject and CopyObject.
func TestMinioMultipart(t *testing.T) {
	bucket := makeBucket(t, alice, "mpminio")
	ctx := ctxT(t)
	for _, c := range []struct {
		name     string
		size     int
		partSize uint64
		threads  uint
		trailing bool
	}{
		{"64MiB-16MiB-parts", 64 * mib, 16 * mib, 4, false},
		{"11MiB-5MiB-parts-trailing", 11*mib + 17, 5 * mib, 2, true},
	} {
		t.Run("PutObject/"+c.name, func(t *testing.T) {
			m := mc(t, alice, c.trailing)
			data := randomBytes(c.size)
			key := "put/" + c.name
			info, err := m.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
				PartSize: c.partSize, NumThreads: c.threads, ContentType: "application/octet-stream",
			})
			if err != nil {
				t.Fatalf("minio PutObject: %v", err)
			}
			var chunks [][]byte
			for off := 0; off < len(data); off += int(c.partSize) {
				chunks = append(chunks, data[off:min(off+int(c.partSize), len(data))])
			}
			want := mpETag(chunks...)
			if `"`+info.ETag+`"` != want {
				t.Errorf("minio PutObject ETag %s, want %s (%d parts)", info.ETag, want, len(chunks))
			}
			obj, err := m.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatalf("minio GetObject: %v", err)
			}
			sum := sha256.Sum256(data)
			wantStreamed(t, "minio GetObject", obj, int64(len(data)), sum[:])
			st, err := m.StatObject(ctx, bucket, key, minio.StatObjectOptions{})
			if err != nil {
				t.Fatalf("StatObject: %v", err)
			}
			if `"`+st.ETag+`"` != want || st.Size != int64(len(data)) {
				t.Errorf("StatObject ETag %s size %d, want %s %d", st.ETag, st.Size, want, len(data))
			}
		})
	}

	m := mc(t, alice, false)
	a, b := randomBytes(6*mib), randomBytes(mib)
	for k, d := range map[string][]byte{"compose/a": a, "compose/b": b} {
		if _, err := m.PutObject(ctx, bucket, k, bytes.NewReader(d), int64(len(d)), minio.PutObjectOptions{
			DisableMultipart: true, UserMetadata: map[string]string{"Origin": k},
		}); err != nil {
			t.Fatalf("minio PutObject %s: %v", k, err)
		}
	}
	t.Run("ComposeObject", func(t *testing.T) {
		info, err := m.ComposeObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "compose/ab"},
			minio.CopySrcOptions{Bucket: bucket, Object: "compose/a"},
			minio.CopySrcOptions{Bucket: bucket, Object: "compose/b", MatchRange: true, Start: 100, End: 1099},
		)
		if err != nil {
			t.Fatalf("ComposeObject: %v", err)
		}
		wantData := concat(a, b[100:1100])
		if `"`+info.ETag+`"` != mpETag(a, b[100:1100]) {
			t.Errorf("ComposeObject ETag %s, want %s", info.ETag, mpETag(a, b[100:1100]))
		}
		obj, err := m.GetObject(ctx, bucket, "compose/ab", minio.GetObjectOptions{})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got, wantData) {
			t.Errorf("composed object: %d bytes (err %v), want %d", len(got), err, len(wantData))
		}
	})
	t.Run("CopyObject", func(t *testing.T) {
		info, err := m.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy/a"},
			minio.CopySrcOptions{Bucket: bucket, Object: "compose/a"})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if info.ETag != md5Hex(a) {
			t.Errorf("CopyObject ETag %s, want %s", info.ETag, md5Hex(a))
		}
		st, err := m.StatObject(ctx, bucket, "copy/a", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		if st.UserMetadata["Origin"] != "compose/a" || st.Size != int64(len(a)) {
			t.Errorf("copy has metadata %v size %d, want Origin=compose/a %d", st.UserMetadata, st.Size, len(a))
		}
		_, err = m.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy/replaced", ReplaceMetadata: true,
			UserMetadata: map[string]string{"Fresh": "yes"}},
			minio.CopySrcOptions{Bucket: bucket, Object: "compose/a"})
		if err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		st, err = m.StatObject(ctx, bucket, "copy/replaced", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		if st.UserMetadata["Fresh"] != "yes" || st.UserMetadata["Origin"] != "" {
			t.Errorf("REPLACE copy has metadata %v, want only Fresh=yes", st.UserMetadata)
		}
		_, err = m.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy/x"},
			minio.CopySrcOptions{Bucket: bucket, Object: "compose/a", MatchETag: "0123456789abcdef0123456789abcdef"})
		wantMinioError(t, err, 412, "PreconditionFailed")
	})
}

// TestUploadManager: aws-sdk-go-v2's upload manager (5 MiB parts, 4 at a
// time, CRC32 composite checksums) over HTTP and HTTPS.
func TestUploadManager(t *testing.T) {
	bucket := makeBucket(t, alice, "mpmgr")
	for _, c := range []struct {
		name, base string
		size       int
	}{
		{"http", srv.base, 24*mib + 333},
		{"https", srv.tlsBase, 12*mib + 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := sdk(alice, c.base)
			data := randomBytes(c.size)
			up := manager.NewUploader(cl, func(u *manager.Uploader) {
				u.PartSize = 5 * mib
				u.Concurrency = 4
				u.LeavePartsOnError = false
			})
			key := "mgr/" + c.name
			start := time.Now()
			out, err := up.Upload(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
			if err != nil {
				t.Fatalf("Uploader.Upload: %v", err)
			}
			t.Logf("uploaded %d bytes in %v", c.size, time.Since(start).Round(time.Millisecond))
			var chunks [][]byte
			for off := 0; off < len(data); off += 5 * mib {
				chunks = append(chunks, data[off:min(off+5*mib, len(data))])
			}
			if got := aws.ToString(out.ETag); got != mpETag(chunks...) {
				t.Errorf("Upload ETag %s, want %s", got, mpETag(chunks...))
			}
			if got := aws.ToString(out.ChecksumCRC32); got != compositeCRC32(chunks...) {
				t.Errorf("Upload ChecksumCRC32 %q, want the composite %q", got, compositeCRC32(chunks...))
			}
			if out.UploadID == "" {
				t.Errorf("Upload did not use multipart (no UploadID)")
			}
			if got := getBytes(t, cl, bucket, key); sha256.Sum256(got) != sha256.Sum256(data) {
				t.Errorf("GET after Upload: %d bytes with a different sha256 (want %d)", len(got), len(data))
			}
		})
	}
}
