package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newGovernCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "govern",
		Short: "Run the governance rules and show the rule catalog",
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newGovernEvaluateCmd(opts), newGovernRulesCmd(opts))
	return cmd
}

func newGovernEvaluateCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "evaluate",
		Short: "Evaluate every rule over the inventory now",
		Long: `Evaluate every governance rule over the whole inventory now: new findings are opened,
findings whose condition cleared are resolved, risk scores are updated and a posture
snapshot is recorded. "warden serve" also evaluates periodically (--govern-interval).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			res, err := c.Evaluate(cmd.Context())
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(res)
			}
			f := res.Findings
			fmt.Fprintf(cmd.OutOrStdout(), "evaluated %d identities in %s: %d opened, %d reopened, %d resolved, %d unchanged, %d suppressions expired; %d risk scores changed\n",
				res.Identities, res.FinishedAt.Sub(res.StartedAt).Round(1e6), f.Opened, f.Reopened, f.Resolved, f.Refreshed, f.Expired, res.RiskChanged)
			return printPostureLine(cmd, res.Posture)
		},
	}
}

func newGovernRulesCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the governance rules with their OWASP NHI and NIST mapping",
		Long: `List the governance rules: id, severity, OWASP Non-Human Identities Top 10 (2025) ids,
NIST SP 800-207 / CSF 2.0 references, thresholds and whether each is enabled. With --json,
one rule per line with every field (id, title, description, severity, remediation, owasp,
nist, source, enabled, params).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			cat, err := c.GovernanceRules(cmd.Context())
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, r := range cat.Items {
					if err := jl.write(r); err != nil {
						return err
					}
				}
				return nil
			}
			t := newTable(cmd.OutOrStdout(), "RULE", "SEVERITY", "OWASP", "NIST", "PARAMS", "ENABLED")
			for _, r := range cat.Items {
				var params []string
				for k, v := range r.Params {
					params = append(params, fmt.Sprintf("%s=%g", k, v))
				}
				t.row(r.ID, string(r.Severity), strings.Join(r.OWASP, ","), clip(strings.Join(r.NIST, "; "), 60), orDash(strings.Join(params, " ")), fmt.Sprint(r.Enabled))
			}
			return t.flush(cmd.ErrOrStderr(), "rules")
		},
	}
}
