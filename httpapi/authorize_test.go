package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

const apiSchema = `entity Doc;
action read, write appliesTo { principal: [Identity], resource: [Doc, Route], context: { source_ip?: String, method?: String, path?: String, host?: String } };
entity Route;
action "GET", "POST" appliesTo { principal: [Identity], resource: [Route], context: { source_ip?: String, method?: String, path?: String, host?: String } };
`

// pdpEnv is a test server with one identity and an active policy version.
func pdpEnv(t *testing.T) (*testEnv, *warden.Identity) {
	e := newTestEnv(t)
	i := &warden.Identity{}
	e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "workload", "provider": "warden", "external_id": "spiffe://example.org/payments",
		"name": "payments", "owner": "team-payments", "environment": "prod"}, http.StatusCreated, i)
	var v warden.PolicyVersion
	e.admin(t, "POST", "/v1/policies", map[string]any{"schema": apiSchema, "policies": map[string]string{"main.cedar": `
@id("payments-read") permit (principal in Team::"team-payments", action == Action::"read", resource);
@id("payments-api") permit (principal in Team::"team-payments", action == Action::"GET", resource == Route::"/api/payments");
`}}, http.StatusCreated, &v)
	e.admin(t, "POST", "/v1/policies/1/activate", nil, http.StatusOK, nil)
	return e, i
}

func TestAuthorize_DecidesOverHTTP(t *testing.T) {
	e, i := pdpEnv(t)
	operator := e.tokens[warden.RoleOperator]
	for _, tc := range []struct {
		name     string
		body     string
		decision string
		policies []string
	}{
		{"AllowByExternalID", `{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d1"}}`, "allow", []string{"payments-read"}},
		{"AllowByID", `{"principal":{"type":"Identity","id":"` + i.ID + `"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d1"},"context":{"source_ip":"10.0.0.1"}}`, "allow", []string{"payments-read"}},
		{"DefaultDeny", `{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"write"},"resource":{"type":"Doc","id":"d1"}}`, "deny", []string{}},
		{"UnknownIdentity", `{"principal":{"type":"Identity","id":"spiffe://example.org/ghost"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d1"}}`, "deny", []string{"guardrail.unknown-identity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: "POST", path: "/v1/authorize", token: operator, body: tc.body})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.body)
			}
			var d policy.Decision
			resp.decode(t, &d)
			if d.Decision != tc.decision || !slices.Equal(d.Policies, tc.policies) || d.ID == "" || d.PolicyVersion != 1 {
				t.Fatalf("decision %+v", d)
			}
		})
	}
}

func TestAuthorize_BatchAnswersEachRequest(t *testing.T) {
	e, _ := pdpEnv(t)
	var out struct {
		Decisions []struct {
			Decision string   `json:"decision"`
			Policies []string `json:"policies"`
			Error    *Problem `json:"error"`
		} `json:"decisions"`
	}
	e.admin(t, "POST", "/v1/authorize/batch", `{"requests":[
		{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"read"},"resource":{"type":"Doc","id":"a"}},
		{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"write"},"resource":{"type":"Doc","id":"a"}},
		{"action":{"id":"read"},"resource":{"type":"Doc","id":"a"}}
	]}`, http.StatusOK, &out)
	if len(out.Decisions) != 3 || out.Decisions[0].Decision != "allow" || out.Decisions[1].Decision != "deny" ||
		out.Decisions[2].Error == nil || out.Decisions[2].Error.Field != "principal" {
		t.Fatalf("%+v", out)
	}
}

func TestAuthorize_BadInputNamesTheField(t *testing.T) {
	e, _ := pdpEnv(t)
	tok := e.tokens[warden.RoleOperator]
	for _, tc := range []struct {
		name, path, body, field string
		status                  int
	}{
		{"UnknownMember", "/v1/authorize", `{"principal":{"type":"Identity","id":"x"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d"},"colour":1}`, "colour", 400},
		{"UnknownNestedMember", "/v1/authorize", `{"principal":{"type":"Identity","id":"x","kind":"y"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d"}}`, "principal.kind", 400},
		{"WrongType", "/v1/authorize", `{"principal":{"type":"Identity","id":7},"action":{"id":"read"},"resource":{"type":"Doc","id":"d"}}`, "principal.id", 400},
		{"MissingResource", "/v1/authorize", `{"principal":{"type":"Identity","id":"x"},"action":{"id":"read"}}`, "resource.type", 400},
		{"Malformed", "/v1/authorize", `{"principal":`, "", 400},
		{"EmptyBatch", "/v1/authorize/batch", `{"requests":[]}`, "requests", 400},
		{"BatchNamesTheRequest", "/v1/authorize/batch", `{"requests":[{"action":{"id":"a"},"resource":{"type":"D","id":"d"}},{"action":{"id":"a","colour":1}}]}`, "requests[1].action.colour", 400},
		{"BatchUnknownMember", "/v1/authorize/batch", `{"requests":[],"Requests":[]}`, "Requests", 400},
		{"BatchTooBig", "/v1/authorize/batch", `{"requests":[` + strings.TrimSuffix(strings.Repeat(`{"action":{"id":"a"},"resource":{"type":"D","id":"d"}},`, 101), ",") + `]}`, "requests", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: "POST", path: tc.path, token: tok, body: tc.body})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.body)
			}
			if p := resp.problem(t); p.Field != tc.field {
				t.Fatalf("field %q, want %q (%s)", p.Field, tc.field, p.Detail)
			}
		})
	}
}

// TestPolicies_InvalidVersionRejectedWithPositions: nothing is stored or
// activated when a version has errors, and each error has its position.
func TestPolicies_InvalidVersionRejectedWithPositions(t *testing.T) {
	e, _ := pdpEnv(t)
	bad := map[string]any{"schema": apiSchema, "policies": map[string]string{
		"a.cedar": "permit (principal, action, resource);\npermit (principal is Identity, action == Action::\"read\", resource is Doc)\n  when { resource.colour == \"red\" };",
		"b.cedar": "forbid (principal, action, resource) when { 1 + };",
	}}
	resp := e.do(t, request{method: "POST", path: "/v1/policies", token: e.tokens[warden.RoleAdmin], body: bad})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.body)
	}
	p := resp.problem(t)
	if p.Field != "policies" || !strings.Contains(p.Detail, "a.cedar:2:1:") || !strings.Contains(p.Detail, "b.cedar:1:") {
		t.Fatalf("problem %+v", p)
	}
	var list struct{ Items []warden.PolicyVersion }
	e.admin(t, "GET", "/v1/policies", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || !list.Items[0].Active {
		t.Fatalf("versions after a rejected push: %+v", list.Items)
	}
	var v struct {
		Valid    bool
		Problems []policy.Problem
	}
	e.admin(t, "POST", "/v1/policies/validate", bad, http.StatusOK, &v)
	if v.Valid || len(v.Problems) != 2 || v.Problems[0].File != "a.cedar" || v.Problems[0].Line != 2 || v.Problems[0].Column != 1 {
		t.Fatalf("validation %+v", v)
	}
}

func TestPolicies_ActivateRollbackAudited(t *testing.T) {
	e, _ := pdpEnv(t)
	e.admin(t, "POST", "/v1/policies", map[string]any{"schema": apiSchema, "policies": map[string]string{"deny.cedar": `forbid (principal, action, resource);`}}, http.StatusCreated, nil)
	e.admin(t, "POST", "/v1/policies/2/activate", "", http.StatusOK, nil)
	body := `{"principal":{"type":"Identity","id":"spiffe://example.org/payments"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d1"}}`
	var d policy.Decision
	e.admin(t, "POST", "/v1/authorize", body, http.StatusOK, &d)
	if d.Decision != "deny" || d.PolicyVersion != 2 {
		t.Fatalf("after activating 2: %+v", d)
	}
	e.admin(t, "POST", "/v1/policies/rollback", nil, http.StatusOK, nil)
	e.admin(t, "POST", "/v1/authorize", body, http.StatusOK, &d)
	if d.Decision != "allow" || d.PolicyVersion != 1 {
		t.Fatalf("after rollback: %+v", d)
	}
	resp := e.do(t, request{method: "POST", path: "/v1/policies/rollback", token: e.tokens[warden.RoleAdmin]})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second rollback: %d %s", resp.StatusCode, resp.body)
	}
	var audit struct{ Items []warden.AuditRecord }
	e.admin(t, "GET", "/v1/audit?target_type=policy_set", nil, http.StatusOK, &audit)
	if len(audit.Items) != 3 || audit.Items[2].Action != "policy.rollback" {
		t.Fatalf("audit %+v", audit.Items)
	}
	var g struct{ Items []policy.Guardrail }
	e.do(t, request{method: "GET", path: "/v1/policies/guardrails", token: e.tokens[warden.RoleAuditor]}).decode(t, &g)
	if len(g.Items) != len(policy.Guardrails()) {
		t.Fatalf("guardrails %+v", g)
	}
}

// TestNginx_AuthRequest drives the auth_request endpoint the way nginx
// does: its own API token, the original request in headers.
func TestNginx_AuthRequest(t *testing.T) {
	e, i := pdpEnv(t)
	tok := e.tokens[warden.RoleOperator]
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"Allowed", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/api/payments?x=1", "X-Warden-Principal": i.ExternalID, "X-Forwarded-For": "10.1.1.1, 10.0.0.1"}, 200},
		{"DeniedMethod", map[string]string{"X-Original-Method": "POST", "X-Original-URI": "/api/payments", "X-Warden-Principal": i.ExternalID}, 403},
		{"DeniedPath", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/api/admin", "X-Warden-Principal": i.ExternalID}, 403},
		{"UnknownIdentity", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/api/payments", "X-Warden-Principal": "spiffe://example.org/ghost"}, 403},
		{"InvalidToken", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/api/payments", "X-Warden-Token": "Bearer eyJhbGciOiJub25lIn0.e30."}, 403},
		{"NoPrincipal", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/api/payments"}, 400},
		{"NoURI", map[string]string{"X-Original-Method": "GET", "X-Warden-Principal": i.ExternalID}, 400},
		{"RelativeURI", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "api", "X-Warden-Principal": i.ExternalID}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			resp := e.do(t, request{method: "GET", path: "/v1/authorize/nginx", token: tok, header: h})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.body)
			}
			if tc.status == 200 && (resp.Header.Get("X-Warden-Identity") != i.ID || resp.Header.Get("X-Warden-Decision-Id") == "") {
				t.Fatalf("headers %v", resp.Header)
			}
		})
	}
}

func TestEntities_PutListDelete(t *testing.T) {
	e, _ := pdpEnv(t)
	e.admin(t, "POST", "/v1/entities", `{"entities":[{"type":"Doc","id":"d1","parents":[{"type":"Folder","id":"f"}],"attrs":{"owner":"x"}}]}`, http.StatusOK, nil)
	var list struct{ Items []warden.PolicyEntity }
	e.admin(t, "GET", "/v1/entities", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Parents[0].ID != "f" {
		t.Fatalf("%+v", list)
	}
	for _, tc := range []struct{ name, body, field string }{
		{"IdentityType", `{"entities":[{"type":"Identity","id":"x"}]}`, "entities.type"},
		{"BadType", `{"entities":[{"type":"no spaces","id":"x"}]}`, "entities.type"},
		{"BadAttrs", `{"entities":[{"type":"Doc","id":"x","attrs":[1]}]}`, "entities.attrs"},
		{"Duplicate", `{"entities":[{"type":"Doc","id":"x"},{"type":"Doc","id":"x"}]}`, "entities"},
		{"Empty", `{"entities":[]}`, "entities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: "POST", path: "/v1/entities", token: e.tokens[warden.RoleAdmin], body: tc.body})
			if resp.StatusCode != 400 || resp.problem(t).Field != tc.field {
				t.Fatalf("status %d %s, want 400 on %s", resp.StatusCode, resp.body, tc.field)
			}
		})
	}
	e.admin(t, "DELETE", "/v1/entities/Doc/d1", nil, http.StatusNoContent, nil)
	e.admin(t, "DELETE", "/v1/entities/Doc/d1", nil, http.StatusNotFound, nil)
}
