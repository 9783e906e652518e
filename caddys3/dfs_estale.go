package caddys3

import (
	"errors"
	"syscall"

	"go.uber.org/zap"
)

// staleRetries bounds how often a read-only operation runs again after
// the filesystem answered ESTALE.
//
// On a distributed filesystem (docs/scale-out.md) a name resolved just as
// another node replaced or removed its file answers ESTALE, to the open,
// a stat or a read on the new descriptor, anywhere inside an operation.
// The store retries its own opens (fsstore/dfs_retry.go); this catches
// the rest in one place: an operation that writes nothing and has sent
// nothing yet (serve only prepares the response) can simply run again,
// and resolves the names afresh. Writes are not retried here: each
// handles its failures itself, and a retry could repeat what was done.
const staleRetries = 2

// serveOp runs op's serve function, again after ESTALE for reads.
func serveOp(h *Handler, op *operation, req *request) (*response, error) {
	resp, err := op.serve(h, req)
	for try := 0; try < staleRetries && err != nil && !op.writes && errors.Is(err, syscall.ESTALE); try++ {
		h.logger.Debug("s3: retrying a read after ESTALE", zap.String("operation", string(op.name)), zap.Error(err))
		resp, err = op.serve(h, req)
	}
	return resp, err
}
