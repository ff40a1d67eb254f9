package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
	"github.com/warden-nhi/warden/onboard"
)

func newOnboardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "onboard",
		Short: "Ask for new identities, claim discovered ones, and approve onboarding",
		Long: `Onboarding: every new machine identity comes in with a purpose, an owning team (and
person), an environment, the permissions it needs and a review interval or expiry. The
server's onboarding policy approves low-risk requests at once (read-only, not prod, not a
cloud user or AI agent) and routes the others to approvers (role approver; never the
requester; two for admin permissions in prod). An approved request creates a managed
identity, and for a warden workload its registration entry.

Identities discovered in imports and activity logs that never went through onboarding are
"not onboarded" (warden identities list --unmanaged): claim them to say who owns them.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newOnboardRequestCmd(opts), newOnboardClaimCmd(opts), newOnboardListCmd(opts), newOnboardGetCmd(opts),
		newOnboardAnswerCmd(opts, "approve", "Approve a pending onboarding request (never your own)"),
		newOnboardAnswerCmd(opts, "deny", "Deny a pending onboarding request"),
		newOnboardPolicyCmd())
	return cmd
}

func newOnboardRequestCmd(opts *clientOptions) *cobra.Command {
	var in warden.OnboardingInput
	var kind, provider string
	var labels, selectors []string
	var entry warden.OnboardingEntry
	var x509TTL, jwtTTL time.Duration
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Ask for a new managed identity",
		Long: `Ask for a new managed identity. Prints the request as decided: approved (the identity
was created; its id is shown), pending (waiting for approvers) or denied, with what decided
it. Exits 1 when the policy denies the request.

A warden workload (--provider warden --kind workload, --external-id its SPIFFE ID) also
gets a registration entry: give its attestation with --entry-method join_token, or
--entry-method oidc --oidc-issuer URL --selector claim=value. Its OAuth scopes are the
requested permissions. An entry is a way to obtain credentials, so unless your role may
manage the issuer (admin, operator) such a request always waits for an approver.`,
		Example: `  warden onboard request --kind service_account --provider kubernetes \
      --external-id system:serviceaccount:billing:invoice-renderer --purpose "renders invoice PDFs" \
      --team team-billing --owner maria.lopez@example.com --environment staging \
      --permission get --permission list --review-every 90d
  warden onboard request --kind workload --provider warden --external-id spiffe://warden.local/ci/docs \
      --purpose "builds the docs" --team team-docs --environment dev --permission docs.read --expires 180d \
      --entry-method oidc --oidc-issuer https://token.actions.githubusercontent.com --selector repository=example/docs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Kind, in.Provider = warden.IdentityKind(kind), warden.Provider(provider)
			var err error
			if in.Labels, err = parseLabels(labels, false); err != nil {
				return err
			}
			if entry.Method != "" {
				if entry.Selectors, err = parseKeyValues("selector", selectors); err != nil {
					return err
				}
				entry.X509TTL, entry.JWTTTL = warden.Duration(x509TTL), warden.Duration(jwtTTL)
				in.Entry = &entry
			} else if len(selectors) > 0 || entry.OIDCIssuer != "" || len(entry.Audiences) > 0 {
				return fmt.Errorf("--selector, --oidc-issuer and --audience describe a registration entry: give --entry-method too")
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.RequestOnboarding(cmd.Context(), in)
			if err != nil {
				return explain(err)
			}
			return reportOnboarding(cmd, opts.json, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "kind", "", "identity kind: "+kindList()+" (required)")
	fl.StringVar(&provider, "provider", "", "system it lives in: aws, gcp, azure, kubernetes, github, warden, ... (required)")
	fl.StringVar(&in.ExternalID, "external-id", "", "ARN, SPIFFE ID, system:serviceaccount:NS:NAME, ... (required)")
	fl.StringVar(&in.Name, "name", "", "display name (default: the last part of the external id)")
	fl.StringVar(&in.Purpose, "purpose", "", "what it is for (required)")
	fl.StringVar(&in.Team, "team", "", "owning team, set as its team label (required)")
	fl.StringVar(&in.Owner, "owner", "", "owning person; the identity's owner (default: the team)")
	fl.StringVar(&in.Environment, "environment", "", "prod, staging, dev, ... (required)")
	fl.StringArrayVar(&in.Permissions, "permission", nil, "a permission or scope it needs, e.g. s3:GetObject (repeatable; at least one)")
	fl.StringArrayVar(&labels, "label", nil, "label as key=value (repeatable)")
	fl.StringVar(&in.ReviewInterval, "review-every", "", "review interval: 90d, 12w (this or --expires is required)")
	fl.StringVar(&in.Expires, "expires", "", "when it should end: 2027-06-30, an RFC 3339 time, or 180d")
	fl.StringVar(&entry.Method, "entry-method", "", "warden workloads: attestation of the registration entry, join_token or oidc")
	fl.StringVar(&entry.OIDCIssuer, "oidc-issuer", "", "warden workloads: issuer URL of the OIDC tokens that attest it")
	fl.StringArrayVar(&selectors, "selector", nil, "warden workloads: bound claim as claim=value (repeatable)")
	fl.StringArrayVar(&entry.Audiences, "audience", nil, "warden workloads: an audience its tokens may carry (repeatable)")
	fl.DurationVar(&x509TTL, "x509-ttl", 0, "warden workloads: X.509-SVID lifetime (default: the issuer's)")
	fl.DurationVar(&jwtTTL, "jwt-ttl", 0, "warden workloads: JWT-SVID lifetime (default: the issuer's)")
	return cmd
}

func kindList() string {
	parts := make([]string, len(warden.IdentityKinds))
	for i, k := range warden.IdentityKinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, ", ")
}

// parseKeyValues reads repeated --NAME key=value flags.
func parseKeyValues(flag string, values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want key=value", flag, v)
		}
		out[k] = val
	}
	return out, nil
}

func newOnboardClaimCmd(opts *clientOptions) *cobra.Command {
	var in warden.ClaimInput
	var provider string
	var labels []string
	cmd := &cobra.Command{
		Use:   "claim IDENTITY",
		Short: "Claim a discovered identity that nobody onboarded",
		Long: `Claim IDENTITY (id or external id), a discovered identity that is not onboarded: say who
owns it, what it is for and where it runs. The onboarding policy approves low-risk claims
at once (outside prod, low risk score); others wait for an approver. An approved claim sets
the owner (the person, else the team), the team label, purpose and environment and makes
the identity managed. Exits 1 when the policy denies the claim.`,
		Example: `  warden onboard claim arn:aws:iam::402118867530:role/docs-publisher \
      --owner li.wei@example.com --team team-docs --purpose "publishes the docs site" --environment dev`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Identity, in.Provider = args[0], warden.Provider(provider)
			var err error
			if in.Labels, err = parseLabels(labels, false); err != nil {
				return err
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.ClaimIdentity(cmd.Context(), in)
			if err != nil {
				return explain(err)
			}
			return reportOnboarding(cmd, opts.json, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Owner, "owner", "", "owning person; the identity's owner (default: the team)")
	fl.StringVar(&in.Team, "team", "", "owning team, set as its team label (required)")
	fl.StringVar(&in.Purpose, "purpose", "", "what it is for (required)")
	fl.StringVar(&in.Environment, "environment", "", "prod, staging, dev, ... (required)")
	fl.StringVar(&provider, "provider", "", "provider of the external id, when several share it")
	fl.StringArrayVar(&labels, "label", nil, "label to add as key=value (repeatable)")
	fl.StringVar(&in.ReviewInterval, "review-every", "", "review interval: 90d, 12w")
	return cmd
}

// reportOnboarding prints a new request and says what happens next.
func reportOnboarding(cmd *cobra.Command, asJSON bool, r *warden.OnboardingRequest) error {
	if err := printOnboarding(cmd.OutOrStdout(), asJSON, r); err != nil {
		return err
	}
	switch r.Status {
	case warden.OnboardDenied:
		return &cliError{msg: "onboarding denied: " + r.Decision}
	case warden.OnboardPending:
		if !asJSON {
			fmt.Fprintf(cmd.ErrOrStderr(), "waiting for %d approver(s): another person approves with `warden onboard approve %s`\n", r.RequiredApprovals, r.ID)
		}
	}
	return nil
}

func newOnboardListCmd(opts *clientOptions) *cobra.Command {
	var f client.OnboardingQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List onboarding requests and claims, newest first",
		Long: `List onboarding requests and claims, newest first. The table shows ID, TYPE, STATUS,
IDENTITY (external id), TEAM, OWNER, ENV, APPROVALS (given/needed) and REQUESTER.`,
		Example: `  warden onboard list --status pending
  warden onboard list --type claim --json`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar((*string)(&f.Status), "status", "", "only this status: pending, approved or denied")
	fl.StringVar((*string)(&f.Type), "type", "", "only new (new identities) or claim")
	fl.StringVar(&f.Identity, "identity", "", "only requests that claimed or created this identity (id or external id)")
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
		seq := c.OnboardingRequests(cmd.Context(), f)
		t := newTable(cmd.OutOrStdout(), "ID", "TYPE", "STATUS", "IDENTITY", "TEAM", "OWNER", "ENV", "APPROVALS", "REQUESTER")
		return printList(cmd, opts.json, seq, list.limit, t, "onboarding requests", func(r *warden.OnboardingRequest) {
			t.row(r.ID, string(r.Type), string(r.Status), clip(r.ExternalID, 60), clip(r.Team, 24), clip(orDash(r.Owner), 32), r.Environment,
				approvalCount(r), clip(r.Requester, 40))
		})
	}
	return cmd
}

func approvalCount(r *warden.OnboardingRequest) string {
	n := 0
	for _, a := range r.Approvals {
		if a.Decision == "approve" {
			n++
		}
	}
	if r.RequiredApprovals == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", n, r.RequiredApprovals)
}

func newOnboardGetCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one onboarding request with its approvals",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.FindOnboardingRequest(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			return printOnboarding(cmd.OutOrStdout(), opts.json, r)
		},
	}
}

// newOnboardAnswerCmd builds approve and deny.
func newOnboardAnswerCmd(opts *clientOptions, verb, short string) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			var r *warden.OnboardingRequest
			if verb == "approve" {
				r, err = c.ApproveOnboarding(cmd.Context(), args[0], comment)
			} else {
				r, err = c.DenyOnboarding(cmd.Context(), args[0], comment)
			}
			if err != nil {
				return explain(err)
			}
			return printOnboarding(cmd.OutOrStdout(), opts.json, r)
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "a note for the record")
	return cmd
}

func newOnboardPolicyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "policy",
		Short: "Print warden's built-in onboarding policy (a starting point for --onboarding-policy)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), onboard.DefaultPolicyText)
			return err
		},
	}
}

// printOnboarding writes one request as JSON or as labelled lines.
func printOnboarding(w io.Writer, asJSON bool, r *warden.OnboardingRequest) error {
	if asJSON {
		return newJSONLines(w).write(r)
	}
	now := time.Now()
	line := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", v) }
	line("id", r.ID)
	line("type", string(r.Type))
	line("status", string(r.Status))
	line("decision", r.Decision)
	line("identity", fmt.Sprintf("%s %s (%s)", r.Provider, r.ExternalID, r.Kind))
	if r.IdentityID != "" {
		line("identity id", r.IdentityID)
	}
	if r.EntryID != "" {
		line("entry id", r.EntryID)
	}
	line("purpose", r.Purpose)
	line("team", r.Team)
	line("owner", warden.OwnerOf(r.Owner, r.Team))
	line("environment", r.Environment)
	if len(r.Permissions) > 0 {
		line("permissions", strings.Join(r.Permissions, " "))
	}
	if r.ReviewIntervalDays > 0 {
		line("review", fmt.Sprintf("every %d days", r.ReviewIntervalDays))
	}
	if r.ExpiresAt != nil {
		line("expires", r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if r.Type == warden.OnboardClaim {
		line("risk score", fmt.Sprint(r.RiskScore))
	}
	line("requester", r.Requester)
	if r.Status == warden.OnboardPending {
		line("approvals", approvalCount(r))
	}
	for _, a := range r.Approvals {
		line(a.Decision, strings.TrimSpace(a.Approver+" "+stamp(now, &a.Time)+" "+a.Comment))
	}
	return nil
}
