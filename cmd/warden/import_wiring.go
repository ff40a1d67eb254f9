package main

import (
	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/discover/github"
	"github.com/warden-nhi/warden/discover/k8s"
	"github.com/warden-nhi/warden/discover/x509"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
)

// importSources lists the sources `warden import` knows, in help order.
var importSources = []string{aws.SourceIAM, aws.SourceCredentialReport, aws.SourceCloudTrail, k8s.Source, k8s.AuditSource, github.Source, x509.Source}

// newDiscovery wires the importers and the event store into the API.
func newDiscovery(db *store.DB) *httpapi.Discovery {
	return &httpapi.Discovery{
		Importers: map[string]warden.Importer{
			aws.SourceIAM:              &aws.IAMImporter{Store: db},
			aws.SourceCredentialReport: &aws.CredentialReportImporter{Store: db},
			aws.SourceCloudTrail:       &aws.CloudTrailImporter{Store: db, Provenance: db},
			k8s.Source:                 &k8s.Importer{Store: db},
			k8s.AuditSource:            &k8s.AuditImporter{Store: db},
			x509.Source:                &x509.Importer{Store: db},
			github.Source:              &github.Importer{Store: db},
		},
		Events: db,
	}
}
