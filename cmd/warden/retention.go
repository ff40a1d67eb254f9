package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// retentionFlags configure activity-event retention in "warden serve".
type retentionFlags struct {
	keep     retentionPeriod // 0 keeps events forever
	interval time.Duration
}

// defaultPruneInterval is how often expired events are deleted.
const defaultPruneInterval = time.Hour

func addRetentionFlags(cmd *cobra.Command, f *retentionFlags) {
	cmd.Flags().Var(&f.keep, "event-retention", "how long to keep activity events, e.g. 90d or 720h; older ones are deleted periodically (default: keep forever)")
	cmd.Flags().DurationVar(&f.interval, "event-prune-interval", defaultPruneInterval, "how often to delete events older than --event-retention")
}

// retentionPeriod is a flag value of days ("90d") or a Go duration
// ("720h"); "0" or "" keeps events forever.
type retentionPeriod time.Duration

func (p *retentionPeriod) String() string {
	d := time.Duration(*p)
	if d == 0 {
		return ""
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (p *retentionPeriod) Type() string { return "period" }

// Set parses days or a duration of at least an hour.
func (p *retentionPeriod) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		*p = 0
		return nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return fmt.Errorf("%q: use whole days (such as 90d) or a duration (such as 720h)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q: use whole days (such as 90d) or a duration (such as 720h)", s)
		}
	}
	if d < time.Hour {
		return fmt.Errorf("%q: keep events for at least an hour (0 keeps them forever)", s)
	}
	*p = retentionPeriod(d)
	return nil
}

// retentionLoop deletes events older than the retention period at once
// and then every interval, until ctx ends. ctx carries the system actor
// the prune is audited as.
func retentionLoop(ctx context.Context, pruner warden.EventPruner, f retentionFlags, now func() time.Time, logger *slog.Logger) {
	keep := time.Duration(f.keep)
	if keep <= 0 {
		return
	}
	interval := f.interval
	if interval <= 0 {
		interval = defaultPruneInterval
	}
	logger.Info("event retention on", "keep", f.keep.String(), "every", interval.String())
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pruneOnce(ctx, pruner, now().Add(-keep), logger)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOnce deletes the events before cutoff, logging what it did.
func pruneOnce(ctx context.Context, pruner warden.EventPruner, cutoff time.Time, logger *slog.Logger) {
	n, err := pruner.PruneEvents(ctx, cutoff)
	switch {
	case err != nil && ctx.Err() == nil:
		logger.Error("event retention: prune failed", "error", err)
	case n > 0:
		logger.Info("event retention: deleted old events", "deleted", n, "before", cutoff.UTC().Format(time.RFC3339))
	}
}
