package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/offboard"
)

// offboardChunk is how many people of a list one request offboards; a
// longer list goes in several, with progress on stderr.
const offboardChunk = 200

func newOffboardCmd() *cobra.Command {
	var grace, departed, file, format string
	cmd := &cobra.Command{
		Use:   "offboard PERSON | --file LIST",
		Short: "Offboard departed people: flag the identities they owned, list their credentials for rotation",
		Long: `Offboard a person who left (an email or user name, matched with identity owners
case-insensitively), or every person of a departed-people list (--file: CSV with a
header row naming person or email and optionally departed_at, or a JSON array of
{"person": ..., "departed_at": ...}).

Every identity the person owned loses its owner (nobody answers for it now) and is
labelled warden/offboarding=ID for reassignment; the credentials they created (from
provenance in activity logs) and the active credentials of those identities are listed
for rotation. When the reassignment period (--grace, default 14d) ends, the server's
sweep settles each identity: reassigned when someone set a new owner; otherwise
disabled if control disable-offboarded is in enforce mode, or only reported in monitor
mode (the default).

Offboarding a person again while their offboarding is open shows the open one and
changes nothing.`,
		Example: `  warden offboard alice.nguyen@example.com --departed 2026-02-27
  warden offboard svc-admin-mbellini --grace 30d --json
  warden offboard --file departed.csv
  warden offboard list --status open
  warden offboard status 0193f0e0-...`,
		Args: cobra.MaximumNArgs(1),
	}
	opts := addClientFlags(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&grace, "grace", "", "reassignment period: days (14d) or a duration (72h); default the server's (14d)")
	fl.StringVar(&departed, "departed", "", "when the person left: YYYY-MM-DD or RFC 3339 (default now)")
	fl.StringVar(&file, "file", "", "a departed-people list (.csv or .json) to offboard instead of PERSON")
	fl.StringVar(&format, "format", "", "the list's format, csv or json (default: from the file name)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case file != "" && len(args) > 0:
			return errors.New("name a PERSON or a --file, not both")
		case file != "":
			if departed != "" {
				return errors.New("--departed applies to one PERSON; a list gives each person's departed_at")
			}
			return offboardFile(cmd, opts, file, format, grace)
		case len(args) == 0:
			return errors.New("name the PERSON who left, or a list with --file (see warden offboard --help)")
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		res, err := c.Offboard(cmd.Context(), warden.OffboardInput{Person: args[0], DepartedAt: departed, Grace: grace})
		if err != nil {
			return explain(err)
		}
		if opts.json {
			return newJSONLines(cmd.OutOrStdout()).write(res)
		}
		if !res.Created {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s already has an open offboarding; nothing changed\n", res.Offboarding.Person)
		}
		return printOffboarding(cmd.OutOrStdout(), res.Offboarding)
	}
	cmd.AddCommand(newOffboardListCmd(opts), newOffboardStatusCmd(opts))
	return cmd
}

// offboardFile checks a whole list locally (the server's parser, so the
// same errors), then sends it in chunks, telling stderr how far it got.
func offboardFile(cmd *cobra.Command, opts *clientOptions, path, format, grace string) error {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	if format != warden.OffboardSourceCSV && format != warden.OffboardSourceJSON {
		return fmt.Errorf("cannot tell the format of %s: name it .csv or .json, or pass --format csv|json", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open list: %w", err)
	}
	defer f.Close()
	type row struct {
		Person     string `json:"person"`
		DepartedAt string `json:"departed_at,omitempty"`
	}
	var rows []row
	latest := time.Now().Add(offboard.MaxFutureDeparture)
	err = offboard.Parse(format, f, func(d offboard.Departure) error {
		r := row{Person: d.Person}
		if !d.DepartedAt.IsZero() {
			if d.DepartedAt.After(latest) {
				return fmt.Errorf("%s line %d: departed_at %s is in the future: offboard people once they have left", path, d.Line, d.DepartedAt.Format(time.RFC3339))
			}
			r.DepartedAt = d.DepartedAt.Format(time.RFC3339)
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		if warden.ErrorCode(err) == warden.EINVALID || warden.ErrorCode(err) == warden.ETOOLARGE {
			return fmt.Errorf("%s: %s (nothing was offboarded)", path, warden.ErrorMessage(err))
		}
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s names nobody", path)
	}
	c, err := opts.newClient(cmd)
	if err != nil {
		return err
	}
	var results []*warden.OffboardResult
	created, existing := 0, 0
	for start := 0; start < len(rows); start += offboardChunk {
		end := min(start+offboardChunk, len(rows))
		body, err := json.Marshal(rows[start:end])
		if err != nil {
			return fmt.Errorf("encode list: %w", err)
		}
		res, err := c.ImportDeparted(cmd.Context(), warden.OffboardSourceJSON, bytes.NewReader(body), grace)
		if err != nil {
			if start > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "stopped after %d of %d people (those are offboarded; running the list again skips them)\n", start, len(rows))
			}
			return explain(err)
		}
		results = append(results, res.Results...)
		created, existing = created+res.Created, existing+res.Existing
		if len(rows) > offboardChunk {
			fmt.Fprintf(cmd.ErrOrStderr(), "offboarded %d/%d people\n", end, len(rows))
		}
	}
	if opts.json {
		jl := newJSONLines(cmd.OutOrStdout())
		for _, r := range results {
			if err := jl.write(r); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d people: %d offboardings started, %d already open\n", len(results), created, existing)
	t := newTable(cmd.OutOrStdout(), "ID", "PERSON", "NEW", "DEADLINE", "IDENTITIES", "CREDENTIALS")
	for _, r := range results {
		o := r.Offboarding
		t.row(o.ID, clip(o.Person, 50), yesNo(r.Created), o.Deadline.UTC().Format(time.DateOnly), fmt.Sprint(len(o.Items)), fmt.Sprint(len(o.Credentials)))
	}
	return t.flush(cmd.ErrOrStderr(), "")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func newOffboardListCmd(opts *clientOptions) *cobra.Command {
	var f warden.OffboardingFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List offboardings, newest first",
		Long: `List offboardings, newest first. The table shows ID, PERSON, STATUS, DEPARTED,
DEADLINE and how many items are FLAGGED (waiting for a new owner), REASSIGNED,
DISABLED and REPORTED (monitor mode), and how many CREDENTIALS are listed for rotation.`,
		Example: `  warden offboard list --status open
  warden offboard list --person alice.nguyen@example.com --json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&f.Person, "person", "", "only this person's offboardings")
	cmd.Flags().StringVar((*string)(&f.Status), "status", "", "only open or closed offboardings")
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
		seq := c.Offboardings(cmd.Context(), f)
		t := newTable(cmd.OutOrStdout(), "ID", "PERSON", "STATUS", "DEPARTED", "DEADLINE", "FLAGGED", "REASSIGNED", "DISABLED", "REPORTED", "CREDENTIALS")
		return printList(cmd, opts.json, seq, list.limit, t, "offboardings", func(o *warden.Offboarding) {
			n := o.Counts()
			t.row(o.ID, clip(o.Person, 50), string(o.Status), o.DepartedAt.UTC().Format(time.DateOnly), o.Deadline.UTC().Format(time.DateOnly),
				fmt.Sprint(n[warden.OffboardItemFlagged]), fmt.Sprint(n[warden.OffboardItemReassigned]), fmt.Sprint(n[warden.OffboardItemDisabled]), fmt.Sprint(n[warden.OffboardItemReported]),
				fmt.Sprint(len(o.Credentials)))
		})
	}
	return cmd
}

func newOffboardStatusCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "status ID",
		Short: "Show one offboarding: its identities and the credentials to rotate",
		Long: `Show offboarding ID: the identities the person owned with what became of each
(flagged, reassigned to NEW OWNER, disabled, or reported in monitor mode), and the
credentials to rotate with what created them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			o, err := c.GetOffboarding(cmd.Context(), args[0])
			if err != nil {
				return explain(err)
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(o)
			}
			return printOffboarding(cmd.OutOrStdout(), o)
		},
	}
}

// printOffboarding writes an offboarding's summary, its items and its
// credentials as tables.
func printOffboarding(w io.Writer, o *warden.Offboarding) error {
	days := o.Deadline.Sub(o.DepartedAt).Hours() / 24
	fmt.Fprintf(w, "offboarding: %s\nperson:      %s (source %s)\nstatus:      %s\n", o.ID, o.Person, o.Source, o.Status)
	fmt.Fprintf(w, "departed:    %s\nreassign by: %s (%.4g days)\n", o.DepartedAt.UTC().Format(time.RFC3339), o.Deadline.UTC().Format(time.RFC3339), days)
	if o.ClosedAt != nil {
		fmt.Fprintf(w, "closed:      %s\n", o.ClosedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "created by:  %s\n", o.CreatedBy)
	if len(o.Items) == 0 {
		fmt.Fprintf(w, "\n%s owned no identities\n", o.Person)
	} else {
		fmt.Fprintf(w, "\nidentities (%d):\n", len(o.Items))
		t := newTable(w, "IDENTITY", "PROVIDER", "NAME", "PREVIOUS OWNER", "STATUS", "NEW OWNER / NOTE")
		for _, it := range o.Items {
			note := it.NewOwner
			if note == "" {
				note = it.Note
			}
			if note == "" {
				note = "-"
			}
			t.row(clip(it.IdentityExternalID, 70), string(it.Provider), clip(it.IdentityName, 40), clip(it.PreviousOwner, 40), string(it.Status), clip(note, 60))
		}
		if err := t.flush(w, ""); err != nil {
			return err
		}
	}
	if len(o.Credentials) == 0 {
		fmt.Fprintln(w, "\nno credentials to rotate")
		return nil
	}
	fmt.Fprintf(w, "\ncredentials to rotate (%d):\n", len(o.Credentials))
	t := newTable(w, "PUBLIC ID", "CREDENTIAL", "IDENTITY", "TYPE", "REASON", "CREATED BY")
	for _, c := range o.Credentials {
		t.row(clip(c.PublicID, 40), dash(c.CredentialID), dash(c.IdentityID), dash(string(c.Type)), c.Reason, dash(clip(c.CreatedBy, 100)))
	}
	return t.flush(w, "")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
