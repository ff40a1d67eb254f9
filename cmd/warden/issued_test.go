package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestIssuedCLI_ListGetRevoke runs against a real server: a workload
// fetches an X.509-SVID and a JWT-SVID, "issued list" shows both live,
// "issued revoke ID" revokes the certificate, "issued revoke --identity"
// the rest, and the records say so.
func TestIssuedCLI_ListGetRevoke(t *testing.T) {
	e := newIssuerEnv(t)
	entryID, identityID := e.entry(t, "billing")
	joinFile := filepath.Join(t.TempDir(), "join")
	if err := os.WriteFile(joinFile, []byte(mustRun(t, "", "entries", "join-token", entryID)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "svid", "fetch", "--join-token-file", joinFile, "--out-dir", t.TempDir(), "--jwt-audience", "https://api.example.org", "--once")

	records := func(args ...string) []warden.IssuedCredential {
		t.Helper()
		var out []warden.IssuedCredential
		for _, line := range strings.Split(strings.TrimSpace(mustRun(t, "", append([]string{"issued", "list", "--json"}, args...)...)), "\n") {
			if line == "" {
				continue
			}
			var r warden.IssuedCredential
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("json line %q: %v", line, err)
			}
			out = append(out, r)
		}
		return out
	}
	all := records("--identity", "spiffe://example.org/billing")
	if len(all) != 2 {
		t.Fatalf("issued list: %d records, want 2 (X.509-SVID and JWT-SVID): %+v", len(all), all)
	}
	var cert string
	for _, r := range all {
		if r.IdentityID != identityID || r.EntryID != entryID || r.RevokedAt != nil {
			t.Errorf("record %+v", r)
		}
		if r.Kind == warden.IssuedX509SVID {
			cert = r.ID
		}
	}
	if got := records("--kind", warden.IssuedJWTSVID); len(got) != 1 || got[0].Kind != warden.IssuedJWTSVID {
		t.Fatalf("--kind jwt_svid: %+v", got)
	}
	if got := records("--entry", entryID, "--limit", "1"); len(got) != 1 {
		t.Fatalf("--limit 1: %d records", len(got))
	}
	table := mustRun(t, "", "issued", "list")
	if !strings.Contains(table, "x509_svid") || !strings.Contains(table, "live") || strings.Contains(table, "revoked") {
		t.Fatalf("issued list table:\n%s", table)
	}

	if out := strings.TrimSpace(mustRun(t, "", "issued", "revoke", cert, "--reason", "key left on a laptop")); out != "1" {
		t.Fatalf("revoke the certificate: %q, want 1", out)
	}
	got := mustRun(t, "", "issued", "get", cert)
	if !strings.Contains(got, "Status:       revoked") || !strings.Contains(got, "key left on a laptop") || !strings.Contains(got, "spiffe://example.org/billing") {
		t.Fatalf("issued get after revocation:\n%s", got)
	}
	if out := strings.TrimSpace(mustRun(t, "", "issued", "revoke", "--identity", identityID, "--reason", "incident 4711")); out != "1" {
		t.Fatalf("revoke the identity's remaining credentials: %q, want 1 (the JWT-SVID)", out)
	}
	for _, r := range records() {
		if r.RevokedAt == nil {
			t.Errorf("%s %s still live after revoking the identity", r.Kind, r.ID)
		}
	}
}

func TestIssuedCLI_RefusesBadRevocations(t *testing.T) {
	e := newIssuerEnv(t)
	_, identityID := e.entry(t, "billing")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"NoTarget":     {[]string{"issued", "revoke", "--reason", "x"}, "exactly one"},
		"TwoTargets":   {[]string{"issued", "revoke", "abc", "--identity", identityID, "--reason", "x"}, "exactly one"},
		"NoReason":     {[]string{"issued", "revoke", "abc"}, "--reason is required"},
		"UnknownID":    {[]string{"issued", "revoke", "nope", "--reason", "x"}, "not found"},
		"UnknownIdent": {[]string{"issued", "revoke", "--identity", "spiffe://example.org/ghost", "--reason", "x"}, "not found"},
		"BadKind":      {[]string{"issued", "list", "--kind", "password"}, "kind"},
		"GetUnknown":   {[]string{"issued", "get", "nope"}, "not found"},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, err := runCLI(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error()+stderr, tc.want) {
				t.Fatalf("err = %v, stderr %q; want %q", err, stderr, tc.want)
			}
		})
	}
}
