package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
	"github.com/warden-nhi/warden/owners"
	"github.com/warden-nhi/warden/store"
)

// newOwnerService wires owner suggestions on the store.
func newOwnerService(db *store.DB) warden.OwnerService {
	svc, err := owners.New(owners.Config{Store: db, Identities: db, Provenance: db, Events: db, Grants: db})
	if err != nil {
		panic(err) // the store implements every service: a wiring mistake
	}
	return svc
}

var ownersJSONHelp = jsonHelp(jsonFields(warden.OwnerSuggestion{}))

func newOwnersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "owners",
		Short: "Suggest owners for unowned identities and accept or reject them",
		Long: `Suggest who owns the identities nobody owns, from the evidence warden holds: who
created the identity or its access keys (CloudTrail CreateUser, CreateRole and
CreateAccessKey events), owner, team and contact tags and labels, the person who last used
it interactively (a console session), and the repository or pipeline that uses it (GitHub
OIDC trust, CI labels). Evidence for the same owner combines into one suggestion with a
higher confidence (0-100). Accepting a suggestion sets the identity's owner; rejecting it
is remembered, so that owner is never suggested again for the identity. Accepting and
rejecting need a role that answers reviews (admin, operator, approver).`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newOwnersSuggestCmd(opts), newOwnersListCmd(opts),
		newOwnersAnswerCmd(opts, "accept", "Accept a suggestion: set the identity's owner"),
		newOwnersAnswerCmd(opts, "reject", "Reject a suggestion; its owner is never suggested again for the identity"))
	return cmd
}

func newOwnersSuggestCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "suggest [IDENTITY]",
		Short: "Collect owner evidence for every unowned identity, or for one",
		Long: `Collect owner evidence for every unowned identity, or for IDENTITY (id or external id),
and store it as pending suggestions; prints the pending suggestions of the identities looked
at: ID, IDENTITY, OWNER, CONFIDENCE and EVIDENCE. Running it again updates pending
suggestions with new evidence and never duplicates them.

` + ownersJSONHelp,
		Example: `  warden owners suggest
  warden owners suggest arn:aws:iam::402118867530:user/svc/ledger-export
  warden owners suggest --json | jq 'select(.confidence >= 80)'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			rep, err := c.SuggestOwners(cmd.Context(), ref)
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, s := range rep.Suggestions {
					if err := jl.write(s); err != nil {
						return err
					}
				}
				return nil
			}
			r := rep.Result
			fmt.Fprintf(cmd.ErrOrStderr(), "looked at %d identities: %d suggestions new, %d updated, %d unchanged, %d already answered\n",
				rep.Identities, r.Created, r.Updated, r.Unchanged, r.Skipped)
			return printOwnerSuggestions(cmd.OutOrStdout(), cmd.ErrOrStderr(), rep.Suggestions, newIdentityNames(cmd.Context(), c))
		},
	}
}

func newOwnersListCmd(opts *clientOptions) *cobra.Command {
	var f client.OwnerQuery
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List owner suggestions, newest first",
		Long: `List owner suggestions, newest first: ID, IDENTITY, OWNER, CONFIDENCE, STATUS and EVIDENCE
(a summary; --json has every piece with its event id, time and source or its label).

` + ownersJSONHelp,
		Example: `  warden owners list --status pending
  warden owners list --identity arn:aws:iam::402118867530:role/etl-runner --json`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Identity, "identity", "", "only suggestions for this identity (id or external id)")
	fl.StringVar((*string)(&f.Status), "status", "", "only this status: pending, accepted, rejected or superseded")
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
		seq := c.OwnerSuggestions(cmd.Context(), f)
		names := newIdentityNames(cmd.Context(), c)
		t := newOwnerTable(cmd.OutOrStdout())
		return printList(cmd, opts.json, seq, list.limit, t, "owner suggestions", func(s *warden.OwnerSuggestion) { ownerRow(t, s, names) })
	}
	return cmd
}

func newOwnersAnswerCmd(opts *clientOptions, verb, short string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			answer := c.AcceptOwnerSuggestion
			if verb == "reject" {
				answer = c.RejectOwnerSuggestion
			}
			s, err := answer(cmd.Context(), args[0], reason)
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(s)
			}
			names := newIdentityNames(cmd.Context(), c)
			if verb == "accept" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s now owns %s (suggestion %s accepted)\n", s.Owner, names.of(s.IdentityID), s.ID)
			} else {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "suggestion %s rejected: %s will not be suggested again for %s\n", s.ID, s.Owner, names.of(s.IdentityID))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (kept with the decision and in the audit log)")
	return cmd
}

// printOwnerSuggestions writes suggestions as a table.
func printOwnerSuggestions(w, stderr io.Writer, list []*warden.OwnerSuggestion, names *identityNames) error {
	t := newOwnerTable(w)
	for _, s := range list {
		ownerRow(t, s, names)
	}
	return t.flush(stderr, "owner suggestions")
}

func newOwnerTable(w io.Writer) *table {
	return newTable(w, "ID", "IDENTITY", "OWNER", "CONFIDENCE", "STATUS", "EVIDENCE")
}

// ownerRow writes one suggestion, with a summary of its evidence.
func ownerRow(t *table, s *warden.OwnerSuggestion, names *identityNames) {
	t.row(s.ID, clip(names.of(s.IdentityID), 60), clip(s.Owner, 40), strconv.Itoa(s.Confidence), string(s.Status), clip(evidenceSummary(s.Evidence), 100))
}

// evidenceSummary names each piece of evidence briefly: its kind and the
// event id or label it rests on.
func evidenceSummary(ev []warden.OwnerEvidence) string {
	parts := make([]string, 0, len(ev))
	for _, e := range ev {
		ref := e.EventID
		if ref == "" {
			ref = e.Label
		}
		if ref == "" {
			parts = append(parts, e.Kind)
			continue
		}
		parts = append(parts, e.Kind+" "+ref)
	}
	return strings.Join(parts, "; ")
}
