// Package fsck checks and repairs a caddys3 storage root: what operators
// and backup tools leave behind (files copied in by hand, directories
// made by hand, restores that dropped extended attributes) and what
// crashed writers leave (temp files, abandoned uploads, orphaned sidecar
// records). It walks the root through an open fsstore.Store and repairs
// only through the store's own writers and locks, so it may run while
// servers use the root.
//
// It never removes or rewrites object data: a file whose name no key
// reaches is reported, and moved to <root>/.caddys3/lost+found only with
// Options.Quarantine.
package fsck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"time"

	"github.com/caddys3/caddys3/fsstore"
)

// Kind is one sort of finding.
type Kind string

// The findings, in the order the summary lists them.
const (
	NoMetadata      Kind = "objects without metadata"
	NotBucket       Kind = "directories that are not buckets"
	BucketNoDir     Kind = "bucket records without a directory"
	Undecodable     Kind = "names that do not decode"
	Symlink         Kind = "symlinks (never followed)"
	NotRegular      Kind = "entries that are neither file nor directory"
	StrayFile       Kind = "files at the top of the root"
	OrphanSidecar   Kind = "orphaned sidecar records"
	StaleTemp       Kind = "stale temp entries"
	StaleUpload     Kind = "stale multipart uploads"
	Unreadable      Kind = "objects that could not be checked"
	lostFoundSubdir      = ".caddys3/lost+found"
)

// Kinds lists every Kind in summary order.
var Kinds = []Kind{NoMetadata, NotBucket, BucketNoDir, Undecodable, Symlink, NotRegular, StrayFile, OrphanSidecar, StaleTemp, StaleUpload, Unreadable}

// Options say what to repair.
type Options struct {
	// Repair fixes what can be fixed without touching object data.
	Repair bool
	// Offline says no server uses the root: every staging entry is stale,
	// whatever its age. Check refuses it while another live node's
	// heartbeat is fresh.
	Offline bool
	// Owner adopts directories that are not buckets as buckets of this
	// canonical ID (with Repair); without it they are only reported.
	Owner string
	// Quarantine moves files and directories whose names do not decode to
	// <root>/.caddys3/lost+found/<bucket>/... (with Repair).
	Quarantine bool
	// TempAge and UploadAge are the ages from which staging entries and
	// multipart uploads count as abandoned (defaults 1 hour and 7 days).
	TempAge, UploadAge time.Duration
	// Found, if set, is called with each finding (path relative to the
	// root) and whether it was repaired.
	Found func(k Kind, rel string, repaired bool)
	// Progress, if set, is called after every walked entry.
	Progress func(Progress)
}

// Progress tells how far a walk has come.
type Progress struct {
	Buckets, BucketsDone int
	Bucket               string
	Entries, Objects     int
}

// Report counts what a check found and repaired.
type Report struct {
	Buckets, Objects int
	Found, Repaired  map[Kind]int
}

// Clean reports whether nothing was found.
func (r *Report) Clean() bool {
	for _, n := range r.Found {
		if n > 0 {
			return false
		}
	}
	return true
}

// Unrepaired counts findings a repair left in place.
func (r *Report) Unrepaired() int {
	n := 0
	for k, f := range r.Found {
		n += f - r.Repaired[k]
	}
	return n
}

// ErrServersRunning: an offline check found live servers on the root.
var ErrServersRunning = errors.New("fsck: servers are running on this root; drop --offline")

type checker struct {
	s    *fsstore.Store
	root string
	o    Options
	r    Report
	p    Progress
}

// Check walks the store's root and reports (and, with o.Repair, repairs)
// what it finds.
func Check(ctx context.Context, s *fsstore.Store, o Options) (*Report, error) {
	if o.TempAge <= 0 {
		o.TempAge = time.Hour
	}
	if o.UploadAge <= 0 {
		o.UploadAge = 7 * 24 * time.Hour
	}
	if o.Offline {
		live, err := s.LiveNodes()
		if err != nil {
			return nil, fmt.Errorf("fsck: reading node heartbeats: %w", err)
		}
		if len(live) > 0 {
			return nil, fmt.Errorf("%w (%d live)", ErrServersRunning, len(live))
		}
		o.TempAge = time.Nanosecond
	}
	c := &checker{s: s, root: s.RootDir(), o: o, r: Report{Found: map[Kind]int{}, Repaired: map[Kind]int{}}}
	steps := []func(context.Context) error{c.buckets, c.sidecars, c.staging}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return &c.r, err
		}
	}
	return &c.r, nil
}

func (c *checker) found(k Kind, rel string, repaired bool) {
	c.r.Found[k]++
	if repaired {
		c.r.Repaired[k]++
	}
	if c.o.Found != nil {
		c.o.Found(k, rel, repaired)
	}
}

func (c *checker) progress() {
	if c.o.Progress != nil {
		c.o.Progress(c.p)
	}
}

// buckets checks the bucket records against the top-level directories and
// walks every bucket.
func (c *checker) buckets(ctx context.Context) error {
	infos, err := c.s.ListBuckets(ctx)
	if err != nil {
		return fmt.Errorf("fsck: listing buckets: %w", err)
	}
	isBucket := map[string]bool{}
	for _, b := range infos {
		isBucket[b.Name] = true
	}
	ents, err := os.ReadDir(c.root)
	if err != nil {
		return fmt.Errorf("fsck: reading the root: %w", err)
	}
	var walk []string
	dirs := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case name == ".caddys3":
		case e.Type()&fs.ModeSymlink != 0:
			c.found(Symlink, name, false)
		case !e.IsDir():
			c.found(StrayFile, name, false)
		case isBucket[name]:
			dirs[name] = true
			walk = append(walk, name)
		default:
			if c.adopt(ctx, name) {
				walk = append(walk, name)
			}
			dirs[name] = true
		}
	}
	for _, b := range infos {
		if !dirs[b.Name] {
			c.found(BucketNoDir, ".caddys3/buckets/"+b.Name+".json", c.o.Repair && c.remake(ctx, b))
		}
	}
	sort.Strings(walk)
	c.p.Buckets = len(walk)
	for _, b := range walk {
		c.p.Bucket = b
		if err := c.walkBucket(ctx, b); err != nil {
			return err
		}
		c.p.BucketsDone++
		c.progress()
	}
	c.r.Buckets = len(walk)
	return nil
}

// adopt makes the directory name a bucket of Options.Owner when repairing.
func (c *checker) adopt(ctx context.Context, name string) bool {
	ok := c.o.Repair && c.o.Owner != "" && fsstore.ValidBucketName(name)
	if ok {
		err := c.s.CreateBucket(ctx, name, c.o.Owner)
		ok = err == nil || errors.Is(err, fsstore.ErrBucketAlreadyOwned)
	}
	c.found(NotBucket, name, ok)
	return ok
}

// remake gives a bucket record its directory back (an empty bucket its
// owner can delete or fill): the record holds the bucket's owner and
// settings, which removing it would lose.
func (c *checker) remake(ctx context.Context, b fsstore.BucketInfo) bool {
	err := c.s.CreateBucket(ctx, b.Name, b.Owner)
	return errors.Is(err, fsstore.ErrBucketAlreadyOwned)
}

// walkBucket checks every entry below the bucket directory.
func (c *checker) walkBucket(ctx context.Context, bucket string) error {
	fsys := os.DirFS(c.root)
	return fs.WalkDir(fsys, bucket, func(rel string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walked
			}
			return fmt.Errorf("fsck: %w", err)
		}
		if rel == bucket {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c.p.Entries++
		defer c.progress()
		below := rel[len(bucket)+1:]
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			c.found(Symlink, rel, false)
			return nil
		case !e.IsDir() && !e.Type().IsRegular():
			c.found(NotRegular, rel, false)
			return nil
		}
		key, ok := fsstore.KeyOfPath(below)
		if !ok {
			c.found(Undecodable, rel, c.quarantine(rel))
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		c.p.Objects++
		c.r.Objects++
		missing, err := c.s.RepairObject(ctx, bucket, key, c.o.Repair)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !missing:
			c.found(Unreadable, fmt.Sprintf("%s (%v)", rel, err), false)
		case missing:
			c.found(NoMetadata, rel, c.o.Repair && err == nil)
		}
		return nil
	})
}

// quarantine moves rel below lost+found when asked to.
func (c *checker) quarantine(rel string) bool {
	if !c.o.Repair || !c.o.Quarantine {
		return false
	}
	dst := path.Join(c.root, lostFoundSubdir, rel)
	if err := os.MkdirAll(path.Dir(dst), 0o755); err != nil {
		return false
	}
	return os.Rename(path.Join(c.root, rel), dst) == nil
}

// sidecars checks the sidecar records (only in sidecar mode).
func (c *checker) sidecars(ctx context.Context) error {
	var orphans []string
	_, err := c.s.OrphanSidecars(ctx, c.o.Repair, func(rel string) { orphans = append(orphans, rel) })
	for _, rel := range orphans {
		c.found(OrphanSidecar, rel, c.o.Repair)
	}
	if err != nil {
		return fmt.Errorf("fsck: sidecars: %w", err)
	}
	return nil
}

// staging counts (and with Repair removes) abandoned temp entries and
// multipart uploads with the store's own cleanups (temp entries first:
// aborting uploads also cleans the staging directory).
func (c *checker) staging(ctx context.Context) error {
	temps, err := c.s.StaleTemp(ctx, c.o.TempAge)
	if err != nil {
		return fmt.Errorf("fsck: temp files: %w", err)
	}
	uploads, err := c.s.StaleUploads(ctx, c.o.UploadAge)
	if err != nil {
		return fmt.Errorf("fsck: uploads: %w", err)
	}
	aborted, removed := 0, 0
	if c.o.Repair {
		if removed, err = c.s.CleanupTemp(ctx, c.o.TempAge); err != nil {
			return fmt.Errorf("fsck: removing temp files: %w", err)
		}
		if aborted, err = c.s.CleanupUploads(ctx, c.o.UploadAge); err != nil {
			return fmt.Errorf("fsck: aborting uploads: %w", err)
		}
	}
	c.count(StaleUpload, ".caddys3/uploads", uploads, aborted)
	c.count(StaleTemp, ".caddys3/tmp", temps, removed)
	return nil
}

// count records n findings of k under the directory rel, repaired of them
// repaired, as one line.
func (c *checker) count(k Kind, rel string, n, repaired int) {
	if n == 0 && repaired == 0 {
		return
	}
	n = max(n, repaired) // the cleanup also met what the count could not see (dead nodes' fresh files)
	c.r.Found[k] += n
	c.r.Repaired[k] += repaired
	if c.o.Found != nil {
		c.o.Found(k, fmt.Sprintf("%s: %d entries", rel, n), repaired == n)
	}
}
