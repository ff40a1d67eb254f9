package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestPostureProgrammeCLI: warden posture --programme shows the months
// and totals of the programme metrics, and --json the metrics object.
func TestPostureProgrammeCLI(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	serveAPI(t, db, httpapi.Config{Programme: db})
	t.Setenv(envToken, apiToken(t, db, "auditor", warden.RoleAuditor))

	actor := warden.NewContextWithActor(ctx, warden.Actor{Type: "token", ID: "t", Name: "test"})
	at := time.Now().UTC().Add(-3 * time.Hour)
	db.Now = func() time.Time { return at }
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/report-exporter", Name: "report-exporter"}
	if err := db.CreateIdentity(actor, id); err != nil {
		t.Fatal(err)
	}
	at = at.Add(2 * time.Hour)
	if _, err := db.UpdateIdentity(actor, id.ID, warden.IdentityUpdate{Owner: ptrTo("alice@example.com")}); err != nil {
		t.Fatal(err)
	}
	db.Now = time.Now

	out := mustRun(t, "", "posture", "--programme", "--months", "3")
	for _, want := range []string{"MONTH", "NOT ONBOARDED", "MEDIAN TO OWNER", "total", "2.0 h", time.Now().UTC().Format("2006-01")} {
		if !strings.Contains(out, want) {
			t.Fatalf("programme table lacks %q:\n%s", want, out)
		}
	}
	var m warden.ProgrammeMetrics
	if err := json.Unmarshal([]byte(mustRun(t, "", "posture", "--programme", "--json")), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Months) != 12 || m.OwnersAssigned != 1 || m.NotOnboardedDiscovered != 1 || m.MedianHoursToOwner == nil || *m.MedianHoursToOwner != 2 {
		t.Fatalf("programme = %+v", m)
	}
	if _, _, err := runCLI(t, "", "posture", "--programme", "--months", "99"); err == nil || !strings.Contains(err.Error(), "months") {
		t.Fatalf("--months 99: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }
