package store

import (
	"context"

	"github.com/warden-nhi/warden"
)

// programmeReviews counts review campaign items by the month they were
// due, and those answered. Review campaigns are not in this store yet:
// no items.
func (db *DB) programmeReviews(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	return nil
}
