package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

func newPolicyDecisionsCmd(opts *clientOptions) *cobra.Command {
	var f warden.DecisionFilter
	var identity string
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "List logged decisions, newest first (--would-deny: what monitor mode let through)",
		Long: `List the decision log, newest first: every deny, the sampled allows, every allow by an
access grant, and every would-deny: a request the policy set denied that monitor mode
allowed (OUTCOME "allow (would deny)"), with the policies that would have denied it.
"warden enforcement set policy enforce --scope ..." promotes the policy set.`,
		Example: `  warden policy decisions --would-deny
  warden policy decisions --decision deny --identity spiffe://warden.local/payments`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&identity, "identity", "", "only decisions for this identity (id or external id)")
	fl.StringVar(&f.Decision, "decision", "", "only allow or deny")
	fl.StringVar(&f.Action, "action", "", "only this action id")
	fl.BoolVar(&f.WouldDeny, "would-deny", false, "only allows that monitor mode gave where the policy set denied")
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
		if identity != "" {
			id, err := c.FindIdentityByRef(cmd.Context(), identity, "")
			if err != nil {
				return explain(err)
			}
			f.IdentityID = id.ID
		}
		seq := c.Decisions(cmd.Context(), f)
		names := newIdentityNames(cmd.Context(), c)
		t := newTable(cmd.OutOrStdout(), "TIME", "OUTCOME", "PRINCIPAL", "ACTION", "RESOURCE", "POLICIES")
		return printList(cmd, opts.json, seq, list.limit, t, "decisions", func(d *warden.DecisionRecord) {
			outcome := d.Decision
			if d.WouldDeny {
				outcome = "allow (would deny)"
			}
			who := d.Principal.ID
			if d.IdentityID != "" {
				who = names.of(d.IdentityID)
			}
			t.row(d.Time.UTC().Format(time.RFC3339), outcome, clip(who, 60), clip(d.Action.ID, 40),
				clip(d.Resource.Type+"::"+d.Resource.ID, 60), orDash(strings.Join(d.Policies, ", ")))
		})
	}
	return cmd
}
