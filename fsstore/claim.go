package fsstore

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"strings"
	"time"
)

// Claims of Completes. A Complete claims an upload by renaming <id> to
// <id>.completing (see multipart.go) after touching it, so the claim
// appears with a fresh mtime, and then refreshes that mtime every
// claimBeat (its heartbeat) until it publishes or un-claims. A claim
// whose mtime is older than staleBeats beats belongs to a Complete that
// died (a crash, a kill -9, a node that lost the root): any node sharing
// the root may take it over with recoverClaim, which
//
//  1. renames <id>.completing to a private <id>.reclaim-<rand>: of
//     racing recoverers exactly one rename succeeds;
//  2. checks the directory's mtime again (a rename in the same directory
//     keeps it): a fresh one means another recoverer took the stale claim
//     over and a live Complete claimed the upload again between our check
//     and our rename, so the claim is put back;
//  3. removes the upload if its done record exists (the dead Complete had
//     published), else renames it back to <id>: the upload is un-claimed,
//     listed, abortable and completable again.
//
// The retried Complete (which waits for a claimed upload, see
// CompleteMultipartUpload), Abort, GetUpload, UploadPart, ListParts,
// ListMultipartUploads and CleanupUploads all recover a stale claim they
// meet, so a crashed Complete stalls its upload for at most staleBeats
// beats. Claims written by releases before this one are the same
// <id>.completing directories, touched at the claim and between parts:
// a dead one is recovered the same way. A live Complete that pauses for
// more than staleBeats beats (SIGSTOP, an NFS server gone for that long)
// loses its claim and fails; clocks of the nodes sharing a root must
// agree to well within the stale bound.
const (
	// defaultClaimBeat is how often a running Complete refreshes its
	// claim: a dead Complete's claim is recovered after 3 of them.
	defaultClaimBeat = 5 * time.Second

	reclaimSuffix = ".reclaim-"
)

// claimStaleAfter is the age from which a claim is a dead Complete's.
func (s *Store) claimStaleAfter() time.Duration { return staleBeats * s.claimBeat }

// holdClaim refreshes the mtime of the claimed directory every claimBeat
// until the returned function is called.
func (s *Store) holdClaim(claimed string) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(s.claimBeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.touch(claimed)
			}
		}
	}()
	return func() { close(done); <-exited }
}

// recoverClaim takes over the claim on upload id of bucket if it has not
// been refreshed for staleAfter (see the comment above), returning the
// upload to its un-claimed state or, when its Complete had published,
// removing it. It reports whether it did either.
// testHookReclaimed, set by tests only, runs while a recoverer holds a
// claim under its private name.
var testHookReclaimed func()

func (s *Store) recoverClaim(bucket, id string, staleAfter time.Duration) bool {
	claimed := claimedDir(bucket, id)
	fi, err := s.root.Lstat(claimed)
	if err != nil || time.Since(fi.ModTime()) <= staleAfter {
		return false
	}
	private := uploadDir(bucket, id) + reclaimSuffix + rand.Text()
	if s.root.Rename(claimed, private) != nil {
		return false // taken over (or finished) by someone else
	}
	if testHookReclaimed != nil {
		testHookReclaimed()
	}
	return s.finishRecover(bucket, id, private, staleAfter)
}

// finishRecover ends a take-over of the claim on id, renamed to private.
func (s *Store) finishRecover(bucket, id, private string, staleAfter time.Duration) bool {
	claimed := claimedDir(bucket, id)
	if fi, err := s.root.Lstat(private); err != nil || time.Since(fi.ModTime()) <= staleAfter {
		s.root.Rename(private, claimed) // a live claim: give it back
		return false
	}
	if s.fileExists(doneRecordPath(bucket, id)) {
		s.removeUploadTree(bucket, id, private) // published, not yet removed
		return true
	}
	if err := s.root.Rename(private, uploadDir(bucket, id)); err != nil {
		s.root.Rename(private, claimed)
		return false
	}
	return true
}

// takeOverInProgress reports whether a recoverer holds the claim on id
// under its private name (between recoverClaim's rename and
// finishRecover's): then neither the upload nor its claim nor its result
// is visible, yet the upload is not gone.
func (s *Store) takeOverInProgress(bucket, id string) bool {
	names, err := s.readDirNames(bucketUploads(bucket))
	if err != nil {
		return false
	}
	for _, n := range names {
		if strings.HasPrefix(n, id+reclaimSuffix) {
			return true
		}
	}
	return false
}

// uploadIDOf returns the upload id in a name of the bucket's uploads
// directory: an upload, its claim or a claim being taken over.
func uploadIDOf(name string) (string, bool) {
	id := name
	if i := strings.IndexByte(name, '.'); i >= 0 {
		id = name[:i]
		if rest := name[i:]; rest != claimSuffix && !strings.HasPrefix(rest, reclaimSuffix) {
			return "", false
		}
	}
	return id, validUploadID(id)
}

// waitClaimed waits (up to a second) for the claimed directory to be
// back after a recoverer briefly renamed it away (see recoverClaim, step
// 2); it reports whether it is there.
func (s *Store) waitClaimed(claimed string) bool {
	for range 100 {
		if _, err := s.root.Lstat(claimed); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
