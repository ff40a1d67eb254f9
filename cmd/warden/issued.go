package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

var issuedJSONHelp = jsonHelp(jsonFields(warden.IssuedCredential{}))

// newIssuedCmd lists and revokes the credentials warden's issuer minted
// (permissions issuer:read and issuer:manage).
func newIssuedCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "issued",
		Short: "List and revoke the credentials warden's issuer minted",
		Long: `Every X.509-SVID, JWT-SVID and access token warden issues is recorded — its id (jti, or the
certificate serial in hex), identity, registration entry, SPIFFE ID, how the workload attested,
audience, scope, delegation chain and expiry, never a secret. Revocation takes effect at once
for introspection, the policy decision point and mTLS renewal, and serials appear in the CRL.

Reading needs issuer:read (admin, operator, auditor); revoking needs issuer:manage (admin,
operator). Revocations are audited with their reason.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newIssuedListCmd(opts), newIssuedGetCmd(opts), newIssuedRevokeCmd(opts))
	return cmd
}

func newIssuedListCmd(opts *clientOptions) *cobra.Command {
	var (
		f        warden.IssuedCredentialFilter
		identity string
		provider string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List issued credentials, newest first",
		Long: `List issued credentials, newest first, following every page unless --limit is given.

The table shows ID, KIND, SPIFFE ID, IDENTITY, ISSUED, EXPIRES and STATUS (live, expired or
revoked).

` + issuedJSONHelp,
		Example: `  warden issued list --identity spiffe://example.org/billing
  warden issued list --entry 01J... --kind access_token --json`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&identity, "identity", "", "only credentials of this identity (id or external id)")
	fl.StringVar(&provider, "provider", "", "provider of --identity's external id, when several share it")
	fl.StringVar(&f.EntryID, "entry", "", "only credentials issued under this registration entry")
	fl.StringVar(&f.Kind, "kind", "", "only this kind: "+warden.IssuedX509SVID+", "+warden.IssuedJWTSVID+" or "+warden.IssuedAccessToken)
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
			id, err := c.FindIdentityByRef(cmd.Context(), identity, warden.Provider(provider))
			if err != nil {
				return explain(err)
			}
			f.IdentityID = id.ID
		}
		seq := c.IssuedCredentials(cmd.Context(), f)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(r *warden.IssuedCredential) error { return jl.write(r) })
		}
		now := time.Now()
		t := newTable(cmd.OutOrStdout(), "ID", "KIND", "SPIFFE ID", "IDENTITY", "ISSUED", "EXPIRES", "STATUS")
		err = each(seq, list.limit, func(r *warden.IssuedCredential) error {
			t.row(clip(r.ID, 40), r.Kind, clip(r.SPIFFEID, 50), r.IdentityID, ago(now, &r.IssuedAt), until(now, &r.ExpiresAt), issuedStatus(now, r))
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "issued credentials"); err == nil {
			err = ferr
		}
		return err
	}
	return cmd
}

// issuedStatus is revoked, expired or live.
func issuedStatus(now time.Time, r *warden.IssuedCredential) string {
	switch {
	case r.RevokedAt != nil:
		return "revoked"
	case !now.Before(r.ExpiresAt):
		return "expired"
	}
	return "live"
}

func newIssuedGetCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one issued credential",
		Long:  "Show the record of one issued credential: its jti, or a certificate serial in hex.\n\n" + issuedJSONHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			r, err := c.FindIssuedCredential(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(r)
			}
			now := time.Now()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "ID:           %s\nKind:         %s\nSPIFFE ID:    %s\nIdentity:     %s\nEntry:        %s\n", r.ID, r.Kind, r.SPIFFEID, r.IdentityID, r.EntryID)
			fmt.Fprintf(w, "Attestation:  %s\nAudience:     %s\nScope:        %s\nActors:       %s\n", r.Attestation,
				orDash(strings.Join(r.Audience, ", ")), orDash(strings.Join(r.Scope, " ")), orDash(strings.Join(r.Actors, " <- ")))
			fmt.Fprintf(w, "Issued:       %s\nExpires:      %s\nStatus:       %s\n", r.IssuedAt.Format(time.RFC3339), r.ExpiresAt.Format(time.RFC3339), issuedStatus(now, r))
			if r.RevokedAt != nil {
				fmt.Fprintf(w, "Revoked:      %s (%s)\n", r.RevokedAt.Format(time.RFC3339), orDash(r.RevokeNote))
			}
			return nil
		},
	}
}

func newIssuedRevokeCmd(opts *clientOptions) *cobra.Command {
	var (
		r        warden.Revocation
		identity string
		provider string
	)
	cmd := &cobra.Command{
		Use:   "revoke [ID]",
		Short: "Revoke one issued credential, or all of an identity or entry",
		Long: `Revoke the issued credential ID, or every live credential of --identity or of --entry.
Exactly one target; --reason is required and goes to the audit log. Revocation is effective at
once for introspection and the policy decision point on every replica. It prints how many
live credentials were revoked.`,
		Example: `  warden issued revoke 3f9a0c... --reason "key left on a laptop"
  warden issued revoke --identity spiffe://example.org/billing --reason "incident 4711"`,
		Args: cobra.MaximumNArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&identity, "identity", "", "revoke every live credential of this identity (id or external id)")
	fl.StringVar(&provider, "provider", "", "provider of --identity's external id, when several share it")
	fl.StringVar(&r.EntryID, "entry", "", "revoke every live credential issued under this registration entry")
	fl.StringVar(&r.Reason, "reason", "", "why (recorded in the audit log; required)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			r.CredentialID = args[0]
		}
		targets := 0
		for _, v := range []string{r.CredentialID, identity, r.EntryID} {
			if v != "" {
				targets++
			}
		}
		if targets != 1 {
			return errors.New("name exactly one of ID, --identity or --entry")
		}
		if strings.TrimSpace(r.Reason) == "" {
			return errors.New("--reason is required")
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		if identity != "" {
			id, err := c.FindIdentityByRef(cmd.Context(), identity, warden.Provider(provider))
			if err != nil {
				return explain(err)
			}
			r.IdentityID = id.ID
		}
		n, err := c.RevokeIssued(cmd.Context(), r)
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(map[string]int{"revoked": n})
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%d\n", n)
		fmt.Fprintf(cmd.ErrOrStderr(), "Revoked %d live credential(s).\n", n)
		return nil
	}
	return cmd
}
