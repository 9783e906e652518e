package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
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
// heartbeat is already stale, else within staleBeats+1 beats of its death.
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

func nodeFile(id string) string { return nodesDir + "/" + id }

// startNode creates the node's heartbeat file and the goroutine that
// refreshes it until stopNode.
func (s *Store) startNode() error {
	if err := s.root.MkdirAll(nodesDir, 0o755); err != nil {
		return err
	}
	f, err := s.root.OpenFile(nodeFile(s.node), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	f.Close()
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
					if f, err := s.root.OpenFile(nodeFile(s.node), os.O_RDONLY|os.O_CREATE, 0o644); err == nil {
						f.Close()
					}
				}
				// A node that died shortly before we started had a fresh
				// heartbeat at Open: its leftovers go once it is stale.
				s.CleanupTemp(ctx, math.MaxInt64)
			}
		}
	}()
	return nil
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
	alive[id] = v
	return v
}

// cleanNodes removes the heartbeat files of dead nodes, once their temp
// files are gone (a temp file of a node without a heartbeat file counts
// as dead too).
func (s *Store) cleanNodes(alive map[string]bool) {
	names, _ := s.readDirNames(nodesDir)
	for _, id := range names {
		if id != s.node && !s.nodeAlive(id, alive) {
			s.root.Remove(nodeFile(id))
		}
	}
}
