package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect holds what differs between SQLite and PostgreSQL.
type dialect interface {
	name() string
	// rebind rewrites '?' placeholders into the dialect's form.
	rebind(query string) string
	// isUniqueViolation reports whether err is a unique-constraint failure.
	isUniqueViolation(err error) bool
	// lockWriters serialises writers of the audit chain inside tx.
	lockWriters(ctx context.Context, tx *sql.Tx) error
	// maxParams is the most bind parameters one statement may carry.
	maxParams() int
	// cachesStatements reports whether the driver keeps prepared
	// statements per connection by itself (pgx does); otherwise the store
	// keeps them (stmtcache.go).
	cachesStatements() bool
}

// rebindDollar turns '?' into $1, $2, ... Queries in this package never
// contain '?' inside string literals.
func rebindDollar(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
