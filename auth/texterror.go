package auth

import (
	"fmt"

	"github.com/caddys3/caddys3/s3err"
)

// TextError is a request fault S3 answers with one of its texts for the
// code (s3err.Text), and the extra elements it sends with it. It wraps
// the sentinel of its code where there is one, so errors.Is still
// classifies it (a TextError with the BadDigest text is ErrBadDigest).
type TextError struct {
	Text   s3err.Text
	Args   []any
	Fields [][2]string // extra <Error> elements: name, value
	wraps  error
}

func (e *TextError) Error() string { return e.Text.Message(e.Args...) }

func (e *TextError) Unwrap() error { return e.wraps }

// textError builds a TextError wrapping sentinel (nil for none).
func textError(sentinel error, t s3err.Text, args ...any) *TextError {
	return &TextError{Text: t, Args: args, wraps: sentinel}
}

// InvalidChunkSize: a chunk other than the last was smaller than S3's
// 8 KiB minimum. S3 names the chunk that revealed it, counting from 1,
// and the small chunk's size: for "hello" sent in chunks of 3 and 2
// bytes it answers <Chunk>2</Chunk><BadChunkSize>3</BadChunkSize>
// (AWS's answer quoted in versitygw issue #1683).
func invalidChunkSize(chunk int, size int64) *TextError {
	e := textError(nil, s3err.InvalidChunkSize)
	e.Fields = [][2]string{{"Chunk", fmt.Sprint(chunk)}, {"BadChunkSize", fmt.Sprint(size)}}
	return e
}
