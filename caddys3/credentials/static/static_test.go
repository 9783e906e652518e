package static

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddys3/caddys3/auth"
)

func TestJSON(t *testing.T) {
	const list = `[{"access_key_id":"A","secret":"s","owner":"o"},{"access_key_id":"B","secret":"t"}]`
	for _, in := range []string{list, ` ` + list, `{"keys":` + list + `}`} {
		var s Static
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if len(s.Keys) != 2 || s.Keys[0].Owner != "o" || s.Keys[1].Secret != "t" {
			t.Errorf("%s: %+v", in, s.Keys)
		}
		out, _ := json.Marshal(s)
		if string(out) != list {
			t.Errorf("%s: marshalled %s", in, out)
		}
	}
	for _, in := range []string{`[{"access_key_id":"A","secret":"s","role":"x"}]`, `{"keys":[],"extra":1}`, `"A"`, `null`} {
		var s Static
		if err := json.Unmarshal([]byte(in), &s); err == nil && in != `null` {
			t.Errorf("%s accepted", in)
		}
	}
	if out, _ := json.Marshal(Static{}); string(out) != `[]` {
		t.Errorf("no keys: %s", out)
	}
	m := ModuleMap(Key{AccessKeyID: "A", Secret: "s"})
	if string(m["static"]) != `[{"access_key_id":"A","secret":"s"}]` {
		t.Errorf("ModuleMap %s", m["static"])
	}
}

func TestProvisionLookup(t *testing.T) {
	t.Setenv("CADDYS3_TEST_STATIC_SECRET", "from-env")
	s := &Static{Keys: []Key{{AccessKeyID: "A", Secret: "{env.CADDYS3_TEST_STATIC_SECRET}"}, {AccessKeyID: "B", Secret: "b", Owner: "bob"}}}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	if err := s.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Lookup(context.Background(), "A"); err != nil || c.Secret != "from-env" || c.Owner != "A" {
		t.Errorf("A: %+v %v", c, err)
	}
	if c, err := s.Lookup(context.Background(), "B"); err != nil || c.Owner != "bob" {
		t.Errorf("B: %+v %v", c, err)
	}
	if _, err := s.Lookup(context.Background(), "C"); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("C: %v", err)
	}
	for _, keys := range [][]Key{
		{{AccessKeyID: "A", Secret: "hush"}, {AccessKeyID: "A", Secret: "hush2"}},
		{{AccessKeyID: "A"}},
		{{Secret: "hush"}},
		{{AccessKeyID: "A", Secret: "{env.CADDYS3_TEST_UNSET}hush"}},
	} {
		s := &Static{Keys: keys}
		err := s.Provision(ctx)
		if err == nil {
			t.Errorf("%+v accepted", keys)
		} else if strings.Contains(err.Error(), "hush") {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	var s Static
	for _, src := range []string{"static {\n key A s\n}", "static {\n key B t bob\n}"} {
		if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src)); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Keys) != 2 || s.Keys[1] != (Key{AccessKeyID: "B", Secret: "t", Owner: "bob"}) {
		t.Errorf("%+v", s.Keys)
	}
	for _, src := range []string{"static x {\n}", "static {\n key A\n}", "static {\n key A b c d\n}", "static {\n keys A b\n}"} {
		var s Static
		if err := s.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src)); err == nil {
			t.Errorf("%q accepted", src)
		}
	}
}
