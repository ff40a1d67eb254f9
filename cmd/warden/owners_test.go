package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// newOwnersEnv serves a real store wired as serve wires it, imports the
// owners CloudTrail sample through `warden import cloudtrail` and leaves
// WARDEN_TOKEN at an approver's token; it returns the store.
func newOwnersEnv(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.OpenSQLite(t)
	serveAPI(t, db, httpapi.Config{Discovery: newDiscovery(db), Owners: newOwnerService(db)})
	t.Setenv(envToken, apiToken(t, db, "importer", warden.RoleOperator))
	mustRun(t, "", "import", "cloudtrail", "../../owners/testdata/cloudtrail-northwind-2026-03-03.json")
	return db
}

// TestOwnersCLI_SuggestListAcceptReject: warden owners suggest prints the
// suggestions with owner, confidence and the evidence's event ids; an
// approver accepts one (the identity gets its owner) and rejects another;
// an auditor is refused with a message that says why.
func TestOwnersCLI_SuggestListAcceptReject(t *testing.T) {
	db := newOwnersEnv(t)
	out := mustRun(t, "", "owners", "suggest", "arn:aws:iam::402118867530:user/svc/ledger-export")
	for _, want := range []string{"OWNER", "CONFIDENCE", "alice@northwind.example", "85", "creator 7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01", "key-creator 7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e02"} {
		if !strings.Contains(out, want) {
			t.Fatalf("owners suggest output lacks %q:\n%s", want, out)
		}
	}
	mustRun(t, "", "owners", "suggest")
	lines := strings.Split(strings.TrimSpace(mustRun(t, "", "owners", "list", "--status", "pending", "--json")), "\n")
	byOwner := map[string]warden.OwnerSuggestion{}
	for _, l := range lines {
		var s warden.OwnerSuggestion
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		byOwner[s.Owner] = s
	}
	alice, carol := byOwner["alice@northwind.example"], byOwner["carol@northwind.example"]
	if alice.ID == "" || carol.ID == "" || alice.Evidence[0].EventID == "" {
		t.Fatalf("pending suggestions = %+v", byOwner)
	}

	ctx := context.Background()
	_, approver, err := db.CreateToken(ctx, "dana", warden.RoleApprover)
	if err != nil {
		t.Fatal(err)
	}
	_, auditor, err := db.CreateToken(ctx, "reader", warden.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envToken, auditor)
	if _, errOut, err := runCLI(t, "", "owners", "accept", alice.ID); err == nil || !strings.Contains(errOut+err.Error(), "review:answer") {
		t.Fatalf("auditor accept: err %v, stderr %s", err, errOut)
	}
	t.Setenv(envToken, approver)
	if out := mustRun(t, "", "owners", "accept", alice.ID, "--reason", "confirmed with alice"); !strings.Contains(out, "alice@northwind.example now owns arn:aws:iam::402118867530:user/svc/ledger-export") {
		t.Fatalf("accept output: %s", out)
	}
	id, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:user/svc/ledger-export", warden.ProviderAWS)
	if err != nil || id.Owner != "alice@northwind.example" {
		t.Fatalf("identity after accept = %+v, %v", id, err)
	}
	if out := mustRun(t, "", "owners", "reject", carol.ID); !strings.Contains(out, "will not be suggested again") {
		t.Fatalf("reject output: %s", out)
	}
	if out := mustRun(t, "", "owners", "list", "--status", "rejected"); !strings.Contains(out, "carol@northwind.example") || !strings.Contains(out, "rejected") {
		t.Fatalf("rejected list: %s", out)
	}
	if _, errOut, err := runCLI(t, "", "owners", "accept", carol.ID); err == nil || !strings.Contains(errOut+err.Error(), "not pending") {
		t.Fatalf("accepting a rejected suggestion: err %v, stderr %s", err, errOut)
	}
}
