package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

func newPostureCmd() *cobra.Command {
	var since string
	var history, months int
	var programme bool
	cmd := &cobra.Command{
		Use:   "posture",
		Short: "Show the governance posture and how it changed",
		Long: `Show the governance posture recorded at each evaluation: identities, unowned,
not onboarded, over-privileged, stale and high-risk counts and open findings, newest first,
then the latest open findings by OWASP NHI id and by severity. With --json, one snapshot
per line (fields: id, time, identities, unowned, not_onboarded, over_privileged, stale,
high_risk, open_findings, suppressed, by_severity, by_rule, by_owasp).

--programme shows the programme metrics instead, a calendar month per row: not-onboarded
identities discovered, owners assigned and the median time to assign one, reviews answered,
what controls in monitor mode would have denied or disabled, and over-permissioned
identities at the month's last evaluation (--json: the metrics object).`,
		Example: `  warden posture
  warden posture --history 30 --json
  warden posture --since 2026-01-01
  warden posture --programme --months 6`,
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	cmd.Flags().IntVar(&history, "history", 10, "how many snapshots to show (1-500)")
	cmd.Flags().StringVar(&since, "since", "", "only snapshots from this date (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().BoolVar(&programme, "programme", false, "show the programme metrics by month instead")
	cmd.Flags().IntVar(&months, "months", 12, "with --programme: how many calendar months (1-36)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if programme {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			m, err := c.Programme(cmd.Context(), months, time.Time{})
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(m)
			}
			return printProgramme(cmd.OutOrStdout(), m)
		}
		if history < 1 || history > warden.MaxPageSize {
			return fmt.Errorf("--history must be between 1 and %d", warden.MaxPageSize)
		}
		f := warden.PostureFilter{Limit: history}
		if since != "" {
			t, err := parseDate("since", since)
			if err != nil {
				return err
			}
			f.Since = &t
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		p, err := c.Posture(cmd.Context(), f)
		if err != nil {
			return explain(err)
		}
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			for _, s := range p.Series {
				if err := jl.write(s); err != nil {
					return err
				}
			}
			return nil
		}
		if p.Latest == nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "no posture recorded yet: run warden govern evaluate")
			return nil
		}
		t := newTable(cmd.OutOrStdout(), "TIME", "IDENTITIES", "UNOWNED", "NOT ONBOARDED", "OVER-PRIVILEGED", "STALE", "HIGH RISK", "OPEN", "SUPPRESSED")
		for _, s := range p.Series {
			t.row(s.Time.Format(time.RFC3339), fmt.Sprint(s.Identities), fmt.Sprint(s.Unowned), fmt.Sprint(s.NotOnboarded), fmt.Sprint(s.OverPrivileged),
				fmt.Sprint(s.Stale), fmt.Sprint(s.HighRisk), fmt.Sprint(s.OpenFindings), fmt.Sprint(s.Suppressed))
		}
		if err := t.flush(cmd.ErrOrStderr(), "snapshots"); err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		fmt.Fprintln(w)
		bo := newTable(w, "OWASP", "RISK", "OPEN")
		ids := make([]string, 0, len(p.Latest.ByOWASP))
		for id := range p.Latest.ByOWASP {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return owaspNumber(ids[i]) < owaspNumber(ids[j]) })
		for _, id := range ids {
			bo.row(id, warden.OWASPNHITop10[id], fmt.Sprint(p.Latest.ByOWASP[id]))
		}
		if err := bo.flush(cmd.ErrOrStderr(), "open findings"); err != nil {
			return err
		}
		fmt.Fprintln(w)
		bs := newTable(w, "SEVERITY", "OPEN")
		for i := len(warden.Severities) - 1; i >= 0; i-- {
			if n := p.Latest.BySeverity[string(warden.Severities[i])]; n > 0 {
				bs.row(string(warden.Severities[i]), fmt.Sprint(n))
			}
		}
		return bs.flush(cmd.ErrOrStderr(), "open findings")
	}
	return cmd
}

func owaspNumber(id string) int {
	var n int
	fmt.Sscanf(id, "NHI%d", &n)
	return n
}

// printPostureLine prints a one-line posture summary.
func printPostureLine(cmd *cobra.Command, p *warden.PostureSnapshot) error {
	if p == nil {
		return nil
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "posture: %d identities, %d unowned, %d not onboarded, %d over-privileged, %d stale, %d high risk, %d open findings (%d suppressed)\n",
		p.Identities, p.Unowned, p.NotOnboarded, p.OverPrivileged, p.Stale, p.HighRisk, p.OpenFindings, p.Suppressed)
	return err
}
