package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

func newReviewCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Recertify identities: start review campaigns, follow them, answer them",
		Long: `Review campaigns recertify identities on a schedule per risk tier: privileged identities
(risk score at or above the high-risk threshold, or an open admin-permissions or
wildcard-permissions finding) every 90 days, the others every 180. A campaign takes every
identity of its tier whose review is due, one item each, and shows its owner the identity's
usage, permissions used versus granted and open findings. Owners answer keep, reduce or
remove. Owners of unanswered items are reminded by webhook; at the due date the items
escalate, and after the grace period their identities are disabled (control
disable-review-expired: in monitor mode, its default, that is only reported).`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newReviewStartCmd(opts), newReviewListCmd(opts), newReviewStatusCmd(opts), newReviewAnswerCmd(opts))
	return cmd
}

func newReviewStartCmd(opts *clientOptions) *cobra.Command {
	var in warden.ReviewInput
	var tier string
	var noDisable bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a review campaign over the identities whose review is due",
		Long: `Start a review campaign over the identities of a tier whose review is due (never
reviewed, or their next review date passed) and that no open campaign covers. Prints the
campaign and its first progress. Needs a token with inventory:write.`,
		Example: `  warden review start --tier privileged --due 14d --grace 7d
  warden review start --name "Q2 recertification" --escalate-to security@example.com
  warden review start --tier standard --no-disable --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Tier = warden.ReviewTier(tier)
			if noDisable {
				off := false
				in.Disable = &off
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			campaign, err := c.StartReview(cmd.Context(), in)
			if err != nil {
				return explain(err)
			}
			if err := printCampaign(cmd.OutOrStdout(), opts.json, campaign); err != nil {
				return err
			}
			if !opts.json {
				fmt.Fprintf(cmd.ErrOrStderr(), "owners answer with: warden review answer ITEM keep|reduce|remove (items: warden review status %s)\n", campaign.ID)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tier, "tier", "all", "which identities: privileged, standard or all")
	fl.StringVar(&in.Name, "name", "", "the campaign's name (default: TIER review DATE)")
	fl.StringVar(&in.Due, "due", "", "time owners have to answer, e.g. 14d or 36h (default: the server's, 14d)")
	fl.StringVar(&in.Grace, "grace", "", "time after the due date before unanswered identities are disabled, e.g. 7d; 0d for none (default: the server's, 7d)")
	fl.StringVar(&in.Reminder, "reminder", "", "least time between two reminders of an item, e.g. 3d (default: the server's, 3d)")
	fl.StringVar(&in.EscalateTo, "escalate-to", "", "contact told about items unanswered at the due date (default: the server's)")
	fl.BoolVar(&noDisable, "no-disable", false, "never disable unanswered identities: leave their items escalated")
	return cmd
}

func newReviewListCmd(opts *clientOptions) *cobra.Command {
	var f warden.ReviewCampaignFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List review campaigns, newest first",
		Long: `List review campaigns, newest first. The table shows ID, NAME, TIER, STATUS, DUE,
ITEMS, ANSWERED (completion rate), ESCALATED and EXPIRED (disabled or reported).`,
		Example: `  warden review list --status open
  warden review list --json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar((*string)(&f.Status), "status", "", "only open or closed campaigns")
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
		seq := c.ReviewCampaigns(cmd.Context(), f)
		now := time.Now()
		t := newTable(cmd.OutOrStdout(), "ID", "NAME", "TIER", "STATUS", "DUE", "ITEMS", "ANSWERED", "ESCALATED", "EXPIRED")
		return printList(cmd, opts.json, seq, list.limit, t, "review campaigns", func(c *warden.ReviewCampaign) {
			p := c.Progress
			t.row(c.ID, clip(c.Name, 40), string(c.Tier), string(c.Status), until(now, &c.DueAt), fmt.Sprint(p.Total),
				fmt.Sprintf("%d (%.0f%%)", p.Answered, 100*p.CompletionRate), fmt.Sprint(p.Escalated), fmt.Sprint(p.Disabled+p.Reported))
		})
	}
	return cmd
}

func newReviewStatusCmd(opts *clientOptions) *cobra.Command {
	var q client.ReviewItemQuery
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a campaign's progress and its items",
		Long: `Show campaign ID: its progress (items by status and answer, completion rate) and its
items grouped by owner. The table shows ITEM, OWNER, IDENTITY, TIER, STATUS, ANSWER,
LAST USED, USED/UNUSED (permissions used, and granted but unused) and FINDINGS (open).
With --json, the campaign and then each item, one JSON object a line.`,
		Example: `  warden review status 0193f1c2-...
  warden review status 0193f1c2-... --owner alice@example.com --status pending`,
		Args: cobra.ExactArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&q.Owner, "owner", "", "only items of this owner")
	fl.StringVar((*string)(&q.Status), "status", "", "only items in this status: pending, answered, escalated, disabled or reported")
	fl.StringVar(&q.Identity, "identity", "", "only the item of this identity (id or external id)")
	list := addListFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var err error
		if q.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		campaign, err := c.GetReview(cmd.Context(), args[0])
		if err != nil {
			return explain(err)
		}
		q.CampaignID = campaign.ID
		seq := c.ReviewItems(cmd.Context(), q)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			if err := jl.write(campaign); err != nil {
				return err
			}
			return explain(each(seq, list.limit, func(it *warden.ReviewItem) error { return jl.write(it) }))
		}
		if err := printCampaign(cmd.OutOrStdout(), false, campaign); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout())
		now := time.Now()
		t := newTable(cmd.OutOrStdout(), "ITEM", "OWNER", "IDENTITY", "TIER", "STATUS", "ANSWER", "LAST USED", "USED/UNUSED", "FINDINGS")
		err = each(seq, list.limit, func(it *warden.ReviewItem) error {
			s := it.Snapshot
			perms := fmt.Sprintf("%d/%d", s.PermissionsUsed, s.PermissionsUnused)
			if s.RightsizeError != "" {
				perms = "-"
			}
			t.row(it.ID, clip(orDash(it.Owner), 30), clip(it.Identity, 60), string(it.Tier), string(it.Status), orDash(string(it.Answer)),
				ago(now, s.LastUsedAt), perms, fmt.Sprint(len(s.OpenFindings)))
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "items"); err == nil {
			err = ferr
		}
		return explain(err)
	}
	return cmd
}

func newReviewAnswerCmd(opts *clientOptions) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   "answer ITEM keep|reduce|remove",
		Short: "Answer a review item: keep, reduce or remove the identity",
		Long: `Answer review item ITEM (an id from warden review status). keep recertifies the identity
as it is; reduce recertifies it and records what to remove (the granted permissions its
activity did not need) for you to apply where they are granted; remove disables the identity
at once and needs --comment. keep and reduce move the identity's next review out by its
tier's interval. Needs a token with review:answer (roles admin, operator, approver).`,
		Example: `  warden review answer 0193f1c3-... keep --comment "still runs the nightly invoice export"
  warden review answer 0193f1c3-... reduce
  warden review answer 0193f1c3-... remove --comment "the FTP drop was retired in March"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			answer := warden.ReviewAnswer(strings.ToLower(args[1]))
			if !answer.Valid() {
				return fmt.Errorf("answer %q is not keep, reduce or remove", args[1])
			}
			if answer == warden.AnswerRemove && strings.TrimSpace(comment) == "" {
				return fmt.Errorf("remove needs --comment: say why the identity is no longer needed")
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			it, err := c.AnswerReview(cmd.Context(), args[0], warden.ReviewAnswerInput{Answer: answer, Comment: comment})
			if err != nil {
				return explain(err)
			}
			return printReviewItem(cmd.OutOrStdout(), opts.json, it)
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why (required for remove)")
	return cmd
}

func printCampaign(w io.Writer, asJSON bool, c *warden.ReviewCampaign) error {
	if asJSON {
		return newJSONLines(w).write(c)
	}
	now := time.Now()
	line := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", v) }
	p := c.Progress
	line("id", c.ID)
	line("name", c.Name)
	line("tier", string(c.Tier))
	line("status", string(c.Status))
	line("started", c.CreatedBy+" "+stamp(now, &c.CreatedAt))
	line("due", stamp(now, &c.DueAt))
	if c.DisableAfterGrace {
		disableAt := c.DisableAt()
		line("disable", "unanswered identities after "+stamp(now, &disableAt)+" (control disable-review-expired, in its mode)")
	} else {
		line("disable", "never: unanswered items stay escalated")
	}
	line("escalate to", orDash(c.EscalateTo))
	line("progress", fmt.Sprintf("%d of %d answered (%.0f%%): %d keep, %d reduce, %d remove", p.Answered, p.Total, 100*p.CompletionRate, p.Keep, p.Reduce, p.Remove))
	line("open", fmt.Sprintf("%d pending, %d escalated", p.Pending, p.Escalated))
	line("expired", fmt.Sprintf("%d disabled, %d reported (monitor mode)", p.Disabled, p.Reported))
	return nil
}

func printReviewItem(w io.Writer, asJSON bool, it *warden.ReviewItem) error {
	if asJSON {
		return newJSONLines(w).write(it)
	}
	now := time.Now()
	line := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", v) }
	line("item", it.ID)
	line("identity", it.Identity+" ("+it.IdentityID+")")
	line("owner", orDash(it.Owner))
	line("tier", string(it.Tier)+": "+it.Why)
	line("status", string(it.Status))
	if it.Answer != "" {
		line("answer", string(it.Answer)+" by "+it.AnsweredBy+" "+stamp(now, it.AnsweredAt))
	}
	if it.Comment != "" {
		line("comment", it.Comment)
	}
	if it.NextReviewAt != nil {
		line("next review", stamp(now, it.NextReviewAt))
	}
	if p := it.Proposal; p != nil {
		perms := make([]string, 0, len(p.Remove))
		for _, g := range p.Remove {
			perms = append(perms, g.Permission+" ("+g.Via+")")
		}
		line("remove", orDash(strings.Join(perms, ", ")))
		if p.Note != "" {
			line("note", p.Note)
		}
		if p.AWSPolicy != nil || p.KubernetesRBAC != "" {
			line("policy", "the proposed least-privilege policy is in --json (proposal.aws_policy, proposal.kubernetes_rbac)")
		}
	}
	return nil
}
