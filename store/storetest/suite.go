package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// Opener returns a new, empty store private to the test.
type Opener func(tb testing.TB) *store.DB

// Run runs the whole conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Identities", func(t *testing.T) { testIdentities(t, open) })
	t.Run("IdentityList", func(t *testing.T) { testIdentityList(t, open) })
	t.Run("Import", func(t *testing.T) { testImport(t, open) })
	t.Run("Credentials", func(t *testing.T) { testCredentials(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("AuditTampering", func(t *testing.T) { testAuditTampering(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("Policies", func(t *testing.T) { testPolicies(t, open) })
	t.Run("Decisions", func(t *testing.T) { testDecisions(t, open) })
	t.Run("DecisionActivity", func(t *testing.T) { testDecisionActivity(t, open) })
	t.Run("Issuer", func(t *testing.T) { testIssuer(t, open) })
	t.Run("Leaks", func(t *testing.T) { testLeaks(t, open) })
	t.Run("Monitor", func(t *testing.T) { testMonitor(t, open) })
	t.Run("Findings", func(t *testing.T) { testFindings(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Access", func(t *testing.T) { testAccess(t, open) })
	t.Run("Enforcement", func(t *testing.T) { testEnforcement(t, open) })
	t.Run("Provenance", func(t *testing.T) { testProvenance(t, open) })
	t.Run("Programme", func(t *testing.T) { testProgramme(t, open) })
	t.Run("Reviews", func(t *testing.T) { testReviews(t, open) })
	t.Run("Onboarding", func(t *testing.T) { testOnboarding(t, open) })
	t.Run("Offboarding", func(t *testing.T) { testOffboarding(t, open) })
	t.Run("OwnerSuggestions", func(t *testing.T) { testOwnerSuggestions(t, open) })
}

// clock is a settable time source for deterministic timestamps.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)} }
func actorCtx(name string) context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-" + name, Name: name, Role: warden.RoleAdmin})
}

func mustCreate(tb testing.TB, db *store.DB, i *warden.Identity) *warden.Identity {
	tb.Helper()
	if err := db.CreateIdentity(actorCtx("tester"), i); err != nil {
		tb.Fatalf("create identity %s: %v", i.ExternalID, err)
	}
	return i
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := warden.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func ptr[T any](v T) *T { return &v }
