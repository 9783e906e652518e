package auth

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/http"
	"strings"

	"github.com/caddys3/caddys3/checksum"
	"github.com/caddys3/caddys3/s3err"
)

// newHash returns a hash for a checksum algorithm ("MD5" serves
// Content-MD5 too), or nil when unknown.
func newHash(algo string) hash.Hash { return checksum.New(algo) }

// checksumAlgo maps a header or trailer name ("x-amz-checksum-crc32") to its
// algorithm as S3 names it ("CRC32"), or "" when it names none (such as
// x-amz-checksum-mode).
func checksumAlgo(name string) string {
	// Lower-cased only when it is one: this runs for every header.
	const prefix = "x-amz-checksum-"
	if len(name) < len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return ""
	}
	return checksum.Parse(strings.ToLower(name[len(prefix):]))
}

// decodeChecksum decodes a base64 checksum value of the algorithm's size
// (checksum.Decode: the canonical encoding only).
func decodeChecksum(algo, value string) ([]byte, bool) { return checksum.Decode(algo, value) }

// digester runs each needed hash once over the payload, however many checks
// share it (x-amz-content-sha256 and x-amz-checksum-sha256 do).
type digester struct {
	names  []string
	hashes []hash.Hash
}

func (d *digester) add(algo string) {
	for _, n := range d.names {
		if n == algo {
			return
		}
	}
	d.names = append(d.names, algo)
	d.hashes = append(d.hashes, newHash(algo))
}

func (d *digester) write(p []byte) {
	for _, h := range d.hashes {
		h.Write(p)
	}
}

func (d *digester) sum(algo string) []byte {
	for i, n := range d.names {
		if n == algo {
			return d.hashes[i].Sum(nil)
		}
	}
	return nil
}

// digestCheck is one expected digest of the payload.
type digestCheck struct {
	algo   string
	want   []byte
	err    error  // returned on mismatch
	report string // base64 value for Result.Checksums, "" to keep it out
}

// sumSet collects the verified checksums; both the chunked decoder (trailer)
// and checkedBody (headers) add to it, checkedBody seals it at clean EOF.
type sumSet struct {
	m    map[string]string
	done bool
}

func (s *sumSet) add(algo, b64 string) {
	if s.m == nil {
		s.m = make(map[string]string, 1)
	}
	s.m[algo] = b64
}

// get backs Result.Checksums: nothing before a verified end of body.
func (s *sumSet) get() map[string]string {
	if !s.done {
		return nil
	}
	return maps.Clone(s.m)
}

// headerChecks reads Content-MD5 and x-amz-checksum-* request headers.
// CompleteMultipartUpload (POST ?uploadId) carries the whole object's
// checksum, not its XML body's, so checksum headers are skipped there.
func headerChecks(r *http.Request, q []queryParam) ([]digestCheck, error) {
	var checks []digestCheck
	if vals, ok := r.Header["Content-Md5"]; ok {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vals[0]))
		if err != nil || len(b) != md5.Size || len(vals) > 1 {
			return nil, fmt.Errorf("%w: The Content-MD5 you specified is not valid.", ErrInvalidDigest)
		}
		checks = append(checks, digestCheck{algo: "MD5", want: b, err: ErrBadDigest})
	}
	if isComplete(r, q) {
		return checks, nil
	}
	found := ""
	for name, vals := range r.Header {
		algo := checksumAlgo(name)
		if algo == "" {
			continue
		}
		if found != "" {
			return nil, textError(ErrInvalidRequest, s3err.ChecksumHeadersMultiple)
		}
		found = algo
		v := strings.TrimSpace(vals[0])
		b, ok := decodeChecksum(algo, v)
		if !ok || len(vals) > 1 {
			return nil, textError(ErrInvalidRequest, s3err.ChecksumHeaderInvalid, strings.ToLower(name))
		}
		checks = append(checks, digestCheck{algo: algo, want: b, err: textError(ErrBadDigest, s3err.ChecksumMismatch, algo), report: v})
	}
	return checks, nil
}

// announcedAlgorithm returns the checksum algorithm a request carries in
// a header or trailer ("" for none) after checking that
// x-amz-sdk-checksum-algorithm, if sent, agrees with it: S3 refuses an
// SDK algorithm that names no algorithm or another one, and one sent
// without any checksum header or trailer.
func announcedAlgorithm(r *http.Request, checks []digestCheck, trailers []string) (string, error) {
	algo := ""
	for _, c := range checks {
		if c.report != "" {
			algo = c.algo
		}
	}
	for _, t := range trailers {
		if a := checksumAlgo(t); a != "" && algo == "" {
			algo = a
		}
	}
	sdk, ok := r.Header["X-Amz-Sdk-Checksum-Algorithm"]
	if !ok {
		return algo, nil
	}
	if algo == "" {
		return "", textError(ErrInvalidRequest, s3err.SDKChecksumMissing)
	}
	if len(sdk) != 1 || checksum.Parse(strings.TrimSpace(sdk[0])) != algo {
		return "", textError(ErrInvalidRequest, s3err.SDKChecksumInvalid)
	}
	return algo, nil
}

// isComplete: the request is CompleteMultipartUpload (POST ?uploadId),
// whose checksum headers are the whole object's, not its body's.
func isComplete(r *http.Request, q []queryParam) bool {
	_, ok := lookup(q, "uploadId")
	return ok && r.Method == http.MethodPost
}

// incomplete maps a transport's short-body error to ErrIncompleteBody and
// leaves any other read error as it is.
func incomplete(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrIncompleteBody, err)
	}
	return err
}

// checkedBody hashes the payload as it streams and reports a digest mismatch
// instead of io.EOF.
type checkedBody struct {
	src    io.Reader
	closer io.Closer
	d      digester
	checks []digestCheck
	sums   *sumSet
	n      int64
	want   int64 // declared length, -1 when unknown or checked by src
	err    error // sticky
}

func newCheckedBody(src io.Reader, closer io.Closer, checks []digestCheck, sums *sumSet, want int64) *checkedBody {
	b := &checkedBody{src: src, closer: closer, checks: checks, sums: sums, want: want}
	for _, c := range checks {
		b.d.add(c.algo)
	}
	return b
}

func (b *checkedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if n > 0 {
		b.d.write(p[:n])
		b.n += int64(n)
	}
	switch {
	case err == io.EOF:
		b.err = b.finish()
	case err != nil:
		b.err = incomplete(err)
	}
	return n, b.err
}

func (b *checkedBody) finish() error {
	if b.want >= 0 && b.n != b.want {
		return fmt.Errorf("%w: got %d of %d bytes", ErrIncompleteBody, b.n, b.want)
	}
	for _, c := range b.checks {
		if got := b.d.sum(c.algo); string(got) != string(c.want) {
			return fmt.Errorf("%w: %s of the payload does not match", c.err, c.algo)
		}
	}
	for _, c := range b.checks {
		if c.report != "" {
			b.sums.add(c.algo, c.report)
		}
	}
	b.sums.done = true
	return io.EOF
}

func (b *checkedBody) Close() error { return b.closer.Close() }
