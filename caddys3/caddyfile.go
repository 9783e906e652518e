package caddys3

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
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
//	    repair_max_size <size>|off
//	    log_keys [on|off]
//	    health_live <path>
//	    health_ready <path>
//	    admin_accounts <canonical-id>...
//	    reserved_buckets <name>...
//	    admin_api_keys <access-key-id>...
//	    cors_origins <origin>...|*
//	    lifecycle { ... }                 # see lifecycle_run.go
//	    credentials static {
//	        key <access-key-id> <secret> [<owner>]
//	    }
//	    credentials cloudstack {
//	        db_properties <path>          # or: dsn <dsn>
//	        key_file <path>               # with db_properties
//	        database_key <key>            # with dsn
//	        cache_ttl <duration>
//	        negative_cache_ttl <duration>
//	        grace_period <duration>
//	    }
//	    encryption {
//	        key <id> <file|key>           # repeatable; the first encrypts
//	    }
//	}
//
// The directive may repeat "domain" and "key"; secrets, dsn and
// database_key may be placeholders such as {env.S3_SECRET}. Each
// "credentials <source>" block is read by the module s3.credentials.<source>
// (see packages caddys3/credentials/static and caddys3/credentials/cloudstack);
// static keys are asked first, then the other sources by name.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	sources := map[string]caddyfile.Unmarshaler{}
	seen := map[string]bool{}
	for d.NextBlock(0) {
		// Subdirectives that take one value may appear once: a second
		// one silently winning hides a mistake.
		if sub := d.Val(); singleValued[sub] {
			if seen[sub] {
				return d.Errf("s3: %s is given twice", sub)
			}
			seen[sub] = true
		}
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
			size, err := sizeArg(d)
			if err != nil {
				return err
			}
			h.MaxObjectSize = size
		case "fsync":
			if err := choiceArg(d, &h.Fsync, "always", "never"); err != nil {
				return err
			}
		case "abort_incomplete_after":
			if err := durationArg(d, &h.AbortIncompleteAfter); err != nil {
				return err
			}
		case "stale_temp_age":
			if err := durationArg(d, &h.StaleTempAge); err != nil {
				return err
			}
		case "repair_max_size":
			if err := repairMaxSizeArg(d, &h.RepairMaxSize); err != nil {
				return err
			}
		case "copy_file_range":
			if err := choiceArg(d, &h.CopyFileRange, "on", "off"); err != nil {
				return err
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
		case "health_live", "health_ready":
			if err := healthPathArg(d, h); err != nil {
				return err
			}
		case "domain", "admin_accounts", "reserved_buckets", "admin_api_keys", "cors_origins":
			sub := d.Val()
			list := map[string]*[]string{"domain": &h.Domains, "admin_accounts": &h.AdminAccounts, "reserved_buckets": &h.ReservedBuckets,
				"admin_api_keys": &h.AdminAPIKeys, "cors_origins": &h.CORSOrigins}[sub]
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			*list = append(*list, args...)
			if sub == "cors_origins" {
				if err := validCORSOrigins(h.CORSOrigins); err != nil {
					return d.Err(err.Error())
				}
			}
		case "lifecycle":
			if err := h.unmarshalLifecycle(d); err != nil {
				return err
			}
		case "credentials":
			if err := unmarshalCredentials(d, sources); err != nil {
				return err
			}
		case "encryption":
			if err := h.unmarshalEncryption(d); err != nil {
				return err
			}
		default:
			return d.Errf("s3: unknown subdirective %q", d.Val())
		}
	}
	h.CredentialsRaw = credentialsJSON(sources)
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
	if err != nil || dur < 0 {
		return d.Errf("s3: %s %q is not a duration (such as 90s, 48h or 7d)", name, v)
	}
	*target = caddy.Duration(dur)
	return nil
}

// unmarshalCredentials reads `credentials <source> …` with the source
// module's own Caddyfile syntax. A source named again is read into the same
// value (static adds keys; cloudstack refuses a second block).
func unmarshalCredentials(d *caddyfile.Dispenser, sources map[string]caddyfile.Unmarshaler) error {
	var name string
	if !d.Args(&name) {
		return d.ArgErr()
	}
	src, ok := sources[name]
	if !ok {
		mod, err := caddy.GetModule(credentialsNamespace + "." + name)
		if err != nil {
			return d.Errf("s3: unknown credentials source %q", name)
		}
		if src, ok = mod.New().(caddyfile.Unmarshaler); !ok {
			return d.Errf("s3: credentials source %q has no Caddyfile syntax", name)
		}
		sources[name] = src
	}
	return src.UnmarshalCaddyfile(d.NewFromNextSegment())
}

// credentialsJSON is the handler's "credentials" value for the sources read
// from a Caddyfile.
func credentialsJSON(sources map[string]caddyfile.Unmarshaler) caddy.ModuleMap {
	if len(sources) == 0 {
		return nil
	}
	m := make(caddy.ModuleMap, len(sources))
	for name, src := range sources {
		m[name] = caddyconfig.JSON(src, nil)
	}
	return m
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
