package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	corpusFiles   = "testdata/corpus/files"
	corpusHistory = "testdata/corpus/history.gitlog"
	corpusGolden  = "testdata/corpus/expected.jsonl"
)

// scanCorpus scans the corpus files and the corpus history log, with paths
// relative to the corpus.
func scanCorpus(tb testing.TB, s *Scanner) *Result {
	tb.Helper()
	res, err := s.ScanPaths(context.Background(), []string{corpusFiles}, Options{Workers: 2})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range res.Findings {
		res.Findings[i].File = strings.TrimPrefix(res.Findings[i].File, corpusFiles+"/")
	}
	f, err := os.Open(corpusHistory)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	hist, err := s.ScanPatch(f)
	if err != nil {
		tb.Fatal(err)
	}
	res.Findings = append(res.Findings, hist.Findings...)
	SortFindings(res.Findings)
	return res
}

// TestCorpus_MatchesGolden scans the project's corpus of realistic files
// (configuration, dotfiles, CI YAML, source, Terraform, Kubernetes, keys)
// and a git history in which a secret was added and then removed, and
// expects exactly the findings of the golden file: no miss, no extra.
func TestCorpus_MatchesGolden(t *testing.T) {
	res := scanCorpus(t, mustScanner(t))
	var buf bytes.Buffer
	if err := WriteJSONLines(&buf, res.Findings); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(corpusGolden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(corpusGolden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
		t.Fatalf("findings differ from %s (run go test ./scan -run Corpus -update after checking them)", corpusGolden)
	}
	wantSkips := []Skip{{File: corpusFiles + "/assets/logo.png", Reason: "binary"}}
	if len(res.Skipped) != 1 || res.Skipped[0] != wantSkips[0] {
		t.Errorf("skipped = %+v, want %+v", res.Skipped, wantSkips)
	}
}

// TestCorpus_EveryRuleIsExercised keeps the corpus honest: each default
// rule has at least one finding in it.
func TestCorpus_EveryRuleIsExercised(t *testing.T) {
	s := mustScanner(t)
	res := scanCorpus(t, s)
	for _, r := range s.Rules() {
		if countRule(res.Findings, r.ID) == 0 {
			t.Errorf("rule %s finds nothing in the corpus", r.ID)
		}
	}
	for _, f := range res.Findings {
		if f.Commit != "" && (f.Author == "" || f.Date == nil) {
			t.Errorf("history finding without author or date: %+v", f)
		}
	}
}

// TestCorpus_GoldenIsWellFormed decodes every golden line as a finding with
// the fields a finding needs.
func TestCorpus_GoldenIsWellFormed(t *testing.T) {
	data, err := os.ReadFile(corpusGolden)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var f Finding
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if f.Rule == "" || f.File == "" || f.Line < 1 || len(f.Fingerprint) != 64 || f.Preview == "" {
			t.Errorf("line %d: incomplete finding %s", i+1, line)
		}
		if _, err := os.Stat(filepath.Join(corpusFiles, f.File)); err != nil && f.Commit == "" {
			t.Errorf("line %d: file %s is not in the corpus", i+1, f.File)
		}
	}
}
