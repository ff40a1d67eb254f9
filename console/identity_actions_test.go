package console_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// auditOf returns the audit records with the target, oldest first.
func auditOf(t *testing.T, f *fixture, targetType, targetID string) []*warden.AuditRecord {
	t.Helper()
	recs, _, err := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{TargetType: targetType, TargetID: targetID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func identityNow(t *testing.T, f *fixture, id string) *warden.Identity {
	t.Helper()
	got, err := f.db.FindIdentityByID(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func issuedNow(t *testing.T, f *fixture, id string) *warden.IssuedCredential {
	t.Helper()
	got, err := f.db.FindIssuedCredential(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// identityAction is one console action on the identity of a detail
// fixture: the form it posts, the confirmation it shows and how to tell
// that it happened.
type identityAction struct {
	name       string
	path       func(d detailFixture) string
	form       url.Values
	prepare    func(t *testing.T, f *fixture, d detailFixture) // bring the identity to where the action applies
	confirm    string                                          // a line the confirmation shows
	done       string                                          // flash key of the redirect
	auditType  string                                          // the audit record's target type
	auditID    func(d detailFixture) string
	auditActor string // the audit record's action
	applied    func(t *testing.T, f *fixture, d detailFixture) bool
}

func quarantine(t *testing.T, f *fixture, d detailFixture) {
	q := warden.StatusQuarantined
	if _, err := f.db.UpdateIdentity(adminCtx(), d.identity.ID, warden.IdentityUpdate{Status: &q}); err != nil {
		t.Fatal(err)
	}
}

var identityActions = []identityAction{
	{
		name: "edit owner", path: func(d detailFixture) string { return "/ui/identities/" + d.identity.ID + "/edit" },
		form:    url.Values{"owner": {"team-ledger"}, "purpose": {"charges cards"}, "environment": {"prod"}, "next_review": {""}},
		confirm: "Owner: &#39;team-pay&#39; → &#39;team-ledger&#39;", done: "owner",
		auditType: "identity", auditID: func(d detailFixture) string { return d.identity.ID }, auditActor: "identity.update",
		applied: func(t *testing.T, f *fixture, d detailFixture) bool {
			return identityNow(t, f, d.identity.ID).Owner == "team-ledger"
		},
	},
	{
		name: "quarantine", path: func(d detailFixture) string { return "/ui/identities/" + d.identity.ID + "/quarantine" },
		form:    url.Values{"reason": {"key found in a public gist"}},
		confirm: "Status: &#39;active&#39; → &#39;quarantined&#39;", done: "quarantine",
		auditType: "identity", auditID: func(d detailFixture) string { return d.identity.ID }, auditActor: "identity.update",
		applied: func(t *testing.T, f *fixture, d detailFixture) bool {
			got := identityNow(t, f, d.identity.ID)
			return got.Status == warden.StatusQuarantined && got.StatusReason == "key found in a public gist"
		},
	},
	{
		name: "lift", path: func(d detailFixture) string { return "/ui/identities/" + d.identity.ID + "/lift" },
		form: url.Values{"reason": {"key rotated"}}, prepare: quarantine,
		confirm: "Status: &#39;quarantined&#39; → &#39;active&#39;", done: "lift",
		auditType: "identity", auditID: func(d detailFixture) string { return d.identity.ID }, auditActor: "identity.update",
		applied: func(t *testing.T, f *fixture, d detailFixture) bool {
			got := identityNow(t, f, d.identity.ID)
			return got.Status == warden.StatusActive && got.StatusReason == "key rotated"
		},
	},
	{
		name: "revoke one issued credential", path: func(d detailFixture) string { return "/ui/issued/" + d.issuedID + "/revoke" },
		form:    url.Values{"reason": {"workload retired"}},
		confirm: "Credential: jwt_svid jti-detail-0001", done: "revoke",
		auditType: "issued_credential", auditID: func(d detailFixture) string { return d.issuedID }, auditActor: "issuer.credential.revoke",
		applied: func(t *testing.T, f *fixture, d detailFixture) bool {
			got := issuedNow(t, f, d.issuedID)
			return got.RevokedAt != nil && got.RevokeNote == "workload retired"
		},
	},
	{
		name: "revoke every issued credential", path: func(d detailFixture) string { return "/ui/identities/" + d.identity.ID + "/revoke-issued" },
		form:    url.Values{"reason": {"compromised host"}},
		confirm: "stops working at once", done: "revoke",
		auditType: "identity", auditID: func(d detailFixture) string { return d.identity.ID }, auditActor: "issuer.credential.revoke",
		applied: func(t *testing.T, f *fixture, d detailFixture) bool {
			return issuedNow(t, f, d.issuedID).RevokedAt != nil
		},
	},
}

// withCSRF returns a copy of form with the session's CSRF token and,
// when confirm is set, the confirmation.
func withCSRF(form url.Values, csrf string, confirm bool) url.Values {
	out := url.Values{"csrf": {csrf}}
	for k, v := range form {
		out[k] = v
	}
	if confirm {
		out.Set("confirm", "yes")
	}
	return out
}

func TestIdentityActions_ConfirmFirstThenChangeAndAudit(t *testing.T) {
	for _, a := range identityActions {
		t.Run(a.name, func(t *testing.T) {
			f := newFixture(t)
			d := seedDetail(t, f)
			if a.prepare != nil {
				a.prepare(t, f, d)
			}
			b := f.signIn(t, warden.RoleOperator)
			csrf := b.csrf()
			before := len(auditOf(t, f, a.auditType, a.auditID(d)))

			status, page := b.postPage(a.path(d), withCSRF(a.form, csrf, false))
			if status != http.StatusOK || !strings.Contains(page, `<form method="post" action="`+a.path(d)+`" id="confirm-form">`) {
				t.Fatalf("unconfirmed post: status %d, no confirmation form:\n%s", status, page)
			}
			if !strings.Contains(page, a.confirm) {
				t.Fatalf("confirmation lacks %q:\n%s", a.confirm, page)
			}
			if a.applied(t, f, d) || len(auditOf(t, f, a.auditType, a.auditID(d))) != before {
				t.Fatal("the unconfirmed post changed something")
			}

			// The confirmation page posts its hidden fields back with confirm=yes.
			confirmed := url.Values{}
			for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(confirmSection(page), -1) {
				confirmed.Add(m[1], htmlUnescape(m[2]))
			}
			if confirmed.Get("confirm") != "yes" || confirmed.Get("csrf") != csrf {
				t.Fatalf("confirmation form fields %v", confirmed)
			}
			resp := b.post(a.path(d), confirmed)
			wantTo := "/ui/identities/" + d.identity.ID + "?done=" + a.done
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != wantTo {
				t.Fatalf("confirmed post: %d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), wantTo)
			}
			if !a.applied(t, f, d) {
				t.Fatal("the confirmed post did not change the identity")
			}
			recs := auditOf(t, f, a.auditType, a.auditID(d))
			if len(recs) != before+1 {
				t.Fatalf("%d audit records, want %d", len(recs), before+1)
			}
			last := recs[len(recs)-1]
			if last.Action != a.auditActor || !strings.HasPrefix(last.Actor, "token:") || !strings.Contains(last.Actor, "(console-operator)") {
				t.Fatalf("audit record %s by %q, want %s by the operator's token", last.Action, last.Actor, a.auditActor)
			}
			if _, page := b.get(wantTo); !strings.Contains(page, `id="flash"`) {
				t.Fatalf("no flash after the redirect:\n%s", page)
			}
		})
	}
}

func TestIdentityActions_AuditorIsForbiddenAndNothingChanges(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	quarantine(t, f, d) // so that lift applies; the other actions do not depend on the status
	b := f.signIn(t, warden.RoleAuditor)
	csrf := b.csrf()
	before := identityNow(t, f, d.identity.ID)
	auditBefore := len(auditOf(t, f, "identity", d.identity.ID))
	for _, a := range identityActions {
		t.Run(a.name, func(t *testing.T) {
			status, page := b.postPage(a.path(d), withCSRF(a.form, csrf, true))
			if status != http.StatusForbidden {
				t.Fatalf("status %d, want 403\n%s", status, page)
			}
		})
	}
	if status, _ := b.get("/ui/identities/" + d.identity.ID + "/edit"); status != http.StatusForbidden {
		t.Fatalf("auditor GET edit form: %d, want 403", status)
	}
	after := identityNow(t, f, d.identity.ID)
	if after.Owner != before.Owner || after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("the identity changed: %+v", after)
	}
	if issuedNow(t, f, d.issuedID).RevokedAt != nil || len(auditOf(t, f, "identity", d.identity.ID)) != auditBefore {
		t.Fatal("an auditor's post revoked or audited something")
	}
}

func TestIdentityActions_ApproverCannotRevoke(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	b := f.signIn(t, warden.RoleApprover)
	csrf := b.csrf()
	for _, path := range []string{"/ui/issued/" + d.issuedID + "/revoke", "/ui/identities/" + d.identity.ID + "/revoke-issued"} {
		if status, _ := b.postPage(path, url.Values{"csrf": {csrf}, "confirm": {"yes"}}); status != http.StatusForbidden {
			t.Fatalf("%s: status %d, want 403", path, status)
		}
	}
	if issuedNow(t, f, d.issuedID).RevokedAt != nil {
		t.Fatal("an approver revoked a credential")
	}
}

func TestIdentityActions_BadInputIs400AndChangesNothing(t *testing.T) {
	cases := []struct {
		name     string
		path     string // relative to the identity
		form     url.Values
		prepare  func(t *testing.T, f *fixture, d detailFixture)
		field    string
		wantCode int
	}{
		{"quarantine without reason", "/quarantine", url.Values{"reason": {""}}, nil, "reason", http.StatusBadRequest},
		{"quarantine with blank reason", "/quarantine", url.Values{"reason": {"   "}}, nil, "reason", http.StatusBadRequest},
		{"quarantine with no reason field", "/quarantine", url.Values{}, nil, "reason", http.StatusBadRequest},
		{"quarantine with a too long reason", "/quarantine", url.Values{"reason": {strings.Repeat("r", warden.MaxTextLen+1)}}, nil, "reason", http.StatusBadRequest},
		{"lift without reason", "/lift", url.Values{"reason": {""}}, quarantine, "reason", http.StatusBadRequest},
		{"edit with a bad environment", "/edit", url.Values{"environment": {"Production!"}}, nil, "environment", http.StatusBadRequest},
		{"edit with a bad date", "/edit", url.Values{"next_review": {"next tuesday"}}, nil, "next_review", http.StatusBadRequest},
		{"edit with a control character", "/edit", url.Values{"owner": {"team\x01"}}, nil, "owner", http.StatusBadRequest},
		{"quarantine a quarantined identity", "/quarantine", url.Values{"reason": {"again"}}, quarantine, "only an active identity", http.StatusConflict},
		{"lift an active identity", "/lift", url.Values{"reason": {"why not"}}, nil, "only a quarantined identity", http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			d := seedDetail(t, f)
			if tc.prepare != nil {
				tc.prepare(t, f, d)
			}
			before := identityNow(t, f, d.identity.ID)
			audits := len(auditOf(t, f, "identity", d.identity.ID))
			b := f.signIn(t, warden.RoleOperator)
			csrf := b.csrf()
			for _, confirm := range []bool{false, true} {
				status, page := b.postPage("/ui/identities/"+d.identity.ID+tc.path, withCSRF(tc.form, csrf, confirm))
				if status != tc.wantCode {
					t.Fatalf("confirm=%v: status %d, want %d\n%s", confirm, status, tc.wantCode, page)
				}
				msg := regexp.MustCompile(`(?s)id="status-message">(.*?)</p>`).FindStringSubmatch(page)
				if msg == nil || !strings.Contains(msg[1], tc.field) {
					t.Fatalf("message does not name %q: %v", tc.field, msg)
				}
			}
			after := identityNow(t, f, d.identity.ID)
			if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Status != before.Status || len(auditOf(t, f, "identity", d.identity.ID)) != audits {
				t.Fatal("a refused post changed the identity")
			}
		})
	}
}

func TestIdentityEdit_OnlyChangedFieldsAreUpdated(t *testing.T) {
	review := time.Date(2031, 3, 14, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		form    url.Values
		lines   []string // the confirmation's lines, in order
		changed []string // the audit record's changed fields
		check   func(*warden.Identity) bool
	}{
		{
			name:    "owner only",
			form:    url.Values{"owner": {"team-ledger"}, "purpose": {"charges cards"}, "environment": {"prod"}, "next_review": {"2031-03-14"}},
			lines:   []string{"Owner: 'team-pay' → 'team-ledger'"},
			changed: []string{"owner"},
			check:   func(i *warden.Identity) bool { return i.Owner == "team-ledger" && i.Purpose == "charges cards" },
		},
		{
			name:    "clear the owner and the review date",
			form:    url.Values{"owner": {""}, "purpose": {"charges cards"}, "environment": {"prod"}, "next_review": {""}},
			lines:   []string{"Owner: 'team-pay' → ''", "Next review: '2031-03-14' → '' (no review scheduled)"},
			changed: []string{"next_review_at", "owner"},
			check:   func(i *warden.Identity) bool { return i.Owner == "" && i.NextReviewAt == nil },
		},
		{
			name:    "purpose, environment and review date",
			form:    url.Values{"owner": {"team-pay"}, "purpose": {"refunds"}, "environment": {"staging"}, "next_review": {"2032-01-02"}},
			lines:   []string{"Purpose: 'charges cards' → 'refunds'", "Environment: 'prod' → 'staging'", "Next review: '2031-03-14' → '2032-01-02'"},
			changed: []string{"environment", "next_review_at", "purpose"},
			check: func(i *warden.Identity) bool {
				return i.Purpose == "refunds" && i.Environment == "staging" && i.NextReviewAt != nil &&
					i.NextReviewAt.Equal(time.Date(2032, 1, 2, 0, 0, 0, 0, time.UTC))
			},
		},
		{
			name:    "fields left out of the form are left alone",
			form:    url.Values{"owner": {"  team-infra  "}},
			lines:   []string{"Owner: 'team-pay' → 'team-infra'"},
			changed: []string{"owner"},
			check: func(i *warden.Identity) bool {
				return i.Owner == "team-infra" && i.NextReviewAt != nil && i.Environment == "prod"
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			d := seedDetail(t, f)
			if _, err := f.db.UpdateIdentity(adminCtx(), d.identity.ID, warden.IdentityUpdate{NextReviewAt: &review}); err != nil {
				t.Fatal(err)
			}
			b := f.signIn(t, warden.RoleOperator)
			csrf := b.csrf()
			path := "/ui/identities/" + d.identity.ID + "/edit"
			_, page := b.postPage(path, withCSRF(tc.form, csrf, false))
			var lines []string
			for _, m := range regexp.MustCompile(`<li>(.*?)</li>`).FindAllStringSubmatch(confirmSection(page), -1) {
				lines = append(lines, htmlUnescape(m[1]))
			}
			if strings.Join(lines, "\n") != strings.Join(tc.lines, "\n") {
				t.Fatalf("confirmation lines\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.lines, "\n"))
			}
			resp := b.post(path, withCSRF(tc.form, csrf, true))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=owner") {
				t.Fatalf("confirmed: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := identityNow(t, f, d.identity.ID); !tc.check(got) {
				t.Fatalf("identity after the edit: %+v", got)
			}
			recs := auditOf(t, f, "identity", d.identity.ID)
			last := recs[len(recs)-1]
			if got := changedKeys(t, last); strings.Join(got, ",") != strings.Join(tc.changed, ",") {
				t.Fatalf("audit record changed %v, want %v", got, tc.changed)
			}
		})
	}
}

func TestIdentityEdit_UnchangedFormChangesNothing(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	b := f.signIn(t, warden.RoleOperator)
	_, form := b.get("/ui/identities/" + d.identity.ID + "/edit")
	for _, want := range []string{
		`<form id="edit-identity-form" class="stack" method="post" action="/ui/identities/` + d.identity.ID + `/edit">`,
		`name="owner" value="team-pay"`, `name="purpose" value="charges cards"`, `name="environment" value="prod"`,
		`<input type="date" id="next_review" name="next_review" value="">`, `<button type="submit" id="save-identity">`,
	} {
		if !strings.Contains(form, want) {
			t.Fatalf("edit form lacks %s:\n%s", want, form)
		}
	}
	audits := len(auditOf(t, f, "identity", d.identity.ID))
	resp := b.post("/ui/identities/"+d.identity.ID+"/edit", url.Values{"csrf": {field(t, form, "csrf")},
		"owner": {"team-pay"}, "purpose": {"charges cards"}, "environment": {"prod"}, "next_review": {""}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=unchanged") {
		t.Fatalf("unchanged form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(auditOf(t, f, "identity", d.identity.ID)) != audits {
		t.Fatal("an unchanged form wrote an audit record")
	}
}

func TestIdentityActions_UnknownTargetsAre404(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleOperator)
	csrf := b.csrf()
	for _, path := range []string{
		"/ui/identities/nope/edit", "/ui/identities/nope/quarantine", "/ui/identities/nope/lift",
		"/ui/identities/nope/revoke-issued", "/ui/issued/nope/revoke",
	} {
		status, _ := b.postPage(path, url.Values{"csrf": {csrf}, "reason": {"r"}, "confirm": {"yes"}})
		if status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, status)
		}
	}
}

func TestIdentityActions_RefuseWithoutCSRF(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	b := f.signIn(t, warden.RoleAdmin)
	status, _ := b.postPage("/ui/identities/"+d.identity.ID+"/quarantine", url.Values{"reason": {"x"}, "confirm": {"yes"}})
	if status != http.StatusForbidden || identityNow(t, f, d.identity.ID).Status != warden.StatusActive {
		t.Fatalf("quarantine without CSRF token: %d", status)
	}
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }

// changedKeys lists the top-level fields an identity.update audit record
// changed, apart from the update time.
func changedKeys(t *testing.T, rec *warden.AuditRecord) []string {
	t.Helper()
	var before, after map[string]any
	if err := json.Unmarshal(rec.Before, &before); err != nil {
		t.Fatalf("audit before: %v", err)
	}
	if err := json.Unmarshal(rec.After, &after); err != nil {
		t.Fatalf("audit after: %v", err)
	}
	var out []string
	for k, v := range after {
		if k != "updated_at" && !reflect.DeepEqual(before[k], v) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// confirmSection returns the confirmation page's form section.
func confirmSection(page string) string {
	return regexp.MustCompile(`(?s)<section class="confirm".*?</section>`).FindString(page)
}
