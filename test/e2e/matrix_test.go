package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// The client matrix: every client runs the same scenario over HTTPS as
// deployed, trusting Caddy's local CA the way its users would configure it
// (aws-sdk-go-v2: config.WithCustomCABundle, i.e. AWS_CA_BUNDLE; minio-go:
// a transport whose tls.Config.RootCAs holds the CA), never with
// InsecureSkipVerify. The scenario: make bucket, small PUT with metadata,
// a >100 MiB multipart upload from a seeded stream, ~1,050 keys listed past
// the 1,000-key page with and without a delimiter, streamed download with a
// sha256 comparison, ranged downloads, metadata round trip, a presigned GET
// fetched by plain net/http (which must negotiate HTTP/2), copy, batch
// delete and remove bucket.

const (
	mxManyKeys = 1050
	mxGroups   = 30
	mxPartSize = 16 * mib
	mxWorkers  = 8
)

// mxCAPEM reads the root certificate of Caddy's local CA (tls internal),
// the file an operator hands to clients.
func mxCAPEM(t testing.TB) []byte {
	t.Helper()
	pem, err := os.ReadFile(srv.proc.CAFile())
	if err != nil {
		t.Fatalf("reading the local CA root: %v", err)
	}
	return pem
}

func mxPool(t testing.TB, pem []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the local CA root is not PEM")
	}
	return pool
}

// mxWire sits between a client and its transport: it feeds the harness's
// request-id check (recordingTransport), counts negotiated protocols and
// ListObjectsV2 requests.
type mxWire struct {
	rt     http.RoundTripper
	lists  atomic.Int64
	mu     sync.Mutex
	protos map[string]int
	// payloads counts x-amz-content-sha256 modes (hashes as "<sha256>").
	payloads map[string]int
}

func newMxWire(rt http.RoundTripper) *mxWire {
	return &mxWire{rt: rt, protos: map[string]int{}, payloads: map[string]int{}}
}

func (w *mxWire) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && req.URL.Query().Get("list-type") == "2" {
		w.lists.Add(1)
	}
	p := req.Header.Get("X-Amz-Content-Sha256")
	if len(p) == 64 {
		p = "<sha256>"
	}
	resp, err := recordingTransport{w.rt}.RoundTrip(req)
	if err == nil {
		w.mu.Lock()
		w.protos[resp.Proto]++
		if p != "" && req.Method == http.MethodPut {
			w.payloads[p]++
		}
		w.mu.Unlock()
	}
	return resp, err
}

// Do makes mxWire an aws-sdk-go-v2 HTTPClient.
func (w *mxWire) Do(req *http.Request) (*http.Response, error) { return w.RoundTrip(req) }

func (w *mxWire) protocols() (protos, payloads map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.protos), maps.Clone(w.payloads)
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// mxVhostDial sends s3.test and *.s3.test on the TLS port to the server.
func mxVhostDial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	tlsHost := strings.TrimPrefix(srv.tlsBase, "https://")
	_, port, _ := net.SplitHostPort(tlsHost)
	d := &net.Dialer{Timeout: 5 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err == nil && p == port && (host == vhostDomain || strings.HasSuffix(host, "."+vhostDomain)) {
			addr = tlsHost
		}
		return d.DialContext(ctx, network, addr)
	}
}

// mxPlainClient is a plain net/http client trusting the CA, HTTP/2 allowed.
func mxPlainClient(pool *x509.CertPool, vhost bool) *http.Client {
	tr := &http.Transport{
		Proxy:             nil,
		ForceAttemptHTTP2: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool},
	}
	if vhost {
		tr.DialContext = mxVhostDial()
	}
	return &http.Client{Transport: recordingTransport{tr}, Timeout: time.Minute}
}

// ---------------------------------------------------------------------------
// Deterministic data: a seeded ChaCha8 stream, regenerated for comparisons
// instead of being held in memory.

func mxStream(seed uint64, size int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return io.LimitReader(mrand.NewChaCha8(s), size)
}

// mxSlice returns bytes [off, off+n) of the stream.
func mxSlice(seed uint64, size, off, n int64) []byte {
	r := mxStream(seed, size)
	_, _ = io.CopyN(io.Discard, r, off)
	b := make([]byte, n)
	_, _ = io.ReadFull(r, b)
	return b
}

// mxHasher hashes what an upload reads: sha256 of everything and the md5
// of every partSize part, for the expected multipart ETag.
type mxHasher struct {
	partSize int64
	all      hash.Hash
	part     hash.Hash
	inPart   int64
	n        int64
	partMD5s []byte
	parts    int
}

func newMxHasher(partSize int64) *mxHasher {
	return &mxHasher{partSize: partSize, all: sha256.New(), part: md5.New()}
}

func (h *mxHasher) Write(p []byte) (int, error) {
	total := len(p)
	h.all.Write(p)
	h.n += int64(len(p))
	for len(p) > 0 {
		k := min(int64(len(p)), h.partSize-h.inPart)
		h.part.Write(p[:k])
		h.inPart += k
		p = p[k:]
		if h.inPart == h.partSize {
			h.closePart()
		}
	}
	return total, nil
}

func (h *mxHasher) closePart() {
	h.partMD5s = h.part.Sum(h.partMD5s)
	h.parts++
	h.part.Reset()
	h.inPart = 0
}

// etag is the multipart ETag (without quotes) of what was read.
func (h *mxHasher) etag() string {
	if h.inPart > 0 {
		h.closePart()
	}
	s := md5.Sum(h.partMD5s)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), h.parts)
}

// ---------------------------------------------------------------------------
// The clients, behind one interface.

type mxMeta struct {
	contentType, cacheControl, contentDisposition string
	user                                          map[string]string // lower-case names
}

type mxInfo struct {
	size int64
	etag string // without quotes
	meta mxMeta
}

type mxClient interface {
	makeBucket(ctx context.Context, bucket string) error
	bucketExists(ctx context.Context, bucket string) (bool, error)
	removeBucket(ctx context.Context, bucket string) error
	put(ctx context.Context, bucket, key string, data []byte, m mxMeta) (etag string, err error)
	// putBig uploads a stream of size bytes (multipart, mxPartSize parts).
	putBig(ctx context.Context, bucket, key string, r io.Reader, size int64, m mxMeta) (etag string, err error)
	// get reads the object, or with rng bytes rng[0]-rng[1], or with
	// rng[0] < 0 the last -rng[0] bytes.
	get(ctx context.Context, bucket, key string, rng *[2]int64) (io.ReadCloser, error)
	stat(ctx context.Context, bucket, key string) (mxInfo, error)
	// list pages through everything; pageSize 0 leaves max-keys to the
	// server; delim is "" or "/".
	list(ctx context.Context, bucket, prefix, delim string, pageSize int) (keys, prefixes []string, err error)
	presign(ctx context.Context, bucket, key string) (string, error)
	copy(ctx context.Context, bucket, src, dst string) error
	deleteAll(ctx context.Context, bucket string, keys []string) (deleted []string, err error)
}

// aws-sdk-go-v2 ---------------------------------------------------------------

type mxSDK struct{ cl *s3.Client }

func newMxSDK(t testing.TB, pem []byte, w *mxWire) mxSDK {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithLogger(logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			if c == logging.Warn {
				t.Logf("aws-sdk-go-v2 %s: "+format, append([]any{c}, v...)...)
			}
		})),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(alice.key, alice.secret, "")),
		// What AWS_CA_BUNDLE / ca_bundle do.
		config.WithCustomCABundle(bytes.NewReader(pem)),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	cl := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.tlsBase)
		o.UsePathStyle = true
		inner := o.HTTPClient
		w.rt = doerFunc(inner.Do)
		o.HTTPClient = w
	})
	return mxSDK{cl}
}

func (c mxSDK) makeBucket(ctx context.Context, b string) error {
	_, err := c.cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
	return err
}

func (c mxSDK) bucketExists(ctx context.Context, b string) (bool, error) {
	_, err := c.cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)})
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	return err == nil, err
}

func (c mxSDK) removeBucket(ctx context.Context, b string) error {
	_, err := c.cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	return err
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (c mxSDK) put(ctx context.Context, b, k string, data []byte, m mxMeta) (string, error) {
	out, err := c.cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: bytes.NewReader(data),
		ContentType: optString(m.contentType), CacheControl: optString(m.cacheControl),
		ContentDisposition: optString(m.contentDisposition), Metadata: m.user})
	if err != nil {
		return "", err
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

func (c mxSDK) putBig(ctx context.Context, b, k string, r io.Reader, size int64, m mxMeta) (string, error) {
	up := manager.NewUploader(c.cl, func(u *manager.Uploader) {
		u.PartSize = mxPartSize
		u.Concurrency = 2
	})
	out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: r,
		ContentType: optString(m.contentType), Metadata: m.user})
	if err != nil {
		return "", err
	}
	if out.UploadID == "" {
		return "", errors.New("the upload manager did not use multipart")
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

func (c mxSDK) get(ctx context.Context, b, k string, rng *[2]int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k)}
	if rng != nil {
		if rng[0] < 0 {
			in.Range = aws.String(fmt.Sprintf("bytes=%d", rng[0]))
		} else {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", rng[0], rng[1]))
		}
	}
	out, err := c.cl.GetObject(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}

func (c mxSDK) stat(ctx context.Context, b, k string) (mxInfo, error) {
	out, err := c.cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
	if err != nil {
		return mxInfo{}, err
	}
	user := map[string]string{}
	for n, v := range out.Metadata {
		user[strings.ToLower(n)] = v
	}
	return mxInfo{size: aws.ToInt64(out.ContentLength), etag: strings.Trim(aws.ToString(out.ETag), `"`), meta: mxMeta{
		contentType: aws.ToString(out.ContentType), cacheControl: aws.ToString(out.CacheControl),
		contentDisposition: aws.ToString(out.ContentDisposition), user: user}}, nil
}

func (c mxSDK) list(ctx context.Context, b, prefix, delim string, pageSize int) (keys, prefixes []string, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: optString(prefix), Delimiter: optString(delim)}
	if pageSize > 0 {
		in.MaxKeys = aws.Int32(int32(pageSize))
	}
	p := s3.NewListObjectsV2Paginator(c.cl, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return keys, prefixes, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	return keys, prefixes, nil
}

func (c mxSDK) presign(ctx context.Context, b, k string) (string, error) {
	ps, err := s3.NewPresignClient(c.cl).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k)},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		return "", err
	}
	return ps.URL, nil
}

func (c mxSDK) copy(ctx context.Context, b, src, dst string) error {
	_, err := c.cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(dst), CopySource: copySrc(b, src)})
	return err
}

func (c mxSDK) deleteAll(ctx context.Context, b string, keys []string) ([]string, error) {
	var deleted []string
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
		if err != nil {
			return deleted, err
		}
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return deleted, fmt.Errorf("DeleteObjects: %d errors, first %s: %s %s", len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		keys = keys[n:]
	}
	return deleted, nil
}

// minio-go ---------------------------------------------------------------------

// mxMinio gets copies of metadata maps: with TrailingHeaders, PutObject
// writes X-Amz-Checksum-Algorithm into the caller's UserMetadata map.
type mxMinio struct {
	cl *minio.Client
	// streamBig uploads the big object with size -1 (length unknown).
	streamBig bool
}

func (c mxMinio) makeBucket(ctx context.Context, b string) error {
	return c.cl.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: region})
}

func (c mxMinio) bucketExists(ctx context.Context, b string) (bool, error) {
	return c.cl.BucketExists(ctx, b)
}

func (c mxMinio) removeBucket(ctx context.Context, b string) error { return c.cl.RemoveBucket(ctx, b) }

func (c mxMinio) put(ctx context.Context, b, k string, data []byte, m mxMeta) (string, error) {
	info, err := c.cl.PutObject(ctx, b, k, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType: m.contentType, CacheControl: m.cacheControl, ContentDisposition: m.contentDisposition, UserMetadata: maps.Clone(m.user)})
	return info.ETag, err
}

func (c mxMinio) putBig(ctx context.Context, b, k string, r io.Reader, size int64, m mxMeta) (string, error) {
	if c.streamBig {
		size = -1
	}
	info, err := c.cl.PutObject(ctx, b, k, r, size, minio.PutObjectOptions{
		PartSize: mxPartSize, ContentType: m.contentType, UserMetadata: maps.Clone(m.user)})
	return info.ETag, err
}

func (c mxMinio) get(ctx context.Context, b, k string, rng *[2]int64) (io.ReadCloser, error) {
	var opts minio.GetObjectOptions
	if rng != nil {
		var err error
		if rng[0] < 0 {
			err = opts.SetRange(0, rng[0])
		} else {
			err = opts.SetRange(rng[0], rng[1])
		}
		if err != nil {
			return nil, err
		}
	}
	return c.cl.GetObject(ctx, b, k, opts)
}

func (c mxMinio) stat(ctx context.Context, b, k string) (mxInfo, error) {
	st, err := c.cl.StatObject(ctx, b, k, minio.StatObjectOptions{})
	if err != nil {
		return mxInfo{}, err
	}
	user := map[string]string{}
	for n, v := range st.UserMetadata {
		user[strings.ToLower(n)] = v
	}
	return mxInfo{size: st.Size, etag: st.ETag, meta: mxMeta{contentType: st.ContentType,
		cacheControl: st.Metadata.Get("Cache-Control"), contentDisposition: st.Metadata.Get("Content-Disposition"), user: user}}, nil
}

func (c mxMinio) list(ctx context.Context, b, prefix, delim string, pageSize int) (keys, prefixes []string, err error) {
	for o := range c.cl.ListObjects(ctx, b, minio.ListObjectsOptions{Prefix: prefix, Recursive: delim == "", MaxKeys: pageSize}) {
		if o.Err != nil {
			return keys, prefixes, o.Err
		}
		// minio-go reports common prefixes as entries named by the prefix.
		if delim != "" && strings.HasSuffix(o.Key, delim) {
			prefixes = append(prefixes, o.Key)
		} else {
			keys = append(keys, o.Key)
		}
	}
	return keys, prefixes, nil
}

func (c mxMinio) presign(ctx context.Context, b, k string) (string, error) {
	u, err := c.cl.PresignedGetObject(ctx, b, k, 10*time.Minute, nil)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func (c mxMinio) copy(ctx context.Context, b, src, dst string) error {
	_, err := c.cl.CopyObject(ctx, minio.CopyDestOptions{Bucket: b, Object: dst}, minio.CopySrcOptions{Bucket: b, Object: src})
	return err
}

func (c mxMinio) deleteAll(ctx context.Context, b string, keys []string) ([]string, error) {
	ch := make(chan minio.ObjectInfo)
	go func() {
		defer close(ch)
		for _, k := range keys {
			select {
			case ch <- minio.ObjectInfo{Key: k}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var deleted []string
	var errs []string
	for r := range c.cl.RemoveObjectsWithResult(ctx, b, ch, minio.RemoveObjectsOptions{}) {
		if r.Err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", r.ObjectName, r.Err))
			continue
		}
		deleted = append(deleted, r.ObjectName)
	}
	if len(errs) > 0 {
		return deleted, fmt.Errorf("RemoveObjects: %d errors, first %s", len(errs), errs[0])
	}
	return deleted, nil
}

func newMxMinio(t testing.TB, pool *x509.CertPool, vhost bool, w *mxWire) *minio.Client {
	t.Helper()
	// minio-go's own transport with the CA added, as its docs suggest.
	tr, err := minio.DefaultTransport(true)
	if err != nil {
		t.Fatal(err)
	}
	tr.TLSClientConfig.RootCAs = pool
	tr.Proxy = nil
	endpoint := strings.TrimPrefix(srv.tlsBase, "https://")
	lookup := minio.BucketLookupPath
	if vhost {
		_, port, _ := net.SplitHostPort(endpoint)
		endpoint = vhostDomain + ":" + port
		lookup = minio.BucketLookupDNS
		tr.DialContext = mxVhostDial()
		// minio-go's DefaultTransport speaks HTTP/1.1 only (a custom
		// TLSClientConfig without ForceAttemptHTTP2); this variant opts
		// into HTTP/2.
		tr.ForceAttemptHTTP2 = true
	}
	w.rt = tr
	cl, err := minio.New(endpoint, &minio.Options{
		Creds:           mcreds.NewStaticV4(alice.key, alice.secret, ""),
		Secure:          true,
		Region:          region,
		BucketLookup:    lookup,
		Transport:       w,
		TrailingHeaders: vhost,
		MaxRetries:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// ---------------------------------------------------------------------------

type mxCase struct {
	name    string
	client  mxClient
	wire    *mxWire
	plain   *http.Client
	bigSize int64
	// wantH2: every response to the client itself must be HTTP/2.
	wantH2 bool
}

// TestMatrix runs the scenario for every client over HTTPS.
func TestMatrix(t *testing.T) {
	pem := mxCAPEM(t)
	pool := mxPool(t, pem)
	start := time.Now()

	sdkWire := newMxWire(nil)
	sdkCl := newMxSDK(t, pem, sdkWire)
	minioWire := newMxWire(nil)
	minioCl := newMxMinio(t, pool, false, minioWire)
	vhostWire := newMxWire(nil)
	vhostCl := newMxMinio(t, pool, true, vhostWire)

	cases := []mxCase{
		{name: "aws-sdk-go-v2", client: sdkCl, wire: sdkWire, plain: mxPlainClient(pool, false), bigSize: 100*mib + 1234, wantH2: true},
		{name: "minio-go", client: mxMinio{cl: minioCl, streamBig: true}, wire: minioWire, plain: mxPlainClient(pool, false), bigSize: 100*mib + 4321},
		{name: "minio-go-vhost", client: mxMinio{cl: vhostCl}, wire: vhostWire, plain: mxPlainClient(pool, true), bigSize: 33*mib + 99, wantH2: true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "minio-go-vhost" {
				mxWaitVhostCert(t, pool)
			}
			begin := time.Now()
			mxScenario(t, c, uint64(1000+i))
			protos, payloads := c.wire.protocols()
			t.Logf("%s: %v, protocols %v, PUT payload modes %v, %d ListObjectsV2 requests", c.name,
				time.Since(begin).Round(time.Millisecond), protos, payloads, c.wire.lists.Load())
			if c.wantH2 {
				for p, n := range protos {
					if p != "HTTP/2.0" {
						t.Errorf("%d responses over %s, want HTTP/2.0 only", n, p)
					}
				}
			}
		})
	}
	t.Logf("matrix: %v", time.Since(start).Round(time.Millisecond))
}

// mxWaitVhostCert waits until the server presents a certificate for
// *.s3.test that verifies against the CA (tls internal issues it in the
// background at startup).
func mxWaitVhostCert(t *testing.T, pool *x509.CertPool) {
	t.Helper()
	addr := strings.TrimPrefix(srv.tlsBase, "https://")
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{RootCAs: pool, ServerName: "probe." + vhostDomain})
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verifiable certificate for *.%s on %s: %v", vhostDomain, addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mxManyKey(i int) string { return fmt.Sprintf("many/g%02d/k%04d", i%mxGroups, i) }

// mxCheckListing compares a listing with the expected keys and prefixes:
// each exactly once and in byte order.
func mxCheckListing(t *testing.T, what string, keys, prefixes, wantKeys, wantPrefixes []string) {
	t.Helper()
	check := func(kind string, got, want []string) {
		seen := map[string]int{}
		for _, k := range got {
			seen[k]++
		}
		var dups, missing, extra []string
		for k, n := range seen {
			if n > 1 {
				dups = append(dups, k)
			}
		}
		wantSet := map[string]bool{}
		for _, k := range want {
			wantSet[k] = true
			if seen[k] == 0 {
				missing = append(missing, k)
			}
		}
		for k := range seen {
			if !wantSet[k] {
				extra = append(extra, k)
			}
		}
		if len(dups)+len(missing)+len(extra) > 0 {
			sort.Strings(dups)
			sort.Strings(missing)
			sort.Strings(extra)
			t.Errorf("%s: %d %s, want %d; duplicated %v, missing %v, unexpected %v", what, len(got), kind, len(want),
				mxHead(dups), mxHead(missing), mxHead(extra))
		} else if !sort.StringsAreSorted(got) {
			t.Errorf("%s: %s not in byte order", what, kind)
		}
	}
	check("keys", keys, wantKeys)
	check("common prefixes", prefixes, wantPrefixes)
}

func mxHead(s []string) []string {
	if len(s) > 8 {
		return append(s[:8:8], fmt.Sprintf("… (%d more)", len(s)-8))
	}
	return s
}

func mxScenario(t *testing.T, c mxCase, seed uint64) {
	ctx := ctxT(t)
	cl := c.client
	bucket := newBucketName("mx")

	if err := cl.makeBucket(ctx, bucket); err != nil {
		t.Fatalf("make bucket %s: %v", bucket, err)
	}
	if ok, err := cl.bucketExists(ctx, bucket); !ok || err != nil {
		t.Fatalf("bucket %s does not exist after creation: %v %v", bucket, ok, err)
	}

	// Small object with metadata; a key needing escaping.
	smallKey := "small a+b é.txt"
	small := []byte(strings.Repeat("matrix small object\n", 500))
	meta := mxMeta{
		contentType:        "text/plain; charset=utf-8",
		cacheControl:       "max-age=60, private",
		contentDisposition: `attachment; filename="small.txt"`,
		user:               map[string]string{"color": "blue", "note": "hello world"},
	}
	etag, err := cl.put(ctx, bucket, smallKey, small, meta)
	if err != nil {
		t.Fatalf("put %q: %v", smallKey, err)
	}
	if etag != md5Hex(small) {
		t.Errorf("put ETag %s, want %s", etag, md5Hex(small))
	}

	// The big object, multipart, streamed from the seeded generator.
	bigKey := "big/object.bin"
	var bigETag string
	bigOK := t.Run("multipart-upload", func(t *testing.T) {
		h := newMxHasher(mxPartSize)
		began := time.Now()
		got, err := cl.putBig(ctx, bucket, bigKey, io.TeeReader(mxStream(seed, c.bigSize), h), c.bigSize,
			mxMeta{contentType: "application/x-matrix", user: map[string]string{"size": fmt.Sprint(c.bigSize)}})
		if err != nil {
			t.Fatalf("multipart upload of %d bytes: %v", c.bigSize, err)
		}
		t.Logf("uploaded %d bytes in %v", c.bigSize, time.Since(began).Round(time.Millisecond))
		if h.n != c.bigSize {
			t.Errorf("the client read %d bytes of %d", h.n, c.bigSize)
		}
		bigETag = h.etag()
		if got != bigETag {
			t.Errorf("multipart ETag %s, want %s", got, bigETag)
		}
		// Download, streamed into sha256.
		began = time.Now()
		body, err := cl.get(ctx, bucket, bigKey, nil)
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		wantStreamed(t, "download", body, c.bigSize, h.all.Sum(nil))
		t.Logf("downloaded in %v", time.Since(began).Round(time.Millisecond))
	})

	t.Run("ranged-download", func(t *testing.T) {
		if !bigOK {
			t.Skip("no big object")
		}
		for _, r := range [][2]int64{
			{mxPartSize - 100, mxPartSize + 99}, // across a part boundary
			{0, 0},
			{c.bigSize - 1000, c.bigSize + 5000}, // clamped at the end
			{-777, 0},                            // suffix
		} {
			off, n := r[0], r[1]-r[0]+1
			if r[0] < 0 {
				off, n = c.bigSize+r[0], -r[0]
			}
			n = min(n, c.bigSize-off)
			want := mxSlice(seed, c.bigSize, off, n)
			body, err := cl.get(ctx, bucket, bigKey, &r)
			if err != nil {
				t.Errorf("range %v: %v", r, err)
				continue
			}
			got, err := io.ReadAll(body)
			body.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("range %v: %d bytes (err %v), want %d bytes at %d", r, len(got), err, n, off)
			}
		}
		body, err := cl.get(ctx, bucket, smallKey, &[2]int64{10, 29})
		if err != nil {
			t.Fatalf("small range: %v", err)
		}
		got, err := io.ReadAll(body)
		body.Close()
		if err != nil || !bytes.Equal(got, small[10:30]) {
			t.Errorf("small range: %q (err %v), want %q", got, err, small[10:30])
		}
	})

	// ~1,050 small keys with bounded concurrency.
	manyKeys := make([]string, mxManyKeys)
	for i := range manyKeys {
		manyKeys[i] = mxManyKey(i)
	}
	manyOK := t.Run("many-keys", func(t *testing.T) {
		began := time.Now()
		var next atomic.Int64
		var failed atomic.Int64
		var firstErr sync.Once
		var wg sync.WaitGroup
		for range mxWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(manyKeys) || failed.Load() > 10 {
						return
					}
					if _, err := cl.put(ctx, bucket, manyKeys[i], []byte(manyKeys[i]), mxMeta{}); err != nil {
						failed.Add(1)
						firstErr.Do(func() { t.Errorf("put %s: %v", manyKeys[i], err) })
					}
				}
			}()
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d puts failed", n)
		}
		t.Logf("%d puts in %v", len(manyKeys), time.Since(began).Round(time.Millisecond))
	})

	t.Run("list", func(t *testing.T) {
		if !manyOK {
			t.Skip("keys missing")
		}
		before := c.wire.lists.Load()
		keys, prefixes, err := cl.list(ctx, bucket, "many/", "", 0)
		if err != nil {
			t.Fatalf("list many/: %v", err)
		}
		mxCheckListing(t, "list many/ (server page size)", keys, prefixes, sortedCopy(manyKeys), nil)
		if n := c.wire.lists.Load() - before; n < 2 {
			t.Errorf("listing %d keys took %d ListObjectsV2 requests; want pagination past 1000", len(manyKeys), n)
		}

		var groups []string
		for g := range mxGroups {
			groups = append(groups, fmt.Sprintf("many/g%02d/", g))
		}
		before = c.wire.lists.Load()
		keys, prefixes, err = cl.list(ctx, bucket, "many/", "/", 7)
		if err != nil {
			t.Fatalf("list many/ delimiter /: %v", err)
		}
		mxCheckListing(t, "list many/ delimiter / max-keys 7", keys, prefixes, nil, groups)
		if n := c.wire.lists.Load() - before; n < int64((mxGroups+6)/7) {
			t.Errorf("%d common prefixes at max-keys 7 took %d requests", mxGroups, n)
		}

		var g7 []string
		for _, k := range manyKeys {
			if strings.HasPrefix(k, "many/g07/") {
				g7 = append(g7, k)
			}
		}
		keys, prefixes, err = cl.list(ctx, bucket, "many/g07/", "/", 10)
		if err != nil {
			t.Fatalf("list many/g07/: %v", err)
		}
		mxCheckListing(t, "list many/g07/ delimiter / max-keys 10", keys, prefixes, sortedCopy(g7), nil)
	})

	t.Run("metadata", func(t *testing.T) {
		st, err := cl.stat(ctx, bucket, smallKey)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if st.size != int64(len(small)) || st.etag != md5Hex(small) {
			t.Errorf("stat: size %d ETag %s, want %d %s", st.size, st.etag, len(small), md5Hex(small))
		}
		mxCheckMeta(t, "small", st.meta, meta)
		if !bigOK {
			return
		}
		st, err = cl.stat(ctx, bucket, bigKey)
		if err != nil {
			t.Fatalf("stat big: %v", err)
		}
		if st.size != c.bigSize || st.etag != bigETag || st.meta.contentType != "application/x-matrix" ||
			st.meta.user["size"] != fmt.Sprint(c.bigSize) {
			t.Errorf("stat big: size %d ETag %s meta %+v, want %d %s application/x-matrix size=%d", st.size, st.etag, st.meta, c.bigSize, bigETag, c.bigSize)
		}
	})

	t.Run("presigned-GET", func(t *testing.T) {
		u, err := cl.presign(ctx, bucket, smallKey)
		if err != nil {
			t.Fatalf("presign: %v", err)
		}
		if !strings.HasPrefix(u, "https://") {
			t.Errorf("presigned URL %s is not https", u)
		}
		resp, err := c.plain.Get(u)
		if err != nil {
			t.Fatalf("GET presigned %s: %v", u, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || !bytes.Equal(got, small) {
			t.Errorf("GET presigned: %s, %d bytes (err %v): %.300s", resp.Status, len(got), err, got)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("presigned GET over %s, want HTTP/2 (ForceAttemptHTTP2 over TLS)", resp.Proto)
		}
		if ct := resp.Header.Get("Content-Type"); ct != meta.contentType {
			t.Errorf("presigned GET Content-Type %q, want %q", ct, meta.contentType)
		}
	})

	copyKey := "copy/" + smallKey
	t.Run("copy", func(t *testing.T) {
		if err := cl.copy(ctx, bucket, smallKey, copyKey); err != nil {
			t.Fatalf("copy: %v", err)
		}
		body, err := cl.get(ctx, bucket, copyKey, nil)
		if err != nil {
			t.Fatalf("get copy: %v", err)
		}
		got, err := io.ReadAll(body)
		body.Close()
		if err != nil || !bytes.Equal(got, small) {
			t.Errorf("copy: %d bytes (err %v), want %d", len(got), err, len(small))
		}
		st, err := cl.stat(ctx, bucket, copyKey)
		if err != nil {
			t.Fatalf("stat copy: %v", err)
		}
		mxCheckMeta(t, "copy", st.meta, meta)
	})

	t.Run("list-root", func(t *testing.T) {
		var wantPrefixes []string
		if bigOK {
			wantPrefixes = append(wantPrefixes, "big/")
		}
		wantPrefixes = append(wantPrefixes, "copy/", "many/")
		keys, prefixes, err := cl.list(ctx, bucket, "", "/", 0)
		if err != nil {
			t.Fatalf("list root: %v", err)
		}
		mxCheckListing(t, "list root delimiter /", keys, prefixes, []string{smallKey}, wantPrefixes)
	})

	t.Run("batch-delete", func(t *testing.T) {
		all, _, err := cl.list(ctx, bucket, "", "", 0)
		if err != nil {
			t.Fatalf("list before delete: %v", err)
		}
		deleted, err := cl.deleteAll(ctx, bucket, all)
		if err != nil {
			t.Errorf("batch delete: %v", err)
		}
		mxCheckListing(t, "deleted", sortedCopy(deleted), nil, all, nil)
		left, prefixes, err := cl.list(ctx, bucket, "", "", 0)
		if err != nil || len(left)+len(prefixes) > 0 {
			t.Errorf("after batch delete of %d keys: %d left %v (err %v)", len(all), len(left), mxHead(left), err)
		}
	})

	t.Run("remove-bucket", func(t *testing.T) {
		if err := cl.removeBucket(ctx, bucket); err != nil {
			t.Fatalf("remove bucket: %v", err)
		}
		if ok, err := cl.bucketExists(ctx, bucket); ok || err != nil {
			t.Errorf("bucket exists after removal: %v %v", ok, err)
		}
	})
}

func mxCheckMeta(t *testing.T, what string, got, want mxMeta) {
	t.Helper()
	if got.contentType != want.contentType || got.cacheControl != want.cacheControl || got.contentDisposition != want.contentDisposition {
		t.Errorf("%s: Content-Type %q Cache-Control %q Content-Disposition %q, want %q %q %q", what,
			got.contentType, got.cacheControl, got.contentDisposition, want.contentType, want.cacheControl, want.contentDisposition)
	}
	for k, v := range want.user {
		if got.user[k] != v {
			t.Errorf("%s: metadata %s = %q, want %q (all: %v)", what, k, got.user[k], v, got.user)
		}
	}
	if len(got.user) != len(want.user) {
		t.Errorf("%s: metadata %v, want %v", what, got.user, want.user)
	}
}
