package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestOnboardingHTTP_AutoApprovedReadOnlyAndAdminThatWaitsForAnotherApprover
// drives the acceptance flow over the API on both stores: a read-only
// staging request is approved at once and its managed identity exists; an
// admin request waits, its requester gets 403, another approver approves
// and the identity exists.
func TestOnboardingHTTP_AutoApprovedReadOnlyAndAdminThatWaitsForAnotherApprover(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		requester := e.tokens[warden.RoleApprover]
		_, other, err := e.db.CreateToken(context.Background(), "bob-approver", warden.RoleApprover)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"kind": "service_account", "provider": "kubernetes", "external_id": "system:serviceaccount:billing:invoice-renderer",
			"purpose": "renders invoice PDFs", "team": "team-billing", "owner": "maria.lopez@example.com", "environment": "staging",
			"permissions": []string{"get", "list"}, "review_interval": "90d"}
		resp := e.do(t, request{method: "POST", path: "/v1/onboarding/requests", token: e.tokens[warden.RoleAuditor], body: body})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("read-only request: status %d; body %s", resp.StatusCode, resp.body)
		}
		var auto warden.OnboardingRequest
		resp.decode(t, &auto)
		if auto.Status != warden.OnboardApproved || auto.IdentityID == "" {
			t.Fatalf("read-only request = %+v", auto)
		}
		var id warden.Identity
		e.admin(t, "GET", "/v1/identities/"+auto.IdentityID, nil, http.StatusOK, &id)
		if !id.Managed || id.Owner != "maria.lopez@example.com" || id.Labels["team"] != "team-billing" || id.NextReviewAt == nil {
			t.Fatalf("created identity = %+v", id)
		}

		body["external_id"], body["permissions"] = "system:serviceaccount:billing:ledger-migrator", []string{"cluster-admin"}
		resp = e.do(t, request{method: "POST", path: "/v1/onboarding/requests", token: requester, body: body})
		var pending warden.OnboardingRequest
		resp.decode(t, &pending)
		if resp.StatusCode != http.StatusCreated || pending.Status != warden.OnboardPending || pending.IdentityID != "" || pending.RequiredApprovals != 1 {
			t.Fatalf("admin request: %d %+v", resp.StatusCode, pending)
		}
		approve := "/v1/onboarding/requests/" + pending.ID + "/approve"
		resp = e.do(t, request{method: "POST", path: approve, token: requester, body: map[string]any{"comment": "mine, approved"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("self-approval: status %d; body %s", resp.StatusCode, resp.body)
		}
		if p := resp.problem(t); p.Code != warden.EFORBIDDEN || !strings.Contains(p.Detail, "cannot approve") {
			t.Fatalf("self-approval problem = %+v", p)
		}
		// The auditor may ask but never approve.
		if resp := e.do(t, request{method: "POST", path: approve, token: e.tokens[warden.RoleAuditor]}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("auditor approves: status %d", resp.StatusCode)
		}
		var listed listResponse[*warden.OnboardingRequest]
		e.admin(t, "GET", "/v1/onboarding/requests?status=pending", nil, http.StatusOK, &listed)
		if len(listed.Items) != 1 || listed.Items[0].ID != pending.ID {
			t.Fatalf("pending list = %+v", listed.Items)
		}
		resp = e.do(t, request{method: "POST", path: approve, token: other, body: map[string]any{"comment": "CHG-2231"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("approval: status %d; body %s", resp.StatusCode, resp.body)
		}
		var approved warden.OnboardingRequest
		resp.decode(t, &approved)
		if approved.Status != warden.OnboardApproved || approved.IdentityID == "" {
			t.Fatalf("approved = %+v", approved)
		}
		e.admin(t, "GET", "/v1/identities/"+approved.IdentityID, nil, http.StatusOK, &id)
		if !id.Managed || id.ExternalID != "system:serviceaccount:billing:ledger-migrator" {
			t.Fatalf("approved identity = %+v", id)
		}
		var got warden.OnboardingRequest
		e.admin(t, "GET", "/v1/onboarding/requests/"+pending.ID, nil, http.StatusOK, &got)
		if got.Status != warden.OnboardApproved || len(got.Approvals) != 1 || got.Approvals[0].Comment != "CHG-2231" {
			t.Fatalf("get = %+v", got)
		}
	})
}

func TestOnboardingHTTP_ClaimOfNotOnboardedIdentity(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		var found warden.Identity
		e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "cloud_role", "provider": "aws", "external_id": "arn:aws:iam::402118867530:role/docs-publisher",
			"name": "docs-publisher", "managed": false}, http.StatusCreated, &found)
		if found.Managed {
			t.Fatalf("seed identity is managed: %+v", found)
		}
		resp := e.do(t, request{method: "POST", path: "/v1/onboarding/claims", token: e.tokens[warden.RoleOperator], body: map[string]any{
			"identity": found.ExternalID, "owner": "li.wei@example.com", "team": "team-docs", "purpose": "publishes the docs site", "environment": "dev"}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("claim: status %d; body %s", resp.StatusCode, resp.body)
		}
		var claim warden.OnboardingRequest
		resp.decode(t, &claim)
		if claim.Type != warden.OnboardClaim || claim.Status != warden.OnboardApproved || claim.IdentityID != found.ID {
			t.Fatalf("claim = %+v", claim)
		}
		var got warden.Identity
		e.admin(t, "GET", "/v1/identities/"+found.ID, nil, http.StatusOK, &got)
		if !got.Managed || got.Owner != "li.wei@example.com" || got.Purpose != "publishes the docs site" || got.Environment != "dev" || got.Labels["team"] != "team-docs" {
			t.Fatalf("claimed identity = %+v", got)
		}
		resp = e.do(t, request{method: "POST", path: "/v1/onboarding/claims", token: e.tokens[warden.RoleOperator], body: map[string]any{
			"identity": found.ID, "team": "team-x", "purpose": "mine", "environment": "dev"}})
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("second claim: status %d; body %s", resp.StatusCode, resp.body)
		}
	})
}

func TestOnboardingHTTP_BadInputIs400NamingTheField(t *testing.T) {
	e := newTestEnv(t)
	for name, tc := range map[string]struct {
		path  string
		body  any
		field string
	}{
		"NoTeam":        {"/v1/onboarding/requests", map[string]any{"kind": "bot", "provider": "slack", "external_id": "B01", "purpose": "p", "environment": "dev", "permissions": []string{"chat:read"}, "review_interval": "30d"}, "team"},
		"UnknownField":  {"/v1/onboarding/requests", map[string]any{"kind": "bot", "color": "red"}, ""},
		"BadExpiry":     {"/v1/onboarding/requests", map[string]any{"kind": "bot", "provider": "slack", "external_id": "B01", "purpose": "p", "team": "t", "environment": "dev", "permissions": []string{"chat:read"}, "expires": "soonish"}, "expires"},
		"ClaimUnknown":  {"/v1/onboarding/claims", map[string]any{"identity": "nope", "team": "t", "purpose": "p", "environment": "dev"}, "identity"},
		"ClaimNoTarget": {"/v1/onboarding/claims", map[string]any{"team": "t"}, "identity"},
	} {
		resp := e.do(t, request{method: "POST", path: tc.path, token: e.tokens[warden.RoleOperator], body: tc.body})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d; body %s", name, resp.StatusCode, resp.body)
			continue
		}
		if p := resp.problem(t); p.Code != warden.EINVALID || tc.field != "" && p.Field != tc.field {
			t.Errorf("%s: problem %+v, want field %q", name, p, tc.field)
		}
	}
	if resp := e.do(t, request{method: "GET", path: "/v1/onboarding/requests?status=maybe", token: e.tokens[warden.RoleAuditor]}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status filter: %d", resp.StatusCode)
	}
	if resp := e.do(t, request{method: "GET", path: "/v1/onboarding/requests/nope", token: e.tokens[warden.RoleAuditor]}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown request: %d", resp.StatusCode)
	}
}
