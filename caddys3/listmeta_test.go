package caddys3

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/fsstore"
)

// TestListObjectsV2Metadata: metadata=true adds MinIO's <UserMetadata>
// element, in the shape minio-js 7.0.33's parser turns into
// {"X-Amz-Meta-Owner": "alice", "content-type": "text/plain"}.
func TestListObjectsV2Metadata(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt", nil), 200)
	mustStatus(t, serveSignedWith(t, h, "PUT", "/bkt/dir/a=b.txt", []byte("hello"), http.Header{
		"Content-Type": {"text/plain"}, "X-Amz-Meta-Owner": {"alice"}, "X-Amz-Meta-Uploaded-By": {"bucket-browser"},
	}), 200)
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt/plain.bin", []byte("x")), 200)

	rec := serveSigned(t, h, "GET", "/bkt?list-type=2&metadata=true&encoding-type=url&prefix=&delimiter=", nil)
	mustStatus(t, rec, 200)
	body := rec.Body.String()
	want := `<Key>dir/a%3Db.txt</Key>`
	if !strings.Contains(body, want) {
		t.Errorf("listing lacks %s: %s", want, body)
	}
	want = `<UserMetadata><X-Amz-Meta-Owner>alice</X-Amz-Meta-Owner><X-Amz-Meta-Uploaded-By>bucket-browser</X-Amz-Meta-Uploaded-By><content-type>text/plain</content-type></UserMetadata>`
	if !strings.Contains(body, want) {
		t.Errorf("listing lacks %s: %s", want, body)
	}
	// Every <Contents> has one, even without user metadata.
	if n := strings.Count(body, "<UserMetadata>"); n != 2 {
		t.Errorf("%d <UserMetadata> elements, want 2: %s", n, body)
	}
	var doc struct{}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Errorf("not XML: %v", err)
	}

	for _, q := range []string{"list-type=2", "list-type=2&metadata=false", "metadata=true"} {
		rec = serveSigned(t, h, "GET", "/bkt?"+q, nil)
		mustStatus(t, rec, 200)
		if strings.Contains(rec.Body.String(), "UserMetadata") {
			t.Errorf("%s: UserMetadata without metadata=true on ListObjectsV2: %s", q, rec.Body)
		}
	}
}

// TestListObjectsV2MetadataNeedsRead: a requester who may list but not
// read the objects gets the listing without their metadata.
func TestListObjectsV2MetadataNeedsRead(t *testing.T) {
	h := provisionServeTestHandler(t, nil)
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt", nil), 200)
	mustStatus(t, serveSignedWith(t, h, "PUT", "/bkt/k", []byte("v"), http.Header{"X-Amz-Meta-Secret": {"s"}}), 200)
	policy := func(actions string) []byte {
		return []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::bkt"]}` +
			actions + `]}`)
	}
	anonList := func() string {
		r := httptest.NewRequest("GET", "http://s3.test/bkt?list-type=2&metadata=true", nil)
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, r, nil)
		mustStatus(t, rec, 200)
		return rec.Body.String()
	}
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt?policy", policy("")), 204)
	if body := anonList(); !strings.Contains(body, "<Key>k</Key>") || strings.Contains(body, "UserMetadata") {
		t.Errorf("list-only requester: %s", body)
	}
	// CloudStack's Public policy: GetObject on the objects too.
	mustStatus(t, serveSigned(t, h, "PUT", "/bkt?policy",
		policy(`,{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::bkt/*"]}`)), 204)
	if body := anonList(); !strings.Contains(body, "<X-Amz-Meta-Secret>s</X-Amz-Meta-Secret>") {
		t.Errorf("public-read requester: %s", body)
	}
}

func TestListUserMetadataNames(t *testing.T) {
	u := listUserMetadata(fsstore.ObjectMeta{UserMeta: map[string]string{"ok": "1", "a#b": "2", "c|d": "3"}})
	if len(u.Fields) != 1 || u.Fields[0].XMLName.Local != "X-Amz-Meta-Ok" {
		t.Errorf("fields %+v, want only X-Amz-Meta-Ok", u.Fields)
	}
	for _, s := range []string{"X-Amz-Meta-Ok", "content-type", "_x", "a.b-c_1"} {
		if !xmlName(s) {
			t.Errorf("xmlName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "1a", "-a", "a#b", "a:b", "xmlfoo", "XML", "a b", "é"} {
		if xmlName(s) {
			t.Errorf("xmlName(%q) = true", s)
		}
	}
}
