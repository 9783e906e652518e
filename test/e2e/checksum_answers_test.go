package e2e

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func crc32cB64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))))
}

// TestMultipartChecksumAnswers pins, word for word, what a client sees
// when Complete of an upload created with a checksum algorithm fails: the
// InvalidRequest for a part named without the algorithm's checksum and the
// BadDigest for a wrong whole-object checksum. Both leave the upload to be
// completed; another algorithm's header is ignored and a COMPOSITE value
// may be sent without its "-N".
func TestMultipartChecksumAnswers(t *testing.T) {
	bucket := makeBucket(t, alice, "mpans")
	cl := aliceSDK()
	key := "k"
	p1, p2 := randomBytes(5*mib), randomBytes(1000)
	crc32c := func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c }
	id := createUpload(t, cl, bucket, key, func(in *s3.CreateMultipartUploadInput) {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	})
	c1 := uploadPart(t, cl, bucket, key, id, 1, p1, crc32c)
	c2 := uploadPart(t, cl, bucket, key, id, 2, p2, crc32c)
	// The Complete names part 2 without its checksum.
	parts := []types.CompletedPart{c1, {PartNumber: aws.Int32(2), ETag: c2.ETag}}
	complete := func(kv ...string) rawResp {
		hdr := http.Header{"Content-Type": {"application/xml"}}
		for i := 0; i < len(kv); i += 2 {
			hdr.Set(kv[i], kv[i+1])
		}
		return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}},
			Header: hdr, Body: xmlCompleteBody(parts), Creds: &alice})
	}

	e := wantXMLError(t, complete(), 400, "InvalidRequest")
	if want := "The upload was created using a crc32c checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request."; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	wantAbsent(t, bucket, key)

	parts[1] = c2
	raw1, _ := base64.StdEncoding.DecodeString(crc32cB64(p1))
	raw2, _ := base64.StdEncoding.DecodeString(crc32cB64(p2))
	composite := crc32cB64(append(raw1, raw2...))
	for _, bad := range []string{crc32cB64([]byte("other")), composite + "-3"} {
		e = wantXMLError(t, complete("X-Amz-Checksum-Crc32c", bad), 400, "BadDigest")
		if want := "The crc32c you specified for the object did not match what was computed."; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
		wantAbsent(t, bucket, key)
	}

	r := complete("X-Amz-Checksum-Sha256", "bm90IGEgc2hhMjU2", "X-Amz-Checksum-Crc32c", composite)
	wantStatus(t, r, 200)
	var out struct {
		ChecksumCRC32C string `xml:"ChecksumCRC32C"`
		ChecksumSHA256 string `xml:"ChecksumSHA256"`
		ChecksumType   string `xml:"ChecksumType"`
	}
	if err := xml.Unmarshal(r.Body, &out); err != nil || out.ChecksumCRC32C != composite+"-2" || out.ChecksumSHA256 != "" || out.ChecksumType != "COMPOSITE" {
		t.Errorf("Complete answered %+v (%v): %s", out, err, r)
	}
}

// TestPostTooSmallAnswer: a file below the policy's content-length-range
// is EntityTooSmall with the sizes S3 names, and nothing is stored; one at
// the minimum is stored. A folder marker key refuses any data first.
func TestPostTooSmallAnswer(t *testing.T) {
	bucket := makeBucket(t, alice, "posts")
	later := time.Now().Add(10 * time.Minute)
	for _, c := range []struct {
		key  string
		size int
		code string
	}{{"small", 99, "EntityTooSmall"}, {"empty", 0, "EntityTooSmall"}, {"dir/", 0, "EntityTooSmall"}, {"dir/", 99, "EntityTooSmall"}} {
		f := v4PostForm(t, alice, bucket, c.key, later, nil, map[string]string{"key": c.key}, []any{"content-length-range", 100, 1000})
		f.fileName, f.file = "f", randomBytes(c.size)
		r := postForm(t, srv.base, "/"+bucket, f)
		wantXMLError(t, r, 400, c.code)
		if c.code == "EntityTooSmall" {
			for _, field := range []string{"<ProposedSize>" + strconv.Itoa(c.size) + "</ProposedSize>", "<MinSizeAllowed>100</MinSizeAllowed>"} {
				if !strings.Contains(string(r.Body), field) {
					t.Errorf("%s: answer lacks %s: %s", c.key, field, r)
				}
			}
		}
		wantAbsent(t, bucket, c.key)
	}
	f := v4PostForm(t, alice, bucket, "enough", later, nil, map[string]string{"key": "enough"}, []any{"content-length-range", 100, 1000})
	f.fileName, f.file = "f", randomBytes(100)
	wantStatus(t, postForm(t, srv.base, "/"+bucket, f), 204)
}
