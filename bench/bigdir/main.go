// Command bigdir makes a bucket of a million keys directly on disk (not
// through S3, which would take an hour) and times the first ListObjectsV2
// page of it.
//
//	go run ./bench/bigdir make -root /tmp/big -bucket flat -n 1000000
//	go run ./bench/bigdir make -root /tmp/big -bucket nested -n 1000000 -dirs 1000
//	go run ./bench/bigdir first -endpoint http://127.0.0.1:19321 -bucket flat
//	go run ./bench/bigdir store -root /tmp/big -bucket flat -rounds 5
//
// make creates the bucket through the store, PUTs one empty object to copy
// its metadata record (the user.caddys3 xattr: ETag of the empty body,
// owner, content type) onto every key, then creates k0000000… as empty
// files with that record, flat or spread over -dirs directories
// (d0000/…). Run it before the server starts, on a root the server then
// serves. first sends one signed ListObjectsV2 (max-keys 1000, optional
// -prefix) and prints its wall time and key count.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/caddys3/caddys3/fsstore"
	"golang.org/x/sys/unix"
)

// metaXattr is where the store keeps an object's record (fsstore/meta.go).
const metaXattr = "user.caddys3"

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: bigdir make|first|store [flags]")
	}
	fl := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	root := fl.String("root", "", "make: the store's root")
	bucket := fl.String("bucket", "big", "bucket")
	n := fl.Int("n", 1_000_000, "make: keys")
	dirs := fl.Int("dirs", 0, "make: spread the keys over this many directories; 0: flat")
	owner := fl.String("owner", "owner", "make: the bucket's owner (the canonical id of caddy s3-server's key)")
	endpoint := fl.String("endpoint", "http://127.0.0.1:9000", "first: S3 endpoint")
	prefix := fl.String("prefix", "", "first, store: ListObjectsV2 prefix")
	rounds := fl.Int("rounds", 5, "store: fresh Stores to list with (store.go)")
	fl.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "make":
		err = makeKeys(*root, *bucket, *owner, *n, *dirs)
	case "first":
		err = firstPage(*endpoint, *bucket, *prefix)
	case "store":
		err = storePages(*root, *bucket, *prefix, *rounds)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

func makeKeys(root, bucket, owner string, n, dirs int) error {
	if root == "" {
		return errors.New("make: -root is required")
	}
	st, err := fsstore.Open(fsstore.Options{Root: root})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := st.CreateBucket(ctx, bucket, owner); err != nil && !errors.Is(err, fsstore.ErrBucketAlreadyOwned) {
		st.Close()
		return err
	}
	if _, err := st.PutObject(ctx, bucket, "template", strings.NewReader(""), fsstore.PutOptions{}); err != nil {
		st.Close()
		return err
	}
	st.Close()
	tmpl := filepath.Join(root, bucket, "template")
	rec := make([]byte, 64<<10)
	size, err := unix.Getxattr(tmpl, metaXattr, rec)
	if err != nil {
		return fmt.Errorf("make: the template's record (xattrs needed): %w", err)
	}
	rec = rec[:size]
	if err := os.Remove(tmpl); err != nil {
		return err
	}
	start := time.Now()
	for i := range n {
		dir := filepath.Join(root, bucket)
		if dirs > 0 {
			dir = filepath.Join(dir, fmt.Sprintf("d%04d", i%dirs))
			if i < dirs {
				if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
					return err
				}
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("k%07d", i))
		fd, err := unix.Open(name, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("make: %w", err)
		}
		err = unix.Fsetxattr(fd, metaXattr, rec, 0)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("make: record of %s: %w", name, err)
		}
	}
	fmt.Printf("made %d keys in %s (%d directories) in %v\n", n, bucket, max(dirs, 1), time.Since(start).Round(time.Millisecond))
	return nil
}

func firstPage(endpoint, bucket, prefix string) error {
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(envOr("S3_ACCESS_KEY", "AKIACADDYS3DEV000001"),
			envOr("S3_SECRET_KEY", "caddys3-dev-secret-change-me-000000000000"), ""),
	})
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1000)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	start := time.Now()
	out, err := client.ListObjectsV2(context.Background(), in)
	if err != nil {
		return err
	}
	fmt.Printf("first page: %d keys, truncated %v, in %v\n", len(out.Contents), aws.ToBool(out.IsTruncated), time.Since(start).Round(100*time.Microsecond))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
