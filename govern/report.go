package govern

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Report gathers the open and suppressed findings with the latest posture
// and groups them for an audit (see BuildReport).
func (ev *Evaluator) Report(ctx context.Context) (*warden.Report, error) {
	var findings []*warden.Finding
	for _, status := range []warden.FindingStatus{warden.FindingOpen, warden.FindingSuppressed} {
		f := warden.FindingFilter{Status: status, Limit: warden.MaxPageSize}
		for {
			page, next, err := ev.cfg.Findings.FindFindings(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("report: findings: %w", err)
			}
			findings = append(findings, page...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
	}
	identities := map[string]*warden.Identity{}
	for _, f := range findings {
		if _, ok := identities[f.IdentityID]; ok {
			continue
		}
		i, err := ev.cfg.Identities.FindIdentityByID(ctx, f.IdentityID)
		if err != nil {
			return nil, fmt.Errorf("report: identity %s: %w", f.IdentityID, err)
		}
		identities[f.IdentityID] = i
	}
	latest, err := ev.cfg.Posture.FindPosture(ctx, warden.PostureFilter{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("report: posture: %w", err)
	}
	var posture *warden.PostureSnapshot
	if len(latest) > 0 {
		posture = latest[0]
	}
	r := BuildReport(ev.rules, findings, identities, posture, ev.now())
	if ev.cfg.Programme != nil {
		if r.Programme, err = ev.cfg.Programme.ProgrammeMetrics(ctx, warden.ProgrammeFilter{Until: ev.now()}); err != nil {
			return nil, fmt.Errorf("report: programme: %w", err)
		}
	}
	return r, nil
}

// BuildReport groups findings by OWASP NHI id (NHI1 ... NHI10) and by NIST
// reference; within a group the most severe come first. Findings whose
// identity is missing from identities are listed with the id only.
func BuildReport(cfg *Config, findings []*warden.Finding, identities map[string]*warden.Identity, posture *warden.PostureSnapshot, now time.Time) *warden.Report {
	byOWASP := map[string][]warden.ReportFinding{}
	byNIST := map[string][]warden.ReportFinding{}
	for _, f := range findings {
		rf := warden.ReportFinding{
			FindingID: f.ID, RuleID: f.RuleID, Severity: f.Severity, Status: f.Status,
			Title: f.Title, Detail: f.Detail, IdentityID: f.IdentityID, Identity: f.IdentityID,
		}
		if i := identities[f.IdentityID]; i != nil {
			rf.Identity, rf.Owner = i.ExternalID, i.Owner
		}
		for _, id := range f.OWASP {
			byOWASP[id] = append(byOWASP[id], rf)
		}
		for _, ref := range f.NIST {
			byNIST[ref] = append(byNIST[ref], rf)
		}
	}
	r := &warden.Report{GeneratedAt: now.UTC(), Posture: posture, Rules: cfg.Catalog(), ByOWASP: []warden.ReportGroup{}, ByNIST: []warden.ReportGroup{}}
	for _, id := range sortedKeys(byOWASP, owaspLess) {
		r.ByOWASP = append(r.ByOWASP, warden.ReportGroup{Ref: id, Title: warden.OWASPNHITop10[id], Findings: sortFindings(byOWASP[id])})
	}
	for _, ref := range sortedKeys(byNIST, func(a, b string) bool { return a < b }) {
		r.ByNIST = append(r.ByNIST, warden.ReportGroup{Ref: ref, Title: cfg.References[ref], Findings: sortFindings(byNIST[ref])})
	}
	return r
}

func sortedKeys(m map[string][]warden.ReportFinding, less func(a, b string) bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}

// owaspLess orders NHI2 before NHI10.
func owaspLess(a, b string) bool {
	na, _ := strconv.Atoi(strings.TrimPrefix(a, "NHI"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b, "NHI"))
	return na < nb
}

func sortFindings(list []warden.ReportFinding) []warden.ReportFinding {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.Identity != b.Identity {
			return a.Identity < b.Identity
		}
		return a.FindingID < b.FindingID
	})
	return list
}

// RenderMarkdown writes the report as Markdown for people and auditors.
func RenderMarkdown(w io.Writer, r *warden.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# warden governance report\n\nGenerated %s.\n\n", r.GeneratedAt.Format(time.RFC3339))
	if p := r.Posture; p != nil {
		fmt.Fprintf(&b, "## Posture (%s)\n\n", p.Time.Format(time.RFC3339))
		b.WriteString("| measure | count |\n|---|---:|\n")
		for _, row := range []struct {
			name string
			n    int
		}{
			{"identities", p.Identities}, {"unowned", p.Unowned}, {"not onboarded", p.NotOnboarded},
			{"over-privileged", p.OverPrivileged}, {"stale", p.Stale}, {"high risk", p.HighRisk},
			{"open findings", p.OpenFindings}, {"suppressed findings", p.Suppressed},
		} {
			fmt.Fprintf(&b, "| %s | %d |\n", row.name, row.n)
		}
		b.WriteString("\n")
	}
	if r.Programme != nil {
		writeProgramme(&b, r.Programme)
	}
	writeGroups(&b, "Findings by OWASP Non-Human Identities Top 10 (2025)", r.ByOWASP)
	writeGroups(&b, "Findings by NIST SP 800-207 / CSF 2.0 reference", r.ByNIST)
	b.WriteString("## Rules\n\n| rule | severity | OWASP | NIST | title |\n|---|---|---|---|---|\n")
	for _, rule := range r.Rules {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", rule.ID, rule.Severity, strings.Join(rule.OWASP, ", "), strings.Join(rule.NIST, ", "), cell(rule.Title))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeGroups(b *strings.Builder, heading string, groups []warden.ReportGroup) {
	fmt.Fprintf(b, "## %s\n\n", heading)
	if len(groups) == 0 {
		b.WriteString("No open or suppressed findings.\n\n")
		return
	}
	for _, g := range groups {
		fmt.Fprintf(b, "### %s — %s (%d)\n\n", g.Ref, cell(g.Title), len(g.Findings))
		b.WriteString("| severity | status | rule | identity | owner | detail |\n|---|---|---|---|---|---|\n")
		for _, f := range g.Findings {
			owner := f.Owner
			if owner == "" {
				owner = "—"
			}
			fmt.Fprintf(b, "| %s | %s | %s | `%s` | %s | %s |\n", f.Severity, f.Status, f.RuleID, strings.ReplaceAll(f.Identity, "`", "'"), cell(owner), cell(f.Detail))
		}
		b.WriteString("\n")
	}
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
