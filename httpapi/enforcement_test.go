package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// TestEnforcementHTTP_MonitorThenPromote: with the policy set in monitor
// mode for prod, a request it denies is answered allow with would_deny and
// the denying policy, and listed by GET /v1/decisions?would_deny=true;
// promoting prod to enforce (audited) makes the same request deny.
func TestEnforcementHTTP_MonitorThenPromote(t *testing.T) {
	e, _ := pdpEnv(t)
	var v warden.PolicyVersion
	e.admin(t, "POST", "/v1/policies", map[string]any{"schema": apiSchema, "policies": map[string]string{"main.cedar": `
@id("payments-read") permit (principal in Team::"team-payments", action, resource);
@id("no-writes") forbid (principal, action == Action::"write", resource);
`}}, http.StatusCreated, &v)
	e.admin(t, "POST", "/v1/policies/2/activate", nil, http.StatusOK, nil)
	write := `{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"write"},"resource":{"type":"Doc","id":"d1"}}`
	decide := func() policy.Decision {
		var d policy.Decision
		e.admin(t, "POST", "/v1/authorize", write, http.StatusOK, &d)
		return d
	}
	if d := decide(); d.Decision != "deny" || d.WouldDeny {
		t.Fatalf("before monitor mode: %+v", d)
	}
	var set warden.EnforcementSetting
	e.admin(t, "POST", "/v1/enforcement/settings", `{"control":"policy","scope":"environment:prod","mode":"monitor"}`, http.StatusOK, &set)
	if set.UpdatedBy == "" || set.Scope != "environment:prod" {
		t.Fatalf("setting = %+v", set)
	}
	d := decide()
	if d.Decision != "allow" || !d.WouldDeny || !slices.Equal(d.Policies, []string{"no-writes"}) {
		t.Fatalf("monitor mode: %+v", d)
	}
	var view enforcementView
	e.do(t, request{method: "GET", path: "/v1/enforcement", token: e.tokens[warden.RoleAuditor]}).decode(t, &view)
	if len(view.Controls) != len(warden.Controls) || len(view.Settings) != 1 || view.Settings[0].Mode != warden.ModeMonitor {
		t.Fatalf("enforcement view = %+v", view)
	}

	e.admin(t, "POST", "/v1/enforcement/settings", `{"control":"policy","scope":"environment:prod","mode":"enforce"}`, http.StatusOK, nil)
	if d := decide(); d.Decision != "deny" || d.WouldDeny || !slices.Equal(d.Policies, []string{"no-writes"}) {
		t.Fatalf("after promotion: %+v", d)
	}
	var audit struct {
		Items []warden.AuditRecord `json:"items"`
	}
	e.admin(t, "GET", "/v1/audit?target_type=enforcement_setting", nil, http.StatusOK, &audit)
	if len(audit.Items) != 2 {
		t.Fatalf("audit = %+v", audit.Items)
	}
	e.admin(t, "DELETE", "/v1/enforcement/settings/policy?scope=environment:prod", nil, http.StatusNoContent, nil)
	e.admin(t, "DELETE", "/v1/enforcement/settings/policy?scope=environment:prod", nil, http.StatusNotFound, nil)
}

func TestEnforcementHTTP_BadInputIsNamed(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/v1/enforcement/settings", `{"control":"policy","mode":"observe"}`, 400, "mode"},
		{"POST", "/v1/enforcement/settings", `{"control":"disable-all","mode":"enforce"}`, 400, "control"},
		{"POST", "/v1/enforcement/settings", `{"control":"policy","mode":"enforce","scope":"region:eu"}`, 400, "scope"},
		{"POST", "/v1/enforcement/settings", `{"control":"policy","mode":"enforce","extra":1}`, 400, ""},
		{"DELETE", "/v1/enforcement/settings/nope", "", 404, ""},
		{"GET", "/v1/enforcement/events?enforced=maybe", "", 400, "enforced"},
		{"GET", "/v1/enforcement/events?control=nope", "", 400, "control"},
		{"GET", "/v1/decisions?would_deny=perhaps", "", 400, "would_deny"},
	} {
		resp := e.do(t, request{method: tc.method, path: tc.path, token: e.tokens[warden.RoleAdmin], body: tc.body})
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.status, resp.body)
			continue
		}
		if tc.field != "" {
			if p := resp.problem(t); p.Field != tc.field {
				t.Errorf("%s %s: field %q, want %q (%s)", tc.method, tc.path, p.Field, tc.field, resp.body)
			}
		}
	}
}
