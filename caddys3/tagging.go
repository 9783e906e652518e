package caddys3

import (
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Tagging (issue 16): object tags kept in each version's record, bucket
// tags in the bucket record, the x-amz-tagging header of writes, and the
// tag condition keys of bucket policies.
//
// AWS's rules ("Categorizing your objects using tags", Amazon S3 User
// Guide; "Tag restrictions", AWS Billing User Guide; API_Tag):
//   - at most 10 tags on an object, 50 on a bucket; keys unique;
//   - a key of 1 to 128, a value of 0 to 256 Unicode characters, counted
//     in UTF-16 as S3 stores them ("Amazon S3 object tags are internally
//     represented in UTF-16");
//   - only Unicode letters, numbers, white space and _ . : / = + - @;
//   - the prefix "aws:" is reserved.

// The limits of a tag set.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	// maxTaggingBody bounds a Tagging document: 50 tags of the longest
	// keys and values, each character escaped, fit.
	maxTaggingBody = 256 << 10
)

// tagKind says whose tag set is checked: the limits and the text of a
// reserved key differ between objects and buckets.
type tagKind uint8

const (
	objectTags tagKind = iota
	bucketTags
)

// tagXML is one Tag element. Key and Value are pointers so that a missing
// element is told from an empty one: both are required (API_Tag).
type tagXML struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

// taggingRequest is the Tagging document of PutObjectTagging,
// PutBucketTagging and a POST form's tagging field.
type taggingRequest struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  *struct {
		Tags []tagXML `xml:"Tag"`
	} `xml:"TagSet"`
}

// tagPair is one tag in the order it was sent.
type tagPair struct{ key, value string }

// taggingResult answers GetObjectTagging and GetBucketTagging, tags in
// key order (ceph s3-tests test_put_obj_with_tags reads them back so).
type taggingResult struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  struct {
		Tags []tagOut `xml:"Tag"`
	} `xml:"TagSet"`
}

type tagOut struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func taggingXML(tags map[string]string) taggingResult {
	res := taggingResult{Xmlns: s3Namespace}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		res.TagSet.Tags = append(res.TagSet.Tags, tagOut{Key: k, Value: tags[k]})
	}
	return res
}

// parseTaggingXML reads a Tagging document and checks its tag set.
func parseTaggingXML(body []byte, kind tagKind) (map[string]string, error) {
	var doc taggingRequest
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, newError(s3err.MalformedXML).withCause(err)
	}
	if doc.TagSet == nil {
		return nil, newError(s3err.MalformedXML)
	}
	pairs := make([]tagPair, 0, len(doc.TagSet.Tags))
	for _, t := range doc.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, newError(s3err.MalformedXML)
		}
		pairs = append(pairs, tagPair{*t.Key, *t.Value})
	}
	return checkTags(pairs, kind, false)
}

// parseTaggingHeader reads x-amz-tagging: URL query parameters
// ("k1=v1&k2=v2"; API_PutObject), form-decoded (a "+" is a space). A name
// without "=" holds the empty value (ceph s3-tests test_put_obj_with_tags:
// "foo=bar&bar"); a pair with a second "=" or bad escapes, and a name
// given twice, are InvalidArgument (aws-cli issue 2841, observed). ""
// is no tags.
func parseTaggingHeader(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	var pairs []tagPair
	for _, p := range strings.Split(v, "&") {
		if p == "" {
			continue
		}
		if strings.Count(p, "=") > 1 {
			return nil, newTextError(s3err.TaggingHeaderInvalid)
		}
		rawKey, rawValue, _ := strings.Cut(p, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, newTextError(s3err.TaggingHeaderInvalid)
		}
		pairs = append(pairs, tagPair{key, value})
	}
	return checkTags(pairs, objectTags, true)
}

// checkTags applies AWS's limits to a tag set and returns it as a map (nil
// when empty). fromHeader: a duplicate key is the header's InvalidArgument
// rather than InvalidTag.
func checkTags(pairs []tagPair, kind tagKind, fromHeader bool) (map[string]string, error) {
	switch {
	case kind == objectTags && len(pairs) > maxObjectTags:
		return nil, newTextError(s3err.ObjectTagsTooMany)
	case kind == bucketTags && len(pairs) > maxBucketTags:
		return nil, newTextError(s3err.BucketTagsTooMany)
	case len(pairs) == 0:
		return nil, nil
	}
	tags := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if !validTagText(p.key, 1, maxTagKeyLen) {
			return nil, newTextError(s3err.TagKeyInvalid)
		}
		if !validTagText(p.value, 0, maxTagValueLen) {
			return nil, newTextError(s3err.TagValueInvalid)
		}
		if _, dup := tags[p.key]; dup {
			if fromHeader {
				return nil, newTextError(s3err.TaggingHeaderInvalid)
			}
			return nil, newTextError(s3err.TagKeyDuplicate)
		}
		if strings.HasPrefix(p.key, "aws:") {
			if kind == bucketTags {
				return nil, newTextError(s3err.BucketTagKeyReserved)
			}
			return nil, newTextError(s3err.ObjectTagKeyReserved)
		}
		tags[p.key] = p.value
	}
	return tags, nil
}

// validTagText reports whether s is min to max UTF-16 code units long and
// holds only the characters a tag may: Unicode letters, numbers and
// spaces, and _ . : / = + - @ (IAM API_Tag pattern
// [\p{L}\p{Z}\p{N}_.:/=+\-@]*; S3 User Guide, "Categorizing your storage
// using tags").
func validTagText(s string, min, max int) bool {
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.In(r, unicode.Z), unicode.IsNumber(r), strings.ContainsRune("_.:/=+-@", r):
		default:
			return false // invalid UTF-8 decodes to U+FFFD, a symbol
		}
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n >= min && n <= max
}

// readTagging reads the request's Tagging document. Both Put operations
// need an integrity header (PutBucketTagging: "Content-MD5 ... required";
// botocore marks PutObjectTagging and PutBucketTagging
// requestChecksumRequired): their rows say so (operation.integrity).
func readTagging(req *request, kind tagKind) (map[string]string, error) {
	body, err := readBody(req, maxTaggingBody, "Tagging")
	if err != nil {
		return nil, err
	}
	return parseTaggingXML(body, kind)
}

// requestTags is the tag set a request asks for, read once (the policy
// may read it before the operation does): PutObjectTagging's document,
// a form upload's tagging field (an XML Tagging document: "POST Object",
// Amazon S3 API Reference, form fields), or x-amz-tagging.
func (req *request) requestTags() (map[string]string, error) {
	if req.tags == nil {
		t := &parsedTags{}
		switch {
		case req.op.name == OpPutObjectTagging:
			t.tags, t.err = readTagging(req, objectTags)
		case req.form != nil:
			if v := req.form.Fields["tagging"]; v != "" {
				t.tags, t.err = parseTaggingXML([]byte(v), objectTags)
			}
		default:
			t.tags, t.err = parseTaggingHeader(taggingHeader(req))
		}
		req.tags = t
	}
	return req.tags.tags, req.tags.err
}

// parsedTags memoizes requestTags.
type parsedTags struct {
	tags map[string]string
	err  error
}

// stampTags sets the tags a write asks for on the new object's metadata
// (PutObject, POST, CreateMultipartUpload: the upload keeps them until
// Complete).
func stampTags(req *request, m *fsstore.ObjectMeta) error {
	tags, err := req.requestTags()
	m.Tags = tags
	return err
}

// copyTags sets a copy's tags: the source's (x-amz-tagging-directive COPY,
// the default), or x-amz-tagging's (REPLACE) (API_CopyObject).
func copyTags(req *request, m *fsstore.ObjectMeta, source map[string]string) error {
	switch d := req.r.Header.Get("X-Amz-Tagging-Directive"); d {
	case "", "COPY":
		m.Tags = source
		return nil
	case "REPLACE":
		return stampTags(req, m)
	default:
		return newTextError(s3err.TaggingDirectiveInvalid).withArgument("x-amz-tagging-directive", d)
	}
}

// setTaggingCount adds x-amz-tagging-count to GetObject and HeadObject
// when the object has tags ("The number of tags, if any, on the object";
// API_GetObject, API_HeadObject).
func setTaggingCount(hdr http.Header, m fsstore.ObjectMeta) {
	if n := len(m.Tags); n > 0 {
		hdr.Set("X-Amz-Tagging-Count", strconv.Itoa(n))
	}
}

// objectTagsAnswer is an object tagging operation's answer: the version
// it acted on in x-amz-version-id (API_GetObjectTagging,
// API_PutObjectTagging, API_DeleteObjectTagging "Response Syntax").
func objectTagsAnswer(req *request, resp *response) (*response, error) {
	if v := versionHeader(req.bucket, req.object.Meta); v != "" {
		resp.setHeader("X-Amz-Version-Id", v)
	}
	return resp, nil
}

func (h *Handler) getObjectTagging(req *request) (*response, error) {
	return objectTagsAnswer(req, &response{xml: taggingXML(req.object.Meta.Tags)})
}

// putObjectTagging replaces the tag set of the object or of the version
// named; an empty TagSet removes it ("If you send this request with an
// empty tag set, Amazon S3 deletes the existing tag set on the object").
func (h *Handler) putObjectTagging(req *request) (*response, error) {
	tags, err := req.requestTags()
	if err != nil {
		return nil, err
	}
	if err := h.setObjectTags(req, tags); err != nil {
		return nil, err
	}
	return objectTagsAnswer(req, &response{})
}

// deleteObjectTagging removes the tag set: 204 (API_DeleteObjectTagging).
func (h *Handler) deleteObjectTagging(req *request) (*response, error) {
	if err := h.setObjectTags(req, nil); err != nil {
		return nil, err
	}
	return objectTagsAnswer(req, &response{status: http.StatusNoContent})
}

// setObjectTags changes the version the request named, or the current
// one.
func (h *Handler) setObjectTags(req *request, tags map[string]string) error {
	version, _ := req.versionID()
	return h.store.SetObjectTags(req.ctx, req.t.bucket, req.t.key, version, tags)
}

// getBucketTagging answers the bucket's tag set, NoSuchTagSet when it has
// none (ceph s3-tests test_set_bucket_tagging; ErrorResponses).
func (h *Handler) getBucketTagging(req *request) (*response, error) {
	if len(req.bucket.Tags) == 0 {
		return nil, newError(s3err.NoSuchTagSet)
	}
	var tags map[string]string
	if err := json.Unmarshal(req.bucket.Tags, &tags); err != nil {
		return nil, err
	}
	return xmlResponse(taggingXML(tags))
}

// putBucketTagging replaces the bucket's tag set ("it will overwrite any
// current tags"); an empty TagSet leaves none. S3 answers 204 (the
// sample response of API_PutBucketTagging).
func (h *Handler) putBucketTagging(req *request) (*response, error) {
	tags, err := readTagging(req, bucketTags)
	if err != nil {
		return nil, err
	}
	var doc []byte
	if len(tags) > 0 {
		if doc, err = json.Marshal(tags); err != nil {
			return nil, err
		}
	}
	if err := h.store.SetBucketDoc(req.ctx, req.t.bucket, fsstore.BucketTagging, doc); err != nil {
		return nil, err
	}
	return noContent()
}

// deleteBucketTagging removes the bucket's tag set: 204.
func (h *Handler) deleteBucketTagging(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketTagging)
}

// tagConditions adds the tag condition keys of a bucket policy
// ("Condition keys for Amazon S3", Service Authorization Reference):
// s3:ExistingObjectTag/<key> from the object the request acts on (read or
// opened before it is authorized), s3:RequestObjectTag/<key> and the
// multivalued s3:RequestObjectTagKeys from the tags the request asks for.
// Condition key names are case-insensitive, so the tag key is lower-cased
// as the policy's key is.
func tagConditions(req *request, bucket, key string, ctx map[string]string, multi map[string][]string) {
	var existing *fsstore.Object
	switch {
	case req.source != nil && req.src.bucket == bucket && req.src.key == key:
		existing = req.source
	case req.object != nil:
		existing = req.object
	}
	if existing != nil {
		for k, v := range existing.Meta.Tags {
			ctx["s3:existingobjecttag/"+strings.ToLower(k)] = v
		}
	}
	if !asksForTags(req) {
		return
	}
	tags, err := req.requestTags()
	if err != nil {
		return // the operation answers the error
	}
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		ctx["s3:requestobjecttag/"+strings.ToLower(k)] = v
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		multi["s3:requestobjecttagkeys"] = keys
	}
}

// asksForTags reports whether the request carries a tag set of its own.
func asksForTags(req *request) bool {
	switch req.op.name {
	case OpPutObjectTagging:
		return true
	case OpPostObject:
		return req.form != nil && req.form.Fields["tagging"] != ""
	case OpPutObject, OpCreateMultipartUpload:
		return taggingHeader(req) != ""
	case OpCopyObject:
		return req.r.Header.Get("X-Amz-Tagging-Directive") == "REPLACE" && taggingHeader(req) != ""
	}
	return false
}

// taggingHeader is x-amz-tagging: the header, or in a presigned URL the
// query parameter SDK presigners move it to (S3 applies it there:
// x-amz-tagging=a%3Db%26c%3Dd set a=b and c=d, observed 2026-08).
func taggingHeader(req *request) string {
	if v := req.r.Header.Get("X-Amz-Tagging"); v != "" || !req.presigned() {
		return v
	}
	return queryValueFold(req.query, "X-Amz-Tagging")
}
