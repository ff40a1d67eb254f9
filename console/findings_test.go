package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// pagesIdentity stores an identity for the pages' tests.
func pagesIdentity(t testing.TB, f *fixture, ext string) *warden.Identity {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/" + ext, Name: ext}
	if err := f.db.CreateIdentity(adminCtx(), id); err != nil {
		t.Fatalf("create identity %s: %v", ext, err)
	}
	return id
}

// pagesFinding raises a finding through the store, as the scanner would.
func pagesFinding(t testing.TB, f *fixture, identityID, rule, subject string, sev warden.Severity, owasp ...string) *warden.Finding {
	t.Helper()
	fd := &warden.Finding{
		IdentityID: identityID, RuleID: rule, Subject: subject, Severity: sev,
		Title: "Finding " + rule + " " + subject, Detail: "detail of " + rule,
		Evidence:    json.RawMessage(`{"age_days":412,"key":"AKIAEXAMPLE"}`),
		OWASP:       owasp,
		NIST:        []string{"CSF PR.AA-01"},
		Remediation: "Rotate the key " + rule + ".",
		Source:      "scan",
	}
	if err := f.db.RaiseFinding(adminCtx(), fd); err != nil {
		t.Fatalf("raise finding %s: %v", rule, err)
	}
	return fd
}

// rowIDs returns the data-id of every row of the table with the id.
func rowIDs(t testing.TB, page, table string) []string {
	t.Helper()
	start := strings.Index(page, `<table id="`+table+`"`)
	if start < 0 {
		return nil
	}
	end := strings.Index(page[start:], "</table>")
	var ids []string
	for _, m := range regexp.MustCompile(`<tr data-id="([^"]+)"`).FindAllStringSubmatch(page[start:start+end], -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// nextPage returns the href of the page's next-page link, unescaped, or "".
func nextPage(page string) string {
	m := regexp.MustCompile(`id="next-page" rel="next" href="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		if seen[w] == 0 {
			return false
		}
		seen[w]--
	}
	return true
}

func findingStatus(t testing.TB, f *fixture, id string) warden.FindingStatus {
	t.Helper()
	fd, err := f.db.FindFindingByID(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Status
}

func TestFindingsPage_FiltersRealRows(t *testing.T) {
	f := newFixture(t)
	alice, bob := pagesIdentity(t, f, "alice-bot"), pagesIdentity(t, f, "bob-bot")
	old := pagesFinding(t, f, alice.ID, "old-key", "", warden.SeverityHigh, "NHI7")
	leak := pagesFinding(t, f, alice.ID, "secret-leaked", "AKIA1", warden.SeverityCritical, "NHI2", "NHI7")
	owner := pagesFinding(t, f, bob.ID, "no-owner", "", warden.SeverityMedium, "NHI1")
	if _, err := f.db.SuppressFinding(adminCtx(), owner.ID, "team is being hired", time.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleAuditor)
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"no filter", "", []string{old.ID, leak.ID, owner.ID}},
		{"rule", "rule=old-key", []string{old.ID}},
		{"severity", "severity=critical", []string{leak.ID}},
		{"owasp", "owasp=NHI7", []string{old.ID, leak.ID}},
		{"owasp lower case", "owasp=nhi2", []string{leak.ID}},
		{"status open", "status=open", []string{old.ID, leak.ID}},
		{"status suppressed", "status=suppressed", []string{owner.ID}},
		{"identity by id", "identity=" + bob.ID, []string{owner.ID}},
		{"identity by external id", "identity=" + url.QueryEscape(alice.ExternalID), []string{old.ID, leak.ID}},
		{"combined", "identity=" + alice.ID + "&owasp=NHI7&severity=high", []string{old.ID}},
		{"nothing matches", "rule=no-such-rule", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, page := b.get("/ui/findings?" + tc.query)
			if status != http.StatusOK {
				t.Fatalf("status %d:\n%s", status, page)
			}
			if got := rowIDs(t, page, "findings"); !sameSet(got, tc.want) {
				t.Fatalf("rows %v, want %v", got, tc.want)
			}
		})
	}
	_, page := b.get("/ui/findings")
	for _, want := range []string{`id="finding-filters"`, `<span class="badge critical">critical</span>`, `href="/ui/identities/` + alice.ID + `"`, `>NHI2</a>`, `<span class="badge suppressed">suppressed</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("findings page lacks %s", want)
		}
	}
	if strings.Contains(page, "suppress-link") {
		t.Error("an auditor's findings page offers to suppress")
	}
	if _, op := f.signIn(t, warden.RoleOperator).get("/ui/findings"); !strings.Contains(op, `<a class="suppress-link" href="/ui/findings/`+old.ID+`/suppress">`) ||
		strings.Contains(op, `href="/ui/findings/`+owner.ID+`/suppress"`) {
		t.Error("an operator's findings page must offer Suppress on open findings only")
	}
}

func TestFindingsPage_BadFilterIs400NamingTheField(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	cases := map[string]struct{ query, field string }{
		"severity": {"severity=urgent", "severity"},
		"owasp":    {"owasp=NHI11", "owasp"},
		"status":   {"status=closed", "status"},
		"rule":     {"rule=Not_A_Rule", "rule"},
		"identity": {"identity=nobody-at-all", "identity"},
		"cursor":   {"cursor=garbage", "cursor"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, page := b.get("/ui/findings?" + tc.query)
			if status != http.StatusBadRequest || !strings.Contains(page, tc.field) || !strings.Contains(page, `id="status-message"`) {
				t.Fatalf("status %d, want 400 naming %s:\n%s", status, tc.field, page)
			}
		})
	}
}

func TestFindingsPage_PaginatesWithCursorKeepingFilters(t *testing.T) {
	f := newFixture(t)
	id := pagesIdentity(t, f, "many-keys")
	other := pagesIdentity(t, f, "other")
	want := map[string]bool{}
	for i := range 57 {
		want[pagesFinding(t, f, id.ID, "old-key", fmt.Sprintf("key-%02d", i), warden.SeverityHigh, "NHI7").ID] = true
	}
	pagesFinding(t, f, other.ID, "old-key", "", warden.SeverityHigh, "NHI7")
	b := f.signIn(t, warden.RoleAuditor)
	status, first := b.get("/ui/findings?identity=" + id.ID)
	if status != http.StatusOK {
		t.Fatalf("first page: %d", status)
	}
	rows1 := rowIDs(t, first, "findings")
	next := nextPage(first)
	if len(rows1) != warden.DefaultPageSize || next == "" || !strings.Contains(next, "identity="+id.ID) || !strings.Contains(next, "cursor=") {
		t.Fatalf("first page: %d rows, next %q", len(rows1), next)
	}
	_, second := b.get(next)
	rows2 := rowIDs(t, second, "findings")
	if len(rows2) != 57-warden.DefaultPageSize || nextPage(second) != "" || !strings.Contains(second, `id="first-page"`) {
		t.Fatalf("second page: %d rows, next %q", len(rows2), nextPage(second))
	}
	for _, r := range append(rows1, rows2...) {
		if !want[r] {
			t.Fatalf("row %s is not one of the identity's findings, or was shown twice", r)
		}
		delete(want, r)
	}
	if len(want) != 0 {
		t.Fatalf("%d findings were never shown", len(want))
	}
}

func TestFindingPage_ShowsEvidenceReferencesAndRemediation(t *testing.T) {
	f := newFixture(t)
	id := pagesIdentity(t, f, "deploy-bot")
	fd := pagesFinding(t, f, id.ID, "secret-leaked", "AKIA1", warden.SeverityCritical, "NHI2")
	b := f.signIn(t, warden.RoleAuditor)
	status, page := b.get("/ui/findings/" + fd.ID)
	if status != http.StatusOK {
		t.Fatalf("status %d:\n%s", status, page)
	}
	for _, want := range []string{
		`<span id="finding-status" class="badge open">open</span>`,
		"&#34;age_days&#34;: 412,\n", // pretty-printed, escaped as text
		"NHI2</a> Secret Leakage",
		"<strong>CSF PR.AA-01</strong>: Identities and credentials for authorized users",
		"Rotate the key secret-leaked.",
		`<a class="identity-link" href="/ui/identities/` + id.ID + `">deploy-bot</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("finding page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="unsuppress-form"`) || strings.Contains(page, `id="suppress-finding"`) {
		t.Error("an auditor's finding page offers actions")
	}
	if status, _ := b.get("/ui/findings/no-such-finding"); status != http.StatusNotFound {
		t.Errorf("unknown finding: %d, want 404", status)
	}
}

func TestSuppressFinding(t *testing.T) {
	f := newFixture(t)
	id := pagesIdentity(t, f, "ci-bot")
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	cases := []struct {
		name       string
		role       warden.Role
		form       url.Values
		noCSRF     bool
		wantStatus int
		wantText   string
		suppressed bool
	}{
		{"unconfirmed shows the confirmation and changes nothing", warden.RoleOperator, url.Values{"reason": {"accepted by CISO"}, "until": {tomorrow}}, false, http.StatusOK, `id="confirm-form"`, false},
		{"confirmed suppresses", warden.RoleOperator, url.Values{"reason": {"accepted by CISO"}, "until": {tomorrow}, "confirm": {"yes"}}, false, http.StatusSeeOther, "", true},
		{"missing reason", warden.RoleOperator, url.Values{"reason": {"  "}, "until": {tomorrow}, "confirm": {"yes"}}, false, http.StatusBadRequest, "reason", false},
		{"missing until", warden.RoleOperator, url.Values{"reason": {"ok"}, "confirm": {"yes"}}, false, http.StatusBadRequest, "until", false},
		{"past until", warden.RoleOperator, url.Values{"reason": {"ok"}, "until": {"2020-01-01"}, "confirm": {"yes"}}, false, http.StatusBadRequest, "until date must be in the future", false},
		{"today is not in the future", warden.RoleOperator, url.Values{"reason": {"ok"}, "until": {time.Now().UTC().Format("2006-01-02")}, "confirm": {"yes"}}, false, http.StatusBadRequest, "until", false},
		{"until beyond a year", warden.RoleOperator, url.Values{"reason": {"ok"}, "until": {time.Now().UTC().AddDate(2, 0, 0).Format("2006-01-02")}, "confirm": {"yes"}}, false, http.StatusBadRequest, "until", false},
		{"until not a date", warden.RoleOperator, url.Values{"reason": {"ok"}, "until": {"next week"}, "confirm": {"yes"}}, false, http.StatusBadRequest, "until", false},
		{"auditor is refused", warden.RoleAuditor, url.Values{"reason": {"ok"}, "until": {tomorrow}, "confirm": {"yes"}}, false, http.StatusForbidden, "inventory:write", false},
		{"without CSRF token", warden.RoleOperator, url.Values{"reason": {"ok"}, "until": {tomorrow}, "confirm": {"yes"}}, true, http.StatusForbidden, "", false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fd := pagesFinding(t, f, id.ID, "old-key", fmt.Sprintf("case-%d", i), warden.SeverityHigh, "NHI7")
			b := f.signIn(t, tc.role)
			form := url.Values{}
			for k, v := range tc.form {
				form[k] = v
			}
			if !tc.noCSRF {
				form.Set("csrf", b.csrf())
			}
			path := "/ui/findings/" + fd.ID + "/suppress"
			status, body := b.postPage(path, form)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("status %d, want %d with %q:\n%s", status, tc.wantStatus, tc.wantText, body)
			}
			audits, _, err := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{Action: "finding.suppress", TargetID: fd.ID})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.suppressed {
				if got := findingStatus(t, f, fd.ID); got != warden.FindingOpen || len(audits) != 0 {
					t.Fatalf("the finding changed: status %s, %d audit records", got, len(audits))
				}
				return
			}
			if len(audits) != 1 || !strings.Contains(audits[0].Actor, "console-"+string(tc.role)) {
				t.Fatalf("audit records %+v, want one by the session's token", audits)
			}
			_, page := b.get("/ui/findings/" + fd.ID + "?done=suppress")
			for _, want := range []string{`<span id="finding-status" class="badge suppressed">suppressed</span>`, `id="flash"`, "accepted by CISO", `id="unsuppress-form"`} {
				if !strings.Contains(page, want) {
					t.Errorf("finding page after suppressing lacks %s", want)
				}
			}
		})
	}
}

func TestSuppressFinding_RedirectsToTheFinding(t *testing.T) {
	f := newFixture(t)
	id := pagesIdentity(t, f, "ci-bot")
	fd := pagesFinding(t, f, id.ID, "old-key", "", warden.SeverityHigh, "NHI7")
	b := f.signIn(t, warden.RoleOperator)
	status, form := b.get("/ui/findings/" + fd.ID + "/suppress")
	if status != http.StatusOK || !strings.Contains(form, `<form id="suppress-form" class="stack" method="post" action="/ui/findings/`+fd.ID+`/suppress">`) ||
		!strings.Contains(form, `value="`+time.Now().UTC().Add(30*24*time.Hour).Format("2006-01-02")+`"`) {
		t.Fatalf("suppress form %d:\n%s", status, form)
	}
	resp := b.post("/ui/findings/"+fd.ID+"/suppress", url.Values{"csrf": {b.csrf()}, "reason": {"known"}, "until": {field(t, form, "until")}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/findings/"+fd.ID+"?done=suppress" {
		t.Fatalf("suppress: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := findingStatus(t, f, fd.ID); got != warden.FindingSuppressed {
		t.Fatalf("status %s after suppressing", got)
	}
	if status, _ := f.signIn(t, warden.RoleAuditor).get("/ui/findings/" + fd.ID + "/suppress"); status != http.StatusForbidden {
		t.Errorf("an auditor opened the suppress form: %d", status)
	}
}

func TestUnsuppressFinding(t *testing.T) {
	f := newFixture(t)
	id := pagesIdentity(t, f, "ci-bot")
	fd := pagesFinding(t, f, id.ID, "old-key", "", warden.SeverityHigh, "NHI7")
	open := pagesFinding(t, f, id.ID, "no-owner", "", warden.SeverityMedium, "NHI1")
	if _, err := f.db.SuppressFinding(adminCtx(), fd.ID, "known", time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleOperator)
	csrf := b.csrf()
	if status, body := b.postPage("/ui/findings/"+fd.ID+"/unsuppress", url.Values{"csrf": {csrf}}); status != http.StatusOK || !strings.Contains(body, `id="confirm-form"`) {
		t.Fatalf("unconfirmed unsuppress: %d", status)
	}
	if got := findingStatus(t, f, fd.ID); got != warden.FindingSuppressed {
		t.Fatalf("an unconfirmed unsuppress changed the finding to %s", got)
	}
	if status, _ := f.signIn(t, warden.RoleAuditor).postPage("/ui/findings/"+fd.ID+"/unsuppress", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); status != http.StatusForbidden {
		t.Fatalf("auditor unsuppress: %d", status)
	}
	if status, _ := b.postPage("/ui/findings/"+open.ID+"/unsuppress", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); status != http.StatusConflict {
		t.Fatalf("unsuppressing an open finding: %d, want 409", status)
	}
	resp := b.post("/ui/findings/"+fd.ID+"/unsuppress", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/findings/"+fd.ID+"?done=unsuppress" {
		t.Fatalf("unsuppress: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := b.get("/ui/findings/" + fd.ID + "?done=unsuppress")
	if !strings.Contains(page, `<span id="finding-status" class="badge open">open</span>`) || !strings.Contains(page, "The finding is open again.") {
		t.Fatalf("finding page after unsuppress:\n%s", page)
	}
}
