package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
)

// seedAccess records a pending prod write request by the operator's token
// and returns it.
func seedAccess(t *testing.T, f *fixture) *warden.AccessRequest {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:billing:invoice-renderer",
		Name: "invoice-renderer", Owner: "team-billing", Environment: "staging", Managed: true}
	if err := f.db.CreateIdentity(adminCtx(), id); err != nil {
		t.Fatal(err)
	}
	op, err := f.db.AuthenticateToken(adminCtx(), f.tokens[warden.RoleOperator])
	if err != nil {
		t.Fatal(err)
	}
	ctx := warden.NewContextWithActor(adminCtx(), warden.Actor{Type: "token", ID: op.ID, Name: op.Name, Role: op.Role})
	svc := access.New(access.Config{Store: f.db, Identities: f.db})
	r, _, err := svc.RequestAccess(ctx, warden.AccessInput{Identity: id.ID, Duration: "45m", Reason: "re-render <b>December</b> invoices",
		Scope: warden.AccessScope{Actions: []string{"update"}, Resources: []string{"Deployment::billing/invoice-renderer"}}})
	if err != nil || r.Status != warden.AccessPending {
		t.Fatalf("seed request = %+v, %v", r, err)
	}
	return r
}

func TestAccessPages_ApproverAnswersOthersCannot(t *testing.T) {
	f := newFixture(t)
	r := seedAccess(t, f)
	page := "/ui/access/" + r.ID

	approver := f.signIn(t, warden.RoleApprover)
	status, list := approver.get("/ui/access?status=pending")
	if status != http.StatusOK || !strings.Contains(list, `data-id="`+r.ID+`"`) || !strings.Contains(list, "invoice-renderer") {
		t.Fatalf("list: %d\n%s", status, list)
	}
	status, detail := approver.get(page)
	if status != http.StatusOK || !strings.Contains(detail, `id="approve-form"`) || !strings.Contains(detail, "0 of 1") ||
		!strings.Contains(detail, "re-render &lt;b&gt;December&lt;/b&gt; invoices") {
		t.Fatalf("detail: %d\n%s", status, detail)
	}
	csrf := approver.csrf()
	// First the confirmation, and nothing changes.
	status, confirm := approver.postPage(page+"/approve", withCSRF(url.Values{"comment": {"agreed"}}, csrf, false))
	if status != http.StatusOK || !strings.Contains(confirm, "Approve access request "+r.ID+"?") {
		t.Fatalf("confirmation: %d\n%s", status, confirm)
	}
	if got, _ := f.db.FindAccessRequest(adminCtx(), r.ID); got.Status != warden.AccessPending {
		t.Fatalf("status before confirming = %s", got.Status)
	}
	resp := approver.post(page+"/approve", withCSRF(url.Values{"comment": {"agreed"}}, csrf, true))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), page+"?done=access-approve") {
		t.Fatalf("approve: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, _ := f.db.FindAccessRequest(adminCtx(), r.ID)
	if got.Status != warden.AccessApproved || len(got.Approvals) != 1 || got.Approvals[0].Comment != "agreed" {
		t.Fatalf("after approval = %+v", got)
	}
	if _, detail := approver.get(page); !strings.Contains(detail, `id="revoke-form"`) || strings.Contains(detail, `id="approve-form"`) {
		t.Fatalf("an approved grant offers revoke, not approve:\n%s", detail)
	}

	// The requester (an operator) sees the request but no answer forms, and
	// its posts are refused.
	operator := f.signIn(t, warden.RoleOperator)
	if _, detail := operator.get(page); strings.Contains(detail, `id="revoke-form"`) {
		t.Fatalf("the operator is offered an approver's form:\n%s", detail)
	}
	if resp := operator.post(page+"/revoke", withCSRF(url.Values{"reason": {"mine"}}, operator.csrf(), true)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("operator revoke: %d, want 403", resp.StatusCode)
	}
}

func TestAccessPages_SelfApprovalIsRefused(t *testing.T) {
	f := newFixture(t)
	admin := f.signIn(t, warden.RoleAdmin)
	tok, err := f.db.AuthenticateToken(adminCtx(), f.tokens[warden.RoleAdmin])
	if err != nil {
		t.Fatal(err)
	}
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/ledger", Name: "ledger", Environment: "prod", Owner: "team-payments", Managed: true}
	if err := f.db.CreateIdentity(adminCtx(), id); err != nil {
		t.Fatal(err)
	}
	ctx := warden.NewContextWithActor(adminCtx(), warden.Actor{Type: "token", ID: tok.ID, Name: tok.Name, Role: tok.Role})
	r, _, err := access.New(access.Config{Store: f.db, Identities: f.db}).RequestAccess(ctx, warden.AccessInput{Identity: id.ID, Duration: "1h", Reason: "mine",
		Scope: warden.AccessScope{Actions: []string{"write"}}})
	if err != nil {
		t.Fatal(err)
	}
	status, page := admin.postPage("/ui/access/"+r.ID+"/approve", withCSRF(nil, admin.csrf(), true))
	if status != http.StatusForbidden || !strings.Contains(page, "cannot approve it") {
		t.Fatalf("self-approval in the console: %d\n%s", status, page)
	}
}
