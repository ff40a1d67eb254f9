package demo

import (
	"fmt"
	"strings"

	"github.com/warden-nhi/warden"
)

func (g *gen) gcp() {
	sas := []struct {
		email, team, env, purpose string
		keyAges                   []int // user-managed JSON keys
	}{
		{"bq-loader@nw-analytics-prod.iam.gserviceaccount.com", "team-data", "prod", "Loads shipment facts into BigQuery", []int{301}},
		{"looker-connector@nw-analytics-prod.iam.gserviceaccount.com", "team-data", "prod", "Looker reads reporting datasets", []int{502}},
		{"dataform-runner@nw-analytics-prod.iam.gserviceaccount.com", "team-data", "prod", "Runs Dataform transformations", nil},
		{"airflow-worker@nw-analytics-prod.iam.gserviceaccount.com", "team-data", "prod", "Cloud Composer task runner", nil},
		{"fivetran-ingest@nw-analytics-prod.iam.gserviceaccount.com", "team-data", "prod", "Fivetran replicates the ERP into BigQuery", []int{415}},
		{"demand-forecast-trainer@nw-ml-forecasting.iam.gserviceaccount.com", "team-ml", "prod", "Trains the weekly demand forecast", nil},
		{"vertex-pipelines@nw-ml-forecasting.iam.gserviceaccount.com", "team-ml", "prod", "Runs Vertex AI pipelines", nil},
		{"forecast-serving@nw-ml-forecasting.iam.gserviceaccount.com", "team-ml", "prod", "Serves forecasts to the pricing engine", []int{88}},
		{"terraform@nw-shared-infra.iam.gserviceaccount.com", "team-platform", "prod", "Terraform applies GCP infrastructure (Owner)", []int{410}},
		{"gke-node@nw-shared-infra.iam.gserviceaccount.com", "team-platform", "prod", "GKE node pool identity", nil},
		{"dns-admin@nw-shared-infra.iam.gserviceaccount.com", "team-platform", "prod", "Manages Cloud DNS zones for external-dns", []int{199}},
		{"bq-loader@nw-analytics-dev.iam.gserviceaccount.com", "team-data", "dev", "Loads sample data into the dev warehouse", []int{120}},
		{"notebook-sandbox@nw-analytics-dev.iam.gserviceaccount.com", "", "dev", "Shared key for data-science notebooks", []int{690, 650}},
		{"731204958812-compute@developer.gserviceaccount.com", "", "dev", "", nil},
	}
	for _, s := range sas {
		var creds []*warden.Credential
		for n, age := range s.keyAges {
			creds = append(creds, g.cred(warden.CredentialPrivateKey, g.token(hexDigits, 40),
				fmt.Sprintf("user-managed service account key %d", n+1), age, "gcp-key", s.email, fmt.Sprint(n)))
		}
		name, project := splitGCP(s.email)
		id := g.add(warden.KindServiceAccount, warden.ProviderGCP, s.email, name, s.team, s.env, s.purpose, creds...)
		id.Labels["gcp-project"] = project
		switch name {
		case "731204958812-compute":
			g.markUnmanaged(id)
		case "notebook-sandbox":
			g.pin(id, warden.StatusActive, "", g.ago(128))
		}
	}
}

// splitGCP splits a service-account e-mail into its account name and
// project ("nw-analytics-prod", or "default-compute" for the default SA).
func splitGCP(email string) (name, project string) {
	name, domain, _ := strings.Cut(email, "@")
	project, _, _ = strings.Cut(domain, ".")
	if project == "developer" {
		project = "default-compute"
	}
	return name, project
}

// Azure subscription and tenant of the ERP estate (fictional ids).
const (
	azureSubscription = "5f3c2a1e-8d4b-4c6f-9a2e-1b7d3e9f0a42"
	azureTenant       = "0c9e7b21-4a5d-4e38-b1f6-2d8a9c3e7f15"
)

func (g *gen) azure() {
	mis := []struct{ rg, name, team, env, purpose string }{
		{"rg-erp-prod", "mi-erp-connector", "team-it", "prod", "Function app that syncs orders between the ERP and shipment-api"},
		{"rg-erp-prod", "mi-sap-idoc-bridge", "team-it", "prod", "Receives SAP IDocs and publishes them to Service Bus"},
		{"rg-shared-prod", "mi-keyvault-reader", "team-platform", "prod", "Reads certificates from Key Vault for App Gateway"},
		{"rg-backup-prod", "mi-backup-vault", "team-platform", "prod", "Azure Backup vault identity"},
		{"rg-bi-staging", "mi-powerbi-gateway", "", "staging", "On-premises data gateway for Power BI"},
		{"rg-edi-prod", "mi-logicapp-edi", "team-customs", "prod", "Logic App that maps EDIFACT messages"},
		{"rg-billing-prod", "mi-func-invoice-ocr", "team-billing", "prod", "OCR of supplier invoices"},
		{"rg-erp-dev", "mi-erp-connector-dev", "team-it", "dev", "ERP connector (dev)"},
	}
	for _, m := range mis {
		extID := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s", azureSubscription, m.rg, m.name)
		id := g.add(warden.KindServiceAccount, warden.ProviderAzure, extID, m.name, m.team, m.env, m.purpose)
		id.Labels["resource-group"] = m.rg
	}

	apps := []struct {
		appID, name, team, env, purpose string
		secretAge, expiresIn            int // negative expiresIn: already expired
	}{
		{"3b1f8e52-7c09-4d6a-a2e4-9f0c5d7b1e38", "nw-erp-sso-bridge", "team-it", "prod", "App registration the ERP uses to call Microsoft Graph", 718, 12},
		{"8d24c6a1-5e3f-4b97-8c10-6a2f9e4d3b75", "nw-powerbi-export", "team-data", "prod", "Exports Power BI datasets to the data lake", 750, -20},
	}
	for _, a := range apps {
		c := g.cred(warden.CredentialClientSecret, "secret for "+a.appID, "client secret", a.secretAge, "azure-secret", a.appID)
		if a.expiresIn < 0 {
			c.ExpiresAt = g.ago(-a.expiresIn)
			c.Status = warden.CredentialExpired
		} else {
			c.ExpiresAt = g.in(a.expiresIn)
		}
		id := g.add(warden.KindOAuthApp, warden.ProviderAzure, "app/"+a.appID, a.name, a.team, a.env, a.purpose, c)
		id.Labels["tenant"] = azureTenant
	}
}
