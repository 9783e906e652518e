package cloudstack

import (
	"context"
	"errors"
	"fmt"
)

// Ping tells whether CloudStack's database answers, for the s3 handler's
// readiness endpoint. The caller bounds it with ctx's deadline.
func (c *CloudStack) Ping(ctx context.Context) error {
	if c.db == nil {
		return errors.New("s3: credentials cloudstack: not provisioned")
	}
	if err := c.db.PingContext(ctx); err != nil {
		return fmt.Errorf("s3: credentials cloudstack: %w", err)
	}
	return nil
}
