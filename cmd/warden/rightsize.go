package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
	"github.com/warden-nhi/warden/rightsize"
	"github.com/warden-nhi/warden/store"
)

// newRightsizeService is the server's rightsizing, on the store.
func newRightsizeService(db *store.DB) warden.RightsizeService {
	svc, err := rightsize.New(rightsize.Config{Identities: db, Grants: db, Events: db})
	if err != nil {
		panic(err) // the store implements every service: a wiring mistake
	}
	return svc
}

var rightsizeJSONHelp = jsonHelp(jsonFields(warden.RightsizeReport{}))

func newRightsizeCmd() *cobra.Command {
	var windowFlag, format string
	var provider string
	cmd := &cobra.Command{
		Use:   "rightsize IDENTITY [--window 90d] [--format iam|k8s|json]",
		Short: "Compare an identity's grants with its activity and propose least privilege",
		Long: `Compare what an identity is granted (AWS IAM policy statements, Kubernetes RBAC rules, as
imported) with what its CloudTrail and Kubernetes audit activity over the window used, and
propose a least-privilege policy built from that use alone.

The default output lists every used permission with its evidence (allowed events, last use,
the API calls that needed it, the grants that allow it), the granted permissions no event
needed, the wildcard grants and the refused attempts. --format iam prints the proposed AWS
IAM policy document (CloudTrail calls mapped to IAM actions: s3:ListObjects needs
s3:ListBucket, lambda:Invoke lambda:InvokeFunction, ...); --format k8s prints the proposed
Role per namespace used (a ClusterRole for cluster-wide use) as YAML, with the evidence per
rule in comments; --format json (or --json) prints the whole report.

Refused and failed calls are not evidence of a need; a window too short to include a rare job
proposes too little, so check the proposal before replacing a grant.

IDENTITY is an id or an external id (an ARN, system:serviceaccount:<ns>:<name>).

` + rightsizeJSONHelp,
		Example: `  warden rightsize arn:aws:iam::318274650912:role/workload/orders-worker
  warden rightsize arn:aws:iam::318274650912:role/workload/orders-worker --format iam > policy.json
  warden rightsize system:serviceaccount:fulfilment:inventory-sync --format k8s | kubectl apply -f -
  warden rightsize 0190c3e2-... --window 30d --json`,
		Args: cobra.ExactArgs(1),
	}
	opts := addClientFlags(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&windowFlag, "window", "90d", "how far back activity counts: days (90d) or a duration (12h), 1h to 366d")
	fl.StringVar(&format, "format", "", "print iam (the IAM policy JSON), k8s (the Role/ClusterRole YAML) or json (the report) instead of the table")
	fl.StringVar(&provider, "provider", "", "provider of IDENTITY's external id, when several share it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		window, err := warden.ParseWindow("--window", windowFlag)
		if err != nil {
			return errors.New(warden.ErrorMessage(err))
		}
		if format != "" && !slices.Contains(warden.RightsizeFormats, format) {
			return fmt.Errorf("--format %q is not one of %s", format, strings.Join(warden.RightsizeFormats, ", "))
		}
		if opts.json {
			if format != "" && format != warden.RightsizeFormatJSON {
				return fmt.Errorf("--json and --format %s cannot be combined", format)
			}
			format = warden.RightsizeFormatJSON
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		r, err := c.Rightsize(cmd.Context(), args[0], client.RightsizeQuery{Window: window, Provider: warden.Provider(provider)})
		if err != nil {
			return explain(err)
		}
		w := cmd.OutOrStdout()
		switch format {
		case warden.RightsizeFormatJSON:
			return newJSONLines(w).write(r)
		case warden.RightsizeFormatIAM:
			if r.AWSPolicy == nil {
				return nothingToPropose(r, "AWS", "IAM policy")
			}
			data, err := json.MarshalIndent(r.AWSPolicy, "", "  ")
			if err != nil {
				return fmt.Errorf("encode IAM policy: %w", err)
			}
			_, err = fmt.Fprintf(w, "%s\n", data)
			return err
		case warden.RightsizeFormatK8s:
			if r.KubernetesRBAC == "" {
				return nothingToPropose(r, "Kubernetes", "Role")
			}
			_, err := io.WriteString(w, r.KubernetesRBAC)
			return err
		}
		return printRightsize(w, args[0], r)
	}
	return cmd
}

func nothingToPropose(r *warden.RightsizeReport, provider, document string) error {
	return fmt.Errorf("%s used no %s permission in the last %s (%d events, %d needing a permission): there is no %s to propose",
		r.Identity, provider, r.Window, r.Counts.Events, r.Counts.Used, document)
}

// printRightsize writes the report for people: a summary, then tables of
// the used permissions, the unused and wildcard grants and the refusals.
func printRightsize(w io.Writer, ref string, r *warden.RightsizeReport) error {
	c := r.Counts
	fmt.Fprintf(w, "identity:  %s (%s)\nwindow:    %s, %s to %s\n", r.Identity, r.Provider, r.Window,
		r.Since.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "events:    %d: %d needed a permission, %d denied, %d failed, %d needed none, %d of other sources\n\n",
		c.Events, c.Used, c.Denied, c.Failed, c.NoPermission, c.Unmapped)
	if len(r.Used) == 0 {
		fmt.Fprintln(w, "No permission was used in the window.")
	} else {
		t := newTable(w, "USED PERMISSION", "NAMESPACE", "EVENTS", "LAST USED", "CALLS", "GRANTED BY")
		for _, u := range r.Used {
			granted := strings.Join(u.GrantedBy, ", ")
			if granted == "" {
				granted = "(no imported grant)"
			}
			t.row(u.Permission, orDash(u.Namespace), strconv.Itoa(u.Count), u.LastSeen.UTC().Format("2006-01-02"),
				orDash(clip(strings.Join(u.Calls, ","), 60)), clip(granted, 80))
		}
		if err := t.flush(nil, ""); err != nil {
			return err
		}
	}
	if len(r.Unused) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "UNUSED GRANT", "SCOPE", "VIA", "RESOURCES")
		for _, g := range r.Unused {
			t.row(g.Permission, orDash(g.Scope), clip(g.Via, 80), clip(strings.Join(g.Resources, ","), 60))
		}
		if err := t.flush(nil, ""); err != nil {
			return err
		}
	}
	if len(r.Wildcards) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "WILDCARD GRANT", "SCOPE", "EVENTS", "USED FOR", "VIA")
		for _, g := range r.Wildcards {
			used := "nothing"
			if len(g.Covers) > 0 {
				used = clip(strings.Join(g.Covers, ", "), 80)
			}
			t.row(g.Permission, orDash(g.Scope), strconv.Itoa(g.Count), used, clip(g.Via, 80))
		}
		if err := t.flush(nil, ""); err != nil {
			return err
		}
	}
	if len(r.Denied) > 0 {
		fmt.Fprintln(w)
		t := newTable(w, "DENIED", "NAMESPACE", "EVENTS", "LAST TRIED", "ERRORS")
		for _, d := range r.Denied {
			t.row(d.Permission, orDash(d.Namespace), strconv.Itoa(d.Count), d.LastSeen.UTC().Format("2006-01-02"), orDash(strings.Join(d.ErrorCodes, ",")))
		}
		if err := t.flush(nil, ""); err != nil {
			return err
		}
	}
	var next []string
	if r.AWSPolicy != nil {
		next = append(next, fmt.Sprintf("  warden rightsize %s --window %s --format iam", shellQuote(ref), r.Window))
	}
	if r.KubernetesRBAC != "" {
		next = append(next, fmt.Sprintf("  warden rightsize %s --window %s --format k8s", shellQuote(ref), r.Window))
	}
	if len(next) > 0 {
		fmt.Fprintf(w, "\nProposed least-privilege policy:\n%s\n", strings.Join(next, "\n"))
	}
	return nil
}

// shellQuote quotes s for a shell when it holds anything but safe characters.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
