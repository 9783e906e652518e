package caddys3

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// timeISO is S3's timestamp format in XML bodies.
func timeISO(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// owner is S3's Owner element.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

func ownerOf(name string) owner { return owner{ID: name, DisplayName: name} }

// writeRawXML sends an XML document with status 200, adding the XML
// declaration when it lacks one.
func writeRawXML(w http.ResponseWriter, body []byte) error {
	if !bytes.HasPrefix(body, []byte("<?xml")) {
		body = append([]byte(xml.Header), body...)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// writeXML sends v as an S3 XML document with status 200.
func writeXML(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
	return nil
}

// s3URLEncode encodes a key or prefix for encoding-type=url responses the
// way S3 does: form encoding (space as '+') that keeps '/' readable.
func s3URLEncode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/', c == '*':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
