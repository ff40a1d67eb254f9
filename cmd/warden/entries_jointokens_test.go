package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEntriesJoinTokens_ListsStateNotSecrets: after two join tokens are
// made and one is used by svid fetch, "entries join-tokens" shows one used
// and one unused, and neither secret.
func TestEntriesJoinTokens_ListsStateNotSecrets(t *testing.T) {
	e := newIssuerEnv(t)
	entryID, _ := e.entry(t, "billing")
	used := strings.TrimSpace(mustRun(t, "", "entries", "join-token", entryID))
	unused := strings.TrimSpace(mustRun(t, "", "entries", "join-token", entryID))
	joinFile := filepath.Join(t.TempDir(), "join")
	if err := os.WriteFile(joinFile, []byte(used), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "svid", "fetch", "--join-token-file", joinFile, "--out-dir", t.TempDir(), "--once")

	table := mustRun(t, "", "entries", "join-tokens", entryID)
	if strings.Count(table, "unused") != 1 || !strings.Contains(table, "used just now") {
		t.Fatalf("join tokens table:\n%s", table)
	}
	for _, secret := range []string{used, unused} {
		if strings.Contains(table, secret) {
			t.Fatal("the table shows a secret")
		}
	}
	if lines := strings.Split(strings.TrimSpace(mustRun(t, "", "entries", "join-tokens", entryID, "--json")), "\n"); len(lines) != 2 {
		t.Fatalf("--json: %d lines, want 2", len(lines))
	}
	if _, _, err := runCLI(t, "", "entries", "join-tokens", "nope"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown entry: %v", err)
	}
}
