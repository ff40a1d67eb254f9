package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/owners"
	"github.com/warden-nhi/warden/store"
)

func newTestOwners(t *testing.T, db *store.DB) warden.OwnerService {
	t.Helper()
	svc, err := owners.New(owners.Config{Store: db, Identities: db, Provenance: db, Events: db, Grants: db})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// importOwnersSample imports the owners package's CloudTrail creation
// sample through the real importer.
func importOwnersSample(t *testing.T, db *store.DB) {
	t.Helper()
	data, err := os.ReadFile("../owners/testdata/cloudtrail-northwind-2026-03-03.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t-import", Name: "importer"})
	if _, err := (&aws.CloudTrailImporter{Store: db, Provenance: db}).Import(ctx, bytes.NewReader(data), "cloudtrail-northwind-2026-03-03.json"); err != nil {
		t.Fatal(err)
	}
}

const ledgerExportARN = "arn:aws:iam::402118867530:user/svc/ledger-export"

// TestOwnersHTTP_AcceptSetsOwnerAuditedRejectIsRemembered: suggest over
// HTTP names alice for ledger-export; an approver accepts (the owner is
// set and the change audited with the approver as actor); a rejected
// suggestion stays rejected when suggest runs again; an auditor may read
// but not answer.
func TestOwnersHTTP_AcceptSetsOwnerAuditedRejectIsRemembered(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		importOwnersSample(t, e.db)
		var rep warden.OwnerSuggestReport
		e.admin(t, "POST", "/v1/owners/suggest", nil, http.StatusOK, &rep)
		if rep.Result.Created == 0 || len(rep.Suggestions) == 0 {
			t.Fatalf("suggest = %+v", rep)
		}
		var list struct {
			Items []*warden.OwnerSuggestion `json:"items"`
		}
		e.admin(t, "GET", "/v1/owners/suggestions?status=pending&identity="+url.QueryEscape(ledgerExportARN), nil, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].Owner != "alice@northwind.example" || list.Items[0].Evidence[0].EventID != "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01" {
			t.Fatalf("suggestions of ledger-export = %+v", list.Items)
		}
		alice := list.Items[0]

		// An auditor reads but cannot answer.
		if resp := e.do(t, request{method: "GET", path: "/v1/owners/suggestions", token: e.tokens[warden.RoleAuditor]}); resp.StatusCode != http.StatusOK {
			t.Fatalf("auditor list: %d", resp.StatusCode)
		}
		if resp := e.do(t, request{method: "POST", path: "/v1/owners/suggestions/" + alice.ID + "/accept", token: e.tokens[warden.RoleAuditor], body: "{}"}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("auditor accept: %d, want 403", resp.StatusCode)
		}

		resp := e.do(t, request{method: "POST", path: "/v1/owners/suggestions/" + alice.ID + "/accept", token: e.tokens[warden.RoleApprover], body: map[string]string{"reason": "alice confirmed on INC-5120"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("accept: %d %s", resp.StatusCode, resp.body)
		}
		var accepted warden.OwnerSuggestion
		resp.decode(t, &accepted)
		if accepted.Status != warden.OwnerSuggestionAccepted || accepted.Reason != "alice confirmed on INC-5120" {
			t.Fatalf("accepted = %+v", accepted)
		}
		var id warden.Identity
		e.admin(t, "GET", "/v1/identities/"+url.PathEscape(ledgerExportARN), nil, http.StatusOK, &id)
		if id.Owner != "alice@northwind.example" {
			t.Fatalf("owner after accept = %q", id.Owner)
		}
		var audit struct {
			Items []*warden.AuditRecord `json:"items"`
		}
		e.admin(t, "GET", "/v1/audit?target_type=identity&target_id="+id.ID, nil, http.StatusOK, &audit)
		last := audit.Items[len(audit.Items)-1]
		if len(audit.Items) == 0 || last.Action != "identity.update" || !bytes.Contains([]byte(last.Actor), []byte("approver")) || !bytes.Contains(last.After, []byte("alice@northwind.example")) {
			t.Fatalf("identity audit = %+v", last)
		}
		e.admin(t, "GET", "/v1/audit?target_type=owner_suggestion&target_id="+alice.ID, nil, http.StatusOK, &audit)
		if n := len(audit.Items); n != 2 || audit.Items[1].Action != "owner.accept" {
			t.Fatalf("suggestion audit = %+v", audit.Items)
		}
		// Answering twice is a conflict.
		if resp := e.do(t, request{method: "POST", path: "/v1/owners/suggestions/" + alice.ID + "/reject", token: e.tokens[warden.RoleApprover]}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("reject after accept: %d", resp.StatusCode)
		}

		// Reject carol for etl-runner: suggest again does not bring her back.
		e.admin(t, "GET", "/v1/owners/suggestions?status=pending&identity="+url.QueryEscape("arn:aws:iam::402118867530:role/etl-runner"), nil, http.StatusOK, &list)
		var carol *warden.OwnerSuggestion
		for _, s := range list.Items {
			if s.Owner == "carol@northwind.example" {
				carol = s
			}
		}
		if carol == nil {
			t.Fatalf("etl-runner suggestions = %+v", list.Items)
		}
		if resp := e.do(t, request{method: "POST", path: "/v1/owners/suggestions/" + carol.ID + "/reject", token: e.tokens[warden.RoleApprover]}); resp.StatusCode != http.StatusOK {
			t.Fatalf("reject: %d %s", resp.StatusCode, resp.body)
		}
		e.admin(t, "POST", "/v1/owners/suggest", map[string]string{"identity": "arn:aws:iam::402118867530:role/etl-runner"}, http.StatusOK, &rep)
		if rep.Identities != 1 || rep.Result.Skipped != 1 || rep.Result.Created != 0 {
			t.Fatalf("suggest after reject = %+v", rep.Result)
		}
		e.admin(t, "GET", "/v1/owners/suggestions?status=rejected", nil, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ID != carol.ID {
			t.Fatalf("rejected = %+v", list.Items)
		}
		e.admin(t, "GET", "/v1/audit?target_type=owner_suggestion&target_id="+carol.ID, nil, http.StatusOK, &audit)
		if n := len(audit.Items); n != 2 || audit.Items[1].Action != "owner.reject" {
			t.Fatalf("rejection audit = %+v", audit.Items)
		}
	})
}

// TestOwnersHTTP_BadInputIsNamed: unknown fields, statuses, identities
// and ids are 4xx naming what is wrong.
func TestOwnersHTTP_BadInputIsNamed(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"GET", "/v1/owners/suggestions?status=maybe", nil, http.StatusBadRequest, "status"},
		{"GET", "/v1/owners/suggestions?identity=nobody", nil, http.StatusBadRequest, "identity"},
		{"GET", "/v1/owners/suggestions?colour=red", nil, http.StatusBadRequest, "colour"},
		{"POST", "/v1/owners/suggest", map[string]string{"identity": "nobody"}, http.StatusBadRequest, "identity"},
		{"POST", "/v1/owners/suggest", `{"identity":"x","extra":1}`, http.StatusBadRequest, ""},
		{"POST", "/v1/owners/suggestions/nope/accept", nil, http.StatusNotFound, ""},
		{"POST", "/v1/owners/suggestions/nope/reject", `{"reason":5}`, http.StatusBadRequest, ""},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := e.do(t, request{method: tt.method, path: tt.path, token: e.tokens[warden.RoleAdmin], body: tt.body})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, resp.body)
			}
			if p := resp.problem(t); tt.field != "" && p.Field != tt.field {
				t.Fatalf("field = %q, want %q (%+v)", p.Field, tt.field, p)
			}
		})
	}
}
