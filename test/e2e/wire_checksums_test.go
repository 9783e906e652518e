package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// wireRow is one request of TestWireChecksums and AWS's answer to it.
type wireRow struct {
	name string
	do   func(t *testing.T) rawResp
	// status, and for an error its code and exact message ("" for a
	// success).
	status  int
	code    string
	message string
	// elems must appear in the body as <Name>value</Name> (extra <Error>
	// elements, or elements of a success document).
	elems [][2]string
	// headers must be in the answer with these values.
	headers map[string]string
}

func b64CRC32(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)))
}

func b64SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestWireChecksums: issue 14's checksum rules, request by request, as AWS
// S3 answers them. Each row cites where AWS's answer is documented or
// observed.
func TestWireChecksums(t *testing.T) {
	bucket := makeBucket(t, alice, "wirecks")
	cl := aliceSDK()
	part := []byte("a part of a multipart upload")
	testData := []byte("test data") // versitygw PostObject_checksums_success's vectors

	// upload starts a multipart upload with a checksum algorithm and type
	// ("" for none) through the SDK.
	upload := func(t *testing.T, key, algo, typ string) string {
		return createUpload(t, cl, bucket, key, func(in *s3.CreateMultipartUploadInput) {
			in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithm(algo), types.ChecksumType(typ)
		})
	}
	// putPart uploads part 1 raw with the headers given (kv pairs).
	putPart := func(t *testing.T, key, id string, kv ...string) rawResp {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}, "partNumber": {"1"}},
			Header: h, Body: part, Creds: &alice})
	}
	// complete sends CompleteMultipartUpload of part 1 with the part's
	// checksum elements (XML) and headers given.
	complete := func(t *testing.T, key, id, elems string, kv ...string) rawResp {
		h := http.Header{"Content-Type": {"application/xml"}}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		body := `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>` +
			quotedMD5(part) + `</ETag>` + elems + `</Part></CompleteMultipartUpload>`
		return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, key), Query: url.Values{"uploadId": {id}},
			Header: h, Body: []byte(body), Creds: &alice})
	}
	// mpu starts an upload, uploads part 1 with its checksum of algo (none
	// for ""), and completes it with the elements and headers given.
	mpu := func(key, algo, typ, elems string, kv ...string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			id := upload(t, key, algo, typ)
			var hdr []string
			if algo != "" {
				hdr = []string{"X-Amz-Checksum-Crc32", b64CRC32(part)}
				if algo == "CRC32C" {
					hdr = []string{"X-Amz-Checksum-Crc32c", crc32cB64(part)}
				}
			}
			wantStatus(t, putPart(t, key, id, hdr...), 200)
			return complete(t, key, id, elems, kv...)
		}
	}
	put := func(key string, body []byte, kv ...string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			h := http.Header{}
			for i := 0; i < len(kv); i += 2 {
				h.Set(kv[i], kv[i+1])
			}
			return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Header: h, Body: body, Creds: &alice})
		}
	}
	// chunked sends an unsigned aws-chunked PUT of data in chunks of the
	// sizes given (the rest in a last chunk) with a CRC32 trailer.
	chunked := func(key string, data []byte, sizes []int, decoded bool) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			var b strings.Builder
			rest := data
			for _, n := range append(sizes, len(data)) {
				n = min(n, len(rest))
				fmt.Fprintf(&b, "%x\r\n%s\r\n", n, rest[:n])
				rest = rest[n:]
			}
			fmt.Fprintf(&b, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", b64CRC32(data))
			h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}
			if decoded {
				h.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
			}
			return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, key), Header: h, Send: []byte(b.String()),
				PayloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", Creds: &alice})
		}
	}
	post := func(key string, file []byte, field, value string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			f := v4PostForm(t, alice, bucket, key, time.Now().Add(10*time.Minute), [][2]string{{field, value}},
				map[string]string{"key": key}, map[string]string{field: value})
			f.fileName, f.file = "f", file
			return postForm(t, srv.base, "/"+bucket, f)
		}
	}
	get := func(path string, query url.Values, kv ...string) func(t *testing.T) rawResp {
		return func(t *testing.T) rawResp {
			h := http.Header{}
			for i := 0; i < len(kv); i += 2 {
				h.Set(kv[i], kv[i+1])
			}
			return doRaw(t, rawReq{Method: "GET", Path: path, Query: query, Header: h, Creds: &alice})
		}
	}
	mismatch := func(want, got string) string {
		return "Checksum Type mismatch occurred, expected checksum Type: " + want + ", actual checksum Type: " + got
	}

	rows := []wireRow{
		// --- UploadPart against the upload's algorithm ---
		{
			// AWS S3 API reference, UploadPart/PutObject errors: "Checksum
			// Type mismatch occurred, expected checksum Type: sha1, actual
			// checksum Type: crc32c."; Swift s3api (AWS branch)
			// test_mpu_upload_part_good_cs_trailer_and_diff_algo.
			name: "UploadPart with another algorithm than the upload's",
			do: func(t *testing.T) rawResp {
				id := upload(t, "up-other", "CRC32", "")
				return putPart(t, "up-other", id, "X-Amz-Checksum-Sha256", b64SHA256(part))
			},
			status: 400, code: "InvalidRequest", message: mismatch("crc32", "sha256"),
		},
		{
			// Swift s3api test_mpu_upload_part_requires_checksum_composite:
			// AWS refuses a COMPOSITE upload's part without a checksum.
			name: "UploadPart without a checksum to a COMPOSITE upload",
			do: func(t *testing.T) rawResp {
				id := upload(t, "up-none-composite", "CRC32", "COMPOSITE")
				return putPart(t, "up-none-composite", id)
			},
			status: 400, code: "InvalidRequest", message: mismatch("crc32", "null"),
		},
		{
			// argmin's AWS-pinned
			// test_upload_part_uses_multipart_checksum_algorithm_without_part_checksum_header:
			// a FULL_OBJECT upload's part gets its checksum computed.
			name: "UploadPart without a checksum to a FULL_OBJECT upload",
			do: func(t *testing.T) rawResp {
				id := upload(t, "up-none-full", "CRC32", "FULL_OBJECT")
				return putPart(t, "up-none-full", id)
			},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Crc32": b64CRC32(part)},
		},
		// --- CreateMultipartUpload ---
		{
			// S3 User Guide, "Checking object integrity": CRC64NVME supports
			// only FULL_OBJECT; versitygw GetChecksumSchemaMismatchErr text.
			name: "CreateMultipartUpload CRC64NVME COMPOSITE",
			do: func(t *testing.T) rawResp {
				return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, "c64"), Query: url.Values{"uploads": {""}},
					Header: http.Header{"X-Amz-Checksum-Algorithm": {"CRC64NVME"}, "X-Amz-Checksum-Type": {"COMPOSITE"}}, Creds: &alice})
			},
			status: 400, code: "InvalidRequest", message: "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
		},
		{
			// argmin's AWS-pinned test_create_multipart_invalid_checksum_algorithm.
			name: "CreateMultipartUpload with an unknown algorithm",
			do: func(t *testing.T) rawResp {
				return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, "bogus"), Query: url.Values{"uploads": {""}},
					Header: http.Header{"X-Amz-Checksum-Algorithm": {"BOGUS"}}, Creds: &alice})
			},
			status: 400, code: "InvalidRequest",
			message: "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]",
		},
		{
			// aws-sdk-go-v2 service/s3/types ChecksumAlgorithm lists
			// SHA512; argmin's test_multipart_new_composite_checksum_algorithms_round_trip.
			name: "CreateMultipartUpload SHA512",
			do: func(t *testing.T) rawResp {
				return doRaw(t, rawReq{Method: "POST", Path: objPath(bucket, "sha512"), Query: url.Values{"uploads": {""}},
					Header: http.Header{"X-Amz-Checksum-Algorithm": {"sha512"}}, Creds: &alice})
			},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Algorithm": "SHA512", "X-Amz-Checksum-Type": "COMPOSITE"},
		},
		// --- CompleteMultipartUpload's part checksums ---
		{
			// versitygw CompleteMultipartUpload_incorrect_checksum_part:
			// InvalidPart with UploadId, PartNumber, ETag.
			name:   "Complete with a wrong part checksum",
			do:     mpu("cmp-wrong", "CRC32", "", "<ChecksumCRC32>"+b64CRC32([]byte("other"))+"</ChecksumCRC32>"),
			status: 400, code: "InvalidPart",
			message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
			elems:   [][2]string{{"PartNumber", "1"}, {"ETag", "&#34;" + md5Hex(part) + "&#34;"}},
		},
		{
			// versitygw CompleteMultipartUpload_different_checksum_part.
			name:   "Complete with a part checksum of another algorithm",
			do:     mpu("cmp-otheralgo", "CRC32C", "FULL_OBJECT", "<ChecksumSHA256>"+b64SHA256([]byte("other"))+"</ChecksumSHA256>"),
			status: 400, code: "BadDigest", message: "The sha256 you specified for part 1 did not match what we received.",
		},
		{
			// versitygw CompleteMultipartUpload_missing_part_checksum:
			// "missing ... in the request".
			name:   "Complete naming a part without the upload's checksum",
			do:     mpu("cmp-missing", "CRC32", "", ""),
			status: 400, code: "InvalidRequest",
			message: "The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.",
		},
		{
			// versitygw CompleteMultipartUpload_multiple_checksum_part.
			name: "Complete with two checksums for a part",
			do: mpu("cmp-two", "CRC32", "", "<ChecksumCRC32>"+b64CRC32(part)+"</ChecksumCRC32><ChecksumSHA256>"+
				b64SHA256(part)+"</ChecksumSHA256>"),
			status: 400, code: "InvalidArgument", message: "Invalid Base64 or multiple checksums present in request",
			elems: [][2]string{{"ArgumentName", "Checksum"}, {"ArgumentValue", "CRC32:" + b64CRC32(part) + ";SHA256:" + b64SHA256(part) + ";"}},
		},
		{
			// versitygw CompleteMultipartUpload_checksum_type_mismatch.
			name:   "Complete with another x-amz-checksum-type",
			do:     mpu("cmp-mode", "CRC32", "COMPOSITE", "<ChecksumCRC32>"+b64CRC32(part)+"</ChecksumCRC32>", "X-Amz-Checksum-Type", "FULL_OBJECT"),
			status: 400, code: "InvalidRequest",
			message: "The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.",
		},
		{
			// argmin's AWS-pinned
			// test_complete_multipart_new_object_checksum_without_create_algorithm_rejected.
			name:   "Complete with a SHA512 object checksum, upload without an algorithm",
			do:     mpu("cmp-sha512", "", "", "", "X-Amz-Checksum-Sha512", base64.StdEncoding.EncodeToString(make([]byte, 64))),
			status: 400, code: "InvalidRequest", message: mismatch("null", "sha512"),
		},
		// --- x-amz-sdk-checksum-algorithm ---
		{
			// argmin's AWS-pinned test_put_object_sdk_checksum_algorithm_mismatched_value.
			name:   "PutObject whose SDK algorithm contradicts its checksum header",
			do:     put("sdk-mismatch", part, "X-Amz-Sdk-Checksum-Algorithm", "SHA256", "X-Amz-Checksum-Crc32", b64CRC32(part)),
			status: 400, code: "InvalidRequest", message: "Value for x-amz-sdk-checksum-algorithm header is invalid.",
		},
		{
			// argmin's AWS-pinned test_put_object_sdk_checksum_algorithm_without_value.
			name:   "PutObject with an SDK algorithm and no checksum",
			do:     put("sdk-none", part, "X-Amz-Sdk-Checksum-Algorithm", "CRC32"),
			status: 400, code: "InvalidRequest",
			message: "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
		},
		// --- PutObject's checksums ---
		{
			// AWS's observed answer, quoted in aws-cli's and s3proxy's tests:
			// "The SHA256 you specified did not match the calculated checksum."
			name:   "PutObject with a wrong CRC32",
			do:     put("bad-crc", part, "X-Amz-Checksum-Crc32", b64CRC32([]byte("other"))),
			status: 400, code: "BadDigest", message: "The CRC32 you specified did not match the calculated checksum.",
		},
		{
			// PutObject response x-amz-checksum-type (S3 API reference;
			// argmin's test_put_object_checksum_algorithm_lowercase_value).
			name:    "PutObject with a CRC32",
			do:      put("crc", part, "X-Amz-Checksum-Crc32", b64CRC32(part)),
			status:  200,
			headers: map[string]string{"X-Amz-Checksum-Crc32": b64CRC32(part), "X-Amz-Checksum-Type": "FULL_OBJECT"},
		},
		// Every algorithm of the current SDKs' ChecksumAlgorithm enum; the
		// values of "test data" are versitygw's PostObject_checksums_success.
		{name: "PutObject SHA512", do: put("sha512", testData, "X-Amz-Checksum-Sha512", "Dh4h7PEF7IU9JNcohnrXBhPCFmOkaTB0sqNhnBvTnWa1iMM3I7tGbHJCToDjymPCSQeKs0e6uUKFAOfuQwWdDQ=="),
			status: 200, headers: map[string]string{"X-Amz-Checksum-Sha512": "Dh4h7PEF7IU9JNcohnrXBhPCFmOkaTB0sqNhnBvTnWa1iMM3I7tGbHJCToDjymPCSQeKs0e6uUKFAOfuQwWdDQ=="}},
		{name: "PutObject MD5", do: put("md5", testData, "X-Amz-Checksum-Md5", "63M6AMDJ0zbmVpGjerVCkw=="),
			status: 200, headers: map[string]string{"X-Amz-Checksum-Md5": "63M6AMDJ0zbmVpGjerVCkw=="}},
		{name: "PutObject XXHASH64", do: put("xxh64", testData, "X-Amz-Checksum-Xxhash64", "+lb36/ER8bo="),
			status: 200, headers: map[string]string{"X-Amz-Checksum-Xxhash64": "+lb36/ER8bo="}},
		{name: "PutObject XXHASH3", do: put("xxh3", testData, "X-Amz-Checksum-Xxhash3", "jw+pSh/pbMQ="),
			status: 200, headers: map[string]string{"X-Amz-Checksum-Xxhash3": "jw+pSh/pbMQ="}},
		{name: "PutObject XXHASH128", do: put("xxh128", testData, "X-Amz-Checksum-Xxhash128", "8BLDqqIWji+ITOsp/JjN/Q=="),
			status: 200, headers: map[string]string{"X-Amz-Checksum-Xxhash128": "8BLDqqIWji+ITOsp/JjN/Q=="}},
		{name: "PutObject with a wrong XXHASH64", do: put("xxh64-bad", testData, "X-Amz-Checksum-Xxhash64", "AAAAAAAAAAA="),
			status: 400, code: "BadDigest", message: "The XXHASH64 you specified did not match the calculated checksum."},
		// --- aws-chunked ---
		{
			// AWS's answer quoted in versitygw issue #1683: "hello" in
			// chunks of 3 and 2 bytes gives Chunk 2, BadChunkSize 3.
			name:   "aws-chunked with a small chunk before the last",
			do:     chunked("small-chunk", []byte("hello"), []int{3}, true),
			status: 400, code: "InvalidChunkSizeError", message: "Only the last chunk is allowed to have a size less than 8192 bytes",
			elems: [][2]string{{"Chunk", "2"}, {"BadChunkSize", "3"}},
		},
		{
			// AWS's sigv4-streaming documentation: x-amz-decoded-content-length
			// is required; without it S3 answers 411 MissingContentLength.
			name:   "aws-chunked without x-amz-decoded-content-length",
			do:     chunked("no-decoded", part, nil, false),
			status: 411, code: "MissingContentLength", message: "You must provide the Content-Length HTTP header.",
		},
		// --- POST Object ---
		{
			// As PutObject's header (versitygw PostObject tests).
			name:   "POST with a wrong x-amz-checksum-crc32 field",
			do:     post("post-bad", part, "x-amz-checksum-crc32", b64CRC32([]byte("other"))),
			status: 400, code: "BadDigest", message: "The CRC32 you specified did not match the calculated checksum.",
		},
		{
			// versitygw PostObject_invalid_checksum_value.
			name:   "POST with an invalid x-amz-checksum-crc32 field",
			do:     post("post-invalid", part, "x-amz-checksum-crc32", "invalid"),
			status: 400, code: "InvalidRequest", message: "Value for x-amz-checksum-crc32 header is invalid.",
		},
		{
			// versitygw PostObject_checksums_success (with its policy
			// condition, as AWS wants one for every field but the exempt).
			name:    "POST with an x-amz-checksum-crc32 field",
			do:      post("post-ok", testData, "x-amz-checksum-crc32", "0wiusg=="),
			status:  204,
			headers: map[string]string{"X-Amz-Checksum-Crc32": "0wiusg==", "X-Amz-Checksum-Type": "FULL_OBJECT"},
		},
		{
			// GetObject with x-amz-checksum-mode: ENABLED returns the stored
			// checksum (S3 API reference, GetObject).
			name:    "GET of the POSTed object with checksum mode",
			do:      get(objPath(bucket, "post-ok"), nil, "X-Amz-Checksum-Mode", "ENABLED"),
			status:  200,
			headers: map[string]string{"X-Amz-Checksum-Crc32": "0wiusg==", "X-Amz-Checksum-Type": "FULL_OBJECT"},
		},
		// --- ListObjects ---
		{
			// S3 API reference, Object: ChecksumAlgorithm, ChecksumType;
			// versitygw ListObjectsV2_with_checksum.
			name:   "ListObjectsV2 of an object with a checksum",
			do:     get("/"+bucket, url.Values{"list-type": {"2"}, "prefix": {"crc"}}),
			status: 200, elems: [][2]string{{"ChecksumAlgorithm", "CRC32"}, {"ChecksumType", "FULL_OBJECT"}},
		},
		{
			// The same in ListObjects (v1); versitygw ListObjects_with_checksum.
			name:   "ListObjects of an object with a checksum",
			do:     get("/"+bucket, url.Values{"prefix": {"crc"}}),
			status: 200, elems: [][2]string{{"ChecksumAlgorithm", "CRC32"}, {"ChecksumType", "FULL_OBJECT"}},
		},
		// --- CopyObject, UploadPartCopy ---
		{
			// argmin's AWS-pinned test_copy_object_replace_checksum_algorithm_lowercase.
			name: "CopyObject with x-amz-checksum-algorithm",
			do: func(t *testing.T) rawResp {
				putBytes(t, cl, bucket, "copy-src", part)
				return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "copy-dst"), Creds: &alice,
					Header: http.Header{"X-Amz-Copy-Source": {"/" + bucket + "/copy-src"}, "X-Amz-Checksum-Algorithm": {"sha256"}}})
			},
			status: 200, elems: [][2]string{{"ChecksumSHA256", b64SHA256(part)}, {"ChecksumType", "FULL_OBJECT"}},
		},
		{
			// argmin's AWS-pinned test_upload_part_copy_uses_multipart_checksum_algorithm.
			name: "UploadPartCopy into an upload with an algorithm",
			do: func(t *testing.T) rawResp {
				putBytes(t, cl, bucket, "pc-src", part)
				id := upload(t, "pc-dst", "CRC32", "FULL_OBJECT")
				return doRaw(t, rawReq{Method: "PUT", Path: objPath(bucket, "pc-dst"), Query: url.Values{"uploadId": {id}, "partNumber": {"1"}},
					Header: http.Header{"X-Amz-Copy-Source": {"/" + bucket + "/pc-src"}}, Creds: &alice})
			},
			status: 200, elems: [][2]string{{"ChecksumCRC32", b64CRC32(part)}},
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := row.do(t)
			if row.code != "" {
				e := wantXMLError(t, r, row.status, row.code)
				if e.Message != row.message {
					t.Errorf("message %q, want %q", e.Message, row.message)
				}
			} else {
				wantStatus(t, r, row.status)
			}
			for _, el := range row.elems {
				if want := "<" + el[0] + ">" + el[1] + "</" + el[0] + ">"; !strings.Contains(string(r.Body), want) {
					t.Errorf("body lacks %s: %s", want, r.Body)
				}
			}
			for k, v := range row.headers {
				if got := r.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestWireChecksumsSDK: a CRC32 upload through the Go SDK, as its transfer
// managers do it (part checksums echoed in Complete), completes; ListParts
// shows the part checksums. Current SDKs send checksums by default.
func TestWireChecksumsSDK(t *testing.T) {
	bucket := makeBucket(t, alice, "wirecksdk")
	cl := aliceSDK()
	id := createUpload(t, cl, bucket, "k", func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
	p1 := uploadPart(t, cl, bucket, "k", id, 1, randomBytes(5*mib), func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
	p2 := uploadPart(t, cl, bucket, "k", id, 2, []byte("tail"), func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
	out, err := cl.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{p1, p2}}})
	if err != nil || aws.ToString(out.ChecksumCRC32) == "" || out.ChecksumType != types.ChecksumTypeComposite {
		t.Fatalf("Complete: %+v %v", out, err)
	}
	var list struct {
		XMLName  xml.Name `xml:"ListBucketResult"`
		Contents []struct {
			ChecksumAlgorithm string
			ChecksumType      string
		}
	}
	r := doRaw(t, rawReq{Method: "GET", Path: "/" + bucket, Query: url.Values{"list-type": {"2"}}, Creds: &alice})
	if err := xml.Unmarshal(r.Body, &list); err != nil || len(list.Contents) != 1 ||
		list.Contents[0].ChecksumAlgorithm != "CRC32" || list.Contents[0].ChecksumType != "COMPOSITE" {
		t.Errorf("list %+v %v: %s", list, err, r)
	}
}
