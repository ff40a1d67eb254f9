package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// newImportEnv serves a real store with the importers wired as serve wires
// them, and points WARDEN_SERVER and WARDEN_TOKEN (operator) at it.
func newImportEnv(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.OpenSQLite(t)
	serveAPI(t, db, httpapi.Config{Discovery: newDiscovery(db)})
	t.Setenv(envToken, apiToken(t, db, "importer", warden.RoleOperator))
	return db
}

const awsSamples = "../../testdata/aws/"

func TestImportCmd_SampleAccountThenReimport(t *testing.T) {
	newImportEnv(t)
	first := mustRun(t, "", "import", "aws-iam", awsSamples+"northwind-gaad.json")
	mustRun(t, "", "import", "aws-credential-report", awsSamples+"credential-report.csv")
	trail := mustRun(t, "", "import", "cloudtrail", awsSamples+"cloudtrail")
	golden(t, "import_aws_iam.golden", strings.ReplaceAll(first, awsSamples, "testdata/aws/"))
	golden(t, "import_cloudtrail_dir.golden", strings.ReplaceAll(trail, awsSamples, "testdata/aws/"))

	out := mustRun(t, "", "import", "cloudtrail", "--json", awsSamples+"cloudtrail")
	var n int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rep warden.ImportReport
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if rep.Events.Created != 0 || rep.Identities.Created != 0 || rep.Events.Unchanged == 0 {
			t.Fatalf("re-import of %s changed something: %+v", rep.Ref, rep)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("directory import reported %d files, want 3", n)
	}

	events := mustRun(t, "", "events", "list", "--identity", "arn:aws:iam::402118867530:user/jenkins-deployer", "--provider", "aws")
	golden(t, "events_list_jenkins.golden", events)
}

func TestImportCmd_Errors(t *testing.T) {
	newImportEnv(t)
	bad := filepath.Join(t.TempDir(), "bad-trail.json")
	if err := os.WriteFile(bad, []byte(`{"Records":[{"eventID":"x","eventTime":"not a time"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"UnknownSource", "", []string{"import", "ldap", "x.json"}, `unknown source "ldap"`},
		{"MissingFile", "", []string{"import", "aws-iam", "/nonexistent/gaad.json"}, "/nonexistent/gaad.json"},
		{"MalformedNamesFileAndRecord", "", []string{"import", "cloudtrail", bad}, "bad-trail.json: record 1: field eventTime"},
		{"StdinNotGAAD", `{"hello": "world"}`, []string{"import", "aws-iam", "-"}, "stdin: no UserDetailList"},
		{"GitHubAuditNamesFileAndRecord", "", []string{"import", "github-audit", bad}, "bad-trail.json: record 1: an audit-log event needs _document_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCLI(t, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
