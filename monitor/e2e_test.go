package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var adminCtx = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "test", Role: warden.RoleAdmin})

const e2eSchema = `entity Bucket;
action read appliesTo { principal: [Identity], resource: [Bucket], context: {} };
`

// ordersRole is the instance role of the off-workload sequence.
const ordersRole = "arn:aws:iam::111122223333:role/orders-api"

func createOrdersRole(t *testing.T, db *store.DB) *warden.Identity {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: ordersRole, Name: "orders-api", Owner: "team-orders", Environment: "prod"}
	if err := db.CreateIdentity(adminCtx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// startPDP runs the policy engine on db with a policy permitting every
// read, so that only warden's guardrails (quarantine) can deny.
func startPDP(t *testing.T, db *store.DB) *policy.Engine {
	t.Helper()
	v := &warden.PolicyVersion{Schema: e2eSchema, Policies: map[string]string{"main.cedar": `permit (principal, action, resource);`}}
	if err := db.CreatePolicyVersion(adminCtx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivatePolicyVersion(adminCtx, v.Version); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := db.StartChangeListener(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e := policy.New(policy.Config{Identities: db, Credentials: db, Policies: db, Entities: db, Changes: db})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); e.Close() })
	return e
}

func decide(t *testing.T, pdp *policy.Engine, id string) string {
	t.Helper()
	d, err := pdp.Decide(context.Background(), &policy.Request{Principal: &warden.EntityRef{Type: "Identity", ID: id},
		Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Bucket", ID: "nw-orders"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return d.Decision
}

const quarantinePlaybook = `{"rules":[
 {"name":"stolen workload credentials","detectors":["off-workload-credential"],"min_severity":"high",
  "select":{"providers":["aws","kubernetes"],"environments":["prod"]},"actions":["alert","quarantine","revoke"]},
 {"name":"everything else","actions":["alert"]}]}`

func ingestAll(t *testing.T, p *Pipeline, events []*warden.Event) []warden.IngestResult {
	t.Helper()
	var out []warden.IngestResult
	for start := 0; start < len(events); start += 40 {
		res, err := p.IngestEvents(context.Background(), events[start:min(start+40, len(events))])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res)
	}
	return out
}

// TestE2E_OffWorkloadQuarantinesAndPDPDenies: an instance-role credential
// used from its instance and then from another network with another SDK
// raises off-workload-credential; the playbook quarantines the role (and
// revokes what warden issued to it), and the policy decision point, which
// permitted it before, now denies it.
func TestE2E_OffWorkloadQuarantinesAndPDPDenies(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.DB{"SQLite": storetest.OpenSQLite, "Postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			role := createOrdersRole(t, db)
			pdp := startPDP(t, db)
			pb, err := ParsePlaybook([]byte(quarantinePlaybook))
			if err != nil {
				t.Fatal(err)
			}
			var ocsf bytes.Buffer
			cfg := testConfig()
			cfg.Baselines, cfg.Lateness = db, -1
			p := &Pipeline{Engine: NewEngine(cfg), Activity: db, Detections: db,
				Responder: &Responder{Playbook: pb, Identities: db, Revoker: db},
				Alerts:    []Sink{&WriterSink{W: &ocsf, Format: FormatOCSF, ProductVersion: "test"}}}
			events := readSequence(t, "cloudtrail-off-workload.jsonl")
			learning, attack := events[:len(events)-2], events[len(events)-2:]
			for _, r := range ingestAll(t, p, learning) {
				if r.Detections != 0 {
					t.Fatalf("learning raised detections: %+v", r)
				}
			}
			if got := decide(t, pdp, role.ID); got != "allow" {
				t.Fatalf("before: decision %s, want allow", got)
			}
			res, err := p.IngestEvents(context.Background(), attack)
			if err != nil || res.Events != 2 || res.Detections != 3 {
				t.Fatalf("attack ingest = %+v, %v", res, err)
			}
			ds, _, err := db.FindDetections(context.Background(), warden.DetectionFilter{Detector: DetOffWorkload})
			if err != nil || len(ds) != 1 {
				t.Fatalf("stored off-workload detections = %v, %v", ds, err)
			}
			d := ds[0]
			if d.IdentityID != role.ID || d.Severity != warden.SeverityCritical || !slices.Equal(d.Responses, []string{"alert", "quarantine", "revoke (0 credentials)"}) {
				t.Fatalf("detection = %+v", d)
			}
			got, err := db.FindIdentityByID(context.Background(), role.ID)
			if err != nil || got.Status != warden.StatusQuarantined || !strings.Contains(got.StatusReason, d.ID) {
				t.Fatalf("identity after playbook = %+v, %v", got, err)
			}
			recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "identity.update", TargetID: role.ID})
			if err != nil || len(recs) != 1 || recs[0].Actor != "system:monitor(playbook stolen workload credentials)" || !strings.Contains(string(recs[0].After), d.ID) {
				t.Fatalf("audit of the quarantine = %+v, %v", recs, err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for decide(t, pdp, role.ID) != "deny" {
				if time.Now().After(deadline) {
					t.Fatal("PDP still allows the quarantined identity after 2s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Every detection of the attack was alerted as OCSF (the second
			// rule alerts the rest), none twice.
			lines := strings.Split(strings.TrimSpace(ocsf.String()), "\n")
			if len(lines) != 3 {
				t.Fatalf("OCSF alerts = %d lines", len(lines))
			}
			var f map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &f); err != nil || f["class_uid"] != float64(2004) {
				t.Fatalf("OCSF line = %v, %v", f, err)
			}
		})
	}
}

// TestRestart_BaselinesSurvive: the learned baseline is persisted, so a
// new engine on the same database (a restarted server) still knows the
// workload's network and detects the stolen credential from the last two
// events alone; a fresh database learns nothing from them.
func TestRestart_BaselinesSurvive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	events := readSequence(t, "cloudtrail-off-workload.jsonl")
	learning, attack := events[:len(events)-2], events[len(events)-2:]
	cfg := testConfig()
	cfg.Lateness = -1

	db1, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Baselines = db1
	p1 := &Pipeline{Engine: NewEngine(cfg), Detections: db1}
	ingestAll(t, p1, learning)
	db1.Close()

	db2, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	cfg.Baselines = db2
	p2 := &Pipeline{Engine: NewEngine(cfg), Detections: db2}
	res, err := p2.IngestEvents(context.Background(), attack)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := db2.FindDetections(context.Background(), warden.DetectionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if g := summary(ds); res.Detections != 3 || !slices.Equal(g, []string{"new-source-network medium orders-api", "new-user-agent low orders-api", "off-workload-credential critical orders-api"}) {
		t.Fatalf("after restart: %+v %q", res, g)
	}
	if prof := p2.Engine.Profile(ActorKey(attack[0])); prof == nil || prof.Events != int64(len(events)) {
		t.Fatalf("restored profile = %+v", prof)
	}

	fresh := storetest.OpenSQLite(t)
	cfg.Baselines = fresh
	p3 := &Pipeline{Engine: NewEngine(cfg), Detections: fresh}
	if res, err := p3.IngestEvents(context.Background(), attack); err != nil || res.Detections != 0 {
		t.Fatalf("without a baseline: %+v, %v", res, err)
	}
}
