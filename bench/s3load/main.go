// Command s3load measures an S3 endpoint on loopback: PUT and GET
// throughput of large objects and PUT operations per second of small ones.
// It is bounded by a request count and a deadline and stops by itself.
//
//	go run ./bench/s3load -endpoint http://127.0.0.1:9000 -op put -size 64MiB -n 20
//	go run ./bench/s3load -op get -size 64MiB -n 20
//	go run ./bench/s3load -op put -size 4KiB -n 20000 -c 8
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/dustin/go-humanize"
)

// httpClient keeps as many idle connections per host as workers use.
var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint")
	access := flag.String("access-key", envOr("S3_ACCESS_KEY", "AKIACADDYS3DEV000001"), "access key id")
	secret := flag.String("secret-key", envOr("S3_SECRET_KEY", "caddys3-dev-secret-change-me-000000000000"), "secret key")
	bucket := flag.String("bucket", "s3load", "bucket (created if missing)")
	op := flag.String("op", "put", "put, get, list (full ListObjectsV2 listings of -keys objects, pages of 1,000), listraw (the same listings without the SDK: signed requests, pages scanned for <Key> only, so the client costs little), multipart (uploads -parts parts of -size, times Complete), chunked (PUTs with signed aws-chunked bodies in -chunk chunks) httpget (anonymous GETs of <endpoint>/<key>, e.g. of a file_server over the files -op get left; nothing is created) or presignget (GETs of presigned URLs made once before the run: signed requests whose client costs what httpget's does)")
	parts := flag.Int("parts", 100, "parts per upload for -op multipart")
	chunkFlag := flag.String("chunk", "1MiB", "signed chunk size for -op chunked")
	sizeFlag := flag.String("size", "4KiB", "object size")
	n := flag.Int("n", 1000, "number of requests")
	conc := flag.Int("c", 1, "concurrent workers")
	keys := flag.Int("keys", 0, "distinct keys (default: n for put, 1 for get; for list: the objects listed)")
	timeout := flag.Duration("timeout", 5*time.Minute, "stop after this long")
	seed := flag.Bool("seed", true, "for get and list: write the keys first (false: they are there from an earlier run)")
	dirs := flag.Int("dirs", 0, "spread the keys over this many directories (d000/…); 0: one flat directory")
	serverPID := flag.Int("pid", 0, "for list and listraw: the server's process id, to print its CPU time per listed key (/proc/PID/stat)")
	flag.Parse()

	size, err := humanize.ParseBytes(*sizeFlag)
	if err != nil {
		log.Fatalf("size: %v", err)
	}
	chunk, err := humanize.ParseBytes(*chunkFlag)
	if err != nil || chunk == 0 {
		log.Fatalf("chunk: %v", err)
	}
	chunked := uploader{endpoint: strings.TrimSuffix(*endpoint, "/"), access: *access, secret: *secret, region: "us-east-1",
		signer: v4.NewSigner(), client: httpClient}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	client := s3.New(s3.Options{
		BaseEndpoint:               endpoint,
		HTTPClient:                 httpClient, // the same connection pool as httpget
		Region:                     "us-east-1",
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(*access, *secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}, func(o *s3.Options) {
		// Measure the server, not the client's SHA-256 of every body.
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	if *op == "httpget" {
		// Nothing to create: the files are there.
	} else if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil && !alreadyOwned(err) {
		log.Fatalf("create bucket: %v", err)
	}
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	if *keys == 0 {
		*keys = *n
		if *op == "get" || *op == "httpget" || *op == "presignget" {
			*keys = 1
		}
	}
	if *op == "multipart" {
		if err := multipart(ctx, client, *bucket, payload, *parts, *conc); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *seed && (*op == "get" || *op == "presignget" || *op == "list" || *op == "listraw") {
		for i := 0; i < *keys; i++ {
			if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key(i, *dirs)), Body: bytes.NewReader(payload)}); err != nil {
				log.Fatalf("seed: %v", err)
			}
		}
	}

	// The URL each plain GET fetches: the key under the endpoint, or its
	// presigned URL (signed once, so the client's cost is that of httpget).
	getURL := func(i int) string { return *endpoint + "/" + key(i, *dirs) }
	if *op == "presignget" {
		urls, err := presignGets(ctx, client, *bucket, *keys, *dirs)
		if err != nil {
			log.Fatalf("presign: %v", err)
		}
		getURL = func(i int) string { return urls[i] }
	}

	cpu0, err := readCPU(*serverPID)
	if err != nil {
		log.Fatalf("cpu: %v", err)
	}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			var page bytes.Buffer // listraw's response, reused
			if *op == "chunked" {
				buf = make([]byte, chunk)
			}
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) || ctx.Err() != nil {
					return
				}
				k := key(int(i)%*keys, *dirs)
				t0 := time.Now()
				var err error
				switch *op {
				case "put":
					_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: bytes.NewReader(payload)})
				case "get":
					var out *s3.GetObjectOutput
					out, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
					if err == nil {
						var got int64
						got, err = io.CopyBuffer(io.Discard, out.Body, buf)
						out.Body.Close()
						if err == nil && got != int64(size) {
							err = fmt.Errorf("short read %d", got)
						}
					}
				case "chunked":
					err = chunked.putChunked(ctx, "/"+*bucket+"/"+k, int64(size), buf)
				case "httpget", "presignget":
					var resp *http.Response
					resp, err = httpClient.Get(getURL(int(i) % *keys))
					if err == nil {
						var got int64
						got, err = io.CopyBuffer(io.Discard, resp.Body, buf)
						resp.Body.Close()
						if err == nil && (resp.StatusCode != 200 || got != int64(size)) {
							err = fmt.Errorf("status %d, %d bytes", resp.StatusCode, got)
						}
					}
				case "list":
					var listed int
					listed, err = listAll(ctx, client, *bucket)
					if err == nil && listed != *keys {
						err = fmt.Errorf("listed %d keys, want %d", listed, *keys)
					}
				case "listraw":
					var listed int
					listed, err = chunked.listRaw(ctx, *bucket, &page)
					if err == nil && listed != *keys {
						err = fmt.Errorf("listed %d keys, want %d", listed, *keys)
					}
				default:
					log.Fatalf("unknown op %q", *op)
				}
				d := time.Since(t0)
				if err != nil {
					failed.Add(1)
					log.Printf("%s %s: %v", *op, k, err)
					continue
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := readCPU(*serverPID)
	if err != nil {
		log.Fatalf("cpu: %v", err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ok := len(lat)
	if ok == 0 {
		log.Fatalf("no request succeeded (%d failed)", failed.Load())
	}
	bytesMoved := float64(ok) * float64(size)
	fmt.Printf("%s size=%s n=%d c=%d ok=%d failed=%d elapsed=%s\n", *op, humanize.IBytes(size), *n, *conc, ok, failed.Load(), elapsed.Round(time.Millisecond))
	fmt.Printf("  %.1f ops/s  %.1f MiB/s  p50=%s p99=%s max=%s\n",
		float64(ok)/elapsed.Seconds(), bytesMoved/elapsed.Seconds()/(1<<20),
		lat[ok/2].Round(time.Microsecond), lat[ok*99/100].Round(time.Microsecond), lat[ok-1].Round(time.Microsecond))
	if *op == "list" || *op == "listraw" {
		fmt.Printf("  %.0f keys/s listed\n", float64(ok)*float64(*keys)/elapsed.Seconds())
		printCPU(os.Stdout, cpu0, cpu1, ok**keys, *serverPID > 0)
	}
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// presignGets presigns a GET of each of the first n keys, valid for an
// hour.
func presignGets(ctx context.Context, client *s3.Client, bucket string, n, dirs int) ([]string, error) {
	ps := s3.NewPresignClient(client, s3.WithPresignExpires(time.Hour))
	urls := make([]string, n)
	for i := range urls {
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i, dirs))})
		if err != nil {
			return nil, err
		}
		urls[i] = req.URL
	}
	return urls, nil
}

// listAll lists the whole bucket in pages of 1,000 and counts the keys.
func listAll(ctx context.Context, client *s3.Client, bucket string) (int, error) {
	n := 0
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket, MaxKeys: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Contents)
	}
	return n, nil
}

// key is the i-th key, in directory i mod dirs when dirs > 0.
func key(i, dirs int) string {
	if dirs > 0 {
		return fmt.Sprintf("d%03d/obj-%08d", i%dirs, i)
	}
	return fmt.Sprintf("obj-%08d", i)
}

func alreadyOwned(err error) bool {
	var owned interface{ ErrorCode() string }
	return errors.As(err, &owned) && owned.ErrorCode() == "BucketAlreadyOwnedByYou"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// multipart uploads parts copies of payload as one multipart upload (conc
// parts at a time) and reports the upload and the Complete times.
func multipart(ctx context.Context, client *s3.Client, bucket string, payload []byte, parts, conc int) error {
	key := aws.String("multipart-object")
	up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: key})
	if err != nil {
		return err
	}
	done := make([]types.CompletedPart, parts)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	sem := make(chan struct{}, max(conc, 1))
	for i := 0; i < parts; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(n int32) {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: key, UploadId: up.UploadId,
				PartNumber: aws.Int32(n), Body: bytes.NewReader(payload)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if err == nil {
				done[n-1] = types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)}
			}
		}(int32(i + 1))
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	uploaded := time.Since(start)
	t0 := time.Now()
	out, err := client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: key,
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		return err
	}
	total := float64(len(payload)) * float64(parts)
	fmt.Printf("multipart %d x %s = %s: upload %s (%.1f MiB/s), complete %s, ETag %s\n",
		parts, humanize.IBytes(uint64(len(payload))), humanize.IBytes(uint64(total)),
		uploaded.Round(time.Millisecond), total/uploaded.Seconds()/(1<<20), time.Since(t0).Round(time.Millisecond), aws.ToString(out.ETag))
	return nil
}
