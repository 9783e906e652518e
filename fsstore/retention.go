package fsstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Object lock (WORM). A bucket's configuration lives in its record
// (bucketRecord.ObjectLock); a version's retention and legal hold live in
// the version's own metadata record (metaRecord "lk" and "lh"), which the
// version's area entry and, while it is the latest, the plain file share
// (one inode). Every change of a version's lock state and every delete of
// a version by id holds the key's lock (lock.go) from reading the state
// to acting, so of several processes sharing the root a delete either
// ran strictly before a lock was set or sees it and is refused.

// Retention modes and legal hold states as S3 spells them.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
	LegalHoldOn    = "ON"
	LegalHoldOff   = "OFF"
)

var (
	// ErrObjectLocked: the version is protected by its retention or legal
	// hold (S3: 403 AccessDenied).
	ErrObjectLocked = errors.New("fsstore: object version protected by object lock")
	// ErrLockNeedsVersioning: object lock asked of a bucket whose
	// versioning is not Enabled (S3: 409 InvalidBucketState).
	ErrLockNeedsVersioning = errors.New("fsstore: object lock needs versioning Enabled")
	// ErrVersioningLocked: a bucket with object lock cannot have its
	// versioning suspended (S3: 409 InvalidBucketState).
	ErrVersioningLocked = errors.New("fsstore: bucket has object lock: versioning cannot be suspended")
	// ErrNoObjectLock: a version's lock state set in a bucket without
	// object lock (S3: 400 InvalidRequest).
	ErrNoObjectLock = errors.New("fsstore: bucket has no object lock configuration")
)

// ObjectLockConfig is a bucket's object lock configuration: lock is on
// (it never goes off again), with an optional default retention (Mode and
// exactly one of Days, Years) given to every new version that does not
// name its own.
type ObjectLockConfig struct {
	Mode  string `json:"mode,omitempty"`
	Days  int    `json:"days,omitempty"`
	Years int    `json:"years,omitempty"`
}

// until is the retain-until date of a version written at t under the
// default retention; zero when there is none.
func (c *ObjectLockConfig) until(t time.Time) time.Time {
	switch {
	case c == nil || c.Mode == "":
		return time.Time{}
	case c.Years > 0:
		return t.AddDate(c.Years, 0, 0)
	default:
		return t.AddDate(0, 0, c.Days)
	}
}

// applyDefaultRetention gives meta the bucket's default retention when it
// names no retention of its own (S3 User Guide, "Bucket configuration":
// the default applies to new versions placed without explicit settings).
func applyDefaultRetention(meta *ObjectMeta, c *ObjectLockConfig, now time.Time) {
	if meta.LockMode != "" || c == nil || c.Mode == "" {
		return
	}
	meta.LockMode, meta.LockUntil = c.Mode, c.until(now).UTC()
}

// lockRecord is a version's retention in its metaRecord ("lk").
type lockRecord struct {
	Mode  string    `json:"m"`
	Until time.Time `json:"u"`
}

func lockRecordOf(m *ObjectMeta) *lockRecord {
	if m.LockMode == "" {
		return nil
	}
	return &lockRecord{Mode: m.LockMode, Until: m.LockUntil.UTC()}
}

func (l *lockRecord) mode() string {
	if l == nil {
		return ""
	}
	return l.Mode
}

func (l *lockRecord) until() time.Time {
	if l == nil {
		return time.Time{}
	}
	return l.Until
}

// lockNow is the clock of lock decisions; tests replace it.
var lockNow = time.Now

// retentionActive reports whether m's retention still protects it.
func retentionActive(m ObjectMeta, now time.Time) bool {
	return m.LockMode != "" && m.LockUntil.After(now)
}

// CheckDelete decides whether version m may be deleted for good: a legal
// hold blocks it, an unexpired COMPLIANCE retention blocks it, an
// unexpired GOVERNANCE retention blocks it unless bypass (the requester
// sent x-amz-bypass-governance-retention: true and may
// s3:BypassGovernanceRetention). S3 User Guide, "How S3 Object Lock
// works": retention modes and legal holds.
func CheckDelete(m ObjectMeta, now time.Time, bypass bool) error {
	if m.LegalHold == LegalHoldOn {
		return ErrObjectLocked
	}
	if !retentionActive(m, now) || (m.LockMode == LockGovernance && bypass) {
		return nil
	}
	return ErrObjectLocked
}

// CheckRetentionChange decides whether version m's retention may become
// mode until until (mode "": removed). Extending (the same mode, a date
// not earlier) is always allowed; under an unexpired GOVERNANCE retention
// anything else needs bypass, a change to COMPLIANCE included (the
// PutObjectRetention reference: placing a compliance retention needs
// s3:BypassGovernanceRetention; ceph/ceph PR 42505, "through the use and
// test of amazon S3": GOVERNANCE may become COMPLIANCE only with the
// bypass); under an unexpired COMPLIANCE retention nothing else is
// allowed, whoever asks (S3 User Guide, "Retention modes": in compliance
// mode "its retention mode can't be changed, and its retention period
// can't be shortened").
func CheckRetentionChange(m ObjectMeta, mode string, until, now time.Time, bypass bool) error {
	if !retentionActive(m, now) {
		return nil
	}
	extends := mode == m.LockMode && !until.Before(m.LockUntil)
	if extends || (m.LockMode == LockGovernance && bypass) {
		return nil
	}
	return ErrObjectLocked
}

// SetBucketObjectLock sets the bucket's object lock configuration. Lock
// needs versioning Enabled (checked under the record's lock, so a
// concurrent suspend cannot slip between); once on it stays on.
func (s *Store) SetBucketObjectLock(ctx context.Context, bucket string, cfg ObjectLockConfig) error {
	if cfg.Mode != "" && cfg.Mode != LockGovernance && cfg.Mode != LockCompliance {
		return fmt.Errorf("fsstore: invalid retention mode %q", cfg.Mode)
	}
	return s.updateRecord(ctx, bucket, func(rec *bucketRecord) (bool, error) {
		if rec.ObjectLock == nil && rec.Versioning != VersioningEnabled {
			return false, ErrLockNeedsVersioning
		}
		c := cfg
		rec.ObjectLock = &c
		return true, nil
	})
}

// SetObjectRetention sets the retention of one version of key (versionID
// "": the latest); mode "" removes it. The change is checked against the
// version's current state (CheckRetentionChange) and written under the
// key's lock.
func (s *Store) SetObjectRetention(ctx context.Context, bucket, key, versionID, mode string, until time.Time, bypass bool) error {
	return s.updateVersionRecord(ctx, bucket, key, versionID, func(rec *metaRecord) error {
		cur := ObjectMeta{LockMode: rec.LK.mode(), LockUntil: rec.LK.until()}
		if err := CheckRetentionChange(cur, mode, until, lockNow(), bypass); err != nil {
			return err
		}
		rec.LK = lockRecordOf(&ObjectMeta{LockMode: mode, LockUntil: until})
		return nil
	})
}

// SetObjectLegalHold sets the legal hold of one version of key (ON or
// OFF); anyone allowed s3:PutObjectLegalHold may, whatever the retention.
func (s *Store) SetObjectLegalHold(ctx context.Context, bucket, key, versionID, status string) error {
	if status != LegalHoldOn && status != LegalHoldOff {
		return fmt.Errorf("fsstore: invalid legal hold %q", status)
	}
	return s.updateVersionRecord(ctx, bucket, key, versionID, func(rec *metaRecord) error {
		rec.LH = status
		return nil
	})
}

// updateVersionRecord changes the record of one version of key under the
// key's lock. The version is first made an entry of the area (adopt, as
// the next write would), so the record changed is the one of the inode
// both the entry and the plain file name.
func (s *Store) updateVersionRecord(ctx context.Context, bucket, key, versionID string, change func(*metaRecord) error) error {
	info, err := s.Bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if info.ObjectLock == nil {
		return ErrNoObjectLock
	}
	if versionID != "" && !ValidVersionID(versionID) {
		return ErrNoSuchVersion
	}
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer l.unlock()
	defer st.close()
	name := st.find(versionID)
	if name == "" {
		if versionID == "" {
			return ErrNoSuchKey
		}
		return ErrNoSuchVersion
	}
	if _, marker, _, _ := parseEntry(name); marker {
		return &DeleteMarkerError{VersionID: listedID(name), Addressed: versionID != ""}
	}
	if st.plain != nil && st.plain.name == name {
		if err := s.adopt(st); err != nil {
			return err
		}
	}
	f, err := s.root.OpenFile(st.vdir+"/"+name, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return storageErr(err)
	}
	defer f.Close()
	return withFd(f, func(fd int) error {
		return s.editFd(fd, bucket, key, func(rec *metaRecord) error {
			if rec.V == "" {
				rec.V = name
			}
			return change(rec)
		})
	})
}

// checkDeleteLocks refuses the deletion of targets (entries of st) when
// one of them is protected (CheckDelete). It runs under the key's lock.
func (s *Store) checkDeleteLocks(st *vstate, targets []string, bypass bool) error {
	now := lockNow()
	for _, t := range targets {
		if _, marker, _, _ := parseEntry(t); marker {
			continue
		}
		var m ObjectMeta
		if st.plain != nil && st.plain.name == t && !st.inArea(t) {
			m = st.plain.meta()
		} else {
			o, err := s.openEntry(st, t)
			if err != nil {
				continue // gone: nothing to protect
			}
			o.Close()
			m = o.Meta
		}
		if err := CheckDelete(m, now, bypass); err != nil {
			return err
		}
	}
	return nil
}

// DeleteOptions change DeleteObjectVersionOpts.
type DeleteOptions struct {
	// BypassGovernance lets the delete of a version by id remove one under
	// an unexpired GOVERNANCE retention (never COMPLIANCE, never a legal
	// hold).
	BypassGovernance bool
}
