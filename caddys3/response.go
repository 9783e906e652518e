package caddys3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// response is what an operation answers; writeResponse turns it into
// status, headers and body. At most one of xml, raw, file and pending is
// set; none means an empty body.
type response struct {
	status int         // 0 means 200
	header http.Header // response headers (ETag, checksums, Location, …)
	// xml is an S3 XML document, sent with the XML declaration.
	xml any
	// raw is a body sent as it is, with contentType.
	raw         []byte
	contentType string
	// file streams length bytes of an open object from its current
	// offset; toEOF says the range runs to the end of the file (the
	// sendfile path). head sends the headers only.
	file   *os.File
	length int64
	toEOF  bool
	head   bool
	// body streams length bytes that are not a file's (a sealed
	// object's plaintext); a read error after the headers aborts the
	// connection (request.abort).
	body io.Reader
	// pending is an answer still being computed (a long
	// CompleteMultipartUpload): after keepAliveAfter the response is
	// committed as 200 and kept alive with whitespace, as S3 does; a
	// later failure goes inside the 200 body.
	pending <-chan outcome
	// committing, when set, adds headers to a pending response at the
	// moment its 200 is committed (the version id a Complete is about to
	// publish under).
	committing func(http.Header)
}

// xmlDeclaration starts every XML document we send.
var xmlDeclaration = []byte(xml.Header)

// outcome is the eventual answer of a pending response.
type outcome struct {
	resp *response
	err  error
}

// ok is an empty 200 answer; noContent an empty 204.
func ok() (*response, error)        { return &response{}, nil }
func noContent() (*response, error) { return &response{status: http.StatusNoContent}, nil }

// xmlResponse answers v as an S3 XML document with status 200.
func xmlResponse(v any) (*response, error) { return &response{xml: v}, nil }

// setHeader adds a response header, creating the map on first use.
func (resp *response) setHeader(k, v string) {
	if resp.header == nil {
		resp.header = http.Header{}
	}
	resp.header.Set(k, v)
}

// writeResponse sends resp. An error returned before anything was written
// is answered as an S3 error by the caller.
func (h *Handler) writeResponse(req *request, w http.ResponseWriter, resp *response) error {
	if resp.pending != nil {
		return h.writePending(req, w, resp)
	}
	var prefix, body []byte // prefix: the XML declaration of a marshalled document
	switch {
	case resp.xml != nil:
		b, err := xml.Marshal(resp.xml)
		if err != nil {
			return err
		}
		prefix, body = xmlDeclaration, b
		resp.contentType = "application/xml"
	case resp.raw != nil:
		body = resp.raw
	}
	hdr := w.Header()
	for k, v := range resp.header {
		hdr[k] = v
	}
	if resp.contentType != "" {
		hdr.Set("Content-Type", resp.contentType)
	}
	if body != nil {
		hdr.Set("Content-Length", strconv.Itoa(len(prefix)+len(body)))
	}
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	switch {
	case body != nil:
		if prefix != nil {
			_, _ = w.Write(prefix)
		}
		_, _ = w.Write(body)
	case resp.body != nil && !resp.head:
		h.sendStream(req, w, resp)
	case resp.file != nil && !resp.head:
		if err := sendBody(w, resp.file, resp.length, resp.toEOF); err != nil {
			// Headers are gone; the client sees a short body and retries.
			h.logger.Debug("s3 get aborted", zapRequestID(req), zap.Error(err))
		}
	}
	return nil
}

// writePending waits for a slow answer. Within keepAliveAfter it is
// written as usual; after that the status is committed as 200 and
// whitespace keeps the connection alive until the answer (a document or
// an error) goes into the body.
func (h *Handler) writePending(req *request, w http.ResponseWriter, resp *response) error {
	timer := time.NewTimer(h.keepAliveAfter)
	defer timer.Stop()
	rc := http.NewResponseController(w)
	committed := false
	for {
		select {
		case res := <-resp.pending:
			if !committed {
				if res.err != nil {
					return res.err
				}
				return h.writeResponse(req, w, res.resp)
			}
			h.finishCommitted(req, w, res)
			return nil
		case <-timer.C:
			if !committed {
				committed = true
				if resp.committing != nil {
					resp.committing(w.Header())
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, xml.Header)
			} else {
				_, _ = io.WriteString(w, " ")
			}
			_ = rc.Flush()
			timer.Reset(h.keepAliveInterval)
		}
	}
}

// finishCommitted writes the answer of a pending response whose 200
// status and XML declaration are already sent.
func (h *Handler) finishCommitted(req *request, w http.ResponseWriter, res outcome) {
	var doc any
	if res.err != nil {
		ae := h.errorFor(req, res.err)
		recordErrorCode(req, ae.Code) // the status is 200, the outcome is not
		doc = errorDocument(ae, req.id)
	} else {
		doc = res.resp.xml
	}
	b, err := xml.Marshal(doc)
	if err != nil {
		h.logger.Error("s3: encoding a response", zapRequestID(req), zap.Error(err))
		return
	}
	_, _ = w.Write(b)
}

// sendBody copies length bytes of f, positioned at the range start, to the
// response. When the range runs to the end of the file, f itself goes to
// the response writer's ReadFrom: net/http then uses sendfile(2), even
// through Caddy's writer wrappers (which add one io.LimitedReader per
// chunk; sendfile accepts one level of that, not two). io.Copy would take
// the *os.File's WriteTo path instead and lose sendfile. The headers are
// flushed first: net/http would otherwise read the body's first 512 bytes
// into user space to send with them (docs/get-path.md).
func sendBody(w http.ResponseWriter, f *os.File, length int64, toEOF bool) error {
	if rf, ok := w.(io.ReaderFrom); ok && toEOF {
		if err := http.NewResponseController(w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		_, err := rf.ReadFrom(f)
		return err
	}
	_, err := io.CopyN(w, f, length)
	return err
}
