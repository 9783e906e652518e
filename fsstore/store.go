package fsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The internal directory and its parts, relative to the root. Bucket names
// never start with '.', so ".caddys3" can never be a bucket.
const (
	internalDir = ".caddys3"
	tmpDir      = internalDir + "/tmp"
	bucketsDir  = internalDir + "/buckets"
	metaDir     = internalDir + "/meta"
	emptyFile   = internalDir + "/empty"
	uploadsDir  = internalDir + "/uploads"

	// defaultStaleTempAge is how old an untouched temp file must be before
	// Open (and CleanupUploads) removes it. Other processes sharing the
	// root may be writing theirs, and a live upload keeps bumping its temp
	// file's mtime.
	defaultStaleTempAge = time.Hour

	copyBufSize = 256 << 10
)

// Store is a bucket/object store rooted at one directory. It is safe for
// concurrent use, also by several processes sharing the root: all
// correctness state lives in the filesystem.
type Store struct {
	root  *fsRoot
	fsync bool
	// dirSyncs shares directory fsyncs among publishes (syncgroup.go).
	dirSyncs syncGroup
	// named remembers the directories whose names this node has made
	// durable (named.go).
	named namedDirs
	meta  metaStore
	bufs  sync.Pool // *[]byte of copyBufSize

	// Multipart settings; tests lower them.
	noCopyFileRange bool
	minPartSize     int64         // every part but the last, at Complete
	completeWait    time.Duration // how long a Complete waits for a concurrent one

	staleTempAge time.Duration // see Options.StaleTempAge
	repairMax    int64         // see Options.RepairMaxSize
	// keepsOwnUploads: see Options.KeepsOwnUploads.
	keepsOwnUploads func(BucketInfo) bool

	// node is this Store's id (see node.go); its heartbeat file is
	// refreshed every nodeBeat until stopBeat.
	node     string
	nodeBeat time.Duration
	stopBeat context.CancelFunc
	beatDone chan struct{}
	// claimBeat is how often a running Complete refreshes its claim; a
	// claim older than staleBeats of them is a dead Complete's (see
	// claim.go).
	claimBeat time.Duration

	// Bytes joined by copy_file_range and by plain copy, for tests.
	joinedCFR, joinedCopy atomic.Int64

	// onUsage hears every change of a bucket's stored bytes (nil: none
	// are counted, see usagecount.go).
	onUsage UsageHook

	// unnamed: puts stage in unnamed files (see putunnamed.go).
	unnamed bool

	// Sorted listings of large directories (nil: disabled), and the stat
	// size from which a directory's listing is cached.
	listCache    *listCache
	listCacheMin int64
	// The entries from which a sorted listing is also kept on disk
	// (listindex.go).
	listIndexMin   int
	listIndexBlock int        // bytes at which a block of the index file is closed
	listWarm       listWarmer // background loads of index files (listpage.go)
	// The listing fields of data files (nil: disabled, see listfields.go)
	// and the filesystem clock both listing caches validate against.
	listFields *listFields
	listClock  fsClock
	statFanout statFanout // parallel stats of brief listings (liststat.go)
	// dirReads counts directory listings read from the filesystem.
	dirReads atomic.Int64
	// Decoded bucket records, checked against the file on every use
	// (bucketcache.go).
	bucketCache bucketCache
}

// Open opens (creating if needed) the store at opts.Root, probes extended
// attribute support and removes stale temp files.
func Open(opts Options) (*Store, error) {
	return open(opts, false)
}

func open(opts Options, forceSidecar bool) (*Store, error) {
	if opts.Root == "" {
		return nil, errors.New("fsstore: empty root")
	}
	if err := os.MkdirAll(opts.Root, 0o755); err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	root, err := openFSRoot(opts.Root, opts.noOpenat2)
	if err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	s := &Store{
		root:            root,
		fsync:           opts.Fsync,
		noCopyFileRange: opts.NoCopyFileRange,
		minPartSize:     MinPartSize,
		completeWait:    defaultCompleteWait,
		staleTempAge:    opts.StaleTempAge,
		repairMax:       repairLimit(opts.RepairMaxSize),
		keepsOwnUploads: opts.KeepsOwnUploads,
		node:            newNodeID(),
		nodeBeat:        opts.nodeBeat,
		claimBeat:       opts.claimBeat,
		onUsage:         opts.OnUsage,
	}
	if s.staleTempAge <= 0 {
		s.staleTempAge = defaultStaleTempAge
	}
	if s.nodeBeat <= 0 {
		s.nodeBeat = defaultNodeBeat
	}
	if s.claimBeat <= 0 {
		s.claimBeat = defaultClaimBeat
	}
	s.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	switch {
	case opts.ListCacheBytes == 0:
		s.listCache = newListCache(defaultListCacheBytes)
	case opts.ListCacheBytes > 0:
		s.listCache = newListCache(opts.ListCacheBytes)
	}
	s.listCacheMin = listCacheMinDirSize
	s.listIndexMin, s.listIndexBlock = listIndexMinEntries, listIndexBlockBytes
	s.listWarm.delay = listWarmDelay
	if err := s.init(forceSidecar, opts.KeepTemp); err != nil {
		s.stopNode()
		root.Close()
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	s.listFields = newListFieldsFor(s.meta, opts.ListFieldsEntries)
	s.statFanout = defaultStatFanout()
	return s, nil
}

func (s *Store) init(forceSidecar, keepTemp bool) error {
	if err := checkVolume(s.root.name); err != nil { // dfs_volume.go
		return err
	}
	for _, d := range []string{tmpDir, bucketsDir, uploadsDir} {
		if err := s.root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := s.startNode(); err != nil {
		return err
	}
	f, err := s.root.OpenFile(emptyFile, os.O_RDONLY|os.O_CREATE, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	xattrs, err := s.probeXattr()
	if err != nil {
		return err
	}
	if xattrs && !forceSidecar {
		s.meta = newXattrMeta()
	} else {
		if err := s.root.MkdirAll(metaDir, 0o755); err != nil {
			return err
		}
		s.meta = &sidecarMeta{s: s}
	}
	s.unnamed = s.probeUnnamed()
	if !keepTemp {
		s.cleanTemp()
	}
	return nil
}

// probeXattr reports whether the root's filesystem stores user xattrs.
func (s *Store) probeXattr() (bool, error) {
	name, f, err := s.createTemp("probe-")
	if err != nil {
		return false, err
	}
	defer s.root.Remove(name)
	defer f.Close()
	err = withFd(f, func(fd int) error {
		return unix.Fsetxattr(fd, xattrName, []byte("{}"), 0)
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EPERM):
		return false, nil
	}
	return false, err
}

// cleanTemp removes the staging entries of dead nodes and those older
// than the store's stale temp age.
func (s *Store) cleanTemp() {
	s.CleanupTemp(context.Background(), s.staleTempAge)
}

// CleanupTemp removes what crashed writers left in the staging directory:
// temp files of puts, parts and Completes, staged and half-removed upload
// directories, either written by a dead node (see node.go: whatever their
// age) or untouched (mtime) for longer than olderThan. It returns how
// many entries it removed. Open runs it with Options.StaleTempAge, and so
// does CleanupUploads; call it periodically (e.g. hourly) on one or all of
// the instances sharing a root. For entries of live nodes (and entries
// without a node id, left by older releases) only the age tells a
// crashed writer's file from a live one, so olderThan must exceed the
// longest pause a live upload may have between writes (a stalled client
// whose temp file is removed gets an error at publish, never a partial
// object).
func (s *Store) CleanupTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	return s.scanTemp(ctx, olderThan, false)
}

// StaleTemp counts the staging entries CleanupTemp(olderThan) would remove.
func (s *Store) StaleTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	return s.scanTemp(ctx, olderThan, true)
}

func (s *Store) scanTemp(ctx context.Context, olderThan time.Duration, dryRun bool) (int, error) {
	d, err := s.root.Open(tmpDir)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	alive := map[string]bool{}
	for {
		ents, err := d.ReadDir(1024)
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			dead := false
			if id := tempNode(e.Name()); id != "" {
				dead = !s.nodeAlive(id, alive)
			}
			if fi, err := e.Info(); err == nil && (dead || fi.ModTime().Before(cutoff)) {
				remove := s.root.RemoveAll
				if strings.Contains(e.Name(), "."+removedPrefix) {
					// Never recursively: see dropCounted.
					remove = s.root.Remove
				}
				if dryRun || remove(tmpDir+"/"+e.Name()) == nil {
					removed++
				}
			}
		}
		if err == io.EOF || len(ents) == 0 {
			if !dryRun {
				s.cleanNodes(alive)
			}
			return removed, nil
		}
		if err != nil {
			return removed, err
		}
	}
}

// readDirNames returns the names in the directory dir, unsorted. An error
// opening dir comes back as it is (for errors.Is); a failed read returns
// the names read before it with the error, except that a directory
// removed after it was opened (getdents fails with ENOENT) is empty.
//
// It reads through a raw descriptor and a pooled buffer: an *os.File
// costs an fcntl more per call and a buffer of its own, and a version
// listing calls this once per key.
func (s *Store) readDirNames(dir string) ([]string, error) {
	fd, err := s.root.openat(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, pathErr("openat", dir, err)
	}
	defer unix.Close(fd)
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	var names []string
	for {
		n, err := unix.Getdents(fd, *bp)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOENT):
			return nil, nil // removed while read: empty now
		case err != nil:
			return names, pathErr("getdents", dir, err)
		case n <= 0:
			return names, nil
		}
		_, _, names = unix.ParseDirent((*bp)[:n], -1, names)
	}
}

// Close stops the node's heartbeat, removes its heartbeat file and
// releases the root.
func (s *Store) Close() error {
	s.listWarm.close()
	s.stopNode()
	return s.root.Close()
}

// createTemp creates a fresh file in the staging directory, which is on the
// root's filesystem so that publishing it is a rename.
func (s *Store) createTemp(prefix string) (string, *os.File, error) {
	name := s.tempName(prefix)
	f, err := s.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	return name, f, storageErr(err)
}

// writeAtomic publishes data at name through a temp file: rename replaces,
// exclusive links and fails with EEXIST if name exists. Readers never see a
// partial file either way.
func (s *Store) writeAtomic(name string, data []byte, exclusive bool) error {
	tmp, f, err := s.createTemp("w-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && s.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if exclusive {
			err = s.root.Link(tmp, name)
		} else {
			err = s.root.Rename(tmp, name)
		}
	}
	if err != nil || exclusive {
		s.root.Remove(tmp)
	}
	if err == nil && s.fsync {
		s.syncDir(parentOf(name))
	}
	return storageErr(err)
}

// syncDir fsyncs a directory so a rename or link in it is durable,
// sharing the fsync with concurrent callers (syncgroup.go), and makes sure
// the directory's own path is durably named (named.go).
func (s *Store) syncDir(name string) error {
	name = dotIfRoot(name)
	if err := s.ensureNamed(name); err != nil {
		return err
	}
	return s.dirSyncs.sync(name, s.fsyncDirFn(name))
}

// fsyncDirFn is the sync function of directory name for the sync group.
func (s *Store) fsyncDirFn(name string) func() error {
	return func() error {
		d, err := s.root.Open(name)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	}
}

// storageErr marks out-of-space errors; everything else passes unchanged.
func storageErr(err error) error {
	if err != nil && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) {
		return fmt.Errorf("%w: %w", ErrInsufficientStorage, err)
	}
	return err
}

// withFd runs fn with f's descriptor without switching f to blocking mode
// (as f.Fd would).
func withFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// parentOf is the slash-separated parent of name ("" when none).
func parentOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return ""
}

// join joins a bucket and a path below it.
func join(bucket, rel string) string {
	if rel == "" {
		return bucket
	}
	return bucket + "/" + rel
}

// joinRel appends a path component to a possibly empty relative path.
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
