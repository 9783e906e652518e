package e2e

// Helpers shared by multipart_test.go, copy_test.go and multidelete_test.go.

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// mpETag is S3's multipart ETag: the hex MD5 of the concatenated binary part
// MD5s, a dash and the part count, in quotes.
func mpETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	s := md5.Sum(cat)
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(s[:]), len(parts))
}

// wantCompleted asserts that a completed upload answered the multipart
// ETag of parts and that the object reads back as parts in order.
func wantCompleted(t testing.TB, cl *s3.Client, bucket, key string, out *s3.CompleteMultipartUploadOutput, parts ...[]byte) {
	t.Helper()
	if got, want := aws.ToString(out.ETag), mpETag(parts...); got != want {
		t.Errorf("Complete ETag %s, want %s", got, want)
	}
	if got, want := getBytes(t, cl, bucket, key), concat(parts...); !bytes.Equal(got, want) {
		t.Errorf("%s/%s: %d bytes differ from the %d bytes of the %d parts", bucket, key, len(got), len(want), len(parts))
	}
}

// crc32B64 is the x-amz-checksum-crc32 value of b.
func crc32B64(b []byte) string {
	var be [4]byte
	binary.BigEndian.PutUint32(be[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(be[:])
}

// compositeCRC32 is S3's COMPOSITE multipart checksum: the CRC32 of the
// concatenated binary part CRC32s, base64, a dash and the part count.
func compositeCRC32(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		cat = binary.BigEndian.AppendUint32(cat, crc32.ChecksumIEEE(p))
	}
	return fmt.Sprintf("%s-%d", crc32B64(cat), len(parts))
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// createUpload starts a multipart upload and returns its id.
func createUpload(t testing.TB, cl *s3.Client, bucket, key string, optFns ...func(*s3.CreateMultipartUploadInput)) string {
	t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, f := range optFns {
		f(in)
	}
	out, err := cl.CreateMultipartUpload(ctxT(t), in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s/%s: %v", bucket, key, err)
	}
	if aws.ToString(out.UploadId) == "" {
		t.Fatalf("CreateMultipartUpload %s/%s returned no UploadId", bucket, key)
	}
	if aws.ToString(out.Bucket) != bucket || aws.ToString(out.Key) != key {
		t.Errorf("CreateMultipartUpload answered bucket %q key %q, want %q %q", aws.ToString(out.Bucket), aws.ToString(out.Key), bucket, key)
	}
	return aws.ToString(out.UploadId)
}

// uploadPart uploads one part and checks its ETag (the part's quoted MD5).
func uploadPart(t testing.TB, cl *s3.Client, bucket, key, id string, n int32, data []byte, optFns ...func(*s3.UploadPartInput)) types.CompletedPart {
	t.Helper()
	in := &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(data),
	}
	for _, f := range optFns {
		f(in)
	}
	out, err := cl.UploadPart(ctxT(t), in)
	if err != nil {
		t.Fatalf("UploadPart %d of %s/%s: %v", n, bucket, key, err)
	}
	if got := aws.ToString(out.ETag); got != quotedMD5(data) {
		t.Errorf("UploadPart %d ETag %s, want %s", n, got, quotedMD5(data))
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
		ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME, ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256}
}

// etagsOnly returns CompletedParts with only number and ETag set, as
// clients that do not use additional checksums send them.
func etagsOnly(parts []types.CompletedPart) []types.CompletedPart {
	out := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		out[i] = types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag}
	}
	return out
}

func completeUpload(t testing.TB, cl *s3.Client, bucket, key, id string, parts []types.CompletedPart, optFns ...func(*s3.CompleteMultipartUploadInput)) *s3.CompleteMultipartUploadOutput {
	t.Helper()
	out, err := cl.CompleteMultipartUpload(ctxT(t), completeInput(bucket, key, id, parts, optFns...))
	if err != nil {
		t.Fatalf("CompleteMultipartUpload %s/%s: %v", bucket, key, err)
	}
	return out
}

func completeInput(bucket, key, id string, parts []types.CompletedPart, optFns ...func(*s3.CompleteMultipartUploadInput)) *s3.CompleteMultipartUploadInput {
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	for _, f := range optFns {
		f(in)
	}
	return in
}

// uploadAll creates an upload, uploads the parts (numbered from 1) and
// returns the upload id and the completed parts.
func uploadAll(t testing.TB, cl *s3.Client, bucket, key string, parts ...[]byte) (string, []types.CompletedPart) {
	t.Helper()
	id := createUpload(t, cl, bucket, key)
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, cl, bucket, key, id, int32(i+1), p))
	}
	return id, done
}

func ctxShort() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func abortQuietly(cl *s3.Client, bucket, key, id string) {
	ctx, cancel := ctxShort()
	defer cancel()
	_, _ = cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
}

// headerSpy is an s3.HTTPClient that remembers the headers of every
// request it forwards to httpClient.
type headerSpy struct {
	mu   sync.Mutex
	reqs []spiedRequest
}

type spiedRequest struct {
	method string
	url    *url.URL
	header http.Header
}

func (s *headerSpy) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, spiedRequest{r.Method, r.URL, r.Header.Clone()})
	s.mu.Unlock()
	return httpClient.Do(r)
}

func (s *headerSpy) last() spiedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return spiedRequest{header: http.Header{}}
	}
	return s.reqs[len(s.reqs)-1]
}

// spySDK returns alice's SDK client (default integrity settings) whose
// requests headerSpy records.
func spySDK(endpoint string) (*s3.Client, *headerSpy) {
	spy := &headerSpy{}
	return sdk(alice, endpoint, func(o *s3.Options) { o.HTTPClient = spy }), spy
}

// xmlCompleteBody renders a CompleteMultipartUpload body by hand, with
// the parts' checksums as the SDKs send them.
func xmlCompleteBody(parts []types.CompletedPart) []byte {
	type part struct {
		PartNumber        int32  `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
		ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
		ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	}
	type body struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Xmlns   string   `xml:"xmlns,attr"`
		Parts   []part   `xml:"Part"`
	}
	b := body{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/"}
	for _, p := range parts {
		b.Parts = append(b.Parts, part{aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToString(p.ChecksumCRC32),
			aws.ToString(p.ChecksumCRC32C), aws.ToString(p.ChecksumCRC64NVME), aws.ToString(p.ChecksumSHA1), aws.ToString(p.ChecksumSHA256)})
	}
	out, _ := xml.Marshal(b)
	return out
}
