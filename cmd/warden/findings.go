package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

var findingJSONHelp = jsonHelp(jsonFields(warden.Finding{}))

func newFindingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "findings",
		Aliases: []string{"finding"},
		Short:   "List, inspect and suppress governance findings",
		Long: `List, inspect and suppress governance findings: the problems the governance rules
found on identities (no owner, old keys, admin permissions, OIDC trust without a subject
condition, ...), each mapped to the OWASP Non-Human Identities Top 10 (2025) and to NIST
SP 800-207 / CSF 2.0 references. Findings resolve by themselves when the condition clears at
the next evaluation ("warden govern evaluate" or the server's periodic run).`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newFindingsListCmd(opts), newFindingsGetCmd(opts), newFindingsSuppressCmd(opts), newFindingsUnsuppressCmd(opts))
	return cmd
}

func newFindingsListCmd(opts *clientOptions) *cobra.Command {
	var f client.FindingQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List findings, newest first",
		Long: `List findings, newest first, following every page unless --limit is given.

The table shows ID, SEVERITY, STATUS, RULE, OWASP, IDENTITY and DETAIL.

` + findingJSONHelp,
		Example: `  warden findings list --status open --severity critical
  warden findings list --owasp NHI5 --json
  warden findings list --identity arn:aws:iam::402118867530:user/jenkins-deployer
  warden findings list --rule credential-old --status suppressed`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.RuleID, "rule", "", "only this rule id (see warden govern rules)")
	fl.StringVar((*string)(&f.Severity), "severity", "", "only this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.OWASP, "owasp", "", "only findings mapped to this OWASP NHI id (NHI1-NHI10)")
	fl.StringVar(&f.Identity, "identity", "", "only findings of this identity (id or external id)")
	fl.StringVar((*string)(&f.Provider), "provider", "", "provider of --identity's external id, when several share it")
	fl.StringVar((*string)(&f.Status), "status", "", "only this status (open, resolved, suppressed)")
	fl.StringVar(&f.Source, "source", "", "only findings raised by this component (govern, scan)")
	list := addListFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		seq := c.Findings(cmd.Context(), f)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(f *warden.Finding) error { return jl.write(f) })
		}
		t := newTable(cmd.OutOrStdout(), "ID", "SEVERITY", "STATUS", "RULE", "OWASP", "IDENTITY", "DETAIL")
		names := newIdentityNames(cmd.Context(), c)
		err = each(seq, list.limit, func(f *warden.Finding) error {
			name := names.of(f.IdentityID)
			t.row(f.ID, string(f.Severity), string(f.Status), f.RuleID, strings.Join(f.OWASP, ","), clip(name, 60), clip(f.Detail, 80))
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "findings"); err == nil {
			err = ferr
		}
		return err
	}
	return cmd
}

func newFindingsGetCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one finding with its evidence, mapping and remediation",
		Long:  "Show one finding with its evidence, OWASP/NIST mapping and remediation.\n\n" + findingJSONHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			f, err := c.FindFindingByID(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			return printFinding(cmd, opts, f)
		},
	}
}

func printFinding(cmd *cobra.Command, opts *clientOptions, f *warden.Finding) error {
	if opts.json {
		return newJSONLines(cmd.OutOrStdout()).write(f)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "id:           %s\nrule:         %s (%s)\nseverity:     %s\nstatus:       %s\nidentity:     %s\n",
		f.ID, f.RuleID, f.Title, f.Severity, f.Status, f.IdentityID)
	if f.Subject != "" {
		fmt.Fprintf(w, "subject:      %s\n", f.Subject)
	}
	fmt.Fprintf(w, "detail:       %s\nowasp:        %s\nnist:         %s\nfirst seen:   %s\nlast seen:    %s\n",
		f.Detail, owaspNames(f.OWASP), strings.Join(f.NIST, "; "), f.FirstSeenAt.Format(time.RFC3339), f.LastSeenAt.Format(time.RFC3339))
	if f.Suppression != nil {
		fmt.Fprintf(w, "suppressed:   until %s by %s: %s\n", f.Suppression.Until.Format(time.RFC3339), f.Suppression.By, f.Suppression.Reason)
	}
	fmt.Fprintf(w, "evidence:     %s\nremediation:  %s\n", f.Evidence, f.Remediation)
	return nil
}

func owaspNames(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id + " " + warden.OWASPNHITop10[id]
	}
	return strings.Join(parts, "; ")
}

func newFindingsSuppressCmd(opts *clientOptions) *cobra.Command {
	var reason, untilFlag string
	var forDays int
	cmd := &cobra.Command{
		Use:   "suppress ID --reason TEXT (--until DATE | --for DAYS)",
		Short: "Accept a finding's risk for a while, with a reason (audited)",
		Long: `Suppress a finding: accept its risk with a reason until a date (at most 366 days away).
A suppressed finding does not count in the identity's risk score; when the suppression
expires the finding is open again. The change is audited with who made it.`,
		Example: `  warden findings suppress 0190... --reason "vendor rotates this key in Q2" --until 2026-06-30
  warden findings suppress 0190... --reason "accepted by CISO, RISK-1234" --for 30`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var until time.Time
			switch {
			case untilFlag != "" && forDays != 0:
				return fmt.Errorf("give --until or --for, not both")
			case untilFlag != "":
				t, err := parseDate("until", untilFlag)
				if err != nil {
					return err
				}
				until = t
			case forDays > 0:
				until = time.Now().Add(time.Duration(forDays) * 24 * time.Hour)
			default:
				return fmt.Errorf("a suppression must expire: give --until DATE or --for DAYS")
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			f, err := c.SuppressFinding(cmd.Context(), args[0], reason, until)
			if err != nil {
				return explain(err)
			}
			return printFinding(cmd, opts, f)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the risk is accepted (required)")
	cmd.Flags().StringVar(&untilFlag, "until", "", "when the suppression ends (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().IntVar(&forDays, "for", 0, "suppress for this many days")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newFindingsUnsuppressCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "unsuppress ID",
		Short: "End a suppression early; the finding is open again (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			f, err := c.UnsuppressFinding(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			return printFinding(cmd, opts, f)
		},
	}
}
