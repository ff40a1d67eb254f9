package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden/govern"
)

func newReportCmd() *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the governance report for an audit (Markdown or JSON)",
		Long: `Write the governance report: the open and suppressed findings grouped by OWASP
Non-Human Identities Top 10 (2025) id and by NIST SP 800-207 / CSF 2.0 reference, with the
latest posture and the rule catalog. --format md (default) writes Markdown for people;
--format json writes the report object (generated_at, posture, rules, by_owasp, by_nist).`,
		Example: `  warden report > governance.md
  warden report --format json --output report.json`,
		Args: cobra.NoArgs,
	}
	opts := addClientFlags(cmd, false)
	cmd.Flags().StringVar(&format, "format", "md", "md or json")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if format != "md" && format != "json" {
			return fmt.Errorf("--format %q: use md or json", format)
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		r, err := c.Report(cmd.Context())
		if err != nil {
			return explain(err)
		}
		var w io.Writer = cmd.OutOrStdout()
		if output != "" {
			f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		if format == "json" {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		}
		return govern.RenderMarkdown(w, r)
	}
	return cmd
}
