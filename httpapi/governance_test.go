package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store"
)

func TestGovernance_EvaluateListSuppressReport(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		admin, auditor := e.tokens[warden.RoleAdmin], e.tokens[warden.RoleAuditor]
		for _, body := range []any{
			map[string]any{"kind": "cloud_user", "provider": "aws", "external_id": "arn:aws:iam::402118867530:user/bot", "name": "bot", "environment": "prod"},
			map[string]any{"kind": "cloud_role", "provider": "aws", "external_id": "arn:aws:iam::402118867530:role/owned", "name": "owned", "owner": "team-a"},
		} {
			if resp := e.do(t, request{method: "POST", path: "/v1/identities", token: admin, body: body}); resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, resp.body)
			}
		}
		var res warden.EvaluationResult
		resp := e.do(t, request{method: "POST", path: "/v1/governance/evaluate", token: admin})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("evaluate: %d %s", resp.StatusCode, resp.body)
		}
		resp.decode(t, &res)
		if res.Identities != 2 || res.Findings.Opened != 1 || res.Posture == nil || res.Posture.Unowned != 1 {
			t.Fatalf("evaluate = %+v", res)
		}

		list := func(query string) listResponse[*warden.Finding] {
			t.Helper()
			var out listResponse[*warden.Finding]
			resp := e.do(t, request{method: "GET", path: "/v1/findings?" + query, token: auditor})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("list %s: %d %s", query, resp.StatusCode, resp.body)
			}
			resp.decode(t, &out)
			return out
		}
		for query, want := range map[string]int{
			"":                            1,
			"rule=owner-missing":          1,
			"owasp=NHI1":                  1,
			"owasp=nhi5":                  0,
			"severity=medium&status=open": 1,
			"identity=" + url.QueryEscape("arn:aws:iam::402118867530:user/bot"):                     1,
			"identity=" + url.QueryEscape("arn:aws:iam::402118867530:role/owned") + "&provider=aws": 0,
		} {
			if got := len(list(query).Items); got != want {
				t.Errorf("GET /v1/findings?%s: %d findings, want %d", query, got, want)
			}
		}
		f := list("rule=owner-missing").Items[0]
		if !slices.Equal(f.OWASP, []string{"NHI1"}) || len(f.NIST) == 0 || f.Remediation == "" {
			t.Errorf("finding lacks its mapping: %+v", f)
		}

		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"UnknownIdentity", "GET", "/v1/findings?identity=nobody", nil, 400, "identity"},
			{"BadSeverity", "GET", "/v1/findings?severity=dire", nil, 400, "severity"},
			{"BadOWASP", "GET", "/v1/findings?owasp=NHI11", nil, 400, "owasp"},
			{"UnknownParam", "GET", "/v1/findings?rules=x", nil, 400, "rules"},
			{"BadPostureTime", "GET", "/v1/posture?since=yesterday", nil, 400, "since"},
			{"NoFinding", "GET", "/v1/findings/0190d4a8-0000-7000-8000-000000000000", nil, 404, ""},
			{"SuppressNoUntil", "POST", "/v1/findings/" + f.ID + "/suppress", map[string]any{"reason": "r"}, 400, "until"},
			{"SuppressNoReason", "POST", "/v1/findings/" + f.ID + "/suppress", map[string]any{"until": time.Now().Add(time.Hour)}, 400, "reason"},
			{"SuppressPast", "POST", "/v1/findings/" + f.ID + "/suppress", map[string]any{"reason": "r", "until": "2020-01-01T00:00:00Z"}, 400, "until"},
			{"SuppressUnknownField", "POST", "/v1/findings/" + f.ID + "/suppress", map[string]any{"reason": "r", "until": time.Now().Add(time.Hour), "forever": true}, 400, "forever"},
			{"UnsuppressOpen", "POST", "/v1/findings/" + f.ID + "/unsuppress", nil, 409, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.do(t, request{method: tc.method, path: tc.path, token: admin, body: tc.body})
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.body)
				}
				if p := resp.problem(t); p.Field != tc.field {
					t.Errorf("field = %q, want %q", p.Field, tc.field)
				}
			})
		}

		var sup warden.Finding
		resp = e.do(t, request{method: "POST", path: "/v1/findings/" + f.ID + "/suppress", token: admin,
			body: map[string]any{"reason": "owner being hired", "until": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("suppress: %d %s", resp.StatusCode, resp.body)
		}
		resp.decode(t, &sup)
		if sup.Status != warden.FindingSuppressed || sup.Suppression == nil || sup.Suppression.By != "token:"+tokenID(t, e, admin)+"(test-admin)" {
			t.Fatalf("suppressed = %+v", sup)
		}

		var posture struct {
			Latest *warden.PostureSnapshot   `json:"latest"`
			Series []*warden.PostureSnapshot `json:"series"`
		}
		e.do(t, request{method: "GET", path: "/v1/posture", token: auditor}).decode(t, &posture)
		if posture.Latest == nil || len(posture.Series) != 1 || posture.Latest.Identities != 2 {
			t.Fatalf("posture = %+v", posture)
		}

		var rules struct {
			Items []warden.GovernanceRule `json:"items"`
			OWASP map[string]string       `json:"owasp"`
		}
		e.do(t, request{method: "GET", path: "/v1/governance/rules", token: auditor}).decode(t, &rules)
		if len(rules.Items) < 19 || rules.OWASP["NHI9"] != "NHI Reuse" {
			t.Fatalf("rules: %d items, owasp %v", len(rules.Items), rules.OWASP)
		}
		for _, r := range rules.Items {
			if len(r.OWASP) == 0 || len(r.NIST) == 0 {
				t.Errorf("rule %s has no mapping in the API", r.ID)
			}
		}

		var report warden.Report
		e.do(t, request{method: "GET", path: "/v1/governance/report", token: auditor}).decode(t, &report)
		if len(report.ByOWASP) != 1 || report.ByOWASP[0].Ref != "NHI1" || report.ByOWASP[0].Findings[0].Status != warden.FindingSuppressed || len(report.ByNIST) == 0 {
			t.Fatalf("report = %+v", report)
		}

		// Risk scores are stored, filterable and sortable. bot scored 23 at
		// the evaluation (owner-missing 8 + prod 10 + unowned 5); the later
		// suppression counts from the next evaluation.
		var ids listResponse[*warden.Identity]
		e.do(t, request{method: "GET", path: "/v1/identities?sort=-risk_score", token: auditor}).decode(t, &ids)
		if len(ids.Items) != 2 || ids.Items[0].ExternalID != "arn:aws:iam::402118867530:user/bot" || ids.Items[0].RiskScore != 23 || ids.Items[1].RiskScore != 0 {
			t.Fatalf("identities by risk: %+v %+v", ids.Items[0], ids.Items[1])
		}
		e.do(t, request{method: "GET", path: "/v1/identities?min_risk=1", token: auditor}).decode(t, &ids)
		if len(ids.Items) != 1 {
			t.Fatalf("min_risk=1 gave %d identities", len(ids.Items))
		}
		if resp := e.do(t, request{method: "GET", path: "/v1/identities?min_risk=101", token: auditor}); resp.StatusCode != 400 || resp.problem(t).Field != "min_risk" {
			t.Fatalf("min_risk=101: %d %s", resp.StatusCode, resp.body)
		}
	})
}

func tokenID(t *testing.T, e *testEnv, secret string) string {
	t.Helper()
	var w whoami
	e.do(t, request{method: "GET", path: "/v1/whoami", token: secret}).decode(t, &w)
	return w.ID
}

// mustEvaluator returns a governance evaluator on db with the default rules.
func mustEvaluator(t *testing.T, db *store.DB) *govern.Evaluator {
	t.Helper()
	ev, err := govern.NewEvaluator(govern.EvaluatorConfig{Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
