package caddys3

import (
	"bytes"
	"context"
	"testing"

	"github.com/caddys3/caddys3/fsstore"
)

// The ids the store makes are the ids the handler accepts: a change of
// the store's format must show here, not as 400s to clients.
func TestStoreVersionIDsAreWellFormed(t *testing.T) {
	st, err := fsstore.Open(fsstore.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.CreateBucketWithACL(ctx, "vbucket", "alice", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.SetBucketVersioning(ctx, "vbucket", fsstore.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	m, err := st.PutObject(ctx, "vbucket", "k", bytes.NewReader([]byte("x")), fsstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.DeleteObjectVersion(ctx, "vbucket", "k", "", "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{m.VersionID, d.VersionID} {
		if !wellFormedVersionID(id) {
			t.Errorf("the store made %q, which the handler calls malformed", id)
		}
	}
	for _, bad := range []string{"", "x", "NULL", "0000000000000x000000", "0000000000000d00000", "0000000000000d0000000"} {
		if wellFormedVersionID(bad) {
			t.Errorf("%q is well-formed", bad)
		}
	}
}
