package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/client"
)

// envBreakGlassToken holds the break-glass second factor for warden breakglass.
const envBreakGlassToken = "WARDEN_BREAKGLASS_TOKEN"

func newAccessCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Ask for, approve and end just-in-time access",
		Long: `Just-in-time access: ask for a scope (actions on resources, or a named role) for a
time and a reason. The server's access policy denies the request, grants it at once
(e.g. reads for owned identities outside prod) or routes it to one or two approvers
(role approver; never the requester). A grant ends by itself; while it lasts the
decision point permits what it covers (guardrail.access-grant) unless a forbid says
otherwise, and a workload can take a token with exactly the grant's scope.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newAccessRequestCmd(opts), newAccessListCmd(opts), newAccessGetCmd(opts),
		newAccessAnswerCmd(opts, "approve", "Approve a pending request (never your own)"),
		newAccessAnswerCmd(opts, "deny", "Deny a pending request"),
		newAccessAnswerCmd(opts, "revoke", "End a grant now (its tokens are revoked) or withdraw a pending request"),
		newAccessAnswerCmd(opts, "review", "Review a break-glass grant after the fact (never your own)"),
		newAccessUsageCmd(opts), newAccessPolicyCmd())
	return cmd
}

// scopeFlags are the flags that build an access scope and its terms.
type scopeFlags struct {
	actions, resources, audience []string
	role, duration, reason       string
	task, onBehalfOf             string
}

func addScopeFlags(cmd *cobra.Command, f *scopeFlags, defaultDuration string) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.actions, "action", nil, "an action to be allowed (repeatable; a trailing * matches a prefix, e.g. s3:Get*)")
	fl.StringSliceVar(&f.resources, "resource", nil, "a resource the actions apply to, Type::id, Type::* or * (repeatable; default: any)")
	fl.StringVar(&f.role, "role", "", "a named role instead of actions (policies test principal in Role::\"NAME\")")
	fl.StringVar(&f.duration, "for", defaultDuration, "how long the grant lasts: 30m, 2h, 1d")
	fl.StringVar(&f.reason, "reason", "", "why you need it (required)")
	fl.StringVar(&f.task, "task", "", "the task an agent is doing")
	fl.StringVar(&f.onBehalfOf, "on-behalf-of", "", "the principal an agent acts for")
	fl.StringSliceVar(&f.audience, "audience", nil, "for a workload: the audience of the grant's token (repeatable)")
}

func (f *scopeFlags) input(identity string) warden.AccessInput {
	return warden.AccessInput{Identity: identity, Scope: warden.AccessScope{Role: f.role, Actions: f.actions, Resources: f.resources},
		Duration: f.duration, Reason: f.reason, Task: f.task, OnBehalfOf: f.onBehalfOf, Audience: f.audience}
}

func newAccessRequestCmd(opts *clientOptions) *cobra.Command {
	var f scopeFlags
	cmd := &cobra.Command{
		Use:   "request IDENTITY",
		Short: "Ask for time-bound access for an identity",
		Long: `Ask for time-bound access for IDENTITY (id or external id). Prints the request as
decided: approved (granted at once), pending (waiting for approvers) or denied, with what
decided it. Exits 1 when the policy denies the request.`,
		Example: `  warden access request arn:aws:iam::402118867530:role/invoice-exporter \
      --action s3:PutObject --resource S3Object::arn:aws:s3:::invoices/* --for 1h --reason "re-run INC-4411 export"
  warden access request IDENTITY --role payments-db-writer --for 30m --reason "schema migration" --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			out, err := c.RequestAccess(cmd.Context(), f.input(args[0]))
			if err != nil {
				return explain(err)
			}
			if err := printAccess(cmd.OutOrStdout(), opts.json, out.AccessRequest, newIdentityNames(cmd.Context(), c)); err != nil {
				return err
			}
			if out.Token != nil && !opts.json {
				fmt.Fprintf(cmd.OutOrStdout(), "token:     %s (expires %s)\n", out.Token.AccessToken, out.Token.ExpiresAt.UTC().Format(time.RFC3339))
			}
			if out.TokenError != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "granted, but no token came with it: %s (take it later: POST /v1/access/requests/%s/token)\n", out.TokenError, out.ID)
			}
			if out.Status == warden.AccessDenied {
				return &cliError{msg: "access denied: " + out.Decision}
			}
			return nil
		},
	}
	addScopeFlags(cmd, &f, "1h")
	return cmd
}

func newAccessListCmd(opts *clientOptions) *cobra.Command {
	var f client.AccessQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List access requests and grants, newest first",
		Long: `List access requests and grants, newest first. The table shows ID, STATUS, IDENTITY,
SCOPE, REQUESTER, ENDS (when a grant ends) and REVIEW (break-glass review state).`,
		Example: `  warden access list --status pending
  warden access list --needs-review
  warden access list --identity spiffe://warden.local/invoice-exporter --json`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Identity, "identity", "", "only requests for this identity (id or external id)")
	fl.StringVar((*string)(&f.Status), "status", "", "only this status: pending, approved, denied, revoked or expired")
	fl.BoolVar(&f.NeedsReview, "needs-review", false, "only break-glass grants whose review is pending")
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
		seq := c.AccessRequests(cmd.Context(), f)
		now := time.Now()
		names := newIdentityNames(cmd.Context(), c)
		t := newTable(cmd.OutOrStdout(), "ID", "STATUS", "IDENTITY", "SCOPE", "REQUESTER", "ENDS", "REVIEW")
		return printList(cmd, opts.json, seq, list.limit, t, "access requests", func(r *warden.AccessRequest) {
			status := string(r.Status)
			if r.BreakGlass {
				status += " (break-glass)"
			}
			ends := "-"
			if r.Status == warden.AccessApproved && r.ExpiresAt != nil {
				ends = until(now, r.ExpiresAt)
			}
			review := "-"
			if r.Review != nil {
				review = r.Review.Status
				if r.Review.Outcome != "" {
					review += ": " + r.Review.Outcome
				}
			}
			t.row(r.ID, status, clip(names.of(r.IdentityID), 60), clip(strings.Join(r.Scope.Strings(), " "), 60), clip(r.Requester, 40), ends, review)
		})
	}
	return cmd
}

func newAccessGetCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one access request with its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.GetAccessRequest(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			return printAccess(cmd.OutOrStdout(), opts.json, r, newIdentityNames(cmd.Context(), c))
		},
	}
}

func newAccessUsageCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "usage ID",
		Short: "Show what a grant was used for (the decisions it allowed)",
		Long: `Show what grant ID was used for: the decisions the decision point allowed through it
(policy guardrail.access-grant) while it was active, counted by action and resource. The
table shows ACTION, RESOURCE, COUNT, FIRST and LAST.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			u, err := c.GrantUsage(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(u)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d decisions allowed by grant %s between %s and %s\n", u.Decisions, u.GrantID,
				u.Since.UTC().Format(time.RFC3339), u.Until.UTC().Format(time.RFC3339))
			t := newTable(cmd.OutOrStdout(), "ACTION", "RESOURCE", "COUNT", "FIRST", "LAST")
			for _, x := range u.Uses {
				t.row(x.Action, clip(x.Resource, 80), fmt.Sprint(x.Count), x.First.UTC().Format(time.RFC3339), x.Last.UTC().Format(time.RFC3339))
			}
			if u.Truncated {
				fmt.Fprintln(cmd.ErrOrStderr(), "the grant was used more often than one report reads; the counts are of the most recent decisions")
			}
			return t.flush(cmd.ErrOrStderr(), "uses")
		},
	}
}

// newAccessAnswerCmd builds approve, deny, revoke and review.
func newAccessAnswerCmd(opts *clientOptions, verb, short string) *cobra.Command {
	var comment, reason, outcome, notes string
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]string{}
			switch verb {
			case "approve", "deny":
				body["comment"] = comment
			case "revoke":
				if strings.TrimSpace(reason) == "" {
					return errors.New("--reason is required: say why the grant ends early")
				}
				body["reason"] = reason
			case "review":
				if outcome != warden.ReviewJustified && outcome != warden.ReviewUnjustified {
					return fmt.Errorf("--outcome must be %s or %s", warden.ReviewJustified, warden.ReviewUnjustified)
				}
				body["outcome"], body["notes"] = outcome, notes
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.AnswerAccess(cmd.Context(), args[0], verb, body)
			if err != nil {
				return explain(err)
			}
			return printAccess(cmd.OutOrStdout(), opts.json, r, newIdentityNames(cmd.Context(), c))
		},
	}
	switch verb {
	case "approve", "deny":
		cmd.Flags().StringVar(&comment, "comment", "", "a note for the record")
	case "revoke":
		cmd.Flags().StringVar(&reason, "reason", "", "why the grant ends early (required)")
	case "review":
		cmd.Flags().StringVar(&outcome, "outcome", "", "justified or unjustified (required)")
		cmd.Flags().StringVar(&notes, "notes", "", "what the review found")
	}
	return cmd
}

func newAccessPolicyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "policy",
		Short: "Print warden's built-in access policy (a starting point for --access-policy)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), access.DefaultPolicyText)
			return err
		},
	}
}

func newBreakGlassCmd() *cobra.Command {
	var f scopeFlags
	var glassFile string
	cmd := &cobra.Command{
		Use:   "breakglass IDENTITY",
		Short: "Take emergency access now, without approval (always detected and reviewed)",
		Long: `Take emergency access for IDENTITY now, without approval. It needs your own API token
(WARDEN_TOKEN) and, as a second factor, a separate break-glass token (role breakglass) from
--breakglass-token-file or ` + envBreakGlassToken + `, and a reason of at least ` + fmt.Sprint(warden.MinBreakGlassReason) + ` characters.
Every use raises a high-severity detection and a review task (warden access list --needs-review).`,
		Example: `  WARDEN_BREAKGLASS_TOKEN=$(cat ~/.warden-glass) warden breakglass system:serviceaccount:payments:ledger \
      --action update --resource Deployment::payments/ledger --for 30m \
      --reason "INC-7: ledger in a crash loop, rolling back by hand"`,
		Args: cobra.ExactArgs(1),
	}
	opts := addClientFlags(cmd, false)
	addScopeFlags(cmd, &f, "1h")
	cmd.Flags().StringVar(&glassFile, "breakglass-token-file", "", "read the break-glass token from this file instead of env "+envBreakGlassToken)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		glass := strings.TrimSpace(os.Getenv(envBreakGlassToken))
		if glassFile != "" {
			b, err := os.ReadFile(glassFile)
			if err != nil {
				return fmt.Errorf("read break-glass token: %w", err)
			}
			glass = strings.TrimSpace(string(b))
		}
		if glass == "" {
			return errors.New("no break-glass token: set " + envBreakGlassToken + " or pass --breakglass-token-file (an admin creates one with `warden admin token create --role breakglass`)")
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		r, err := c.BreakGlass(cmd.Context(), glass, f.input(args[0]))
		if err != nil {
			return explain(err)
		}
		if err := printAccess(cmd.OutOrStdout(), opts.json, r, newIdentityNames(cmd.Context(), c)); err != nil {
			return err
		}
		if !opts.json {
			fmt.Fprintf(cmd.ErrOrStderr(), "break-glass recorded: a high-severity detection was raised and %s needs a review (warden access review %s --outcome justified|unjustified)\n", r.ID, r.ID)
		}
		return nil
	}
	return cmd
}

// printAccess writes one request as JSON or as labelled lines.
func printAccess(w io.Writer, asJSON bool, r *warden.AccessRequest, names *identityNames) error {
	if asJSON {
		return newJSONLines(w).write(r)
	}
	now := time.Now()
	line := func(k, v string) { fmt.Fprintf(w, "%-10s %s\n", k+":", v) }
	line("id", r.ID)
	status := string(r.Status)
	if r.BreakGlass {
		status += " (break-glass)"
	}
	line("status", status)
	line("decision", r.Decision)
	identity := r.IdentityID
	if name := names.of(r.IdentityID); name != r.IdentityID {
		identity = name + " (" + r.IdentityID + ")"
	}
	line("identity", identity)
	line("scope", strings.Join(r.Scope.Strings(), " "))
	line("duration", (time.Duration(r.DurationSeconds) * time.Second).String())
	line("requester", r.Requester+" ("+r.RequesterKind+")")
	if r.Task != "" || r.OnBehalfOf != "" {
		line("task", orDash(r.Task)+" for "+orDash(r.OnBehalfOf))
	}
	line("reason", r.Reason)
	if r.Status == warden.AccessPending {
		line("approvals", fmt.Sprintf("%d of %d", len(r.Approvals), r.RequiredApprovals))
	}
	for _, a := range r.Approvals {
		line(a.Decision, a.Approver+" "+stamp(now, &a.Time)+" "+a.Comment)
	}
	if r.StartsAt != nil {
		line("starts", stamp(now, r.StartsAt))
		line("ends", r.ExpiresAt.UTC().Format(time.RFC3339)+" ("+until(now, r.ExpiresAt)+")")
	}
	if r.EndedAt != nil {
		line("ended", stamp(now, r.EndedAt)+" by "+r.EndedBy+": "+r.EndReason)
	}
	if r.Review != nil {
		review := r.Review.Status
		if r.Review.Outcome != "" {
			review += ", " + r.Review.Outcome + " by " + r.Review.Reviewer
		}
		line("review", review)
	}
	if len(r.Tokens) > 0 {
		line("tokens", strings.Join(r.Tokens, " "))
	}
	return nil
}
