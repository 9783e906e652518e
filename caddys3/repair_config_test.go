package caddys3

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestRepairMaxSizeCaddyfile(t *testing.T) {
	for src, want := range map[string]int64{
		"s3 {\n repair_max_size 1MiB\n}": 1 << 20,
		"s3 {\n repair_max_size off\n}":  -1,
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src)); err != nil || h.RepairMaxSize != want {
			t.Errorf("%q: %d %v, want %d", src, h.RepairMaxSize, err, want)
		}
	}
	for _, src := range []string{"s3 {\n repair_max_size\n}", "s3 {\n repair_max_size lots\n}", "s3 {\n repair_max_size 0\n}", "s3 {\n repair_max_size 1 2\n}"} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(src)); err == nil {
			t.Errorf("%q: accepted", src)
		}
	}
}
