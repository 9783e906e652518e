package caddys3

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/caddyserver/caddy/v2"
	"github.com/spf13/cobra"

	"github.com/caddys3/caddys3/fsstore"
)

// modulePath is this module's import path, as Go's build info names it.
const modulePath = "github.com/caddys3/caddys3"

func init() {
	s3Subcommands = append(s3Subcommands, func() *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Prints the caddys3 module's version and the on-disk layout version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				bi, _ := debug.ReadBuildInfo()
				writeVersion(cmd.OutOrStdout(), bi)
				return nil
			},
		}
	})
}

// moduleVersion is caddys3's version as the build recorded it: the main
// module's (go build in this repository: a pseudo-version from the VCS
// stamp, "(devel)" without one) or the dependency's (xcaddy and other
// builds that import the module), with a replacement named.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "unknown (no build information)"
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path != modulePath {
			continue
		}
		if r := d.Replace; r != nil {
			if r.Version != "" {
				return fmt.Sprintf("%s (replaced by %s %s)", d.Version, r.Path, r.Version)
			}
			return fmt.Sprintf("%s (replaced by %s)", d.Version, r.Path)
		}
		return d.Version
	}
	return "unknown (not in the build information)"
}

// writeVersion prints the lines of `caddy s3 version`.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	fmt.Fprintf(w, "caddys3 %s\n", moduleVersion(bi))
	if bi != nil && bi.Main.Path == modulePath {
		vcs := map[string]string{}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
		if rev := vcs["vcs.revision"]; rev != "" {
			modified := ""
			if vcs["vcs.modified"] == "true" {
				modified = ", with uncommitted changes"
			}
			fmt.Fprintf(w, "commit %s (%s%s)\n", rev, vcs["vcs.time"], modified)
		}
	}
	fmt.Fprintf(w, "on-disk layout %d\n", fsstore.LayoutVersion)
	_, caddyVersion := caddy.Version()
	fmt.Fprintf(w, "caddy %s\n", caddyVersion)
	if bi != nil {
		fmt.Fprintf(w, "go %s\n", bi.GoVersion)
	}
}
