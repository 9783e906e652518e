package caddys3

import (
	"math"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/dustin/go-humanize"
)

// singleValued are the s3 subdirectives that take one value and may
// appear once in a block.
var singleValued = map[string]bool{
	"root": true, "region": true, "max_object_size": true, "fsync": true,
	"abort_incomplete_after": true, "stale_temp_age": true, "copy_file_range": true,
	"log_keys": true, "health_live": true, "health_ready": true,
}

// sizeArg reads the one byte-size argument (5GiB, 100MB, 1024) of the
// current subdirective. humanize's own error ("ParseFloat: parsing \"\"")
// names neither the value nor the directive, so it is not passed on.
func sizeArg(d *caddyfile.Dispenser) (int64, error) {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return 0, d.ArgErr()
	}
	size, err := humanize.ParseBytes(v)
	if err != nil || size == 0 || size > math.MaxInt64 {
		return 0, d.Errf("s3: %s %q is not a size (such as 5GiB, 100MB or 1048576)", name, v)
	}
	return int64(size), nil
}

// choiceArg reads the one argument of the current subdirective, which must
// be one of choices.
func choiceArg(d *caddyfile.Dispenser, target *string, choices ...string) error {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return d.ArgErr()
	}
	if !slices.Contains(choices, v) {
		return d.Errf("s3: %s must be %s, not %q", name, strings.Join(choices, " or "), v)
	}
	*target = v
	return nil
}

// healthPathArg reads health_live or health_ready: one absolute path.
func healthPathArg(d *caddyfile.Dispenser, h *Handler) error {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return d.ArgErr()
	}
	if err := validHealthPath(v); err != nil {
		return d.Errf("s3: %s %q: %v", name, v, err)
	}
	if name == "health_live" {
		h.HealthLive = v
	} else {
		h.HealthReady = v
	}
	return nil
}
