package client

import (
	"context"
	"fmt"
	"iter"
)

// listResponse is the envelope of every paginated list.
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// maxPages guards against a server that keeps returning the same cursor.
const maxPages = 1 << 20

// paginate yields every item of every page, starting at cursor, until a
// page comes back without a next cursor, the consumer stops, or an error
// occurs (yielded once, with the zero item).
func paginate[T any](ctx context.Context, cursor string, fetch func(context.Context, string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for range maxPages {
			items, next, err := fetch(ctx, cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == cursor {
				yield(zero, fmt.Errorf("pagination: server returned the same cursor %q twice", next))
				return
			}
			cursor = next
		}
		yield(zero, fmt.Errorf("pagination: more than %d pages", maxPages))
	}
}
