package e2e

// One bounded adversarial run that mixes, in a seeded random order, the
// hardening cases of unsigned_headers_test.go, symlink_test.go,
// http_faults_test.go and refusals_test.go against the shared server:
//
//	(a) signed requests with extra unsigned x-amz-* headers,
//	(b) requests for keys through symlinks planted in the storage root,
//	(c) malformed framings over raw TCP and tampered aws-chunked bodies,
//	(d) requests for refused features (SSE-C, Object Lock).
//
// Every answer must be below 500 (a refused feature may answer S3's own
// 501 NotImplemented, and nothing else of 5xx), no adversarial request
// publishes anything under a key it names, and bob's bucket and a file
// outside the root stay as they were. CADDYS3_ADV_SEED=n replays a seed.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// advTarget is one (bucket, key) an adversarial request named.
type advTarget struct{ bucket, key string }

func TestAdversarialNo5xx(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CADDYS3_ADV_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CADDYS3_ADV_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (CADDYS3_ADV_SEED=%d replays this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0xad5))

	ab := makeBucket(t, alice, "adv-alice")
	bb := makeBucket(t, bob, "adv-bob")
	cl, bcl := aliceSDK(), bobSDK()
	src := []byte("alice source object")
	putBytes(t, cl, ab, "src", src)
	putBytes(t, cl, ab, "nest/deep/real", []byte("nested"))
	bobObjects := map[string]string{"secret": "bob-data", "sub/x": "bob-x"}
	for k, v := range bobObjects {
		putBytes(t, bcl, bb, k, []byte(v))
	}
	outside := t.TempDir()
	outsideFile := filepath.Join(outside, "secret")
	if err := os.WriteFile(outsideFile, []byte("outside-data"), 0o644); err != nil {
		t.Fatal(err)
	}
	adir := filepath.Join(srv.root, ab)
	for name, target := range map[string]string{
		"d":           "../" + bb,       // a directory link into bob's bucket
		"kout":        outsideFile,      // a file link out of the root
		"nest/deep/l": "../../../" + bb, // a link in a nested prefix
	} {
		if err := os.Symlink(target, filepath.Join(adir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	// Files that exist on disk under a key's path before the run (through
	// the links, bob's objects); anything else that appears is published.
	preexisting := map[string]bool{}
	for _, p := range []string{"src", "nest/deep/real", "kout", "d/secret", "d/sub/x", "nest/deep/l/secret", "nest/deep/l/sub/x"} {
		preexisting[filepath.Join(adir, filepath.FromSlash(p))] = true
	}
	for k := range bobObjects {
		preexisting[filepath.Join(srv.root, bb, filepath.FromSlash(k))] = true
	}

	var named []advTarget
	fivexx := 0
	check := func(class, what string, status int, allow2xx bool, allowed5xx int) {
		t.Helper()
		switch {
		case status >= 500 && status != allowed5xx:
			fivexx++
			t.Errorf("(%s) %s: HTTP %d", class, what, status)
		case status >= 200 && status < 300 && !allow2xx:
			t.Errorf("(%s) %s: accepted with HTTP %d", class, what, status)
		}
	}
	linkKeys := []string{"d/secret", "d/sub/x", "d/new", "d/sub/new", "kout", "kout/x", "nest/deep/l/secret", "nest/deep/l/new", "nest/deep/l/sub/x"}
	randKey := func(prefix string, i int) string {
		if rng.IntN(3) == 0 {
			return linkKeys[rng.IntN(len(linkKeys))]
		}
		return fmt.Sprintf("%s/%d", prefix, i)
	}

	// (a) a signed request plus unsigned x-amz-* headers.
	unsignedHeaders := []func() (string, string){
		func() (string, string) { return "X-Amz-Copy-Source", bb + "/secret" },
		func() (string, string) { return "X-Amz-Copy-Source", "/" + ab + "/src" },
		func() (string, string) { return "X-Amz-Copy-Source", ab + "/d/secret" },
		func() (string, string) { return fmt.Sprintf("X-Amz-Meta-M%d", rng.IntN(100)), "evil" },
		func() (string, string) { return "X-Amz-Server-Side-Encryption", "AES256" },
		func() (string, string) { return "X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256" },
		func() (string, string) {
			return "X-Amz-Server-Side-Encryption-Customer-Key", sseCHeaders.Get("X-Amz-Server-Side-Encryption-Customer-Key")
		},
		func() (string, string) { return "X-Amz-Tagging", "team=a&env=b" },
		func() (string, string) { return "X-Amz-Object-Lock-Mode", "COMPLIANCE" },
		func() (string, string) { return "X-Amz-Object-Lock-Retain-Until-Date", "2099-01-01T00:00:00Z" },
		func() (string, string) { return "X-Amz-Object-Lock-Legal-Hold", "ON" },
	}
	classA := func(i int) {
		key := randKey("a", i)
		named = append(named, advTarget{ab, key})
		req := buildRaw(t, rawReq{Method: "PUT", Path: objPath(ab, key), Body: randomBytes(rng.IntN(256)), Creds: &alice})
		var extra []string
		for n := 1 + rng.IntN(3); n > 0; n-- {
			k, v := unsignedHeaders[rng.IntN(len(unsignedHeaders))]()
			req.Header.Add(k, v)
			extra = append(extra, k)
		}
		r := send(t, req)
		check("a", fmt.Sprintf("PUT %s with unsigned %v", key, extra), r.Status, false, 0)
	}

	// (b) keys through the planted links.
	classB := func(i int) {
		key := linkKeys[rng.IntN(len(linkKeys))]
		what := ""
		var r rawResp
		allow2xx := false
		op := rng.IntN(7)
		if key == "kout" && (op == 2 || op == 3 || op == 5) {
			// A write or delete of the link itself replaces or removes
			// the link (never its target): keep it for the other requests.
			key = "kout/x"
		}
		switch op {
		case 0, 1:
			m := []string{"GET", "HEAD"}[op]
			what = m + " " + key
			r = doRaw(t, rawReq{Method: m, Path: objPath(ab, key), Creds: &alice})
		case 2:
			what = "PUT " + key
			named = append(named, advTarget{ab, key})
			r = doRaw(t, rawReq{Method: "PUT", Path: objPath(ab, key), Body: []byte("evil"), Creds: &alice})
		case 3:
			what = "copy src onto " + key
			named = append(named, advTarget{ab, key})
			r = doRaw(t, rawReq{Method: "PUT", Path: objPath(ab, key), Header: hdr("X-Amz-Copy-Source", "/"+ab+"/src"), Creds: &alice})
		case 4:
			dst := fmt.Sprintf("b/stolen-%d", i)
			what = "copy " + key + " to " + dst
			named = append(named, advTarget{ab, dst})
			r = doRaw(t, rawReq{Method: "PUT", Path: objPath(ab, dst), Header: hdr("X-Amz-Copy-Source", "/"+ab+"/"+escapeKey(key)), Creds: &alice})
		case 5:
			// Deleting a key that does not exist answers 204; bob's
			// objects must survive it.
			what, allow2xx = "DELETE "+key, true
			r = doRaw(t, rawReq{Method: "DELETE", Path: objPath(ab, key), Creds: &alice})
		case 6:
			p := key[:strings.LastIndex(key, "/")+1]
			if p == "" {
				p = key + "/"
			}
			what, allow2xx = "list prefix "+p, true
			r = doRaw(t, rawReq{Method: "GET", Path: "/" + ab, Query: url.Values{"list-type": {"2"}, "prefix": {p}}, Creds: &alice})
			if bytes.Contains(r.Body, []byte("<Key>")) {
				t.Errorf("(b) %s lists keys through a link: %s", what, r)
			}
		}
		check("b", what, r.Status, allow2xx, 0)
	}

	// (c) broken framing over raw TCP, and tampered aws-chunked bodies.
	classC := func(i int) {
		key := randKey("c", i)
		named = append(named, advTarget{ab, key})
		kind := rng.IntN(4)
		if kind == 3 {
			data := randomBytes(8<<10 + 1 + rng.IntN(8<<10)) // two chunks: S3 wants 8 KiB in all but the last
			r := signedChunkedPut(t, objPath(ab, key), data, 8<<10, nil, func(chunks [][]byte, sigs []string) ([][]byte, []string) {
				j := rng.IntN(len(sigs))
				s := []byte(sigs[j])
				s[rng.IntN(len(s))] ^= 0x01 // a hex digit becomes another character
				sigs[j] = string(s)
				return chunks, sigs
			})
			check("c", "aws-chunked with a tampered chunk signature to "+key, r.Status, false, 0)
			return
		}
		c, err := net.DialTimeout("tcp", srv.hostport, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		var what string
		var body []byte
		var extra []string
		var declared int64
		switch kind {
		case 0:
			what = "chunk size line zz"
			body = []byte("5\r\nhello\r\nzz\r\n")
			extra = []string{"Transfer-Encoding: chunked"}
		case 1:
			what = "oversized chunk length"
			body = []byte("5\r\nhello\r\n" + strings.Repeat("f", 17+rng.IntN(8)) + "\r\n")
			extra = []string{"Transfer-Encoding: chunked"}
		case 2:
			n := 1 + rng.IntN(4096)
			declared = int64(n + 1 + rng.IntN(1<<20))
			what = fmt.Sprintf("Content-Length %d with %d bytes sent", declared, n)
			body = randomBytes(n)
		}
		writeHead(t, c, unsignedPut(t, srv.base, ab, key, declared), extra...)
		if _, err := c.Write(body); err != nil {
			t.Errorf("(c) %s: writing: %v", what, err)
			return
		}
		if kind == 2 {
			// The body ends early: the client closes its side.
			_ = c.(*net.TCPConn).CloseWrite()
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "PUT"})
		if err != nil {
			// A connection closed without an answer is no 5xx.
			t.Logf("(c) %s to %s: no answer (%v)", what, key, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		check("c", what+" to "+key, resp.StatusCode, false, 0)
	}

	// (d) refused features, signed.
	refusedFeatures := []refusedAsk{
		{"SSE-C over HTTP", sseCHeaders, 400, "InvalidRequest", msgSSECInsecure},
		{"Object Lock", hdr("X-Amz-Object-Lock-Mode", "COMPLIANCE", "X-Amz-Object-Lock-Retain-Until-Date", "2099-01-01T00:00:00Z"), 400, "InvalidRequest", msgNoObjectLock},
		{"legal hold", hdr("X-Amz-Object-Lock-Legal-Hold", "ON"), 400, "InvalidRequest", msgNoObjectLock},
	}
	classD := func(i int) {
		a := refusedFeatures[rng.IntN(len(refusedFeatures))]
		key := fmt.Sprintf("d%d", i) // "d/..." is a link
		named = append(named, advTarget{ab, key})
		h := a.header
		what := "PUT " + a.name
		if rng.IntN(3) == 0 {
			h = withHeader(hdr("X-Amz-Copy-Source", "/"+ab+"/src"), h)
			what = "copy " + a.name
		}
		r := doRaw(t, rawReq{Method: "PUT", Path: objPath(ab, key), Header: h, Body: []byte("secret data"), Creds: &alice})
		check("d", what, r.Status, false, 501)
		if r.Status != a.status {
			t.Errorf("(d) %s: want %d %s, got %s", what, a.status, a.code, r)
		}
	}

	const perClass = 100
	classes := map[string]func(int){"a": classA, "b": classB, "c": classC, "d": classD}
	var order []string
	for _, c := range []string{"a", "b", "c", "d"} {
		for range perClass {
			order = append(order, c)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	counts := map[string]int{}
	start := time.Now()
	for i, c := range order {
		classes[c](i)
		counts[c]++
		if t.Failed() && fivexx > 5 {
			break
		}
	}
	took := time.Since(start)

	// Nothing published under a named key: not on disk (through the links
	// too), not in alice's listing.
	for _, tg := range named {
		p := filepath.Join(srv.root, tg.bucket, filepath.FromSlash(tg.key))
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && !preexisting[p] {
			t.Errorf("published on disk: %s/%s (%s)", tg.bucket, tg.key, p)
		}
	}
	out, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(ab)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if fmt.Sprint(keys) != "[nest/deep/real src]" {
		t.Errorf("alice's keys after the run: %q", keys)
	}
	if got := getBytes(t, cl, ab, "src"); !bytes.Equal(got, src) {
		t.Errorf("alice's src changed: %q", got)
	}
	// Bob's bucket and the file outside the root are as they were.
	bout, err := bcl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bb)})
	if err != nil {
		t.Fatal(err)
	}
	keys = keys[:0]
	for _, o := range bout.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if fmt.Sprint(keys) != "[secret sub/x]" {
		t.Errorf("bob's keys after the run: %q", keys)
	}
	for k, v := range bobObjects {
		if got := getBytes(t, bcl, bb, k); string(got) != v {
			t.Errorf("bob's %s: %q, want %q", k, got, v)
		}
	}
	if b, err := os.ReadFile(outsideFile); err != nil || string(b) != "outside-data" {
		t.Errorf("the file outside the root: %q %v", b, err)
	}
	t.Logf("%d requests in %v: (a) unsigned headers %d, (b) symlinks %d, (c) framing %d, (d) refused features %d; %d unexpected 5xx",
		len(order), took.Round(time.Millisecond), counts["a"], counts["b"], counts["c"], counts["d"], fivexx)
}
