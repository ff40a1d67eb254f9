package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/console"
	"github.com/warden-nhi/warden/store/storetest"
)

// badFilterCase is a list page's query that must be refused with a 400
// page naming the field.
type badFilterCase struct{ name, query, field string }

func checkBadFilters(t *testing.T, b *browser, path string, cases []badFilterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run("bad "+tc.name, func(t *testing.T) {
			status, page := b.get(path + "?" + tc.query)
			if status != http.StatusBadRequest || !strings.Contains(page, tc.field) || !strings.Contains(page, `id="status-message"`) {
				t.Fatalf("GET %s?%s: status %d, want 400 naming %s:\n%s", path, tc.query, status, tc.field, page)
			}
		})
	}
}

// filterCase is a list page's query and the rows it must show.
type filterCase struct {
	name, query string
	want        []string
}

func checkFilters(t *testing.T, b *browser, path, table string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, page := b.get(path + "?" + tc.query)
			if status != http.StatusOK {
				t.Fatalf("GET %s?%s: status %d:\n%s", path, tc.query, status, page)
			}
			if got := rowIDs(t, page, table); !sameSet(got, tc.want) {
				t.Fatalf("GET %s?%s: rows %v, want %v", path, tc.query, got, tc.want)
			}
		})
	}
}

// walkPages follows the next-page links from path and returns every row
// id, checking that no page is larger than the default page size.
func walkPages(t *testing.T, b *browser, path, table string) ([]string, int) {
	t.Helper()
	var all []string
	pages := 0
	for next := path; next != ""; pages++ {
		status, page := b.get(next)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", next, status)
		}
		rows := rowIDs(t, page, table)
		if len(rows) > warden.DefaultPageSize || len(rows) == 0 {
			t.Fatalf("GET %s: %d rows", next, len(rows))
		}
		all = append(all, rows...)
		next = nextPage(page)
	}
	return all, pages
}

func distinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

func pagesDetection(id *warden.Identity, detector string, sev warden.Severity, at time.Time, n int) *warden.Detection {
	d := &warden.Detection{
		Detector: detector, Severity: sev, Time: at, Provider: warden.ProviderAWS,
		Identity: "arn:aws:iam::111122223333:user/unknown", Technique: "T1078.004", TechniqueName: "Valid Accounts: Cloud Accounts",
		OWASP: "NHI5", Explanation: fmt.Sprintf("%s fired (%d)", detector, n), EventIDs: []string{fmt.Sprintf("evt-%d", n)},
		Evidence:  []*warden.Event{{Time: at, Source: "cloudtrail", Action: "s3:GetObject", Resource: "arn:aws:s3:::payroll/2026.csv", SourceIP: "203.0.113.9", Outcome: warden.OutcomeAllow}},
		Responses: []string{"dry-run:quarantine"},
	}
	if id != nil {
		d.IdentityID, d.Identity = id.ID, id.ExternalID
	}
	return d
}

func TestDetectionsPage(t *testing.T) {
	f := newFixture(t)
	alice := pagesIdentity(t, f, "alice-bot")
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ds := []*warden.Detection{
		pagesDetection(alice, "new-source-network", warden.SeverityMedium, day, 1),
		pagesDetection(alice, "bulk-secret-reads", warden.SeverityHigh, day.Add(48*time.Hour), 2),
		pagesDetection(nil, "new-source-network", warden.SeverityLow, day.Add(-48*time.Hour), 3),
	}
	if err := f.db.RecordDetections(adminCtx(), ds); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleApprover) // inventory:read is enough
	checkFilters(t, b, "/ui/detections", "detections", []filterCase{
		{"no filter", "", []string{ds[0].ID, ds[1].ID, ds[2].ID}},
		{"detector", "detector=new-source-network", []string{ds[0].ID, ds[2].ID}},
		{"minimum severity", "severity=medium", []string{ds[0].ID, ds[1].ID}},
		{"identity", "identity=" + alice.ID, []string{ds[0].ID, ds[1].ID}},
		{"since a date", "since=2026-03-10", []string{ds[0].ID, ds[1].ID}},
		{"since a time", "since=2026-03-11T00:00:00Z", []string{ds[1].ID}},
		{"combined", "detector=new-source-network&since=2026-03-09", []string{ds[0].ID}},
	})
	checkBadFilters(t, b, "/ui/detections", []badFilterCase{
		{"severity", "severity=urgent", "severity"},
		{"since", "since=yesterday", "since"},
		{"identity", "identity=nobody", "identity"},
		{"cursor", "cursor=garbage", "cursor"},
	})
	_, page := b.get("/ui/detections")
	for _, want := range []string{`id="detection-filters"`, `<a class="identity-link" href="/ui/identities/` + alice.ID + `">`, "T1078.004", "Valid Accounts: Cloud Accounts",
		"bulk-secret-reads fired (2)", "s3:GetObject", "dry-run:quarantine", `<span class="badge high">high</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("detections page lacks %q", want)
		}
	}
	// Newest first.
	if got := rowIDs(t, page, "detections"); len(got) != 3 || got[0] != ds[1].ID || got[2] != ds[2].ID {
		t.Errorf("order %v, want newest first", got)
	}
}

func TestDetectionsPage_Paginates(t *testing.T) {
	f := newFixture(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ds []*warden.Detection
	for i := range 73 {
		ds = append(ds, pagesDetection(nil, "rate-spike", warden.SeverityMedium, start.Add(time.Duration(i)*time.Minute), i))
	}
	if err := f.db.RecordDetections(adminCtx(), ds); err != nil {
		t.Fatal(err)
	}
	rows, pages := walkPages(t, f.signIn(t, warden.RoleAuditor), "/ui/detections?detector=rate-spike", "detections")
	if len(rows) != 73 || distinct(rows) != 73 || pages != 2 {
		t.Fatalf("%d rows (%d distinct) over %d pages, want 73 over 2", len(rows), distinct(rows), pages)
	}
}

func pagesDecision(id *warden.Identity, principal, action, decision string, at time.Time, policies ...string) *warden.DecisionRecord {
	d := &warden.DecisionRecord{
		Time: at, Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: principal},
		Action: warden.EntityRef{Type: "Action", ID: action}, Resource: warden.EntityRef{Type: "Doc", ID: "payroll"},
		Decision: decision, Policies: policies, PolicyVersion: 3, LatencyMicros: 1520,
	}
	if id != nil {
		d.IdentityID = id.ID
	}
	return d
}

func TestDecisionsPage(t *testing.T) {
	f := newFixture(t)
	alice := pagesIdentity(t, f, "alice-bot")
	now := time.Now().UTC().Truncate(time.Second)
	ds := []*warden.DecisionRecord{
		pagesDecision(alice, alice.ID, "read", "allow", now.Add(-3*time.Minute), "policy0"),
		pagesDecision(alice, alice.ID, "write", "deny", now.Add(-2*time.Minute), "guardrail-quarantined"),
		pagesDecision(nil, "unknown-svc", "read", "deny", now.Add(-time.Minute)),
		pagesDecision(alice, alice.ID, "delete", "allow", now.Add(-30*time.Second), "no-deletes"),
	}
	ds[3].WouldDeny = true // monitor mode let it through
	if err := f.db.RecordDecisions(adminCtx(), ds); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleAuditor)
	checkFilters(t, b, "/ui/decisions", "decisions", []filterCase{
		{"no filter", "", []string{ds[0].ID, ds[1].ID, ds[2].ID, ds[3].ID}},
		{"deny", "decision=deny", []string{ds[1].ID, ds[2].ID}},
		{"allow", "decision=allow", []string{ds[0].ID, ds[3].ID}},
		{"would deny", "decision=would_deny", []string{ds[3].ID}},
		{"action", "action=read", []string{ds[0].ID, ds[2].ID}},
		{"identity", "identity=" + alice.ExternalID, []string{ds[0].ID, ds[1].ID, ds[3].ID}},
		{"combined", "identity=" + alice.ID + "&decision=deny", []string{ds[1].ID}},
	})
	checkBadFilters(t, b, "/ui/decisions", []badFilterCase{
		{"decision", "decision=maybe", "decision"},
		{"identity", "identity=nobody", "identity"},
		{"cursor", "cursor=garbage", "cursor"},
	})
	_, page := b.get("/ui/decisions")
	for _, want := range []string{`id="decision-filters"`, `<a class="identity-link" href="/ui/identities/` + alice.ID + `">` + alice.ID + `</a>`,
		`<span class="badge deny">deny</span>`, `<span class="badge allow">allow</span>`, "guardrail-quarantined", "1.5 ms", "Doc::payroll", "none (default deny)", `<span class="badge deny">would deny</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("decisions page lacks %q", want)
		}
	}
}

func TestDecisionsPage_Paginates(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	var ds []*warden.DecisionRecord
	for i := range 120 {
		ds = append(ds, pagesDecision(nil, fmt.Sprintf("svc-%d", i), "read", "allow", now.Add(-time.Duration(i)*time.Second)))
	}
	if err := f.db.RecordDecisions(adminCtx(), ds); err != nil {
		t.Fatal(err)
	}
	rows, pages := walkPages(t, f.signIn(t, warden.RoleOperator), "/ui/decisions?decision=allow", "decisions")
	if len(rows) != 120 || distinct(rows) != 120 || pages != 3 {
		t.Fatalf("%d rows (%d distinct) over %d pages, want 120 over 3", len(rows), distinct(rows), pages)
	}
}

func TestPoliciesPages_ListVersionsAndDiffAgainstThePrevious(t *testing.T) {
	f := newFixture(t)
	push := func(note string, files map[string]string) *warden.PolicyVersion {
		t.Helper()
		v := &warden.PolicyVersion{Description: note, Policies: files, Schema: "entity Doc;"}
		if err := f.db.CreatePolicyVersion(adminCtx(), v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1 := push("first", map[string]string{"main.cedar": "permit(principal, action, resource);\n// keep\n"})
	v2 := push("lock down", map[string]string{"main.cedar": "forbid(principal, action, resource);\n// keep\n", "ops.cedar": "permit(principal, action == Action::\"read\", resource);\n"})
	v3 := push("same again", map[string]string{"main.cedar": "forbid(principal, action, resource);\n// keep\n", "ops.cedar": "permit(principal, action == Action::\"read\", resource);\n"})
	if _, err := f.db.ActivatePolicyVersion(adminCtx(), v2.Version); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleAuditor)
	status, list := b.get("/ui/policies")
	if got := rowIDs(t, list, "policy-versions"); status != http.StatusOK || strings.Join(got, ",") != "3,2,1" {
		t.Fatalf("list %d, rows %v, want 3,2,1", status, got)
	}
	if !strings.Contains(list, `<tr data-id="2" class="active-version">`) || strings.Count(list, `id="active-version"`) != 1 || !strings.Contains(list, "lock down") || !strings.Contains(list, `href="/ui/policies/3"`) {
		t.Errorf("policy list lacks the active marker, note or links:\n%s", list)
	}
	cases := []struct {
		name    string
		version int64
		want    []string
		notWant []string
	}{
		{"first version is all new", v1.Version, []string{`<span class="add">&#43; permit(principal, action, resource);</span>`, "the first version: every line is new"}, []string{`class="del"`}},
		{"changed version", v2.Version, []string{
			`<span class="del">- permit(principal, action, resource);</span>`,
			`<span class="add">&#43; forbid(principal, action, resource);</span>`,
			`<span class="add">&#43; // file ops.cedar</span>`,
			`<span class="ctx">  // keep</span>`,
			`id="policy-active"`, "Changes since version",
		}, []string{`id="policy-unchanged"`}},
		{"unchanged version", v3.Version, []string{`id="policy-unchanged"`, `<pre class="source">forbid(principal, action, resource);`}, []string{`class="add"`, `class="del"`, `id="policy-active"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, page := b.get(fmt.Sprintf("/ui/policies/%d", tc.version))
			if status != http.StatusOK || !strings.Contains(page, `<div class="diff" id="policy-diff"`) {
				t.Fatalf("status %d:\n%s", status, page)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(page, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
	if status, page := b.get("/ui/policies/abc"); status != http.StatusBadRequest || !strings.Contains(page, "version") {
		t.Errorf("bad version: %d", status)
	}
	if status, _ := b.get("/ui/policies/99"); status != http.StatusNotFound {
		t.Errorf("unknown version: %d, want 404", status)
	}
}

func TestAuditPage(t *testing.T) {
	f := newFixture(t)
	alice := pagesIdentity(t, f, "alice-bot")
	pagesIdentity(t, f, "bob-bot")
	owner := "team-payments"
	if _, err := f.db.UpdateIdentity(adminCtx(), alice.ID, warden.IdentityUpdate{Owner: &owner}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleAuditor)
	creates, _, err := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{Action: "identity.create"})
	if err != nil || len(creates) != 2 {
		t.Fatalf("identity.create records: %d, %v", len(creates), err)
	}
	history, _, _ := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{TargetType: "identity", TargetID: alice.ID})
	all, _, _ := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{Limit: warden.MaxPageSize})
	seqs := func(rs []*warden.AuditRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprint(r.Seq))
		}
		return out
	}
	checkFilters(t, b, "/ui/audit", "audit", []filterCase{
		{"no filter", "", seqs(all)},
		{"action", "action=identity.create", seqs(creates)},
		{"target", "target_type=identity&target_id=" + alice.ID, seqs(history)},
		{"actor", "actor=" + url.QueryEscape(creates[0].Actor) + "&action=identity.update", seqs(history[1:])},
		{"nothing matches", "action=no.such.action", nil},
	})
	checkBadFilters(t, b, "/ui/audit", []badFilterCase{
		{"cursor", "cursor=garbage", "cursor"},
		{"actor too long", "actor=" + strings.Repeat("a", 2000), "actor"},
	})
	_, page := b.get("/ui/audit?target_type=identity&target_id=" + alice.ID)
	for _, want := range []string{
		`<p id="audit-chain" class="chain-ok" role="status">Hash chain intact: ` + fmt.Sprint(len(all)) + ` records, head #` + fmt.Sprint(all[len(all)-1].Seq),
		"<summary>created</summary>", "<summary>changed: owner</summary>", "team-payments",
		`<a href="/ui/identities/` + alice.ID + `">open</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}

	// Break the chain: the page says where, clearly.
	edited := history[1].Seq
	if _, err := f.db.SQL().Exec(fmt.Sprintf(`UPDATE audit_log SET after = REPLACE(after, 'team-payments', 'mallory') WHERE seq = %d`, edited)); err != nil {
		t.Fatal(err)
	}
	_, page = b.get("/ui/audit")
	if !strings.Contains(page, `<p id="audit-chain" class="chain-broken" role="status">Hash chain BROKEN at record `+fmt.Sprint(edited)) {
		t.Errorf("a broken chain is not shown as broken:\n%s", page)
	}
}

func TestAuditPage_Paginates(t *testing.T) {
	f := newFixture(t)
	for i := range 60 {
		pagesIdentity(t, f, fmt.Sprintf("svc-%02d", i))
	}
	rows, pages := walkPages(t, f.signIn(t, warden.RoleAuditor), "/ui/audit?action=identity.create", "audit")
	if len(rows) != 60 || distinct(rows) != 60 || pages != 2 {
		t.Fatalf("%d rows (%d distinct) over %d pages, want 60 over 2", len(rows), distinct(rows), pages)
	}
}

// slowVerify wraps the real store so that walking the audit chain takes
// longer than the page's budget, as it does on a large log.
type slowVerify struct {
	warden.AuditService
	delay time.Duration
}

func (s slowVerify) VerifyAudit(ctx context.Context) (*warden.AuditVerification, error) {
	select {
	case <-ctx.Done():
	case <-time.After(s.delay):
	}
	return s.AuditService.VerifyAudit(ctx)
}

func TestAuditPage_SlowChainIsVerifiedOnRequest(t *testing.T) {
	db := storetest.OpenSQLite(t)
	f := newFixtureOn(t, db)
	slow := console.New(console.Config{Identities: db, Sessions: db, Audit: slowVerify{AuditService: db, delay: 400 * time.Millisecond}})
	f.srv = httptest.NewServer(slow)
	t.Cleanup(f.srv.Close)
	b := f.signIn(t, warden.RoleAuditor)
	start := time.Now()
	status, page := b.get("/ui/audit?action=token.create")
	if status != http.StatusOK || !strings.Contains(page, `<p id="audit-chain" class="chain-unchecked"`) || !strings.Contains(page, "Not verified on this page load") {
		t.Fatalf("status %d:\n%s", status, page)
	}
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Errorf("the page waited %v for the chain; its budget is 100 ms", took)
	}
	if len(rowIDs(t, page, "audit")) != len(warden.Roles) {
		t.Errorf("the records are not shown while the chain is unchecked")
	}
	for _, want := range []string{`<form id="verify-chain-form" method="get" action="/ui/audit">`, `<input type="hidden" name="action" value="token.create">`, `<input type="hidden" name="verify" value="1">`, `<button type="submit" id="verify-chain"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	_, page = b.get("/ui/audit?action=token.create&verify=1")
	if !strings.Contains(page, `<p id="audit-chain" class="chain-ok" role="status">Hash chain intact: `) {
		t.Fatalf("verify=1 did not verify the whole chain:\n%s", page)
	}
}

func TestPages_RoleWithoutPermissionIsRefused(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		role  warden.Role
		path  string
		allow bool
	}{
		{warden.RoleApprover, "/ui/decisions", false},
		{warden.RoleApprover, "/ui/policies", false},
		{warden.RoleApprover, "/ui/policies/1", false},
		{warden.RoleApprover, "/ui/audit", false},
		{warden.RoleApprover, "/ui/findings", true},
		{warden.RoleApprover, "/ui/detections", true},
		{warden.RoleAuditor, "/ui/decisions", true},
		{warden.RoleAuditor, "/ui/policies", true},
		{warden.RoleAuditor, "/ui/audit", true},
	}
	for _, tc := range cases {
		t.Run(string(tc.role)+" "+tc.path, func(t *testing.T) {
			status, page := f.signIn(t, tc.role).get(tc.path)
			if tc.allow && status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
			if !tc.allow && (status != http.StatusForbidden || !strings.Contains(page, "Not allowed")) {
				t.Fatalf("status %d, want 403", status)
			}
		})
	}
	// Without a session every page sends the browser to sign in.
	for _, path := range []string{"/ui/findings", "/ui/findings/x", "/ui/findings/x/suppress", "/ui/detections", "/ui/decisions", "/ui/policies", "/ui/policies/1", "/ui/audit"} {
		if status, _ := f.browser(t).get(path); status != http.StatusSeeOther {
			t.Errorf("GET %s without a session: %d", path, status)
		}
	}
}
