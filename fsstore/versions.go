package fsstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Bucket versioning states (BucketInfo.Versioning).
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version id clients send for the null version.
const NullVersion = "null"

// ErrNoSuchVersion: a version id that the key never had (S3: 404
// NoSuchVersion).
var ErrNoSuchVersion = errors.New("fsstore: no such version")

// DeleteMarkerError: the addressed object is a delete marker.
// errors.Is(err, ErrNoSuchKey) is true when the latest version of the key is
// a marker (GET/HEAD without versionId). Addressed is true when the caller
// named the marker's version id; then errors.Is(err, ErrNoSuchKey) is false.
type DeleteMarkerError struct {
	VersionID    string
	Addressed    bool
	LastModified time.Time
}

func (e *DeleteMarkerError) Error() string {
	return fmt.Sprintf("fsstore: delete marker %s", e.VersionID)
}

// Is makes errors.Is(err, ErrNoSuchKey) true for an unaddressed marker.
func (e *DeleteMarkerError) Is(target error) bool {
	return target == ErrNoSuchKey && !e.Addressed
}

// DeleteResult is what DeleteObjectVersion did.
type DeleteResult struct {
	VersionID    string // the version removed, or the marker created ("" = null)
	DeleteMarker bool   // a marker was created, or the version removed was a marker
}

// ListVersionsOptions select one page of ListObjectVersions.
type ListVersionsOptions struct {
	Prefix, Delimiter, KeyMarker, VersionIDMarker string
	MaxKeys                                       int // 1..1000 (the handler clamps)
	// Brief: as in ListOptions; used for buckets never versioned.
	Brief bool
}

// VersionEntry is one version (or delete marker) in a listing.
type VersionEntry struct {
	Key          string
	VersionID    string // NullVersion for the null version
	IsLatest     bool
	DeleteMarker bool
	Meta         ObjectMeta
}

// ListVersionsResult is one page of ListObjectVersions.
type ListVersionsResult struct {
	Entries                            []VersionEntry // key ascending, then newest first
	CommonPrefixes                     []string
	IsTruncated                        bool
	NextKeyMarker, NextVersionIDMarker string
}

// versionsDir holds the version area: versionsDir/<bucket>/<vrel>/%%v/<entry>.
const versionsDir = internalDir + "/versions"

// vSub is the directory of a key's entries; an escape, so it never
// collides with a stored component.
const vSub = escPrefix + "v"

// vrelOf is the path of key p in the version area: its stored path, or for
// a key ending in '/' the path of its body form (see bodyPath), so that
// "d" and "d/" differ. It never needs collision escapes: every component
// there is a directory.
func vrelOf(p objPath) string {
	if p.marker {
		return p.rel + "/" + escEmpty
	}
	return p.rel
}

func vdirOf(bucket string, p objPath) string {
	return versionsDir + "/" + bucket + "/" + vrelOf(p) + "/" + vSub
}

// Entry names: 13 characters of Crockford base32 of the inverted
// nanosecond time (so names sort newest first), a kind ('d' data, 'm'
// delete marker), then 6 random base32 characters (the version id is the
// whole name) or "null" (the null version).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	entryTimeLen = 13
	entryIDLen   = entryTimeLen + 1 + 6
	nullTail     = "null"
)

func encTime(ns int64) string {
	v := ^uint64(ns)
	var b [entryTimeLen]byte
	for i := entryTimeLen - 1; i >= 0; i-- {
		b[i] = crockford[v&31]
		v >>= 5
	}
	return string(b[:])
}

func decTime(s string) (int64, bool) {
	if len(s) < entryTimeLen {
		return 0, false
	}
	var v uint64
	for i := 0; i < entryTimeLen; i++ {
		j := strings.IndexByte(crockford, s[i])
		if j < 0 {
			return 0, false
		}
		v = v<<5 | uint64(j)
	}
	return int64(^v), true
}

func newEntryName(ns int64, marker, null bool) string {
	kind := "d"
	if marker {
		kind = "m"
	}
	if null {
		return encTime(ns) + kind + nullTail
	}
	var r [6]byte
	rand.Read(r[:])
	b := []byte(encTime(ns) + kind + "000000")
	for i := range r {
		b[entryTimeLen+1+i] = crockford[r[i]&31]
	}
	return string(b)
}

// parseEntry checks an entry name (or a client's version id).
func parseEntry(name string) (ns int64, marker, null, ok bool) {
	ns, ok = decTime(name)
	if !ok || len(name) < entryTimeLen+1 {
		return 0, false, false, false
	}
	switch name[entryTimeLen] {
	case 'd':
	case 'm':
		marker = true
	default:
		return 0, false, false, false
	}
	tail := name[entryTimeLen+1:]
	if tail == nullTail {
		return ns, marker, true, true
	}
	if len(tail) != 6 {
		return 0, false, false, false
	}
	for i := 0; i < len(tail); i++ {
		if strings.IndexByte(crockford, tail[i]) < 0 {
			return 0, false, false, false
		}
	}
	return ns, marker, false, true
}

// ValidVersionID reports whether v could name a version of this store:
// NullVersion or an id of the entry form above. Anything else is not
// worth a lookup (S3 answers a malformed id with InvalidArgument).
func ValidVersionID(v string) bool {
	if v == NullVersion {
		return true
	}
	_, _, null, ok := parseEntry(v)
	return ok && !null && len(v) == entryIDLen
}

func isNullEntry(name string) bool { return strings.HasSuffix(name, nullTail) }

// exposedID is the version id of entry name for ObjectMeta: "" for the
// null version.
func exposedID(name string) string {
	if name == "" || isNullEntry(name) {
		return ""
	}
	return name
}

// listedID is the version id of entry name in listings and errors.
func listedID(name string) string {
	if id := exposedID(name); id != "" {
		return id
	}
	return NullVersion
}

// testHookVersionRenamed, set by tests only, runs when a versioned write
// has renamed its file over the plain file and not yet linked its entry
// into the version area; a panic there stands for a kill.
var testHookVersionRenamed func(bucket, key string)

// testHookVersionDeleteStep, set by tests only, runs between the two steps
// of deleting the latest version by id (re-publishing the next newest and
// removing the entry, in the order DeleteObjectVersion explains).
var testHookVersionDeleteStep func(bucket, key string)

// bucketState reports ErrNoSuchBucket unless the bucket directory exists,
// and whether versioning was ever set on the bucket: the sticky bit of the
// bucket directory, set by SetBucketVersioning before its record, so that
// the Lstat every put already made tells an unversioned bucket at no
// extra cost.
func (s *Store) bucketState(bucket string) (versioned bool, err error) {
	fi, err := s.root.Lstat(bucket)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return false, ErrNoSuchBucket
	}
	if err != nil {
		return false, err
	}
	return fi.Sys().(*unix.Stat_t).Mode&unix.S_ISVTX != 0, nil
}

// versioningOf reads the bucket's versioning status from its record.
func (s *Store) versioningOf(ctx context.Context, bucket string) (string, error) {
	info, err := s.Bucket(ctx, bucket)
	return info.Versioning, err
}

// SetBucketVersioning sets the bucket's versioning status, "Enabled" or
// "Suspended". The bucket directory gets its sticky bit first (the cheap
// flag of bucketState, never cleared), then the record its status.
func (s *Store) SetBucketVersioning(ctx context.Context, bucket, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return fmt.Errorf("fsstore: invalid versioning status %q", status)
	}
	return s.updateRecord(ctx, bucket, func(rec *bucketRecord) (bool, error) {
		if err := s.flagVersioned(bucket); err != nil {
			return false, err
		}
		if err := s.mkdirAll(versionsDir + "/" + bucket); err != nil {
			return false, storageErr(err)
		}
		if rec.ObjectLock != nil && status != VersioningEnabled {
			return false, ErrVersioningLocked
		}
		changed := rec.Versioning != status
		rec.Versioning = status
		return changed, nil
	})
}

// flagVersioned sets the sticky bit of the bucket directory (bucketState's
// flag) unless it is set.
func (s *Store) flagVersioned(bucket string) error {
	d, err := s.root.Open(bucket)
	if err != nil {
		return s.missing(bucket, err)
	}
	defer d.Close()
	return withFd(d, func(fd int) error {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_ISVTX != 0 {
			return nil
		}
		return unix.Fchmod(fd, st.Mode&0o7777|unix.S_ISVTX)
	})
}

// healVersionedFlag restores the flag of a bucket whose record says it is
// versioned when the directory lost it (a restore or copy that dropped
// the mode bits): without it, writes would replace the plain file without
// keeping a version. Bucket calls it, so the first request to the bucket
// after such a restore heals it; one Lstat, for versioned buckets only.
func (s *Store) healVersionedFlag(bucket string) error {
	versioned, err := s.bucketState(bucket)
	if err != nil || versioned {
		return err
	}
	return s.flagVersioned(bucket)
}

// plainVer is the plain file (or marker directory) of a key in a
// versioned bucket: its latest version.
type plainVer struct {
	name      string // its entry name: rec.V, or for a legacy null version one made of its time
	legacy    bool   // rec.V == "": written before versioning, not yet in the area
	markerDir bool
	f         *os.File
	rec       metaRecord
	id        fileID
}

func (pv *plainVer) meta() ObjectMeta {
	if pv.markerDir {
		return pv.rec.meta(0, pv.rec.MTime)
	}
	return pv.rec.meta(pv.id.Size, unixSec(pv.id.MTime))
}

// vstate is what a versioned key has: the entries of its version area and
// its plain file. The rule: the plain file, when present, is the latest
// version (whether or not its entry is in the area yet); when absent, the
// newest entry of the area is.
type vstate struct {
	bucket, key string
	p           objPath
	vdir        string
	names       []string // area entries, sorted: newest first
	plain       *plainVer
}

func (st *vstate) close() {
	if st.plain != nil && st.plain.f != nil {
		st.plain.f.Close()
	}
}

func (st *vstate) inArea(name string) bool {
	i := sort.SearchStrings(st.names, name)
	return i < len(st.names) && st.names[i] == name
}

// order is every version of the key, newest first.
func (st *vstate) order() []string {
	if st.plain == nil || st.inArea(st.plain.name) {
		return st.names
	}
	out := make([]string, 0, len(st.names)+1)
	out = append(out, st.names...)
	out = append(out, st.plain.name)
	sort.Strings(out)
	return out
}

// listed is order without the null entries older than the newest one: a
// Suspended write killed after linking its null version and before
// dropping the previous one leaves two, and a key has one null version
// (a read of "null" takes the newest; a delete of "null" removes all).
func (st *vstate) listed() []string {
	o := st.order()
	seenNull := false
	for i, n := range o {
		if !isNullEntry(n) {
			continue
		}
		if !seenNull {
			seenNull = true
			continue
		}
		out := append([]string(nil), o[:i]...)
		for _, m := range o[i+1:] {
			if !isNullEntry(m) {
				out = append(out, m)
			}
		}
		return out
	}
	return o
}

// namedBy reports whether entry n is a version versionID names: its own
// id, or for NullVersion any null entry.
func namedBy(versionID, n string) bool {
	return n == versionID || versionID == NullVersion && isNullEntry(n)
}

// find returns the entry versionID names ("" names the latest): the
// newest such entry of the key, "" when there is none.
func (st *vstate) find(versionID string) string {
	if versionID == "" {
		return st.latest()
	}
	for _, n := range st.order() {
		if namedBy(versionID, n) {
			return n
		}
	}
	return ""
}

// latest is the entry name of the latest version, "" when none.
func (st *vstate) latest() string {
	if st.plain != nil {
		return st.plain.name
	}
	if len(st.names) > 0 {
		return st.names[0]
	}
	return ""
}

// newestNs is the time of the newest version (0 when none).
func (st *vstate) newestNs() int64 {
	o := st.order()
	if len(o) == 0 {
		return 0
	}
	ns, _, _, _ := parseEntry(o[0])
	return ns
}

// loadState reads the version area and the plain file of key.
func (s *Store) loadState(bucket, key string) (*vstate, error) {
	return s.loadStateWith(bucket, key, s.loadOpen)
}

// loadStateWith is loadState reading the plain file's record with load.
func (s *Store) loadStateWith(bucket, key string, load openLoader) (*vstate, error) {
	p, err := resolve(bucket, key)
	if err != nil {
		return nil, err
	}
	st := &vstate{bucket: bucket, key: key, p: p, vdir: vdirOf(bucket, p)}
	names, err := s.readDirNames(st.vdir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, err
	}
	for _, n := range names {
		if _, _, _, ok := parseEntry(n); ok {
			st.names = append(st.names, n)
		}
	}
	sort.Strings(st.names)
	if err := s.loadPlainWith(st, load); err != nil {
		return nil, err
	}
	return st, nil
}

// loadPlain reads the plain file of st's key into st.plain (nil when
// there is none).
func (s *Store) loadPlain(st *vstate) error { return s.loadPlainWith(st, s.loadOpen) }

// loadPlainWith is loadPlain reading the plain file's record with load.
func (s *Store) loadPlainWith(st *vstate, load openLoader) error {
	if st.plain != nil && st.plain.f != nil {
		st.plain.f.Close()
	}
	st.plain = nil
	f, rec, id, marker, err := s.openKeyWith(st.bucket, st.key, load)
	switch {
	case err == nil:
		pv := &plainVer{f: f, rec: rec, id: id, markerDir: marker, name: rec.V}
		if pv.name == "" {
			pv.legacy = true
			sec := unixSec(id.MTime)
			if marker {
				sec = rec.MTime
			}
			pv.name = encTime(sec*1e9) + "d" + nullTail
		}
		st.plain = pv
	case errors.Is(err, ErrNoSuchKey):
	default:
		return err
	}
	return nil
}

// openEntry opens the entry name of the key's area and reads its record.
func (s *Store) openEntry(st *vstate, name string) (*Object, error) {
	f, err := s.root.OpenFile(st.vdir+"/"+name, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	var id fileID
	var rec metaRecord
	err = withFd(f, func(fd int) error {
		var err error
		if id, _, err = statID(fd); err != nil {
			return err
		}
		rec, _, err = s.meta.load(fd, id, st.bucket, st.key)
		return err
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	if rec.V == "" {
		rec.V = name
	}
	_, rec.DM, _, _ = parseEntry(name)
	return &Object{File: f, Meta: rec.meta(id.Size, unixSec(id.MTime))}, nil
}

// markerErr is the error for a delete marker named name.
func markerErr(name string, m ObjectMeta, addressed bool) error {
	return &DeleteMarkerError{VersionID: listedID(name), Addressed: addressed, LastModified: m.LastModified}
}

// openVersion opens entry name of st: the plain file when it is that
// version, else the area's entry. A delete marker is a DeleteMarkerError.
func (s *Store) openVersion(st *vstate, name string, addressed, forBody bool) (*Object, error) {
	var o *Object
	if st.plain != nil && st.plain.name == name {
		pv := st.plain
		o = &Object{File: pv.f, Meta: pv.meta()}
		pv.f = nil // handed over
		if pv.markerDir {
			o.File.Close()
			o.File = nil
			if forBody {
				f, err := s.root.Open(emptyFile)
				if err != nil {
					return nil, err
				}
				o.File = f
			}
		}
	} else {
		var err error
		if o, err = s.openEntry(st, name); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, ErrNoSuchVersion
			}
			return nil, err
		}
	}
	if o.Meta.DeleteMarker {
		if o.File != nil {
			o.File.Close()
		}
		return nil, markerErr(name, o.Meta, addressed)
	}
	if o.Meta.ETag == "" && o.File != nil && (st.plain == nil || st.plain.name != name || !st.plain.markerDir) {
		if err := s.repairOpened(o, st.bucket, st.key); err != nil {
			o.File.Close()
			return nil, err
		}
	}
	return o, nil
}

// OpenObjectVersion opens one version of key: versionID "" is the latest,
// NullVersion the null version.
func (s *Store) OpenObjectVersion(ctx context.Context, bucket, key, versionID string) (*Object, error) {
	return s.openObjectVersion(ctx, bucket, key, versionID, true)
}

// HeadObjectVersion is OpenObjectVersion without the bytes.
func (s *Store) HeadObjectVersion(ctx context.Context, bucket, key, versionID string) (ObjectMeta, error) {
	o, err := s.openObjectVersion(ctx, bucket, key, versionID, false)
	if err != nil {
		return ObjectMeta{}, err
	}
	if o.File != nil {
		o.Close()
	}
	return o.Meta, nil
}

func (s *Store) openObjectVersion(ctx context.Context, bucket, key, versionID string, forBody bool) (*Object, error) {
	if versionID == "" {
		return s.openObject(bucket, key, forBody)
	}
	if versionID != NullVersion {
		if _, _, null, ok := parseEntry(versionID); !ok || null {
			if _, err := resolve(bucket, key); err != nil {
				return nil, err
			}
			if _, err := s.bucketState(bucket); err != nil {
				return nil, err
			}
			return nil, ErrNoSuchVersion
		}
	}
	st, err := s.loadState(bucket, key)
	if err != nil {
		return nil, err
	}
	defer st.close()
	name := st.find(versionID)
	if name == "" {
		if _, err := s.bucketState(bucket); err != nil {
			return nil, err
		}
		return nil, ErrNoSuchVersion
	}
	return s.openVersion(st, name, true, forBody)
}

// latestFromArea answers a read of the latest version of a key whose plain
// file is missing in a versioned bucket: the newest entry of its area, a
// delete marker (a DeleteMarkerError) or a data version. Writes and deletes
// never leave the latter (vwrite.go: a plain file is missing only when the
// latest is a marker), but a root written by a build that linked before
// renaming, or a power loss without fsync that kept a link and lost a
// rename, can: ListObjects would not show the version GET serves. So the
// read re-publishes it as the plain file first (repairPlain), and from then
// on every reader and listing agrees.
func (s *Store) latestFromArea(bucket, key string, forBody bool) (*Object, error) {
	st, err := s.loadState(bucket, key)
	if err != nil {
		return nil, err
	}
	defer st.close()
	name := st.latest()
	if name == "" {
		return nil, ErrNoSuchKey
	}
	if _, marker, _, _ := parseEntry(name); !marker && st.plain == nil {
		s.repairPlain(bucket, key)
	}
	o, err := s.openVersion(st, name, false, forBody)
	if errors.Is(err, ErrNoSuchVersion) {
		return nil, ErrNoSuchKey // deleted meanwhile
	}
	return o, err
}

// repairWait bounds how long a read waits for a key's lock to repair it.
const repairWait = 5 * time.Second

// repairPlain re-publishes the newest entry of key's area as its plain
// file when the plain file is missing and that entry is a data version.
// It holds the key's lock and looks again under it, so it is safe against
// writers and repairers in every process sharing the root; the publish is
// a link to a temp name and a rename, so a kill leaves the state as it
// was or repaired. Best effort: a read that cannot take the lock (a busy
// key, a read-only root) is still answered from the area.
func (s *Store) repairPlain(bucket, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), repairWait)
	defer cancel()
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return
	}
	defer l.unlock()
	defer st.close()
	if st.plain != nil || len(st.names) == 0 {
		return
	}
	if _, marker, _, _ := parseEntry(st.names[0]); !marker {
		s.republish(ctx, st, st.names[0])
	}
}

// SetObjectACLVersion replaces the ACL of one version of key ("": the
// current one; see editRecord).
func (s *Store) SetObjectACLVersion(ctx context.Context, bucket, key, versionID string, acl []byte) error {
	return s.editRecord(ctx, bucket, key, versionID, func(rec *metaRecord) { rec.ACL = acl })
}

// areaHasEntries reports whether the area directory dir holds any file,
// removing empty directories on the way.
func (s *Store) areaHasEntries(dir string) (bool, error) {
	names, err := s.readDirNames(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, n := range names {
		fi, err := s.root.Lstat(dir + "/" + n)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			return true, nil
		}
		has, err := s.areaHasEntries(dir + "/" + n)
		if err != nil || has {
			return has, err
		}
		s.root.Remove(dir + "/" + n)
	}
	return false, nil
}
