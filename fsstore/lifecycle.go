package fsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// Hooks of the lifecycle executor (package lifecycle/executor): a checked
// expiry under the key's lock, a cross-node lease, and its state files.
//
//	.caddys3/lifecycle/<name>.lease  who runs the scans, until when
//	.caddys3/lifecycle/<name>        the executor's own state (its cursor)

const lifecycleDir = internalDir + "/lifecycle"

// KeyVersion is one version of a key as ExpireVersion's check sees it,
// newest first. ETag and Modified are set for the latest version when it
// holds data (they tell an unversioned key's objects apart).
type KeyVersion struct {
	VersionID    string // NullVersion for the null version
	DeleteMarker bool
	ETag         string
	Modified     time.Time
}

// ExpireVersion removes what a lifecycle rule expires, when check, called
// under the key's lock with the key's versions newest first, still
// approves: so a write or delete that came after the executor looked is
// never undone by a decision taken on what it replaced. versionID "" is
// the current version (a delete marker in a bucket that has versioning,
// the object otherwise); any other id (NullVersion included) removes
// that version for good. A version under object lock is never removed
// (ErrObjectLocked). It reports whether it acted.
func (s *Store) ExpireVersion(ctx context.Context, bucket, key, versionID string, check func([]KeyVersion) bool) (bool, error) {
	versioned, err := s.bucketState(bucket)
	if err != nil {
		return false, err
	}
	status := ""
	if versioned {
		if status, err = s.versioningOf(ctx, bucket); err != nil {
			return false, err
		}
	}
	l, st, err := s.lockState(ctx, bucket, key)
	if err != nil {
		return false, err
	}
	defer l.unlock()
	defer st.close()
	if !check(keyVersions(st, versioned)) {
		return false, nil
	}
	switch {
	case !versioned && versionID == "":
		return true, s.deletePlain(bucket, key, true)
	case !versioned:
		return false, fmt.Errorf("fsstore: expire %s/%s: version %q in a bucket without versioning", bucket, key, versionID)
	case versionID == "":
		_, err = s.deleteMarkerLocked(st, status, "")
	default:
		_, err = s.deleteVersionLocked(ctx, st, versionID, DeleteOptions{})
	}
	return err == nil, err
}

// keyVersions lists st's versions newest first for ExpireVersion's check.
func keyVersions(st *vstate, versioned bool) []KeyVersion {
	var out []KeyVersion
	if !versioned {
		if st.plain != nil {
			m := st.plain.meta()
			out = append(out, KeyVersion{VersionID: NullVersion, ETag: m.ETag, Modified: m.LastModified})
		}
		return out
	}
	for _, n := range st.listed() {
		_, marker, _, _ := parseEntry(n)
		kv := KeyVersion{VersionID: listedID(n), DeleteMarker: marker}
		if len(out) == 0 && !marker && st.plain != nil && st.plain.name == n {
			m := st.plain.meta()
			kv.ETag, kv.Modified = m.ETag, m.LastModified
		}
		out = append(out, kv)
	}
	return out
}

// Lease is who holds a named lease and until when.
type Lease struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

func leasePath(name string) string { return lifecycleDir + "/" + name + ".lease" }

// TakeLease takes or renews the lease name for this node until now+ttl.
// It is refused (false, with the current lease) while another node holds
// it unexpired and that node is alive (its heartbeat, node.go): a holder
// killed on this machine is taken over at once, one elsewhere once its
// heartbeat is stale or the lease expires. Read, decide and publish run
// under a cross-process lock, so of racing takers one wins.
func (s *Store) TakeLease(ctx context.Context, name string, now time.Time, ttl time.Duration) (bool, Lease, error) {
	if err := s.root.MkdirAll(lifecycleDir, 0o755); err != nil {
		return false, Lease{}, storageErr(err)
	}
	l, err := s.lockKey(ctx, "", "lease:"+name)
	if err != nil {
		return false, Lease{}, err
	}
	defer l.unlock()
	cur, err := s.readLease(name)
	if err != nil {
		return false, Lease{}, err
	}
	if cur.Holder != "" && cur.Holder != s.node && now.Before(cur.Expires) && s.nodeAlive(cur.Holder, map[string]bool{}) {
		return false, cur, nil
	}
	next := Lease{Holder: s.node, Expires: now.Add(ttl)}
	b, err := json.Marshal(next)
	if err != nil {
		return false, Lease{}, err
	}
	if err := s.writeAtomic(leasePath(name), b, false); err != nil {
		return false, Lease{}, fmt.Errorf("fsstore: lease %s: %w", name, err)
	}
	return true, next, nil
}

// ReleaseLease gives up the lease name if this node holds it.
func (s *Store) ReleaseLease(ctx context.Context, name string) error {
	l, err := s.lockKey(ctx, "", "lease:"+name)
	if err != nil {
		return err
	}
	defer l.unlock()
	cur, err := s.readLease(name)
	if err != nil || cur.Holder != s.node {
		return err
	}
	if err := s.root.Remove(leasePath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storageErr(err)
	}
	return nil
}

// readLease reads the lease name (zero when there is none).
func (s *Store) readLease(name string) (Lease, error) {
	var cur Lease
	b, err := s.root.ReadFile(leasePath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return cur, nil
	}
	if err != nil {
		return cur, storageErr(err)
	}
	if err := json.Unmarshal(b, &cur); err != nil {
		// A torn or foreign file holds nothing: the next taker replaces it.
		return Lease{}, nil
	}
	return cur, nil
}

// ReadLifecycleState returns the executor's state file name (nil when
// there is none).
func (s *Store) ReadLifecycleState(name string) ([]byte, error) {
	b, err := s.root.ReadFile(lifecycleDir + "/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, storageErr(err)
}

// WriteLifecycleState replaces the executor's state file name atomically
// (temp file and rename: a crash leaves the old or the new one).
func (s *Store) WriteLifecycleState(name string, data []byte) error {
	if err := s.root.MkdirAll(lifecycleDir, 0o755); err != nil {
		return storageErr(err)
	}
	return s.writeAtomic(lifecycleDir+"/"+name, data, false)
}

// uploadCutoff is the age cutoff of CleanupUploads for a bucket (info,
// read with err): none for a bucket whose lifecycle rules abort its
// uploads themselves (Options.KeepsOwnUploads), so the server-wide age
// stays the default only for buckets without such a rule.
func (s *Store) uploadCutoff(info BucketInfo, err error, cutoff time.Time) time.Time {
	if err == nil && s.keepsOwnUploads != nil && s.keepsOwnUploads(info) {
		return time.Time{}
	}
	return cutoff
}
