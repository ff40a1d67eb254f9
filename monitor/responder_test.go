package monitor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func readPlaybook(t *testing.T, name string) *Playbook {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "playbooks", name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlaybook(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// TestResponder_Playbooks runs detections through the sample playbooks
// against a real inventory: what each does to the identity, what it
// records on the detection, and whether it is alerted.
func TestResponder_Playbooks(t *testing.T) {
	tests := []struct {
		name       string
		playbook   string
		detector   string
		severity   warden.Severity
		status     warden.Status // the identity's status before
		labels     map[string]string
		wantStatus warden.Status
		want       []string
		wantAlert  bool
	}{
		{name: "DryRunChangesNothing", playbook: "dry-run.json", detector: DetOffWorkload, severity: warden.SeverityCritical,
			wantStatus: warden.StatusActive, want: []string{"dry-run:alert", "dry-run:quarantine", "dry-run:revoke", "dry-run:disable"}},
		{name: "DryRunBelowSeverityDoesNothing", playbook: "dry-run.json", detector: DetNewAgent, severity: warden.SeverityLow,
			wantStatus: warden.StatusActive, want: nil},
		{name: "Quarantine", playbook: "production.json", detector: DetOffWorkload, severity: warden.SeverityCritical,
			wantStatus: warden.StatusQuarantined, want: []string{"alert", "quarantine", "skipped:revoke (no issuer)"}, wantAlert: true},
		{name: "DisableOnTampering", playbook: "production.json", detector: DetLogTampering, severity: warden.SeverityCritical,
			wantStatus: warden.StatusDisabled, want: []string{"alert", "disable"}, wantAlert: true},
		{name: "DisableAlreadyDisabled", playbook: "production.json", detector: DetLogTampering, severity: warden.SeverityCritical, status: warden.StatusDisabled,
			wantStatus: warden.StatusDisabled, want: []string{"alert", "skipped:disable (identity already disabled)"}, wantAlert: true},
		{name: "DisableOverridesQuarantine", playbook: "production.json", detector: DetLogTampering, severity: warden.SeverityHigh, status: warden.StatusQuarantined,
			wantStatus: warden.StatusDisabled, want: []string{"alert", "disable"}, wantAlert: true},
		{name: "LabelledOnlyAlerted", playbook: "production.json", detector: DetHumanUse, severity: warden.SeverityMedium, labels: map[string]string{"break-glass": "true"},
			wantStatus: warden.StatusActive, want: []string{"alert"}, wantAlert: true},
		{name: "LowSeverityIgnored", playbook: "production.json", detector: DetNewAgent, severity: warden.SeverityLow,
			wantStatus: warden.StatusActive, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.OpenSQLite(t)
			role := createOrdersRole(t, db)
			if tt.status != "" || tt.labels != nil {
				upd := warden.IdentityUpdate{Labels: &tt.labels}
				if tt.status != "" {
					reason := "set by the test"
					upd.Status, upd.StatusReason = &tt.status, &reason
				}
				if tt.labels == nil {
					upd.Labels = nil
				}
				if _, err := db.UpdateIdentity(adminCtx, role.ID, upd); err != nil {
					t.Fatal(err)
				}
			}
			d := sampleDetection()
			d.Detector, d.Severity, d.Responses = tt.detector, tt.severity, nil
			r := &Responder{Playbook: readPlaybook(t, tt.playbook), Identities: db}
			alert, err := r.Respond(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Responses, tt.want) || alert != tt.wantAlert {
				t.Fatalf("responses %q alert %v, want %q %v", d.Responses, alert, tt.want, tt.wantAlert)
			}
			got, err := db.FindIdentityByID(context.Background(), role.ID)
			if err != nil || got.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s (%v)", got.Status, tt.wantStatus, err)
			}
			// Changes by the playbook are audited as the monitor with the
			// detection as reason; a dry run writes nothing.
			all, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "identity.update", TargetID: role.ID})
			if err != nil {
				t.Fatal(err)
			}
			var recs []*warden.AuditRecord
			for _, rec := range all {
				if strings.HasPrefix(rec.Actor, "system:monitor(playbook ") {
					recs = append(recs, rec)
				}
			}
			changed := tt.wantStatus != warden.StatusActive && tt.wantStatus != tt.status
			if changed != (len(recs) == 1) || len(recs) > 1 {
				t.Fatalf("audit records by the monitor = %d, want change=%v", len(recs), changed)
			}
			if changed && (!strings.Contains(got.StatusReason, d.ID) || !strings.Contains(string(recs[0].After), d.ID)) {
				t.Fatalf("reason %q / audit %s does not name detection %s", got.StatusReason, recs[0].After, d.ID)
			}
		})
	}
}
