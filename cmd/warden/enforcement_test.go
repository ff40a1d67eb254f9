package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestEnforcementCLI_SetListEventsAndWouldDeny: the CLI sets and removes
// modes (audited), lists them beside each control's default, lists what a
// monitor-mode control would have disabled, and lists would-deny
// decisions.
func TestEnforcementCLI_SetListEventsAndWouldDeny(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	serveAPI(t, db, httpapi.Config{Enforcement: db})
	t.Setenv(envToken, apiToken(t, db, "platform", warden.RoleOperator))

	out := mustRun(t, "", "enforcement", "set", "policy", "monitor", "--scope", "environment:prod")
	if !strings.Contains(out, "policy runs in monitor mode for environment:prod") {
		t.Fatalf("set said %q", out)
	}
	if _, _, err := runCLI(t, "", "enforcement", "set", "policy", "observe"); err == nil || !strings.Contains(err.Error(), "monitor or enforce") {
		t.Fatalf("bad mode: %v", err)
	}
	out = mustRun(t, "", "enforcement", "list")
	for _, want := range []string{"CONTROL", "disable-review-expired", "(default)", "environment:prod", "monitor", "token:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}

	// A monitor-mode report and a would-deny decision.
	actor := warden.NewContextWithActor(ctx, warden.Actor{Type: "token", ID: "t", Name: "test"})
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/legacy-ci", Name: "legacy-ci", Owner: "bob@example.com"}
	if err := db.CreateIdentity(actor, id); err != nil {
		t.Fatal(err)
	}
	if _, err := enforce.New(enforce.Config{Store: db, Identities: db}).Disable(actor, warden.DisableRequest{
		Control: warden.ControlDisableInactive, IdentityID: id.ID, Reason: "unused for more than 90 days", Ref: "inactivity:never-used"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordDecisions(ctx, []*warden.DecisionRecord{{Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: id.ID}, IdentityID: id.ID,
		Action: warden.EntityRef{Type: "Action", ID: "s3:PutObject"}, Resource: warden.EntityRef{Type: "Bucket", ID: "ledger"}, Decision: "allow", WouldDeny: true, Policies: []string{"no-prod-writes"}}}); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "", "enforcement", "events", "--reported")
	if !strings.Contains(out, "would disable") || !strings.Contains(out, "legacy-ci") || !strings.Contains(out, "bob@example.com") {
		t.Fatalf("events:\n%s", out)
	}
	if out := mustRun(t, "", "enforcement", "events", "--enforced"); strings.Contains(out, "legacy-ci") {
		t.Fatalf("--enforced listed a report:\n%s", out)
	}
	out = mustRun(t, "", "policy", "decisions", "--would-deny", "--identity", id.ExternalID)
	if !strings.Contains(out, "allow (would deny)") || !strings.Contains(out, "no-prod-writes") {
		t.Fatalf("decisions:\n%s", out)
	}
	var d warden.DecisionRecord
	if err := json.Unmarshal([]byte(mustRun(t, "", "policy", "decisions", "--would-deny", "--json")), &d); err != nil || !d.WouldDeny {
		t.Fatalf("decisions --json = %+v, %v", d, err)
	}

	mustRun(t, "", "enforcement", "unset", "policy", "--scope", "environment:prod")
	if _, _, err := runCLI(t, "", "enforcement", "unset", "policy", "--scope", "environment:prod"); err == nil {
		t.Fatal("unsetting a missing setting succeeded")
	}
	recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "enforcement_setting"})
	if err != nil || len(recs) != 2 || recs[0].Action != "enforcement.set" || recs[1].Action != "enforcement.delete" {
		t.Fatalf("audit = %+v, %v", recs, err)
	}
}
