package caddys3

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/caddys3/caddys3/s3err"
)

// Transport failures of the request body are the client's: each maps to
// the 400 AWS answers, never InternalError, however deeply wrapped.
func TestClientBodyErrors(t *testing.T) {
	cases := []struct {
		err  error
		want s3err.Code
	}{
		{os.ErrDeadlineExceeded, s3err.RequestTimeout},
		{&http.MaxBytesError{Limit: 10}, s3err.EntityTooLarge},
		{io.ErrUnexpectedEOF, s3err.IncompleteBody},
		{errors.New("invalid byte in chunk length"), s3err.IncompleteBody},
		{errors.New("http chunk length too large"), s3err.IncompleteBody},
	}
	for _, c := range cases {
		var s bodyState
		err := s.record(c.err)
		if got := toAPIError(fmt.Errorf("store: %w", err)); got.Code != c.want || got.Status != 400 {
			t.Errorf("%v -> %s/%d, want %s/400", c.err, got.Code, got.Status, c.want)
		}
		if _, _, recorded := s.get(); recorded == nil {
			t.Errorf("%v: not recorded", c.err)
		}
	}
	var s bodyState
	if err := s.record(io.EOF); err != io.EOF {
		t.Errorf("EOF became %v", err)
	}
	if _, eof, err := s.get(); !eof || err != nil {
		t.Errorf("after EOF: eof=%v err=%v", eof, err)
	}
}
