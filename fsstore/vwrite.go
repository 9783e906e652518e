package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Versioned writes. Every write of a key in a bucket that has (or had)
// versioning holds the key's lock (lock.go) from reading the key's state
// to publishing, so the writes of one key are serialized in every process
// sharing the root, and each takes a time strictly after the newest
// version's: ids are strictly ordered by completion. A write renames its
// staged file over the plain file first, then links it into the version
// area: a kill between the two leaves the new version as the plain file,
// the latest (see vstate), whose entry the next locked write adds
// (adopt), and nothing lost. So a plain file is missing only when the
// key's latest version is a delete marker (or it has none); see
// latestFromArea for roots where that does not hold.

// newVersionNs is the time of a new version of st: now, or just after the
// newest version if the clock says otherwise.
func newVersionNs(st *vstate) int64 {
	return max(time.Now().UnixNano(), st.newestNs()+1)
}

// latestMeta is the metadata of the latest version of st, and whether
// there is one that is not a delete marker.
func (s *Store) latestMeta(st *vstate) (ObjectMeta, bool) {
	name := st.latest()
	if name == "" {
		return ObjectMeta{}, false
	}
	if st.plain != nil && st.plain.name == name {
		m := st.plain.meta()
		return m, !m.DeleteMarker
	}
	o, err := s.openEntry(st, name)
	if err != nil {
		return ObjectMeta{}, false
	}
	o.Close()
	return o.Meta, !o.Meta.DeleteMarker
}

// checkConds applies If-None-Match "*" and If-Match to the latest version
// of st (a delete marker counts as absent).
func (s *Store) checkConds(st *vstate, ifMatch, ifNoneMatch string) error {
	if ifMatch == "" && ifNoneMatch != "*" {
		return nil
	}
	m, ok := s.latestMeta(st)
	if ifNoneMatch == "*" && ok {
		return ErrPreconditionFailed
	}
	if ifMatch != "" && (!ok || ifMatch != "*" && strings.Trim(ifMatch, `"`) != m.ETag) {
		return ErrPreconditionFailed
	}
	return nil
}

// linkEntry links the file at the root-relative path src (or, when src is
// "", the open file f) into the area of st as name, making the area's
// directories as needed.
func (s *Store) linkEntry(st *vstate, src string, f *os.File, name string) error {
	for attempt := 0; ; attempt++ {
		var err error
		if src != "" {
			err = s.root.Link(src, st.vdir+"/"+name)
		} else {
			var d *os.File
			if d, err = s.root.Open(st.vdir); err == nil {
				err = withFd(f, func(ffd int) error {
					return withFd(d, func(dfd int) error {
						return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(ffd), dfd, name, unix.AT_SYMLINK_FOLLOW)
					})
				})
				d.Close()
			}
		}
		if err == nil || errors.Is(err, fs.ErrExist) {
			return nil
		}
		if f != nil && errors.Is(err, fs.ErrNotExist) && unlinked(f) {
			return errPlainGone
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt >= publishAttempts {
			return storageErr(err)
		}
		if err := s.mkdirAll(st.vdir); err != nil { // syncgroup.go
			return storageErr(err)
		}
	}
}

// adopt puts the plain version of st into the area if it is not there
// yet (a null version written before versioning, or a write killed after
// its rename... never: writes link first; or a version whose entry a
// killed delete removed): the plain file is about to be replaced or
// removed. A legacy file first gets its entry name in its record; a
// marker directory gets an empty file carrying its record.
//
// Only writers that hold the key's lock change a versioned key, except
// one that found the bucket unversioned just before versioning was first
// enabled: when the plain file was replaced or removed under us by such a
// writer, look again (its object, if any, is the one to adopt).
func (s *Store) adopt(st *vstate) error {
	for attempt := 0; ; attempt++ {
		err := s.adoptPlain(st)
		if !errors.Is(err, errPlainGone) || attempt >= publishAttempts {
			return err
		}
		if err := s.loadPlain(st); err != nil {
			return err
		}
	}
}

// errPlainGone: the plain file to link into the area had been unlinked.
var errPlainGone = errors.New("fsstore: the plain file went away")

// unlinked reports whether f's file has no name left.
func unlinked(f *os.File) bool {
	var stt unix.Stat_t
	return withFd(f, func(fd int) error { return unix.Fstat(fd, &stt) }) == nil && stt.Nlink == 0
}

func (s *Store) adoptPlain(st *vstate) error {
	pv := st.plain
	if pv == nil || st.inArea(pv.name) {
		return nil
	}
	rec := pv.rec
	rec.V = pv.name
	if pv.markerDir {
		tmp, f, err := s.createTemp("vm-")
		if err != nil {
			return err
		}
		defer s.discardTemp(tmp, f)
		if err := withFd(f, func(fd int) error {
			unix.Futimes(fd, []unix.Timeval{{Sec: rec.MTime}, {Sec: rec.MTime}})
			id, _, err := statID(fd)
			if err != nil {
				return err
			}
			return s.meta.stage(fd, id, st.bucket, st.key, &rec)
		}); err != nil {
			return err
		}
		return s.linkEntry(st, tmp, nil, pv.name)
	}
	if pv.legacy {
		if err := withFd(pv.f, func(fd int) error { return s.meta.stage(fd, pv.id, st.bucket, st.key, &rec) }); err != nil {
			return err
		}
		pv.rec, pv.legacy = rec, false
	}
	return s.linkEntry(st, "", pv.f, pv.name)
}

// unlinkEntry removes name from the area of st (a missing one is no
// error) and forgets its metadata when it was the inode's last link.
func (s *Store) unlinkEntry(st *vstate, name string) error {
	var stt unix.Stat_t
	var found bool
	err := s.root.at("unlink", st.vdir+"/"+name, func(dfd int, base string) error {
		if err := unix.Fstatat(dfd, base, &stt, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		found = true
		return unix.Unlinkat(dfd, base, 0)
	})
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	if found && stt.Nlink <= 1 {
		s.countUsage(st.bucket, -stt.Size, false)
		s.meta.removed(fileID{Ino: stt.Ino, Size: stt.Size, MTime: stt.Mtim.Nano()}, st.bucket, st.key)
	}
	return nil
}

// dropNulls removes the area's null entries other than keep (Suspended
// writes replace the null version).
func (s *Store) dropNulls(st *vstate, keep string) {
	for _, n := range st.names {
		if n != keep && isNullEntry(n) {
			s.unlinkEntry(st, n)
		}
	}
}

// pruneArea removes the key's area directories while they are empty, up
// to the bucket's area.
func (s *Store) pruneArea(st *vstate) {
	top := versionsDir + "/" + st.bucket
	for dir := st.vdir; dir != top && strings.HasPrefix(dir, top+"/"); dir = parentOf(dir) {
		if s.root.Remove(dir) != nil {
			return
		}
	}
}

// placePlain publishes the file at tmp as the plain file of st's key
// (the body form for a key ending in '/').
func (s *Store) placePlain(ctx context.Context, st *vstate, tmp string) (string, error) {
	if !st.p.marker {
		return s.publish(ctx, st.bucket, st.p, tmp, false)
	}
	drel, err := s.publish(ctx, st.bucket, bodyPath(st.p), tmp, false)
	if err == nil {
		s.clearMarker(st.bucket, st.key, drel)
	}
	return drel, err
}

// lockState takes the key's lock and reads its state.
func (s *Store) lockState(ctx context.Context, bucket, key string) (*keyLock, *vstate, error) {
	l, err := s.lockKey(ctx, bucket, key)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.loadState(bucket, key)
	if err != nil {
		l.unlock()
		return nil, nil, err
	}
	return l, st, nil
}

// publishVersioned is publishTemp in a versioned bucket: under the key's
// lock, the conditions, the record with the new entry name, rename over
// the plain file, link into the area. It always consumes f and tmp. A
// version whose id slot fixed earlier and that another write has
// overtaken since goes into the area only (publishNoncurrent).
func (s *Store) publishVersioned(ctx context.Context, bucket, key string, p objPath, tmp string, f *os.File, meta ObjectMeta, ifMatch, ifNoneMatch string, slot *VersionSlot) (_ ObjectMeta, published bool, _ error) {
	var id fileID
	staged := false
	defer func() {
		if !published {
			s.discardTemp(tmp, f)
			if staged {
				s.meta.unstage(id, bucket, key)
			}
		}
	}()
	info, err := s.Bucket(ctx, bucket)
	if err != nil {
		return ObjectMeta{}, false, err
	}
	status := info.Versioning
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return ObjectMeta{}, false, err
	}
	defer l.unlock()
	defer st.close()
	if err := s.checkConds(st, ifMatch, ifNoneMatch); err != nil {
		return ObjectMeta{}, false, err
	}
	applyDefaultRetention(&meta, info.ObjectLock, time.Now())
	suspended := status != VersioningEnabled
	name, fixed := slot.take(func() string { return newEntryName(newVersionNs(st), false, suspended) })
	if fixed {
		suspended = false // the id was fixed while versioning was Enabled
	}
	rec := recordOf(&meta)
	rec.V = name
	if id, err = s.stageMeta(f, bucket, key, &rec); err != nil {
		return ObjectMeta{}, false, err
	}
	staged = true
	if s.fsync {
		if err := f.Sync(); err != nil {
			return ObjectMeta{}, false, storageErr(err)
		}
	}
	if err := f.Close(); err != nil {
		return ObjectMeta{}, false, storageErr(err)
	}
	f = nil
	if testHookStaged != nil {
		testHookStaged(bucket, key)
	}
	if ns, _, _, _ := parseEntry(name); fixed && ns <= st.newestNs() {
		var m ObjectMeta
		m, published, err = s.publishNoncurrent(st, tmp, id, &rec, meta.Size)
		return m, published, err
	}
	if !(suspended && st.plain != nil && isNullEntry(st.plain.name)) {
		if err := s.adopt(st); err != nil {
			return ObjectMeta{}, false, err
		}
	}
	// Rename first, then link: a kill between the two leaves the new
	// version as the plain file, the latest, listed from its record, and
	// the next locked write adopts it into the area. (Link first would
	// leave, on a key with no plain file, a latest version that GET
	// serves from the area but ListObjects does not show.) The open fd
	// keeps the file to link whatever name the rename gave it.
	vf, err := s.root.OpenFile(tmp, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return ObjectMeta{}, false, storageErr(err)
	}
	defer vf.Close()
	drel, err := s.placePlain(ctx, st, tmp)
	if err != nil {
		return ObjectMeta{}, false, err
	}
	published = true
	m := rec.meta(meta.Size, unixSec(id.MTime))
	if s.fsync {
		// The rename is durable before the link: a power loss cannot
		// keep the link and lose the rename.
		if err := s.syncDir(join(bucket, drel)); err != nil {
			return m, true, storageErr(err)
		}
	}
	if testHookVersionRenamed != nil {
		testHookVersionRenamed(bucket, key)
	}
	if err := s.linkEntry(st, "", vf, name); errors.Is(err, errPlainGone) {
		// A writer that found the bucket unversioned, as versioning was
		// being enabled, replaced or deleted the new version at once.
		return m, true, nil
	} else if err != nil {
		// The version is whole and the latest (the plain file); the next
		// locked write of the key adopts it into the area.
		return m, true, err
	}
	if suspended {
		s.dropNulls(st, name)
	}
	if s.fsync {
		if err := s.syncDir(st.vdir); err != nil {
			return m, true, storageErr(err)
		}
	}
	return m, true, nil
}

// publishNoncurrent publishes the staged file at tmp as the version rec.V
// of st's key that is older than its latest: linked into the area, the
// plain file left alone (it is the newer latest, or the key's latest is a
// delete marker), then the temp name removed.
func (s *Store) publishNoncurrent(st *vstate, tmp string, id fileID, rec *metaRecord, size int64) (ObjectMeta, bool, error) {
	if err := s.linkEntry(st, tmp, nil, rec.V); err != nil {
		return ObjectMeta{}, false, err
	}
	s.root.Remove(tmp)
	s.countUsage(st.bucket, size, false)
	m := rec.meta(size, unixSec(id.MTime))
	if s.fsync {
		if err := s.syncDir(st.vdir); err != nil {
			return m, true, storageErr(err)
		}
	}
	return m, true, nil
}

// DeleteObjectVersion deletes key (versionID "") or one version of it.
// versionID "": unversioned bucket → as DeleteObject; Enabled → a new
// delete marker; Suspended → a null delete marker replacing the null
// version. A versionID: that version is removed for good (no error if it
// does not exist), the plain file re-published from the next newest
// version (or removed if that is a marker or there is none).
func (s *Store) DeleteObjectVersion(ctx context.Context, bucket, key, versionID, owner string) (DeleteResult, error) {
	return s.DeleteObjectVersionOpts(ctx, bucket, key, versionID, owner, DeleteOptions{})
}

// DeleteObjectVersionOpts is DeleteObjectVersion with options: a version
// protected by object lock is not removed (ErrObjectLocked; see
// checkDeleteLocks), decided under the key's lock.
func (s *Store) DeleteObjectVersionOpts(ctx context.Context, bucket, key, versionID, owner string, o DeleteOptions) (DeleteResult, error) {
	if _, err := resolve(bucket, key); err != nil {
		return DeleteResult{}, err
	}
	versioned, err := s.bucketState(bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	if !versioned {
		if versionID == "" || versionID == NullVersion {
			return DeleteResult{}, s.deletePlain(bucket, key, true)
		}
		return DeleteResult{VersionID: versionID}, nil
	}
	if versionID == "" {
		return s.deleteMarkerVersion(ctx, bucket, key, owner)
	}
	if versionID != NullVersion {
		if _, _, null, ok := parseEntry(versionID); !ok || null {
			return DeleteResult{VersionID: versionID}, nil
		}
	}
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return DeleteResult{}, err
	}
	defer l.unlock()
	defer st.close()
	return s.deleteVersionLocked(ctx, st, versionID, o)
}

// deleteVersionLocked is DeleteObjectVersionOpts of a version by id once
// the key's lock is held and st loaded.
func (s *Store) deleteVersionLocked(ctx context.Context, st *vstate, versionID string, o DeleteOptions) (DeleteResult, error) {
	bucket, key := st.bucket, st.key
	order := st.order()
	var targets []string
	for _, n := range order {
		if namedBy(versionID, n) {
			targets = append(targets, n)
		}
	}
	res := DeleteResult{VersionID: exposedID(versionID)}
	if versionID == NullVersion {
		res.VersionID = ""
	}
	if len(targets) == 0 {
		return res, nil
	}
	if err := s.checkDeleteLocks(st, targets, o.BypassGovernance); err != nil {
		return res, err
	}
	_, res.DeleteMarker, _, _ = parseEntry(targets[0])
	// Deleting the latest version re-publishes the next newest as the
	// plain file. When that is a data version it is placed first and the
	// targets removed after; otherwise the targets go first, then the
	// plain file. Either way a kill in between leaves a plain file
	// whenever the newest entry of the area is a data version, so readers
	// and listings agree (see latestFromArea).
	latest := st.latest()
	wasLatest := slices.Contains(targets, latest)
	next := ""
	if wasLatest {
		for _, n := range order {
			if !namedBy(versionID, n) {
				next = n
				break
			}
		}
	}
	_, nextMarker, _, nextOK := parseEntry(next)
	nextData := wasLatest && nextOK && !nextMarker
	if nextData {
		if err := s.republish(ctx, st, next); err != nil {
			return res, err
		}
		if testHookVersionDeleteStep != nil {
			testHookVersionDeleteStep(bucket, key)
		}
	}
	for _, t := range targets {
		if err := s.unlinkEntry(st, t); err != nil {
			return res, err
		}
	}
	if wasLatest && !nextData {
		if testHookVersionDeleteStep != nil {
			testHookVersionDeleteStep(bucket, key)
		}
		if err := s.republish(ctx, st, next); err != nil {
			return res, err
		}
	}
	if len(order) == len(targets) {
		s.pruneArea(st)
	}
	return res, nil
}

// republish makes entry name of st's area the plain file, or removes the
// plain file when name is "" or a delete marker.
func (s *Store) republish(ctx context.Context, st *vstate, name string) error {
	if _, marker, _, ok := parseEntry(name); !ok || marker {
		if st.plain == nil {
			return nil
		}
		return s.deletePlainV(st)
	}
	tmp := s.tempName("rp-")
	if err := s.root.Link(st.vdir+"/"+name, tmp); err != nil {
		return storageErr(err)
	}
	if _, err := s.placePlain(ctx, st, tmp); err != nil {
		s.root.Remove(tmp)
		return err
	}
	s.forgetIfUnlinked(st)
	return nil
}

// forgetIfUnlinked drops the metadata of st's former plain file once it
// has no name left (a version only the plain file held: a write killed
// before its link into the area), so sidecar records do not outlive it.
func (s *Store) forgetIfUnlinked(st *vstate) {
	if pv := st.plain; pv != nil && pv.f != nil && !pv.markerDir && unlinked(pv.f) {
		s.meta.removed(pv.id, st.bucket, st.key)
	}
}

// deleteMarkerVersion writes a delete marker as the latest version of key
// (a null one in a Suspended bucket, replacing the null version): linked
// into the area first, then the plain file removed.
func (s *Store) deleteMarkerVersion(ctx context.Context, bucket, key, owner string) (DeleteResult, error) {
	status, err := s.versioningOf(ctx, bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return DeleteResult{}, err
	}
	defer l.unlock()
	defer st.close()
	return s.deleteMarkerLocked(st, status, owner)
}

// deleteMarkerLocked is deleteMarkerVersion once the key's lock is held
// and st loaded; status is the bucket's versioning.
func (s *Store) deleteMarkerLocked(st *vstate, status, owner string) (DeleteResult, error) {
	bucket, key := st.bucket, st.key
	suspended := status != VersioningEnabled
	name := newEntryName(newVersionNs(st), true, suspended)
	tmp, f, err := s.createTemp("dm-")
	if err != nil {
		return DeleteResult{}, err
	}
	rec := metaRecord{V: name, DM: true, Owner: owner}
	_, err = s.stageMeta(f, bucket, key, &rec)
	f.Close()
	if err == nil && !(suspended && st.plain != nil && isNullEntry(st.plain.name)) {
		err = s.adopt(st)
	}
	if err == nil {
		err = s.linkEntry(st, tmp, nil, name)
	}
	s.root.Remove(tmp)
	if err != nil {
		return DeleteResult{}, err
	}
	if st.plain != nil {
		if err := s.deletePlainV(st); err != nil {
			return DeleteResult{}, err
		}
	}
	if suspended {
		s.dropNulls(st, name)
	}
	return DeleteResult{VersionID: exposedID(name), DeleteMarker: true}, nil
}

// deletePlainV removes the plain file of st's key, and its metadata only
// when no entry of the area links the same inode.
func (s *Store) deletePlainV(st *vstate) error {
	if err := s.deletePlain(st.bucket, st.key, false); err != nil {
		return err
	}
	s.forgetIfUnlinked(st)
	return nil
}
