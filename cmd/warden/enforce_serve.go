package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/store"
)

// enforceFlags configure phased enforcement in "warden serve".
type enforceFlags struct {
	inactiveAfter     time.Duration
	sweep             time.Duration
	webhook           string
	webhookSecretFile string
}

func addEnforceFlags(cmd *cobra.Command, f *enforceFlags) {
	fl := cmd.Flags()
	fl.DurationVar(&f.inactiveAfter, "disable-inactive-after", 90*24*time.Hour, "apply the disable-inactive control to identities unused for this long (0: never); it only reports until promoted with \"warden enforcement set disable-inactive enforce\"")
	fl.DurationVar(&f.sweep, "enforce-sweep", time.Hour, "how often the inactivity control runs")
	fl.StringVar(&f.webhook, "owner-webhook", "", "URL told when a control disables, or in monitor mode would disable, an identity (the owner is in the body), signed with --owner-webhook-secret-file")
	fl.StringVar(&f.webhookSecretFile, "owner-webhook-secret-file", "", "file holding the HMAC secret that signs owner notifications (X-Warden-Signature)")
}

// startEnforce builds the governance actions on db and runs the
// inactivity control until ctx ends.
func startEnforce(ctx context.Context, db *store.DB, f enforceFlags, baseURL string, logger *slog.Logger) (*enforce.Service, error) {
	hook, err := newSignedWebhook("owner-webhook", f.webhook, f.webhookSecretFile, logger.With("component", "owner-webhook"))
	if err != nil {
		return nil, err
	}
	cfg := enforce.Config{Store: db, Identities: db, Logger: logger.With("component", "enforce")}
	if hook != nil {
		cfg.Notifier = &ownerWebhook{hook: hook, base: baseURL}
	}
	svc := enforce.New(cfg)
	if f.inactiveAfter > 0 && f.sweep > 0 {
		go runInactivity(ctx, svc, f, cfg.Logger)
	}
	return svc, nil
}

func runInactivity(ctx context.Context, svc *enforce.Service, f enforceFlags, logger *slog.Logger) {
	t := time.NewTicker(f.sweep)
	defer t.Stop()
	for {
		res, err := svc.SweepInactive(ctx, f.inactiveAfter)
		if err != nil && ctx.Err() == nil {
			logger.Warn("inactivity control failed", "error", err)
		} else if res.Disabled+res.Reported > 0 {
			logger.Info("inactivity control ran", "checked", res.Checked, "disabled", res.Disabled, "reported", res.Reported)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ownerWebhook tells owners what a control did or would have done.
type ownerWebhook struct {
	hook *signedWebhook
	base string
}

type ownerNotification struct {
	Event    string                   `json:"event"` // enforcement.disabled or enforcement.would_disable
	Owner    string                   `json:"owner"`
	Identity *warden.Identity         `json:"identity"`
	Action   *warden.EnforcementEvent `json:"action"`
	Links    map[string]string        `json:"links"`
}

// NotifyOwner implements enforce.Notifier.
func (w *ownerWebhook) NotifyOwner(ctx context.Context, e *warden.EnforcementEvent, identity *warden.Identity) {
	n := ownerNotification{Event: "enforcement.would_disable", Owner: identity.Owner, Identity: identity, Action: e, Links: map[string]string{
		"console":  w.base + "/ui/identities/" + identity.ID,
		"identity": w.base + "/v1/identities/" + identity.ID,
	}}
	if e.Enforced {
		n.Event = "enforcement.disabled"
	}
	body, err := json.Marshal(n)
	if err != nil {
		w.hook.logger.Error("encode owner notification", "identity", identity.ID, "error", err)
		return
	}
	w.hook.send(ctx, "owner "+identity.ID, body)
}
