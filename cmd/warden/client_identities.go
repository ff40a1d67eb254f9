package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

var identityJSONHelp = jsonHelp(jsonFields(warden.Identity{}))

func newIdentitiesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "identities",
		Aliases: []string{"identity", "id"},
		Short:   "List, inspect and change the identities in the inventory",
		Long: `List, inspect and change the non-human identities in the inventory of a warden server.

Commands that name an identity (REF) accept its warden id or its external id (an ARN,
system:serviceaccount:ns:name, a SPIFFE ID, ...); add --provider when several providers
share the external id.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(
		newIdentitiesListCmd(opts),
		newIdentitiesGetCmd(opts),
		newIdentitiesCreateCmd(opts),
		newIdentitiesUpdateCmd(opts),
		newIdentitiesDeprovisionCmd(opts),
	)
	return cmd
}

func newIdentitiesListCmd(opts *clientOptions) *cobra.Command {
	var (
		f                  warden.IdentityFilter
		labels             []string
		managed, unmanaged bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List identities, following every page",
		Long: `List identities matching the filters, following every page unless --limit is given.

The table shows ID, KIND, PROVIDER, NAME, OWNER ("-" when nobody owns it), ENV, STATUS and
LAST USED (relative, "never" when never used).

` + identityJSONHelp,
		Example: `  warden identities list --unowned --env prod
  warden identities list --kind cloud_user --sort last_used_at --limit 20
  warden identities list --label team=team-billing --json | jq -r .external_id`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar((*string)(&f.Kind), "kind", "", "only this kind ("+joinKinds()+")")
	fl.StringVar((*string)(&f.Provider), "provider", "", "only this provider (aws, gcp, azure, kubernetes, github, ...)")
	fl.StringVar(&f.Owner, "owner", "", "only identities with this owner")
	fl.BoolVar(&f.Unowned, "unowned", false, "only identities without an owner")
	fl.StringVar((*string)(&f.Status), "status", "", "only this status (active, quarantined, disabled, deprovisioned)")
	fl.StringVar(&f.Environment, "env", "", "only this environment (prod, staging, dev, ...)")
	fl.BoolVar(&managed, "managed", false, "only onboarded identities")
	fl.BoolVar(&unmanaged, "unmanaged", false, "only identities seen in activity logs but never onboarded")
	fl.StringArrayVar(&labels, "label", nil, "only identities with this label: key=value, or key for any value (repeatable)")
	fl.StringVar(&f.Query, "search", "", "case-insensitive text in name, external id, owner or purpose")
	fl.StringVar(&f.Sort, "sort", "", "order by name, created_at, updated_at, last_used_at, next_review_at or risk_score; prefix '-' for descending")
	fl.IntVar(&f.MinRisk, "min-risk", 0, "only identities whose governance risk score (0-100) is at least this")
	cmd.MarkFlagsMutuallyExclusive("managed", "unmanaged")
	cmd.MarkFlagsMutuallyExclusive("owner", "unowned")
	list := addListFlags(cmd)

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		if f.Labels, err = parseLabels(labels, true); err != nil {
			return err
		}
		if managed || unmanaged {
			f.Managed = &managed
		}
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		if opts.json {
			jl := newJSONLines(out)
			return each(c.Identities(cmd.Context(), f), list.limit, func(i *warden.Identity) error { return jl.write(i) })
		}
		now := time.Now()
		t := newTable(out, "ID", "KIND", "PROVIDER", "NAME", "OWNER", "ENV", "STATUS", "LAST USED")
		err = each(c.Identities(cmd.Context(), f), list.limit, func(i *warden.Identity) error {
			t.row(i.ID, string(i.Kind), string(i.Provider), clip(i.Name, 48), clip(orDash(i.Owner), 32),
				orDash(i.Environment), string(i.Status), ago(now, i.LastUsedAt))
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "identities"); err == nil {
			err = ferr
		}
		return err
	}
	return cmd
}

func newIdentitiesGetCmd(opts *clientOptions) *cobra.Command {
	var provider string
	cmd := &cobra.Command{
		Use:   "get REF",
		Short: "Show one identity and its credentials",
		Long: `Show one identity, named by id or external id, with its credentials.

` + identityJSONHelp + `
(--json prints the identity only; list its credentials with ` + "`warden credentials list REF --json`" + `.)`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&provider, "provider", "", "provider of the external id, when several share it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		id, err := c.FindIdentityByRef(cmd.Context(), args[0], warden.Provider(provider))
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(id)
		}
		if err := printIdentity(cmd, id); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "\nCredentials:")
		creds := c.Credentials(cmd.Context(), warden.CredentialFilter{IdentityID: id.ID, Limit: warden.MaxPageSize})
		return printCredentials(cmd, creds, 0, false, cmd.OutOrStdout())
	}
	return cmd
}

// printIdentity writes the detail view of an identity.
func printIdentity(cmd *cobra.Command, i *warden.Identity) error {
	now := time.Now()
	status := string(i.Status)
	if i.StatusReason != "" {
		status += " (" + i.StatusReason + ")"
	}
	managed := "yes"
	if !i.Managed {
		managed = "no (seen in activity, not onboarded)"
	}
	review := stamp(now, i.NextReviewAt)
	if i.NextReviewAt != nil && i.NextReviewAt.Before(now) {
		review = i.NextReviewAt.UTC().Format(time.RFC3339) + " (overdue by " + span(now.Sub(*i.NextReviewAt)) + ")"
	}
	t := newTable(cmd.OutOrStdout())
	for _, kv := range [][2]string{
		{"ID:", i.ID},
		{"Kind:", string(i.Kind)},
		{"Provider:", string(i.Provider)},
		{"External ID:", i.ExternalID},
		{"Name:", i.Name},
		{"Owner:", orDash(i.Owner)},
		{"Purpose:", orDash(i.Purpose)},
		{"Environment:", orDash(i.Environment)},
		{"Labels:", formatLabels(i.Labels)},
		{"Status:", status},
		{"Managed:", managed},
		{"First seen:", stamp(now, i.FirstSeenAt)},
		{"Last used:", ago(now, i.LastUsedAt)},
		{"Next review:", review},
		{"Created:", stamp(now, &i.CreatedAt)},
		{"Updated:", stamp(now, &i.UpdatedAt)},
	} {
		t.row(kv[0], kv[1])
	}
	return t.flush(nil, "")
}

func newIdentitiesCreateCmd(opts *clientOptions) *cobra.Command {
	var (
		id         warden.Identity
		labels     []string
		reviewDate string
		unmanaged  bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Add an identity to the inventory",
		Long: `Add an identity to the inventory and print it.

` + identityJSONHelp,
		Example: `  warden identities create --kind cloud_role --provider aws \
    --external-id arn:aws:iam::402118867530:role/workload/shipment-api \
    --name shipment-api --owner team-shipping --env prod --label app=shipment-api --review-date 2026-09-01`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar((*string)(&id.Kind), "kind", "", "kind of identity ("+joinKinds()+")")
	fl.StringVar((*string)(&id.Provider), "provider", "", "system the identity lives in (aws, gcp, kubernetes, github, ...)")
	fl.StringVar(&id.ExternalID, "external-id", "", "the provider's id: ARN, SPIFFE ID, system:serviceaccount:ns:name, ...")
	fl.StringVar(&id.Name, "name", "", "display name (default: the external id)")
	fl.StringVar(&id.Owner, "owner", "", "accountable team or person")
	fl.StringVar(&id.Purpose, "purpose", "", "what the identity is for")
	fl.StringVar(&id.Environment, "env", "", "environment (prod, staging, dev, ...)")
	fl.StringArrayVar(&labels, "label", nil, "label as key=value (repeatable)")
	fl.StringVar(&reviewDate, "review-date", "", "next review date, YYYY-MM-DD or RFC 3339")
	fl.BoolVar(&unmanaged, "unmanaged", false, "record the identity as seen but not onboarded")
	for _, name := range []string{"kind", "provider", "external-id"} {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		if id.Labels, err = parseLabels(labels, false); err != nil {
			return err
		}
		if reviewDate != "" {
			t, err := parseDate("review-date", reviewDate)
			if err != nil {
				return err
			}
			id.NextReviewAt = &t
		}
		if id.Name == "" {
			id.Name = id.ExternalID
		}
		id.Managed = !unmanaged
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		if err := c.CreateIdentity(cmd.Context(), &id); err != nil {
			return explain(err)
		}
		return printIdentityResult(cmd, opts, &id)
	}
	return cmd
}

func printIdentityResult(cmd *cobra.Command, opts *clientOptions, id *warden.Identity) error {
	if opts.json {
		return newJSONLines(cmd.OutOrStdout()).write(id)
	}
	return printIdentity(cmd, id)
}

func newIdentitiesUpdateCmd(opts *clientOptions) *cobra.Command {
	var (
		provider                          string
		name, owner, purpose, env, reason string
		status, reviewDate                string
		labels                            []string
		managed                           bool
	)
	cmd := &cobra.Command{
		Use:   "update REF",
		Short: "Change an identity's owner, purpose, labels, status or review date",
		Long: `Change an identity. Only the flags given are sent: --owner '' clears the owner,
--label replaces all labels (--label '' removes them), --review-date none clears the review date.

` + identityJSONHelp,
		Example: `  warden identities update arn:aws:iam::402118867530:user/jenkins-deployer --owner team-platform --review-date 2026-06-30
  warden identities update 0193f2c1-... --status quarantined --reason "key found in a public gist"`,
		Args: cobra.ExactArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&provider, "provider", "", "provider of the external id, when several share it")
	fl.StringVar(&name, "name", "", "new display name")
	fl.StringVar(&owner, "owner", "", "new owner ('' clears it)")
	fl.StringVar(&purpose, "purpose", "", "new purpose")
	fl.StringVar(&env, "env", "", "new environment")
	fl.StringArrayVar(&labels, "label", nil, "label as key=value; replaces all labels (repeatable)")
	fl.StringVar(&status, "status", "", "new status: active, quarantined or disabled (use deprovision to retire)")
	fl.StringVar(&reason, "reason", "", "why the status changes")
	fl.StringVar(&reviewDate, "review-date", "", "next review date, YYYY-MM-DD or RFC 3339; none clears it")
	fl.BoolVar(&managed, "managed", false, "mark the identity onboarded (--managed=false: not onboarded)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var upd warden.IdentityUpdate
		changed := cmd.Flags().Changed
		setIf := func(flag string, dst **string, v string) {
			if changed(flag) {
				*dst = &v
			}
		}
		setIf("name", &upd.Name, name)
		setIf("owner", &upd.Owner, owner)
		setIf("purpose", &upd.Purpose, purpose)
		setIf("env", &upd.Environment, env)
		setIf("reason", &upd.StatusReason, reason)
		if changed("status") {
			s := warden.Status(status)
			upd.Status = &s
		}
		if changed("label") {
			m, err := parseLabels(labels, false)
			if err != nil {
				return err
			}
			upd.Labels = &m
		}
		if changed("review-date") {
			if strings.EqualFold(reviewDate, "none") {
				upd.ClearNextReview = true
			} else {
				t, err := parseDate("review-date", reviewDate)
				if err != nil {
					return err
				}
				upd.NextReviewAt = &t
			}
		}
		if changed("managed") {
			upd.Managed = &managed
		}
		if upd.Empty() {
			return errors.New("nothing to change: pass at least one of --name, --owner, --purpose, --env, --label, --status, --reason, --review-date, --managed")
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		id, err := c.UpdateIdentityByRef(cmd.Context(), args[0], warden.Provider(provider), upd)
		if err != nil {
			return explain(err)
		}
		return printIdentityResult(cmd, opts, id)
	}
	return cmd
}

func newIdentitiesDeprovisionCmd(opts *clientOptions) *cobra.Command {
	var provider, reason string
	cmd := &cobra.Command{
		Use:   "deprovision REF",
		Short: "Retire an identity and revoke its active credentials",
		Long: `Move an identity to its terminal state, deprovisioned, and mark its active credentials
revoked. The record stays in the inventory for history. This cannot be undone.

` + identityJSONHelp,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&provider, "provider", "", "provider of the external id, when several share it")
	cmd.Flags().StringVar(&reason, "reason", "", "why the identity is retired (recorded in the audit log)")
	_ = cmd.MarkFlagRequired("reason")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		id, err := c.DeprovisionIdentityByRef(cmd.Context(), args[0], warden.Provider(provider), reason)
		if err != nil {
			return explain(err)
		}
		return printIdentityResult(cmd, opts, id)
	}
	return cmd
}

func joinKinds() string {
	parts := make([]string, len(warden.IdentityKinds))
	for i, k := range warden.IdentityKinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, ", ")
}
