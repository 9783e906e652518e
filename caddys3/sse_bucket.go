package caddys3

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// Bucket default encryption: PUT, GET, DELETE ?encryption.
const (
	OpGetBucketEncryption    Op = "GetBucketEncryption"
	OpPutBucketEncryption    Op = "PutBucketEncryption"
	OpDeleteBucketEncryption Op = "DeleteBucketEncryption"
)

// sseBucketRows are the rows of the operations table (ops.go). IAM has
// no Delete action: s3:PutEncryptionConfiguration covers it (Service
// Authorization Reference, "Actions defined by Amazon S3").
func sseBucketRows() []*operation {
	get, put, del, bkt := http.MethodGet, http.MethodPut, http.MethodDelete, levelBucket
	return []*operation{
		{name: OpGetBucketEncryption, match: match{level: bkt, method: get, sub: "encryption"}, rule: rule{"s3:GetEncryptionConfiguration", ""}, scope: scopeBucket, serve: (*Handler).getBucketEncryption},
		{name: OpPutBucketEncryption, match: match{level: bkt, method: put, sub: "encryption"}, rule: rule{"s3:PutEncryptionConfiguration", ""}, scope: scopeBucket, writes: true, serve: (*Handler).putBucketEncryption},
		{name: OpDeleteBucketEncryption, match: match{level: bkt, method: del, sub: "encryption"}, rule: rule{"s3:PutEncryptionConfiguration", ""}, scope: scopeBucket, writes: true, serve: (*Handler).deleteBucketEncryption},
	}
}

// bucketDefault is a bucket's default encryption as kept in its record.
type bucketDefault struct {
	Algorithm string `json:"a"`
	KMSKeyID  string `json:"k,omitempty"`
	BucketKey bool   `json:"bk,omitempty"`
}

// sseConfigXML is ServerSideEncryptionConfiguration (PutBucketEncryption,
// "Request Syntax").
type sseConfigXML struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default          *sseByDefault `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled bool          `xml:"BucketKeyEnabled"`
}

type sseByDefault struct {
	SSEAlgorithm   string `xml:"SSEAlgorithm"`
	KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
}

// bucketEncryption is the bucket's default encryption, nil when none.
func bucketEncryption(b *fsstore.BucketInfo) (*bucketDefault, error) {
	if b == nil || len(b.Encryption) == 0 {
		return nil, nil
	}
	var d bucketDefault
	if err := json.Unmarshal(b.Encryption, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func (h *Handler) getBucketEncryption(req *request) (*response, error) {
	d, err := bucketEncryption(req.bucket)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, newError(s3err.ServerSideEncryptionConfigurationNotFoundError)
	}
	return xmlResponse(sseConfigXML{Xmlns: s3Namespace, Rules: []sseRule{{
		Default:          &sseByDefault{SSEAlgorithm: d.Algorithm, KMSMasterKeyID: d.KMSKeyID},
		BucketKeyEnabled: d.BucketKey,
	}}})
}

// putBucketEncryption validates as S3 does (MalformedXML for anything but
// one rule with a known algorithm; moto's aws-verified checks), then
// refuses what this server cannot honour: a default it could not apply
// to every new object would store plaintext where the owner asked for
// encryption.
func (h *Handler) putBucketEncryption(req *request) (*response, error) {
	body, err := readBody(req, maxConfigBody, "ServerSideEncryptionConfiguration")
	if err != nil {
		return nil, err
	}
	var doc sseConfigXML
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&doc); err != nil {
		return nil, newError(s3err.MalformedXML).withCause(err)
	}
	if len(doc.Rules) != 1 || doc.Rules[0].Default == nil {
		return nil, newError(s3err.MalformedXML)
	}
	r := doc.Rules[0]
	d := bucketDefault{Algorithm: r.Default.SSEAlgorithm, KMSKeyID: r.Default.KMSMasterKeyID, BucketKey: r.BucketKeyEnabled}
	switch d.Algorithm {
	case sseS3:
		if d.KMSKeyID != "" {
			return nil, newTextError(s3err.SSEKMSKeyNotApplicable).with("ArgumentName", "ApplyServerSideEncryptionByDefault")
		}
	case sseKMS, sseDSSE:
		return nil, newTextError(s3err.SSEKMSNotImplemented)
	default:
		return nil, newError(s3err.MalformedXML)
	}
	if h.keys == nil {
		return nil, newTextError(s3err.SSENoMasterKey)
	}
	enc, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return h.setBucketDoc(req, fsstore.BucketEncryption, enc)
}

func (h *Handler) deleteBucketEncryption(req *request) (*response, error) {
	return h.removeBucketDoc(req, fsstore.BucketEncryption)
}
