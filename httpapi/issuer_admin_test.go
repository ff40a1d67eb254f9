package httpapi

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestIssuerEntries_CreateGetListDelete(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "orders")
	var got warden.RegistrationEntry
	e.admin(t, "GET", "/v1/issuer/entries/"+w.entry.ID, nil, http.StatusOK, &got)
	if got.SPIFFEID != "spiffe://example.org/orders" || got.CreatedBy == "" || len(got.Scopes) != 3 {
		t.Errorf("entry = %+v", got)
	}
	var list listResponse[*warden.RegistrationEntry]
	e.admin(t, "GET", "/v1/issuer/entries?method=join_token", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != w.entry.ID {
		t.Errorf("list = %+v", list.Items)
	}
	e.admin(t, "GET", "/v1/issuer/entries?method=oidc", nil, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("oidc entries = %+v, want none", list.Items)
	}
	e.fetchX509(t, w, e.joinToken(t, w))
	e.admin(t, "DELETE", "/v1/issuer/entries/"+w.entry.ID, nil, http.StatusNoContent, nil)
	e.admin(t, "GET", "/v1/issuer/entries/"+w.entry.ID, nil, http.StatusNotFound, nil)
	var page listResponse[*warden.IssuedCredential]
	e.admin(t, "GET", "/v1/issuer/credentials?entry_id="+w.entry.ID, nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].RevokedAt == nil {
		t.Errorf("credentials of the deleted entry = %+v, want one, revoked", page.Items)
	}
	var audit listResponse[*warden.AuditRecord]
	e.admin(t, "GET", "/v1/audit?action=issuer.entry.delete", nil, http.StatusOK, &audit)
	if len(audit.Items) != 1 {
		t.Errorf("audit records of the deletion = %d, want 1", len(audit.Items))
	}
}

func TestIssuerAdmin_BadInputNamesTheField(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "bad")
	spiffe := "spiffe://example.org/bad2"
	for _, tc := range []struct {
		name      string
		method    string
		path      string
		body      any
		wantCode  int
		wantField string
	}{
		{"OtherTrustDomain", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": "spiffe://evil.org/x", "identity_id": w.identity.ID, "method": "join_token"}, 400, "spiffe_id"},
		{"DotDotPath", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": "spiffe://example.org/a/../b", "identity_id": w.identity.ID, "method": "join_token"}, 400, "spiffe_id"},
		{"UnknownIdentity", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": "nope", "method": "join_token"}, 400, "identity_id"},
		{"UnknownMethod", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": w.identity.ID, "method": "magic"}, 400, "method"},
		{"OIDCWithoutSelectors", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": w.identity.ID, "method": "oidc", "oidc_issuer": "https://token.actions.githubusercontent.com"}, 400, "selectors"},
		{"TTLTooLong", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": w.identity.ID, "method": "join_token", "x509_ttl": "48h"}, 400, "x509_ttl"},
		{"BadTTLText", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": w.identity.ID, "method": "join_token", "jwt_ttl": "soon"}, 400, "jwt_ttl"},
		{"UnknownMember", "POST", "/v1/issuer/entries", map[string]any{"spiffe_id": spiffe, "identity_id": w.identity.ID, "method": "join_token", "admin": true}, 400, "admin"},
		{"JoinTokenTTLTooLong", "POST", "/v1/issuer/entries/" + w.entry.ID + "/join-tokens", map[string]any{"ttl": "400h"}, 400, "ttl"},
		{"JoinTokenUnknownEntry", "POST", "/v1/issuer/entries/nope/join-tokens", map[string]any{}, 404, ""},
		{"RevokeNoTarget", "POST", "/v1/issuer/revocations", map[string]any{"reason": "x"}, 400, "credential_id"},
		{"RevokeTwoTargets", "POST", "/v1/issuer/revocations", map[string]any{"identity_id": "a", "entry_id": "b"}, 400, "credential_id"},
		{"RevokeUnknownCredential", "POST", "/v1/issuer/revocations", map[string]any{"credential_id": "nope"}, 404, ""},
		{"ListBadKind", "GET", "/v1/issuer/credentials?kind=password", nil, 400, "kind"},
		{"ListBadLimit", "GET", "/v1/issuer/credentials?limit=0", nil, 400, "limit"},
		{"ListUnknownParam", "GET", "/v1/issuer/entries?owner=x", nil, 400, "owner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: tc.method, path: tc.path, token: e.tokens[warden.RoleAdmin], body: tc.body})
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantCode, resp.body)
			}
			if p := resp.problem(t); p.Field != tc.wantField {
				t.Errorf("field = %q, want %q (detail %q)", p.Field, tc.wantField, p.Detail)
			}
		})
	}
}

func TestSVID_BadInputIs4xx(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "svidbad")
	e.fetchX509(t, w, e.joinToken(t, w))
	_, csr := csrPEM(t)
	for _, tc := range []struct {
		name      string
		path      string
		body      any
		wantField string
	}{
		{"NoCSR", "/v1/svid/x509", map[string]any{}, "csr"},
		{"GarbageCSR", "/v1/svid/x509", map[string]any{"csr": "not a csr"}, "csr"},
		{"CertificateNotCSR", "/v1/svid/x509", map[string]any{"csr": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "csr"},
		{"NegativeTTL", "/v1/svid/x509", map[string]any{"csr": csr, "ttl": "-5m"}, "ttl"},
		{"AudienceNotAllowed", "/v1/svid/jwt", map[string]any{"audience": []string{"https://evil.example.com"}}, "audience"},
		{"NoAudience", "/v1/svid/jwt", map[string]any{}, "audience"},
		{"UnknownMember", "/v1/svid/jwt", map[string]any{"audience": []string{"https://api.example.org"}, "sub": "spiffe://example.org/admin"}, "sub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: "POST", path: tc.path, token: e.assertion(t, w, tc.path), body: tc.body})
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", resp.StatusCode, resp.body)
			}
			if p := resp.problem(t); p.Field != tc.wantField {
				t.Errorf("field = %q, want %q (detail %q)", p.Field, tc.wantField, p.Detail)
			}
		})
	}
}

// TestIssuerHTTP_QuarantinedIdentityGetsNothing: once quarantined, a
// workload can neither renew its SVID nor obtain a token, and its live
// tokens are inactive at introspection.
func TestIssuerHTTP_QuarantinedIdentityGetsNothing(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "suspect")
	e.fetchX509(t, w, e.joinToken(t, w))
	resp := e.oauth(t, w, "/v1/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials: status %d; body %s", resp.StatusCode, resp.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	resp.decode(t, &tok)
	other := e.workload(t, "checker")
	e.fetchX509(t, other, e.joinToken(t, other))

	e.admin(t, "PATCH", "/v1/identities/"+w.identity.ID, map[string]any{"status": "quarantined"}, http.StatusOK, nil)

	_, csr := csrPEM(t)
	resp = e.do(t, request{method: "POST", path: "/v1/svid/x509", token: e.assertion(t, w, "/v1/svid/x509"), body: map[string]any{"csr": csr}})
	if resp.StatusCode != http.StatusForbidden || resp.problem(t).Code != warden.EFORBIDDEN {
		t.Fatalf("renewal while quarantined: status %d; body %s", resp.StatusCode, resp.body)
	}
	resp = e.oauth(t, w, "/v1/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"}})
	if resp.StatusCode != http.StatusBadRequest || resp.oauthError(t).Error != "unauthorized_client" {
		t.Fatalf("token while quarantined: status %d; body %s", resp.StatusCode, resp.body)
	}
	resp = e.oauth(t, other, "/v1/oauth2/introspect", url.Values{"token": {tok.AccessToken}})
	var in struct {
		Active bool `json:"active"`
	}
	resp.decode(t, &in)
	if in.Active {
		t.Error("a quarantined identity's token is still active at introspection")
	}
}

// TestIssuerHTTP_AdminRevocationIsImmediate revokes by identity through
// the admin API and finds the token inactive on the next introspection.
func TestIssuerHTTP_AdminRevocationIsImmediate(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "leaky")
	e.fetchX509(t, w, e.joinToken(t, w))
	resp := e.oauth(t, w, "/v1/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"}, "scope": {"orders:read"}})
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	resp.decode(t, &tok)
	if tok.Scope != "orders:read" {
		t.Fatalf("scope = %q", tok.Scope)
	}
	var out struct {
		Revoked int `json:"revoked"`
	}
	e.admin(t, "POST", "/v1/issuer/revocations", map[string]any{"identity_id": w.identity.ID, "reason": "key leaked"}, http.StatusOK, &out)
	if out.Revoked != 2 { // the X.509-SVID and the access token
		t.Errorf("revoked %d, want 2", out.Revoked)
	}
	resp = e.oauth(t, w, "/v1/oauth2/introspect", url.Values{"token": {tok.AccessToken}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked SVID still authenticates: status %d; body %s", resp.StatusCode, resp.body)
	}
	other := e.workload(t, "checker")
	e.fetchX509(t, other, e.joinToken(t, other))
	resp = e.oauth(t, other, "/v1/oauth2/introspect", url.Values{"token": {tok.AccessToken}})
	var in struct {
		Active bool `json:"active"`
	}
	resp.decode(t, &in)
	if in.Active {
		t.Error("a token revoked by identity is still active at introspection")
	}
}
