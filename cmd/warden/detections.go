package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

func newDetectionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "detections",
		Aliases: []string{"detection"},
		Short:   "List what the server's behavioural monitoring detected",
		Long: `List the detections of the server's behavioural monitoring: an identity acting from a
new network, a workload's credential used away from its workload, bulk secret reads,
access-denied probing, human use of a machine identity, persistence, audit-log tampering and
the rest, each with its MITRE ATT&CK technique, OWASP NHI id, evidence and the responses the
playbook took.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newDetectionsListCmd(opts))
	return cmd
}

func newDetectionsListCmd(opts *clientOptions) *cobra.Command {
	var f client.DetectionQuery
	var since, until string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List detections, newest first",
		Long: `List detections, newest first, following every page unless --limit is given.

The table shows TIME, SEVERITY, DETECTOR, IDENTITY, RESPONSES and EXPLANATION.

` + detectionJSONHelp,
		Example: `  warden detections list --severity high
  warden detections list --detector off-workload-credential --json
  warden detections list --identity arn:aws:iam::111122223333:role/orders-api --since 2026-03-01`,
		Args: cobra.NoArgs,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Detector, "detector", "", "only this detector (e.g. off-workload-credential)")
	fl.StringVar((*string)(&f.MinSeverity), "severity", "", "only this severity and above (info, low, medium, high, critical)")
	fl.StringVar(&f.Identity, "identity", "", "only detections of this identity (id or external id)")
	fl.StringVar((*string)(&f.Provider), "provider", "", "provider of --identity's external id, when several share it")
	fl.StringVar(&since, "since", "", "only detections at or after this date (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&until, "until", "", "only detections before this date (YYYY-MM-DD or RFC 3339)")
	list := addListFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		for _, d := range []struct {
			flag, value string
			dst         **time.Time
		}{{"since", since, &f.Since}, {"until", until, &f.Until}} {
			if d.value != "" {
				t, err := parseDate(d.flag, d.value)
				if err != nil {
					return err
				}
				*d.dst = &t
			}
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		seq := c.Detections(cmd.Context(), f)
		t := newTable(cmd.OutOrStdout(), "TIME", "SEVERITY", "DETECTOR", "IDENTITY", "RESPONSES", "EXPLANATION")
		return printList(cmd, opts.json, seq, list.limit, t, "detections", func(d *warden.Detection) {
			t.row(d.Time.UTC().Format(time.RFC3339), string(d.Severity), d.Detector, clip(d.Identity, 60), strings.Join(d.Responses, ","), clip(d.Explanation, 100))
		})
	}
	return cmd
}
