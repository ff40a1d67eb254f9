package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestOffboardingHTTP_OffboardImportListAndStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		mk := func(name, owner string) warden.Identity {
			var id warden.Identity
			e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "cloud_user", "provider": "aws",
				"external_id": "arn:aws:iam::111122223333:user/svc/" + name, "name": name, "owner": owner, "environment": "prod"}, http.StatusCreated, &id)
			return id
		}
		exporter := mk("billing-exporter", "alice.nguyen@example.com")
		mk("report-mailer", "bob.tran@example.com")
		jonas := mk("siem-forwarder", "Jonas.Weber@example.com")
		e.admin(t, "POST", "/v1/identities/"+exporter.ID+"/credentials", map[string]any{"type": "access_key", "public_id": "AKIAEXAMPLEEXPORT001"}, http.StatusCreated, nil)

		var res warden.OffboardResult
		e.admin(t, "POST", "/v1/offboarding", map[string]any{"person": "Alice.Nguyen@example.com", "departed_at": "2026-02-27", "grace": "7d"}, http.StatusCreated, &res)
		ob := res.Offboarding
		if !res.Created || ob.Person != "alice.nguyen@example.com" || len(ob.Items) != 1 || ob.Items[0].IdentityID != exporter.ID ||
			len(ob.Credentials) != 1 || ob.Credentials[0].PublicID != "AKIAEXAMPLEEXPORT001" || ob.Deadline.Format("2006-01-02") != "2026-03-06" {
			t.Fatalf("offboard = %+v", res)
		}
		// Again while open: 200 with the same offboarding.
		e.admin(t, "POST", "/v1/offboarding", map[string]any{"person": "alice.nguyen@example.com"}, http.StatusOK, &res)
		if res.Created || res.Offboarding.ID != ob.ID {
			t.Fatalf("repeat = %+v", res)
		}

		csv := "employee_id,email,departed_at\nE11450,jonas.weber@example.com,2026-03-01\nE10231,alice.nguyen@example.com,2026-02-27\n"
		resp := e.do(t, request{method: "POST", path: "/v1/offboarding/import?grace=30d", token: e.tokens[warden.RoleOperator], body: csv, contentType: "text/csv"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("import: status %d; body %s", resp.StatusCode, resp.body)
		}
		var imp warden.OffboardImportResult
		resp.decode(t, &imp)
		if imp.People != 2 || imp.Created != 1 || imp.Existing != 1 || imp.Results[0].Offboarding.Items[0].IdentityID != jonas.ID {
			t.Fatalf("import = %+v", imp)
		}

		var page listResponse[*warden.Offboarding]
		resp = e.do(t, request{method: "GET", path: "/v1/offboarding?status=open&limit=1", token: e.tokens[warden.RoleAuditor]})
		resp.decode(t, &page)
		if len(page.Items) != 1 || page.NextCursor == "" || page.Items[0].Person != "jonas.weber@example.com" {
			t.Fatalf("page = %+v", page)
		}
		var got warden.Offboarding
		resp = e.do(t, request{method: "GET", path: "/v1/offboarding/" + ob.ID, token: e.tokens[warden.RoleAuditor]})
		resp.decode(t, &got)
		if got.ID != ob.ID || got.Items[0].Status != warden.OffboardItemFlagged {
			t.Fatalf("get = %+v", got)
		}
		if i, _ := e.db.FindIdentityByID(context.Background(), exporter.ID); i.Owner != "" {
			t.Fatalf("exporter owner = %q", i.Owner)
		}
	})
}

func TestOffboardingHTTP_RefusesBadInputAndReadOnlyRoles(t *testing.T) {
	e := newTestEnv(t)
	for name, tc := range map[string]struct {
		req    request
		status int
		field  string
	}{
		"auditor cannot offboard": {request{method: "POST", path: "/v1/offboarding", token: e.tokens[warden.RoleAuditor], body: map[string]any{"person": "a@example.com"}}, http.StatusForbidden, ""},
		"no token":                {request{method: "GET", path: "/v1/offboarding"}, http.StatusUnauthorized, ""},
		"unknown member":          {request{method: "POST", path: "/v1/offboarding", token: e.tokens[warden.RoleAdmin], body: map[string]any{"person": "a@example.com", "owner": "x"}}, http.StatusBadRequest, "owner"},
		"bad grace":               {request{method: "POST", path: "/v1/offboarding", token: e.tokens[warden.RoleAdmin], body: map[string]any{"person": "a@example.com", "grace": "forever"}}, http.StatusBadRequest, "grace"},
		"future departure":        {request{method: "POST", path: "/v1/offboarding", token: e.tokens[warden.RoleAdmin], body: map[string]any{"person": "a@example.com", "departed_at": "2999-01-01"}}, http.StatusBadRequest, "departed_at"},
		"bad csv row":             {request{method: "POST", path: "/v1/offboarding/import", token: e.tokens[warden.RoleAdmin], body: "person,departed_at\na@example.com,yesterday\n", contentType: "text/csv"}, http.StatusBadRequest, "departed_at"},
		"xml list":                {request{method: "POST", path: "/v1/offboarding/import", token: e.tokens[warden.RoleAdmin], body: "<people/>", contentType: "application/xml"}, http.StatusUnsupportedMediaType, ""},
		"bad status filter":       {request{method: "GET", path: "/v1/offboarding?status=pending", token: e.tokens[warden.RoleAdmin]}, http.StatusBadRequest, "status"},
		"unknown id":              {request{method: "GET", path: "/v1/offboarding/0193f0e0-0000-7000-8000-000000000000", token: e.tokens[warden.RoleAdmin]}, http.StatusNotFound, ""},
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(t, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, resp.body)
			}
			if p := resp.problem(t); tc.field != "" && p.Field != tc.field {
				t.Fatalf("field = %q, want %q (%s)", p.Field, tc.field, p.Detail)
			}
		})
	}
	if obs, _, _ := e.db.FindOffboardings(context.Background(), warden.OffboardingFilter{}); len(obs) != 0 {
		t.Fatalf("offboardings after refused requests = %d", len(obs))
	}
}
