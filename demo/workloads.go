package demo

import (
	"fmt"
	"strings"

	"github.com/warden-nhi/warden"
)

// providerX509 groups certificate identities found on endpoints and in PEM
// files.
const providerX509 warden.Provider = "x509"

func (g *gen) certificates() {
	certs := []struct {
		cn, team, env, purpose string
		ageDays, expiresIn     int // negative expiresIn: expired
	}{
		{"api.northwind.example", "team-shipping", "prod", "Public TLS certificate of the shipment API", 354, 11},
		{"tracking.northwind.example", "team-tracking", "prod", "Public TLS certificate of the tracking site", 300, 64},
		{"edi-client.northwind.example", "team-customs", "prod", "mTLS client certificate presented to Fjord Carriers' AS2 gateway", 725, 5},
		{"sftp.northwind.example", "team-customs", "prod", "SFTP gateway host certificate", 398, -3},
		{"Northwind Internal Issuing CA 2", "team-security", "prod", "Intermediate CA for internal services", 1030, 800},
		{"vpn.northwind.example", "team-it", "prod", "Site-to-site VPN gateway", 175, 190},
		{"com.northwind.driverapp.push", "team-mobile", "prod", "Apple push notification certificate for the driver app", 325, 40},
		{"okta-saml-signing", "team-it", "prod", "SAML assertion signing", 470, 260},
		{"kafka-client-billing", "team-billing", "prod", "mTLS client certificate of billing-worker on the event bus", 335, 30},
		{"grafana.staging.northwind.example", "team-platform", "staging", "Staging Grafana", 65, 300},
		{"*.northwind.example", "", "prod", "Wildcard certificate copied to several load balancers", 345, 20},
		{"printer-bridge-depot-07.dev.northwind.example", "team-warehouse", "dev", "Device certificate of a depot label printer bridge", 180, 185},
	}
	for _, c := range certs {
		serial := g.token(hexDigits, 32)
		cred := g.cred(warden.CredentialCertificate, serial, "certificate and private key", c.ageDays, "x509", c.cn, serial)
		if c.expiresIn < 0 {
			cred.ExpiresAt = g.ago(-c.expiresIn)
			cred.Status = warden.CredentialExpired
		} else {
			cred.ExpiresAt = g.in(c.expiresIn)
		}
		extID := fmt.Sprintf("CN=%s/serial=%s", c.cn, serial)
		g.add(warden.KindCertificate, providerX509, extID, c.cn, c.team, c.env, c.purpose, cred)
	}
}

// SPIFFEID returns the SPIFFE ID of a path in the demo trust domain.
func SPIFFEID(path string) string { return "spiffe://" + Domain + "/" + path }

func (g *gen) workloads() {
	type wl struct{ path, team, env, purpose string }
	list := []wl{{"ns/payments/sa/api", "team-billing", "prod", "Payments API, receives card-processor callbacks"}}
	for _, s := range services {
		if s.name == "label-printer-bridge" || s.name == "notification-svc" || s.name == "pricing-engine" {
			continue
		}
		list = append(list, wl{"ns/" + s.namespace + "/sa/" + s.name, s.team, "prod", s.purpose})
	}
	list = append(list,
		wl{"ns/shipping/sa/shipment-worker", "team-shipping", "prod", "Processes booking events from the queue"},
		wl{"ns/tracking/sa/gps-decoder", "team-tracking", "prod", "Decodes telematics payloads"},
		wl{"ns/billing/sa/invoice-renderer", "team-billing", "prod", "Renders invoice PDFs"},
		wl{"ns/platform/sa/ingress-gateway", "team-platform", "prod", "Mesh ingress gateway"},
		wl{"ns/stg-shipping/sa/shipment-api", "team-shipping", "staging", "Shipment booking API (staging)"},
		wl{"ns/stg-tracking/sa/tracking-ingest", "team-tracking", "staging", "Telematics ingest (staging)"},
	)
	for _, w := range list {
		id := g.add(warden.KindWorkload, warden.ProviderWarden, SPIFFEID(w.path), path2name(w.path), w.team, w.env,
			w.purpose+" (X.509-SVID, attested by Kubernetes PSAT)")
		id.Labels["attestation"] = "k8s_psat"
	}
	for _, vm := range []string{"edi-gateway-01", "edi-gateway-02"} {
		id := g.add(warden.KindWorkload, warden.ProviderWarden, SPIFFEID("vm/"+vm), vm, "team-customs", "prod",
			"AS2/EDI gateway VM in the Hamburg depot (attested by a join token)",
			&warden.Credential{Type: warden.CredentialToken, PublicID: "join token for " + vm, Description: "one-time join token (used)",
				Status: warden.CredentialInactive, Fingerprint: fingerprint("join-token", vm), ExpiresAt: g.ago(g.between(150, 200))})
		id.Labels["attestation"] = "join_token"
	}
}

// path2name turns "ns/billing/sa/invoice-renderer" into "billing/invoice-renderer".
func path2name(p string) string {
	rest, ok := strings.CutPrefix(p, "ns/")
	ns, sa, found := strings.Cut(rest, "/sa/")
	if !ok || !found {
		return p
	}
	return ns + "/" + sa
}

func (g *gen) agents() {
	agents := []struct {
		path, name, team, env, purpose string
	}{
		{"agent/support-triage", "support-triage", "team-cx", "prod", "Classifies support tickets and drafts replies; reads shipments on behalf of the requesting agent"},
		{"agent/invoice-dispute-assistant", "invoice-dispute-assistant", "team-billing", "prod", "Investigates invoice disputes and proposes credit notes for human approval"},
		{"agent/route-exception-planner", "route-exception-planner", "team-routing", "prod", "Re-plans routes when a truck breaks down; may rebook slots"},
		{"agent/incident-summarizer", "incident-summarizer", "team-platform", "prod", "Summarises incidents from Slack, PagerDuty and Datadog"},
		{"agent/code-review-assistant", "code-review-assistant", "team-platform", "staging", "Reviews pull requests (read-only repository access)"},
		{"agent/procurement-negotiator", "procurement-negotiator", "team-it", "staging", "Pilot: negotiates spot-freight rates with carriers by e-mail"},
	}
	for _, a := range agents {
		id := g.add(warden.KindAIAgent, warden.ProviderWarden, SPIFFEID(a.path), a.name, a.team, a.env, a.purpose)
		id.Labels["delegation"] = "rfc8693"
		if a.name == "procurement-negotiator" {
			g.pin(id, warden.StatusQuarantined, "detector: bulk export of supplier contracts after a prompt-injected e-mail", g.ago(1))
		}
	}
	poc := g.add(warden.KindAIAgent, "openai", "org-nwfreight/proj_sandbox/assistants/customs-hs-classifier", "customs-hs-classifier", "", "dev", "")
	g.markUnmanaged(poc)
}
