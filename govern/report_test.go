package govern

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// sampleReport builds a report over a fixed set of findings.
func sampleReport() *warden.Report {
	cfg := DefaultConfig()
	ids := map[string]*warden.Identity{
		"i1": {ID: "i1", ExternalID: "arn:aws:iam::402118867530:user/jenkins-deployer", Owner: ""},
		"i2": {ID: "i2", ExternalID: "arn:aws:iam::402118867530:role/ci/github-deploy-any", Owner: "team-platform"},
	}
	mk := func(id, identity, rule, detail string, status warden.FindingStatus) *warden.Finding {
		r := cfg.rule(rule)
		return &warden.Finding{ID: id, IdentityID: identity, RuleID: rule, Severity: r.Severity, Title: r.Title, Detail: detail, OWASP: r.OWASP, NIST: r.NIST, Status: status}
	}
	findings := []*warden.Finding{
		mk("f1", "i1", "owner-missing", "cloud_user arn:aws:iam::402118867530:user/jenkins-deployer has no owner.", warden.FindingOpen),
		mk("f2", "i1", "credential-old", "access_key AKIA…#1 is 2495 days old | never rotated.", warden.FindingOpen),
		mk("f3", "i2", "oidc-trust-no-subject", "Any token from token.actions.githubusercontent.com can assume the identity.", warden.FindingOpen),
		mk("f4", "i2", "admin-permissions", "Administrative access: iam:PassRole on every role.", warden.FindingSuppressed),
		mk("f5", "gone", "console-access", "The identity has an active console password.", warden.FindingOpen),
	}
	posture := &warden.PostureSnapshot{ID: "p1", Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Identities: 18, Unowned: 11, NotOnboarded: 3, OverPrivileged: 7, Stale: 5, HighRisk: 6, OpenFindings: 4, Suppressed: 1,
		BySeverity: map[string]int{"critical": 1, "high": 2, "medium": 1}, ByRule: map[string]int{"owner-missing": 1}, ByOWASP: map[string]int{"NHI1": 1}}
	return BuildReport(cfg, findings, ids, posture, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
}

func TestReport_MarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := RenderMarkdown(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md.golden", b.Bytes())
}

func TestReport_JSONGolden(t *testing.T) {
	data, err := json.MarshalIndent(sampleReport(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", append(data, '\n'))
}

func TestReport_GroupsByOWASPAndNIST(t *testing.T) {
	r := sampleReport()
	var refs []string
	for _, g := range r.ByOWASP {
		refs = append(refs, g.Ref)
	}
	if got := strings.Join(refs, ","); got != "NHI1,NHI5,NHI6,NHI7,NHI10" {
		t.Errorf("OWASP groups = %s, want NHI1,NHI5,NHI6,NHI7,NHI10 (numeric order)", got)
	}
	for _, g := range r.ByOWASP {
		if g.Title != warden.OWASPNHITop10[g.Ref] {
			t.Errorf("group %s title %q", g.Ref, g.Title)
		}
	}
	for _, g := range r.ByNIST {
		if g.Title == "" {
			t.Errorf("NIST group %s has no title", g.Ref)
		}
		for i := 1; i < len(g.Findings); i++ {
			if g.Findings[i].Severity.Rank() > g.Findings[i-1].Severity.Rank() {
				t.Errorf("group %s not ordered by severity", g.Ref)
			}
		}
	}
	if r.ByOWASP[4].Findings[0].Identity != "gone" {
		t.Errorf("a finding of a missing identity should show its id")
	}
}
