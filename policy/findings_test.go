package policy

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestGovernanceFindings_PolicyDecidesOnOpenFindings: a policy forbidding
// principals with an open "secret-leaked" finding denies the identity once
// the finding is raised, allows it again within a second of the finding's
// resolution, and never looks at other identities' findings; a suppressed
// finding is not open. On SQLite and PostgreSQL.
func TestGovernanceFindings_PolicyDecidesOnOpenFindings(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			activate(t, db, `permit (principal, action == Action::"read", resource);
@id("no-leaked-secrets")
forbid (principal, action, resource) when { principal.open_findings.contains("secret-leaked") };`)
			e := startEngine(t, db, Config{Findings: GovernanceFindings{Findings: db}})
			leaky, clean := createIdentity(t, db, "svc-leaky"), createIdentity(t, db, "svc-clean")
			decide := func(who string) func() *Decision {
				return func() *Decision {
					d, err := e.Decide(adminCtx, readDoc(who), "test")
					if err != nil {
						t.Fatal(err)
					}
					return d
				}
			}
			eventually(t, time.Second, decide("svc-leaky"), "allow") // cached without findings

			raise := func(i *warden.Identity, rule string) *warden.Finding {
				f := &warden.Finding{IdentityID: i.ID, RuleID: rule, Severity: warden.SeverityCritical, Title: rule, Source: "scan"}
				if err := db.RaiseFinding(adminCtx, f); err != nil {
					t.Fatal(err)
				}
				return f
			}
			leak := raise(leaky, "secret-leaked")
			raise(leaky, "no-owner")
			raise(clean, "stale-credential")
			d, took := eventually(t, time.Second, decide("svc-leaky"), "deny")
			if len(d.Policies) != 1 || d.Policies[0] != "no-leaked-secrets" {
				t.Fatalf("deny by %v, want no-leaked-secrets", d.Policies)
			}
			t.Logf("deny %v after the finding was raised", took)
			if d := decide("svc-clean")(); d.Decision != "allow" {
				t.Fatalf("clean identity: %s by %v", d.Decision, d.Policies)
			}

			rules, ids, err := GovernanceFindings{Findings: db}.OpenFindings(adminCtx, leaky.ID)
			if err != nil || len(ids) != 2 || len(rules) != 2 || rules[0] != "no-owner" || rules[1] != "secret-leaked" {
				t.Fatalf("open findings %v %v %v", rules, ids, err)
			}

			if _, err := db.SuppressFinding(adminCtx, leak.ID, "key rotated, history rewritten", time.Now().Add(24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Second, decide("svc-leaky"), "allow")
			if _, err := db.UnsuppressFinding(adminCtx, leak.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Second, decide("svc-leaky"), "deny")
			if _, err := db.ResolveFinding(adminCtx, leak.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Second, decide("svc-leaky"), "allow")
		})
	}
}
