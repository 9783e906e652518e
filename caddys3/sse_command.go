package caddys3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/caddys3/caddys3/internal/keyring"
	"github.com/caddys3/caddys3/internal/sealed"
)

// `caddy s3 decrypt`: an encrypted object's plaintext from its file.
func init() {
	s3Subcommands = append(s3Subcommands, decryptCommand)
}

func decryptCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decrypt --key <file|key> [--key …] <object file>",
		Short: "Writes the plaintext of an encrypted object's file to stdout",
		Long: `
Decrypts a file of an encrypted object (SSE-S3 or SSE-C) outside the
server, with the master key it was written under (or the customer's key):
a file holding the key (32 raw bytes, base64 or hex text) or the key itself
as base64 or hex text. --key may repeat; the key that opens the file is
used. The file's authenticity is checked package by package: a damaged
file stops with an error, after the intact packages before the damage.
See docs/encryption.md.`,
		Args: cobra.ExactArgs(1),
		RunE: caddycmd.WrapCommandFuncForCobra(cmdS3Decrypt),
	}
	cmd.Flags().StringArray("key", nil, "Master key or customer key: a key file, or the key as base64 or hex")
	return cmd
}

func cmdS3Decrypt(fl caddycmd.Flags) (int, error) {
	sources, err := fl.GetStringArray("key")
	if err != nil || len(sources) == 0 {
		return caddy.ExitCodeFailedStartup, errors.New("s3 decrypt: --key is required")
	}
	var keys [][]byte
	for i, s := range sources {
		k, err := keyring.Load(s)
		if err != nil {
			return caddy.ExitCodeFailedStartup, fmt.Errorf("s3 decrypt: key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	out := bufio.NewWriterSize(os.Stdout, sealed.PackageSize)
	if err := decryptFile(out, fl.Arg(0), keys); err != nil {
		out.Flush()
		return caddy.ExitCodeFailedQuit, err
	}
	return caddy.ExitCodeSuccess, out.Flush()
}

// decryptFile writes the plaintext of the sealed file at path to w with
// the first of keys that opens it.
func decryptFile(w io.Writer, path string, keys [][]byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h, err := sealed.ReadHeader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range keys {
		o, err := sealed.Open(f, fi.Size(), h, k)
		if errors.Is(err, sealed.ErrKey) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rd, err := o.NewReader(0, o.Size())
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, rd); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	return fmt.Errorf("%s: none of the keys given opens it (it names master key %q)", path, h.KeyID)
}
