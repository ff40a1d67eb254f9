package console

import (
	"strings"
	"testing"
)

// render writes a diff compactly: one mark and text per line.
func renderDiff(d []diffLine) string {
	var b strings.Builder
	for _, l := range d {
		if l.Kind == "gap" {
			b.WriteString("~" + l.Text + "\n")
			continue
		}
		b.WriteString(l.Mark() + l.Text + "\n")
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	cases := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", " a\n b\n"},
		{"both empty", "", "", ""},
		{"all new", "", "permit(x);\nforbid(y);\n", "+permit(x);\n+forbid(y);\n"},
		{"all removed", "a\nb", "", "-a\n-b\n"},
		{"line changed in the middle", "a\nb\nc\n", "a\nB\nc\n", " a\n-b\n+B\n c\n"},
		{"line inserted", "a\nc\n", "a\nb\nc\n", " a\n+b\n c\n"},
		{"line deleted", "a\nb\nc\n", "a\nc\n", " a\n-b\n c\n"},
		{"common lines kept between changes", "x\na\ny\nb\nz\n", "a\nq\nb\n", "-x\n a\n-y\n+q\n b\n-z\n"},
		{"moved line", "a\nb\nc\n", "b\nc\na\n", "-a\n b\n c\n+a\n"},
		{"repeated lines", "}\n}\n}\n", "}\nx\n}\n", " }\n-}\n+x\n }\n"},
		{"no final newline", "a\nb", "a\nb\n", " a\n b\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderDiff(lineDiff(splitLines(tc.a), splitLines(tc.b)))
			if got != tc.want {
				t.Fatalf("diff of %q and %q:\n%s\nwant:\n%s", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestLineDiff_IsMinimalAndRebuildsBothTexts checks, on texts big enough to
// need the table, that the context and deletions rebuild the old text,
// the context and additions the new one, and that the context is a longest
// common subsequence (its length is known by construction).
func TestLineDiff_IsMinimalAndRebuildsBothTexts(t *testing.T) {
	var a, b []string
	common := 0
	for i := range 300 {
		line := "line " + strings.Repeat("x", i%7)
		switch i % 5 {
		case 0:
			a = append(a, line+" old")
		case 1:
			b = append(b, line+" new")
		default:
			a, b = append(a, line), append(b, line)
			common++
		}
	}
	d := lineDiff(a, b)
	var oldText, newText []string
	ctx := 0
	for _, l := range d {
		switch l.Kind {
		case "ctx":
			oldText, newText = append(oldText, l.Text), append(newText, l.Text)
			ctx++
		case "del":
			oldText = append(oldText, l.Text)
		case "add":
			newText = append(newText, l.Text)
		}
	}
	if strings.Join(oldText, "\n") != strings.Join(a, "\n") || strings.Join(newText, "\n") != strings.Join(b, "\n") {
		t.Fatal("the diff does not rebuild both texts")
	}
	if ctx != common {
		t.Fatalf("%d context lines, want the %d common ones", ctx, common)
	}
}

func TestLineDiff_TooLargeFallsBackToReplace(t *testing.T) {
	n := 1600 // (n+1)^2 > maxDiffCells
	a, b := make([]string, n), make([]string, n)
	for i := range n {
		a[i], b[i] = "a"+strings.Repeat("1", i%3), "b"
	}
	a[0], b[0], a[n-1], b[n-1] = "same", "same", "end", "end"
	d := lineDiff(a, b)
	if len(d) != 2*n-2 || d[0].Kind != "ctx" || d[1].Kind != "del" || d[n-1].Kind != "add" || d[len(d)-1].Kind != "ctx" {
		t.Fatalf("fallback diff has %d lines, starts %v", len(d), d[:3])
	}
}

func TestCollapseContext(t *testing.T) {
	lines := func(kinds string) []diffLine {
		var d []diffLine
		for i, k := range kinds {
			kind := map[rune]string{'c': "ctx", '+': "add", '-': "del"}[k]
			d = append(d, diffLine{kind, string(rune('a' + i))})
		}
		return d
	}
	cases := []struct{ name, kinds, want string }{
		{"short runs stay", "cc+cc", " a\n b\n+c\n d\n e\n"},
		{"long leading run", "cccccc+", "~⋯ 4 unchanged lines\n e\n f\n+g\n"},
		{"long trailing run", "-cccccc", "-a\n b\n c\n~⋯ 4 unchanged lines\n"},
		{"long middle run", "+cccccccc-", "+a\n b\n c\n~⋯ 4 unchanged lines\n h\n i\n-j\n"},
		{"middle run one over", "+cccc-", "+a\n b\n c\n d\n e\n-f\n"},
		{"nothing changed", "cccccc", "~⋯ 6 unchanged lines\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderDiff(collapseContext(lines(tc.kinds), 2)); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
