package auth

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// MinIO's admin clients sign with the empty region in the scope
// ("AK/yyyymmdd//s3/aws4_request"): VerifyEmptyRegion takes it (and the
// configured region), Verify, which serves S3, does not; nothing else
// about the signature is relaxed.
func TestEmptyRegionOnlyForTheAdminAPI(t *testing.T) {
	v := newTestVerifier(exampleTime())
	body := []byte(`{"quotatype":"hard","quota":1}`)
	url := "http://127.0.0.1:9000/minio/admin/v3/set-bucket-quota?bucket=b1"
	sign := func(region string) *http.Request {
		return sdkSign(t, http.MethodPut, url, body, sha256Hex(body), region, exampleTime())
	}
	empty := sign("")
	if a := empty.Header.Get("Authorization"); !strings.Contains(a, "/20130524//s3/aws4_request") {
		t.Fatalf("not signed with the empty region: %s", a)
	}
	res, got, err := verifyAdminAndRead(v, empty)
	if err != nil || string(got) != string(body) || res.Principal.AccessKeyID != exampleAK {
		t.Fatalf("admin, empty region: %v %q", err, got)
	}
	if _, _, err := verifyAndRead(v, sign("")); !errors.Is(err, ErrAuthorizationHeaderMalformed) {
		t.Fatalf("S3, empty region: %v, want AuthorizationHeaderMalformed", err)
	}
	if _, _, err := verifyAdminAndRead(v, sign("us-east-1")); err != nil {
		t.Fatalf("admin, configured region: %v", err)
	}
	if _, _, err := verifyAdminAndRead(v, sign("eu-west-1")); !errors.Is(err, ErrAuthorizationHeaderMalformed) {
		t.Fatalf("admin, another region: %v", err)
	}
	// The signature still covers everything: another secret, a changed
	// query, a body that is not the signed one.
	tampered := sign("")
	tampered.RequestURI = strings.Replace(tampered.RequestURI, "b1", "b2", 1)
	if _, _, err := verifyAdminAndRead(v, tampered); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("admin, changed query: %v", err)
	}
	other := sign("")
	other.Body = http.NoBody
	if _, _, err := verifyAdminAndRead(v, toServer(t, other, []byte(`{"quotatype":"hard","quota":2}`))); !errors.Is(err, ErrXAmzContentSHA256Mismatch) {
		t.Fatalf("admin, another body: %v", err)
	}
	// Presigned and anonymous requests are refused on the admin API.
	pre := sdkPresign(t, http.MethodGet, "http://127.0.0.1:9000/minio/admin/v3/info", 60, "", exampleTime())
	if _, err := v.VerifyEmptyRegion(t.Context(), pre); err == nil {
		t.Fatal("admin, presigned: accepted")
	}
	anon := serverRequest(http.MethodGet, "127.0.0.1:9000", "/minio/admin/v3/info", hdr(), nil)
	if _, err := v.VerifyEmptyRegion(t.Context(), anon); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("admin, anonymous: %v", err)
	}
}

func verifyAdminAndRead(v *Verifier, r *http.Request) (*Result, []byte, error) {
	res, err := v.VerifyEmptyRegion(r.Context(), r)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}
