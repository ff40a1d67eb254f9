package warden

// Page sizes for list operations.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func normaliseLimit(limit *int) error {
	switch {
	case *limit == 0:
		*limit = DefaultPageSize
	case *limit < 0 || *limit > MaxPageSize:
		return FieldErrorf("limit", "limit must be between 1 and %d, got %d", MaxPageSize, *limit)
	}
	return nil
}
