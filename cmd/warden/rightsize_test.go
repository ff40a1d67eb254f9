package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/rightsize"
	"github.com/warden-nhi/warden/store"
)

const rightsizeSamples = "../../testdata/rightsize/"

// newRightsizeEnv serves a real store with the importers and rightsizing
// wired as serve wires them (the clock at 2026-03-31, after the samples'
// activity), imports the rightsizing samples through the CLI, and points
// WARDEN_SERVER and WARDEN_TOKEN (auditor, read-only) at it.
func newRightsizeEnv(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rs, err := rightsize.New(rightsize.Config{Identities: db, Grants: db, Events: db,
		Now: func() time.Time { return time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		Discovery: newDiscovery(db), Rightsize: rs,
	}))
	t.Cleanup(srv.Close)
	t.Setenv(envServer, srv.URL)
	_, operator, err := db.CreateToken(ctx, "importer", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envToken, operator)
	for _, imp := range [][2]string{{"k8s", "k8s-rbac.json"}, {"k8s-audit", "k8s-audit.jsonl"}, {"aws-iam", "aws-gaad.json"}, {"cloudtrail", "cloudtrail.json"}} {
		mustRun(t, "", "import", imp[0], rightsizeSamples+imp[1])
	}
	_, auditor, err := db.CreateToken(ctx, "reader", warden.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envToken, auditor)
}

const (
	cliOrdersWorker  = "arn:aws:iam::318274650912:role/workload/orders-worker"
	cliInventorySync = "system:serviceaccount:fulfilment:inventory-sync"
)

func TestRightsizeCmd_TableAndProposals(t *testing.T) {
	newRightsizeEnv(t)
	golden(t, "rightsize_orders_worker.golden", mustRun(t, "", "rightsize", cliOrdersWorker))
	golden(t, "rightsize_inventory_sync.golden", mustRun(t, "", "rightsize", cliInventorySync, "--window", "90d"))

	// The documents are the ones the rightsize package proposes.
	for _, tc := range []struct{ ref, format, file string }{
		{cliOrdersWorker, "iam", "../../rightsize/testdata/orders-worker.iam.json"},
		{cliInventorySync, "k8s", "../../rightsize/testdata/inventory-sync.rbac.yaml"},
	} {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustRun(t, "", "rightsize", tc.ref, "--format", tc.format); got != string(want) {
			t.Errorf("--format %s:\n%s\nwant:\n%s", tc.format, got, want)
		}
	}

	for _, args := range [][]string{{"--json"}, {"--format", "json"}} {
		out := mustRun(t, "", append([]string{"rightsize", cliOrdersWorker, "--window", "30d"}, args...)...)
		var r warden.RightsizeReport
		if err := json.Unmarshal([]byte(out), &r); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("%v: not one JSON line: %v\n%s", args, err, out)
		}
		if r.Window != "30d" || r.AWSPolicy == nil || len(r.Used) == 0 || len(r.Unused) == 0 {
			t.Errorf("%v: report %+v", args, r)
		}
	}
}

func TestRightsizeCmd_ErrorsNameTheFlag(t *testing.T) {
	newRightsizeEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rightsize", cliOrdersWorker, "--window", "ninety"}, "--window"},
		{[]string{"rightsize", cliOrdersWorker, "--window", "400d"}, "--window must be between 1h and 366d, got 400d"},
		{[]string{"rightsize", cliOrdersWorker, "--window", "10m"}, "--window"},
		{[]string{"rightsize", cliOrdersWorker, "--format", "yaml"}, `--format "yaml" is not one of json, iam, k8s`},
		{[]string{"rightsize", cliOrdersWorker, "--format", "iam", "--json"}, "cannot be combined"},
		{[]string{"rightsize", cliInventorySync, "--format", "iam"}, "used no AWS permission in the last 90d (17 events, 14 needing a permission): there is no IAM policy"},
		{[]string{"rightsize", cliOrdersWorker, "--format", "k8s"}, "there is no Role to propose"},
		{[]string{"rightsize", "arn:aws:iam::318274650912:role/nobody"}, "not found"},
		{[]string{"rightsize"}, "accepts 1 arg"},
	} {
		_, _, err := runCLI(t, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("warden %s: error %v, want it to mention %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
