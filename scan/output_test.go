package scan

import (
	"github.com/warden-nhi/warden"

	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusSecrets returns every secret value the rules match in the corpus
// files and history, found independently of Scan's output.
func corpusSecrets(tb testing.TB, s *Scanner) []string {
	tb.Helper()
	var secrets []string
	public := map[string]bool{}
	collect := func(data []byte) {
		for _, h := range s.index.find(data, nil) {
			r := s.rules[h.Rule]
			var ms []match
			if r.Block != nil {
				ms = r.Block(data, h.End)
			} else {
				lo, hi := lineWindow(data, h.End-1)
				for _, ix := range r.Pattern.FindAllSubmatchIndex(data[lo:hi], -1) {
					g := r.SecretGroup
					ms = append(ms, match{secretStart: lo + ix[2*g], secretEnd: lo + ix[2*g+1]})
				}
			}
			// Key ids (AWS, GCP) are public by design: outputs carry
			// them as public_id so that they can be correlated.
			for _, m := range ms {
				if v := data[m.secretStart:m.secretEnd]; s.accept(r, v) {
					if r.PublicID != nil {
						public[string(v)] = true
					} else {
						secrets = append(secrets, string(v))
					}
				}
			}
		}
	}
	err := filepath.WalkDir(corpusFiles, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && !isBinary(data) {
			collect(data)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	hist, err := os.ReadFile(corpusHistory)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(hist), "\n") {
		if strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "+++") {
			collect([]byte(line[1:]))
		}
	}
	out := secrets[:0]
	for _, sec := range secrets {
		if !public[sec] {
			out = append(out, sec)
		}
	}
	return out
}

// AssertNoSecrets fails when out contains any of the secrets, or any
// 12-byte piece of one (long enough to be no coincidence).
func assertNoSecrets(tb testing.TB, what string, out []byte, secrets []string) {
	tb.Helper()
	for _, sec := range secrets {
		if bytes.Contains(out, []byte(sec)) {
			tb.Errorf("%s contains a secret (%.4s…)", what, sec)
			continue
		}
		// Private-key bodies are long: look for any line of them too.
		for _, piece := range strings.Fields(strings.ReplaceAll(sec, `\n`, "\n")) {
			if len(piece) >= 24 && bytes.Contains(out, []byte(piece)) {
				tb.Errorf("%s contains part of a secret (%.4s…)", what, piece)
			}
		}
	}
}

// TestOutput_NoSecretInAnyFormat scans the corpus and checks that no
// secret value appears in the findings' JSON Lines, table or SARIF output.
func TestOutput_NoSecretInAnyFormat(t *testing.T) {
	s := mustScanner(t)
	secrets := corpusSecrets(t, s)
	if len(secrets) < 25 {
		t.Fatalf("only %d secrets collected from the corpus", len(secrets))
	}
	res := scanCorpus(t, s)
	for name, write := range map[string]func(*bytes.Buffer) error{
		"json":  func(b *bytes.Buffer) error { return WriteJSONLines(b, res.Findings) },
		"table": func(b *bytes.Buffer) error { return WriteTable(b, res.Findings) },
		"sarif": func(b *bytes.Buffer) error { return WriteSARIF(b, s.Rules(), res.Findings, "test") },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			if buf.Len() < 1000 {
				t.Fatalf("output is suspiciously short: %d bytes", buf.Len())
			}
			assertNoSecrets(t, name+" output", buf.Bytes(), secrets)
		})
	}
	// The test must be able to fail: the secrets are in the corpus itself.
	raw, err := os.ReadFile(filepath.Join(corpusFiles, "config/app.env"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sec := range secrets {
		found = found || bytes.Contains(raw, []byte(sec))
	}
	if !found {
		t.Fatal("the collected secrets do not occur in the corpus")
	}
}

// TestSARIF_Golden compares the SARIF log of the corpus with its golden
// file and checks the structure code-scanning UIs rely on.
func TestSARIF_Golden(t *testing.T) {
	s := mustScanner(t)
	res := scanCorpus(t, s)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, s.Rules(), res.Findings, "test"); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/corpus/expected.sarif"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("SARIF differs from %s (go test ./scan -run SARIF -update)", golden)
	}
	validateSARIF(t, buf.Bytes(), len(res.Findings))
}

// validateSARIF checks the SARIF 2.1.0 structure: version and schema, one
// run with a named driver, unique rule ids, and results whose rule id and
// index agree, with a relative artifact URI, a region from line 1, a
// message and a fingerprint.
func validateSARIF(t *testing.T, data []byte, results int) {
	t.Helper()
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string                `json:"id"`
						ShortDescription struct{ Text string } `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                `json:"ruleId"`
				RuleIndex *int                  `json:"ruleIndex"`
				Level     string                `json:"level"`
				Message   struct{ Text string } `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "warden" || len(run.Tool.Driver.Rules) == 0 {
		t.Fatalf("driver %+v", run.Tool.Driver)
	}
	ids := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || ids[r.ID] || r.ShortDescription.Text == "" {
			t.Errorf("bad or duplicate rule %+v", r)
		}
		ids[r.ID] = true
	}
	if len(run.Results) != results {
		t.Fatalf("%d results, want %d", len(run.Results), results)
	}
	for i, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleId %s does not match ruleIndex %v", i, r.RuleID, r.RuleIndex)
		}
		if r.Level != "error" || r.Message.Text == "" || len(r.Locations) != 1 || len(r.PartialFingerprints["secretSha256/v1"]) != 64 {
			t.Errorf("result %d incomplete: %+v", i, r)
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI == "" || strings.HasPrefix(loc.ArtifactLocation.URI, "/") || loc.Region.StartLine < 1 || loc.Region.StartColumn < 1 {
			t.Errorf("result %d: location %+v", i, loc)
		}
	}
}

// TestBaseline_AcceptsKnownFindings feeds a previous JSON report back as a
// baseline: its findings are accepted, a new secret is not, and a known
// secret that moved to another line stays accepted.
func TestBaseline_AcceptsKnownFindings(t *testing.T) {
	s := mustScanner(t)
	before := s.Scan([]byte("a=1\nSTRIPE=sk_live_dHS1aoy3C4ExDbfbPXWwVHgg\n"), Loc{File: "app.env"})
	var report bytes.Buffer
	if err := WriteJSONLines(&report, before); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBaseline(&report)
	if err != nil {
		t.Fatal(err)
	}
	after := s.Scan([]byte("a=1\nb=2\nSTRIPE=sk_live_dHS1aoy3C4ExDbfbPXWwVHgg\nGH=ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v\n"), Loc{File: "app.env"})
	fresh := b.New(after)
	if len(after) != 2 || len(fresh) != 1 || fresh[0].Rule != "github-token" {
		t.Fatalf("after %d findings, new %+v", len(after), fresh)
	}
	for name, in := range map[string]string{
		"NotJSON":       "not json\n",
		"NoFingerprint": `{"rule":"jwt","file":"x"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadBaseline(strings.NewReader(in)); err == nil {
				t.Fatal("bad baseline accepted")
			}
		})
	}
}

// TestTable_ShowsLocationRuleAndIdentity checks the table layout.
func TestTable_ShowsLocationRuleAndIdentity(t *testing.T) {
	fs := []Finding{
		{Rule: "aws-access-key-id", File: "ci.yml", Line: 3, Preview: "AKIA****", Commit: "0123456789abcdef0123",
			Identity: &warden.BlastRadius{ExternalID: "arn:aws:iam::402118867530:user/ci", Owner: "team-platform"}},
		{Rule: "jwt", File: "a b.js", Line: 9, Preview: "eyJh****"},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, fs); err != nil {
		t.Fatal(err)
	}
	want := "LOCATION               RULE               PREVIEW   IDENTITY\n" +
		"ci.yml:3@0123456789ab  aws-access-key-id  AKIA****  arn:aws:iam::402118867530:user/ci (owner team-platform)\n" +
		"a b.js:9               jwt                eyJh****  -\n"
	if buf.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// lineWindow returns the bounds of the line holding offset at, clipped to
// maxWindow bytes either side.
func lineWindow(data []byte, at int) (int, int) {
	lo := max(0, at-maxWindow)
	if i := bytes.LastIndexByte(data[lo:at], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := min(len(data), at+maxWindow)
	if i := bytes.IndexByte(data[at:hi], '\n'); i >= 0 {
		hi = at + i
	}
	return lo, hi
}
