package fsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Nodes. Every Open is a new node: a random id that names the node's
// temp files and its heartbeat file, .caddys3/nodes/<node>, whose mtime
// the node refreshes every nodeBeat until Close removes it:
//
//	.caddys3/nodes/<node>                 heartbeat of a live node (16 hex digits)
//	.caddys3/tmp/n-<node>.<prefix><rand>  a temp file of that node
//
// A node whose heartbeat is missing or older than staleBeats beats is
// dead: its temp files are removed by the next Open or CleanupTemp of
// any node sharing the root, whatever their age, and every live node
// looks for them at each of its beats. Temp files without a node id
// (written by a release before node ids) and those of live nodes keep the
// age rule of Options.StaleTempAge. A process that restarts is a new
// node: its previous incarnation's leftovers go at the restart if its
// heartbeat is already stale or names a process of this machine (boot id
// and PID namespace) that is gone, else within staleBeats+1 beats of its
// death.
const (
	nodesDir = internalDir + "/nodes"

	// defaultNodeBeat is how often a node refreshes its heartbeat file.
	defaultNodeBeat = 10 * time.Second
	// staleBeats is how many heartbeat intervals a node (or a Complete's
	// claim) may miss before it counts as dead.
	staleBeats = 3

	nodeIDLen  = 16
	nodePrefix = "n-"
)

// newNodeID returns a fresh random node id.
func newNodeID() string {
	var b [nodeIDLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tempName is a fresh name in the staging directory for prefix, carrying
// the node's id.
func (s *Store) tempName(prefix string) string {
	return tmpDir + "/" + nodePrefix + s.node + "." + prefix + rand.Text()
}

// tempNode returns the node id in a staging entry's name, "" for a name
// without one (older releases).
func tempNode(name string) string {
	rest, ok := strings.CutPrefix(name, nodePrefix)
	if !ok || len(rest) <= nodeIDLen || rest[nodeIDLen] != '.' {
		return ""
	}
	id := rest[:nodeIDLen]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return id
}

// newHeartbeat starts the name of a heartbeat file being written.
const newHeartbeat = ".new-"

func nodeFile(id string) string { return nodesDir + "/" + id }

// startNode creates the node's heartbeat file and the goroutine that
// refreshes it until stopNode.
func (s *Store) startNode() error {
	if err := s.root.MkdirAll(nodesDir, 0o755); err != nil {
		return err
	}
	if err := s.writeHeartbeat(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopBeat = cancel
	s.beatDone = make(chan struct{})
	go func() {
		defer close(s.beatDone)
		t := time.NewTicker(s.nodeBeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if s.touch(nodeFile(s.node)) != nil {
					// Removed by a node that took us for dead (a
					// pause of several beats): announce us again.
					s.writeHeartbeat()
				}
				// A node that died shortly before we started had a fresh
				// heartbeat at Open: its leftovers go once it is stale.
				s.CleanupTemp(ctx, math.MaxInt64)
			}
		}
	}()
	return nil
}

// writeHeartbeat (re)creates the node's heartbeat file, through a temp
// file in the nodes directory: one in the temp directory would carry this
// node's prefix while it has no heartbeat file yet, which is how other
// nodes recognise a dead node's leftovers, and could be swept before it
// is published. A leftover is removed by cleanNodes once surely
// abandoned.
func (s *Store) writeHeartbeat() error {
	tmp := nodesDir + "/" + newHeartbeat + s.node
	if err := s.root.WriteFile(tmp, []byte(selfProcess()), 0o644); err != nil {
		return storageErr(err)
	}
	return storageErr(s.root.Rename(tmp, nodeFile(s.node)))
}

// stopNode stops the heartbeat and removes the node's heartbeat file.
func (s *Store) stopNode() {
	if s.stopBeat == nil {
		return
	}
	s.stopBeat()
	<-s.beatDone
	s.root.Remove(nodeFile(s.node))
}

// nodeAlive reports whether node id has a fresh heartbeat (memoised in
// alive for one scan). Errors other than a missing file count as alive.
func (s *Store) nodeAlive(id string, alive map[string]bool) bool {
	if id == s.node {
		return true
	}
	if v, ok := alive[id]; ok {
		return v
	}
	fi, err := s.root.Lstat(nodeFile(id))
	v := !errors.Is(err, fs.ErrNotExist) &&
		(err != nil || time.Since(fi.ModTime()) <= staleBeats*s.nodeBeat)
	if v && err == nil {
		if b, err := s.root.ReadFile(nodeFile(id)); err == nil && processGone(string(b)) {
			v = false
		}
	}
	alive[id] = v
	return v
}

// selfProcess identifies this process for its heartbeat file: the
// kernel's boot id, the PID namespace, the pid and the process's start
// time (field 22 of /proc/<pid>/stat). Empty when /proc cannot tell.
var selfProcess = sync.OnceValue(func() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	pid := os.Getpid()
	start := processStart(pid)
	if start == "" || strings.ContainsAny(ns, " \n") {
		return ""
	}
	return fmt.Sprintf("%s %s %d %s\n", strings.TrimSpace(string(boot)), ns, pid, start)
})

// processStart returns the start time of process pid (in clock ticks
// since boot), "" if there is no such process or /proc cannot tell.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// processGone reports whether the heartbeat file content hb (see
// selfProcess) names a process of this machine and PID namespace that is
// no longer running: a node killed and restarted on the same machine is
// then known dead at once, without waiting for its heartbeat to go stale.
// Nodes of other machines or namespaces are never judged this way.
func processGone(hb string) bool {
	self := strings.Fields(selfProcess())
	f := strings.Fields(hb)
	if len(self) != 4 || len(f) != 4 || f[0] != self[0] || f[1] != self[1] {
		return false
	}
	pid, err := strconv.Atoi(f[2])
	if err != nil || pid <= 0 {
		return false
	}
	if _, err := os.Stat("/proc/" + f[2]); errors.Is(err, fs.ErrNotExist) {
		return true
	}
	start := processStart(pid)
	return start != "" && start != f[3]
}

// cleanNodes removes the heartbeat files of dead nodes, once their temp
// files are gone (a temp file of a node without a heartbeat file counts
// as dead too).
func (s *Store) cleanNodes(alive map[string]bool) {
	names, _ := s.readDirNames(nodesDir)
	for _, id := range names {
		if strings.HasPrefix(id, newHeartbeat) {
			// A heartbeat being written, or left by a node killed
			// while writing it: removed once surely abandoned.
			if fi, err := s.root.Lstat(nodesDir + "/" + id); err == nil && time.Since(fi.ModTime()) > max(staleBeats*s.nodeBeat, time.Minute) {
				s.root.Remove(nodesDir + "/" + id)
			}
			continue
		}
		if id != s.node && !s.nodeAlive(id, alive) {
			s.root.Remove(nodeFile(id))
		}
	}
}
