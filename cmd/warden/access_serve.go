package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/store"
)

// accessFlags configure just-in-time access in "warden serve".
type accessFlags struct {
	policyFile          string
	forbidOwnerApproval bool
	maxDuration         time.Duration
	maxBreakGlass       time.Duration
	sweep               time.Duration
	webhook             string
	webhookSecretFile   string
}

func addAccessFlags(cmd *cobra.Command, f *accessFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.policyFile, "access-policy", "", "Cedar file that decides access requests (deny, auto-approve, approvers); default: warden's built-in policy (warden access policy shows it)")
	fl.BoolVar(&f.forbidOwnerApproval, "access-forbid-owner-approval", false, "refuse approvals by the owner of the identity a request is for (an approver token named like the owner)")
	fl.DurationVar(&f.maxDuration, "access-max-duration", access.DefaultMaxDuration, "longest grant an access request may ask for")
	fl.DurationVar(&f.maxBreakGlass, "access-max-breakglass", access.DefaultMaxBreakGlassDuration, "longest break-glass grant")
	fl.StringVar(&f.webhook, "access-webhook", "", "URL told about pending requests (with approve/deny links) and break-glass use (with the review link), signed with --access-webhook-secret-file")
	fl.StringVar(&f.webhookSecretFile, "access-webhook-secret-file", "", "file holding the HMAC secret that signs access notifications (X-Warden-Signature)")
	fl.DurationVar(&f.sweep, "access-sweep", access.DefaultSweepInterval, "how often grants whose time ran out are marked expired (the decision point ends them on time regardless)")
}

// startAccess builds the access service on db, minting grant tokens with
// tokens, and expires lapsed grants until ctx ends.
func startAccess(ctx context.Context, db *store.DB, f accessFlags, tokens warden.GrantTokenMinter, baseURL string, logger *slog.Logger) (*access.Service, error) {
	pol := access.DefaultPolicy()
	if f.policyFile != "" {
		var err error
		if pol, err = access.LoadPolicy(f.policyFile); err != nil {
			return nil, fmt.Errorf("--access-policy: %w", err)
		}
	}
	if f.maxDuration <= 0 || f.maxBreakGlass <= 0 || f.sweep <= 0 {
		return nil, fmt.Errorf("--access-max-duration, --access-max-breakglass and --access-sweep must be positive")
	}
	var notifier access.Notifier
	hook, err := newSignedWebhook("access-webhook", f.webhook, f.webhookSecretFile, logger.With("component", "access-webhook"))
	if err != nil {
		return nil, err
	}
	if hook != nil {
		notifier = &accessWebhook{hook: hook, base: baseURL}
	}
	svc := access.New(access.Config{
		Notifier: notifier,
		Store:    db, Identities: db, Policy: pol, Events: db, Detections: db, Tokens: tokens, Revoker: db, Decisions: db,
		MaxDuration: f.maxDuration, MaxBreakGlassDuration: f.maxBreakGlass, ForbidOwnerApproval: f.forbidOwnerApproval,
		Logger: logger.With("component", "access"),
	})
	go svc.Run(ctx, f.sweep)
	return svc, nil
}
