package caddys3

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/caddys3/caddys3/s3err"
)

// What the request body did, and what the connection needs before the
// answer goes out.
//
// Three things go wrong on HTTP/1.1 without this:
//
//   - A client fault while the body arrives (a stall past Caddy's
//     read_body_idle timeout, broken chunked framing, a short body) is a
//     transport error from the body reader; unmapped it was an
//     InternalError 500. clientBodyError marks every such error at its
//     source, toAPIError answers it as S3 does (400 RequestTimeout,
//     400 IncompleteBody, 400 EntityTooLarge).
//   - Caddy wraps the request body (its idle-timeout reader) in place, so
//     net/http no longer sees its own expectContinueReader when the
//     handler answers. A request that sent "Expect: 100-continue" and is
//     refused before its body was read then has net/http drain the body
//     it never asked for (no 100 Continue goes out), and client and
//     server wait for each other until a timeout. settleBody closes such
//     a connection instead, so the refusal is answered at once.
//   - An empty body with "Expect: 100-continue" gets no 100 Continue from
//     net/http (nothing to read); botocore then keeps the early final
//     status as the status of every later response on that connection
//     and misparses the next answer until its read timeout. S3 sends
//     100 Continue first; so does settleBody.

// bodyState records how the handler read the request body. It is safe
// for concurrent use (the store may read the body in another goroutine).
type bodyState struct {
	mu      sync.Mutex
	started bool  // a Read was called: net/http sent any 100 Continue
	eof     bool  // the body was read to its end
	err     error // the first transport error, a *clientBodyError
}

// record notes the outcome of one Read and returns the error to pass on:
// io.EOF unchanged, any other error wrapped in a *clientBodyError.
func (s *bodyState) record(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = true
	switch {
	case err == nil:
		return nil
	case err == io.EOF:
		s.eof = true
		return err
	case errors.Is(err, http.ErrBodyReadAfterClose):
		return err // ours, not the client's
	}
	var ce *clientBodyError
	if !errors.As(err, &ce) {
		ce = &clientBodyError{err: err}
	}
	if s.err == nil {
		s.err = ce
	}
	return ce
}

func (s *bodyState) get() (started, eof bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started, s.eof, s.err
}

// clientBodyError is a failure to read the request body from the client:
// the connection stalled, broke, or framed the body badly. It is always
// the client's fault (or its network's), never an InternalError.
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string { return "reading the request body: " + e.err.Error() }
func (e *clientBodyError) Unwrap() error { return e.err }

// apiError maps the transport error to the S3 error AWS answers.
func (e *clientBodyError) apiError() *apiError {
	var maxBytes *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.Is(e.err, os.ErrDeadlineExceeded) || errors.As(e.err, &ne) && ne.Timeout():
		return newError(s3err.RequestTimeout).withCause(e)
	case errors.As(e.err, &maxBytes):
		return newError(s3err.EntityTooLarge).withCause(e)
	}
	// io.ErrUnexpectedEOF (a short body or a connection closed mid-body)
	// and net/http's chunked-framing errors ("malformed chunked
	// encoding", "invalid byte in chunk length", "http chunk length too
	// large", ...): the body is not what the request announced.
	return newError(s3err.IncompleteBody).withCause(e)
}

// Bounds of the drain before an early answer (see settleBody). net/http
// itself reads up to 256 KiB more before writing the headers.
const (
	drainLimit = 1 << 20
	drainTime  = time.Second
)

// settleBody prepares an HTTP/1.1 connection for the answer, before any
// of it is written: it sends the 100 Continue an empty body's client
// waits for, and for a body still unread either drains a bounded amount
// (so a client that sends all before it reads gets the answer rather
// than a reset) or marks the connection to close.
func settleBody(req *request, w http.ResponseWriter, body *countingBody) {
	r := req.r
	if r.ProtoMajor != 1 || !r.ProtoAtLeast(1, 1) {
		return // HTTP/2 and /3 end a stream without touching the connection
	}
	expect := strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	if r.ContentLength == 0 {
		if expect {
			w.WriteHeader(http.StatusContinue)
		}
		return
	}
	started, eof, err := body.state.get()
	switch {
	case eof:
		return
	case err != nil:
		// Whatever is left on the wire is not the next request.
		w.Header().Set("Connection", "close")
		return
	case expect && !started:
		// The client waits for 100 Continue before it sends the body
		// we do not want: answer now and close, as net/http would if
		// Caddy had not wrapped the body.
		w.Header().Set("Connection", "close")
		return
	}
	rc := http.NewResponseController(w)
	deadlineSet := rc.SetReadDeadline(time.Now().Add(drainTime)) == nil
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	if _, eof, _ = body.state.get(); !eof {
		w.Header().Set("Connection", "close")
	} else if deadlineSet {
		_ = rc.SetReadDeadline(time.Time{})
	}
}
