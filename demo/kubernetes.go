package demo

import (
	"fmt"

	"github.com/warden-nhi/warden"
)

// EKS clusters: production and staging. Staging namespaces carry a "stg-"
// prefix so service-account names stay unique across both.
const (
	clusterProd    = "nw-prod-euw1"
	clusterStaging = "nw-staging-euw1"
	clusterDev     = "nw-dev-euw1"
)

func serviceAccount(ns, name string) string {
	return fmt.Sprintf("system:serviceaccount:%s:%s", ns, name)
}

func (g *gen) kubernetes() {
	add := func(cluster, env, ns, name, team, purpose string) *warden.Identity {
		id := g.add(warden.KindServiceAccount, warden.ProviderKubernetes, serviceAccount(ns, name), name, team, env, purpose)
		id.Labels["cluster"] = cluster
		id.Labels["namespace"] = ns
		return id
	}

	for _, s := range services {
		if s.name == "label-printer-bridge" || s.name == "notification-svc" {
			continue // run on depot hardware and Lambda
		}
		add(clusterProd, "prod", s.namespace, s.name, s.team, s.purpose).Labels["app"] = s.name
	}
	for _, sa := range []struct{ ns, name, team, purpose string }{
		{"shipping", "shipment-worker", "team-shipping", "Processes booking events from the queue"},
		{"tracking", "gps-decoder", "team-tracking", "Decodes telematics payloads"},
		{"billing", "invoice-renderer", "team-billing", "Renders invoice PDFs"},
		{"kube-system", "aws-load-balancer-controller", "team-platform", "Manages ALBs for ingresses"},
		{"kube-system", "cluster-autoscaler", "team-platform", "Scales node groups"},
		{"kube-system", "ebs-csi-controller-sa", "team-platform", "Provisions EBS volumes"},
		{"external-dns", "external-dns", "team-platform", "Publishes Route 53 records for ingresses"},
		{"cert-manager", "cert-manager", "team-platform", "Obtains TLS certificates from ACME"},
		{"argocd", "argocd-application-controller", "team-platform", "GitOps deployments (cluster-admin)"},
		{"monitoring", "datadog-agent", "team-platform", "Node and APM metrics"},
		{"logging", "fluent-bit", "team-platform", "Ships container logs"},
		{"security", "falco", "team-security", "Runtime threat detection"},
	} {
		add(clusterProd, "prod", sa.ns, sa.name, sa.team, sa.purpose)
	}

	// A legacy long-lived token secret on the default service account.
	add(clusterProd, "prod", "default", "default", "", "Default service account; a legacy token secret is mounted by a CronJob")
	g.attach(g.cred(warden.CredentialToken, "secret/default/default-token-x7k2p", "legacy service-account token secret (no expiry)", 701, "k8s", clusterProd, "default", "default"))
	runner := add(clusterProd, "prod", "ci", "gitlab-runner", "", "")
	g.markUnmanaged(runner)

	for _, s := range []service{services[0], services[1], services[2], services[3]} {
		ns := "stg-" + s.namespace
		add(clusterStaging, "staging", ns, s.name, s.team, s.purpose).Labels["app"] = s.name
	}
	add(clusterStaging, "staging", "stg-argocd", "argocd-application-controller", "team-platform", "GitOps deployments (cluster-admin)")
	add(clusterStaging, "staging", "stg-billing", "invoice-renderer", "team-billing", "Renders invoice PDFs")
	g.attach(g.cred(warden.CredentialToken, "secret/stg-billing/invoice-renderer-token-9qzrm", "token secret copied into a CI variable", 433, "k8s", clusterStaging, "stg-billing", "invoice-renderer"))

	jupyter := add(clusterDev, "dev", "dev-sandbox", "jupyter", "", "")
	g.markUnmanaged(jupyter)
	add(clusterDev, "dev", "dev-shipping", "shipment-api", "team-shipping", "Shipment booking API (dev)")
}
