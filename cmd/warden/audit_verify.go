package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

// newAuditCmd builds "warden audit" with "verify"; the client command
// "audit list" is added by addClientCommands.
func newAuditCmd() *cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "Read and verify the audit log"}
	audit.AddCommand(newAuditVerifyCmd())
	return audit
}

func newAuditVerifyCmd() *cobra.Command {
	var dsn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exit 1 naming the first bad record",
		Long: `Walk the whole audit log in order and check its hash chain directly in the
database. Exits 0 when every record is intact, 1 when a record was edited,
deleted or reordered (naming the first bad record), 2 when the check could
not run. Keep the printed head hash somewhere else: comparing it later also
catches a log truncated together with its head.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStore(cmd.Context(), dsn)
			if err != nil {
				return &exitError{code: 2, msg: "warden: " + err.Error()}
			}
			defer db.Close()
			res, err := db.VerifyAudit(cmd.Context())
			if err != nil {
				return &exitError{code: 2, msg: "warden: verify audit log: " + err.Error()}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := json.NewEncoder(out).Encode(res); err != nil {
					return err
				}
			} else if res.OK {
				fmt.Fprintf(out, "audit log intact: %d records, head #%d %s\n", res.Records, res.HeadSeq, res.HeadHash)
			}
			if !res.OK {
				return &exitError{code: 1, msg: fmt.Sprintf("audit log BROKEN at record #%d: %s\n%d records before it are intact; restore the database from a backup and investigate who had write access", res.BadSeq, res.Problem, res.Records)}
			}
			return nil
		},
	}
	addDBFlag(cmd, &dsn)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON: records, head_seq, head_hash, ok, bad_seq, problem")
	return cmd
}
