package govern_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/discover/k8s"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store/storetest"
)

// The rightsizing samples, imported through the real importers and
// evaluated on a real store at the end of their month of activity: the
// role granted s3:* and dynamodb:* and the service account granted '*'
// verbs get the NHI5 unused-permissions finding once the activity is
// enough to judge, and not before.
func TestEndToEnd_RightsizingSamplesRaiseUnusedPermissions(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "cli", ID: "e2e"})
	for _, s := range []struct {
		file string
		im   warden.Importer
	}{
		{"k8s-rbac.json", &k8s.Importer{Store: db}},
		{"k8s-audit.jsonl", &k8s.AuditImporter{Store: db}},
		{"aws-gaad.json", &aws.IAMImporter{Store: db}},
		{"cloudtrail.json", &aws.CloudTrailImporter{Store: db}},
	} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "rightsize", s.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.im.Import(ctx, strings.NewReader(string(data)), s.file); err != nil {
			t.Fatalf("import %s: %v", s.file, err)
		}
	}
	at := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	evaluate := func(override string) map[string]*warden.Finding {
		t.Helper()
		cfg, err := govern.LoadConfig(strings.NewReader(override))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := govern.NewEvaluator(govern.EvaluatorConfig{
			Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db,
			Rules: cfg, Now: func() time.Time { return at },
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ev.Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
		found, _, err := db.FindFindings(ctx, warden.FindingFilter{RuleID: "unused-permissions", Status: warden.FindingOpen})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*warden.Finding{}
		for _, f := range found {
			i, err := db.FindIdentityByID(ctx, f.IdentityID)
			if err != nil {
				t.Fatal(err)
			}
			out[i.ExternalID] = f
		}
		return out
	}

	// 16 and 14 allowed events in the 30-day window: below the default
	// min_events of 20, too little to judge.
	if got := evaluate(`{}`); len(got) != 0 {
		t.Fatalf("findings with the default min_events: %v", got)
	}

	got := evaluate(`{"rules": [{"id": "unused-permissions", "params": {"min_events": 10}}]}`)
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []string{"arn:aws:iam::318274650912:role/workload/orders-worker", "system:serviceaccount:fulfilment:inventory-sync"}; !slices.Equal(ids, want) {
		t.Fatalf("unused-permissions on %v, want %v", ids, want)
	}
	f := got["arn:aws:iam::318274650912:role/workload/orders-worker"]
	if !slices.Equal(f.OWASP, []string{"NHI5"}) || f.Severity != warden.SeverityMedium {
		t.Errorf("mapping %v %s", f.OWASP, f.Severity)
	}
	var ev struct {
		Events int      `json:"events"`
		Unused []string `json:"unused"`
		Broad  []struct {
			Permission string   `json:"permission"`
			Used       []string `json:"used"`
		} `json:"broad_grants"`
	}
	if err := json.Unmarshal(f.Evidence, &ev); err != nil {
		t.Fatal(err)
	}
	var broad []string
	for _, b := range ev.Broad {
		broad = append(broad, b.Permission+"="+strings.Join(b.Used, ","))
	}
	slices.Sort(broad)
	if want := []string{"dynamodb:*=dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query", "s3:*=s3:GetObject,s3:ListBucket,s3:PutObject"}; ev.Events != 16 || !slices.Equal(broad, want) || len(ev.Unused) != 4 {
		t.Errorf("evidence: events %d, broad %v (want %v), unused %v", ev.Events, broad, want, ev.Unused)
	}
	if !strings.Contains(f.Detail, "warden rightsize arn:aws:iam::318274650912:role/workload/orders-worker") {
		t.Errorf("detail does not point to rightsize: %s", f.Detail)
	}
	// The over-privileged count of the posture includes them.
	series, err := db.FindPosture(ctx, warden.PostureFilter{Limit: 1})
	if err != nil || len(series) != 1 {
		t.Fatalf("posture: %v, %v", series, err)
	}
	if p := series[0]; p.ByRule["unused-permissions"] != 2 || p.OverPrivileged < 2 {
		t.Errorf("posture: by rule %v, over-privileged %d", p.ByRule, p.OverPrivileged)
	}
}
