package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden/store/storetest"
)

// startPDP refuses decision-log settings outside their range before it
// starts anything, and naming the flag.
func TestStartPDP_RefusesBadLogSettings(t *testing.T) {
	db := storetest.OpenSQLite(t)
	cases := map[string]struct {
		flags pdpFlags
		want  string
	}{
		"allows below 0":    {pdpFlags{sampleAllows: -0.1}, "--log-allows"},
		"allows above 1":    {pdpFlags{sampleAllows: 1.5}, "--log-allows"},
		"flush too short":   {pdpFlags{logFlush: 500 * time.Microsecond}, "--log-flush"},
		"flush too long":    {pdpFlags{logFlush: 2 * time.Minute}, "--log-flush"},
		"flush negative":    {pdpFlags{logFlush: -time.Second}, "--log-flush"},
		"unreadable action": {pdpFlags{logFlush: 50 * time.Millisecond, httpActions: "/nonexistent/actions.json"}, "--http-actions"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, stop, err := startPDP(ctx, db, tc.flags, pdpDeps{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if stop != nil {
				cancel()
				stop()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}
