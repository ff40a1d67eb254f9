package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestOnboardCLI_RequestAutoApproveAdminWaitsClaim drives warden onboard
// against a real API server on loopback, on SQLite and PostgreSQL: a
// read-only staging request is approved at once and its identity is
// managed; an admin request waits, its requester cannot approve it,
// another approver does and the identity exists; a not-onboarded
// identity is claimed.
func TestOnboardCLI_RequestAutoApproveAdminWaitsClaim(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) { testOnboardCLI(t, open(t)) })
	}
}

func testOnboardCLI(t *testing.T, db *store.DB) {
	ctx := context.Background()
	alice, bob := apiToken(t, db, "alice", warden.RoleApprover), apiToken(t, db, "bob", warden.RoleApprover)
	serveAPI(t, db, httpapi.Config{Onboarding: onboard.New(onboard.Config{Store: db, Identities: db, TrustDomain: "warden.test"})})

	t.Setenv(envToken, alice)
	out := mustRun(t, "", "onboard", "request", "--kind", "service_account", "--provider", "kubernetes",
		"--external-id", "system:serviceaccount:billing:invoice-renderer", "--purpose", "renders invoice PDFs",
		"--team", "team-billing", "--owner", "maria.lopez@example.com", "--environment", "staging",
		"--permission", "get", "--permission", "list", "--review-every", "90d")
	if !strings.Contains(out, "status:      approved") || !strings.Contains(out, "auto-approved by the onboarding policy") || !strings.Contains(out, "identity id:") {
		t.Fatalf("read-only request:\n%s", out)
	}
	id, err := db.FindIdentityByRef(ctx, "system:serviceaccount:billing:invoice-renderer", warden.ProviderKubernetes)
	if err != nil || !id.Managed || id.Owner != "maria.lopez@example.com" || id.Team() != "team-billing" {
		t.Fatalf("identity = %+v, %v", id, err)
	}

	out, stderr, err := runCLI(t, "", "onboard", "request", "--kind", "cloud_role", "--provider", "aws",
		"--external-id", "arn:aws:iam::402118867530:role/ledger-admin", "--purpose", "ledger schema migrations",
		"--team", "team-payments", "--environment", "staging", "--permission", "AdministratorAccess", "--expires", "30d", "--json")
	if err != nil {
		t.Fatalf("admin request: %v\n%s", err, stderr)
	}
	var req warden.OnboardingRequest
	if err := json.Unmarshal([]byte(out), &req); err != nil || req.Status != warden.OnboardPending || req.RequiredApprovals != 1 {
		t.Fatalf("admin request %q: %+v, %v", out, req, err)
	}
	if _, stderr, err := runCLI(t, "", "onboard", "approve", req.ID); err == nil || !strings.Contains(stderr+err.Error(), "cannot approve") || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("self-approval: err %v, stderr %q", err, stderr)
	}
	out = mustRun(t, "", "onboard", "list", "--status", "pending")
	if !strings.Contains(out, req.ID) || !strings.Contains(out, "0/1") || !strings.Contains(out, "arn:aws:iam::402118867530:role/ledger-admin") {
		t.Fatalf("pending list:\n%s", out)
	}

	t.Setenv(envToken, bob)
	out = mustRun(t, "", "onboard", "approve", req.ID, "--comment", "CHG-2231")
	if !strings.Contains(out, "status:      approved") || !strings.Contains(out, "approved by token:") || !strings.Contains(out, "CHG-2231") {
		t.Fatalf("approve output:\n%s", out)
	}
	if id, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:role/ledger-admin", warden.ProviderAWS); err != nil || !id.Managed || id.Owner != "team-payments" {
		t.Fatalf("approved identity = %+v, %v", id, err)
	}
	if out := mustRun(t, "", "onboard", "get", req.ID); !strings.Contains(out, "status:      approved") {
		t.Fatalf("get output:\n%s", out)
	}

	// A discovered identity nobody onboarded is claimed.
	found := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/docs-ci", Name: "docs-ci"}
	if err := db.CreateIdentity(ctx, found); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "", "onboard", "claim", found.ExternalID, "--owner", "li.wei@example.com", "--team", "team-docs",
		"--purpose", "publishes the docs site", "--environment", "dev")
	if !strings.Contains(out, "type:        claim") || !strings.Contains(out, "status:      approved") {
		t.Fatalf("claim output:\n%s", out)
	}
	got, _ := db.FindIdentityByID(ctx, found.ID)
	if !got.Managed || got.Owner != "li.wei@example.com" || got.Purpose != "publishes the docs site" || got.Environment != "dev" {
		t.Fatalf("claimed identity = %+v", got)
	}
	// Bad input names the flag's field.
	if _, _, err := runCLI(t, "", "onboard", "claim", found.ID, "--team", "x", "--purpose", "p", "--environment", "dev"); err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("second claim: %v", err)
	}
	if _, _, err := runCLI(t, "", "onboard", "request", "--kind", "bot", "--provider", "slack", "--external-id", "B01", "--purpose", "p",
		"--team", "t", "--environment", "dev", "--permission", "chat:read"); err == nil || !strings.Contains(err.Error(), "invalid review_interval") {
		t.Fatalf("request without review or expiry: %v", err)
	}
	if out := mustRun(t, "", "onboard", "policy"); !strings.Contains(out, "onboard.auto-approve-low-risk-new") {
		t.Fatalf("onboard policy output:\n%s", out)
	}
}
