package s3err_test

import (
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/s3errtest"
	"github.com/caddys3/caddys3/s3err"
)

// Every Text var of every s3err/*.go file (texts.go and the texts_*.go of
// other work) is a known code's text, cites its source, and renders: its
// verbs take their arguments and Parse reads them back.
func TestEveryTextRenders(t *testing.T) {
	decls := s3errtest.Texts(t, ".")
	if len(decls) < 50 {
		t.Fatalf("found %d Text vars", len(decls))
	}
	seen := map[s3err.Text]string{}
	for _, d := range decls {
		txt := d.Text
		// One case, one name: work landing in parallel must not declare
		// the same text twice.
		if other, dup := seen[txt]; dup {
			t.Errorf("%s (%s) repeats %s", d.Name, d.File, other)
		}
		seen[txt] = d.Name + " (" + d.File + ")"
		_, ok := s3err.Lookup(txt.Code)
		switch {
		case !ok:
			t.Errorf("%s (%s): code %q is not in the table", d.Name, d.File, txt.Code)
		case txt.Format == "" || strings.TrimSpace(txt.Format) != txt.Format:
			t.Errorf("%s (%s): empty or padded text %q", d.Name, d.File, txt.Format)
		case !d.Documented:
			t.Errorf("%s (%s): no comment citing where the text comes from", d.Name, d.File)
		}
		args := s3errtest.Args(txt)
		msg := txt.Message(args...)
		if strings.Contains(msg, "%!") {
			t.Errorf("%s renders as %q", d.Name, msg)
		}
		got, ok := txt.Parse(msg)
		if !ok || txt.Message(got...) != msg {
			t.Errorf("%s: Parse(%q) = %v, %v", d.Name, msg, got, ok)
		}
	}
}

// Parse accepts a message only when it is the text: a detail another
// package wrote is answered only if it is one of AWS's texts.
func TestTextParse(t *testing.T) {
	region := s3err.Text{Code: s3err.AuthorizationHeaderMalformed, Format: "the region '%s' is wrong; expecting '%s'"}
	cases := []struct {
		t    s3err.Text
		msg  string
		args []any
	}{
		{region, "the region 'eu' is wrong; expecting 'us'", []any{"eu", "us"}},
		{region, "the region 'eu' is wrong", nil},
		{region, "xthe region 'eu' is wrong; expecting 'us'", nil},
		{s3err.Text{Code: s3err.InvalidArgument, Format: "size: %d"}, "size: 12", []any{int64(12)}},
		{s3err.Text{Code: s3err.InvalidArgument, Format: "size: %d"}, "size: twelve", nil},
		{s3err.Text{Code: s3err.InvalidArgument, Format: "100%% (%q)"}, `100% ("a\"b")`, []any{`a"b`}},
		{s3err.Text{Code: s3err.InvalidArgument, Format: "a.b"}, "axb", nil},
	}
	for _, c := range cases {
		got, ok := c.t.Parse(c.msg)
		if ok != (c.args != nil) || ok && c.t.Message(got...) != c.msg {
			t.Errorf("%q.Parse(%q) = %v, %v", c.t.Format, c.msg, got, ok)
		}
	}
}
