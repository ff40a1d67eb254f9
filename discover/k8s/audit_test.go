package k8s

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

const auditSample = "../../testdata/k8s/audit-northwind-prod.jsonl"

type auditParsed struct {
	Event    *warden.Event    `json:"event"`
	Identity *warden.Identity `json:"identity"`
}

func parseAudit(tb testing.TB, data []byte, ref string) ([]auditParsed, int, error) {
	tb.Helper()
	in, err := discover.Open(bytes.NewReader(data), ref, 0)
	if err != nil {
		return nil, 0, err
	}
	p, err := NewAuditParser(in, ref)
	if err != nil {
		return nil, 0, err
	}
	var out []auditParsed
	for {
		ok, err := p.Next()
		if err != nil || !ok {
			return out, p.Skipped(), err
		}
		e := new(warden.Event)
		id, keep, err := p.Event(e)
		if err != nil {
			return out, p.Skipped(), err
		}
		if keep {
			out = append(out, auditParsed{e, id})
		}
	}
}

func readAudit(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(auditSample)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseAudit_Golden(t *testing.T) {
	events, skipped, err := parseAudit(t, readAudit(t), "audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	view := []map[string]any{}
	for _, e := range events {
		view = append(view, map[string]any{"event": e.Event, "identity": idView(e.Identity)})
	}
	got, _ := json.MarshalIndent(map[string]any{"skipped": skipped, "events": view}, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "audit.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("differs from %s (go test -update after checking):\n%s", path, got)
	}
}

func TestParseAudit_Normalises(t *testing.T) {
	events, skipped, err := parseAudit(t, readAudit(t), "audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// 15 records: 2 intermediate stages of the exec, a person, the
	// controller manager and anonymous are skipped.
	if len(events) != 10 || skipped != 5 {
		t.Fatalf("%d kept, %d skipped", len(events), skipped)
	}
	for _, tc := range []struct {
		name                                       string
		n                                          int
		principal, action, resource, session, cred string
		outcome                                    warden.Outcome
		errorCode                                  string
		interactive                                bool
	}{
		{"BoundTokenRead", 0, "system:serviceaccount:prod:shipment-api", "get configmaps", "/namespaces/prod/configmaps/shipment-api-config", "shipment-api-7d9c5b6f4-x2lqp", "JTI=6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718", warden.OutcomeAllow, "", false},
		{"ForbiddenIsDeny", 2, "system:serviceaccount:prod:shipment-api", "get secrets", "/namespaces/kube-system/secrets/aws-credentials", "shipment-api-7d9c5b6f4-x2lqp", "JTI=6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718", warden.OutcomeDeny, "Forbidden", false},
		{"APIGroupQualified", 3, "system:serviceaccount:ci:deployer", "patch deployments.apps", "/namespaces/prod/deployments.apps/shipment-api", "", "", warden.OutcomeAllow, "", false},
		{"Subresource", 4, "system:serviceaccount:ci:deployer", "get deployments.apps/scale", "/namespaces/prod/deployments.apps/shipment-api/scale", "", "", warden.OutcomeAllow, "", false},
		{"ExecIsInteractiveOnce", 5, "system:serviceaccount:ci:deployer", "create pods/exec", "/namespaces/prod/pods/shipment-api-7d9c5b6f4-x2lqp/exec", "", "", warden.OutcomeAllow, "", true},
		{"ClusterWideList", 6, "system:serviceaccount:default:legacy-cron", "list secrets", "/secrets", "", "", warden.OutcomeDeny, "Forbidden", false},
		{"DeniedAttach", 8, "system:serviceaccount:default:legacy-cron", "create pods/attach", "/namespaces/prod/pods/billing-db-0/attach", "", "", warden.OutcomeDeny, "Forbidden", true},
		{"NonResourceURL", 9, "system:serviceaccount:monitoring:prometheus", "get /metrics", "/metrics", "", "", warden.OutcomeAllow, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := events[tc.n]
			e := got.Event
			if e.Principal != tc.principal || e.Action != tc.action || e.Resource != tc.resource || e.Session != tc.session || e.CredentialID != tc.cred ||
				e.Outcome != tc.outcome || e.ErrorCode != tc.errorCode || e.Interactive != tc.interactive || e.Provider != warden.ProviderKubernetes {
				t.Fatalf("event = %+v", e)
			}
			if got.Identity == nil || got.Identity.ExternalID != e.Principal || got.Identity.Kind != warden.KindServiceAccount || got.Identity.Validate() != nil {
				t.Fatalf("identity = %+v", got.Identity)
			}
		})
	}
	if strings.Contains(events[5].Event.Resource+events[5].Event.Action, "command=") {
		t.Fatal("the exec command line leaked into the event")
	}
}

func TestParseAudit_Malformed(t *testing.T) {
	good := `{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:a:b"},"requestReceivedTimestamp":"2026-03-01T10:00:00Z"}`
	for _, tc := range []struct{ name, input, want string }{
		{"BadJSON", good + "\n{\"verb\": }", "audit.jsonl: record 2: malformed JSON"},
		{"WrongType", good + "\n" + `{"verb": ["get"]}`, "audit.jsonl: record 2: field verb must be a string"},
		{"MissingUser", good + "\n" + `{"auditID":"b","verb":"get","requestReceivedTimestamp":"2026-03-01T10:00:00Z"}`, "audit.jsonl: record 2: an audit event needs"},
		{"BadTime", `{"auditID":"b","verb":"get","user":{"username":"x"},"requestReceivedTimestamp":"noon"}`, "audit.jsonl: record 1: field requestReceivedTimestamp"},
		{"BadCode", `{"auditID":"b","verb":"get","user":{"username":"x"},"responseStatus":{"code":"ok"}}`, "field responseStatus.code"},
		{"NotAnEvent", `{"kind":"EventList","auditID":"b","verb":"get","user":{"username":"x"},"requestReceivedTimestamp":"2026-03-01T10:00:00Z"}`, `record 1: kind "EventList"`},
		{"BadExtra", `{"auditID":"b","verb":"get","user":{"username":"x","extra":{"authentication.kubernetes.io/pod-name":"p"}}}`, "user.extra.authentication.kubernetes.io/pod-name must be an array"},
		{"NotJSONLines", `[` + good + `]`, "audit.jsonl: expected JSON Lines"},
		{"Truncated", good + "\n" + good[:40], "audit.jsonl: record 2: the input ends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseAudit(t, []byte(tc.input), "audit.jsonl")
			if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tc.want) {
				t.Fatalf("error = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

// TestImportAudit_AfterRBACIsIdempotent imports the cluster's RBAC and
// then its audit log twice: known service accounts get their last use,
// unknown ones are created not onboarded, the re-import changes nothing.
func TestImportAudit_AfterRBACIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t", Name: "k8s"})
			if _, err := (&Importer{Store: db}).Import(ctx, bytes.NewReader(readSample(t)), "rbac.json"); err != nil {
				t.Fatal(err)
			}
			im := &AuditImporter{Store: db, BatchSize: 3}
			rep, err := im.Import(ctx, bytes.NewReader(readAudit(t)), "audit.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != 15 || rep.Skipped != 5 || rep.Events.Created != 10 || rep.Identities.Created != 2 {
				t.Fatalf("first import = %+v", *rep)
			}
			before, _ := db.VerifyAudit(context.Background())
			rep, err = im.Import(ctx, bytes.NewReader(readAudit(t)), "audit.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Events.Created+rep.Identities.Created+rep.Identities.Updated+rep.Credentials.Updated != 0 || rep.Events.Unchanged != 10 {
				t.Fatalf("re-import = %+v", *rep)
			}
			after, _ := db.VerifyAudit(context.Background())
			if after.Records != before.Records {
				t.Fatalf("re-import wrote %d audit records", after.Records-before.Records)
			}
			deployer, err := db.FindIdentityByRef(context.Background(), "system:serviceaccount:ci:deployer", warden.ProviderKubernetes)
			if err != nil || !deployer.Managed || deployer.LastUsedAt == nil || deployer.LastUsedAt.Format("15:04:05") != "22:41:07" {
				t.Fatalf("deployer = %+v, %v", deployer, err)
			}
			events, _, _ := db.FindEvents(context.Background(), warden.EventFilter{IdentityID: deployer.ID})
			interactive := 0
			for _, e := range events {
				if e.Interactive {
					interactive++
				}
			}
			if len(events) != 3 || interactive != 1 {
				t.Fatalf("deployer: %d events, %d interactive", len(events), interactive)
			}
			ghost, err := db.FindIdentityByRef(context.Background(), "system:serviceaccount:default:legacy-cron", warden.ProviderKubernetes)
			if err != nil || ghost.Managed || ghost.Labels["namespace"] != "default" {
				t.Fatalf("legacy-cron = %+v, %v", ghost, err)
			}
		})
	}
}

func FuzzParseAudit(f *testing.F) {
	f.Add(readAudit(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := NewAuditParser(bufio.NewReader(bytes.NewReader(data)), "fuzz.jsonl")
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error %v", err)
			}
			return
		}
		for {
			ok, err := p.Next()
			if err != nil {
				if warden.ErrorCode(err) != warden.EINVALID {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !ok {
				return
			}
			var e warden.Event
			id, keep, err := p.Event(&e)
			if err != nil {
				if warden.ErrorCode(err) != warden.EINVALID {
					t.Fatalf("error %v", err)
				}
				continue
			}
			if !keep {
				continue
			}
			if e.RawID == "" || e.Time.IsZero() || !strings.HasPrefix(e.Principal, "system:serviceaccount:") {
				t.Fatalf("event %+v", e)
			}
			if id != nil && id.Validate() != nil {
				t.Fatalf("identity %+v", id)
			}
		}
	})
}

// idView is the golden form of an identity: what the importer sets, so
// that a field added to the domain does not churn the golden file.
func idView(i *warden.Identity) any {
	if i == nil {
		return nil
	}
	return map[string]any{"kind": i.Kind, "provider": i.Provider, "external_id": i.ExternalID, "name": i.Name, "labels": i.Labels}
}
