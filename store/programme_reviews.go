package store

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// programmeReviews counts review campaign items by the month their
// campaign was due, and those answered by their owners (items that
// expired unanswered, disabled or only reported, count as not answered).
func (db *DB) programmeReviews(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT c.due_at, i.status, COUNT(*) FROM review_items i JOIN review_campaigns c ON c.id = i.campaign_id
		WHERE c.due_at >= ? AND c.due_at < ? GROUP BY c.due_at, i.status`), micro(w.starts[0]), micro(w.until))
	if err != nil {
		return fmt.Errorf("review completion: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var due int64
		var status string
		var n int
		if err := rows.Scan(&due, &status, &n); err != nil {
			return fmt.Errorf("review completion: %w", err)
		}
		i := w.index(fromMicro(due))
		if i < 0 {
			continue
		}
		m.Months[i].ReviewItems += n
		m.ReviewItems += n
		if warden.ReviewItemStatus(status) == warden.ItemAnswered {
			m.Months[i].ReviewsAnswered += n
			m.ReviewsAnswered += n
		}
	}
	return rows.Err()
}
