// Command warden is the warden server and its command-line client.
//
// The server (warden serve) owns the database; every other command either
// talks to a server over its HTTP API (identities, credentials, tokens,
// audit list) or, for bootstrap and recovery, opens the database directly
// (admin token, audit verify).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			if exit.msg != "" {
				fmt.Fprintln(os.Stderr, exit.msg)
			}
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a specific exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// newRootCmd builds the command tree. stdout and stderr are parameters so
// tests can run commands in-process and read what they print.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "warden",
		Short:         "Zero-trust control plane for non-human identities",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newServeCmd(),
		newAdminCmd(),
		newAuditCmd(),
		newScanCmd(),
		newLeaksCmd(),
		newSVIDCmd(),
		newEntriesCmd(),
		newIssuedCmd(),
	)
	addClientCommands(root)
	root.AddCommand(newImportCmd(), newEventsCmd())
	root.AddCommand(newPolicyCmd(), newAuthorizeCmd())
	root.AddCommand(newFindingsCmd(), newGovernCmd(), newPostureCmd(), newReportCmd())
	root.AddCommand(newDetectCmd(), newDetectionsCmd())
	root.AddCommand(newAccessCmd(), newBreakGlassCmd())
	root.AddCommand(newReviewCmd())
	root.AddCommand(newRightsizeCmd())
	root.AddCommand(newEnforcementCmd())
	root.AddCommand(newOnboardCmd())
	root.AddCommand(newOffboardCmd())
	root.AddCommand(newOwnersCmd())
	return root
}
