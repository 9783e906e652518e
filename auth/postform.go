package auth

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

const (
	// MaxPostPreData bounds the bytes of a POST form before its file part,
	// framing and part headers included (S3 answers
	// MaxPostPreDataLengthExceededError beyond its own limit).
	MaxPostPreData = 1 << 20
	// maxPostFields bounds the number of form fields before the file.
	maxPostFields = 256
)

// PostForm is a multipart/form-data POST upload read up to its file part.
type PostForm struct {
	// Fields are the fields before the file, keyed by lower-case name.
	Fields map[string]string
	// FileName is the file part's filename parameter (base name only).
	FileName string
	// FileContentType is the file part's own Content-Type, if any.
	FileContentType string
	// File streams the file's content. A body that ends before the closing
	// boundary fails with ErrIncompleteBody, malformed framing with
	// ErrMalformedPOSTRequest: never a clean io.EOF for a truncated file.
	// Fields after the file are ignored, as in S3.
	File io.Reader
}

// ReadPostForm parses the form fields of a POST upload from body, whose
// Content-Type is contentType, and stops at the part named "file", which
// must come last. It never buffers more than MaxPostPreData bytes.
func ReadPostForm(body io.Reader, contentType string) (*PostForm, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(mt, "multipart/form-data") || params["boundary"] == "" {
		return nil, fmt.Errorf("%w: the Content-Type must be multipart/form-data with a boundary", ErrMalformedPOSTRequest)
	}
	cr := &capReader{r: body, left: MaxPostPreData}
	mr := multipart.NewReader(cr, params["boundary"])
	form := &PostForm{Fields: map[string]string{}}
	for {
		part, err := mr.NextPart()
		if cr.hit {
			return nil, fmt.Errorf("%w: Your POST request fields preceding the upload file were too large.", ErrPostPreDataTooLarge)
		}
		if err == io.EOF {
			return nil, fmt.Errorf("%w: POST requires exactly one file upload per request.", ErrIncorrectNumberOfFiles)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedPOSTRequest, err)
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			return nil, fmt.Errorf("%w: a form part has no name", ErrMalformedPOSTRequest)
		}
		if name == "file" {
			cr.left = -1 // the file is bounded by the caller
			form.FileName = part.FileName()
			form.FileContentType = part.Header.Get("Content-Type")
			form.File = &postFileReader{part: part}
			return form, nil
		}
		if len(form.Fields) >= maxPostFields {
			return nil, fmt.Errorf("%w: Your POST request fields preceding the upload file were too large.", ErrPostPreDataTooLarge)
		}
		var b strings.Builder
		_, err = io.Copy(&b, part)
		if cr.hit {
			return nil, fmt.Errorf("%w: Your POST request fields preceding the upload file were too large.", ErrPostPreDataTooLarge)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedPOSTRequest, err)
		}
		if _, dup := form.Fields[name]; dup {
			return nil, fmt.Errorf("%w: the form field %q appears more than once", ErrMalformedPOSTRequest, name)
		}
		form.Fields[name] = b.String()
	}
}

// capReader fails once more than left bytes were read; left < 0 lifts the
// limit.
type capReader struct {
	r    io.Reader
	left int64
	hit  bool
}

var errCapReached = errors.New("POST form fields too large")

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return c.r.Read(p)
	}
	if c.left == 0 {
		c.hit = true
		return 0, errCapReached
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// postFileReader maps the multipart reader's errors to S3's.
type postFileReader struct {
	part *multipart.Part
	err  error
}

func (f *postFileReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.part.Read(p)
	switch {
	case err == nil, err == io.EOF:
		f.err = err
	case errors.Is(err, io.ErrUnexpectedEOF):
		f.err = fmt.Errorf("%w: the POST body ended inside the file", ErrIncompleteBody)
	default:
		f.err = fmt.Errorf("%w: %w", ErrMalformedPOSTRequest, err)
	}
	return n, f.err
}
