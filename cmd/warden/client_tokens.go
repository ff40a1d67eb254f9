package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

var tokenJSONHelp = jsonHelp(jsonFields(warden.APIToken{}))

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token"},
		Short:   "Manage API tokens through the server (needs an admin token)",
		Long: `List, create and revoke API tokens through the server's API; the calling token needs the
tokens:manage permission (role admin). To create the first token, when no server or no
admin token exists yet, use ` + "`warden admin token create --db PATH`" + ` on the database host.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newTokensListCmd(opts), newTokensCreateCmd(opts), newTokensRevokeCmd(opts))
	return cmd
}

func newTokensListCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List API tokens, revoked ones included",
		Long: `List API tokens, oldest first, revoked ones included. Secrets are never shown again after
creation; PREFIX is the start of the secret, to recognise it.

` + tokenJSONHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			tokens, err := c.FindTokens(cmd.Context())
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, tok := range tokens {
					if err := jl.write(tok); err != nil {
						return err
					}
				}
				return nil
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "ROLE", "PREFIX", "CREATED", "LAST USED", "STATUS")
			for _, tok := range tokens {
				status := "active"
				if tok.RevokedAt != nil {
					status = "revoked " + ago(now, tok.RevokedAt)
				}
				t.row(tok.ID, clip(tok.Name, 40), string(tok.Role), tok.Prefix, ago(now, &tok.CreatedAt), ago(now, tok.LastUsedAt), status)
			}
			return t.flush(cmd.ErrOrStderr(), "tokens")
		},
	}
}

func newTokensCreateCmd(opts *clientOptions) *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API token and print its secret once",
		Long: `Create an API token with a role and print its secret. The secret is shown only this once;
warden stores only its hash.

Roles: admin (everything), operator (read and change the inventory), auditor (read-only,
including the audit log), approver (read the inventory, approve access requests).

With --json, prints one object: {"token": {` + jsonFields(warden.APIToken{}) + `}, "secret": "..."}.`,
		Example: `  WARDEN_TOKEN=$(warden tokens create ci-importer --role operator --json | jq -r .secret)`,
		Args:    cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&role, "role", "", "role of the token: admin, operator, auditor or approver")
	_ = cmd.MarkFlagRequired("role")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		tok, secret, err := c.CreateToken(cmd.Context(), args[0], warden.Role(role))
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(client.CreatedToken{Token: tok, Secret: secret})
		}
		t := newTable(cmd.OutOrStdout())
		t.row("ID:", tok.ID)
		t.row("Name:", tok.Name)
		t.row("Role:", string(tok.Role))
		t.row("Secret:", secret)
		if err := t.flush(nil, ""); err != nil {
			return err
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "Store the secret now: it is not shown again. Use it as WARDEN_TOKEN.")
		return nil
	}
	return cmd
}

func newTokensRevokeCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token",
		Long: `Revoke an API token at once; requests with its secret fail from now on. Revoking a revoked
token does nothing.

` + tokenJSONHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			tok, err := c.RevokeToken(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(tok)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s (%s, %s)\n", tok.ID, tok.Name, tok.Role)
			return nil
		},
	}
}

func newWhoamiCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the API token in use, its role and permissions",
		Long: `Show which API token the CLI authenticates with, its role and its permissions, and check
that the server is reachable.

` + jsonHelp(jsonFields(client.WhoAmI{})),
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		me, err := c.WhoAmI(cmd.Context())
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(me)
		}
		perms := make([]string, len(me.Permissions))
		for i, p := range me.Permissions {
			perms[i] = string(p)
		}
		t := newTable(cmd.OutOrStdout())
		t.row("Server:", c.BaseURL())
		t.row("Token ID:", me.ID)
		t.row("Name:", me.Name)
		t.row("Role:", string(me.Role))
		t.row("Permissions:", orDash(strings.Join(perms, ", ")))
		return t.flush(nil, "")
	}
	return cmd
}
