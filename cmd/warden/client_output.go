package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// jsonLines writes values as JSON Lines: one compact object per line.
type jsonLines struct{ enc *json.Encoder }

func newJSONLines(w io.Writer) *jsonLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonLines{enc: enc}
}

func (j *jsonLines) write(v any) error {
	if err := j.enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table writes aligned columns. The header is written with the first row,
// so an empty list prints nothing rather than a lone header.
type table struct {
	tw     *tabwriter.Writer
	header []string
	rows   int
}

func newTable(w io.Writer, header ...string) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), header: header}
}

// row writes one line; tabs and newlines in cells would break the layout,
// so they become spaces.
func (t *table) row(cells ...string) {
	if t.rows == 0 && len(t.header) > 0 {
		t.write(t.header)
	}
	t.rows++
	t.write(cells)
}

func (t *table) write(cells []string) {
	clean := make([]string, len(cells))
	for i, c := range cells {
		clean[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
	}
	fmt.Fprintln(t.tw, strings.Join(clean, "\t"))
}

// flush writes the table out. For a list with no rows it tells stderr that
// nothing matched, naming what was listed.
func (t *table) flush(stderr io.Writer, what string) error {
	if err := t.tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if t.rows == 0 && what != "" {
		fmt.Fprintf(stderr, "no %s found\n", what)
	}
	return nil
}

// jsonFields lists the JSON field names of a struct type, for help texts;
// help that is generated from the type cannot drift from the output.
func jsonFields(v any) string {
	t := reflect.TypeOf(v)
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// jsonHelp is the paragraph every command with --json adds to its help.
func jsonHelp(fields string) string {
	return wrap("With --json, each item is printed as one JSON object per line (JSON Lines) with the API's field names: "+fields+".", 90)
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		if i > 0 {
			if line+1+len(word) > width {
				b.WriteByte('\n')
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

// ago renders how long before now t was: "93d ago", "5h ago", "just now",
// "never" for nil, and "in 3d" for a time in the future.
func ago(now time.Time, t *time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	if d < 0 {
		return "in " + span(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return span(d) + " ago"
}

// until renders a deadline relative to now: "in 12d", "3d ago", "-" for nil.
func until(now time.Time, t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ago(now, t)
}

func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", max(int(d/time.Minute), 1))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

// stamp renders a time in UTC with its relative age, for detail views.
func stamp(now time.Time, t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339) + " (" + ago(now, t) + ")"
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// formatLabels renders labels as "k=v, k2=v2", sorted by key.
func formatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return orDash(strings.Join(parts, ", "))
}
