package caddys3

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
)

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	s3 := new(Handler)
	err := s3.UnmarshalCaddyfile(h.Dispenser)
	return s3, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	s3 {
//	    root <path>
//	    region <name>
//	    domain <base-domain> [<base-domain>...]
//	    max_object_size <size>
//	    fsync always|never
//	    abort_incomplete_after <duration>
//	    copy_file_range on|off
//	    stale_temp_age <duration>
//	    log_keys [on|off]
//	    admin_accounts <canonical-id>...
//	    reserved_buckets <name>...
//	    credentials static {
//	        key <access-key-id> <secret> [<owner>]
//	    }
//	}
//
// The directive may repeat "domain" and "key"; secrets may be placeholders
// such as {env.S3_SECRET}.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "root":
			if !d.AllArgs(&h.Root) {
				return d.ArgErr()
			}
		case "region":
			if !d.AllArgs(&h.Region) {
				return d.ArgErr()
			}
		case "max_object_size":
			var v string
			if !d.AllArgs(&v) {
				return d.ArgErr()
			}
			size, err := humanize.ParseBytes(v)
			if err != nil {
				return d.Errf("max_object_size: %v", err)
			}
			h.MaxObjectSize = int64(size)
		case "fsync":
			if !d.AllArgs(&h.Fsync) {
				return d.ArgErr()
			}
		case "abort_incomplete_after":
			if err := durationArg(d, &h.AbortIncompleteAfter); err != nil {
				return err
			}
		case "stale_temp_age":
			if err := durationArg(d, &h.StaleTempAge); err != nil {
				return err
			}
		case "copy_file_range":
			if !d.AllArgs(&h.CopyFileRange) {
				return d.ArgErr()
			}
		case "log_keys":
			v := "on"
			if d.NextArg() {
				v = d.Val()
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			switch v {
			case "on":
				h.LogKeys = true
			case "off":
				h.LogKeys = false
			default:
				return d.Errf("s3: log_keys must be on or off, not %q", v)
			}
		case "domain", "admin_accounts", "reserved_buckets":
			list := map[string]*[]string{"domain": &h.Domains, "admin_accounts": &h.AdminAccounts, "reserved_buckets": &h.ReservedBuckets}[d.Val()]
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			*list = append(*list, args...)
		case "credentials":
			if err := h.unmarshalCredentials(d); err != nil {
				return err
			}
		default:
			return d.Errf("s3: unknown subdirective %q", d.Val())
		}
	}
	return nil
}

// durationArg reads the one duration argument of the current subdirective.
func durationArg(d *caddyfile.Dispenser, target *caddy.Duration) error {
	name := d.Val()
	var v string
	if !d.AllArgs(&v) {
		return d.ArgErr()
	}
	dur, err := caddy.ParseDuration(v)
	if err != nil {
		return d.Errf("%s: %v", name, err)
	}
	*target = caddy.Duration(dur)
	return nil
}

func (h *Handler) unmarshalCredentials(d *caddyfile.Dispenser) error {
	var source string
	if !d.Args(&source) {
		return d.ArgErr()
	}
	switch source {
	case "static":
		if d.NextArg() {
			return d.ArgErr()
		}
		for nesting := d.Nesting(); d.NextBlock(nesting); {
			if d.Val() != "key" {
				return d.Errf("s3: credentials static: unknown subdirective %q (want key)", d.Val())
			}
			args := d.RemainingArgs()
			if len(args) < 2 || len(args) > 3 {
				return d.Errf("s3: key wants <access-key-id> <secret> [<owner>], got %d arguments", len(args))
			}
			k := StaticKey{AccessKeyID: args[0], Secret: args[1]}
			if len(args) == 3 {
				k.Owner = args[2]
			}
			h.Credentials.Static = append(h.Credentials.Static, k)
		}
	case "cloudstack":
		// credentials cloudstack {
		//     db_properties <path>     # or: dsn <dsn>
		//     key_file <path>          # with db_properties
		//     database_key <key>       # with dsn
		//     cache_ttl <duration>
		//     negative_cache_ttl <duration>
		//     grace_period <duration>
		// }
		if d.NextArg() {
			return d.ArgErr()
		}
		if h.Credentials.CloudStack != nil {
			return d.Err("s3: credentials cloudstack is configured twice")
		}
		cs := new(CloudStackCredentials)
		for nesting := d.Nesting(); d.NextBlock(nesting); {
			sub := d.Val()
			var target *string
			var dur *caddy.Duration
			switch sub {
			case "db_properties":
				target = &cs.DBProperties
			case "key_file":
				target = &cs.KeyFile
			case "dsn":
				target = &cs.DSN
			case "database_key":
				target = &cs.DatabaseKey
			case "cache_ttl":
				dur = &cs.CacheTTL
			case "negative_cache_ttl":
				dur = &cs.NegativeCacheTTL
			case "grace_period":
				dur = &cs.GracePeriod
			default:
				return d.Errf("s3: credentials cloudstack: unknown subdirective %q", sub)
			}
			var v string
			if !d.AllArgs(&v) {
				return d.Errf("s3: credentials cloudstack: %s wants one argument", sub)
			}
			if target != nil {
				*target = v
				continue
			}
			t, err := caddy.ParseDuration(v)
			if err != nil {
				return d.Errf("s3: credentials cloudstack: %s: %v", sub, err)
			}
			*dur = caddy.Duration(t)
		}
		if err := cs.validate(); err != nil {
			return d.Err(err.Error())
		}
		h.Credentials.CloudStack = cs
	default:
		return d.Errf("s3: unknown credentials source %q", source)
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)

var _ = fmt.Sprintf
