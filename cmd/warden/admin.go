package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// newAdminCmd builds "warden admin": commands that open the database
// directly, for bootstrap and recovery when no API token is at hand.
func newAdminCmd() *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Administer warden directly on its database (bootstrap, recovery)",
	}
	token := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens directly in the database"}
	token.AddCommand(newAdminTokenCreateCmd(), newAdminTokenListCmd(), newAdminTokenRevokeCmd())
	admin.AddCommand(token)
	return admin
}

func newAdminTokenCreateCmd() *cobra.Command {
	var dsn, role, name string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print it (only the token, on stdout)",
		Long: `Create an API token with a role and print the token, alone, on stdout,
so that scripts can capture it:

    export WARDEN_TOKEN=$(warden admin token create --db ./warden.db --role operator --name ci)

The token is shown this once; warden stores only its SHA-256 hash.
Roles: admin (everything), operator (read and change the inventory),
auditor (read-only, audit log included), approver (read, approve access).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := warden.NewContextWithActor(cmd.Context(), cliActor())
			db, err := openStore(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			_, secret, err := db.CreateToken(ctx, name, warden.Role(role))
			if err != nil {
				return fmt.Errorf("create token: %s", warden.ErrorMessage(err))
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	addDBFlag(cmd, &dsn)
	cmd.Flags().StringVar(&role, "role", "", "role of the token: admin, operator, auditor or approver (required)")
	cmd.Flags().StringVar(&name, "name", "", "a name that says who or what uses the token (default: the role)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newAdminTokenListCmd() *cobra.Command {
	var dsn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			tokens, err := db.FindTokens(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				for _, t := range tokens {
					if err := enc.Encode(t); err != nil {
						return err
					}
				}
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tROLE\tPREFIX\tCREATED\tLAST USED\tREVOKED")
			for _, t := range tokens {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.Prefix,
					t.CreatedAt.Format(time.DateTime), timeOrDash(t.LastUsedAt), timeOrDash(t.RevokedAt))
			}
			return w.Flush()
		},
	}
	addDBFlag(cmd, &dsn)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines: id, name, role, prefix, created_at, created_by, last_used_at, revoked_at")
	return cmd
}

func newAdminTokenRevokeCmd() *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke an API token; it is refused from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := warden.NewContextWithActor(cmd.Context(), cliActor())
			db, err := openStore(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			tok, err := db.RevokeToken(ctx, args[0])
			if err != nil {
				return fmt.Errorf("revoke token: %s (list tokens with: warden admin token list)", warden.ErrorMessage(err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s (%s, %s)\n", tok.ID, tok.Name, tok.Role)
			return nil
		},
	}
	addDBFlag(cmd, &dsn)
	return cmd
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}
