package caddys3

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// s3Subcommands are the subcommands of `caddy s3`, each file adding its
// own in init (fsck, ...). Caddy builds its commands after every init has
// run, so the order of the files does not matter.
var s3Subcommands []func() *cobra.Command

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "s3",
		Short: "Operator tools for the s3 module's storage root",
		Long: `
Tools that work on a storage root of the s3 handler, offline or while
servers use it: "caddy s3 version" prints the module's version and the
on-disk layout version it reads and writes, "caddy s3 fsck" checks and
repairs a root, "caddy s3 lifecycle run" runs a lifecycle pass now,
"caddy s3 decrypt" decrypts an encrypted object's file. Run 'caddy s3 <command> --help' for each one.`,
		CobraFunc: func(cmd *cobra.Command) {
			for _, sub := range s3Subcommands {
				cmd.AddCommand(sub())
			}
		},
	})
}
