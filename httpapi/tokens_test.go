package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestTokens_CreateListRevoke(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		var created tokenCreated
		e.admin(t, "POST", "/v1/tokens", `{"name":"ci-bot","role":"operator"}`, http.StatusCreated, &created)
		if created.Secret == "" || created.Token == nil || created.Token.Role != warden.RoleOperator || created.Token.Name != "ci-bot" {
			t.Fatalf("created %+v", created)
		}
		if !strings.HasPrefix(created.Secret, created.Token.Prefix) {
			t.Errorf("prefix %q does not start the secret", created.Token.Prefix)
		}

		// The new token works and carries its role.
		var me whoami
		e.do(t, request{method: "GET", path: "/v1/whoami", token: created.Secret}).decode(t, &me)
		if me.ID != created.Token.ID || me.Role != warden.RoleOperator {
			t.Errorf("whoami = %+v", me)
		}
		if resp := e.do(t, request{method: "GET", path: "/v1/tokens", token: created.Secret}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator listing tokens: status %d, want 403", resp.StatusCode)
		}

		var list struct {
			Items []*warden.APIToken `json:"items"`
		}
		resp := e.admin(t, "GET", "/v1/tokens", nil, http.StatusOK, &list)
		if strings.Contains(string(resp.body), created.Secret) {
			t.Fatal("token list shows a secret")
		}
		found := false
		for _, tok := range list.Items {
			found = found || tok.ID == created.Token.ID
		}
		if !found || len(list.Items) != len(warden.Roles)+2 {
			t.Errorf("list has %d tokens (found new one: %v)", len(list.Items), found)
		}

		var revoked warden.APIToken
		e.admin(t, "DELETE", "/v1/tokens/"+created.Token.ID, nil, http.StatusOK, &revoked)
		if revoked.RevokedAt == nil {
			t.Errorf("revoked_at not set: %+v", revoked)
		}
		if resp := e.do(t, request{method: "GET", path: "/v1/whoami", token: created.Secret}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token: status %d, want 401", resp.StatusCode)
		}
		// Revoking twice is harmless.
		e.admin(t, "DELETE", "/v1/tokens/"+created.Token.ID, nil, http.StatusOK, nil)
	})
}
