package demo

import (
	"github.com/warden-nhi/warden"
)

// saasKey is a standalone API key at a SaaS vendor.
type saasKey struct {
	provider  warden.Provider
	extID     string
	name      string
	team, env string
	purpose   string
	publicID  string
	age       int
}

func (g *gen) saas() {
	keys := []saasKey{
		{"stripe", "acct_NWFREIGHTDEMO/restricted_keys/billing-worker", "stripe billing-worker", "team-billing", "prod", "Creates charges and invoices", "restricted key billing-worker", 233},
		{"stripe", "acct_NWFREIGHTDEMO/restricted_keys/refunds-tool", "stripe refunds-tool", "team-cx", "prod", "Customer-care refund tool", "restricted key refunds-tool", 402},
		{"stripe", "acct_NWFREIGHTDEMO/secret_keys/standard", "stripe standard secret key", "", "prod", "Unrestricted secret key, used by the payouts reconciler script", "standard secret key", 1095},
		{"stripe", "acct_NWFREIGHTDEMO/webhook_endpoints/we_shipment_events", "stripe webhook signing secret", "team-billing", "prod", "Verifies Stripe webhooks to billing-worker", "webhook endpoint we_shipment_events", 233},
		{"datadog", "nwfreight.datadoghq.eu/api_keys/k8s-agent-prod", "datadog k8s-agent-prod", "team-platform", "prod", "Datadog agents on the production cluster", "api key k8s-agent-prod", 176},
		{"datadog", "nwfreight.datadoghq.eu/api_keys/lambda-forwarder", "datadog lambda-forwarder", "team-platform", "prod", "Log forwarder Lambda", "api key lambda-forwarder", 96},
		{"datadog", "nwfreight.datadoghq.eu/api_keys/ci-visibility", "datadog ci-visibility", "team-platform", "prod", "CI test and pipeline visibility", "api key ci-visibility", 61},
		{"datadog", "nwfreight.datadoghq.eu/application_keys/terraform-provider", "datadog terraform-provider", "team-platform", "prod", "Terraform manages monitors and dashboards (app key bound to a departed user)", "application key terraform-provider", 530},
		{"datadog", "nwfreight.datadoghq.eu/api_keys/legacy-statsd-relay", "datadog legacy-statsd-relay", "", "prod", "", "api key legacy-statsd-relay", 840},
		{"pagerduty", "services/PNW4SHP/integrations/events-v2", "pagerduty shipment-api events", "team-shipping", "prod", "Alertmanager pages the shipping on-call", "integration key shipment-api", 310},
		{"pagerduty", "services/PNW9INF/integrations/events-v2", "pagerduty infra events", "team-platform", "prod", "Infrastructure alerts", "integration key infra", 310},
		{"sendgrid", "subusers/nw-transactional/api_keys/notification-svc", "sendgrid notification-svc", "team-platform", "prod", "Transactional e-mail (booking confirmations)", "api key notification-svc", 145},
		{"sendgrid", "subusers/nw-marketing/api_keys/crm-sync", "sendgrid crm-sync", "", "prod", "", "api key crm-sync", 377},
		{"twilio", "accounts/ACNWFREIGHTDEMO/keys/driver-sms", "twilio driver-sms", "team-mobile", "prod", "SMS delivery notifications to drivers", "api key driver-sms", 205},
		{"twilio", "accounts/ACNWFREIGHTDEMO/keys/ivr-legacy", "twilio ivr-legacy", "team-cx", "prod", "Old IVR phone menu", "api key ivr-legacy", 640},
		{"openai", "org-nwfreight/proj_support/keys/support-triage", "openai support-triage", "team-cx", "prod", "Model access for the support-triage agent", "project key support-triage", 74},
		{"openai", "org-nwfreight/proj_data/keys/notebooks", "openai notebooks", "", "dev", "Shared key pasted into data-science notebooks", "project key notebooks", 290},
	}
	for _, k := range keys {
		c := g.cred(warden.CredentialAPIKey, k.publicID, "API key", k.age, string(k.provider), k.extID)
		id := g.add(warden.KindAPIKey, k.provider, k.extID, k.name, k.team, k.env, k.purpose, c)
		switch k.extID {
		case "nwfreight.datadoghq.eu/api_keys/legacy-statsd-relay":
			g.pin(id, warden.StatusActive, "", g.ago(233))
		case "subusers/nw-marketing/api_keys/crm-sync":
			g.markUnmanaged(id)
		case "accounts/ACNWFREIGHTDEMO/keys/ivr-legacy":
			g.pin(id, warden.StatusDisabled, "IVR replaced by the new contact centre; delete after Q3 audit", g.ago(187))
		}
	}

	bots := []struct {
		provider                        warden.Provider
		extID, name, team, env, purpose string
	}{
		{"slack", "T0NWFRGHT/B04DEPLOY1", "deploybot", "team-platform", "prod", "Posts deployments and runs /deploy commands"},
		{"slack", "T0NWFRGHT/B04INCIDT2", "incident-commander", "team-security", "prod", "Opens incident channels and pages responders"},
		{"slack", "T0NWFRGHT/B03STANDUP", "standup-reminder", "", "prod", ""},
		{"slack", "T0NWFRGHT/B05OPSNTF3", "ops-notifier", "team-platform", "prod", "Relays Datadog and PagerDuty alerts"},
		{"azure", "bots/freight-desk-assistant", "freight-desk-assistant", "team-cx", "prod", "Teams bot answering shipment-status questions"},
		{"atlassian", "northwind.atlassian.net/users/svc-jira-automation", "svc-jira-automation", "team-it", "prod", "Jira automation rules and the ServiceNow sync"},
	}
	for _, b := range bots {
		c := g.cred(warden.CredentialToken, "bot token "+b.name, "bot OAuth token", g.between(40, 700), string(b.provider), b.extID)
		id := g.add(warden.KindBot, b.provider, b.extID, b.name, b.team, b.env, b.purpose, c)
		if b.name == "standup-reminder" {
			g.markUnmanaged(id)
		}
	}
}
