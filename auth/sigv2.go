package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// v2SubResource reports whether a query parameter is part of the SigV2
// canonical resource: AWS's list ("Constructing the CanonicalizedResource
// element", Amazon S3 User Guide, RESTAuthentication) and the response-*
// overrides, plus the sub-resources botocore's HmacV1Auth.QSAOfInterest
// signs (accelerate, analytics, inventory, metrics, …), which S3 verifies.
func v2SubResource(name string) bool {
	switch name {
	case "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
		"lifecycle", "location", "logging", "metrics", "notification", "object-lock",
		"partNumber", "policy", "replication", "requestPayment", "restore", "select",
		"select-type", "storageClass", "tagging", "torrent", "uploadId",
		"uploads", "versionId", "versioning", "versions", "website",
		"response-cache-control", "response-content-disposition", "response-content-encoding",
		"response-content-language", "response-content-type", "response-expires":
		return true
	}
	return false
}

// verifyV2Header verifies "Authorization: AWS AK:base64(HMAC-SHA1)".
func (v *Verifier) verifyV2Header(ctx context.Context, r *http.Request, q []queryParam, authz string) (*Result, error) {
	rest := strings.TrimSpace(strings.TrimPrefix(authz, "AWS "))
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 || i == len(rest)-1 {
		return nil, malformedHeader("AWS authorization header is invalid. Expected AwsAccessKeyId:signature")
	}
	ak, sig := rest[:i], rest[i+1:]
	dateLine := r.Header.Get("Date")
	ds := dateLine
	if amz := r.Header.Get("X-Amz-Date"); amz != "" {
		ds, dateLine = amz, "" // x-amz-date is signed among the amz headers
	}
	t, err := parseHTTPDate(ds)
	if ds == "" || err != nil {
		return nil, errNoDate
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	return v.finishV2(ctx, r, q, ak, sig, dateLine, false, "v2-header")
}

// verifyV2Query verifies AWSAccessKeyId/Expires/Signature query auth.
func (v *Verifier) verifyV2Query(ctx context.Context, r *http.Request, q []queryParam) (*Result, error) {
	ak, _ := lookup(q, "AWSAccessKeyId")
	sig, _ := lookup(q, "Signature")
	expires, _ := lookup(q, "Expires")
	if ak == "" || sig == "" || expires == "" {
		return nil, fmt.Errorf("%w: Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters", ErrAccessDenied)
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid Expires", ErrAccessDenied)
	}
	if v.now().After(time.Unix(exp, 0)) {
		return nil, fmt.Errorf("%w: expired at %s", ErrExpiredRequest, time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	// A '+' left unescaped in the URL was decoded as a space.
	sig = strings.ReplaceAll(sig, " ", "+")
	return v.finishV2(ctx, r, q, ak, sig, expires, true, "v2-presigned")
}

func (v *Verifier) finishV2(ctx context.Context, r *http.Request, q []queryParam, ak, sig, dateLine string, query bool, method string) (*Result, error) {
	cred, err := v.Provider.Lookup(ctx, ak)
	if err != nil {
		return nil, err
	}
	sts, bucketOnly := v.v2StringToSign(r, q, dateLine, query, false)
	if !v2SignatureMatches(cred.Secret, sts, sig) {
		// A request for a bucket alone (path style "/b") is signed by
		// botocore with the resource "/b/", as S3 names a virtual-hosted
		// bucket (its authPath "/{Bucket}/"); S3 accepts both forms.
		alt := ""
		if bucketOnly {
			alt, _ = v.v2StringToSign(r, q, dateLine, query, true)
		}
		if alt == "" || !v2SignatureMatches(cred.Secret, alt, sig) {
			return nil, &SignatureMismatchError{StringToSign: sts, AccessKeyID: ak, SignatureProvided: sig}
		}
	}
	return newResult(r, q, "", plainPayload, nil, Principal{Credential: cred, Method: method})
}

// v2SignatureMatches reports whether sig is the base64 HMAC-SHA1 of sts.
func v2SignatureMatches(secret, sts, sig string) bool {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(sts))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// stringToSignV2 builds METHOD, Content-MD5, Content-Type, date line, the
// canonical x-amz-* headers and the canonical resource. Query auth also
// signs x-amz-* query parameters as headers (boto 2 puts metadata there).
func (v *Verifier) stringToSignV2(r *http.Request, q []queryParam, dateLine string, query bool) string {
	sts, _ := v.v2StringToSign(r, q, dateLine, query, false)
	return sts
}

// v2StringToSign is stringToSignV2; bucketOnly reports a path-style
// resource naming a bucket alone ("/b"), which slash signs as "/b/".
func (v *Verifier) v2StringToSign(r *http.Request, q []queryParam, dateLine string, query, slash bool) (sts string, bucketOnly bool) {
	amz := map[string][]string{}
	for name, vals := range r.Header {
		lname := strings.ToLower(name)
		if strings.HasPrefix(lname, "x-amz-") {
			for _, val := range vals {
				amz[lname] = append(amz[lname], strings.TrimSpace(val))
			}
		}
	}
	if query {
		for _, p := range q {
			if lname := strings.ToLower(p.name); strings.HasPrefix(lname, "x-amz-") {
				amz[lname] = append(amz[lname], strings.TrimSpace(p.value))
			}
		}
	}
	names := make([]string, 0, len(amz))
	for n := range amz {
		names = append(names, n)
	}
	sort.Strings(names)

	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(strings.TrimSpace(r.Header.Get("Content-Md5")) + "\n")
	b.WriteString(strings.TrimSpace(r.Header.Get("Content-Type")) + "\n")
	b.WriteString(dateLine + "\n")
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(amz[n], ",") + "\n")
	}
	path := rawPath(r)
	vhost := false
	if v.V2BucketFromHost != nil {
		if bucket := v.V2BucketFromHost(r.Host); bucket != "" {
			b.WriteString("/" + bucket)
			vhost = true
		}
	}
	b.WriteString(path)
	bucketOnly = !vhost && len(path) > 1 && strings.IndexByte(path[1:], '/') < 0
	if bucketOnly && slash {
		b.WriteByte('/')
	}
	var subs []queryParam
	for _, p := range q {
		if v2SubResource(p.name) {
			subs = append(subs, p)
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		if p.hasValue {
			// Clients unquote these values without turning '+' into space.
			val, err := url.PathUnescape(p.raw)
			if err != nil {
				val = p.raw
			}
			b.WriteString("=" + val)
		}
	}
	return b.String(), bucketOnly
}
