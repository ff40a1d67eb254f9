package access

import (
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// ParseDuration reads a grant duration: a Go duration ("90m", "1h30m") or
// a number of days ("1d"). field names the input in errors.
func ParseDuration(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, warden.FieldErrorf(field, "%s is required, e.g. 30m, 2h or 1d", field)
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 366 {
			return 0, warden.FieldErrorf(field, "%s %q is not a number of days between 1 and 366", field, clip(s))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, warden.FieldErrorf(field, "%s %q is not a positive duration such as 30m, 2h or 1d", field, clip(s))
	}
	if d < time.Minute {
		return 0, warden.FieldErrorf(field, "%s must be at least one minute", field)
	}
	return d.Truncate(time.Second), nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
