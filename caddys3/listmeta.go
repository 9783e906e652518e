package caddys3

import (
	"encoding/xml"
	"net/http"
	"slices"

	"github.com/caddys3/caddys3/fsstore"
)

// MinIO's listing extension: ListObjectsV2 with metadata=true puts a
// <UserMetadata> in each <Contents>. CloudStack's bucket browser lists with
// it (minio-js 7.0.33, extensions.listObjectsV2WithMetadata). minio-js
// parses the response with fast-xml-parser and hands the UserMetadata
// element on as an object of its children's names and texts
// (dist/main/xml-parsers.js, parseListObjectsV2WithMetadata), so each entry
// is an element named after it:
//
//	<UserMetadata><X-Amz-Meta-Owner>alice</X-Amz-Meta-Owner><content-type>text/plain</content-type></UserMetadata>
//
// The names are those MinIO sends (facts from its wire output, no code):
// user metadata under its canonical header name, the content type as
// "content-type".

// userMetadata is the <UserMetadata> element of one listed object.
type userMetadata struct {
	Fields []xmlField
}

// MarshalXML writes the fields as children named after them.
func (u userMetadata) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, f := range u.Fields {
		if err := e.EncodeElement(f.Value, xml.StartElement{Name: f.XMLName}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// listUserMetadata is an object's <UserMetadata>: its x-amz-meta-* values
// under their canonical header names, sorted, then its content type.
// A name that is no XML name (a header token may hold '#', '$', '|', …) is
// left out rather than breaking the document.
func listUserMetadata(m fsstore.ObjectMeta) *userMetadata {
	u := &userMetadata{}
	for k, v := range m.UserMeta {
		name := http.CanonicalHeaderKey("x-amz-meta-" + k)
		if xmlName(name) {
			u.Fields = append(u.Fields, xmlField{XMLName: xml.Name{Local: name}, Value: v})
		}
	}
	slices.SortFunc(u.Fields, func(a, b xmlField) int {
		switch {
		case a.XMLName.Local < b.XMLName.Local:
			return -1
		case a.XMLName.Local > b.XMLName.Local:
			return 1
		}
		return 0
	})
	if m.ContentType != "" {
		u.Fields = append(u.Fields, xmlField{XMLName: xml.Name{Local: "content-type"}, Value: m.ContentType})
	}
	return u
}

// xmlName reports whether s is an XML element name made of ASCII letters,
// digits, '-', '_' and '.', starting with a letter or '_' (no ':' : that
// would name a namespace).
func xmlName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	// Names starting with "xml" are reserved.
	return len(s) < 3 || !(s[0]|0x20 == 'x' && s[1]|0x20 == 'm' && s[2]|0x20 == 'l')
}

// withListMetadata reports whether a ListObjectsV2 asks for MinIO's
// metadata extension.
func withListMetadata(req *request) bool {
	return firstValue(req.query, "metadata") == "true"
}

// listMetadataFor is the <UserMetadata> of a listed object for this
// requester: only for one who may also read the object (s3:GetObject),
// since listing alone does not grant an object's metadata.
func (h *Handler) listMetadataFor(req *request, o fsstore.ObjectEntry) *userMetadata {
	if h.authorize(req, req.bucket, o.Key, rule{"s3:GetObject", read}, objectACLOf(o.Meta)) != nil {
		return nil
	}
	return listUserMetadata(o.Meta)
}
