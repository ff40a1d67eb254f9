package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store"
)

// defaultGovernInterval is how often "warden serve" evaluates governance.
const defaultGovernInterval = time.Hour

// newGovernance builds the governance evaluator on db with the default
// rules, or with the overrides in rulesFile.
func newGovernance(db *store.DB, rulesFile string) (*govern.Evaluator, error) {
	var rules *govern.Config
	if rulesFile != "" {
		f, err := os.Open(rulesFile)
		if err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		defer f.Close()
		if rules, err = govern.LoadConfig(f); err != nil {
			return nil, fmt.Errorf("--rules %s: %w", rulesFile, err)
		}
	}
	return govern.NewEvaluator(govern.EvaluatorConfig{
		Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db, Programme: db, Rules: rules,
	})
}

// evaluateOnce runs one governance evaluation and logs what it found.
func evaluateOnce(ctx context.Context, ev *govern.Evaluator, logger *slog.Logger) error {
	ctx = warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "govern"})
	res, err := ev.Evaluate(ctx)
	if err != nil {
		return fmt.Errorf("governance evaluation: %w", err)
	}
	p := res.Posture
	logger.Info("governance evaluated", "identities", res.Identities, "opened", res.Findings.Opened,
		"resolved", res.Findings.Resolved, "open_findings", p.OpenFindings, "unowned", p.Unowned,
		"over_privileged", p.OverPrivileged, "high_risk", p.HighRisk, "took", res.FinishedAt.Sub(res.StartedAt).Round(time.Millisecond))
	return nil
}

// governLoop evaluates every interval until ctx ends; errors are logged
// and the next tick tries again. A zero interval disables the loop.
func governLoop(ctx context.Context, ev *govern.Evaluator, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := evaluateOnce(ctx, ev, logger); err != nil && ctx.Err() == nil {
				logger.Error("periodic governance evaluation failed", "error", err)
			}
		}
	}
}

// governFlags configure governance in "warden serve".
type governFlags struct {
	interval  time.Duration
	rulesFile string
}

func addGovernFlags(cmd *cobra.Command, f *governFlags) {
	cmd.Flags().DurationVar(&f.interval, "govern-interval", defaultGovernInterval, "how often to evaluate the governance rules (0 disables; --demo also evaluates at start)")
	cmd.Flags().StringVar(&f.rulesFile, "rules", "", "governance rules override file (JSON; see docs/governance.md)")
}
