package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// seedOwnerSuggestions gives an unowned identity two pending suggestions:
// alice, who created it and its key (CloudTrail events), and a team label.
func seedOwnerSuggestions(t *testing.T, f *fixture) (*warden.Identity, *warden.OwnerSuggestion, *warden.OwnerSuggestion) {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/svc/ledger-export", Name: "ledger-export"}
	if err := f.db.CreateIdentity(adminCtx(), id); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 3, 9, 14, 7, 0, time.UTC)
	alice := &warden.OwnerSuggestion{Owner: "alice@northwind.example", Confidence: 85, Evidence: []warden.OwnerEvidence{
		{Kind: warden.OwnerEvidenceCreator, Confidence: 70, EventID: "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01", EventSource: "cloudtrail", Time: &at,
			Detail: "alice@northwind.example created the identity (CreateUser, cloudtrail event 7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01)."},
		{Kind: warden.OwnerEvidenceKeyCreator, Confidence: 50, EventID: "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e02", EventSource: "cloudtrail", Time: &at,
			Detail: "alice@northwind.example created its key <AKIAV3NWLEDGEREXP001>."},
	}}
	team := &warden.OwnerSuggestion{Owner: "team-finance", Confidence: 60, Evidence: []warden.OwnerEvidence{
		{Kind: warden.OwnerEvidenceLabel, Confidence: 60, Label: "tag/team=team-finance", Detail: "The identity's label tag/team names team-finance."}}}
	if _, err := f.db.SaveOwnerSuggestions(adminCtx(), id.ID, []*warden.OwnerSuggestion{alice, team}); err != nil {
		t.Fatal(err)
	}
	return id, alice, team
}

// TestOwnerSuggestions_AnsweredOnTheIdentityPage: the identity page lists
// the pending suggestions with their evidence (escaped); an approver
// accepts one through the confirmation page, which sets the owner and
// supersedes the other; an auditor sees no buttons and is refused.
func TestOwnerSuggestions_AnsweredOnTheIdentityPage(t *testing.T) {
	f := newFixture(t)
	id, alice, team := seedOwnerSuggestions(t, f)
	page := "/ui/identities/" + id.ID

	auditor := f.signIn(t, warden.RoleAuditor)
	status, body := auditor.get(page)
	if status != http.StatusOK || !strings.Contains(body, `id="owner-suggestions"`) || !strings.Contains(body, "alice@northwind.example") ||
		!strings.Contains(body, "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01") || !strings.Contains(body, "&lt;AKIAV3NWLEDGEREXP001&gt;") {
		t.Fatalf("auditor's identity page: %d\n%s", status, body)
	}
	if strings.Contains(body, `action="/ui/owners/`) {
		t.Fatalf("the auditor is offered an answer form:\n%s", body)
	}
	if resp := auditor.post("/ui/owners/"+alice.ID+"/accept", withCSRF(nil, auditor.csrf(), true)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("auditor accept: %d, want 403", resp.StatusCode)
	}

	approver := f.signIn(t, warden.RoleApprover)
	_, body = approver.get(page)
	if !strings.Contains(body, `action="/ui/owners/`+alice.ID+`/accept"`) || !strings.Contains(body, `action="/ui/owners/`+team.ID+`/reject"`) {
		t.Fatalf("approver's identity page lacks the answer forms:\n%s", body)
	}
	csrf := approver.csrf()
	status, confirm := approver.postPage("/ui/owners/"+alice.ID+"/accept", withCSRF(nil, csrf, false))
	if status != http.StatusOK || !strings.Contains(confirm, "Accept alice@northwind.example as the owner of ledger-export?") ||
		!strings.Contains(confirm, "Owner: &#39;none&#39; → &#39;alice@northwind.example&#39;") {
		t.Fatalf("confirmation: %d\n%s", status, confirm)
	}
	if got, _ := f.db.FindIdentityByID(adminCtx(), id.ID); got.Owner != "" {
		t.Fatalf("owner before confirming = %q", got.Owner)
	}
	resp := approver.post("/ui/owners/"+alice.ID+"/accept", withCSRF(nil, csrf, true))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), page+"?done=owner-accept") {
		t.Fatalf("accept: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := f.db.FindIdentityByID(adminCtx(), id.ID); got.Owner != "alice@northwind.example" {
		t.Fatalf("owner after accept = %q", got.Owner)
	}
	if got, _ := f.db.FindOwnerSuggestion(adminCtx(), team.ID); got.Status != warden.OwnerSuggestionSuperseded {
		t.Fatalf("the other suggestion = %s, want superseded", got.Status)
	}
	if _, body = approver.get(page); strings.Contains(body, `id="owner-suggestions"`) {
		t.Fatalf("answered suggestions are still offered:\n%s", body)
	}
	// Answering again is refused, not applied twice.
	if status, _ := approver.postPage("/ui/owners/"+team.ID+"/reject", withCSRF(nil, csrf, true)); status != http.StatusConflict {
		t.Fatalf("reject of a superseded suggestion: %d, want 409", status)
	}
}

// TestOwnerSuggestions_RejectIsConfirmedAndRemembered: rejecting goes
// through the confirmation page with its reason and is kept.
func TestOwnerSuggestions_RejectIsConfirmedAndRemembered(t *testing.T) {
	f := newFixture(t)
	id, _, team := seedOwnerSuggestions(t, f)
	operator := f.signIn(t, warden.RoleOperator)
	csrf := operator.csrf()
	form := url.Values{"reason": {"finance does not run exports"}}
	status, confirm := operator.postPage("/ui/owners/"+team.ID+"/reject", withCSRF(form, csrf, false))
	if status != http.StatusOK || !strings.Contains(confirm, "never suggested again") || !strings.Contains(confirm, "finance does not run exports") {
		t.Fatalf("confirmation: %d\n%s", status, confirm)
	}
	resp := operator.post("/ui/owners/"+team.ID+"/reject", withCSRF(form, csrf, true))
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=owner-reject") {
		t.Fatalf("reject: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, _ := f.db.FindOwnerSuggestion(adminCtx(), team.ID)
	if got.Status != warden.OwnerSuggestionRejected || got.Reason != "finance does not run exports" {
		t.Fatalf("after reject = %+v", got)
	}
	if got, _ := f.db.FindIdentityByID(adminCtx(), id.ID); got.Owner != "" {
		t.Fatalf("a rejection set the owner to %q", got.Owner)
	}
}
