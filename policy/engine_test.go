package policy

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

const engineSchema = `entity Doc;
action read, write appliesTo { principal: [Identity], resource: [Doc], context: { source_ip?: String, token?: WardenToken } };
`

// adminCtx attributes changes made by tests.
var adminCtx = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "test", Role: warden.RoleAdmin})

// activate pushes and activates a version on db.
func activate(t testing.TB, db *store.DB, policies string) {
	t.Helper()
	v := &warden.PolicyVersion{Schema: engineSchema, Policies: map[string]string{"main.cedar": policies}}
	if _, err := Compile(v); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePolicyVersion(adminCtx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivatePolicyVersion(adminCtx, v.Version); err != nil {
		t.Fatal(err)
	}
}

// startEngine runs an engine on db, following its changes, until the test ends.
func startEngine(t testing.TB, db *store.DB, cfg Config) *Engine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := db.StartChangeListener(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Identities, cfg.Credentials, cfg.Policies, cfg.Entities, cfg.Changes = db, db, db, db, db
	e := New(cfg)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); e.Close() })
	return e
}

func createIdentity(t testing.TB, db *store.DB, ext string) *warden.Identity {
	t.Helper()
	i := &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: ext, Name: ext, Owner: "team-a", Environment: "prod"}
	if err := db.CreateIdentity(adminCtx, i); err != nil {
		t.Fatal(err)
	}
	return i
}

func readDoc(principal string) *Request {
	return &Request{Principal: &warden.EntityRef{Type: "Identity", ID: principal}, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d1"}}
}

// eventually polls decide until it returns want, failing after limit.
func eventually(t testing.TB, limit time.Duration, decide func() *Decision, want string) (*Decision, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		d := decide()
		if d.Decision == want {
			return d, time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("decision still %s (%v) after %v, want %s", d.Decision, d.Policies, limit, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustDecide(t testing.TB, e *Engine, req *Request) *Decision {
	t.Helper()
	d, err := e.Decide(context.Background(), req, "inproc")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGuardrail_QuarantinedDeniedEvenWhenPermitted: a user policy permits
// everything to team-a; quarantining, disabling or deprovisioning the
// identity denies it within a second, by the guardrail.
func TestGuardrail_QuarantinedDeniedEvenWhenPermitted(t *testing.T) {
	db := storetest.OpenSQLite(t)
	activate(t, db, `@id("team-a-reads") permit (principal in Team::"team-a", action, resource);`)
	e := startEngine(t, db, Config{})
	for _, tc := range []struct {
		name      string
		change    func(id string) error
		guardrail string
	}{
		{"Quarantined", func(id string) error {
			_, err := db.UpdateIdentity(adminCtx, id, warden.IdentityUpdate{Status: ptr(warden.StatusQuarantined)})
			return err
		}, "guardrail.quarantined"},
		{"Disabled", func(id string) error {
			_, err := db.UpdateIdentity(adminCtx, id, warden.IdentityUpdate{Status: ptr(warden.StatusDisabled)})
			return err
		}, "guardrail.disabled"},
		{"Deprovisioned", func(id string) error {
			_, err := db.DeprovisionIdentity(adminCtx, id, "gone")
			return err
		}, "guardrail.deprovisioned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := createIdentity(t, db, "spiffe://test/"+tc.name)
			d := mustDecide(t, e, readDoc(i.ExternalID))
			if !d.Allowed() || !slices.Equal(d.Policies, []string{"team-a-reads"}) || d.IdentityID != i.ID {
				t.Fatalf("before: %+v", d)
			}
			if err := tc.change(i.ID); err != nil {
				t.Fatal(err)
			}
			d, took := eventually(t, time.Second, func() *Decision { return mustDecide(t, e, readDoc(i.ExternalID)) }, "deny")
			if !slices.Equal(d.Policies, []string{tc.guardrail}) {
				t.Fatalf("denied by %v, want %s", d.Policies, tc.guardrail)
			}
			t.Logf("denied %v after the change", took)
		})
	}
	t.Run("UnknownIdentity", func(t *testing.T) {
		d := mustDecide(t, e, readDoc("spiffe://test/nobody"))
		if d.Allowed() || !slices.Equal(d.Policies, []string{"guardrail.unknown-identity"}) {
			t.Fatalf("%+v", d)
		}
	})
}

// TestGuardrail_RevokedTokenDeniedAcrossReplicas runs two engines on two
// stores sharing one PostgreSQL schema, as two warden serve replicas do. A
// token revoked, and an identity quarantined, through replica A are denied
// by replica B within one second.
func TestGuardrail_RevokedTokenDeniedAcrossReplicas(t *testing.T) {
	url := storetest.PostgresURL(t)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	iss := newTestIssuer(t)
	activate(t, dbA, `permit (principal in Team::"team-a", action, resource) when { context has token && context.token.scope.contains("read") };`)
	cfg := func(db *store.DB) Config {
		return Config{Verifier: iss, Revocations: credentialRevocations{db}, Audience: "pdp"}
	}
	engA, engB := startEngine(t, dbA, cfg(dbA)), startEngine(t, dbB, cfg(dbB))

	t.Run("RevokedToken", func(t *testing.T) {
		i := createIdentity(t, dbA, "spiffe://test/payments")
		raw := iss.mint(t, "jti-1", i.ID, i.ExternalID, time.Hour)
		cred := &warden.Credential{IdentityID: i.ID, Type: warden.CredentialToken, PublicID: "jti-1"}
		if err := dbA.CreateCredential(adminCtx, cred); err != nil {
			t.Fatal(err)
		}
		req := func() *Request {
			return &Request{Token: raw, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d1"}}
		}
		eventually(t, time.Second, func() *Decision { return mustDecide(t, engB, req()) }, "allow")
		if d := mustDecide(t, engA, req()); !d.Allowed() || d.IdentityID != i.ID {
			t.Fatalf("replica A before revocation: %+v", d)
		}
		if _, err := dbA.UpdateCredential(adminCtx, cred.ID, warden.CredentialUpdate{Status: ptr(warden.CredentialRevoked)}); err != nil {
			t.Fatal(err)
		}
		d, took := eventually(t, time.Second, func() *Decision { return mustDecide(t, engB, req()) }, "deny")
		if !slices.Equal(d.Policies, []string{"guardrail.token-revoked"}) {
			t.Fatalf("replica B denied by %v", d.Policies)
		}
		t.Logf("replica B denied the revoked token %v after revocation on replica A", took)
		if d := mustDecide(t, engA, req()); d.Allowed() {
			t.Fatalf("replica A still allows: %+v", d)
		}
	})
	t.Run("QuarantinedIdentity", func(t *testing.T) {
		i := createIdentity(t, dbA, "spiffe://test/ledger")
		raw := iss.mint(t, "jti-2", i.ID, i.ExternalID, time.Hour)
		req := &Request{Token: raw, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d1"}}
		eventually(t, time.Second, func() *Decision { return mustDecide(t, engB, req) }, "allow")
		if _, err := dbA.UpdateIdentity(adminCtx, i.ID, warden.IdentityUpdate{Status: ptr(warden.StatusQuarantined)}); err != nil {
			t.Fatal(err)
		}
		d, took := eventually(t, time.Second, func() *Decision { return mustDecide(t, engB, req) }, "deny")
		if !slices.Equal(d.Policies, []string{"guardrail.quarantined"}) {
			t.Fatalf("denied by %v", d.Policies)
		}
		t.Logf("replica B denied the quarantined identity %v after the change on replica A", took)
	})
	t.Run("PolicyActivation", func(t *testing.T) {
		activate(t, dbA, `forbid (principal, action == Action::"write", resource); permit (principal, action == Action::"read", resource);`)
		i := createIdentity(t, dbA, "spiffe://test/any")
		eventually(t, time.Second, func() *Decision { return mustDecide(t, engB, readDoc(i.ID)) }, "allow")
		if engB.ActiveSet().Version != 2 {
			t.Fatalf("replica B runs version %d", engB.ActiveSet().Version)
		}
	})
}

func TestEngine_TokenFailures(t *testing.T) {
	db := storetest.OpenSQLite(t)
	activate(t, db, `permit (principal, action, resource);`)
	iss := newTestIssuer(t)
	e := startEngine(t, db, Config{Verifier: iss, Revocations: credentialRevocations{db}, Audience: "pdp"})
	i := createIdentity(t, db, "spiffe://test/t")
	other := newTestIssuer(t)
	for _, tc := range []struct {
		name  string
		token string
		want  string
	}{
		{"Garbage", "not-a-jwt", "token rejected: malformed token"},
		{"OtherIssuerKey", other.mint(t, "j1", i.ID, i.ExternalID, time.Hour), "token rejected: bad signature"},
		{"Expired", iss.mint(t, "j2", i.ID, i.ExternalID, -time.Minute), "token rejected: token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDecide(t, e, &Request{Token: tc.token, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}})
			if d.Allowed() || len(d.Errors) != 1 || len(d.Errors[0]) < len(tc.want) || d.Errors[0][:len(tc.want)] != tc.want {
				t.Fatalf("%+v", d)
			}
		})
	}
	t.Run("ExpiresWhileCached", func(t *testing.T) {
		raw := iss.mint(t, "j3", i.ID, i.ExternalID, 1500*time.Millisecond)
		req := &Request{Token: raw, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}}
		if d := mustDecide(t, e, req); !d.Allowed() {
			t.Fatalf("fresh token: %+v", d)
		}
		d, _ := eventually(t, 3*time.Second, func() *Decision { return mustDecide(t, e, req) }, "deny")
		if !slices.Equal(d.Policies, []string{"guardrail.token-expired"}) {
			t.Fatalf("denied by %v", d.Policies)
		}
	})
}

func TestEngine_BadRequestsNameTheField(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := startEngine(t, db, Config{})
	p := &warden.EntityRef{Type: "Identity", ID: "x"}
	for _, tc := range []struct {
		name  string
		req   Request
		field string
	}{
		{"NoPrincipal", Request{Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}}, "principal"},
		{"PrincipalAndToken", Request{Principal: p, Token: "t", Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}}, "principal"},
		{"BadActionType", Request{Principal: p, Action: warden.EntityRef{Type: "not a type", ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}}, "action.type"},
		{"NoResourceID", Request{Principal: p, Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc"}}, "resource.id"},
		{"ContextNotRecord", Request{Principal: p, Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Context: json.RawMessage(`[1]`)}, "context"},
		{"ContextToken", Request{Principal: p, Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Context: json.RawMessage(`{"token":{"revoked":false}}`)}, "context.token"},
		{"EntitiesNotList", Request{Principal: p, Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Entities: json.RawMessage(`{"a":1}`)}, "entities"},
		{"ForgedIdentityEntity", Request{Principal: p, Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Entities: json.RawMessage(`[{"uid":{"type":"Identity","id":"x"},"attrs":{"status":"active"},"parents":[]}]`)}, "entities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Decide(context.Background(), &tc.req, "inproc")
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field {
				t.Fatalf("error %v, want EINVALID on field %s", err, tc.field)
			}
		})
	}
}

// TestEngine_DecisionLog: every deny and the sampled allows are written,
// asynchronously, with the facts they were decided on.
func TestEngine_DecisionLog(t *testing.T) {
	db := storetest.OpenSQLite(t)
	activate(t, db, `@id("reads") permit (principal, action == Action::"read", resource);`)
	e := startEngine(t, db, Config{Log: db, SampleAllows: 1})
	i := createIdentity(t, db, "spiffe://test/logged")
	allow := mustDecide(t, e, readDoc(i.ID))
	deny := mustDecide(t, e, &Request{Principal: &warden.EntityRef{Type: "Identity", ID: i.ID}, Action: warden.EntityRef{ID: "write"}, Resource: warden.EntityRef{Type: "Doc", ID: "d1"}, Context: json.RawMessage(`{"source_ip":"10.1.2.3"}`)})
	if !allow.Allowed() || deny.Allowed() {
		t.Fatalf("%+v %+v", allow, deny)
	}
	var got []*warden.DecisionRecord
	deadline := time.Now().Add(3 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		got, _, _ = db.FindDecisions(context.Background(), warden.DecisionFilter{IdentityID: i.ID})
	}
	if len(got) != 2 {
		t.Fatalf("%d decisions logged", len(got))
	}
	byID := map[string]*warden.DecisionRecord{got[0].ID: got[0], got[1].ID: got[1]}
	d := byID[deny.ID]
	if d == nil || d.Decision != "deny" || d.Action.ID != "write" || d.Source != "inproc" || d.PolicyVersion != 1 {
		t.Fatalf("deny record %+v", d)
	}
	var lr LoggedRequest
	if err := json.Unmarshal(d.Request, &lr); err != nil {
		t.Fatal(err)
	}
	if p, ok := lr.Entities[lr.Principal]; !ok || p.Attributes.Len() == 0 {
		t.Fatalf("logged request lacks the enriched principal: %s", d.Request)
	}
	if a := byID[allow.ID]; a == nil || !slices.Equal(a.Policies, []string{"reads"}) {
		t.Fatalf("allow record %+v", a)
	}
}

func ptr[T any](v T) *T { return &v }
