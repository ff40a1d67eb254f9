package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/offboard"
	"github.com/warden-nhi/warden/store"
)

// offboardFlags configure offboarding in "warden serve".
type offboardFlags struct {
	grace string
	sweep time.Duration
}

func addOffboardFlags(cmd *cobra.Command, f *offboardFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.grace, "offboard-grace", "14d", "reassignment period (days such as 14d, or a duration such as 72h) of an offboarding that names none: how long a departed person's identities wait for a new owner")
	fl.DurationVar(&f.sweep, "offboard-sweep", offboard.DefaultSweepInterval, "how often offboardings past their deadline are settled (still-unowned identities disabled, or reported in monitor mode)")
}

// startOffboarding builds the offboarding service on db and settles due
// offboardings through actions until ctx ends.
func startOffboarding(ctx context.Context, db *store.DB, f offboardFlags, actions warden.GovernanceActions, logger *slog.Logger) (*offboard.Service, error) {
	grace, err := offboard.ParseGrace(f.grace, offboard.DefaultGrace)
	if err != nil {
		return nil, fmt.Errorf("--offboard-grace: %s", warden.ErrorMessage(err))
	}
	if f.sweep <= 0 {
		return nil, fmt.Errorf("--offboard-sweep must be positive")
	}
	svc := offboard.New(offboard.Config{
		Store: db, Identities: db, Credentials: db, Provenance: db, Actions: actions,
		Grace: grace, Logger: logger.With("component", "offboard"),
	})
	go svc.Run(ctx, f.sweep)
	return svc, nil
}
