package caddys3

import (
	"encoding/base64"
	"net/url"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

const maxListKeys = 1000

func (h *Handler) listObjectsV1(req *request) (*response, error) { return h.listObjects(req, false) }

// listParams reads what every listing takes: its page size (the query
// parameter name, at most 1,000) and encoding-type (only "url"), and
// returns the encoder of keys and prefixes for that encoding.
func listParams(q url.Values, sizeParam string) (size int, encoding string, enc func(string) string, err error) {
	size, err = nonNegativeInt(q, sizeParam, maxListKeys)
	if err != nil {
		return 0, "", nil, err
	}
	encoding = firstValue(q, "encoding-type")
	if encoding != "" && encoding != "url" {
		return 0, "", nil, newTextError(s3err.EncodingType).withArgument("encoding-type", encoding)
	}
	enc = func(s string) string { return s }
	if encoding == "url" {
		enc = s3URLEncode
	}
	return min(size, maxListKeys), encoding, enc, nil
}

func (h *Handler) listObjectsV2(req *request) (*response, error) { return h.listObjects(req, true) }

// listObjects serves ListObjects (v1) and ListObjectsV2. Continuation is
// stateless: the V2 token is the last returned key, base64-encoded.
func (h *Handler) listObjects(req *request, v2 bool) (*response, error) {
	q := req.query
	maxKeys, encoding, enc, err := listParams(q, "max-keys")
	if err != nil {
		return nil, err
	}
	opts := fsstore.ListOptions{Prefix: firstValue(q, "prefix"), Delimiter: firstValue(q, "delimiter"), MaxKeys: maxKeys}
	res := listObjectsResult{
		Xmlns: s3Namespace, Name: req.t.bucket, MaxKeys: maxKeys,
		EncodingType: encoding, Prefix: opts.Prefix, Delimiter: opts.Delimiter,
	}
	if v2 {
		opts.After = firstValue(q, "start-after")
		res.StartAfter = opts.After
		if tok, ok := q["continuation-token"]; ok {
			raw, err := base64.RawURLEncoding.DecodeString(tok[0])
			if err != nil || tok[0] == "" {
				return nil, newTextError(s3err.ContinuationToken).withArgument("continuation-token", tok[0])
			}
			res.ContinuationToken = tok[0]
			if string(raw) > opts.After {
				opts.After = string(raw)
			}
		}
	} else {
		marker := firstValue(q, "marker")
		opts.After = marker
		res.Marker = &marker
	}

	withMeta := v2 && withListMetadata(req) // MinIO's extension (listmeta.go)
	opts.Brief = !withMeta
	fetchOwner := !v2 || firstValue(q, "fetch-owner") == "true"
	var pageKey string // pagecache.go
	if opts.Brief {
		pageKey = listPageKey(req.t.bucket, v2, fetchOwner, maxKeys, encoding, opts.Prefix, opts.Delimiter, res.StartAfter, res.ContinuationToken, opts.After)
		if doc := h.cachedPage(req.t.bucket, pageKey); doc != nil {
			return &response{raw: doc, contentType: "application/xml"}, nil
		}
		opts.Inputs = true
	}
	page, err := h.store.ListObjects(req.ctx, req.t.bucket, opts)
	if err != nil {
		return nil, err
	}
	res.Contents = make([]listEntry, 0, len(page.Objects))
	var ow *owner // shared by the entries of one owner
	for _, o := range page.Objects {
		e := listEntry{
			Key: enc(o.Key), LastModified: isoTime(o.Meta.LastModified),
			ETag: quotedETag(o.Meta.ETag), Size: o.Meta.Size, StorageClass: "STANDARD",
		}
		// AWS lists an object's checksum algorithm and type. (Issue 14:
		// ListObjectVersions' <Version> carries them too, once it exists.)
		e.ChecksumAlgorithm, e.ChecksumType = objectChecksum(o.Meta)
		if fetchOwner {
			if ow == nil || ow.ID != o.Meta.Owner {
				ow = &owner{}
				*ow = ownerOf(o.Meta.Owner)
			}
			e.Owner = ow
		}
		if withMeta {
			e.UserMetadata = h.listMetadataFor(req, o)
		}
		res.Contents = append(res.Contents, e)
	}
	for _, p := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	res.IsTruncated = page.IsTruncated
	if v2 {
		n := len(page.Objects) + len(page.CommonPrefixes)
		res.KeyCount = &n
		if page.IsTruncated {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
		}
		res.Prefix = enc(res.Prefix)
		res.StartAfter = enc(res.StartAfter)
	} else {
		if page.IsTruncated && opts.Delimiter != "" {
			res.NextMarker = enc(page.Next)
		}
		m := enc(*res.Marker)
		res.Marker = &m
		res.Prefix = enc(res.Prefix)
	}
	if encoding == "url" {
		res.Delimiter = enc(res.Delimiter)
	}
	if doc, ok := listResultXML(&res); ok {
		h.keepPage(pageKey, doc, page.Inputs)
		return &response{raw: doc, contentType: "application/xml"}, nil
	}
	return xmlResponse(res)
}
