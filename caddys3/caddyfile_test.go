package caddys3

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

// TestCaddyfileAdapt adapts each testdata/*.caddyfiletest (a Caddyfile, a
// line "----------", the expected JSON) and compares.
func TestCaddyfileAdapt(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.caddyfiletest")
	if len(files) == 0 {
		t.Fatal("no testdata/*.caddyfiletest")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, want, ok := strings.Cut(string(raw), "\n----------\n")
		if !ok {
			t.Fatalf("%s: no separator", f)
		}
		adapter := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}
		got, warnings, err := adapter.Adapt([]byte(in+"\n"), nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: warnings %v", f, warnings)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatalf("%s: expected JSON: %v", f, err)
		}
		gj, _ := json.MarshalIndent(g, "", "\t")
		wj, _ := json.MarshalIndent(w, "", "\t")
		if string(gj) != string(wj) {
			t.Errorf("%s: adapted JSON differs:\n%s", f, gj)
		}
	}
}

func TestCaddyfileErrors(t *testing.T) {
	bad := []string{
		"s3 extra {\n root /x\n}",
		"s3 {\n bogus 1\n}",
		"s3 {\n root\n}",
		"s3 {\n root /a /b\n}",
		"s3 {\n credentials ldap\n}",
		"s3 {\n credentials static {\n key onlyid\n }\n}",
		"s3 {\n credentials static {\n key a b c d\n }\n}",
		"s3 {\n credentials static {\n user a b\n }\n}",
		"s3 {\n max_object_size lots\n}",
		"s3 {\n abort_incomplete_after soon\n}",
	}
	for _, src := range bad {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src)); err == nil {
			t.Errorf("%q: accepted", src)
		}
	}
	var h Handler
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`s3 {
		root /data
		max_object_size 1GiB
		domain s3.example.com s3.local
		fsync always
		abort_incomplete_after 48h
		copy_file_range off
		stale_temp_age 90s
		credentials static {
			key AK1 {env.S1}
			key AK2 secret2 bob
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.Root != "/data" || h.MaxObjectSize != 1<<30 || len(h.Domains) != 2 || h.Fsync != "always" ||
		time.Duration(h.AbortIncompleteAfter) != 48*time.Hour || h.CopyFileRange != "off" ||
		time.Duration(h.StaleTempAge) != 90*time.Second ||
		string(h.CredentialsRaw["static"]) != `[{"access_key_id":"AK1","secret":"{env.S1}"},{"access_key_id":"AK2","secret":"secret2","owner":"bob"}]` {
		t.Errorf("parsed %+v, credentials %s", &h, h.CredentialsRaw["static"])
	}
}
