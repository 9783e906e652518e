package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// -op chunked uploads with signed aws-chunked bodies
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, what aws-cli and boto3 send over
// plain HTTP, and minio-go by default), streamed with one chunk per
// worker in memory: the load for measuring the server's memory per
// upload.

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

type uploader struct {
	endpoint, access, secret, region string
	signer                           *v4.Signer
	client                           *http.Client
}

func (u *uploader) creds() aws.Credentials {
	return aws.Credentials{AccessKeyID: u.access, SecretAccessKey: u.secret}
}

func (u *uploader) do(req *http.Request) error {
	resp, err := u.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return nil
}

// putChunked uploads size bytes in signed chunks of len(buf), streamed.
func (u *uploader) putChunked(ctx context.Context, path string, size int64, buf []byte) error {
	chunk := int64(len(buf))
	var wire int64
	for left := size; left > 0; left -= min(left, chunk) {
		wire += chunkOverhead(min(left, chunk)) + min(left, chunk)
	}
	wire += chunkOverhead(0)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.endpoint+path, pr)
	if err != nil {
		return err
	}
	req.ContentLength = wire
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(size, 10))
	now := time.Now().UTC()
	const mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	req.Header.Set("X-Amz-Content-Sha256", mode)
	if err := u.signer.SignHTTP(ctx, u.creds(), req, mode, "s3", u.region, now); err != nil {
		return err
	}
	_, seed, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	date := now.Format("20060102")
	scope := date + "/" + u.region + "/s3/aws4_request"
	key := hmacSum([]byte("AWS4"+u.secret), date)
	for _, s := range []string{u.region, "s3", "aws4_request"} {
		key = hmacSum(key, s)
	}
	go func() {
		prev := seed
		write := func(data []byte) error {
			h := sha256.Sum256(data)
			sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + now.Format("20060102T150405Z") + "\n" + scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(h[:])
			prev = hex.EncodeToString(hmacSum(key, sts))
			if _, err := fmt.Fprintf(pw, "%x;chunk-signature=%s\r\n", len(data), prev); err != nil {
				return err
			}
			if _, err := pw.Write(data); err != nil {
				return err
			}
			_, err := io.WriteString(pw, "\r\n")
			return err
		}
		for left := size; left > 0; left -= min(left, chunk) {
			data := buf[:min(left, chunk)]
			for i := range data {
				data[i] = byte(left) + byte(i)
			}
			if err := write(data); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(write(nil))
	}()
	return u.do(req)
}

// chunkOverhead is the framing of one chunk of n bytes.
func chunkOverhead(n int64) int64 {
	return int64(len(strconv.FormatInt(n, 16))) + int64(len(";chunk-signature=")) + 64 + 2 + 2
}

func hmacSum(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
