package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
)

// TestIssuerHTTP_EndToEnd runs the real server on loopback over SQLite and
// PostgreSQL: a workload attests with a join token and gets an X.509-SVID,
// then with it a JWT-SVID, which go-oidc verifies through discovery alone;
// the workload exchanges it (RFC 8693) for a narrower token, introspects
// it, revokes it (RFC 7009) and finds it inactive.
func TestIssuerHTTP_EndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		w := e.workload(t, "billing")
		e.fetchX509(t, w, e.joinToken(t, w))

		resp := e.do(t, request{method: "POST", path: "/v1/svid/jwt", token: e.assertion(t, w, "/v1/svid/jwt"),
			body: map[string]any{"audience": []string{"https://api.example.org", "https://payments.example.org"}}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("JWT-SVID: status %d; body %s", resp.StatusCode, resp.body)
		}
		var svid jwtSVIDResponse
		resp.decode(t, &svid)

		ctx := oidc.ClientContext(context.Background(), e.http.Client())
		provider, err := oidc.NewProvider(ctx, e.issuer.IssuerURL())
		if err != nil {
			t.Fatalf("go-oidc discovery: %v", err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: "https://api.example.org"}).Verify(ctx, svid.Token)
		if err != nil {
			t.Fatalf("go-oidc rejects the JWT-SVID: %v", err)
		}
		if idt.Subject != w.entry.SPIFFEID {
			t.Errorf("sub = %q, want %q", idt.Subject, w.entry.SPIFFEID)
		}

		exchange := func(scope string) *response {
			form := url.Values{"grant_type": {issuer.GrantTokenExchange}, "subject_token": {svid.Token},
				"subject_token_type": {issuer.TokenTypeJWT}, "audience": {"https://payments.example.org"}}
			if scope != "" {
				form.Set("scope", scope)
			}
			return e.oauth(t, w, "/v1/oauth2/token", form)
		}
		if resp := exchange("orders:write"); resp.StatusCode != http.StatusBadRequest || resp.oauthError(t).Error != "invalid_scope" {
			t.Fatalf("widening the scope: status %d, body %s; want 400 invalid_scope", resp.StatusCode, resp.body)
		}
		resp = exchange("")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("exchange: status %d; body %s", resp.StatusCode, resp.body)
		}
		var tok issuer.TokenResponse
		resp.decode(t, &tok)
		if tok.TokenType != "Bearer" || tok.IssuedTokenType != issuer.TokenTypeAccessToken || tok.ExpiresIn <= 0 {
			t.Fatalf("token response = %+v", tok)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("token response Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
		}

		introspect := func() issuer.Introspection {
			resp := e.oauth(t, w, "/v1/oauth2/introspect", url.Values{"token": {tok.AccessToken}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("introspect: status %d; body %s", resp.StatusCode, resp.body)
			}
			var out issuer.Introspection
			resp.decode(t, &out)
			return out
		}
		got := introspect()
		if !got.Active || got.Sub != w.entry.SPIFFEID || !slices.Equal(got.Aud, []string{"https://payments.example.org"}) || got.IdentityID != w.identity.ID {
			t.Fatalf("introspection of the exchanged token = %+v", got)
		}

		if resp := e.oauth(t, w, "/v1/oauth2/revoke", url.Values{"token": {tok.AccessToken}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: status %d; body %s", resp.StatusCode, resp.body)
		}
		if got := introspect(); got.Active || got.Sub != "" {
			t.Fatalf("after revocation: %+v, want only active=false", got)
		}
		var rec warden.IssuedCredential
		e.admin(t, "GET", "/v1/issuer/credentials/"+url.PathEscape(got.Jti), nil, http.StatusOK, &rec)
		if rec.RevokedAt == nil || rec.Kind != warden.IssuedAccessToken || len(rec.Actors) != 0 || rec.SPIFFEID != w.entry.SPIFFEID {
			t.Errorf("issued record = %+v, want a revoked access token of %s", rec, w.entry.SPIFFEID)
		}
	})
}
