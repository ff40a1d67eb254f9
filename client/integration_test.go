package client_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
)

// realServer starts the real API over a real SQLite store and returns a
// client with an admin token.
func realServer(t *testing.T) *client.Client {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, secret, err := db.CreateToken(ctx, "client-test", warden.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Identities: db, Credentials: db, Tokens: db, Audit: db}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The client implements the domain services, so the demo loader runs
// unchanged against a remote server.
func TestClient_ServesAsDomainServicesAgainstTheRealAPI(t *testing.T) {
	c := realServer(t)
	ctx := context.Background()
	now := time.Now()

	n, err := demo.Load(ctx, c, c, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(demo.Identities(now)); n != want {
		t.Fatalf("loaded %d, want %d", n, want)
	}

	var count int
	for _, err := range c.Identities(ctx, warden.IdentityFilter{Limit: 50}) {
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != n {
		t.Errorf("iterated %d identities, want %d", count, n)
	}

	arn := "arn:aws:iam::402118867530:user/jenkins-deployer"
	id, err := c.FindIdentityByRef(ctx, arn, warden.ProviderAWS)
	if err != nil {
		t.Fatal(err)
	}
	owner := "team-platform"
	upd, err := c.UpdateIdentity(ctx, id.ID, warden.IdentityUpdate{Owner: &owner, ClearNextReview: true})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Owner != owner || upd.NextReviewAt != nil {
		t.Errorf("after update: owner %q, review %v", upd.Owner, upd.NextReviewAt)
	}

	var creds []*warden.Credential
	for cred, err := range c.Credentials(ctx, warden.CredentialFilter{IdentityID: id.ID}) {
		if err != nil {
			t.Fatal(err)
		}
		creds = append(creds, cred)
	}
	if len(creds) != 2 {
		t.Fatalf("jenkins-deployer has %d credentials, want 2", len(creds))
	}
	revoked := warden.CredentialRevoked
	if _, err := c.UpdateCredential(ctx, creds[0].ID, warden.CredentialUpdate{Status: &revoked}); err != nil {
		t.Fatal(err)
	}

	dep, err := c.DeprovisionIdentity(ctx, id.ID, "replaced by OIDC")
	if err != nil || dep.Status != warden.StatusDeprovisioned {
		t.Fatalf("deprovision = %+v, %v", dep, err)
	}
	if _, err := c.UpdateIdentity(ctx, id.ID, warden.IdentityUpdate{Owner: &owner}); warden.ErrorCode(err) != warden.ECONFLICT {
		t.Errorf("update after deprovision: err = %v, want conflict", err)
	}

	var records int
	for rec, err := range c.AuditRecords(ctx, warden.AuditFilter{TargetID: id.ID}) {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rec.Actor, "token:") {
			t.Errorf("record %d by %q, want the API token", rec.Seq, rec.Actor)
		}
		records++
	}
	if records != 3 {
		t.Errorf("%d audit records for the identity, want create, update, deprovision", records)
	}
	v, err := c.VerifyAudit(ctx)
	if err != nil || !v.OK {
		t.Errorf("verify = %+v, %v", v, err)
	}
}

func TestClient_TokensAgainstTheRealAPI(t *testing.T) {
	c := realServer(t)
	ctx := context.Background()
	tok, secret, err := c.CreateToken(ctx, "reader", warden.RoleAuditor)
	if err != nil || secret == "" {
		t.Fatalf("create = %+v, %q, %v", tok, secret, err)
	}
	reader, err := client.New(c.BaseURL(), secret)
	if err != nil {
		t.Fatal(err)
	}
	me, err := reader.WhoAmI(ctx)
	if err != nil || me.Role != warden.RoleAuditor {
		t.Fatalf("whoami = %+v, %v", me, err)
	}
	if _, err := reader.FindTokens(ctx); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Errorf("auditor listing tokens: err = %v, want forbidden", err)
	}
	if _, err := c.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.WhoAmI(ctx); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Errorf("revoked token: err = %v, want unauthorized", err)
	}
	tokens, err := c.FindTokens(ctx)
	if err != nil || len(tokens) != 2 {
		t.Errorf("tokens = %d, %v", len(tokens), err)
	}
}
