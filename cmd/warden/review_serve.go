package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/review"
	"github.com/warden-nhi/warden/store"
)

// reviewFlags configure review campaigns in "warden serve".
type reviewFlags struct {
	privilegedEvery   string
	standardEvery     string
	highRisk          int
	due, grace        string
	reminder          string
	escalateTo        string
	sweep             time.Duration
	autoStart         time.Duration
	webhook           string
	webhookSecretFile string
}

func addReviewFlags(cmd *cobra.Command, f *reviewFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.privilegedEvery, "review-privileged-every", "90d", "how long a review of a privileged identity holds (risk score at or above --review-high-risk, or an open admin-permissions or wildcard-permissions finding)")
	fl.StringVar(&f.standardEvery, "review-standard-every", "180d", "how long a review of any other identity holds")
	fl.IntVar(&f.highRisk, "review-high-risk", review.DefaultHighRiskThreshold, "risk score from which an identity is privileged for reviews (governance's high_risk_threshold default)")
	fl.StringVar(&f.due, "review-due", "14d", "time owners have to answer a campaign that does not say")
	fl.StringVar(&f.grace, "review-grace", "7d", "time after the due date before unanswered identities are disabled (control disable-review-expired, in its mode: monitor by default)")
	fl.StringVar(&f.reminder, "review-reminder", "3d", "least time between two reminders of one item")
	fl.StringVar(&f.escalateTo, "review-escalate-to", "", "contact told about items unanswered at the due date (a campaign may name another)")
	fl.DurationVar(&f.sweep, "review-sweep", review.DefaultSweepInterval, "how often reminders, escalations and disables of review campaigns are processed")
	fl.DurationVar(&f.autoStart, "review-auto-start", 0, "start a campaign per tier this often for the identities whose review is due (e.g. 24h; 0: only by hand)")
	fl.StringVar(&f.webhook, "review-webhook", "", "URL told about pending review items (reminders to owners) and escalations, signed with --review-webhook-secret-file")
	fl.StringVar(&f.webhookSecretFile, "review-webhook-secret-file", "", "file holding the HMAC secret that signs review notifications (X-Warden-Signature)")
}

// config checks the flags and builds the service's configuration.
func (f reviewFlags) config(db *store.DB, actions warden.GovernanceActions, baseURL string, logger *slog.Logger) (review.Config, error) {
	cfg := review.Config{Store: db, Identities: db, Findings: db, Events: db, Rightsize: newRightsizeService(db), Actions: actions,
		EscalateTo: f.escalateTo, Logger: logger.With("component", "review")}
	var err error
	parse := func(flag, v string, min time.Duration, dst *time.Duration) {
		if err == nil {
			if *dst, err = review.ParseDuration(flag, v, min); err != nil {
				err = fmt.Errorf("--%s: %s", flag, warden.ErrorMessage(err))
			}
		}
	}
	parse("review-privileged-every", f.privilegedEvery, 24*time.Hour, &cfg.Schedule.PrivilegedInterval)
	parse("review-standard-every", f.standardEvery, 24*time.Hour, &cfg.Schedule.StandardInterval)
	parse("review-due", f.due, time.Hour, &cfg.Due)
	parse("review-grace", f.grace, 0, &cfg.Grace)
	parse("review-reminder", f.reminder, review.MinReminderInterval, &cfg.Reminder)
	if err != nil {
		return cfg, err
	}
	cfg.NoGrace = cfg.Grace == 0
	if f.highRisk < 1 || f.highRisk > 100 {
		return cfg, fmt.Errorf("--review-high-risk must be between 1 and 100, got %d", f.highRisk)
	}
	cfg.Schedule.HighRiskThreshold = f.highRisk
	if f.sweep <= 0 || f.autoStart < 0 {
		return cfg, fmt.Errorf("--review-sweep must be positive and --review-auto-start not negative")
	}
	hook, err := newSignedWebhook("review-webhook", f.webhook, f.webhookSecretFile, logger.With("component", "review-webhook"))
	if err != nil {
		return cfg, err
	}
	if hook != nil {
		cfg.Notifier = &reviewWebhook{hook: hook, base: baseURL}
	}
	return cfg, nil
}

// startReviews builds the review service on db, disabling expired
// reviews through actions, and sweeps (and auto-starts) until ctx ends.
func startReviews(ctx context.Context, db *store.DB, f reviewFlags, actions warden.GovernanceActions, baseURL string, logger *slog.Logger) (*review.Service, error) {
	cfg, err := f.config(db, actions, baseURL, logger)
	if err != nil {
		return nil, err
	}
	svc := review.New(cfg)
	go svc.Run(ctx, f.sweep, f.autoStart)
	return svc, nil
}
