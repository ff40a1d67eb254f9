package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
)

// newGovernEnv serves a real API with governance on a SQLite store holding
// the sample AWS account, and points the CLI at it with an admin token.
func newGovernEnv(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, step := range []struct {
		file string
		imp  warden.Importer
	}{
		{"northwind-gaad.json", &aws.IAMImporter{Store: db}},
		{"credential-report.csv", &aws.CredentialReportImporter{Store: db}},
		{"cloudtrail/northwind-2026-02-28.json", &aws.CloudTrailImporter{Store: db}},
	} {
		f, err := os.Open(filepath.Join("..", "..", "testdata", "aws", step.file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = step.imp.Import(ctx, f, step.file)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Evaluate as of the day after the sample CloudTrail file, so that its
	// activity is inside the window.
	ev, err := govern.NewEvaluator(govern.EvaluatorConfig{
		Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db,
		Now: func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := db.CreateToken(ctx, "test-admin", warden.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Findings: db, Posture: db, Governance: ev,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
	}))
	t.Cleanup(srv.Close)
	t.Setenv(envServer, srv.URL)
	t.Setenv(envToken, secret)
	return db
}

func decodeLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var items []T
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("not JSON Lines: %q: %v", line, err)
		}
		items = append(items, v)
	}
	return items
}

func TestCLI_GovernanceWorkflow(t *testing.T) {
	newGovernEnv(t)
	var res warden.EvaluationResult
	if err := json.Unmarshal([]byte(mustRun(t, "", "govern", "evaluate", "--json")), &res); err != nil || res.Findings.Opened == 0 {
		t.Fatalf("govern evaluate --json: %+v, %v", res, err)
	}
	if out := mustRun(t, "", "govern", "evaluate"); !strings.Contains(out, "0 opened") || !strings.Contains(out, "not onboarded") {
		t.Errorf("second evaluate printed %q", out)
	}

	// The OWASP and NIST mapping is in the CLI JSON.
	oidc := decodeLines[warden.Finding](t, mustRun(t, "", "findings", "list", "--owasp", "nhi6", "--json"))
	var rules []string
	for _, f := range oidc {
		rules = append(rules, f.RuleID)
		if !slices.Contains(f.OWASP, "NHI6") || len(f.NIST) == 0 || f.Remediation == "" {
			t.Errorf("finding %s lacks its mapping: %v %v", f.RuleID, f.OWASP, f.NIST)
		}
	}
	slices.Sort(rules)
	if !slices.Equal(rules, []string{"oidc-trust-no-subject", "trust-any-principal"}) {
		t.Errorf("NHI6 findings = %v", rules)
	}
	for _, r := range decodeLines[warden.GovernanceRule](t, mustRun(t, "", "govern", "rules", "--json")) {
		if len(r.OWASP) == 0 || len(r.NIST) == 0 {
			t.Errorf("rule %s has no mapping in the CLI JSON", r.ID)
		}
	}

	jenkins := decodeLines[warden.Finding](t, mustRun(t, "", "findings", "list", "--identity", "arn:aws:iam::402118867530:user/jenkins-deployer", "--severity", "high", "--status", "open", "--json"))
	if len(jenkins) != 4 { // console-access, credential-old, interactive-use, wildcard-permissions
		t.Fatalf("jenkins-deployer high findings = %d, want 4", len(jenkins))
	}
	table := mustRun(t, "", "findings", "list", "--rule", "oidc-trust-no-subject")
	if !strings.Contains(table, "SEVERITY") || !strings.Contains(table, "arn:aws:iam::402118867530:role/ci/github-deploy-any") || !strings.Contains(table, "NHI6") {
		t.Errorf("findings table:\n%s", table)
	}

	id := oidc[0].ID
	if _, _, err := runCLI(t, "", "findings", "suppress", id, "--reason", "x"); err == nil {
		t.Errorf("suppress without an expiry succeeded")
	}
	var sup warden.Finding
	if err := json.Unmarshal([]byte(mustRun(t, "", "findings", "suppress", id, "--reason", "repo owners fixing it", "--for", "14", "--json")), &sup); err != nil || sup.Status != warden.FindingSuppressed {
		t.Fatalf("suppress: %+v, %v", sup, err)
	}
	if out := mustRun(t, "", "findings", "get", id); !strings.Contains(out, "suppressed:   until") || !strings.Contains(out, "NHI6 Insecure Cloud Deployment Configurations") {
		t.Errorf("findings get:\n%s", out)
	}

	md := mustRun(t, "", "report")
	for _, want := range []string{"# warden governance report", "### NHI6 — Insecure Cloud Deployment Configurations", "### CSF PR.AA-05", "| suppressed |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var report warden.Report
	if err := json.Unmarshal([]byte(mustRun(t, "", "report", "--format", "json")), &report); err != nil || len(report.ByOWASP) == 0 || len(report.ByNIST) == 0 {
		t.Fatalf("report --format json: %v", err)
	}
	if _, _, err := runCLI(t, "", "report", "--format", "pdf"); err == nil {
		t.Errorf("report --format pdf succeeded")
	}

	snaps := decodeLines[warden.PostureSnapshot](t, mustRun(t, "", "posture", "--json"))
	if len(snaps) != 2 || snaps[0].NotOnboarded != 3 {
		t.Fatalf("posture --json = %+v", snaps)
	}
	if out := mustRun(t, "", "posture"); !strings.Contains(out, "NOT ONBOARDED") || !strings.Contains(out, "Overprivileged NHI") {
		t.Errorf("posture table:\n%s", out)
	}

	risky := decodeLines[warden.Identity](t, mustRun(t, "", "identities", "list", "--min-risk", "90", "--sort", "-risk_score", "--json"))
	if len(risky) == 0 || risky[0].RiskScore < 90 {
		t.Fatalf("identities --min-risk 90: %+v", risky)
	}
}

func TestNewGovernance_RulesFile(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	good := filepath.Join(dir, "rules.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"rules": [{"id": "credential-old", "params": {"max_age_days": 30}}]}`), 0o644)
	os.WriteFile(bad, []byte(`{"rules": [{"id": "no-such-rule"}]}`), 0o644)
	ev, err := newGovernance(db, good)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ev.Rules() {
		if r.ID == "credential-old" && r.Params["max_age_days"] != 30 {
			t.Errorf("override not applied: %+v", r)
		}
	}
	for name, path := range map[string]string{"Unknown rule": bad, "Missing file": filepath.Join(dir, "none.json")} {
		if _, err := newGovernance(db, path); err == nil || !strings.Contains(err.Error(), "--rules") {
			t.Errorf("%s: error %v, want one naming --rules", name, err)
		}
	}
}
