package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/store"
)

// onboardFlags configure onboarding in "warden serve".
type onboardFlags struct {
	policyFile        string
	webhook           string
	webhookSecretFile string
}

func addOnboardFlags(cmd *cobra.Command, f *onboardFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.policyFile, "onboarding-policy", "", "Cedar file that decides onboarding requests and claims (deny, auto-approve, one or two approvers); default: warden's built-in policy (warden onboard policy shows it)")
	fl.StringVar(&f.webhook, "onboarding-webhook", "", "URL told about onboarding requests waiting for approvers (with approve/deny links) and decided ones, signed with --onboarding-webhook-secret-file")
	fl.StringVar(&f.webhookSecretFile, "onboarding-webhook-secret-file", "", "file holding the HMAC secret that signs onboarding notifications (X-Warden-Signature)")
}

// startOnboard builds the onboarding service on db; warden workloads are
// onboarded into the issuer's trust domain; baseURL is the server's
// public URL for the links of notifications.
func startOnboard(db *store.DB, f onboardFlags, trustDomain, baseURL string, logger *slog.Logger) (*onboard.Service, error) {
	pol := onboard.DefaultPolicy()
	if f.policyFile != "" {
		var err error
		if pol, err = onboard.LoadPolicy(f.policyFile); err != nil {
			return nil, fmt.Errorf("--onboarding-policy: %w", err)
		}
	}
	hook, err := newSignedWebhook("onboarding-webhook", f.webhook, f.webhookSecretFile, logger.With("component", "onboarding-webhook"))
	if err != nil {
		return nil, err
	}
	var notifier onboard.Notifier
	if hook != nil {
		notifier = &onboardWebhook{hook: hook, base: baseURL}
	}
	return onboard.New(onboard.Config{Store: db, Identities: db, Policy: pol, TrustDomain: trustDomain, Notifier: notifier,
		Logger: logger.With("component", "onboard")}), nil
}
