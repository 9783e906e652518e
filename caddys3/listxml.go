package caddys3

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"time"
)

// isoTime is a time written as timeISO writes it.
type isoTime time.Time

func (t isoTime) MarshalText() ([]byte, error) { return []byte(timeISO(time.Time(t))), nil }

// quotedETag is an ETag written in quotes.
type quotedETag string

func (e quotedETag) MarshalText() ([]byte, error) { return []byte(quoteETag(string(e))), nil }

// listResultXML is the document xml.Marshal makes of r (declaration
// included), written without reflection: for a page of 1,000 keys,
// encoding/xml was most of the handler's own CPU. listxml_test.go checks
// that both agree byte for byte. ok is false when an entry carries
// <UserMetadata> (MinIO's extension, listmeta.go), left to encoding/xml.
func listResultXML(r *listObjectsResult) (doc []byte, ok bool) {
	for i := range r.Contents {
		if r.Contents[i].UserMetadata != nil {
			return nil, false
		}
	}
	w := xmlWriter{bytes.NewBuffer(make([]byte, 0, 256+300*len(r.Contents)))}
	w.WriteString(xml.Header)
	w.WriteString(`<ListBucketResult xmlns="`)
	w.escape(r.Xmlns)
	w.WriteString(`">`)
	w.elem("Name", r.Name)
	w.elem("Prefix", r.Prefix)
	if r.Marker != nil {
		w.elem("Marker", *r.Marker)
	}
	w.elemOmit("NextMarker", r.NextMarker)
	w.elemOmit("ContinuationToken", r.ContinuationToken)
	w.elemOmit("NextContinuationToken", r.NextContinuationToken)
	w.elemOmit("StartAfter", r.StartAfter)
	if r.KeyCount != nil {
		w.elemInt("KeyCount", int64(*r.KeyCount))
	}
	w.elemInt("MaxKeys", int64(r.MaxKeys))
	w.elemOmit("Delimiter", r.Delimiter)
	w.elemOmit("EncodingType", r.EncodingType)
	w.elem("IsTruncated", strconv.FormatBool(r.IsTruncated))
	for i := range r.Contents {
		e := &r.Contents[i]
		w.WriteString("<Contents>")
		w.elem("Key", e.Key)
		w.WriteString("<LastModified>")
		w.Write(time.Time(e.LastModified).UTC().AppendFormat(w.AvailableBuffer(), timeISOLayout))
		w.WriteString("</LastModified><ETag>&#34;")
		w.escape(string(e.ETag))
		w.WriteString("&#34;</ETag>")
		w.elemOmit("ChecksumAlgorithm", e.ChecksumAlgorithm)
		w.elemOmit("ChecksumType", e.ChecksumType)
		w.elemInt("Size", e.Size)
		if e.Owner != nil {
			w.WriteString("<Owner>")
			w.elem("ID", e.Owner.ID)
			w.elem("DisplayName", e.Owner.DisplayName)
			w.WriteString("</Owner>")
		}
		w.elem("StorageClass", e.StorageClass)
		w.WriteString("</Contents>")
	}
	for _, p := range r.CommonPrefixes {
		w.WriteString("<CommonPrefixes>")
		w.elem("Prefix", p.Prefix)
		w.WriteString("</CommonPrefixes>")
	}
	w.WriteString("</ListBucketResult>")
	return w.Bytes(), true
}

// xmlWriter appends elements with text escaped as encoding/xml escapes it.
type xmlWriter struct{ *bytes.Buffer }

// escape writes s as character data, escaped as encoding/xml escapes
// text; bytes beyond ASCII (which it checks for valid UTF-8 and XML
// characters) are left to xml.EscapeText.
func (w xmlWriter) escape(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch c := s[i]; {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '"':
			esc = "&#34;"
		case c == '\'':
			esc = "&#39;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c < 0x20:
			esc = "\uFFFD" // not an XML character
		case c >= 0x80:
			_ = xml.EscapeText(w.Buffer, []byte(s[last:])) // writes to a bytes.Buffer do not fail
			return
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}

func (w xmlWriter) elem(name, text string) {
	w.open(name)
	w.escape(text)
	w.close(name)
}

func (w xmlWriter) open(name string) {
	w.WriteByte('<')
	w.WriteString(name)
	w.WriteByte('>')
}

func (w xmlWriter) close(name string) {
	w.WriteString("</")
	w.WriteString(name)
	w.WriteByte('>')
}

// elemOmit is elem for a field tagged omitempty.
func (w xmlWriter) elemOmit(name, text string) {
	if text != "" {
		w.elem(name, text)
	}
}

func (w xmlWriter) elemInt(name string, n int64) {
	w.open(name)
	w.Write(strconv.AppendInt(w.AvailableBuffer(), n, 10))
	w.close(name)
}
