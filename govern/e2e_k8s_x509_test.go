package govern_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/k8s"
	"github.com/warden-nhi/warden/discover/x509"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// wantClusterAndCertFindings are the open findings of the sample cluster
// (testdata/k8s) and certificates (testdata/x509) on evalTime.
var wantClusterAndCertFindings = map[string][]string{
	// ClusterRoleBinding ci-deployer-admin -> cluster-admin; a legacy
	// service-account token secret that never expires.
	"system:serviceaccount:ci:deployer": {"admin-permissions", "owner-missing", "token-no-expiry"},
	// Role ops-anything: '*' verbs on '*' resources in kube-system.
	"system:serviceaccount:kube-system:ops-bot": {"admin-permissions", "owner-missing"},
	"system:serviceaccount:batch:nightly":       {"owner-missing"},
	"system:serviceaccount:payments:default":    {"owner-missing"},
	// RSA 1024 signed with SHA-1.
	"serial=3e8;issuer=CN=billing-legacy.corp.northwind.example,OU=Billing,O=Northwind Freight": {"cert-sha1", "cert-weak-key", "owner-missing"},
	// Expires within 30 days of evalTime.
	"serial=5f1d0c6a33b2e9;issuer=CN=Northwind Issuing CA 1,O=Northwind Freight":    {"cert-expiring", "owner-missing"},
	"serial=4e57497373756531;issuer=CN=Northwind Root CA,O=Northwind Freight,C=NL":  {"owner-missing"},
	"serial=a7e3c91d2f4b85601;issuer=CN=Northwind Issuing CA 1,O=Northwind Freight": {"owner-missing"},
}

func TestEndToEnd_SampleClusterAndCertificates(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testClusterAndCerts(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { testClusterAndCerts(t, storetest.OpenPostgres(t)) })
}

func testClusterAndCerts(t *testing.T, db *store.DB) {
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "cli", ID: "e2e"})
	db.Now = func() time.Time { return evalTime }
	imports := []struct {
		path string
		imp  warden.Importer
	}{{filepath.Join("k8s", "northwind-prod-rbac.json"), &k8s.Importer{Store: db}}}
	for _, name := range []string{"api-gateway-chain.pem", "billing-legacy.pem", "shipment-api-svid.pem"} {
		imports = append(imports, struct {
			path string
			imp  warden.Importer
		}{filepath.Join("x509", name), &x509.Importer{Store: db}})
	}
	for _, in := range imports {
		f, err := os.Open(filepath.Join("..", "testdata", in.path))
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.imp.Import(ctx, f, in.path)
		f.Close()
		if err != nil {
			t.Fatalf("import %s: %v", in.path, err)
		}
	}
	if _, err := newEvaluator(t, db, nil).Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := findingsByIdentity(t, db)
	for id, want := range wantClusterAndCertFindings {
		if !slices.Equal(got[id], want) {
			t.Errorf("%s: findings %v, want %v", id, got[id], want)
		}
	}
	for id, rules := range got {
		if _, ok := wantClusterAndCertFindings[id]; !ok {
			t.Errorf("unexpected findings on %s: %v", id, rules)
		}
	}
}
