package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestJoinTokens_ListShowsStateNeverSecrets: an auditor lists an entry's
// join tokens newest first with their use; no secret or hash is in the
// answer; unknown entries are 404 and query parameters are refused.
func TestJoinTokens_ListShowsStateNeverSecrets(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "billing")
	first := e.joinToken(t, w)
	second := e.joinToken(t, w)
	e.fetchX509(t, w, first)

	resp := e.do(t, request{method: "GET", path: "/v1/issuer/entries/" + w.entry.ID + "/join-tokens", token: e.tokens[warden.RoleAuditor]})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d; body %s", resp.StatusCode, resp.body)
	}
	for _, secret := range []string{first, second, "secret"} {
		if strings.Contains(string(resp.body), secret) {
			t.Fatalf("the list shows %q: %s", secret, resp.body)
		}
	}
	var page struct {
		Items []warden.JoinToken `json:"items"`
	}
	resp.decode(t, &page)
	if len(page.Items) != 2 || page.Items[0].UsedAt != nil || page.Items[1].UsedAt == nil || page.Items[0].EntryID != w.entry.ID {
		t.Fatalf("join tokens = %+v, want the unused newest first, then the used one", page.Items)
	}
	e.admin(t, "GET", "/v1/issuer/entries/nope/join-tokens", nil, http.StatusNotFound, nil)
	e.admin(t, "GET", "/v1/issuer/entries/"+w.entry.ID+"/join-tokens?limit=5", nil, http.StatusBadRequest, nil)
}
