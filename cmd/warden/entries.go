package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

var entryJSONHelp = jsonHelp(jsonFields(warden.RegistrationEntry{}))

// newEntriesCmd manages the issuer's registration entries and join tokens
// through the server (permissions issuer:read and issuer:manage).
func newEntriesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "entries",
		Aliases: []string{"entry"},
		Short:   "Manage the issuer's registration entries and join tokens",
		Long: `A registration entry says which attested facts make a workload which SPIFFE ID and
inventory identity, and what it may obtain (audiences, scopes, lifetimes). A workload attests
with a one-time join token made for its entry (method join_token) or with a token of a trusted
external OIDC issuer whose claims match the entry's selectors (method oidc).

Reading needs issuer:read (admin, operator, auditor); changing needs issuer:manage (admin,
operator). Every change is audited.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newEntriesListCmd(opts), newEntriesCreateCmd(opts), newEntriesDeleteCmd(opts), newEntriesJoinTokenCmd(opts),
		newEntriesJoinTokensCmd(opts))
	return cmd
}

func newEntriesListCmd(opts *clientOptions) *cobra.Command {
	var method string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List registration entries",
		Long:  "List registration entries, oldest first.\n\n" + entryJSONHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			entries, err := c.FindRegistrationEntries(cmd.Context(), method)
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, e := range entries {
					if err := jl.write(e); err != nil {
						return err
					}
				}
				return nil
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "ID", "SPIFFE ID", "METHOD", "IDENTITY", "AUDIENCES", "SCOPES", "CREATED")
			for _, e := range entries {
				t.row(e.ID, clip(e.SPIFFEID, 60), e.Method, e.IdentityID, clip(strings.Join(e.Audiences, ","), 40),
					clip(strings.Join(e.Scopes, " "), 40), ago(now, &e.CreatedAt))
			}
			return t.flush(cmd.ErrOrStderr(), "entries")
		},
	}
	cmd.Flags().StringVar(&method, "method", "", "only entries of this attestation method: join_token or oidc")
	return cmd
}

func newEntriesCreateCmd(opts *clientOptions) *cobra.Command {
	var e warden.RegistrationEntry
	var selectors []string
	var x509TTL, jwtTTL time.Duration
	cmd := &cobra.Command{
		Use:   "create SPIFFE_ID",
		Short: "Create a registration entry",
		Long: `Create a registration entry for an inventory identity. The SPIFFE ID must be in the server's
trust domain.

` + entryJSONHelp,
		Example: `  warden entries create spiffe://example.org/billing --identity ID --method join_token \
      --audience https://api.example.org --scope orders:read
  warden entries create spiffe://example.org/ci/deploy --identity ID --method oidc \
      --oidc-issuer https://token.actions.githubusercontent.com \
      --selector repository=acme/deploy --selector ref=refs/heads/main --audience sts.amazonaws.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.SPIFFEID = args[0]
			e.X509TTL, e.JWTTTL = warden.Duration(x509TTL), warden.Duration(jwtTTL)
			sel, err := parseLabels(selectors, false)
			if err != nil {
				return fmt.Errorf("--selector: %w", err)
			}
			e.Selectors = sel
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			if err := c.CreateRegistrationEntry(cmd.Context(), &e); err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(&e)
			}
			fmt.Fprintln(cmd.OutOrStdout(), e.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&e.IdentityID, "identity", "", "id of the inventory identity credentials are issued to")
	f.StringVar(&e.Method, "method", warden.AttestJoinToken, "attestation method: join_token or oidc")
	f.StringVar(&e.OIDCIssuer, "oidc-issuer", "", "external issuer URL whose tokens attest this entry (method oidc)")
	f.StringArrayVar(&selectors, "selector", nil, "bound claim key=value the external token must carry (repeatable)")
	f.StringArrayVar(&e.Audiences, "audience", nil, "audience the workload may ask tokens for (repeatable)")
	f.StringArrayVar(&e.Scopes, "scope", nil, "scope the workload may ask for (repeatable)")
	f.DurationVar(&x509TTL, "x509-ttl", 0, "longest X.509-SVID lifetime (default: the server's, 1h)")
	f.DurationVar(&jwtTTL, "jwt-ttl", 0, "longest JWT lifetime (default: the server's, 5m)")
	_ = cmd.MarkFlagRequired("identity")
	return cmd
}

func newEntriesDeleteCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a registration entry and revoke what was issued under it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteRegistrationEntry(cmd.Context(), args[0]); err != nil {
				return explain(err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Deleted; credentials issued under it are revoked.")
			return nil
		},
	}
}

func newEntriesJoinTokenCmd(opts *clientOptions) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "join-token ENTRY_ID",
		Short: "Create a one-time join token for an entry and print its secret once",
		Long: `Create a one-time join token for a join_token entry and print only its secret, so that
  warden svid fetch --join-token "$(warden entries join-token ID)" ...
works. The secret is shown only this once; warden stores its hash. It is used up by the
first attestation, successful or not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			out, err := c.CreateJoinToken(cmd.Context(), args[0], warden.Duration(ttl))
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.Secret)
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "lifetime of the join token (1m to 168h)")
	return cmd
}
