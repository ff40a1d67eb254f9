package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestImportCmd_KubernetesAndGitHubAuditLogs uploads the sample cluster's
// RBAC and audit log and the sample GitHub organisation's audit log
// through the server, then again: the second round changes nothing.
func TestImportCmd_KubernetesAndGitHubAuditLogs(t *testing.T) {
	newImportEnv(t)
	steps := []struct {
		source, path              string
		records, skipped, created int // created events (identities for k8s)
	}{
		{"k8s", "../../testdata/k8s/northwind-prod-rbac.json", 7, 0, 7},
		{"k8s-audit", "../../testdata/k8s/audit-northwind-prod.jsonl", 15, 5, 10},
		{"github-audit", "../../testdata/github/northwind-audit.jsonl", 19, 1, 18},
	}
	for round := 0; round < 2; round++ {
		for _, s := range steps {
			out := mustRun(t, "", "import", s.source, "--json", s.path)
			var rep warden.ImportReport
			if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); err != nil {
				t.Fatalf("%s: %v\n%s", s.source, err, out)
			}
			created := rep.Events.Created
			if s.source == "k8s" {
				created = rep.Identities.Created
			}
			if round == 1 {
				if rep.Events.Created+rep.Identities.Created+rep.Identities.Updated+rep.Credentials.Created+rep.Credentials.Updated != 0 {
					t.Fatalf("re-import of %s changed something: %+v", s.source, rep)
				}
				continue
			}
			if rep.Source != s.source || rep.Records != s.records || rep.Skipped != s.skipped || created != s.created {
				t.Fatalf("%s: %+v", s.source, rep)
			}
		}
	}
}
