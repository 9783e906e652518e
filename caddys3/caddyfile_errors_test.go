package caddys3

import (
	"fmt"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// TestCaddyfileErrorsNameLineAndValue: every subdirective's bad values are
// refused while the Caddyfile is read, with the file and line of the bad
// token and the value (or, for a wrong argument count, the subdirective)
// in the message.
func TestCaddyfileErrorsNameLineAndValue(t *testing.T) {
	for _, c := range []struct {
		body string // the lines inside s3 { }; the bad one is line want.line
		line int
		want string
	}{
		{"bogus 1", 2, `"bogus"`},
		{"root", 2, "root"},
		{"root /a /b", 2, "/a"},
		{"root /a\n root /b", 3, "root is given twice"},
		{"region", 2, "region"},
		{"max_object_size lots", 2, `max_object_size "lots" is not a size`},
		{"max_object_size 0", 2, `"0"`},
		{"max_object_size 99999999EiB", 2, `"99999999EiB"`},
		{"max_object_size 1GiB\n max_object_size 2GiB", 3, "max_object_size is given twice"},
		{"fsync sometimes", 2, `fsync must be always or never, not "sometimes"`},
		{"fsync", 2, "fsync"},
		{"copy_file_range maybe", 2, `copy_file_range must be on or off, not "maybe"`},
		{"abort_incomplete_after soon", 2, `abort_incomplete_after "soon" is not a duration`},
		{"abort_incomplete_after -1h", 2, `"-1h"`},
		{"stale_temp_age later", 2, `stale_temp_age "later"`},
		{"log_keys yes", 2, `"yes"`},
		{"health_live healthz", 2, `health_live "healthz"`},
		{"health_ready /ready?x=1", 2, `health_ready "/ready?x=1"`},
		{"domain", 2, "domain"},
		{"admin_accounts", 2, "admin_accounts"},
		{"reserved_buckets", 2, "reserved_buckets"},
		{"admin_api_keys", 2, "admin_api_keys"},
		{"cors_origins ftp://x.example", 2, `"ftp://x.example"`},
		{"cors_origins * https://a.example", 2, `"*"`},
		{"credentials", 2, "credentials"},
		{"credentials ldap", 2, `"ldap"`},
		{"credentials static {\n key onlyid\n }", 3, "got 1 arguments"},
		{"credentials static {\n user a b\n }", 3, `"user"`},
		{"credentials static {\n key AK1 s1\n key AK1 s2\n }", 4, "access key AK1 is listed twice"},
		{"credentials static {\n key AK1 s1\n }\n credentials static {\n key AK1 s2\n }", 6, "access key AK1 is listed twice"},
		{"credentials cloudstack {\n bogus x\n }", 3, `"bogus"`},
		{"credentials cloudstack {\n dsn x\n cache_ttl soon\n }", 4, `"soon"`},
		{"credentials cloudstack {\n dsn x\n db_properties /y\n }", 5, "alternatives"},
	} {
		src := "s3 {\n " + c.body + "\n}"
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src))
		if err == nil {
			t.Errorf("%q: accepted", c.body)
			continue
		}
		if at := fmt.Sprintf(", at Testfile:%d", c.line); !strings.HasSuffix(err.Error(), at) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want %q and %q in it", c.body, err, at, c.want)
		}
	}
}
