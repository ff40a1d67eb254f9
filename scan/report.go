package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSONLines writes one JSON object per finding.
func WriteJSONLines(w io.Writer, findings []Finding) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range findings {
		if err := enc.Encode(&findings[i]); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}

// WriteTable writes the findings as aligned columns for people: location,
// rule, redacted preview, and the identity when correlated.
func WriteTable(w io.Writer, findings []Finding) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCATION\tRULE\tPREVIEW\tIDENTITY")
	for _, f := range findings {
		loc := fmt.Sprintf("%s:%d", f.File, f.Line)
		if f.Commit != "" {
			loc += "@" + f.Commit[:min(len(f.Commit), 12)]
		}
		id := "-"
		if c := f.Identity; c != nil {
			id = c.ExternalID
			if c.Owner != "" {
				id += " (owner " + c.Owner + ")"
			} else {
				id += " (no owner)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell(loc), f.Rule, cell(f.Preview), cell(id))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// Baseline is a set of accepted findings. A finding is in the baseline
// when one with the same rule, file and secret fingerprint is, so that
// edits moving a known secret to another line do not raise it again.
type Baseline map[baselineKey]bool

type baselineKey struct{ rule, file, fingerprint string }

// maxBaselineLine bounds one line of a baseline file.
const maxBaselineLine = 1 << 20

// ReadBaseline reads a baseline: the JSON Lines output of a previous scan
// (warden scan --format json). Blank lines are ignored; any other line
// must be a finding object with rule, file and fingerprint.
func ReadBaseline(r io.Reader) (Baseline, error) {
	b := Baseline{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxBaselineLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var f Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return nil, fmt.Errorf("baseline line %d: not a JSON finding: %w", n, err)
		}
		if f.Rule == "" || f.Fingerprint == "" {
			return nil, fmt.Errorf("baseline line %d: rule and fingerprint are required", n)
		}
		b[baselineKey{f.Rule, f.File, f.Fingerprint}] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	return b, nil
}

// Contains reports whether f is accepted by the baseline.
func (b Baseline) Contains(f *Finding) bool { return b[baselineKey{f.Rule, f.File, f.Fingerprint}] }

// New returns the findings the baseline does not accept.
func (b Baseline) New(findings []Finding) []Finding {
	var out []Finding
	for i := range findings {
		if !b.Contains(&findings[i]) {
			out = append(out, findings[i])
		}
	}
	return out
}
