package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/discover/k8s"
	"github.com/warden-nhi/warden/rightsize"
	"github.com/warden-nhi/warden/store"
)

// rightsizeNow ends the rightsizing window of the test server: the
// rightsizing samples' activity is in March 2026.
var rightsizeNow = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

// newTestRightsizer is the test server's rightsizing service, on db, with
// its clock at rightsizeNow.
func newTestRightsizer(t *testing.T, db *store.DB) warden.RightsizeService {
	t.Helper()
	svc, err := rightsize.New(rightsize.Config{Identities: db, Grants: db, Events: db, Now: func() time.Time { return rightsizeNow }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// importRightsizeSamples imports testdata/rightsize through the real importers.
func importRightsizeSamples(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "test"})
	for _, s := range []struct {
		file string
		im   warden.Importer
	}{
		{"k8s-rbac.json", &k8s.Importer{Store: db}},
		{"k8s-audit.jsonl", &k8s.AuditImporter{Store: db}},
		{"aws-gaad.json", &aws.IAMImporter{Store: db}},
		{"cloudtrail.json", &aws.CloudTrailImporter{Store: db}},
	} {
		data, err := os.ReadFile(filepath.Join("../testdata/rightsize", s.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.im.Import(ctx, bytes.NewReader(data), s.file); err != nil {
			t.Fatalf("import %s: %v", s.file, err)
		}
	}
}

func rightsizePath(ref, query string) string {
	return "/v1/identities/" + url.PathEscape(ref) + "/rightsize" + query
}

func TestRightsizeHTTP_ReportAndProposals(t *testing.T) {
	e := newTestEnv(t)
	importRightsizeSamples(t, e.db)
	const role = "arn:aws:iam::318274650912:role/workload/orders-worker"
	const sa = "system:serviceaccount:fulfilment:inventory-sync"
	auditor := e.tokens[warden.RoleAuditor] // inventory:read is enough

	// format=iam: the policy document itself, as rightsize proposes it.
	resp := e.do(t, request{method: "GET", path: rightsizePath(role, "?format=iam&window=90d"), token: auditor})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("format=iam: status %d, type %q; body %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.body)
	}
	want, err := os.ReadFile("../rightsize/testdata/orders-worker.iam.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.body, want) {
		t.Errorf("format=iam body:\n%s\nwant:\n%s", resp.body, want)
	}

	// format=k8s: the YAML, by the identity's id as well as its external id.
	id, err := e.db.FindIdentityByRef(context.Background(), sa, "")
	if err != nil {
		t.Fatal(err)
	}
	resp = e.do(t, request{method: "GET", path: rightsizePath(id.ID, "?format=k8s"), token: auditor})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("format=k8s: status %d, type %q; body %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.body)
	}
	if want, err = os.ReadFile("../rightsize/testdata/inventory-sync.rbac.yaml"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.body, want) {
		t.Errorf("format=k8s body:\n%s\nwant:\n%s", resp.body, want)
	}

	// The default: the JSON report over 90 days.
	var r warden.RightsizeReport
	e.admin(t, "GET", rightsizePath(sa, ""), nil, http.StatusOK, &r)
	if r.Window != "90d" || r.Identity != sa || r.Counts.Used != 14 || len(r.Used) != 9 || len(r.Denied) != 2 || r.AWSPolicy != nil || r.KubernetesRBAC == "" {
		t.Errorf("report: window %s identity %s counts %+v used %d denied %d", r.Window, r.Identity, r.Counts, len(r.Used), len(r.Denied))
	}
	if !r.Until.Equal(rightsizeNow) || !r.Since.Equal(rightsizeNow.AddDate(0, 0, -90)) {
		t.Errorf("window %s..%s", r.Since, r.Until)
	}

	// A narrower window sees less: after 2026-03-16 only the last
	// GetItem, Decrypt, GetObject, and the refused and failed calls.
	e.admin(t, "GET", rightsizePath(role, "?window=15d"), nil, http.StatusOK, &r)
	var used []string
	for _, u := range r.Used {
		used = append(used, u.Permission)
	}
	if want := []string{"dynamodb:GetItem", "dynamodb:Query", "kms:Decrypt", "s3:GetObject"}; !slices.Equal(used, want) || r.Window != "15d" {
		t.Errorf("15d: used %v (window %s), want %v", used, r.Window, want)
	}

	// Nothing to propose is a 404 that says why.
	for _, path := range []string{rightsizePath(sa, "?format=iam"), rightsizePath(role, "?format=k8s"), rightsizePath(role, "?format=iam&window=12h")} {
		resp := e.do(t, request{method: "GET", path: path, token: auditor})
		if p := resp.problem(t); resp.StatusCode != http.StatusNotFound || !strings.Contains(p.Detail, "there is no") {
			t.Errorf("GET %s: status %d, %+v", path, resp.StatusCode, p)
		}
	}
}

func TestRightsizeHTTP_BadParametersAreNamed(t *testing.T) {
	e := newTestEnv(t)
	importRightsizeSamples(t, e.db)
	const role = "arn:aws:iam::318274650912:role/workload/orders-worker"
	for _, tc := range []struct {
		query, field string
		status       int
	}{
		{"?window=ninety", "window", http.StatusBadRequest},
		{"?window=0d", "window", http.StatusBadRequest},
		{"?window=30m", "window", http.StatusBadRequest},
		{"?window=400d", "window", http.StatusBadRequest},
		{"?window=", "window", http.StatusBadRequest},
		{"?format=yaml", "format", http.StatusBadRequest},
		{"?format=IAM", "format", http.StatusBadRequest},
		{"?windows=90d", "windows", http.StatusBadRequest},
		{"?window=90d&window=30d", "window", http.StatusBadRequest},
		{"?provider=NOT+VALID", "provider", http.StatusBadRequest},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp := e.do(t, request{method: "GET", path: rightsizePath(role, tc.query), token: e.tokens[warden.RoleAdmin]})
			if p := resp.problem(t); resp.StatusCode != tc.status || p.Field != tc.field {
				t.Errorf("status %d field %q, want %d naming %q: %+v", resp.StatusCode, p.Field, tc.status, tc.field, p)
			}
		})
	}
	resp := e.do(t, request{method: "GET", path: rightsizePath("arn:aws:iam::318274650912:role/nobody", ""), token: e.tokens[warden.RoleAdmin]})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown identity: status %d, want 404", resp.StatusCode)
	}
}

func TestRightsizeHTTP_UnavailableWithoutTheService(t *testing.T) {
	e := newTestEnv(t)
	srv := New(Config{Identities: e.db, Credentials: e.db, Tokens: e.db, Audit: e.db})
	req := httptest.NewRequest("GET", rightsizePath("x", ""), nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[warden.RoleAdmin])
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
}
