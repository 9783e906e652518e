package caddys3

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"go.uber.org/zap"
)

func TestServeOpRetriesReadsAfterESTALE(t *testing.T) {
	stale := fmt.Errorf("get: %w", &fs.PathError{Op: "openat", Path: "b/k", Err: syscall.ESTALE})
	for _, tc := range []struct {
		name      string
		writes    bool
		failures  int   // calls that fail before one succeeds
		err       error // what they fail with
		wantCalls int
		wantOK    bool
	}{
		{"read, stale once", false, 1, stale, 2, true},
		{"read, stale twice", false, 2, stale, 3, true},
		{"read, stale always", false, 10, stale, 1 + staleRetries, false},
		{"read, other error", false, 1, syscall.EIO, 1, false},
		{"write, stale", true, 1, stale, 1, false},
		{"read, no error", false, 0, nil, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			op := &operation{name: "Test", writes: tc.writes, serve: func(*Handler, *request) (*response, error) {
				calls++
				if calls <= tc.failures {
					return nil, tc.err
				}
				return &response{}, nil
			}}
			_, err := serveOp(&Handler{logger: zap.NewNop()}, op, &request{})
			if calls != tc.wantCalls || (err == nil) != tc.wantOK {
				t.Errorf("%d calls, err %v; want %d calls, success %v", calls, err, tc.wantCalls, tc.wantOK)
			}
			if err != nil && !errors.Is(err, tc.err) {
				t.Errorf("err %v does not wrap %v", err, tc.err)
			}
		})
	}
}
