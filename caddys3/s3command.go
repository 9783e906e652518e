package caddys3

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// s3Subcommands build the subcommands of `caddy s3`. Files of this package
// add theirs from init (as Caddy's own command registry does), so that
// each tool lives in its own file; the list is only read when Caddy builds
// its command tree, after every init ran.
var s3Subcommands []func() *cobra.Command

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "s3",
		Usage: "<command>",
		Short: "Tools for the s3 handler's storage roots (version, …)",
		Long: `
Tools for caddys3: "caddy s3 version" prints the module's version and the
on-disk layout version it reads and writes.`,
		CobraFunc: func(cmd *cobra.Command) {
			for _, sub := range s3Subcommands {
				cmd.AddCommand(sub())
			}
		},
	})
}
