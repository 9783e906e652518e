package caddys3

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/dustin/go-humanize"
)

// repairMaxSizeArg reads `repair_max_size <size>|off` (see
// Handler.RepairMaxSize): off never hashes an object on a read.
func repairMaxSizeArg(d *caddyfile.Dispenser, target *int64) error {
	var v string
	if !d.AllArgs(&v) {
		return d.ArgErr()
	}
	if v == "off" {
		*target = -1
		return nil
	}
	size, err := humanize.ParseBytes(v)
	if err != nil {
		return d.Errf("repair_max_size %q: %v", v, err)
	}
	if size == 0 {
		return d.Errf("repair_max_size %q: use off to never hash on a read", v)
	}
	*target = int64(size)
	return nil
}
