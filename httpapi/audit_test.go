package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestAudit_AttributesChangesToTheToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		var tok tokenCreated
		e.admin(t, "POST", "/v1/tokens", `{"name":"ops-bot","role":"operator"}`, http.StatusCreated, &tok)
		operator := func(method, path, body string, want int, out any) {
			t.Helper()
			resp := e.do(t, request{method: method, path: path, token: tok.Secret, body: body})
			if resp.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, want, resp.body)
			}
			if out != nil {
				resp.decode(t, out)
			}
		}
		var id warden.Identity
		operator("POST", "/v1/identities", `{"kind":"workload","provider":"warden","external_id":"spiffe://acme.org/ns/pay/sa/api","name":"pay-api"}`, http.StatusCreated, &id)
		operator("PATCH", "/v1/identities/"+id.ID, `{"owner":"team-pay"}`, http.StatusOK, nil)
		operator("POST", "/v1/identities/"+id.ID+"/deprovision", `{"reason":"moved"}`, http.StatusOK, nil)

		actor := warden.Actor{Type: "token", ID: tok.Token.ID, Name: "ops-bot"}.String()
		var page listResponse[*warden.AuditRecord]
		resp := e.do(t, request{method: "GET", path: "/v1/audit?actor=" + url.QueryEscape(actor), token: e.tokens[warden.RoleAuditor]})
		resp.decode(t, &page)
		var actions []string
		for _, r := range page.Items {
			if r.Actor != actor {
				t.Errorf("record %d: actor %q, want %q", r.Seq, r.Actor, actor)
			}
			if r.TargetType == "identity" && r.TargetID != id.ID {
				t.Errorf("record %d: target %s, want %s", r.Seq, r.TargetID, id.ID)
			}
			actions = append(actions, r.Action)
		}
		want := []string{"identity.create", "identity.update", "identity.deprovision"}
		if fmt.Sprint(actions) != fmt.Sprint(want) {
			t.Errorf("actions by %s = %v, want %v", actor, actions, want)
		}

		t.Run("FilterByTargetAndPage", func(t *testing.T) {
			var page listResponse[*warden.AuditRecord]
			path := "/v1/audit?target_type=identity&target_id=" + id.ID + "&limit=2"
			resp := e.do(t, request{method: "GET", path: path, token: e.tokens[warden.RoleAuditor]})
			resp.decode(t, &page)
			if len(page.Items) != 2 || page.NextCursor == "" {
				t.Fatalf("first page: %d items, cursor %q", len(page.Items), page.NextCursor)
			}
			resp = e.do(t, request{method: "GET", path: path + "&cursor=" + url.QueryEscape(page.NextCursor), token: e.tokens[warden.RoleAuditor]})
			resp.decode(t, &page)
			if len(page.Items) != 1 || page.Items[0].Action != "identity.deprovision" || page.NextCursor != "" {
				t.Errorf("second page: %+v, cursor %q", page.Items, page.NextCursor)
			}
		})

		t.Run("NewestFirst", func(t *testing.T) {
			var page listResponse[*warden.AuditRecord]
			path := "/v1/audit?order=newest&target_type=identity&target_id=" + id.ID
			e.do(t, request{method: "GET", path: path, token: e.tokens[warden.RoleAuditor]}).decode(t, &page)
			var got []string
			for _, r := range page.Items {
				got = append(got, r.Action)
			}
			if want := "[identity.deprovision identity.update identity.create]"; fmt.Sprint(got) != want {
				t.Errorf("newest first: %v, want %s", got, want)
			}
			resp := e.do(t, request{method: "GET", path: "/v1/audit?order=sideways", token: e.tokens[warden.RoleAuditor]})
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(resp.body), "order") {
				t.Errorf("order=sideways: status %d, body %s", resp.StatusCode, resp.body)
			}
		})

		t.Run("Verify", func(t *testing.T) {
			var v warden.AuditVerification
			e.do(t, request{method: "GET", path: "/v1/audit/verify", token: e.tokens[warden.RoleAuditor]}).decode(t, &v)
			if !v.OK || v.Records < 4 || v.HeadHash == "" {
				t.Errorf("verification = %+v", v)
			}
		})
	})
}
