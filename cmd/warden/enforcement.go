package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

func newEnforcementCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enforcement",
		Short: "Run controls in monitor or enforce mode, per environment or team",
		Long: `Phase controls in without breaking production. Each control runs in monitor or enforce
mode, for all identities, one environment (environment:prod) or one team (team:payments);
a team setting wins over an environment setting, which wins over one for all.

Controls:
  policy                  the decision point's policy set. In monitor mode a request your
                          policies deny is allowed and logged as a would-deny with the
                          denying policy (warden's guardrails against quarantined, disabled
                          or revoked principals always enforce). Default: enforce.
  disable-inactive        disable identities unused past the inactivity limit. Default: monitor.
  disable-review-expired  disable identities whose review went unanswered. Default: monitor.
  disable-offboarded      disable identities a departed person owned that nobody took
                          over in time. Default: monitor.

In monitor mode warden records what a control would have blocked or disabled and tells the
owner; "warden enforcement events" and "warden decisions --would-deny" list it. Every
change of mode is audited.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newEnforcementListCmd(opts), newEnforcementSetCmd(opts), newEnforcementUnsetCmd(opts), newEnforcementEventsCmd(opts))
	return cmd
}

func newEnforcementListCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Show each control's default mode and the settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			e, err := c.Enforcement(cmd.Context())
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(e)
			}
			return printEnforcement(cmd.OutOrStdout(), e)
		},
	}
}

func printEnforcement(w io.Writer, e *client.Enforcement) error {
	t := newTable(w, "CONTROL", "SCOPE", "MODE", "SET BY", "SET AT")
	for _, ctl := range e.Controls {
		t.row(string(ctl.Control), "(default)", string(ctl.DefaultMode), "-", "-")
		for _, s := range e.Settings {
			if s.Control == ctl.Control {
				t.row("", s.Scope, string(s.Mode), clip(s.UpdatedBy, 40), s.UpdatedAt.UTC().Format(time.RFC3339))
			}
		}
	}
	return t.flush(nil, "")
}

func newEnforcementSetCmd(opts *clientOptions) *cobra.Command {
	var scope string
	cmd := &cobra.Command{
		Use:   "set CONTROL monitor|enforce [--scope all|environment:NAME|team:NAME]",
		Short: "Set a control's mode for a scope (audited)",
		Example: `  warden enforcement set policy monitor --scope environment:prod
  warden enforcement set policy enforce --scope environment:prod      # promote
  warden enforcement set disable-review-expired enforce --scope team:payments`,
		Args: cobra.ExactArgs(2),
	}
	cmd.Flags().StringVar(&scope, "scope", "all", "all, environment:NAME or team:NAME")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		s, err := c.SetEnforcementMode(cmd.Context(), warden.Control(args[0]), scope, warden.EnforcementMode(args[1]))
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(s)
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s runs in %s mode for %s\n", s.Control, s.Mode, s.Scope)
		return err
	}
	return cmd
}

func newEnforcementUnsetCmd(opts *clientOptions) *cobra.Command {
	var scope string
	cmd := &cobra.Command{
		Use:   "unset CONTROL [--scope all|environment:NAME|team:NAME]",
		Short: "Remove a setting: the control falls back to a wider scope or its default",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&scope, "scope", "all", "all, environment:NAME or team:NAME")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		if err := c.UnsetEnforcementMode(cmd.Context(), warden.Control(args[0]), scope); err != nil {
			return explain(err)
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "removed the %s setting for %s\n", args[0], scope)
		return err
	}
	return cmd
}

func newEnforcementEventsCmd(opts *clientOptions) *cobra.Command {
	var f client.EnforcementEventQuery
	var enforced, reported bool
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List what automatic governance actions did or would have done, newest first",
		Long: `List the identities automatic governance actions disabled (OUTCOME disabled) or, in
monitor mode, would have disabled (OUTCOME would disable), with the reason and what
triggered it.`,
		Example: `  warden enforcement events --reported
  warden enforcement events --control disable-inactive --identity arn:aws:iam::111122223333:user/legacy-ci`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar((*string)(&f.Control), "control", "", "only this control")
	fl.StringVar(&f.Identity, "identity", "", "only this identity (id or external id)")
	fl.BoolVar(&enforced, "enforced", false, "only actions carried out")
	fl.BoolVar(&reported, "reported", false, "only monitor-mode reports")
	list := addListFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if enforced && reported {
			return fmt.Errorf("--enforced and --reported cannot be combined")
		}
		if enforced || reported {
			f.Enforced = &enforced
		}
		var err error
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		seq := c.EnforcementEvents(cmd.Context(), f)
		names := newIdentityNames(cmd.Context(), c)
		t := newTable(cmd.OutOrStdout(), "TIME", "CONTROL", "OUTCOME", "IDENTITY", "OWNER", "REASON")
		return printList(cmd, opts.json, seq, list.limit, t, "enforcement events", func(e *warden.EnforcementEvent) {
			outcome := "disabled"
			if !e.Enforced {
				outcome = "would disable"
			}
			t.row(e.Time.UTC().Format(time.RFC3339), string(e.Control), outcome, clip(names.of(e.IdentityID), 60), orDash(e.Owner), clip(e.Reason, 80))
		})
	}
	return cmd
}
