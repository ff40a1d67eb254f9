package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// commitMarker starts each commit header in the git log format used here;
// NUL cannot occur in a patch line, so headers are unambiguous.
const commitMarker = "\x00commit "

// gitLogArgs print every commit reachable from any ref with the lines it
// added, without context, renames or external diff drivers.
var gitLogArgs = []string{
	"-c", "core.quotePath=false", "-c", "diff.noprefix=false",
	"log", "--all", "--full-history", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
	"--no-renames", "--diff-filter=AM", "--format=%x00commit %H%x00%an <%ae>%x00%aI",
}

// ScanGitHistory scans every commit reachable from any ref of the git
// repository at dir: each line a commit added is scanned once, and
// findings carry the commit, its author and date, and the path and line in
// that commit. A secret added and later removed is still found.
func (s *Scanner) ScanGitHistory(ctx context.Context, dir string) (*Result, error) {
	return s.scanGit(ctx, dir, gitLogArgs)
}

// ScanGitStaged scans what "git commit" would add now: the staged diff of
// the repository at dir (pre-commit mode). Findings have no commit.
func (s *Scanner) ScanGitStaged(ctx context.Context, dir string) (*Result, error) {
	return s.scanGit(ctx, dir, []string{"-c", "core.quotePath=false", "-c", "diff.noprefix=false",
		"diff", "--cached", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--diff-filter=AM"})
}

func (s *Scanner) scanGit(ctx context.Context, dir string, args []string) (*Result, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run git in %s: %w", dir, err)
	}
	res, perr := s.ScanPatch(out)
	if perr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git %s in %s: %w: %s", args[4], dir, err, strings.TrimSpace(stderr.String()))
	}
	if perr != nil {
		return nil, perr
	}
	return res, nil
}

// maxPatchLine bounds one line of a patch; longer lines are skipped.
const maxPatchLine = 1 << 20

// ScanPatch scans the added lines of a unified diff with zero context as
// "git log -p -U0" (with the commit header format of gitLogArgs) or "git
// diff -U0" print it. The added lines of each hunk are scanned together,
// so a private key added in one hunk is found whole.
func (s *Scanner) ScanPatch(r io.Reader) (*Result, error) {
	p := patchScanner{s: s, res: &Result{}}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			p.line(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read patch: %w", err)
		}
	}
	p.flush()
	SortFindings(p.res.Findings)
	return p.res, nil
}

// readLine returns the next line without its line break; lines longer
// than maxPatchLine are cut (the rest is discarded).
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxPatchLine {
				long = append(long, chunk...)
			}
			continue
		}
		if long != nil {
			chunk = append(long, chunk...)
		}
		return bytes.TrimSuffix(chunk, []byte("\n")), err
	}
}

// patchScanner follows a patch line by line.
type patchScanner struct {
	s      *Scanner
	res    *Result
	st     state
	loc    Loc  // commit, author, date, file of the current hunk
	binary bool // current file is binary
	header bool // between "diff --git" and the first hunk
	start  int  // new-file line of the first added line of the hunk
	added  []byte
	files  map[string]bool
}

func (p *patchScanner) line(l []byte) {
	switch {
	case bytes.HasPrefix(l, []byte(commitMarker)):
		p.flush()
		parts := strings.Split(string(l[len(commitMarker):]), "\x00")
		p.loc = Loc{Commit: parts[0]}
		if len(parts) > 2 {
			p.loc.Author, p.loc.Date = parts[1], parts[2]
		}
	case bytes.HasPrefix(l, []byte("diff --git ")):
		p.flush()
		p.loc.File, p.binary, p.header = "", false, true
	case p.header && bytes.HasPrefix(l, []byte("+++ ")):
		name := string(l[4:])
		if name == "/dev/null" {
			p.loc.File = ""
		} else {
			p.loc.File = unquoteGitPath(strings.TrimPrefix(name, "b/"))
		}
		if p.files == nil {
			p.files = map[string]bool{}
		}
		if p.loc.File != "" && !p.files[p.loc.File] {
			p.files[p.loc.File] = true
			p.res.Files++
		}
	case bytes.HasPrefix(l, []byte("Binary files ")):
		p.binary = true
		if p.loc.File == "" {
			p.res.Skipped = append(p.res.Skipped, Skip{File: binaryPatchName(string(l)), Reason: "binary"})
		}
	case bytes.HasPrefix(l, []byte("@@ ")):
		p.flush()
		p.header = false
		p.start = hunkStart(l)
	case len(l) > 0 && l[0] == '+' && p.loc.File != "" && !p.binary:
		p.added = append(p.added, l[1:]...)
		p.added = append(p.added, '\n')
	}
}

// flush scans the added lines of the hunk that just ended.
func (p *patchScanner) flush() {
	if len(p.added) == 0 {
		return
	}
	loc := p.loc
	loc.FirstLine = p.start
	p.res.Bytes += int64(len(p.added))
	p.res.Findings = p.s.scan(p.added, loc, &p.st, p.res.Findings)
	p.added = p.added[:0]
}

// hunkStart parses the new-file start line of "@@ -a,b +c,d @@".
func hunkStart(l []byte) int {
	i := bytes.Index(l, []byte(" +"))
	if i < 0 {
		return 1
	}
	rest := l[i+2:]
	end := bytes.IndexAny(rest, ", ")
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(string(rest[:end]))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// unquoteGitPath undoes git's C-style quoting of unusual path names.
func unquoteGitPath(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return strings.TrimPrefix(u, "b/")
		}
	}
	return s
}

func binaryPatchName(l string) string {
	if i := strings.Index(l, " and b/"); i >= 0 {
		return strings.TrimSuffix(l[i+len(" and b/"):], " differ")
	}
	return l
}

// parseGitDate parses git's strict ISO 8601 date, or returns nil.
func parseGitDate(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
