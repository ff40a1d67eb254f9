package policy

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var exampleNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRunTests_ExamplePoliciesPass(t *testing.T) {
	results, err := RunTests("../examples/policies", exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 10 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s: want %s, got %s %v %v %s", r.Name, r.Want, r.Got, r.Policies, r.Errors, r.Problem)
		}
	}
}

// TestRunTests_CandidateFailsTheSameTests: the stricter candidate set
// changes decisions the tests pin, so the runner must report failures.
func TestRunTests_CandidateFailsTheSameTests(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"schema.cedarschema", "payments.cedar", "platform.cedar"} {
		copyFile(t, filepath.Join("../examples/policies-strict", f), filepath.Join(dir, f))
	}
	copyFile(t, "../examples/policies/tests/northwind.json", filepath.Join(dir, "tests", "northwind.json"))
	results, err := RunTests(dir, exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, r := range results {
		if !r.Pass {
			failed[r.Name] = true
		}
	}
	for _, want := range []string{"checkout reads the payments db password", "agent token with scope reads"} {
		if !failed[want] {
			t.Errorf("case %q passed against the candidate", want)
		}
	}
	if failed["unowned prod identity may not write"] {
		t.Error("an unchanged decision failed")
	}
}

func TestParseTestFile_RejectsBadFiles(t *testing.T) {
	for name, data := range map[string]string{
		"UnknownField":     `{"cases":[],"colour":1}`,
		"BadDecision":      `{"cases":[{"name":"x","principal":{"type":"Identity","id":"a"},"action":{"id":"r"},"resource":{"type":"D","id":"d"},"decision":"maybe"}]}`,
		"NoPrincipal":      `{"cases":[{"name":"x","action":{"id":"r"},"resource":{"type":"D","id":"d"},"decision":"allow"}]}`,
		"NotJSON":          `{"cases":`,
		"UnknownCaseField": `{"cases":[{"name":"x","principle":{"type":"Identity","id":"a"},"decision":"allow"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseTestFile([]byte(data)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
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
