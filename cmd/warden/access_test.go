package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestAccessCLI_RequestApproveBreakGlassReview drives warden access and
// warden breakglass against a real API server on loopback.
func TestAccessCLI_RequestApproveBreakGlassReview(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	alice, bob := apiToken(t, db, "alice", warden.RoleApprover), apiToken(t, db, "bob", warden.RoleApprover)
	glass := apiToken(t, db, "alice-glass", warden.RoleBreakGlass)
	serveAPI(t, db, httpapi.Config{
		Access: access.New(access.Config{Store: db, Identities: db, Events: db, Detections: db, Revoker: db, Decisions: db}),
	})
	id := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:payments:ledger",
		Name: "ledger", Owner: "team-payments", Environment: "staging", Managed: true}
	if err := db.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}

	t.Setenv(envToken, alice)
	out := mustRun(t, "", "access", "request", id.ExternalID, "--action", "update", "--resource", "Deployment::payments/ledger",
		"--for", "45m", "--reason", "roll back the ledger deploy", "--json")
	var req warden.AccessRequest
	if err := json.Unmarshal([]byte(out), &req); err != nil {
		t.Fatalf("request output %q: %v", out, err)
	}
	if req.Status != warden.AccessPending || req.RequiredApprovals != 1 {
		t.Fatalf("request = %+v", req)
	}
	if _, stderr, err := runCLI(t, "", "access", "approve", req.ID); err == nil || !strings.Contains(stderr+err.Error(), "cannot approve") {
		t.Fatalf("self-approval: err %v, stderr %q", err, stderr)
	}

	t.Setenv(envToken, bob)
	out = mustRun(t, "", "access", "approve", req.ID, "--comment", "rollback agreed in #inc-7")
	if !strings.Contains(out, "status:    approved") || !strings.Contains(out, "approved by token:") {
		t.Fatalf("approve output:\n%s", out)
	}
	out = mustRun(t, "", "access", "list")
	if !strings.Contains(out, req.ID) || !strings.Contains(out, "approved") || !strings.Contains(out, id.ExternalID) || !strings.Contains(out, "action:update resource:Deployment::payments/ledger") {
		t.Fatalf("list output:\n%s", out)
	}

	// A read-only request outside prod for an owned identity is granted at
	// once; a request for more than a day is refused naming the flag's field.
	t.Setenv(envToken, alice)
	out = mustRun(t, "", "access", "request", id.ID, "--action", "get", "--action", "list", "--for", "2h", "--reason", "debug")
	if !strings.Contains(out, "status:    approved") || !strings.Contains(out, "auto-approved") {
		t.Fatalf("auto-approved read:\n%s", out)
	}
	if _, _, err := runCLI(t, "", "access", "request", id.ID, "--action", "update", "--for", "3d", "--reason", "long"); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("3d request: %v", err)
	}

	// Break-glass: refused without the second factor, then taken with it.
	if _, _, err := runCLI(t, "", "breakglass", id.ID, "--action", "delete", "--reason", "INC-8: ledger is corrupting entries, deleting the bad pod"); err == nil || !strings.Contains(err.Error(), envBreakGlassToken) {
		t.Fatalf("break-glass without a token: %v", err)
	}
	t.Setenv(envBreakGlassToken, glass)
	out, stderr, err := runCLI(t, "", "breakglass", id.ID, "--action", "delete", "--for", "15m", "--reason", "INC-8: ledger is corrupting entries, deleting the bad pod")
	if err != nil || !strings.Contains(out, "approved (break-glass)") || !strings.Contains(stderr, "needs a review") {
		t.Fatalf("break-glass: %v\n%s\n%s", err, out, stderr)
	}
	out = mustRun(t, "", "access", "list", "--needs-review", "--json")
	var task warden.AccessRequest
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &task); err != nil || !task.BreakGlass {
		t.Fatalf("review tasks: %q %v", out, err)
	}
	t.Setenv(envToken, bob)
	out = mustRun(t, "", "access", "review", task.ID, "--outcome", "justified", "--notes", "matches INC-8")
	if !strings.Contains(out, "done, justified") {
		t.Fatalf("review output:\n%s", out)
	}
	if out := mustRun(t, "", "access", "list", "--needs-review"); strings.Contains(out, task.ID) {
		t.Fatalf("reviewed grant still listed as needing review:\n%s", out)
	}
	out = mustRun(t, "", "access", "usage", req.ID)
	if !strings.Contains(out, "0 decisions allowed by grant "+req.ID) {
		t.Fatalf("usage output:\n%s", out)
	}
	out = mustRun(t, "", "access", "revoke", req.ID, "--reason", "rollback done")
	if !strings.Contains(out, "status:    revoked") {
		t.Fatalf("revoke output:\n%s", out)
	}
	if out := mustRun(t, "", "access", "policy"); !strings.Contains(out, "access.auto-approve-owned-nonprod-reads") {
		t.Fatalf("access policy output:\n%s", out)
	}
}
