package demo

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/warden-nhi/warden"
)

// sshFingerprint renders a fake public-key fingerprint the way ssh-keygen
// prints one ("SHA256:" and unpadded base64). It names a public key, so it
// is not secret; the value it hashes is fake anyway.
func sshFingerprint(parts ...string) string {
	sum := sha256.Sum256([]byte(fingerprint(parts...)))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func (g *gen) github() {
	// GitHub Apps: ours hold private keys; third-party installations do not.
	apps := []struct {
		appID            int
		name, team, env  string
		purpose          string
		keyAges          []int
		installedByThird bool
	}{
		{412733, "nw-release-bot", "team-platform", "prod", "Tags releases, writes changelogs and merges release PRs", []int{45, 610}, false},
		{412901, "nw-deploy-app", "team-platform", "prod", "Opens deployment PRs in the gitops repository", []int{388}, false},
		{2740, "renovate", "team-platform", "prod", "Third-party dependency update app (org-wide, contents:write)", nil, true},
		{7100, "slack-github-integration", "", "", "", nil, true},
	}
	for _, a := range apps {
		var creds []*warden.Credential
		for n, age := range a.keyAges {
			creds = append(creds, g.cred(warden.CredentialPrivateKey, sshFingerprint("github-app", a.name, fmt.Sprint(n)),
				fmt.Sprintf("GitHub App private key %d", n+1), age, "github-app", a.name, fmt.Sprint(n)))
		}
		id := g.add(warden.KindOAuthApp, warden.ProviderGitHub, fmt.Sprintf("app/%d", a.appID), a.name, a.team, a.env, a.purpose, creds...)
		id.Labels["github-org"] = GitHubOrg
		if a.name == "slack-github-integration" {
			g.markUnmanaged(id)
		}
	}

	// Deploy keys: repository-scoped SSH keys used by machines.
	keys := []struct {
		repo, team, env, purpose string
		keyID, age               int
		write                    bool
	}{
		{"label-printer-bridge", "team-warehouse", "prod", "Depot printers pull firmware config", 88123401, 812, true},
		{"infra-terraform", "team-platform", "prod", "Terraform Cloud reads modules", 88123977, 402, false},
		{"warehouse-sync", "team-warehouse", "prod", "On-prem WMS connector pulls its config", 88124410, 133, false},
		{"customs-templates", "team-customs", "prod", "Declaration service reads document templates", 88125003, 57, false},
		{"legacy-edi", "", "prod", "EDI translator VM pushes generated mappings", 71002218, 1210, true},
		{"docs-site", "team-platform", "prod", "Docs build server pulls content", 88126630, 222, false},
	}
	for _, k := range keys {
		mode := "read-only"
		if k.write {
			mode = "read-write"
		}
		extID := fmt.Sprintf("%s/%s/keys/%d", GitHubOrg, k.repo, k.keyID)
		c := g.cred(warden.CredentialSSHKey, sshFingerprint("deploy-key", extID), mode+" deploy key", k.age, "deploy-key", extID)
		id := g.add(warden.KindCIIdentity, warden.ProviderGitHub, extID, k.repo+" deploy key", k.team, k.env, k.purpose+" ("+mode+")", c)
		id.Labels["repo"] = GitHubOrg + "/" + k.repo
		if k.repo == "legacy-edi" {
			g.pin(id, warden.StatusActive, "", g.ago(347))
		}
	}

	// GitHub Actions OIDC subjects: no stored secret at all.
	subjects := []struct{ repo, ref, team, env string }{
		{"shipment-api", "environment:production", "team-shipping", "prod"},
		{"shipment-api", "environment:staging", "team-shipping", "staging"},
		{"tracking-ingest", "environment:production", "team-tracking", "prod"},
		{"infra-terraform", "ref:refs/heads/main", "team-platform", "prod"},
		{"driver-app-backend", "environment:production", "team-mobile", "prod"},
		{"billing-worker", "environment:production", "team-billing", "prod"},
		{"pricing-engine", "environment:staging", "team-billing", "staging"},
		{"route-optimizer", "environment:production", "team-routing", "prod"},
		{"data-pipelines", "ref:refs/heads/main", "team-data", "prod"},
		{"hackathon-2024", "ref:refs/heads/main", "", "dev"},
	}
	for _, s := range subjects {
		sub := fmt.Sprintf("repo:%s/%s:%s", GitHubOrg, s.repo, s.ref)
		id := g.add(warden.KindCIIdentity, warden.ProviderGitHub, sub, s.repo+" actions ("+s.env+")", s.team, s.env,
			"GitHub Actions workflow identity (OIDC token, no stored secret)")
		id.Labels["repo"] = GitHubOrg + "/" + s.repo
		if s.repo == "hackathon-2024" {
			g.markUnmanaged(id)
		}
	}

	// Machine users with classic personal access tokens.
	build := g.add(warden.KindBot, warden.ProviderGitHub, "user/nw-build-bot", "nw-build-bot", "team-platform", "prod",
		"Machine user whose PAT clones private repos in legacy build jobs",
		g.cred(warden.CredentialToken, "classic PAT (repo, read:packages)", "personal access token without expiry", 540, "github-pat", "nw-build-bot"))
	build.Labels["github-org"] = GitHubOrg
	docs := g.add(warden.KindBot, warden.ProviderGitHub, "user/nw-docs-sync", "nw-docs-sync", "", "prod",
		"Machine user that syncs the wiki to Confluence",
		g.cred(warden.CredentialToken, "classic PAT (repo)", "personal access token without expiry", 803, "github-pat", "nw-docs-sync"))
	g.pin(docs, warden.StatusActive, "", g.ago(296))
}

func (g *gen) gitlab() {
	const host = "gitlab.northwind.example"
	runner := g.add(warden.KindCIIdentity, warden.ProviderGitLab, host+"/runners/4412", "edi-runner-01", "team-customs", "prod",
		"Self-hosted runner that builds the EDI translator",
		g.cred(warden.CredentialToken, "runner 4412", "runner authentication token", 690, "gitlab-runner", "4412"))
	runner.Labels["host"] = host
	tok := g.add(warden.KindCIIdentity, warden.ProviderGitLab, host+"/projects/118/access_tokens/77", "legacy-edi-translator deploy", "team-customs", "prod",
		"Project access token that pushes release artifacts",
		g.cred(warden.CredentialToken, "project 118 token 77", "project access token (maintainer)", 355, "gitlab-pat", "118", "77"))
	tok.Labels["host"] = host
	grp := g.add(warden.KindCIIdentity, warden.ProviderGitLab, host+"/groups/9/deploy_tokens/31", "ops-group deploy token", "", "prod",
		"Group deploy token for the old container registry",
		g.cred(warden.CredentialToken, "group 9 deploy token 31", "deploy token (read_registry)", 980, "gitlab-deploy", "9", "31"))
	grp.Labels["host"] = host
	g.pin(grp, warden.StatusActive, "", g.ago(163))
}
