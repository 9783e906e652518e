package fsstore

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Recovery from crashed Completes (claim.go) and crashed nodes' temp
// files (node.go), with short heartbeats.

const testClaimBeat = 100 * time.Millisecond // stale after 300ms

// crashedClaim makes an upload of bucket "bkt" with two parts and leaves
// it claimed as a Complete that was killed right after claiming would:
// touched, renamed to <id>.completing, never refreshed. It returns the
// upload, its parts and the claim's time.
func crashedClaim(t *testing.T, s *Store, key string) (Upload, []Part, [][]byte, time.Time) {
	t.Helper()
	u := create(t, s, "bkt", key)
	data := [][]byte{partData(1, 300), partData(2, 77)}
	parts := []Part{uploadPart(t, s, u, 1, data[0]), uploadPart(t, s, u, 2, data[1])}
	dir := uploadDir("bkt", u.UploadID)
	claimedAt := time.Now()
	s.touch(dir)
	if err := s.root.Rename(dir, claimedDir("bkt", u.UploadID)); err != nil {
		t.Fatal(err)
	}
	// The dead Complete's half-joined temp file.
	_, f, err := s.createTemp("mpu-")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data[0][:100])
	f.Close()
	return u, parts, data, claimedAt
}

func TestStaleClaimRecoveredByRetriedComplete(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		s.claimBeat = testClaimBeat
		u, parts, data, claimedAt := crashedClaim(t, s, "k")

		// Before the stale bound the claim is a live Complete's: a retry
		// waits and gives up, Abort and listings do not see the upload.
		s.completeWait = 50 * time.Millisecond
		_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
		mustErr(t, "retry before the stale bound", err, ErrCompleteInProgress)
		mustErr(t, "abort before the stale bound", s.AbortMultipartUpload(ctx, "bkt", "k", u.UploadID), ErrNoSuchUpload)
		if res, err := s.ListMultipartUploads(ctx, "bkt", ListUploadsOptions{}); err != nil || len(res.Uploads) != 0 {
			t.Fatalf("listed before the stale bound: %+v %v", res, err)
		}
		if time.Since(claimedAt) >= s.claimStaleAfter() {
			t.Fatal("the machine is too slow for this test")
		}

		// A retry with a longer wait finishes the object once the claim
		// is stale.
		s.completeWait = time.Minute
		m, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
		took := time.Since(claimedAt)
		if err != nil || m.ETag != wantETag(data...) {
			t.Fatal(m, err)
		}
		if took < s.claimStaleAfter() || took > s.claimStaleAfter()+2*time.Second {
			t.Fatalf("recovered %v after the claim, stale bound %v", took, s.claimStaleAfter())
		}
		t.Logf("recovered %v after the claim (stale bound %v)", took, s.claimStaleAfter())
		got, _ := readObject(t, s, "bkt", "k")
		if !bytes.Equal(got, slices.Concat(data...)) {
			t.Fatal("wrong bytes")
		}
		// The retried Complete again gets the recorded result.
		m2, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
		if err != nil || m2.ETag != m.ETag {
			t.Fatal(m2, err)
		}
		if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{u.UploadID + doneSuffix}) {
			t.Fatalf("uploads directory: %v", ents)
		}
	})
}

func TestStaleClaimAbortAndList(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		s.claimBeat = testClaimBeat
		u, parts, _, _ := crashedClaim(t, s, "k")
		v, _, _, _ := crashedClaim(t, s, "l")
		time.Sleep(s.claimStaleAfter() + 50*time.Millisecond)

		res, err := s.ListMultipartUploads(ctx, "bkt", ListUploadsOptions{})
		if err != nil || len(res.Uploads) != 2 || res.Uploads[0].UploadID != u.UploadID || res.Uploads[1].UploadID != v.UploadID {
			t.Fatalf("after the stale bound: %+v %v", res, err)
		}
		got, _, err := s.ListParts(ctx, "bkt", "k", u.UploadID, 0, 0)
		if err != nil || len(got) != len(parts) {
			t.Fatal(got, err)
		}
		if err := s.AbortMultipartUpload(ctx, "bkt", "k", u.UploadID); err != nil {
			t.Fatal(err)
		}
		_, err = s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
		mustErr(t, "complete after abort", err, ErrNoSuchUpload)

		// Abort straight on a stale claim (not listed first).
		w, _, _, _ := crashedClaim(t, s, "m")
		time.Sleep(s.claimStaleAfter() + 50*time.Millisecond)
		if err := s.AbortMultipartUpload(ctx, "bkt", "m", w.UploadID); err != nil {
			t.Fatal(err)
		}
		if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{v.UploadID}) {
			t.Fatalf("uploads directory: %v", ents)
		}
	})
}

// TestStaleClaimTakeOverRace: of concurrent take-overs of one stale claim
// exactly one wins, and concurrent retried Completes all get the one
// result.
func TestStaleClaimTakeOverRace(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		s.claimBeat = 20 * time.Millisecond
		for round := range 10 {
			u, _, _, _ := crashedClaim(t, s, "r")
			time.Sleep(s.claimStaleAfter() + 20*time.Millisecond)
			var wins atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if s.recoverClaim("bkt", u.UploadID, s.claimStaleAfter()) {
						wins.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: %d take-overs won", round, n)
			}
			if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{u.UploadID}) {
				t.Fatalf("round %d: uploads directory %v", round, ents)
			}
			if err := s.AbortMultipartUpload(ctx, "bkt", "r", u.UploadID); err != nil {
				t.Fatal(err)
			}
		}

		// The recoverer holds the claim under its private name long
		// enough for the other Completes to look: they must wait, not
		// answer NoSuchUpload.
		testHookReclaimed = func() { time.Sleep(50 * time.Millisecond) }
		defer func() { testHookReclaimed = nil }()
		u, parts, data, _ := crashedClaim(t, s, "c")
		time.Sleep(s.claimStaleAfter() + 20*time.Millisecond)
		etags := make([]string, 6)
		var wg sync.WaitGroup
		for i := range etags {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := s.CompleteMultipartUpload(ctx, "bkt", "c", u.UploadID, completeParts(parts...), CompleteOptions{})
				if err != nil {
					t.Errorf("complete %d: %v", i, err)
				}
				etags[i] = m.ETag
			}()
		}
		wg.Wait()
		for i, e := range etags {
			if e != wantETag(data...) {
				t.Fatalf("complete %d: ETag %q", i, e)
			}
		}
	})
}

// TestLiveClaimKept: a Complete whose join takes many stale bounds keeps
// its claim by heartbeating; recoverers never take it.
func TestLiveClaimKept(t *testing.T) {
	s := newStore(t, false)
	s.minPartSize = testMinPart
	// A beat of 100 ms (stale after 300 ms), not less: on a loaded
	// machine (the race detector, a full test run) the beat goroutine can
	// be late by tens of milliseconds, and a take-over then wins rightly.
	s.claimBeat = testClaimBeat
	s.noCopyFileRange = true
	mustBucket(t, s, "bkt")
	u := create(t, s, "bkt", "k")
	var data [][]byte
	var parts []Part
	for n := range 8 {
		data = append(data, partData(n, 1000))
		parts = append(parts, uploadPart(t, s, u, n+1, data[n]))
	}
	// The Complete lasts four stale periods (8 parts × 150 ms).
	testHookWrite = func(int) error { time.Sleep(150 * time.Millisecond); return nil }
	defer func() { testHookWrite = nil }()
	done := make(chan error, 1)
	go func() {
		_, err := s.CompleteMultipartUpload(ctx, "bkt", "k", u.UploadID, completeParts(parts...), CompleteOptions{})
		done <- err
	}()
	tries, stolen := 0, 0
	for {
		select {
		case err := <-done:
			if err != nil || stolen != 0 || tries < 10 {
				t.Fatalf("complete: %v; %d of %d take-overs won", err, stolen, tries)
			}
			got, _ := readObject(t, s, "bkt", "k")
			if !bytes.Equal(got, slices.Concat(data...)) {
				t.Fatal("wrong bytes")
			}
			return
		default:
		}
		tries++
		if s.recoverClaim("bkt", u.UploadID, s.claimStaleAfter()) {
			stolen++
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStaleClaimCleanup(t *testing.T) {
	mpModes(t, func(t *testing.T, s *Store) {
		s.claimBeat = testClaimBeat
		u, _, _, _ := crashedClaim(t, s, "k")
		// A live claim (fresh) stays whatever the cleanup's age...
		if _, err := s.CleanupUploads(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{u.UploadID + claimSuffix}) {
			t.Fatalf("uploads directory: %v", ents)
		}
		// ...a stale one is un-claimed, and kept as the upload is young.
		time.Sleep(s.claimStaleAfter() + 50*time.Millisecond)
		if n, err := s.CleanupUploads(ctx, time.Hour); err != nil || n != 0 {
			t.Fatal(n, err)
		}
		if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{u.UploadID}) {
			t.Fatalf("uploads directory: %v", ents)
		}
		// An interrupted take-over (<id>.reclaim-*) is finished.
		v, _, _, _ := crashedClaim(t, s, "l")
		private := uploadDir("bkt", v.UploadID) + reclaimSuffix + "X"
		if err := s.root.Rename(claimedDir("bkt", v.UploadID), private); err != nil {
			t.Fatal(err)
		}
		time.Sleep(s.claimStaleAfter() + 50*time.Millisecond)
		if n, err := s.CleanupUploads(ctx, time.Hour); err != nil || n != 0 {
			t.Fatal(n, err)
		}
		if ents := uploadEntries(t, s, "bkt"); !slices.Equal(ents, []string{u.UploadID, v.UploadID}) {
			t.Fatalf("uploads directory: %v", ents)
		}
	})
}

// TestDeadNodeTempFiles: Open removes the temp files of dead nodes (no
// heartbeat, or a stale one) at once and keeps a live node's and those
// without a node id younger than the stale temp age.
func TestDeadNodeTempFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	opts := Options{Root: root, nodeBeat: 50 * time.Millisecond}
	live, err := open(opts, false)
	if err != nil {
		t.Fatal(err)
	}
	liveTmp, f, err := live.createTemp("put-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	liveStage := live.tempName("mpu-")
	if err := live.root.Mkdir(liveStage, 0o755); err != nil {
		t.Fatal(err)
	}

	tmp := filepath.Join(root, tmpDir)
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A node that never had a heartbeat file (or lost it) and one whose
	// heartbeat is stale.
	write(nodePrefix + "0123456789abcdef.put-AAAA")
	write(nodePrefix + "fedcba9876543210.part-BBBB")
	if err := os.MkdirAll(filepath.Join(tmp, nodePrefix+"fedcba9876543210.mpu-CCCC"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(nodePrefix+"fedcba9876543210.mpu-CCCC", "upload"))
	hb := filepath.Join(root, nodeFile("fedcba9876543210"))
	write("../nodes/fedcba9876543210")
	old := time.Now().Add(-time.Second)
	os.Chtimes(hb, old, old)
	// Old-release names (no node id): the age rule.
	write("put-OLDFRESH")
	write("part-OLDSTALE")
	os.Chtimes(filepath.Join(tmp, "part-OLDSTALE"), time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour))

	// Let the live node miss nothing but age its files past the dead
	// nodes' bound.
	time.Sleep(200 * time.Millisecond)
	second, err := open(opts, false)
	if err != nil {
		t.Fatal(err)
	}
	left := tmpEntries(t, second)
	want := []string{filepath.Base(liveTmp), filepath.Base(liveStage), "put-OLDFRESH"}
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after Open: %v, want %v", left, want)
	}
	if exists(t, hb) {
		t.Fatal("the dead node's heartbeat file is still there")
	}

	// The live node closes (its heartbeat goes) leaving a temp file, as
	// a node killed would: the next Open removes it at once.
	live.Close()
	if exists(t, filepath.Join(root, nodeFile(live.node))) {
		t.Fatal("Close left the heartbeat file")
	}
	if _, err := second.CleanupTemp(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	left = tmpEntries(t, second)
	if !slices.Equal(left, []string{"put-OLDFRESH"}) {
		t.Fatalf("after the node closed: %v", left)
	}
	second.Close()
}

// TestDeadNodeSweptByLiveNode: a node killed just before another opened
// the root still had a fresh heartbeat at that Open; the live node removes
// its temp files once the heartbeat is stale, and not before.
func TestDeadNodeSweptByLiveNode(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	opts := Options{Root: root, nodeBeat: 50 * time.Millisecond}
	dead, err := open(opts, false)
	if err != nil {
		t.Fatal(err)
	}
	name, f, err := dead.createTemp("put-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Killed: the heartbeat stops, its file stays.
	dead.stopBeat()
	<-dead.beatDone
	dead.root.Close()
	died := time.Now()

	live, err := open(opts, false)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if left := tmpEntries(t, live); !slices.Equal(left, []string{filepath.Base(name)}) {
		t.Fatalf("after Open: %v", left)
	}
	for len(tmpEntries(t, live)) != 0 {
		if time.Since(died) > 5*time.Second {
			t.Fatal("the dead node's temp file was not removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if took := time.Since(died); took < staleBeats*live.nodeBeat {
		t.Fatalf("removed %v after the node died, before its heartbeat was stale", took)
	}
	if exists(t, filepath.Join(root, nodeFile(dead.node))) {
		t.Fatal("the dead node's heartbeat file is still there")
	}
}

// TestDeadProcessNode: a node whose heartbeat is fresh but names a process
// of this machine that has exited (killed and restarted at once) is dead
// at Open; one naming a live process, or another machine, is not.
func TestDeadProcessNode(t *testing.T) {
	self := selfProcess()
	if self == "" {
		t.Skip("no /proc")
	}
	f := strings.Fields(self)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	exited := fmt.Sprintf("%s %s %d %s\n", f[0], f[1], cmd.Process.Pid, f[3])
	otherStart := fmt.Sprintf("%s %s %s %s1\n", f[0], f[1], f[2], f[3])
	otherHost := fmt.Sprintf("%s-x %s %d %s\n", f[0], f[1], cmd.Process.Pid, f[3])
	for hb, gone := range map[string]bool{self: false, exited: true, otherStart: true, otherHost: false, "": false, "x": false} {
		if processGone(hb) != gone {
			t.Errorf("processGone(%q) = %v", hb, !gone)
		}
	}

	root := filepath.Join(t.TempDir(), "root")
	s, err := Open(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(root, tmpDir)
	for id, hb := range map[string]string{"00000000000000aa": exited, "00000000000000bb": otherHost} {
		if err := os.WriteFile(filepath.Join(root, nodeFile(id)), []byte(hb), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, nodePrefix+id+".put-X"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if left := tmpEntries(t, s); !slices.Equal(left, []string{nodePrefix + "00000000000000bb.put-X"}) {
		t.Fatalf("after Open: %v", left)
	}
}

// A node starting while another sweeps dead nodes' leftovers at every
// beat: its first heartbeat must not be swept as a dead node's temp file
// before it is published (Open failed with ENOENT on the rename).
func TestNodeStartRacesSweep(t *testing.T) {
	root := t.TempDir()
	opts := Options{Root: root, nodeBeat: time.Millisecond}
	live, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	for i := 0; i < 300; i++ {
		s, err := Open(opts)
		if err != nil {
			t.Fatalf("Open #%d while another node sweeps: %v", i, err)
		}
		s.Close()
	}
}
