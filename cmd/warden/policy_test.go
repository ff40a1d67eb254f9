package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
)

// TestPolicyTestCommand_Examples runs `warden policy test` end to end on
// the example policies (all pass, exit 0) and on the stricter candidate
// with the same tests (failures listed, exit 1, for CI).
func TestPolicyTestCommand_Examples(t *testing.T) {
	out, errOut, err := runCLI(t, "", "policy", "test", "../../examples/policies")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "11 passed, 0 failed") || strings.Contains(out, "FAIL") {
		t.Fatalf("stdout %s\nstderr %s", out, errOut)
	}

	dir := t.TempDir()
	for _, f := range []string{"schema.cedarschema", "payments.cedar", "platform.cedar"} {
		copyTestFile(t, filepath.Join("../../examples/policies-strict", f), filepath.Join(dir, f))
	}
	copyTestFile(t, "../../examples/policies/tests/northwind.json", filepath.Join(dir, "tests", "northwind.json"))
	out, errOut, err = runCLI(t, "", "policy", "test", dir)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
	}
	if !strings.Contains(out, "FAIL  checkout reads the payments db password (want allow, got deny by [freeze-payments-secrets])") {
		t.Fatalf("stdout %s", out)
	}
	if !strings.Contains(errOut, " failed") {
		t.Fatalf("stderr %s", errOut)
	}
}

func TestPolicyValidateCommand_PrintsPositions(t *testing.T) {
	dir := t.TempDir()
	copyTestFile(t, "../../examples/policies/schema.cedarschema", filepath.Join(dir, "schema.cedarschema"))
	if err := os.WriteFile(filepath.Join(dir, "bad.cedar"), []byte("permit (principal, action, resource);\n\npermit (principal, action == Action::\"fly\", resource);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "", "policy", "validate", dir)
	if exitCode(err) != 1 || !strings.Contains(out, "bad.cedar:3:1: policy bad.cedar#1:") {
		t.Fatalf("exit %d, stdout %s", exitCode(err), out)
	}
	out = mustRun(t, "", "policy", "validate", "../../examples/policies")
	if !strings.HasPrefix(out, "ok: 2 policy files") {
		t.Fatalf("stdout %s", out)
	}
}

// TestPolicyReplayCommand_ListsChangedDecisions runs a real server with
// the decision point wired as serve wires it, pushes and activates the
// example policies and makes decisions through the CLI, then replays the
// logged decisions against the stricter candidate.
func TestPolicyReplayCommand_ListsChangedDecisions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pcfg, stop, err := startPDP(ctx, db, pdpFlags{sampleAllows: 1}, pdpDeps{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Identities: db, Credentials: db, Tokens: db, Audit: db, Logger: logger, Registry: prometheus.NewRegistry(), Policy: pcfg}))
	t.Cleanup(srv.Close)
	_, secret, err := db.CreateToken(ctx, "cli", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envServer, srv.URL)
	t.Setenv(envToken, secret)

	sys := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "test"})
	for _, i := range []*warden.Identity{
		{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:payments:checkout", Name: "checkout", Owner: "team-payments", Environment: "prod"},
		{Kind: warden.KindCIIdentity, Provider: warden.ProviderGitHub, ExternalID: "repo:northwind/shop:ref:refs/heads/main", Name: "deploy", Owner: "team-platform", Environment: "prod"},
	} {
		if err := db.CreateIdentity(sys, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutPolicyEntities(sys, []*warden.PolicyEntity{
		{Type: "Service", ID: "payments"}, {Type: "Service", ID: "shop"},
		{Type: "Secret", ID: "db-password", Parents: []warden.EntityRef{{Type: "Service", ID: "payments"}}, Attrs: json.RawMessage(`{"classification":"internal"}`)},
	}); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "", "policy", "push", "../../examples/policies", "--activate", "--description", "northwind v1"); out != "version 1 (active)\n" {
		t.Fatalf("push: %q", out)
	}
	if out := mustRun(t, "", "policy", "list"); !strings.Contains(out, "northwind v1") || !strings.Contains(out, "yes") {
		t.Fatalf("list: %s", out)
	}
	start := time.Now().Add(-time.Minute)
	out := mustRun(t, "", "authorize", "--principal", "system:serviceaccount:payments:checkout", "--action", "read", "--resource", "Secret::db-password", "--json")
	var d policy.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Decision != "allow" {
		t.Fatalf("authorize: %s %v", out, err)
	}
	_, _, err = runCLI(t, "", "authorize", "--principal", "system:serviceaccount:payments:checkout", "--action", "write", "--resource", "Service::shop")
	if exitCode(err) != 3 {
		t.Fatalf("deny exit %d (%v), want 3", exitCode(err), err)
	}
	mustRun(t, "", "authorize", "--principal", "repo:northwind/shop:ref:refs/heads/main", "--action", "deploy", "--resource", "Service::shop")

	// The decision log is written asynchronously, in batches.
	deadline := time.Now().Add(3 * time.Second)
	for {
		page, _, _ := db.FindDecisions(ctx, warden.DecisionFilter{})
		if len(page) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d decisions logged, want 3", len(page))
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, errOut, err := runCLI(t, "", "policy", "replay", "--policies", "../../examples/policies-strict", "--since", start.UTC().Format(time.RFC3339), "--json")
	if err != nil {
		t.Fatalf("replay: %v %s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("changes:\n%s", out)
	}
	var ch policy.ReplayChange
	if err := json.Unmarshal([]byte(lines[0]), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Action.ID != "read" || ch.Was != "allow" || ch.Now != "deny" || len(ch.Policies) != 1 || ch.Policies[0] != "freeze-payments-secrets" {
		t.Fatalf("change %+v", ch)
	}
	if !strings.Contains(errOut, "3 decisions replayed, 1 would change") {
		t.Fatalf("stderr %s", errOut)
	}
	// Replaying against the active policies changes nothing.
	_, errOut, err = runCLI(t, "", "policy", "replay", "--policies", "../../examples/policies", "--since", "1h")
	if err != nil || !strings.Contains(errOut, "3 decisions replayed, 0 would change") {
		t.Fatalf("replay same: %v %s", err, errOut)
	}
}

func copyTestFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
