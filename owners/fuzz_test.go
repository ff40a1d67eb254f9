package owners

import (
	"strings"
	"testing"
)

// FuzzGitHubRepos: trust conditions come from imported IAM policies; any
// bytes give no panic and only repositories named exactly (owner/name,
// no wildcard).
func FuzzGitHubRepos(f *testing.F) {
	for _, seed := range []string{
		`{"StringLike":{"token.actions.githubusercontent.com:sub":["repo:northwind/ledger:ref:refs/heads/main","repo:northwind/*"]}}`,
		`{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:northwind/ledger:environment:prod","token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`,
		`{"StringLike":{"TOKEN.actions.githubusercontent.com:SUB":"repo:*"}}`,
		`{"StringLike":{"token.actions.githubusercontent.com:sub":7}}`,
		`null`, `[]`, `{"a":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, repo := range githubRepos(data) {
			org, name, ok := strings.Cut(repo, "/")
			if !ok || org == "" || name == "" || strings.ContainsAny(repo, "*?:") {
				t.Fatalf("repository %q from %s", repo, data)
			}
		}
	})
}
