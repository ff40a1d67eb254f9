package main

import (
	"errors"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// newLeaksCmd builds "warden leaks": what secret scans reported to the
// server, correlated with the inventory.
func newLeaksCmd() *cobra.Command {
	leaks := &cobra.Command{
		Use:   "leaks",
		Short: "List leaked secrets reported by scans, with the identity each one unlocks",
	}
	leaks.AddCommand(newLeaksListCmd())
	return leaks
}

func newLeaksListCmd() *cobra.Command {
	var f warden.LeakFilter
	var correlated, uncorrelated bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List reported leaks through the server, oldest first",
		Long: `List the leaks that "warden scan --server" reported, following every page unless
--limit is given. warden never holds the secret: each leak carries the SHA-256 fingerprint
of the secret, a redacted preview, where it was found, and — when it matches a recorded
credential — the identity it unlocks.

The table shows RULE, WHERE (file:line and commit), PREVIEW, IDENTITY (the external id of
the correlated identity, or "-"), MATCHED BY and LAST SEEN.

` + jsonHelp(jsonFields(warden.Leak{})),
		Example: `  warden leaks list --correlated
  warden leaks list --rule aws-access-key-id --json`,
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&f.Rule, "rule", "", "only leaks found by this rule (e.g. aws-access-key-id, private-key)")
	fl.StringVar(&f.Source, "source", "", "only leaks from this scanned source (a repository, a host, a CI job)")
	fl.StringVar(&f.IdentityID, "identity-id", "", "only leaks correlated with this identity id")
	fl.StringVar(&f.Fingerprint, "fingerprint", "", "only the leak of the secret with this SHA-256 fingerprint")
	fl.BoolVar(&correlated, "correlated", false, "only leaks tied to an identity in the inventory")
	fl.BoolVar(&uncorrelated, "uncorrelated", false, "only leaks tied to no known identity")
	list := addListFlags(cmd)

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if correlated && uncorrelated {
			return errors.New("--correlated and --uncorrelated cannot be combined: pass one")
		}
		if correlated || uncorrelated {
			f.Correlated = &correlated
		}
		var err error
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		seq := c.Leaks(cmd.Context(), f)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(l *warden.Leak) error { return jl.write(l) })
		}
		t := newTable(cmd.OutOrStdout(), "RULE", "WHERE", "PREVIEW", "IDENTITY", "MATCHED BY", "LAST SEEN")
		err = each(seq, list.limit, func(l *warden.Leak) error {
			identity := "-"
			if l.BlastRadius != nil && l.BlastRadius.ExternalID != "" {
				identity = l.BlastRadius.ExternalID
			} else if l.IdentityID != "" {
				identity = l.IdentityID
			}
			t.row(l.Rule, leakWhere(l), clip(l.Preview, 32), clip(identity, 64), orDash(l.MatchedBy), l.LastSeenAt.UTC().Format(time.RFC3339))
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "leaks"); err == nil {
			err = ferr
		}
		return err
	}
	return cmd
}

func leakWhere(l *warden.Leak) string {
	where := l.File
	if l.Line > 0 {
		where += ":" + strconv.Itoa(l.Line)
	}
	if l.Commit != "" {
		where += " @" + clip(l.Commit, 12)
	}
	return clip(where, 64)
}
