package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// newEntriesJoinTokensCmd lists an entry's join tokens.
func newEntriesJoinTokensCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "join-tokens ENTRY_ID",
		Short: "List an entry's join tokens: made, expires, used (never their secrets)",
		Long: `List the join tokens of a registration entry, newest first (at most 500): when each was
made, when it expires and when it was used. Secrets are stored only as hashes and cannot be
shown again; an unused token that should not be used can be made useless by deleting the entry.

` + jsonHelp(jsonFields(warden.JoinToken{})),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			toks, err := c.FindJoinTokens(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, t := range toks {
					if err := jl.write(t); err != nil {
						return err
					}
				}
				return nil
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "ID", "CREATED", "EXPIRES", "STATE")
			for _, tok := range toks {
				state := "unused"
				switch {
				case tok.UsedAt != nil:
					state = "used " + ago(now, tok.UsedAt)
				case !now.Before(tok.ExpiresAt):
					state = "expired"
				}
				t.row(tok.ID, ago(now, &tok.CreatedAt), until(now, &tok.ExpiresAt), state)
			}
			return t.flush(cmd.ErrOrStderr(), "join tokens")
		},
	}
}
