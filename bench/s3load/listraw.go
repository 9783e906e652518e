package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// -op listraw lists like -op list (ListObjectsV2, pages of 1,000) but
// without the SDK: each page is signed with the v4 signer, read whole into
// a reused buffer and scanned for its <Key> elements, IsTruncated and
// NextContinuationToken only. The SDK's XML decoding costs the client
// about as much CPU per key as the server spends, so -op list measures
// both; this measures the server.

// listRaw lists the whole bucket in pages of 1,000 and counts the keys.
func (u *uploader) listRaw(ctx context.Context, bucket string, buf *bytes.Buffer) (int, error) {
	n, token := 0, ""
	for {
		q := "list-type=2&max-keys=1000"
		if token != "" {
			q += "&continuation-token=" + url.QueryEscape(token)
		}
		body, err := u.get(ctx, "/"+bucket+"?"+q, buf)
		if err != nil {
			return n, err
		}
		n += bytes.Count(body, []byte("<Key>"))
		if !bytes.Contains(body, []byte("<IsTruncated>true</IsTruncated>")) {
			return n, nil
		}
		token = html.UnescapeString(element(body, "NextContinuationToken"))
		if token == "" {
			return n, fmt.Errorf("truncated page without a NextContinuationToken after %d keys", n)
		}
	}
}

// get sends a signed GET of path and reads the 200 response into buf.
func (u *uploader) get(ctx context.Context, path string, buf *bytes.Buffer) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.endpoint+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := u.signer.SignHTTP(ctx, u.creds(), req, emptySHA256, "s3", u.region, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, buf.Bytes())
	}
	return buf.Bytes(), nil
}

// element is the text of the first <name> element of doc ("" if none).
func element(doc []byte, name string) string {
	_, rest, ok := bytes.Cut(doc, []byte("<"+name+">"))
	if !ok {
		return ""
	}
	text, _, _ := bytes.Cut(rest, []byte("</"+name+">"))
	return string(text)
}

// cpuTimes is a process's user+system CPU time so far.
type cpuTimes struct{ self, server time.Duration }

// readCPU reads this process's CPU time (getrusage) and, when pid > 0,
// that process's (utime+stime from /proc/pid/stat).
func readCPU(pid int) (cpuTimes, error) {
	var c cpuTimes
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return c, fmt.Errorf("getrusage: %w", err)
	}
	c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if pid <= 0 {
		return c, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return c, err
	}
	// Fields after the command name (in parentheses, which may hold
	// spaces): state is field 3, utime 14, stime 15, in clock ticks.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return c, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return c, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return c, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += t
	}
	const clockTicks = 100 // USER_HZ on Linux
	c.server = time.Duration(ticks) * time.Second / clockTicks
	return c, nil
}

// printCPU writes the CPU time per listed key of this client and, if
// measured, of the server.
func printCPU(w io.Writer, before, after cpuTimes, keys int, server bool) {
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(keys) }
	fmt.Fprintf(w, "  client CPU %.2f µs per listed key", per(after.self-before.self))
	if server {
		fmt.Fprintf(w, ", server CPU %.2f µs per listed key", per(after.server-before.server))
	}
	fmt.Fprintln(w)
}
