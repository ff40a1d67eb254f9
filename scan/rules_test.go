package scan

import (
	"strings"
	"testing"
)

func mustScanner(tb testing.TB) *Scanner {
	tb.Helper()
	s, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func countRule(fs []Finding, rule string) int {
	n := 0
	for _, f := range fs {
		if f.Rule == rule {
			n++
		}
	}
	return n
}

// TestRules_Samples runs every rule's positive and negative samples through
// the full default rule set: each positive gives exactly one finding of its
// rule, each negative none.
func TestRules_Samples(t *testing.T) {
	s := mustScanner(t)
	for _, r := range s.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			for i, sample := range r.Positives {
				got := s.Scan([]byte(sample), Loc{File: "sample"})
				if n := countRule(got, r.ID); n != 1 {
					t.Errorf("positive %d: %d findings of %s, want 1: %q → %+v", i, n, r.ID, sample, got)
				}
				for _, f := range got {
					if f.Fingerprint == "" || f.Preview == "" || f.Line != 1 {
						t.Errorf("positive %d: incomplete finding %+v", i, f)
					}
				}
			}
			for i, sample := range r.Negatives {
				if n := countRule(s.Scan([]byte(sample), Loc{File: "sample"}), r.ID); n != 0 {
					t.Errorf("negative %d: %d findings of %s, want 0: %q", i, n, r.ID, sample)
				}
			}
		})
	}
}

// TestRules_Valid checks that every default rule is complete and that ids
// are unique.
func TestRules_Valid(t *testing.T) {
	seen := map[string]bool{}
	rules := DefaultRules()
	if len(rules) < 20 {
		t.Errorf("only %d default rules", len(rules))
	}
	for _, r := range rules {
		if err := r.validate(); err != nil {
			t.Error(err)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		for _, kw := range r.Keywords {
			if kw != strings.ToLower(kw) {
				t.Errorf("rule %s: keyword %q is not lower case", r.ID, kw)
			}
		}
	}
}

// TestRules_KeywordsPrefilter proves that each positive sample contains one
// of its rule's keywords, so the pre-filter never hides a true match.
func TestRules_KeywordsPrefilter(t *testing.T) {
	for _, r := range DefaultRules() {
		for i, sample := range r.Positives {
			ok := false
			for _, kw := range r.Keywords {
				ok = ok || strings.Contains(strings.ToLower(sample), kw)
			}
			if !ok {
				t.Errorf("rule %s positive %d has none of the keywords %v", r.ID, i, r.Keywords)
			}
		}
	}
}
