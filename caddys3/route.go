package caddys3

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Op names an S3 operation; it appears in logs and metrics.
type Op string

// Operations the router knows. Anything else is answered NotImplemented or
// MethodNotAllowed.
const (
	OpListBuckets         Op = "ListBuckets"
	OpCreateBucket        Op = "CreateBucket"
	OpHeadBucket          Op = "HeadBucket"
	OpDeleteBucket        Op = "DeleteBucket"
	OpGetBucketLocation   Op = "GetBucketLocation"
	OpGetBucketVersioning Op = "GetBucketVersioning"
	OpListObjects         Op = "ListObjects"
	OpListObjectsV2       Op = "ListObjectsV2"
	OpPutObject           Op = "PutObject"
	OpGetObject           Op = "GetObject"
	OpHeadObject          Op = "HeadObject"
	OpDeleteObject        Op = "DeleteObject"
	OpDeleteObjects       Op = "DeleteObjects"
	OpCopyObject          Op = "CopyObject"
	OpPostObject          Op = "PostObject"

	OpCreateMultipartUpload   Op = "CreateMultipartUpload"
	OpUploadPart              Op = "UploadPart"
	OpUploadPartCopy          Op = "UploadPartCopy"
	OpCompleteMultipartUpload Op = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Op = "AbortMultipartUpload"
	OpListParts               Op = "ListParts"
	OpListMultipartUploads    Op = "ListMultipartUploads"

	OpGetBucketACL       Op = "GetBucketAcl"
	OpPutBucketACL       Op = "PutBucketAcl"
	OpGetObjectACL       Op = "GetObjectAcl"
	OpPutObjectACL       Op = "PutObjectAcl"
	OpGetObjectTagging   Op = "GetObjectTagging"
	OpGetBucketPolicy    Op = "GetBucketPolicy"
	OpPutBucketPolicy    Op = "PutBucketPolicy"
	OpDeleteBucketPolicy Op = "DeleteBucketPolicy"
	OpGetBucketCORS      Op = "GetBucketCors"
	OpPutBucketCORS      Op = "PutBucketCors"
	OpDeleteBucketCORS   Op = "DeleteBucketCors"
	// OpPreflight is a CORS preflight (OPTIONS), answered from the
	// bucket's CORS rules without authentication.
	OpPreflight Op = "Preflight"

	OpNotImplemented   Op = "NotImplemented"
	OpMethodNotAllowed Op = "MethodNotAllowed"
)

// bucketSubresources are bucket-level query parameters that select an
// operation we do not implement yet: answering them with a listing or a
// create would be a wrong success.
var bucketSubresources = []string{
	"accelerate", "analytics", "encryption",
	"intelligent-tiering", "inventory", "lifecycle", "logging", "metadataTable",
	"metrics", "notification", "object-lock", "ownershipControls",
	"policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"tagging", "versioning", "versions", "website", "session",
}

// objectSubresources are object-level query parameters we do not implement.
var objectSubresources = []string{
	"attributes", "legal-hold", "restore", "retention",
	"select", "tagging", "torrent", "renameObject",
}

// classify picks the operation from the method, the presence of bucket and
// key, and the sub-resources in the query. Sub-resources decide before the
// method, so an unknown one never falls through to a plain PUT or GET.
func classify(method, bucket, key string, query url.Values, header http.Header) Op {
	if method == http.MethodOptions {
		return OpPreflight
	}
	switch {
	case bucket == "":
		if method == http.MethodGet {
			return OpListBuckets
		}
		return OpMethodNotAllowed
	case key == "":
		if _, ok := query["versioning"]; ok && method == http.MethodGet {
			return OpGetBucketVersioning // never enabled: answered, not 501
		}
		if _, ok := query["delete"]; ok {
			if method == http.MethodPost {
				return OpDeleteObjects
			}
			return OpMethodNotAllowed
		}
		if op, ok := classifyConfig(method, query, bucketConfigOps); ok {
			return op
		}
		for _, sub := range bucketSubresources {
			if _, ok := query[sub]; ok {
				return OpNotImplemented
			}
		}
		if _, ok := query["uploads"]; ok {
			if method == http.MethodGet {
				return OpListMultipartUploads
			}
			return OpMethodNotAllowed
		}
		if _, ok := query["location"]; ok {
			if method == http.MethodGet {
				return OpGetBucketLocation
			}
			return OpMethodNotAllowed
		}
		switch method {
		case http.MethodGet:
			if query.Get("list-type") == "2" {
				return OpListObjectsV2
			}
			return OpListObjects
		case http.MethodPut:
			return OpCreateBucket
		case http.MethodHead:
			return OpHeadBucket
		case http.MethodDelete:
			return OpDeleteBucket
		case http.MethodPost:
			if strings.HasPrefix(strings.ToLower(header.Get("Content-Type")), "multipart/form-data") {
				return OpPostObject
			}
			return OpNotImplemented
		}
		return OpMethodNotAllowed
	default:
		if op, ok := classifyConfig(method, query, objectConfigOps); ok {
			return op
		}
		if _, ok := query["tagging"]; ok && method == http.MethodGet {
			// Tags are not stored, so every object has an empty tag set;
			// aws-cli v2 reads it before every multipart copy.
			return OpGetObjectTagging
		}
		for _, sub := range objectSubresources {
			if _, ok := query[sub]; ok {
				return OpNotImplemented
			}
		}
		if v, ok := query["versionId"]; ok && (len(v) != 1 || v[0] != "null") {
			return OpNotImplemented // no versioning: only the "null" version exists
		}
		if op, ok := classifyMultipart(method, query, header); ok {
			return op
		}
		switch method {
		case http.MethodGet:
			return OpGetObject
		case http.MethodHead:
			return OpHeadObject
		case http.MethodPut:
			if header.Get("X-Amz-Copy-Source") != "" {
				return OpCopyObject
			}
			return OpPutObject
		case http.MethodDelete:
			return OpDeleteObject
		}
		return OpMethodNotAllowed
	}
}

// bucketConfigOps and objectConfigOps map a configuration sub-resource and
// method to its operation.
var (
	bucketConfigOps = map[string]map[string]Op{
		"acl":    {http.MethodGet: OpGetBucketACL, http.MethodPut: OpPutBucketACL},
		"policy": {http.MethodGet: OpGetBucketPolicy, http.MethodPut: OpPutBucketPolicy, http.MethodDelete: OpDeleteBucketPolicy},
		"cors":   {http.MethodGet: OpGetBucketCORS, http.MethodPut: OpPutBucketCORS, http.MethodDelete: OpDeleteBucketCORS},
	}
	objectConfigOps = map[string]map[string]Op{
		"acl": {http.MethodGet: OpGetObjectACL, http.MethodPut: OpPutObjectACL},
	}
)

func classifyConfig(method string, query url.Values, ops map[string]map[string]Op) (Op, bool) {
	for sub, byMethod := range ops {
		if _, ok := query[sub]; ok {
			if op, ok := byMethod[method]; ok {
				return op, true
			}
			return OpMethodNotAllowed, true
		}
	}
	return "", false
}

// classifyMultipart picks the multipart operations, which the uploads,
// uploadId and partNumber sub-resources select on an object.
func classifyMultipart(method string, query url.Values, header http.Header) (Op, bool) {
	_, uploads := query["uploads"]
	_, uploadID := query["uploadId"]
	_, partNumber := query["partNumber"]
	switch {
	case uploads:
		if method == http.MethodPost {
			return OpCreateMultipartUpload, true
		}
		return OpMethodNotAllowed, true
	case uploadID:
		switch method {
		case http.MethodPut:
			if !partNumber {
				return OpMethodNotAllowed, true
			}
			if header.Get("X-Amz-Copy-Source") != "" {
				return OpUploadPartCopy, true
			}
			return OpUploadPart, true
		case http.MethodPost:
			return OpCompleteMultipartUpload, true
		case http.MethodDelete:
			return OpAbortMultipartUpload, true
		case http.MethodGet:
			return OpListParts, true
		}
		return OpMethodNotAllowed, true
	case partNumber:
		return OpNotImplemented, true // GetObject/HeadObject of one part
	}
	return "", false
}

// splitPath returns bucket and key of a path-style request path (already
// percent-decoded). The key is everything after "/bucket/", kept byte for
// byte: S3 keys may contain "//", "./" and "..".
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// bucketFromHost returns the bucket named by a virtual-hosted-style Host
// header (bucket.<domain>), or "" for a path-style request.
func (h *Handler) bucketFromHost(host string) string {
	if len(h.Domains) == 0 {
		return ""
	}
	if hst, _, err := net.SplitHostPort(host); err == nil {
		host = hst
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range h.Domains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b
		}
	}
	return ""
}

// target is what a request addresses.
type target struct {
	bucket, key string
}

// resolveTarget finds bucket and key for the routed request: from the Host
// header for virtual-hosted style, else from the path.
func (h *Handler) resolveTarget(r *http.Request) target {
	if b := h.bucketFromHost(r.Host); b != "" {
		return target{bucket: b, key: strings.TrimPrefix(r.URL.Path, "/")}
	}
	b, k := splitPath(r.URL.Path)
	return target{bucket: b, key: k}
}
