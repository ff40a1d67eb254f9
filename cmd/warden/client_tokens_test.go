package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestTokens_CreateListRevoke(t *testing.T) {
	newAPIEnv(t)
	out, errOut, err := runCLI(t, "", "tokens", "create", "ci-importer", "--role", "operator")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Secret:") || !strings.Contains(errOut, "not shown again") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	var id string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "ID:" {
			id = f[1]
		}
	}

	list := mustRun(t, "", "tokens", "list")
	if !strings.Contains(list, "ci-importer") || !strings.Contains(list, "operator") || !strings.HasPrefix(list, "ID ") {
		t.Errorf("tokens list:\n%s", list)
	}
	out = mustRun(t, "", "tokens", "revoke", id)
	if !strings.Contains(out, "revoked token "+id) {
		t.Errorf("revoke: %s", out)
	}
	out = mustRun(t, "", "tokens", "list", "--json")
	var revoked int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var tok warden.APIToken
		if err := json.Unmarshal([]byte(line), &tok); err != nil {
			t.Fatal(err)
		}
		if tok.RevokedAt != nil {
			revoked++
		}
	}
	if revoked != 1 {
		t.Errorf("%d revoked tokens in\n%s", revoked, out)
	}
}

func TestWhoami(t *testing.T) {
	e := newAPIEnv(t)
	out := mustRun(t, "", "whoami", "--json")
	var me struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Role        string   `json:"role"`
		Permissions []string `json:"permissions"`
	}
	if err := json.Unmarshal([]byte(out), &me); err != nil {
		t.Fatal(err)
	}
	if me.Name != "test-admin" || me.Role != "admin" || len(me.Permissions) == 0 {
		t.Errorf("whoami = %+v", me)
	}
	table := mustRun(t, "", "whoami")
	if !strings.Contains(table, "Server:       "+e.url) {
		t.Errorf("whoami table:\n%s", table)
	}
}

func TestAuditList_IsAddedToTheAuditCommand(t *testing.T) {
	e := newAPIEnv(t)
	root := newRootCmd(nil, nil)
	var audits int
	for _, c := range root.Commands() {
		if c.Name() == "audit" {
			audits++
			var names []string
			for _, sub := range c.Commands() {
				names = append(names, sub.Name())
			}
			if !strings.Contains(strings.Join(names, ","), "list") || !strings.Contains(strings.Join(names, ","), "verify") {
				t.Errorf("audit sub-commands = %v, want list and verify", names)
			}
		}
	}
	if audits != 1 {
		t.Fatalf("%d audit commands", audits)
	}

	e.loadDemo(t, time.Now())
	out := mustRun(t, "", "audit", "list", "--limit", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "SEQ") || !strings.Contains(out, "system:demo") {
		t.Errorf("audit list:\n%s", out)
	}
	out = mustRun(t, "", "audit", "list", "--action", "credential.create", "--json")
	var rec warden.AuditRecord
	first, _, _ := strings.Cut(out, "\n")
	if err := json.Unmarshal([]byte(first), &rec); err != nil || rec.Action != "credential.create" {
		t.Errorf("audit list --json first line %q (%v)", first, err)
	}
	// --newest starts at the latest record: a higher sequence number than
	// the oldest-first list's first.
	oldest, _, _ := strings.Cut(mustRun(t, "", "audit", "list", "--limit", "1", "--json"), "\n")
	newest, _, _ := strings.Cut(mustRun(t, "", "audit", "list", "--newest", "--limit", "1", "--json"), "\n")
	var o, n warden.AuditRecord
	if json.Unmarshal([]byte(oldest), &o) != nil || json.Unmarshal([]byte(newest), &n) != nil || o.Seq != 1 || n.Seq <= o.Seq {
		t.Errorf("audit list --newest: first %q, oldest-first first %q", newest, oldest)
	}
}
