package issuer

import (
	"errors"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// ccToken gets a client_credentials access token for the caller.
func ccToken(t *testing.T, e *testEnv, c *Caller, scope string) string {
	t.Helper()
	resp, err := e.is.Token(e.ctx, c, TokenRequest{GrantType: GrantClientCredentials, Scope: scope, Audience: []string{"https://api.example.org"}})
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	return resp.AccessToken
}

func wantOAuth(t *testing.T, err error, code string) {
	t.Helper()
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != code {
		t.Fatalf("error %v, want OAuth %s", err, code)
	}
}

func TestExchange_RFC8693Rules(t *testing.T) {
	e := newEnv(t)
	workload := e.workload(t, "billing")
	agent := e.workload(t, "agent")
	subject := ccToken(t, e, workload, "orders:read orders:write")
	agentTok := ccToken(t, e, agent, "orders:read payments:refund")
	x := func(c *Caller, req TokenRequest) (*TokenResponse, error) {
		req.GrantType = GrantTokenExchange
		if req.SubjectTokenType == "" && req.SubjectToken != "" {
			req.SubjectTokenType = TokenTypeAccessToken
		}
		return e.is.Token(e.ctx, c, req)
	}
	t.Run("DownScopeOwnToken", func(t *testing.T) {
		resp, err := x(workload, TokenRequest{SubjectToken: subject, Scope: "orders:read", Audience: []string{"https://payments.example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.is.VerifyToken(e.ctx, resp.AccessToken, "https://payments.example.org")
		if err != nil || strings.Join(got.Scope, " ") != "orders:read" || resp.IssuedTokenType != TokenTypeAccessToken || len(got.Actors) != 0 {
			t.Fatalf("down-scoped token: %+v, %v", got, err)
		}
	})
	t.Run("ScopeWideningRefused", func(t *testing.T) {
		_, err := x(workload, TokenRequest{SubjectToken: subject, Scope: "orders:read payments:refund", Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_scope")
	})
	t.Run("AudienceBound", func(t *testing.T) {
		resp, err := x(workload, TokenRequest{SubjectToken: subject, Audience: []string{"https://payments.example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.is.VerifyToken(e.ctx, resp.AccessToken, "https://api.example.org"); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("token for payments accepted by api: %v", err)
		}
	})
	t.Run("AudienceNotAllowedIsInvalidTarget", func(t *testing.T) {
		_, err := x(workload, TokenRequest{SubjectToken: subject, Audience: []string{"https://evil.example.com"}})
		wantOAuth(t, err, "invalid_target")
		_, err = x(workload, TokenRequest{SubjectToken: subject, Resource: []string{"https://evil.example.com/x"}})
		wantOAuth(t, err, "invalid_target")
	})
	t.Run("DelegationNestsAct", func(t *testing.T) {
		resp, err := x(agent, TokenRequest{SubjectToken: subject, ActorToken: agentTok, ActorTokenType: TokenTypeAccessToken,
			Scope: "orders:read", Audience: []string{"https://api.example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.is.VerifyToken(e.ctx, resp.AccessToken, "https://api.example.org")
		if err != nil || got.Subject != workload.SPIFFEID || strings.Join(got.Actors, ",") != agent.SPIFFEID {
			t.Fatalf("delegated token: %+v, %v", got, err)
		}
		// A third party (another agent) acts on the delegated token: the
		// chain keeps the earlier actor nested under the new one.
		helper := e.workload(t, "helper")
		helperTok := ccToken(t, e, helper, "orders:read")
		resp2, err := x(helper, TokenRequest{SubjectToken: resp.AccessToken, ActorToken: helperTok, ActorTokenType: TokenTypeJWT,
			Audience: []string{"https://api.example.org"}, RequestedTokenType: TokenTypeJWT})
		if err != nil {
			t.Fatal(err)
		}
		got2, err := e.is.Introspect(e.ctx, resp2.AccessToken)
		if err != nil || !got2.Active || got2.Act == nil || got2.Act.Subject != helper.SPIFFEID || got2.Act.Act == nil ||
			got2.Act.Act.Subject != agent.SPIFFEID || got2.Sub != workload.SPIFFEID || resp2.IssuedTokenType != TokenTypeJWT {
			t.Fatalf("nested act: %+v, %v", got2, err)
		}
		if got2.Scope != "orders:read" {
			t.Errorf("scope %q, want it to stay within subject and actor", got2.Scope)
		}
	})
	t.Run("DelegationScopeWithinActorToo", func(t *testing.T) {
		_, err := x(agent, TokenRequest{SubjectToken: subject, ActorToken: agentTok, ActorTokenType: TokenTypeAccessToken,
			Scope: "orders:write", Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_scope")
	})
	t.Run("OthersTokenWithoutActorRefused", func(t *testing.T) {
		_, err := x(agent, TokenRequest{SubjectToken: subject, Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_request")
	})
	t.Run("ActorTokenMustBeTheClients", func(t *testing.T) {
		_, err := x(workload, TokenRequest{SubjectToken: subject, ActorToken: agentTok, ActorTokenType: TokenTypeAccessToken, Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_request")
	})
	for name, req := range map[string]TokenRequest{
		"MissingSubjectToken":     {Audience: []string{"https://api.example.org"}},
		"MissingSubjectTokenType": {SubjectToken: subject, SubjectTokenType: "", Audience: []string{"https://api.example.org"}},
		"UnknownSubjectTokenType": {SubjectToken: subject, SubjectTokenType: "urn:ietf:params:oauth:token-type:saml2", Audience: []string{"https://api.example.org"}},
		"InvalidSubjectToken":     {SubjectToken: "eyJhbGciOiJub25lIn0.e30.", Audience: []string{"https://api.example.org"}},
		"ActorTokenWithoutType":   {SubjectToken: subject, ActorToken: agentTok, Audience: []string{"https://api.example.org"}},
		"UnknownRequestedType":    {SubjectToken: subject, RequestedTokenType: "urn:x", Audience: []string{"https://api.example.org"}},
		"NoAudience":              {SubjectToken: subject},
	} {
		t.Run("InvalidRequest/"+name, func(t *testing.T) {
			if name == "MissingSubjectTokenType" {
				req.GrantType = GrantTokenExchange
				_, err := e.is.Token(e.ctx, workload, req)
				wantOAuth(t, err, "invalid_request")
				return
			}
			_, err := x(workload, req)
			wantOAuth(t, err, "invalid_request")
		})
	}
	t.Run("UnsupportedGrantType", func(t *testing.T) {
		_, err := e.is.Token(e.ctx, workload, TokenRequest{GrantType: "password"})
		wantOAuth(t, err, "unsupported_grant_type")
		_, err = e.is.Token(e.ctx, workload, TokenRequest{})
		wantOAuth(t, err, "invalid_request")
	})
	t.Run("RevokedSubjectToken", func(t *testing.T) {
		tok := ccToken(t, e, workload, "orders:read")
		claims, _ := e.is.VerifyToken(e.ctx, tok, "")
		if _, err := e.db.RevokeIssued(e.ctx, warden.Revocation{CredentialID: claims.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := x(workload, TokenRequest{SubjectToken: tok, Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_request")
	})
	t.Run("ClientCredentialsScopeAndAudience", func(t *testing.T) {
		_, err := e.is.Token(e.ctx, workload, TokenRequest{GrantType: GrantClientCredentials, Scope: "admin", Audience: []string{"https://api.example.org"}})
		wantOAuth(t, err, "invalid_scope")
		_, err = e.is.Token(e.ctx, workload, TokenRequest{GrantType: GrantClientCredentials, Audience: []string{"https://evil.example.com"}})
		wantOAuth(t, err, "invalid_target")
	})
}
