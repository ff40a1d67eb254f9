package demo

// The organisation: teams (owners), their cost centres and the services
// they run. Builders draw on these so labels stay consistent.

var costCenters = map[string]string{
	"team-shipping":  "cc-1010",
	"team-tracking":  "cc-1020",
	"team-billing":   "cc-1030",
	"team-routing":   "cc-1040",
	"team-customs":   "cc-1050",
	"team-warehouse": "cc-1060",
	"team-mobile":    "cc-1070",
	"team-platform":  "cc-2010",
	"team-security":  "cc-2020",
	"team-data":      "cc-3010",
	"team-ml":        "cc-3020",
	"team-cx":        "cc-4010",
	"team-it":        "cc-5010",
}

// service is one of Northwind's own applications.
type service struct {
	name, team, namespace, purpose string
}

var services = []service{
	{"shipment-api", "team-shipping", "shipping", "Public shipment booking and quote API"},
	{"tracking-ingest", "team-tracking", "tracking", "Ingests GPS and scan events from trucks and depots"},
	{"billing-worker", "team-billing", "billing", "Generates invoices and posts payments"},
	{"route-optimizer", "team-routing", "routing", "Plans daily delivery routes"},
	{"customs-docs", "team-customs", "customs", "Generates customs declarations for cross-border freight"},
	{"notification-svc", "team-platform", "platform", "Sends e-mail, SMS and push notifications"},
	{"driver-app-backend", "team-mobile", "mobile", "Backend for the driver mobile app"},
	{"warehouse-sync", "team-warehouse", "warehouse", "Syncs stock levels with warehouse management systems"},
	{"pricing-engine", "team-billing", "billing", "Computes freight rates and surcharges"},
	{"label-printer-bridge", "team-warehouse", "warehouse", "Relays shipping labels to depot printers"},
}

// AWS accounts of the organisation (fictional 12-digit ids).
const (
	awsProd     = "402118867530"
	awsStaging  = "318764201957"
	awsDev      = "227591043866"
	awsSecurity = "590312784411"
	awsData     = "684205731912"
)

var awsAccountEnv = map[string]string{
	awsProd: "prod", awsStaging: "staging", awsDev: "dev", awsSecurity: "prod", awsData: "prod",
}

// GitHubOrg is the organisation's GitHub organisation.
const GitHubOrg = "northwind-freight"
