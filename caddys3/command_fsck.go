package caddys3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/caddys3/caddys3/fsck"
	"github.com/caddys3/caddys3/fsstore"
)

// progressEvery is how often a check not on a terminal prints a progress
// line.
const progressEvery = 10 * time.Second

func init() {
	s3Subcommands = append(s3Subcommands, fsckCommand)
}

func fsckCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fsck --root <dir> [--repair] [--offline] [--owner <id>] [--quarantine]",
		Short: "Checks (and repairs) a storage root",
		Long: `
Walks a storage root and reports: objects without metadata (copied in by
hand, or restored without extended attributes), directories that are not
buckets, bucket records without a directory, names that do not decode,
symlinks, orphaned sidecar records, stale temp files and multipart uploads.

With --repair it fixes what it can through the server's own writers and
locks, so it is safe while servers use the root: it computes missing ETags
(MD5) and stores the record with the default content type, adopts
directories as buckets of --owner, gives bucket records their directory
back, removes orphaned sidecars, stale temp files and uploads older than
--temp-age and --upload-age. It never removes or rewrites object data;
names that do not decode move to <root>/.caddys3/lost+found only with
--quarantine.

--offline asserts no server uses the root (refused while one's heartbeat
is fresh): every temp file is then stale, whatever its age.

Exit status: 0 when nothing is left to repair, 1 when findings remain.`,
		RunE: runFsck,
	}
	f := cmd.Flags()
	f.StringP("root", "r", "", "Storage root (the s3 block's root)")
	f.Bool("repair", false, "Repair what can be repaired")
	f.Bool("offline", false, "No server uses the root")
	f.String("owner", "", "Canonical ID that adopts directories that are not buckets (with --repair)")
	f.Bool("quarantine", false, "Move names that do not decode to .caddys3/lost+found (with --repair)")
	f.Duration("temp-age", time.Hour, "Age from which a temp file counts as abandoned")
	f.Duration("upload-age", 7*24*time.Hour, "Age from which a multipart upload counts as abandoned")
	f.Bool("quiet", false, "Print only the summary")
	return cmd
}

// errFindingsLeft makes the exit status 1 when a check leaves findings.
var errFindingsLeft = errors.New("findings left unrepaired")

func runFsck(cmd *cobra.Command, _ []string) error {
	f := cmd.Flags()
	root, _ := f.GetString("root")
	if root == "" {
		return errors.New("--root is required")
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return fmt.Errorf("--root %s: not a directory (%v)", root, err)
	}
	var o fsck.Options
	o.Repair, _ = f.GetBool("repair")
	o.Offline, _ = f.GetBool("offline")
	o.Owner, _ = f.GetString("owner")
	o.Quarantine, _ = f.GetBool("quarantine")
	o.TempAge, _ = f.GetDuration("temp-age")
	o.UploadAge, _ = f.GetDuration("upload-age")
	quiet, _ := f.GetBool("quiet")
	out := cmd.OutOrStdout()
	progress := newProgress(cmd.ErrOrStderr(), progressEvery)
	o.Progress = progress.update
	if !quiet {
		o.Found = func(k fsck.Kind, rel string, repaired bool) {
			progress.clear() // the line goes above the bar
			state := "found"
			if repaired {
				state = "repaired"
			}
			fmt.Fprintf(out, "%-8s %s: %s\n", state, k, printable(rel))
		}
	}

	s, err := fsstore.Open(fsstore.Options{Root: root, KeepTemp: true})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	mode := "online"
	if o.Offline {
		mode = "offline"
	}
	meta := "xattrs"
	if s.SidecarMode() {
		meta = "sidecars"
	}
	fmt.Fprintf(out, "fsck %s (%s, metadata in %s)\n", root, mode, meta)
	r, err := fsck.Check(ctx, s, o)
	progress.done()
	if r != nil {
		printSummary(out, r)
	}
	if err != nil {
		return err
	}
	if r.Unrepaired() > 0 {
		cmd.SilenceUsage = true
		return errFindingsLeft
	}
	return nil
}

// printable quotes a name that is not valid UTF-8 or holds characters a
// terminal would interpret (names on disk are anyone's).
func printable(name string) string {
	if utf8.ValidString(name) && strings.IndexFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) }) < 0 {
		return name
	}
	return strconv.Quote(name)
}

func printSummary(w io.Writer, r *fsck.Report) {
	fmt.Fprintf(w, "checked %d buckets, %d objects\n", r.Buckets, r.Objects)
	for _, k := range fsck.Kinds {
		fmt.Fprintf(w, "  %-45s %6d found %6d repaired\n", k, r.Found[k], r.Repaired[k])
	}
}

// progress shows how far a walk has come: a bar over the buckets on a
// terminal, otherwise a line every progressEvery.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	every time.Duration
	last  time.Time
}

func newProgress(w io.Writer, every time.Duration) *progress {
	p := &progress{w: w, every: every, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(w),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	return p
}

func (p *progress) update(s fsck.Progress) {
	if p.bar != nil {
		if p.bar.GetMax() != s.Buckets {
			p.bar.ChangeMax(s.Buckets)
		}
		p.bar.Describe(fmt.Sprintf("%s: %d objects", s.Bucket, s.Objects))
		_ = p.bar.Set(s.BucketsDone)
		return
	}
	if time.Since(p.last) >= p.every {
		p.last = time.Now()
		fmt.Fprintf(p.w, "fsck: bucket %d/%d (%s), %d entries, %d objects\n", s.BucketsDone+1, s.Buckets, s.Bucket, s.Entries, s.Objects)
	}
}

// clear takes the bar off the terminal until the next update.
func (p *progress) clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
