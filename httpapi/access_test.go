package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// accessWorkload registers a workload whose entry lets it hold tokens for
// warden itself (to call the access API) and for an object store.
func (e *testEnv) accessWorkload(t *testing.T, name string) (*testWorkload, string) {
	t.Helper()
	var id warden.Identity
	e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "workload", "provider": "warden", "external_id": "spiffe://" + testTrustDomain + "/" + name,
		"name": name, "owner": "team-billing", "environment": "staging"}, http.StatusCreated, &id)
	var entry warden.RegistrationEntry
	e.admin(t, "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": "spiffe://" + testTrustDomain + "/" + name, "identity_id": id.ID,
		"method": "join_token", "audiences": []string{e.http.URL, "https://s3.example.org"}}, http.StatusCreated, &entry)
	w := &testWorkload{identity: &id, entry: &entry}
	e.fetchX509(t, w, e.joinToken(t, w))
	resp := e.do(t, request{method: "POST", path: "/v1/svid/jwt", token: e.assertion(t, w, "/v1/svid/jwt"), body: map[string]any{"audience": []string{e.http.URL}}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWT-SVID: status %d; body %s", resp.StatusCode, resp.body)
	}
	var svid jwtSVIDResponse
	resp.decode(t, &svid)
	return w, svid.Token
}

func TestAccessHTTP_WorkloadGrantTokenHasExactlyTheGrantedScopeAndEndsWithTheGrant(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		w, svid := e.accessWorkload(t, "invoice-exporter")
		ctx := context.Background()

		// A read-only scope for an owned staging workload is granted at
		// once, and the token comes with the answer.
		readScope := map[string]any{"actions": []string{"s3:GetObject", "s3:ListBucket"}, "resources": []string{"S3Object::arn:aws:s3:::invoices/*"}}
		resp := e.do(t, request{method: "POST", path: "/v1/access/requests", token: svid, body: map[string]any{
			"scope": readScope, "duration": "20m", "reason": "export December invoices", "audience": []string{"https://s3.example.org"}}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("request: status %d; body %s", resp.StatusCode, resp.body)
		}
		var read accessCreated
		resp.decode(t, &read)
		if read.Status != warden.AccessApproved || read.RequesterKind != warden.RequesterWorkload || read.IdentityID != w.identity.ID || read.Token == nil {
			t.Fatalf("read request = %+v", read)
		}
		claims, err := e.issuer.VerifyToken(ctx, read.Token.AccessToken, "https://s3.example.org")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"action:s3:GetObject", "action:s3:ListBucket", "resource:S3Object::arn:aws:s3:::invoices/*"}
		if !slices.Equal(claims.Scope, want) || claims.IdentityID != w.identity.ID {
			t.Fatalf("token scope = %v, want exactly %v", claims.Scope, want)
		}
		if claims.ExpiresAt.After(*read.ExpiresAt) || read.ExpiresAt.Sub(claims.ExpiresAt) > time.Second {
			t.Fatalf("token expires %s, grant %s: must end with the grant, not after", claims.ExpiresAt, read.ExpiresAt)
		}

		// An audience the entry does not allow still stores the grant, and
		// says why no token came with it.
		resp = e.do(t, request{method: "POST", path: "/v1/access/requests", token: svid, body: map[string]any{
			"scope": readScope, "duration": "10m", "reason": "export December invoices", "audience": []string{"https://elsewhere.example.org"}}})
		var noToken accessCreated
		resp.decode(t, &noToken)
		if resp.StatusCode != http.StatusCreated || noToken.Status != warden.AccessApproved || noToken.Token != nil || !strings.Contains(noToken.TokenError, "elsewhere.example.org") {
			t.Fatalf("grant with a foreign audience: %d %+v", resp.StatusCode, noToken)
		}

		// A write scope waits for an approver; no token until then.
		writeScope := map[string]any{"actions": []string{"s3:PutObject"}, "resources": []string{"S3Object::arn:aws:s3:::invoices/2026-12/*"}}
		resp = e.do(t, request{method: "POST", path: "/v1/access/requests", token: svid, body: map[string]any{
			"scope": writeScope, "duration": "45m", "reason": "re-upload the corrected export", "audience": []string{"https://s3.example.org"}}})
		var pending accessCreated
		resp.decode(t, &pending)
		if resp.StatusCode != http.StatusCreated || pending.Status != warden.AccessPending || pending.Token != nil {
			t.Fatalf("write request: %d %+v", resp.StatusCode, pending)
		}
		tokenPath := "/v1/access/requests/" + pending.ID + "/token"
		if resp := e.do(t, request{method: "POST", path: tokenPath, token: svid, body: map[string]any{"audience": []string{"https://s3.example.org"}}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("token before approval: status %d; body %s", resp.StatusCode, resp.body)
		}
		var approved warden.AccessRequest
		e.do(t, request{method: "POST", path: "/v1/access/requests/" + pending.ID + "/approve", token: e.tokens[warden.RoleApprover], body: map[string]any{"comment": "ok"}}).decode(t, &approved)
		if approved.Status != warden.AccessApproved {
			t.Fatalf("approved = %+v", approved)
		}
		resp = e.do(t, request{method: "POST", path: tokenPath, token: svid, body: map[string]any{"audience": []string{"https://s3.example.org"}}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token: status %d; body %s", resp.StatusCode, resp.body)
		}
		var tok warden.GrantToken
		resp.decode(t, &tok)
		claims, err = e.issuer.VerifyToken(ctx, tok.AccessToken, "https://s3.example.org")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"action:s3:PutObject", "resource:S3Object::arn:aws:s3:::invoices/2026-12/*"}; !slices.Equal(claims.Scope, want) {
			t.Fatalf("token scope = %v, want exactly %v", claims.Scope, want)
		}
		if claims.ExpiresAt.After(*approved.ExpiresAt) {
			t.Fatalf("token expires %s after its grant %s", claims.ExpiresAt, approved.ExpiresAt)
		}
		// An audience the entry does not allow is refused.
		if resp := e.do(t, request{method: "POST", path: tokenPath, token: svid, body: map[string]any{"audience": []string{"https://elsewhere.example.org"}}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("foreign audience: status %d", resp.StatusCode)
		}
		// API tokens cannot take a workload's grant token.
		if resp := e.do(t, request{method: "POST", path: tokenPath, token: e.tokens[warden.RoleAdmin], body: map[string]any{"audience": []string{"https://s3.example.org"}}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("admin token on the token route: status %d", resp.StatusCode)
		}

		// Revoking the grant revokes its token at once.
		var revoked warden.AccessRequest
		e.do(t, request{method: "POST", path: "/v1/access/requests/" + pending.ID + "/revoke", token: e.tokens[warden.RoleApprover], body: map[string]any{"reason": "upload done"}}).decode(t, &revoked)
		if revoked.Status != warden.AccessRevoked || len(revoked.Tokens) != 1 || revoked.Tokens[0] != tok.ID {
			t.Fatalf("revoked = %+v", revoked)
		}
		if _, err := e.issuer.VerifyToken(ctx, tok.AccessToken, "https://s3.example.org"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("revoked grant's token still verifies: %v", err)
		}
		// The workload reads its own requests, not the list of everyone's.
		if resp := e.do(t, request{method: "GET", path: "/v1/access/requests/" + pending.ID, token: svid}); resp.StatusCode != http.StatusOK {
			t.Fatalf("own request: status %d", resp.StatusCode)
		}
		if resp := e.do(t, request{method: "GET", path: "/v1/access/requests", token: svid}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("workload listing all requests: status %d, want 401", resp.StatusCode)
		}
	})
}

func TestAccessHTTP_SelfApprovalAndBreakGlass(t *testing.T) {
	e := newTestEnv(t)
	var id warden.Identity
	e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "service_account", "provider": "kubernetes", "external_id": "system:serviceaccount:payments:ledger",
		"name": "ledger", "owner": "team-payments", "environment": "prod"}, http.StatusCreated, &id)
	approver := e.tokens[warden.RoleApprover]
	scope := map[string]any{"actions": []string{"update"}, "resources": []string{"Deployment::payments/ledger"}}
	resp := e.do(t, request{method: "POST", path: "/v1/access/requests", token: approver, body: map[string]any{"identity": id.ExternalID, "scope": scope, "duration": "1h", "reason": "roll back ledger"}})
	var r accessCreated
	resp.decode(t, &r)
	if resp.StatusCode != http.StatusCreated || r.Status != warden.AccessPending {
		t.Fatalf("request: %d %+v", resp.StatusCode, r)
	}
	resp = e.do(t, request{method: "POST", path: "/v1/access/requests/" + r.ID + "/approve", token: approver, body: map[string]any{}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("self-approval: status %d; body %s", resp.StatusCode, resp.body)
	}

	// Break-glass: the second factor is a separate token with role breakglass.
	_, glass, err := e.db.CreateToken(context.Background(), "oncall-glass", warden.RoleBreakGlass)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"identity": id.ID, "scope": scope, "duration": "30m", "reason": "INC-7: ledger stuck in a crash loop, rolling back by hand"}
	for name, tc := range map[string]struct {
		header string
		want   int
	}{
		"Missing":       {"", http.StatusBadRequest},
		"NotBreakGlass": {e.tokens[warden.RoleOperator], http.StatusUnauthorized},
		"Garbage":       {"wdn_nope", http.StatusUnauthorized},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set(breakGlassHeader, tc.header)
		}
		if resp := e.do(t, request{method: "POST", path: "/v1/access/breakglass", token: e.tokens[warden.RoleOperator], header: h, body: body}); resp.StatusCode != tc.want {
			t.Errorf("%s second factor: status %d, want %d; body %s", name, resp.StatusCode, tc.want, resp.body)
		}
	}
	h := http.Header{}
	h.Set(breakGlassHeader, glass)
	resp = e.do(t, request{method: "POST", path: "/v1/access/breakglass", token: e.tokens[warden.RoleOperator], header: h, body: body})
	var bg warden.AccessRequest
	resp.decode(t, &bg)
	if resp.StatusCode != http.StatusCreated || bg.Status != warden.AccessApproved || !bg.BreakGlass || bg.Review == nil || bg.Review.Status != "pending" {
		t.Fatalf("break-glass: %d %+v", resp.StatusCode, bg)
	}
	var page struct {
		Items []warden.AccessRequest `json:"items"`
	}
	e.admin(t, "GET", "/v1/access/requests?needs_review=true", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ID != bg.ID {
		t.Fatalf("review tasks = %+v", page.Items)
	}
	dets, _, err := e.db.FindDetections(context.Background(), warden.DetectionFilter{Detector: "break-glass"})
	if err != nil || len(dets) != 1 || dets[0].IdentityID != id.ID || dets[0].Severity != warden.SeverityHigh {
		t.Fatalf("break-glass detections = %+v, %v", dets, err)
	}
	// The break-glass token is nothing on its own.
	if resp := e.do(t, request{method: "GET", path: "/v1/identities", token: glass}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("break-glass token alone: status %d, want 403", resp.StatusCode)
	}
}
