package console

import (
	"strconv"
	"strings"
)

// diffLine is one line of a line diff: Kind is "add", "del" or "ctx" (the
// CSS classes of .diff), or "gap" for a run of unchanged lines left out.
type diffLine struct {
	Kind string
	Text string
}

// Mark is the line's sign in the diff's left margin.
func (d diffLine) Mark() string {
	switch d.Kind {
	case "add":
		return "+"
	case "del":
		return "-"
	}
	return " "
}

// maxDiffCells bounds the LCS table (about 8 MB of int32). Two texts whose
// changed middle is larger than that are shown as the old lines removed
// and the new lines added, which is correct, only less precise.
const maxDiffCells = 2 << 20

// lineDiff returns the lines of a and b as a diff: a longest common
// subsequence of lines is kept as context, the other lines of a are
// deleted and those of b added, deletions before additions.
func lineDiff(a, b []string) []diffLine {
	// Common prefix and suffix need no table.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]diffLine, 0, len(a)+len(b))
	for _, l := range a[:pre] {
		out = append(out, diffLine{"ctx", l})
	}
	out = append(out, lcsDiff(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, diffLine{"ctx", l})
	}
	return out
}

// lcsDiff diffs two texts with no common first or last line by the
// classic dynamic programme: lcs[i][j] is the length of the longest common
// subsequence of a[i:] and b[j:].
func lcsDiff(a, b []string) []diffLine {
	var out []diffLine
	n, m := len(a), len(b)
	if n == 0 || m == 0 || (n+1)*(m+1) > maxDiffCells {
		for _, l := range a {
			out = append(out, diffLine{"del", l})
		}
		for _, l := range b {
			out = append(out, diffLine{"add", l})
		}
		return out
	}
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{"ctx", a[i]})
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, diffLine{"del", a[i]})
			i++
		default:
			out = append(out, diffLine{"add", b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{"del", a[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{"add", b[j]})
	}
	return out
}

// collapseContext keeps at most keep unchanged lines around each change
// and replaces longer unchanged runs by one "gap" line that says how many
// lines it leaves out.
func collapseContext(d []diffLine, keep int) []diffLine {
	var out []diffLine
	for i := 0; i < len(d); {
		if d[i].Kind != "ctx" {
			out = append(out, d[i])
			i++
			continue
		}
		j := i
		for j < len(d) && d[j].Kind == "ctx" {
			j++
		}
		head, tail := keep, keep // lines kept after the change before, before the change after
		if i == 0 {
			head = 0
		}
		if j == len(d) {
			tail = 0
		}
		if j-i <= head+tail+1 {
			out = append(out, d[i:j]...)
		} else {
			out = append(out, d[i:i+head]...)
			out = append(out, diffLine{"gap", "⋯ " + strconv.Itoa(j-i-head-tail) + " unchanged lines"})
			out = append(out, d[j-tail:j]...)
		}
		i = j
	}
	return out
}

// splitLines splits a text into lines; a final newline ends the last line
// rather than starting an empty one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
