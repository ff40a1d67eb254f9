package httpapi

import (
	"net/http"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestReviewsHTTP_StartStatusAnswerRoundTrip starts a campaign, reads its
// progress and items, answers an item and proves the answer's conflicts,
// refusals and permissions, on both dialects.
func TestReviewsHTTP_StartStatusAnswerRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		var ledger, reports warden.Identity
		e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "service_account", "provider": "kubernetes", "external_id": "system:serviceaccount:payments:ledger",
			"name": "ledger", "owner": "team-payments", "environment": "prod"}, http.StatusCreated, &ledger)
		e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "service_account", "provider": "kubernetes", "external_id": "system:serviceaccount:payments:reports",
			"name": "reports", "owner": "alice@example.com", "environment": "prod"}, http.StatusCreated, &reports)

		// Starting needs inventory:write: an approver may answer, not start.
		if resp := e.do(t, request{method: "POST", path: "/v1/reviews", token: e.tokens[warden.RoleApprover], body: map[string]any{}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("approver start: status %d", resp.StatusCode)
		}
		resp := e.do(t, request{method: "POST", path: "/v1/reviews", token: e.tokens[warden.RoleAdmin], body: map[string]any{"due": "soon"}})
		if p := resp.problem(t); resp.StatusCode != http.StatusBadRequest || p.Field != "due" {
			t.Fatalf("bad due: status %d, %+v", resp.StatusCode, p)
		}
		var c warden.ReviewCampaign
		e.admin(t, "POST", "/v1/reviews", map[string]any{"name": "Q2 recertification", "tier": "all", "due": "14d", "grace": "7d"}, http.StatusCreated, &c)
		if c.Progress.Total != 2 || c.Progress.Pending != 2 || c.Status != warden.CampaignOpen {
			t.Fatalf("campaign = %+v", c)
		}
		// Everything due is under review now: a second start is a conflict.
		e.admin(t, "POST", "/v1/reviews", nil, http.StatusConflict, nil)

		var list listResponse[*warden.ReviewCampaign]
		resp = e.do(t, request{method: "GET", path: "/v1/reviews?status=open", token: e.tokens[warden.RoleAuditor]})
		resp.decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != c.ID {
			t.Fatalf("list = %+v", list)
		}
		var items listResponse[*warden.ReviewItem]
		resp = e.do(t, request{method: "GET", path: "/v1/reviews/" + c.ID + "/items?owner=team-payments", token: e.tokens[warden.RoleAuditor]})
		resp.decode(t, &items)
		if len(items.Items) != 1 || items.Items[0].IdentityID != ledger.ID || items.Items[0].Status != warden.ItemPending {
			t.Fatalf("items of team-payments = %+v", items)
		}
		item := items.Items[0]

		// Answering needs review:answer: an auditor gets 403.
		if resp := e.do(t, request{method: "POST", path: "/v1/reviews/items/" + item.ID + "/answer", token: e.tokens[warden.RoleAuditor], body: map[string]any{"answer": "keep"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("auditor answer: status %d", resp.StatusCode)
		}
		for _, bad := range []map[string]any{{"answer": "maybe"}, {"answer": "remove"}, {"answer": "keep", "extra": 1}} {
			resp := e.do(t, request{method: "POST", path: "/v1/reviews/items/" + item.ID + "/answer", token: e.tokens[warden.RoleApprover], body: bad})
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("answer %v: status %d; body %s", bad, resp.StatusCode, resp.body)
			}
		}
		var answered warden.ReviewItem
		resp = e.do(t, request{method: "POST", path: "/v1/reviews/items/" + item.ID + "/answer", token: e.tokens[warden.RoleApprover],
			body: map[string]any{"answer": "keep", "comment": "posts the ledger nightly"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("answer: status %d; body %s", resp.StatusCode, resp.body)
		}
		resp.decode(t, &answered)
		if answered.Status != warden.ItemAnswered || answered.Answer != warden.AnswerKeep || answered.NextReviewAt == nil {
			t.Fatalf("answered = %+v", answered)
		}
		resp = e.do(t, request{method: "POST", path: "/v1/reviews/items/" + item.ID + "/answer", token: e.tokens[warden.RoleApprover], body: map[string]any{"answer": "reduce"}})
		if p := resp.problem(t); resp.StatusCode != http.StatusConflict || p.Code != warden.ECONFLICT {
			t.Fatalf("second answer: status %d, %+v", resp.StatusCode, p)
		}
		var got warden.ReviewCampaign
		e.admin(t, "GET", "/v1/reviews/"+c.ID, nil, http.StatusOK, &got)
		if got.Progress.Answered != 1 || got.Progress.Pending != 1 || got.Progress.CompletionRate != 0.5 {
			t.Fatalf("progress = %+v", got.Progress)
		}
		var id warden.Identity
		e.admin(t, "GET", "/v1/identities/"+ledger.ID, nil, http.StatusOK, &id)
		if id.NextReviewAt == nil || !id.NextReviewAt.Equal(*answered.NextReviewAt) || id.Status != warden.StatusActive {
			t.Fatalf("identity after keep = %+v", id)
		}
		e.admin(t, "GET", "/v1/reviews/nope", nil, http.StatusNotFound, nil)
		e.admin(t, "GET", "/v1/reviews/nope/items", nil, http.StatusNotFound, nil)
		e.admin(t, "GET", "/v1/reviews/"+c.ID+"/items?status=bogus", nil, http.StatusBadRequest, nil)
		e.admin(t, "GET", "/v1/reviews/"+c.ID+"/items?color=red", nil, http.StatusBadRequest, nil)
		e.admin(t, "POST", "/v1/reviews/items/nope/answer", map[string]any{"answer": "keep"}, http.StatusNotFound, nil)
	})
}
