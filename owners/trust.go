package owners

import (
	"encoding/json"
	"strings"

	"github.com/warden-nhi/warden"
)

const githubIssuer = "token.actions.githubusercontent.com"

// trustsGitHub reports whether a trust grant federates GitHub Actions'
// OIDC provider.
func trustsGitHub(g *warden.Grant) bool {
	for _, p := range g.Principals {
		if strings.Contains(p, githubIssuer) {
			return true
		}
	}
	return false
}

// githubRepos returns the repositories ("org/repo") the sub conditions of
// a GitHub OIDC trust pin ("repo:org/repo:ref:refs/heads/main",
// "repo:org/repo:*"); patterns with a wildcard in the owner or repository
// name name no repository and are left out.
func githubRepos(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var block map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &block) != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, keys := range block {
		for k, v := range keys {
			if !strings.EqualFold(k, githubIssuer+":sub") {
				continue
			}
			var values []string
			var one string
			if json.Unmarshal(v, &one) == nil {
				values = []string{one}
			} else if json.Unmarshal(v, &values) != nil {
				continue
			}
			for _, s := range values {
				rest, ok := strings.CutPrefix(s, "repo:")
				if !ok {
					continue
				}
				repo, _, _ := strings.Cut(rest, ":")
				org, name, ok := strings.Cut(repo, "/")
				if !ok || org == "" || name == "" || strings.ContainsAny(repo, "*?") || seen[repo] {
					continue
				}
				seen[repo] = true
				out = append(out, repo)
			}
		}
	}
	return out
}
