package aws

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// reportColumns are the credential report columns the parser needs.
var reportColumns = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_service", "access_key_2_active",
	"access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_service"}

// rootUser is how the report names the account's root user.
const rootUser = "<root_account>"

// ParseCredentialReport reads the IAM credential report CSV (`aws iam
// get-credential-report`, base64-decoded) and returns the IAM users with
// their access keys and console passwords as credentials. Users get the
// labels console-password and mfa ("true"/"false"); the root user is left
// out (it is a person, not an NHI) with a warning when it has active keys.
func ParseCredentialReport(r io.Reader, ref string) (warden.InventoryBatch, []string, error) {
	batch := warden.InventoryBatch{Source: SourceCredentialReport}
	var warnings []string
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return batch, nil, discover.Malformed(ref, 0, "the input is empty; expected the IAM credential report CSV")
	} else if err != nil {
		return batch, nil, csvError(ref, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, c := range reportColumns {
		if _, ok := col[c]; !ok {
			return batch, nil, discover.Malformed(ref, 1, "the header has no column %q: is this an IAM credential report?", c)
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return batch, nil, csvError(ref, err)
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		row, err := parseReportRow(get)
		if err != nil {
			return batch, nil, discover.Malformed(ref, line, "user %q: %v", discover.CleanText(get("user"), 64), err)
		}
		if row.identity == nil {
			if row.rootKeys {
				warnings = append(warnings, fmt.Sprintf("line %d: the root user has active access keys; they are not imported (root is not an NHI) but should be deleted", line))
			}
			continue
		}
		batch.Identities = append(batch.Identities, row.identity)
		batch.Credentials = append(batch.Credentials, row.credentials...)
	}
	return batch, warnings, nil
}

func csvError(ref string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return discover.Malformed(ref, pe.Line, "malformed CSV: %v", pe.Err)
	}
	return fmt.Errorf("%s: read CSV: %w", ref, err)
}

type reportRow struct {
	identity    *warden.Identity
	credentials []*warden.ImportedCredential
	rootKeys    bool
}

// parseReportRow turns one report line into a user and its credentials.
func parseReportRow(get func(string) string) (reportRow, error) {
	var row reportRow
	user, arn := get("user"), get("arn")
	if user == "" || !strings.HasPrefix(arn, "arn:") {
		return row, fmt.Errorf("user and an arn:... ARN are required")
	}
	times := map[string]*time.Time{}
	for _, c := range []string{"user_creation_time", "password_last_used", "password_last_changed",
		"access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_2_last_rotated", "access_key_2_last_used_date"} {
		t, err := reportTime(get(c))
		if err != nil {
			return row, fmt.Errorf("%s: %v", c, err)
		}
		times[c] = t
	}
	flags := map[string]bool{}
	for _, c := range []string{"password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active"} {
		b, err := reportBool(get(c))
		if err != nil {
			return row, fmt.Errorf("%s: %v", c, err)
		}
		flags[c] = b
	}
	if user == rootUser {
		row.rootKeys = flags["access_key_1_active"] || flags["access_key_2_active"]
		return row, nil
	}
	id := &warden.Identity{
		Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: arn, Name: user, Managed: true,
		Labels: map[string]string{}, FirstSeenAt: times["user_creation_time"],
	}
	if a := accountOf(arn); a != "" {
		id.Labels["aws-account"] = a
	}
	id.Labels["console-password"] = fmt.Sprint(flags["password_enabled"])
	id.Labels["mfa"] = fmt.Sprint(flags["mfa_active"])
	ref := warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: arn}
	for _, t := range []*time.Time{times["password_last_used"], times["access_key_1_last_used_date"], times["access_key_2_last_used_date"]} {
		if t != nil && (id.LastUsedAt == nil || t.After(*id.LastUsedAt)) {
			id.LastUsedAt = t
		}
	}
	if flags["password_enabled"] || times["password_last_changed"] != nil {
		row.credentials = append(row.credentials, &warden.ImportedCredential{Identity: ref, Credential: warden.Credential{
			Type: warden.CredentialPassword, PublicID: arn + "#console-password",
			Description:   "AWS console password (IAM credential report)",
			Status:        status(flags["password_enabled"]),
			LastRotatedAt: times["password_last_changed"], LastUsedAt: times["password_last_used"],
		}})
	}
	for _, k := range []string{"1", "2"} {
		p := "access_key_" + k + "_"
		rotated := times[p+"last_rotated"]
		if rotated == nil && !flags[p+"active"] {
			continue // the slot was never used
		}
		desc := "AWS access key " + k + " (IAM credential report; the report does not show key ids)"
		if svc := get(p + "last_used_service"); svc != "" && svc != "N/A" {
			desc += "; last used with " + discover.CleanText(svc, 64)
		}
		row.credentials = append(row.credentials, &warden.ImportedCredential{Identity: ref, Credential: warden.Credential{
			Type: warden.CredentialAccessKey, PublicID: arn + "#access_key_" + k, Description: desc,
			Status: status(flags[p+"active"]), LastRotatedAt: rotated, LastUsedAt: times[p+"last_used_date"],
		}})
	}
	row.identity = id
	return row, nil
}

func status(active bool) warden.CredentialStatus {
	if active {
		return warden.CredentialActive
	}
	return warden.CredentialInactive
}

// reportTime parses a report time; N/A, no_information and not_supported
// mean none.
func reportTime(s string) (*time.Time, error) {
	switch s {
	case "", "N/A", "no_information", "not_supported":
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an ISO 8601 time", discover.CleanText(s, 40))
	}
	t = t.UTC()
	return &t, nil
}

func reportBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false", "", "n/a", "not_supported":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", discover.CleanText(s, 40))
}
