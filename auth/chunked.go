package auth

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/caddys3/caddys3/s3err"
)

const (
	maxLineLen      = 4096 // chunk header or trailer line
	maxTrailerLines = 16
	// minChunk is S3's smallest chunk but the last.
	minChunk    = 8 << 10
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// chunkSigner verifies the signature chain of an aws-chunked body: each
// chunk's signature covers the previous one, the first the seed (header)
// signature, so chunks can be neither altered nor reordered nor dropped.
type chunkSigner struct {
	key       *signingKey
	amzDate   string
	scope     string
	prev      string // hex signature of the previous chunk
	accessKey string
}

func (s *chunkSigner) verify(kind, payloadHashes, sig string) error {
	sts := kind + "\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + payloadHashes
	want := s.key.sign(sts)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(want, got) {
		return &SignatureMismatchError{StringToSign: sts, AccessKeyID: s.accessKey, SignatureProvided: sig}
	}
	s.prev = hex.EncodeToString(want)
	return nil
}

// verifyChunk checks a chunk's signature given the SHA-256 of its data.
func (s *chunkSigner) verifyChunk(sum []byte, sig string) error {
	return s.verify("AWS4-HMAC-SHA256-PAYLOAD", emptySHA256+"\n"+hex.EncodeToString(sum), sig)
}

// verifyTrailer checks x-amz-trailer-signature over the trailer lines as
// "name:value\n", chained to the final chunk's signature.
func (s *chunkSigner) verifyTrailer(canonical, sig string) error {
	h := sha256.Sum256([]byte(canonical))
	return s.verify("AWS4-HMAC-SHA256-TRAILER", hex.EncodeToString(h[:]), sig)
}

type trailerLine struct{ name, value string }

// chunkedBody decodes aws-chunked framing. Chunk data streams through,
// signed or not, so memory does not grow with the chunk size: a signed
// chunk's data is hashed as it passes and its signature checked at its
// end, and a mismatch fails the next Read, before EOF. That is safe because
// every reader of a body acts on it only after a clean EOF (an object or
// part is published then; a document is parsed after io.ReadAll), as
// trailing checksums already require.
type chunkedBody struct {
	br          *bufio.Reader
	signer      *chunkSigner // nil: unsigned chunks
	withTrailer bool         // the payload mode carries trailers
	trailers    []string     // names declared in x-amz-trailer (lower case)
	d           digester     // hashes of the declared trailer checksums
	sums        *sumSet
	declared    int64 // x-amz-decoded-content-length, -1 when absent
	decoded     int64
	chunks      int   // data chunks so far
	lastSize    int64 // size of the latest data chunk

	left int64 // unread bytes of the current chunk
	// hash and sig: the running SHA-256 and the signature of the current
	// signed chunk.
	hash hash.Hash
	sig  string
	err  error // sticky; io.EOF after a verified end
}

func newChunkedBody(src io.Reader, signer *chunkSigner, withTrailer bool, trailers []string, declared int64, sums *sumSet) *chunkedBody {
	c := &chunkedBody{
		br:          bufio.NewReaderSize(src, maxLineLen),
		signer:      signer,
		withTrailer: withTrailer,
		trailers:    trailers,
		sums:        sums,
		declared:    declared,
	}
	for _, t := range trailers {
		if a := checksumAlgo(t); a != "" {
			c.d.add(a)
		}
	}
	return c
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if c.left > 0 {
			return c.readData(p)
		}
		c.err = c.nextChunk()
	}
}

// readData reads data of the current chunk; at its end a signed chunk's
// signature is checked.
func (c *chunkedBody) readData(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	c.d.write(p[:n])
	if c.signer != nil {
		c.hash.Write(p[:n])
	}
	if c.left == 0 {
		err = c.endSigned()
		if err == nil {
			err = c.readCRLF()
		}
	} else if err == io.EOF {
		err = truncated("chunk data")
	}
	if err != nil {
		c.err = incomplete(err)
	}
	return n, nil // an error surfaces on the next call, after these bytes
}

// nextChunk reads a chunk header and, for signed chunks, the verified data.
func (c *chunkedBody) nextChunk() error {
	line, err := c.readLine()
	if err == io.EOF {
		return truncated("stream ended before the final chunk")
	}
	if err != nil {
		return err
	}
	size, sig, err := parseChunkHeader(line)
	if err != nil {
		return err
	}
	if size > 0 {
		if c.chunks > 0 && c.lastSize < minChunk {
			return invalidChunkSize(c.chunks+1, c.lastSize)
		}
		c.chunks, c.lastSize = c.chunks+1, size
	}
	if c.declared >= 0 && c.decoded+size > c.declared {
		return fmt.Errorf("%w: more data than x-amz-decoded-content-length", ErrIncompleteBody)
	}
	c.decoded += size
	if c.signer != nil {
		if c.hash == nil {
			c.hash = sha256.New()
		}
		c.hash.Reset()
		c.sig = sig
	}
	if size > 0 {
		c.left = size
		return nil
	}
	if err := c.endSigned(); err != nil {
		return err
	}
	return c.finish()
}

// endSigned checks the signature of the signed chunk just read.
func (c *chunkedBody) endSigned() error {
	if c.signer == nil {
		return nil
	}
	return c.signer.verifyChunk(c.hash.Sum(nil), c.sig)
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig][;ext...]".
func parseChunkHeader(line string) (size int64, sig string, err error) {
	sizeStr, exts, _ := strings.Cut(line, ";")
	sizeStr = strings.TrimSpace(sizeStr)
	if sizeStr == "" || len(sizeStr) > 16 {
		return 0, "", fmt.Errorf("%w: malformed chunk header", ErrIncompleteBody)
	}
	u, perr := strconv.ParseUint(sizeStr, 16, 64)
	if perr != nil {
		return 0, "", fmt.Errorf("%w: malformed chunk size", ErrIncompleteBody)
	}
	if u > 1<<62 {
		return 0, "", fmt.Errorf("%w: chunk size out of range", ErrIncompleteBody)
	}
	for exts != "" {
		var ext string
		ext, exts, _ = strings.Cut(exts, ";")
		if k, v, ok := strings.Cut(ext, "="); ok && strings.TrimSpace(k) == "chunk-signature" {
			sig = strings.TrimSpace(v)
		}
	}
	return int64(u), sig, nil
}

func (c *chunkedBody) readCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return truncated("chunk terminator")
		}
		return err
	}
	if b != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", ErrIncompleteBody)
	}
	return nil
}

// readLine returns a line without its CRLF (or LF), io.EOF at a clean end.
func (c *chunkedBody) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return "", fmt.Errorf("%w: chunk header or trailer line too long", ErrIncompleteBody)
	case err == io.EOF && len(line) == 0:
		return "", io.EOF
	case err == io.EOF:
		return "", truncated("line")
	case err != nil:
		return "", incomplete(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// finish runs after the final 0-size chunk: checks the length, reads and
// verifies the trailer, and requires the end of the stream.
func (c *chunkedBody) finish() error {
	if c.declared >= 0 && c.decoded != c.declared {
		return fmt.Errorf("%w: got %d of %d decoded bytes", ErrIncompleteBody, c.decoded, c.declared)
	}
	var lines []trailerLine
	var trailerSig string
	haveSig := false
	for i := 0; ; i++ {
		line, err := c.readLine()
		if err == io.EOF {
			break // the last CRLF is optional
		}
		if err != nil {
			return err
		}
		if i >= 2*maxTrailerLines {
			return fmt.Errorf("%w: too many trailer lines", ErrMalformedTrailer)
		}
		if line == "" {
			if c.withTrailer {
				// Writers differ in blank lines: minio-go ends the checksum
				// line with "\n\r\n" before the signature line. The body's
				// own end (EOF) ends the trailer.
				continue
			}
			break
		}
		if !c.withTrailer {
			return fmt.Errorf("%w: trailer in a payload without trailers", ErrMalformedTrailer)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%w: trailer line without a colon", ErrMalformedTrailer)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig, haveSig = value, true
			continue
		}
		lines = append(lines, trailerLine{name, value})
	}
	if _, err := c.br.ReadByte(); err == nil {
		return fmt.Errorf("%w: data after the end of the aws-chunked body", ErrIncompleteBody)
	} else if err != io.EOF {
		return incomplete(err)
	}
	return c.verifyTrailer(lines, trailerSig, haveSig)
}

func (c *chunkedBody) verifyTrailer(lines []trailerLine, sig string, haveSig bool) error {
	for _, want := range c.trailers {
		if !slices.ContainsFunc(lines, func(l trailerLine) bool { return l.name == want }) {
			return fmt.Errorf("%w: trailer %s declared in x-amz-trailer but not sent", ErrMalformedTrailer, want)
		}
	}
	if c.signer != nil && c.withTrailer {
		var canonical strings.Builder
		for _, l := range lines {
			canonical.WriteString(l.name + ":" + l.value + "\n")
		}
		if !haveSig && len(lines) == 0 && len(c.trailers) == 0 {
			// No trailer declared and none sent: nothing to sign.
		} else if err := c.signer.verifyTrailer(canonical.String(), sig); err != nil {
			return err
		}
	}
	verified := map[string]string{}
	for _, l := range lines {
		algo := checksumAlgo(l.name)
		if algo == "" {
			continue
		}
		if !slices.Contains(c.trailers, l.name) {
			return fmt.Errorf("%w: trailer %s not declared in x-amz-trailer", ErrMalformedTrailer, l.name)
		}
		want, ok := decodeChecksum(algo, l.value)
		if !ok {
			return fmt.Errorf("%w: invalid value for trailer %s", ErrMalformedTrailer, l.name)
		}
		if !hmac.Equal(c.d.sum(algo), want) {
			return textError(ErrBadDigest, s3err.ChecksumMismatch, algo)
		}
		verified[algo] = l.value
	}
	for algo, v := range verified {
		c.sums.add(algo, v)
	}
	return io.EOF
}

func truncated(what string) error {
	return fmt.Errorf("%w: aws-chunked body truncated in %s", ErrIncompleteBody, what)
}
