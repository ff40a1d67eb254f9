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
	policyFile string
}

func addOnboardFlags(cmd *cobra.Command, f *onboardFlags) {
	cmd.Flags().StringVar(&f.policyFile, "onboarding-policy", "", "Cedar file that decides onboarding requests and claims (deny, auto-approve, one or two approvers); default: warden's built-in policy (warden onboard policy shows it)")
}

// startOnboard builds the onboarding service on db; warden workloads are
// onboarded into the issuer's trust domain.
func startOnboard(db *store.DB, f onboardFlags, trustDomain string, logger *slog.Logger) (*onboard.Service, error) {
	pol := onboard.DefaultPolicy()
	if f.policyFile != "" {
		var err error
		if pol, err = onboard.LoadPolicy(f.policyFile); err != nil {
			return nil, fmt.Errorf("--onboarding-policy: %w", err)
		}
	}
	return onboard.New(onboard.Config{Store: db, Identities: db, Policy: pol, TrustDomain: trustDomain,
		Logger: logger.With("component", "onboard")}), nil
}
