package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

func newAuditListCmd() *cobra.Command {
	var f warden.AuditFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit records through the server, oldest first",
		Long: `List the records of the append-only audit log through the server's API, oldest first,
following every page unless --limit is given. Needs the audit:read permission.

The table shows SEQ, TIME (UTC), ACTOR, ACTION and TARGET (type/id).

` + jsonHelp(jsonFields(warden.AuditRecord{})) + `
before and after are the JSON of the object around the change (null when absent).`,
		Example: `  warden audit list --newest --limit 20
  warden audit list --action identity.update --limit 20
  warden audit list --target-type identity --target-id 0193f2c1-... --json`,
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&f.Actor, "actor", "", "only records by this actor (e.g. token:ID(name), system:demo)")
	fl.StringVar(&f.Action, "action", "", "only this action (e.g. identity.create, credential.update, token.revoke)")
	fl.StringVar(&f.TargetType, "target-type", "", "only records about this type of object (identity, credential, token)")
	fl.StringVar(&f.TargetID, "target-id", "", "only records about the object with this id")
	fl.BoolVar(&f.Newest, "newest", false, "latest records first (default: oldest first, the chain's order)")
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
		seq := c.AuditRecords(cmd.Context(), f)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(r *warden.AuditRecord) error { return jl.write(r) })
		}
		t := newTable(cmd.OutOrStdout(), "SEQ", "TIME", "ACTOR", "ACTION", "TARGET")
		err = each(seq, list.limit, func(r *warden.AuditRecord) error {
			t.row(strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(time.RFC3339), clip(r.Actor, 48), r.Action, r.TargetType+"/"+r.TargetID)
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "audit records"); err == nil {
			err = ferr
		}
		return err
	}
	return cmd
}
