// Command chunkload uploads objects with signed aws-chunked bodies
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, what aws-cli and boto3 send over
// plain HTTP and minio-go with its default settings), many at once, to
// measure the server's memory per upload. It streams the bodies (one chunk
// per worker in memory) and stops after -n uploads or -timeout.
//
//	go run ./bench/chunkload -endpoint http://127.0.0.1:9000 -size 100MiB -chunk 1MiB -c 64 -n 64
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/dustin/go-humanize"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint")
	access := flag.String("access-key", envOr("S3_ACCESS_KEY", "AKIACADDYS3DEV000001"), "access key id")
	secret := flag.String("secret-key", envOr("S3_SECRET_KEY", "caddys3-dev-secret-change-me-000000000000"), "secret key")
	region := flag.String("region", "us-east-1", "region")
	bucket := flag.String("bucket", "chunkload", "bucket (created if missing)")
	sizeFlag := flag.String("size", "100MiB", "object size")
	chunkFlag := flag.String("chunk", "1MiB", "signed chunk size")
	n := flag.Int("n", 64, "uploads")
	conc := flag.Int("c", 64, "concurrent uploads")
	timeout := flag.Duration("timeout", 5*time.Minute, "stop after this long")
	flag.Parse()
	size, err := humanize.ParseBytes(*sizeFlag)
	if err != nil {
		log.Fatal(err)
	}
	chunk, err := humanize.ParseBytes(*chunkFlag)
	if err != nil || chunk == 0 {
		log.Fatalf("chunk: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	u := uploader{endpoint: strings.TrimSuffix(*endpoint, "/"), access: *access, secret: *secret, region: *region,
		signer: v4.NewSigner(), client: &http.Client{}}
	if err := u.send(ctx, http.MethodPut, "/"+*bucket, nil, 0, ""); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		log.Fatalf("create bucket: %v", err)
	}
	var next atomic.Int64
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			buf := make([]byte, chunk)
			for i := next.Add(1); i <= int64(*n) && ctx.Err() == nil; i = next.Add(1) {
				if err := u.putChunked(ctx, fmt.Sprintf("/%s/obj%d", *bucket, i), int64(size), buf); err != nil {
					log.Printf("upload %d: %v", i, err)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	done := int64(*n) - failed.Load()
	fmt.Printf("%d uploads of %s in %s chunks, %d at once: %.1f s, %.0f MiB/s, %d failed\n",
		*n, *sizeFlag, *chunkFlag, *conc, secs, float64(done)*float64(size)/secs/(1<<20), failed.Load())
}

type uploader struct {
	endpoint, access, secret, region string
	signer                           *v4.Signer
	client                           *http.Client
}

func (u *uploader) creds() aws.Credentials {
	return aws.Credentials{AccessKeyID: u.access, SecretAccessKey: u.secret}
}

// send makes a small signed request.
func (u *uploader) send(ctx context.Context, method, path string, body io.Reader, length int64, _ string) error {
	req, err := http.NewRequestWithContext(ctx, method, u.endpoint+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = length
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := u.signer.SignHTTP(ctx, u.creds(), req, emptySHA256, "s3", u.region, time.Now()); err != nil {
		return err
	}
	return u.do(req)
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

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
