package scan

import "regexp"

// vcsRules detect GitHub and GitLab tokens.
func vcsRules() []*Rule {
	return []*Rule{
		{
			ID:          "github-token",
			Description: "GitHub token (personal, OAuth, app installation, user-to-server or refresh)",
			Type:        typeToken,
			Keywords:    []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"},
			Pattern:     regexp.MustCompile(pre + `(gh[pousr]_[A-Za-z0-9]{36})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"GITHUB_TOKEN=ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v",
				`token: "gho_YcpprQyq37B9TV5Ef2e3baQTPVqENksaQOsI"`,
				"https://x-access-token:ghs_nkKECg2j2ZsxLnPRKPAmhsKYrUmQJmy46HRi@github.com/nw/app.git",
			},
			Negatives: []string{
				"ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8n",
				"ghp_000000000000000000000000000000000000",
				"prefix ghp_ marks personal access tokens",
			},
		},
		{
			ID:          "github-fine-grained-pat",
			Description: "GitHub fine-grained personal access token",
			Type:        typeToken,
			Keywords:    []string{"github_pat_"},
			Pattern:     regexp.MustCompile(pre + `(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"GH_TOKEN=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",
			},
			Negatives: []string{
				"github_pat_0rj83mcTC0G54d3h1UyI5U",
				"tokens start with github_pat_ and are 93 characters long",
			},
		},
		{
			ID:          "gitlab-token",
			Description: "GitLab personal, deploy, runner or CI build token",
			Type:        typeToken,
			Keywords:    []string{"glpat-", "gldt-", "glrt-", "glcbt-", "glptt-"},
			Pattern:     regexp.MustCompile(pre + `((?:glpat|gldt|glrt|glcbt|glptt)-[A-Za-z0-9_\-]{20,64})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Check:       mixedOK,
			Positives: []string{
				"GITLAB_TOKEN=glpat-QW3VkrMKYGis-gGQ8c5-",
				`private_token: "glpat-QW3VkrMKYGis-gGQ8c5-"`,
			},
			Negatives: []string{
				"glpat-xxxxxxxxxxxxxxxxxxxx",
				"glpat-QW3VkrMK",
			},
		},
	}
}
