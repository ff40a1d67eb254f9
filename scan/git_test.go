package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo is a throw-away repository a test builds commit by commit.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Dana Dev", "GIT_AUTHOR_EMAIL=dana@nw-freight.test",
		"GIT_COMMITTER_NAME=Dana Dev", "GIT_COMMITTER_EMAIL=dana@nw-freight.test",
		"GIT_AUTHOR_DATE=2026-02-03T10:00:00Z", "GIT_COMMITTER_DATE=2026-02-03T10:00:00Z",
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// TestScanGitHistory_RemovedSecretIsFoundWithItsCommit adds a key in one
// commit, removes it in the next, and expects the scan of the history to
// name the commit, author, date, path and line that added it.
func TestScanGitHistory_RemovedSecretIsFoundWithItsCommit(t *testing.T) {
	r := newGitRepo(t)
	r.write("README.md", "# deploy tools\n")
	r.commit("initial")
	r.write("deploy/env.sh", "#!/bin/sh\nset -e\nexport AWS_ACCESS_KEY_ID=AKIAFAKEBVEPDTBMDE6P\nexport REGION=eu-west-1\n")
	r.write("keys/ci.pem", testRSAKeyPEM)
	added := r.commit("add deploy env")
	r.write("deploy/env.sh", "#!/bin/sh\nset -e\nexport REGION=eu-west-1\n")
	if err := os.Remove(filepath.Join(r.dir, "keys/ci.pem")); err != nil {
		t.Fatal(err)
	}
	r.commit("remove the key")
	r.git("checkout", "-q", "-b", "feature")
	r.write("app/config.yaml", "slack:\n  token: xoxb-419696634473-8376771388793-5mpIlHB4R5n9yhXU3qjVfmXB\n")
	branch := r.commit("slack on a branch")
	r.git("checkout", "-q", "main")

	// The working tree is clean now: a plain file scan finds nothing.
	s := mustScanner(t)
	files, err := s.ScanPaths(context.Background(), []string{r.dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files.Findings) != 0 {
		t.Fatalf("working tree findings: %+v", files.Findings)
	}

	res, err := s.ScanGitHistory(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		rule, file, commit string
		line               int
	}
	wants := []want{
		{"slack-token", "app/config.yaml", branch, 2},
		{"aws-access-key-id", "deploy/env.sh", added, 3},
		{"private-key", "keys/ci.pem", added, 1},
	}
	if len(res.Findings) != len(wants) {
		t.Fatalf("%d findings, want %d: %+v", len(res.Findings), len(wants), res.Findings)
	}
	for i, w := range wants {
		f := res.Findings[i]
		if f.Rule != w.rule || f.File != w.file || f.Commit != w.commit || f.Line != w.line {
			t.Errorf("finding %d = %s %s:%d @%s, want %s %s:%d @%s", i, f.Rule, f.File, f.Line, f.Commit, w.rule, w.file, w.line, w.commit)
		}
		if f.Author != "Dana Dev <dana@nw-freight.test>" || f.Date == nil || f.Date.Format("2006-01-02") != "2026-02-03" {
			t.Errorf("finding %d: author %q date %v", i, f.Author, f.Date)
		}
	}
}

// TestScanGitStaged_FindsOnlyStagedSecrets is the pre-commit mode: what is
// staged is scanned, unstaged edits are not.
func TestScanGitStaged_FindsOnlyStagedSecrets(t *testing.T) {
	r := newGitRepo(t)
	r.write("app.env", "LOG_LEVEL=info\n")
	r.commit("initial")
	r.write("app.env", "LOG_LEVEL=info\nSTRIPE_KEY=sk_live_dHS1aoy3C4ExDbfbPXWwVHgg\n")
	r.git("add", "app.env")
	r.write("notes.txt", "GITHUB_TOKEN=ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v\n") // not staged
	res, err := mustScanner(t).ScanGitStaged(context.Background(), r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "stripe-secret-key" || res.Findings[0].Line != 2 || res.Findings[0].Commit != "" {
		t.Fatalf("staged findings = %+v", res.Findings)
	}
}

func TestScanGitHistory_NotARepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	_, err := mustScanner(t).ScanGitHistory(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "git log") {
		t.Fatalf("err = %v, want a git log error", err)
	}
}

// TestScanPatch_PlusPlusLineIsContent checks that an added line starting
// with "++ " is scanned as content, not taken for a file header.
func TestScanPatch_PlusPlusLineIsContent(t *testing.T) {
	patch := "diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -0,0 +7,2 @@\n+++ token ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v\n+plain\n"
	res, err := mustScanner(t).ScanPatch(strings.NewReader(patch))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].File != "x.txt" || res.Findings[0].Line != 7 {
		t.Fatalf("findings = %+v", res.Findings)
	}
}
