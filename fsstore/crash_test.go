package fsstore

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash test re-executes the test binary as a writer process (see
// TestMain), SIGKILLs it at random points while it puts, overwrites,
// deletes and completes multipart uploads, reopens the store and checks
// that everything visible is whole.

const (
	crashEnvRoot    = "FSSTORE_CRASH_WRITER_ROOT"
	crashEnvSidecar = "FSSTORE_CRASH_WRITER_SIDECAR"
	crashEnvSeed    = "FSSTORE_CRASH_WRITER_SEED"
	// crashEnvStop makes the writer stop (until killed) the first time,
	// after three operations, that a "put" or "complete" has staged its
	// object and is about to publish it.
	crashEnvStop = "FSSTORE_CRASH_WRITER_STOP"
	crashBucket  = "crash"
)

// crashKeys are overwritten again and again; some need escaping.
var crashKeys = []string{"k0", "k1", "k2", "k3", "d/k0", "d/e/k1", "d/e/k2", "a//b", "../x", "./.", "%%", "m/"}

func TestMain(m *testing.M) {
	if root := os.Getenv(crashEnvRoot); root != "" {
		seed, _ := strconv.ParseUint(os.Getenv(crashEnvSeed), 10, 64)
		crashWriter(root, os.Getenv(crashEnvSidecar) == "1", seed, os.Getenv(crashEnvStop))
		os.Exit(3) // not reached: the writer runs until killed
	}
	os.Exit(m.Run())
}

// crashContent is the body of key at generation gen: size bytes from a
// generator seeded by both.
func crashContent(key string, gen uint64, size int) []byte {
	h := fnv.New64a()
	io.WriteString(h, key)
	r := rand.New(rand.NewPCG(h.Sum64(), gen))
	b := make([]byte, size+8)
	for i := 0; i < size; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b[:size]
}

// crashWriter writes until killed, printing a line per finished operation.
func crashWriter(root string, sidecar bool, seed uint64, stop string) {
	s, err := open(Options{Root: root, NoCopyFileRange: seed%2 == 1}, sidecar)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	s.minPartSize = 64 << 10
	rng := rand.New(rand.NewPCG(seed, 42))
	out := bufio.NewWriter(os.Stdout)
	done := func(op string) { fmt.Fprintln(out, op); out.Flush() }
	var current string // the operation in progress
	var gen uint64
	finished := 0
	testHookStaged = func(_, key string) {
		if stop != "" && current == stop && finished >= 3 {
			fmt.Fprintf(out, "stopped %s %d\n", key, gen)
			out.Flush()
			time.Sleep(time.Hour)
		}
	}
	for ; ; finished++ {
		key := crashKeys[rng.IntN(len(crashKeys))]
		gen = rng.Uint64()
		current = ""
		meta := ObjectMeta{UserMeta: map[string]string{"gen": strconv.FormatUint(gen, 10)}}
		if strings.HasSuffix(key, "/") {
			if _, err := s.PutObject(ctx, crashBucket, key, nil, PutOptions{Meta: meta}); err != nil {
				fmt.Println("marker:", err)
				os.Exit(2)
			}
			done("marker")
			continue
		}
		switch op := rng.IntN(10); {
		case op < 5:
			size := rng.IntN(1 << 20)
			meta.UserMeta["size"] = strconv.Itoa(size)
			opts := PutOptions{Meta: meta}
			current = "put"
			if op == 0 {
				opts.IfNoneMatch = "*"
			}
			_, err := s.PutObject(ctx, crashBucket, key, bytes.NewReader(crashContent(key, gen, size)), opts)
			if err != nil && !(op == 0 && errors.Is(err, ErrPreconditionFailed)) {
				fmt.Println("put:", err)
				os.Exit(2)
			}
			done("put")
		case op < 6:
			if err := s.DeleteObject(ctx, crashBucket, key); err != nil {
				fmt.Println("delete:", err)
				os.Exit(2)
			}
			done("delete")
		default:
			n, ps := 2+rng.IntN(3), (64+rng.IntN(448))<<10
			size := (n-1)*ps + 1 + rng.IntN(ps)
			meta.UserMeta["size"] = strconv.Itoa(size)
			meta.UserMeta["ps"] = strconv.Itoa(ps)
			u, err := s.CreateMultipartUpload(ctx, crashBucket, key, meta)
			if err != nil {
				fmt.Println("create:", err)
				os.Exit(2)
			}
			data := crashContent(key, gen, size)
			var parts []CompletePart
			for i := 0; i < n; i++ {
				p, err := s.UploadPart(ctx, crashBucket, key, u.UploadID, i+1, bytes.NewReader(data[i*ps:min(size, (i+1)*ps)]), nil)
				if err != nil {
					fmt.Println("part:", err)
					os.Exit(2)
				}
				parts = append(parts, CompletePart{PartNumber: i + 1, ETag: p.ETag})
			}
			if rng.IntN(4) == 0 {
				done("abandoned") // left for the cleanup
				continue
			}
			current = "complete"
			if _, err := s.CompleteMultipartUpload(ctx, crashBucket, key, u.UploadID, parts, CompleteOptions{}); err != nil {
				fmt.Println("complete:", err)
				os.Exit(2)
			}
			done("complete")
		}
	}
}

// TestCrashSafety kills a writer process repeatedly and checks the store
// after each kill.
func TestCrashSafety(t *testing.T) {
	for _, sidecar := range []bool{false, true} {
		name := "xattr"
		if sidecar {
			name = "sidecar"
		}
		t.Run(name, func(t *testing.T) { testCrashSafety(t, sidecar) })
	}
}

func testCrashSafety(t *testing.T, sidecar bool) {
	root := filepath.Join(t.TempDir(), "root")
	s, err := open(Options{Root: root}, sidecar)
	if err != nil {
		t.Fatal(err)
	}
	mustBucket(t, s, crashBucket)
	s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ops := map[string]int{}
	leftovers, verified := 0, 0
	for round := range 6 {
		// Rounds 1 and 4 stop the writer between staging and publishing a
		// Complete, rounds 2 and 5 a put; the others kill it at random.
		stop := []string{"", "complete", "put"}[round%3]
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnvRoot+"="+root, crashEnvSeed+"="+strconv.Itoa(round), crashEnvStop+"="+stop,
			crashEnvSidecar+"="+map[bool]string{false: "0", true: "1"}[sidecar])
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1000)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it finish a few operations (or reach the stop), then kill it
		// at a random moment.
		var stopped []string // key, generation
		deadline := time.After(30 * time.Second)
		for n := 0; stop == "" && n < 3 || stop != "" && stopped == nil; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("writer exited: %v", cmd.Wait())
				}
				if strings.Contains(l, ":") {
					t.Fatalf("writer failed: %s", l)
				}
				if f, ok := strings.CutPrefix(l, "stopped "); ok {
					i := strings.LastIndexByte(f, ' ')
					stopped = []string{f[:i], f[i+1:]}
					continue
				}
				ops[l]++
				n++
			case <-deadline:
				cmd.Process.Kill()
				t.Fatal("writer made no progress")
			}
		}
		if stop == "" {
			time.Sleep(time.Duration(rng.IntN(150_000)) * time.Microsecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		for l := range lines {
			if strings.Contains(l, ":") {
				t.Fatalf("writer failed: %s", l)
			}
			ops[l]++
		}
		ents, _ := os.ReadDir(filepath.Join(root, tmpDir))
		if len(ents) > 0 {
			leftovers++
		}
		if stopped != nil {
			// The staged object is in the staging directory, never at its key.
			if len(ents) == 0 {
				t.Fatalf("round %d: nothing staged when the writer stopped", round)
			}
			if stop == "complete" && !hasClaim(t, filepath.Join(root, bucketUploads(crashBucket))) {
				t.Fatalf("round %d: no claimed upload when the writer stopped in Complete", round)
			}
		}

		// Restart: temp files left by the dead writer go at Open (their
		// age is set tiny here; no other process can own them).
		time.Sleep(5 * time.Millisecond)
		s, err := open(Options{Root: root, StaleTempAge: time.Millisecond}, sidecar)
		if err != nil {
			t.Fatal(err)
		}
		if left := tmpEntries(t, s); len(left) != 0 {
			t.Fatalf("round %d: temp files left after Open: %v", round, left)
		}
		if stopped != nil {
			if o, err := s.OpenObject(ctx, crashBucket, stopped[0]); err == nil {
				if o.Meta.UserMeta["gen"] == stopped[1] {
					t.Fatalf("round %d: the unpublished %s of %q is visible", round, stop, stopped[0])
				}
				o.Close()
			}
		}
		verified += verifyCrashStore(t, s)
		s.Close()
	}
	t.Logf("writer ops %v; rounds with temp leftovers %d; objects verified %d", ops, leftovers, verified)
	if ops["put"] == 0 || ops["complete"] == 0 || verified == 0 {
		t.Fatalf("the writer did too little to test anything: %v, %d verified", ops, verified)
	}
	if leftovers == 0 {
		t.Fatal("no kill interrupted a write")
	}
}

// verifyCrashStore checks every visible object and in-progress upload,
// then removes the uploads as the periodic cleanup would; it returns the
// number of objects checked.
func verifyCrashStore(t *testing.T, s *Store) int {
	t.Helper()
	listed := map[string]ObjectMeta{}
	o := ListOptions{MaxKeys: 3}
	for {
		res, err := s.ListObjects(ctx, crashBucket, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Objects {
			listed[e.Key] = e.Meta
		}
		if !res.IsTruncated {
			break
		}
		o.After = res.Next
	}
	for key, lm := range listed {
		if !slices.Contains(crashKeys, key) {
			t.Fatalf("listed unknown key %q", key)
		}
		data, m := readObject(t, s, crashBucket, key)
		if m.ETag != lm.ETag || m.Size != lm.Size {
			t.Fatalf("%q: listing %+v, head %+v", key, lm, m)
		}
		checkCrashObject(t, key, data, m)
	}
	// In-progress uploads: every part whole.
	ups, err := s.ListMultipartUploads(ctx, crashBucket, ListUploadsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		parts, _, err := s.ListParts(ctx, crashBucket, u.Key, u.UploadID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			b, err := s.root.ReadFile(uploadDir(crashBucket, u.UploadID) + "/" + partName(p.PartNumber))
			if err != nil || int64(len(b)) != p.Size || md5hex(b) != p.ETag {
				t.Fatalf("upload %s part %d torn: %d bytes, %+v, %v", u.UploadID, p.PartNumber, len(b), p, err)
			}
		}
	}
	// The periodic cleanup removes abandoned uploads and the claims of
	// Completes killed midway.
	if _, err := s.CleanupUploads(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(rootPath(s), bucketUploads(crashBucket))); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("uploads left after cleanup: %v", names)
	}
	return len(listed)
}

// checkCrashObject checks that data is exactly what one writer operation
// wrote under key, with its own metadata.
func checkCrashObject(t *testing.T, key string, data []byte, m ObjectMeta) {
	t.Helper()
	gen, err := strconv.ParseUint(m.UserMeta["gen"], 10, 64)
	if err != nil {
		t.Fatalf("%q: object without its metadata: %+v", key, m)
	}
	if strings.HasSuffix(key, "/") {
		if len(data) != 0 || m.ETag != md5hex(nil) {
			t.Fatalf("%q: marker %d bytes, %+v", key, len(data), m)
		}
		return
	}
	size, _ := strconv.Atoi(m.UserMeta["size"])
	if len(data) != size || m.Size != int64(size) || !bytes.Equal(data, crashContent(key, gen, size)) {
		t.Fatalf("%q: torn object: %d bytes (meta size %d, written %d)", key, len(data), m.Size, size)
	}
	want := md5hex(data)
	if ps, err := strconv.Atoi(m.UserMeta["ps"]); err == nil {
		h := md5.New()
		n := 0
		for off := 0; off < size; off += ps {
			s := md5.Sum(data[off:min(size, off+ps)])
			h.Write(s[:])
			n++
		}
		want = hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(n)
	}
	if m.ETag != want {
		t.Fatalf("%q: ETag %s, data says %s", key, m.ETag, want)
	}
}

// hasClaim reports whether the uploads directory dir holds an upload
// claimed by a Complete.
func hasClaim(t *testing.T, dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), claimSuffix) {
			return true
		}
	}
	return false
}
