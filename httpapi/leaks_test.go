package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

const leakFP = "0f4b6a1c9a3e9d1b5c0e7f2a8d4c6b3e1f9a7d5c3b1e9f7a5d3c1b9e7f5a3d1c"

// TestLeaks_ReportCorrelatesAndLists reports a leaked AWS key id that is
// recorded on an IAM user and lists it back with its blast radius.
func TestLeaks_ReportCorrelatesAndLists(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "system", ID: "test"})
		id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/ci", Name: "ci", Owner: "team-ci", Managed: true}
		if err := e.db.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := e.db.CreateCredential(ctx, &warden.Credential{IdentityID: id.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAFAKEBVEPDTBMDE6P"}); err != nil {
			t.Fatal(err)
		}
		body := `{"leaks":[{"fingerprint":"` + leakFP + `","rule":"aws-access-key-id","type":"access_key","source":"nw/billing","file":"ci.yml","line":16,"public_id":"AKIAFAKEBVEPDTBMDE6P","preview":"AKIA****"},` +
			`{"fingerprint":"` + strings.Repeat("a", 64) + `","rule":"jwt","file":"x.js","line":3,"preview":"eyJh****"}]}`
		resp := e.do(t, request{method: "POST", path: "/v1/leaks", token: e.tokens[warden.RoleOperator], body: body})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.body)
		}
		var out struct{ Items []*warden.Leak }
		resp.decode(t, &out)
		if len(out.Items) != 2 || out.Items[0].IdentityID != id.ID || out.Items[0].MatchedBy != warden.MatchPublicID ||
			out.Items[0].BlastRadius == nil || out.Items[0].BlastRadius.Owner != "team-ci" || out.Items[1].IdentityID != "" {
			t.Fatalf("report answer = %s", resp.body)
		}
		list := e.do(t, request{method: "GET", path: "/v1/leaks?correlated=true", token: e.tokens[warden.RoleAuditor]})
		var page struct {
			Items      []*warden.Leak
			NextCursor string `json:"next_cursor"`
		}
		list.decode(t, &page)
		if len(page.Items) != 1 || page.Items[0].BlastRadius == nil || page.Items[0].BlastRadius.ExternalID != id.ExternalID {
			t.Fatalf("list = %s", list.body)
		}
		findings, _, err := e.db.FindFindings(context.Background(), warden.FindingFilter{IdentityID: id.ID, OWASP: "NHI2"})
		if err != nil || len(findings) != 1 {
			t.Fatalf("NHI2 findings = %v, %v", findings, err)
		}
	})
}

// TestLeaks_BadInputNamesTheField sends malformed reports and queries.
func TestLeaks_BadInputNamesTheField(t *testing.T) {
	e := newTestEnv(t)
	good := `{"fingerprint":"` + leakFP + `","rule":"jwt"}`
	for _, tc := range []struct {
		name, method, path, body, field string
		status                          int
	}{
		{"Empty", "POST", "/v1/leaks", `{"leaks":[]}`, "leaks", 400},
		{"SecretField", "POST", "/v1/leaks", `{"leaks":[` + good + `,{"fingerprint":"` + leakFP + `","rule":"jwt","secret":"x"}]}`, "leaks[1].secret", 400},
		{"BadFingerprint", "POST", "/v1/leaks", `{"leaks":[{"fingerprint":"AKIA","rule":"jwt"}]}`, "leaks[0].fingerprint", 400},
		{"BadRule", "POST", "/v1/leaks", `{"leaks":[{"fingerprint":"` + leakFP + `","rule":"No Rule"}]}`, "leaks[0].rule", 400},
		{"LineType", "POST", "/v1/leaks", `{"leaks":[{"fingerprint":"` + leakFP + `","rule":"jwt","line":"x"}]}`, "leaks[0].line", 400},
		{"NotAnArray", "POST", "/v1/leaks", `{"leaks":{}}`, "leaks", 400},
		{"UnknownQuery", "GET", "/v1/leaks?secret=x", "", "secret", 400},
		{"BadCorrelated", "GET", "/v1/leaks?correlated=maybe", "", "correlated", 400},
		{"BadCursor", "GET", "/v1/leaks?cursor=zz", "", "cursor", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: tc.method, path: tc.path, token: e.tokens[warden.RoleAdmin], body: tc.body})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.body)
			}
			if p := resp.problem(t); p.Field != tc.field {
				t.Errorf("field = %q, want %q (%s)", p.Field, tc.field, p.Detail)
			}
		})
	}
}
