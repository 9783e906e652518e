package fsstore

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// The pathinfo values are what GlusterFS 10.3 answered on test/dfs's
// volumes (brick paths shortened).
func TestVolumeRefusal(t *testing.T) {
	for _, tc := range []struct {
		name, pathinfo string
		refuse         bool
	}{
		{"replica-2 root", "(<REPLICATE:caddys3-replicate-0> <POSIX(/b1):vm:/b1/> <POSIX(/b2):vm:/b2/>)", false},
		{"replica-2 file", "(<REPLICATE:caddys3-replicate-0> <POSIX(/b2):vm:/b2/d/f> <POSIX(/b1):vm:/b1/d/f>)", false},
		{"distribute root", "((<DISTRIBUTE:dist-dht> <POSIX(/b4):vm:/b4/> <POSIX(/b3):vm:/b3/>) (dist-dht-layout (dist-client-0 0 2147483646) (dist-client-1 2147483647 4294967295)))", true},
		{"distribute file", "(<DISTRIBUTE:dist-dht> <POSIX(/b4):vm:/b4/f>)", true},
		{"empty", "", false},
	} {
		err := volumeRefusal("/srv/s3", tc.pathinfo)
		if (err != nil) != tc.refuse || err != nil && !errors.Is(err, ErrUnsupportedVolume) {
			t.Errorf("%s: %v, want refusal %v", tc.name, err, tc.refuse)
		}
	}
}

// A local directory has no glusterfs.pathinfo: accepted.
func TestCheckVolumeLocal(t *testing.T) {
	if err := checkVolume(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// Only "no such xattr" answers pass a root; a GlusterFS client's transient
// failures do not.
func TestNoPathinfo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		none bool
	}{
		{unix.ENODATA, true},
		{unix.EOPNOTSUPP, true},
		{unix.ENOTCONN, false},
		{unix.EIO, false},
		{unix.ENOENT, false},
	} {
		if got := noPathinfo(tc.err); got != tc.none {
			t.Errorf("%v: noPathinfo %v, want %v", tc.err, got, tc.none)
		}
	}
}

// A root that cannot be read at all fails the check with the reason.
func TestCheckVolumeUnreadable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	err := checkVolume(missing)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("checkVolume(%s) = %v, want ENOENT", missing, err)
	}
}
