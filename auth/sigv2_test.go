package auth

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// bucketFromS3Host treats "<bucket>.s3.amazonaws.com" and, for the CNAME
// example, any other host as virtual-hosted.
func bucketFromS3Host(host string) string {
	if host == "s3.amazonaws.com" {
		return ""
	}
	if b, ok := strings.CutSuffix(host, ".s3.amazonaws.com"); ok {
		return b
	}
	h, _, _ := strings.Cut(host, ":")
	return h
}

// The examples of AWS's "Signing and Authenticating REST Requests" (SigV2).
func TestAWSSigV2Examples(t *testing.T) {
	cases := []struct {
		name, method, host, uri, date string
		header                        []string
		body                          []byte
	}{
		{"ObjectGET", "GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg", "Tue, 27 Mar 2007 19:36:42 +0000",
			[]string{"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}, nil},
		{"ObjectPUT", "PUT", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg", "Tue, 27 Mar 2007 21:15:45 +0000",
			[]string{"Content-Type", "image/jpeg", "Authorization", "AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg="}, bytes.Repeat([]byte{1}, 94328)},
		{"List", "GET", "johnsmith.s3.amazonaws.com", "/?prefix=photos&max-keys=50&marker=puppy", "Tue, 27 Mar 2007 19:42:41 +0000",
			[]string{"User-Agent", "Mozilla/5.0", "Authorization", "AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U="}, nil},
		{"FetchACL", "GET", "johnsmith.s3.amazonaws.com", "/?acl", "Tue, 27 Mar 2007 19:44:46 +0000",
			[]string{"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM="}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := parseHTTPDate(c.date)
			v := newTestVerifier(d.Add(time.Minute))
			v.V2BucketFromHost = bucketFromS3Host
			r := serverRequest(c.method, c.host, c.uri, hdr(append(c.header, "Date", c.date)...), c.body)
			res, got, err := verifyAndRead(v, r)
			if err != nil {
				t.Fatal(err)
			}
			if res.Principal.Method != "v2-header" || len(got) != len(c.body) {
				t.Fatalf("method %s, %d bytes", res.Principal.Method, len(got))
			}
			// Path style: the same signature over /johnsmith/... works
			// without the host hook.
			if !strings.HasPrefix(c.uri, "/?") {
				v.V2BucketFromHost = nil
				r = serverRequest(c.method, "s3.amazonaws.com", "/johnsmith"+c.uri, hdr(append(c.header, "Date", c.date)...), c.body)
				if _, _, err := verifyAndRead(v, r); err != nil {
					t.Fatalf("path style: %v", err)
				}
			}
			// Skew.
			v = newTestVerifier(d.Add(time.Hour))
			v.V2BucketFromHost = bucketFromS3Host
			_, err = v.Verify(t.Context(), serverRequest(c.method, c.host, c.uri, hdr(append(c.header, "Date", c.date)...), c.body))
			mustErrIs(t, err, ErrRequestTimeTooSkewed)
		})
	}
}

// The "Upload" example: CNAME bucket, amz headers with repeated names,
// Content-MD5. Its body is not the documented file, so the signature holds
// and the digest fails at EOF.
func TestAWSSigV2UploadExample(t *testing.T) {
	date := "Tue, 27 Mar 2007 21:06:08 +0000"
	d, _ := parseHTTPDate(date)
	v := newTestVerifier(d)
	v.V2BucketFromHost = bucketFromS3Host
	r := serverRequest("PUT", "static.johnsmith.net:8080", "/db-backup.dat.gz", hdr(
		"User-Agent", "curl/7.15.5", "Date", date, "X-Amz-Acl", "public-read", "Content-Type", "application/x-download",
		"Content-Md5", "4gJE4saaMU4BqNR0kLY+lw==", "X-Amz-Meta-Reviewedby", "joe@johnsmith.net", "X-Amz-Meta-Reviewedby", "jane@johnsmith.net",
		"X-Amz-Meta-Filechecksum", "0x02661779", "X-Amz-Meta-Checksumalgorithm", "crc32",
		"Content-Disposition", "attachment; filename=database.dat", "Content-Encoding", "gzip",
		"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc="), []byte("not the file"))
	_, _, err := verifyAndRead(v, r)
	mustErrIs(t, err, ErrBadDigest)
}

// The query-string example of the same page.
func TestAWSSigV2QueryExample(t *testing.T) {
	uri := "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
	v := newTestVerifier(time.Unix(1175139620-60, 0))
	v.V2BucketFromHost = bucketFromS3Host
	res, _, err := verifyAndRead(v, serverRequest("GET", "johnsmith.s3.amazonaws.com", uri, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Principal.Method != "v2-presigned" {
		t.Fatal(res.Principal.Method)
	}
	// An unescaped '+' in the signature still works.
	plus := strings.Replace(uri, "%2B", "+", 1)
	if _, err := v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", plus, nil, nil)); err != nil {
		t.Fatal(err)
	}
	v.Now = func() time.Time { return time.Unix(1175139621, 0) }
	_, err = v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", uri, nil, nil))
	mustErrIs(t, err, ErrExpiredRequest)
	v.Now = func() time.Time { return time.Unix(1175139620-60, 0) }
	_, err = v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", "/photos/kitten.jpg?"+strings.SplitN(uri, "?", 2)[1], nil, nil))
	mustErrIs(t, err, ErrSignatureDoesNotMatch)
	_, err = v.Verify(t.Context(), serverRequest("GET", "johnsmith.s3.amazonaws.com", "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x", nil, nil))
	mustErrIs(t, err, ErrAccessDenied)
}

func TestSigV2StringToSign(t *testing.T) {
	v := &Verifier{}
	// Sub-resources sorted and decoded; other parameters left out; x-amz-date
	// empties the Date line; boto 2's x-amz-meta query parameters signed.
	r := serverRequest("GET", "h", "/b/k%20y?versionId=3%2B4&response-content-type=text%2Fplain&foo=bar&uploads&acl=&x-amz-meta-a=1", hdr(
		"X-Amz-Date", "Tue, 27 Mar 2007 21:20:26 +0000", "Date", "ignored", "Content-Type", "t"), nil)
	q := parseQuery(rawQuery(r))
	got := v.stringToSignV2(r, q, "", true)
	want := "GET\n\nt\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-meta-a:1\n/b/k%20y?acl=&response-content-type=text/plain&uploads&versionId=3+4"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestSigV2Malformed(t *testing.T) {
	v := newTestVerifier(time.Now())
	for _, a := range []string{"AWS ", "AWS AKIAIOSFODNN7EXAMPLE", "AWS :sig", "AWS AKIAIOSFODNN7EXAMPLE:"} {
		_, err := v.Verify(t.Context(), serverRequest("GET", "h", "/", hdr("Authorization", a, "Date", time.Now().Format(time.RFC1123)), nil))
		mustErrIs(t, err, ErrAuthorizationHeaderMalformed)
	}
	_, err := v.Verify(t.Context(), serverRequest("GET", "h", "/", hdr("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:x"), nil))
	mustErrIs(t, err, ErrAccessDenied)
	_, err = v.Verify(t.Context(), serverRequest("GET", "h", "/", hdr("Authorization", "AWS NOPE:x", "Date", time.Now().Format(time.RFC1123)), nil))
	mustErrIs(t, err, ErrInvalidAccessKeyID)
}

// A path-style request for a bucket alone verifies with the resource "/b"
// (AWS's rule) and "/b/" (botocore's authPath "/{Bucket}/"); a key's
// resource does not gain a slash, nor does a virtual-hosted one.
func TestSigV2BucketResourceSlash(t *testing.T) {
	now := time.Now().UTC()
	date := now.Format(time.RFC1123Z)
	cases := []struct {
		host, uri, resource string
		ok                  bool
	}{
		{"s3.amazonaws.com", "/b?acl", "/b?acl", true},
		{"s3.amazonaws.com", "/b?acl", "/b/?acl", true},
		{"s3.amazonaws.com", "/b", "/b/", true},
		{"s3.amazonaws.com", "/b/", "/b/", true},
		{"s3.amazonaws.com", "/b/", "/b", false},
		{"s3.amazonaws.com", "/b/k", "/b/k/", false},
		{"s3.amazonaws.com", "/", "//", false},
		{"b.s3.amazonaws.com", "/", "/b/", true},
		{"b.s3.amazonaws.com", "/", "/b//", false},
	}
	for _, c := range cases {
		v := newTestVerifier(now)
		v.V2BucketFromHost = bucketFromS3Host
		sig := base64HMACSHA1(exampleSecret, "GET\n\n\n"+date+"\n"+c.resource)
		_, err := v.Verify(t.Context(), serverRequest("GET", c.host, c.uri, hdr("Date", date, "Authorization", "AWS "+exampleAK+":"+sig), nil))
		if (err == nil) != c.ok {
			t.Errorf("%s %s signed as %s: err %v, want ok=%v", c.host, c.uri, c.resource, err, c.ok)
		}
	}
}
