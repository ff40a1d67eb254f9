package demo

import (
	"fmt"
	"path"

	"github.com/warden-nhi/warden"
)

func roleARN(account, rolePath string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, rolePath)
}
func userARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:user/%s", account, name)
}

// accessKeyID returns a fake but well-formed access key id. The EXAMPLE
// suffix, as in AWS's own documentation, keeps secret scanners quiet.
func (g *gen) accessKeyID() string { return "AKIA" + g.token(upperDigits, 9) + "EXAMPLE" }

func (g *gen) aws() {
	// Workload roles: one per service in each environment account.
	for _, acct := range []string{awsProd, awsStaging, awsDev} {
		env := awsAccountEnv[acct]
		for _, s := range services {
			id := g.add(warden.KindCloudRole, warden.ProviderAWS, roleARN(acct, "workload/"+s.name),
				s.name, s.team, env, s.purpose+" (EKS IRSA role)")
			id.Labels["app"] = s.name
			id.Labels["aws-account"] = acct
		}
	}

	// CI deploy roles trusted by GitHub Actions OIDC.
	for _, repo := range []struct{ name, team string }{
		{"shipment-api", "team-shipping"}, {"tracking-ingest", "team-tracking"},
		{"driver-app-backend", "team-mobile"}, {"infra-terraform", "team-platform"},
	} {
		for _, acct := range []string{awsProd, awsStaging} {
			env := awsAccountEnv[acct]
			ghEnv := map[string]string{"prod": "production", "staging": "staging"}[env]
			id := g.add(warden.KindCloudRole, warden.ProviderAWS, roleARN(acct, "ci/github-deploy-"+repo.name),
				"github-deploy-"+repo.name, repo.team, env,
				fmt.Sprintf("Assumed by GitHub Actions via OIDC (repo:%s/%s:environment:%s) to deploy", GitHubOrg, repo.name, ghEnv))
			id.Labels["app"] = repo.name
			id.Labels["aws-account"] = acct
			id.Labels["trust"] = "github-oidc"
		}
	}

	// Cross-account, vendor and administrative roles.
	vendor := []struct{ acct, path, team, purpose string }{
		{awsProd, "vendor/DatadogIntegrationRole", "team-platform", "Datadog reads CloudWatch metrics and tags (external id enforced)"},
		{awsProd, "vendor/fjord-carriers-edi-drop", "team-customs", "Partner Fjord Carriers writes EDI files to the inbound bucket"},
		{awsData, "vendor/snowflake-s3-reader", "team-data", "Snowflake storage integration reads the data lake"},
		{awsProd, "terraform-cloud-admin", "team-platform", "Terraform Cloud workspaces apply infrastructure (AdministratorAccess)"},
		{awsSecurity, "OrganizationAccountAccessRole", "team-security", "Organization management access from the payer account"},
		{awsSecurity, "breakglass-admin", "team-security", "Break-glass administrator, assumed only during incidents"},
	}
	for _, v := range vendor {
		id := g.add(warden.KindCloudRole, warden.ProviderAWS, roleARN(v.acct, v.path), path.Base(v.path), v.team, awsAccountEnv[v.acct], v.purpose)
		id.Labels["aws-account"] = v.acct
		if v.path == "breakglass-admin" {
			g.pin(id, warden.StatusActive, "", g.ago(200))
		}
	}
	old := g.add(warden.KindCloudRole, warden.ProviderAWS, roleARN(awsDev, "legacy-jenkins-deploy"), "legacy-jenkins-deploy", "", "dev",
		"Deploys from the old Jenkins server (decommissioned?)")
	g.pin(old, warden.StatusActive, "", g.ago(381))
	console := g.add(warden.KindCloudRole, warden.ProviderAWS, roleARN(awsProd, "service-role/lambda-edge-rewrite-role-x7k2qd"), "lambda-edge-rewrite-role-x7k2qd", "", "prod", "")
	g.markUnmanaged(console)

	g.awsUsers()
}

// awsUsers adds IAM users that programs use with long-lived access keys.
func (g *gen) awsUsers() {
	users := []struct {
		acct, name, team, purpose string
		keyAge                    []int // days since each key was created; negative = inactive key
	}{
		{awsProd, "svc-legacy-ftp-sync", "team-customs", "Syncs customs files from the broker's FTP server", []int{612}},
		{awsProd, "jenkins-deployer", "", "Deploys from Jenkins (predates GitHub Actions)", []int{480, -905}},
		{awsProd, "backup-s3-writer", "team-platform", "Nightly database dumps to the backup bucket", []int{140}},
		{awsData, "tableau-reader", "team-data", "Tableau Server reads Athena tables", []int{455}},
		{awsProd, "edi-partner-upload", "team-customs", "Partner upload of EDI manifests", []int{31}},
		{awsProd, "ses-smtp-sender", "team-platform", "SMTP credentials for the legacy mail relay", []int{720}},
		{awsSecurity, "terraform-bootstrap", "team-platform", "Bootstraps new accounts before Terraform Cloud takes over", []int{391}},
		{awsDev, "mobile-build-uploader", "team-mobile", "Uploaded app builds to S3 (replaced by an OIDC role)", []int{-530}},
		{awsStaging, "route-optimizer-legacy", "team-routing", "Old route optimiser batch job", []int{260}},
		{awsProd, "datadog-log-forwarder", "team-platform", "Forwards S3 access logs to Datadog", []int{95}},
		{awsStaging, "pricing-batch", "team-billing", "Nightly tariff import", []int{250}},
		{awsProd, "tmp-migration-2022", "", "", []int{1104}},
	}
	for _, u := range users {
		var creds []*warden.Credential
		for n, age := range u.keyAge {
			status := warden.CredentialActive
			if age < 0 {
				age, status = -age, warden.CredentialInactive
			}
			c := g.cred(warden.CredentialAccessKey, g.accessKeyID(), fmt.Sprintf("access key %d of %s", n+1, u.name), age, "aws", u.acct, u.name, fmt.Sprint(n))
			c.Status = status
			creds = append(creds, c)
		}
		id := g.add(warden.KindCloudUser, warden.ProviderAWS, userARN(u.acct, u.name), u.name, u.team, awsAccountEnv[u.acct], u.purpose, creds...)
		id.Labels["aws-account"] = u.acct
		switch u.name {
		case "jenkins-deployer":
			g.pin(id, warden.StatusActive, "", g.ago(212))
		case "mobile-build-uploader":
			g.pin(id, warden.StatusDisabled, "replaced by the github-deploy-driver-app-backend OIDC role", g.ago(301))
		case "route-optimizer-legacy":
			g.pin(id, warden.StatusQuarantined, "access key found in a public gist; rotate before re-enabling", g.ago(4))
		case "tmp-migration-2022":
			g.markUnmanaged(id)
		}
	}
}
