package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

func newEventsCmd() *cobra.Command {
	events := &cobra.Command{Use: "events", Short: "Read activity events"}
	var q client.EventQuery
	var since, until string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List activity events through the server, oldest first",
		Long: `List normalised activity events (CloudTrail, Kubernetes and GitHub audit logs, warden's own
logs) through the server's API, oldest first, following every page unless --limit is given.
Needs the inventory:read permission.

The table shows TIME (UTC), SOURCE, PRINCIPAL, ACTION, OUTCOME and SOURCE IP; interactive
(console) use is marked with *.

` + jsonHelp(jsonFields(warden.Event{})),
		Example: `  warden events list --identity arn:aws:iam::402118867530:user/jenkins-deployer
  warden events list --source cloudtrail --since 2026-02-28T00:00:00Z --json`,
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&q.Identity, "identity", "", "only events of this identity (id or external id)")
	fl.StringVar((*string)(&q.Provider), "provider", "", "provider of the --identity external id")
	fl.StringVar(&q.Source, "source", "", "only events from this source (cloudtrail, k8s-audit, github-audit, ...)")
	fl.StringVar(&since, "since", "", "only events at or after this RFC 3339 time")
	fl.StringVar(&until, "until", "", "only events before this RFC 3339 time")
	list := addListFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		if q.Limit, err = list.page(); err != nil {
			return err
		}
		for name, v := range map[string]struct {
			s   string
			dst **time.Time
		}{"since": {since, &q.Since}, "until": {until, &q.Until}} {
			if v.s == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, v.s)
			if err != nil {
				return fmt.Errorf("--%s %q: use an RFC 3339 time such as 2026-02-28T00:00:00Z", name, v.s)
			}
			*v.dst = &t
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		seq := c.Events(cmd.Context(), q)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(e *warden.Event) error { return jl.write(e) })
		}
		t := newTable(cmd.OutOrStdout(), "TIME", "SOURCE", "PRINCIPAL", "ACTION", "OUTCOME", "SOURCE IP")
		err = each(seq, list.limit, func(e *warden.Event) error {
			action := e.Action
			if e.Interactive {
				action += " *"
			}
			t.row(e.Time.UTC().Format(time.RFC3339), e.Source, clip(e.Principal, 60), action, string(e.Outcome), e.SourceIP)
			return nil
		})
		if ferr := t.flush(cmd.ErrOrStderr(), "events"); err == nil {
			err = ferr
		}
		return err
	}
	events.AddCommand(cmd)
	return events
}
