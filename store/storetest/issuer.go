package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// issuerEntry stores a workload identity and a join-token entry for it.
func issuerEntry(t *testing.T, db *store.DB, name, method string) (*warden.Identity, *warden.RegistrationEntry) {
	t.Helper()
	id := mustCreate(t, db, &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden,
		ExternalID: "spiffe://example.org/" + name, Name: name})
	e := &warden.RegistrationEntry{SPIFFEID: id.ExternalID, IdentityID: id.ID, Method: method,
		Audiences: []string{"https://api.example.org", "https://api.example.org"}, Scopes: []string{"orders:write", "orders:read"}}
	if method == warden.AttestOIDC {
		e.OIDCIssuer, e.Selectors = "https://token.actions.githubusercontent.com", map[string]string{"repository": "acme/" + name}
	}
	if err := db.CreateRegistrationEntry(actorCtx("issuer-admin"), e); err != nil {
		t.Fatalf("create entry: %v", err)
	}
	return id, e
}

func testIssuer(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("Entries", func(t *testing.T) {
		db := open(t)
		_, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		if strings.Join(e.Audiences, ",") != "https://api.example.org" || strings.Join(e.Scopes, ",") != "orders:read,orders:write" {
			t.Errorf("entry lists not normalised: %v %v", e.Audiences, e.Scopes)
		}
		got, err := db.FindRegistrationEntryByID(ctx, e.ID)
		if err != nil || got.SPIFFEID != e.SPIFFEID || got.CreatedBy != "token:tok-issuer-admin(issuer-admin)" || len(got.Scopes) != 2 {
			t.Fatalf("find entry: %+v, %v", got, err)
		}
		_, oidc := issuerEntry(t, db, "deployer", warden.AttestOIDC)
		list, err := db.FindRegistrationEntries(ctx, warden.AttestOIDC, oidc.OIDCIssuer)
		if err != nil || len(list) != 1 || list[0].ID != oidc.ID || list[0].Selectors["repository"] != "acme/deployer" {
			t.Fatalf("list oidc entries: %+v, %v", list, err)
		}
		for name, bad := range map[string]warden.RegistrationEntry{
			"UnknownIdentity": {SPIFFEID: "spiffe://example.org/x", IdentityID: "nope", Method: warden.AttestJoinToken},
			"BadSPIFFEID":     {SPIFFEID: "https://example.org/x", IdentityID: "nope", Method: warden.AttestJoinToken},
			"DotSegment":      {SPIFFEID: "spiffe://example.org/../x", IdentityID: "nope", Method: warden.AttestJoinToken},
			"OIDCNoSelectors": {SPIFFEID: "spiffe://example.org/x", IdentityID: "nope", Method: warden.AttestOIDC, OIDCIssuer: "https://issuer"},
			"UnknownMethod":   {SPIFFEID: "spiffe://example.org/x", IdentityID: "nope", Method: "password"},
			"TTLTooLong":      {SPIFFEID: "spiffe://example.org/x", IdentityID: "nope", Method: warden.AttestJoinToken, JWTTTL: warden.Duration(48 * time.Hour)},
		} {
			t.Run(name, func(t *testing.T) {
				err := db.CreateRegistrationEntry(ctx, &bad)
				wantCode(t, err, warden.EINVALID)
				if warden.ErrorField(err) == "" {
					t.Errorf("error %v names no field", err)
				}
			})
		}
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "issuer.entry.create"})
		if err != nil || len(recs) != 2 {
			t.Fatalf("audit of entry creation: %d records, %v", len(recs), err)
		}
	})
	t.Run("DeleteEntryRevokesItsCredentials", func(t *testing.T) {
		db := open(t)
		id, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		if _, _, err := db.CreateJoinToken(ctx, e.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
		recordIssued(t, db, "jti-1", id, e)
		if err := db.DeleteRegistrationEntry(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if revoked, err := db.IsRevoked(ctx, "jti-1"); err != nil || !revoked {
			t.Fatalf("credential of a deleted entry not revoked: %v %v", revoked, err)
		}
		_, err := db.FindRegistrationEntryByID(ctx, e.ID)
		wantCode(t, err, warden.ENOTFOUND)
		wantCode(t, db.DeleteRegistrationEntry(ctx, e.ID), warden.ENOTFOUND)
	})
	t.Run("JoinTokens", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		_, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		tok, secret, err := db.CreateJoinToken(actorCtx("issuer-admin"), e.ID, 10*time.Minute)
		if err != nil || !strings.HasPrefix(secret, store.JoinTokenPrefix) || tok.EntryID != e.ID {
			t.Fatalf("create join token: %+v %q %v", tok, secret, err)
		}
		var n int
		if err := db.SQL().QueryRow(db.Rebind("SELECT COUNT(*) FROM join_tokens WHERE secret_hash = ?"), secret).Scan(&n); err != nil || n != 0 {
			t.Fatalf("join token secret stored in plaintext (%d, %v)", n, err)
		}
		used, err := db.ConsumeJoinToken(ctx, secret)
		if err != nil || used.ID != tok.ID || used.UsedAt == nil {
			t.Fatalf("consume: %+v, %v", used, err)
		}
		_, err = db.ConsumeJoinToken(ctx, secret)
		wantCode(t, err, warden.EUNAUTHORIZED) // replay

		_, expiring, err := db.CreateJoinToken(ctx, e.ID, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		c.advance(time.Minute)
		_, err = db.ConsumeJoinToken(ctx, expiring)
		wantCode(t, err, warden.EUNAUTHORIZED)

		for name, bad := range map[string]string{"Empty": "", "AdminToken": "wdn_abc", "Unknown": store.JoinTokenPrefix + "nope", "Long": store.JoinTokenPrefix + strings.Repeat("a", 200)} {
			t.Run(name, func(t *testing.T) {
				_, err := db.ConsumeJoinToken(ctx, bad)
				wantCode(t, err, warden.EUNAUTHORIZED)
			})
		}
		_, oidc := issuerEntry(t, db, "deployer", warden.AttestOIDC)
		_, _, err = db.CreateJoinToken(ctx, oidc.ID, time.Hour)
		wantCode(t, err, warden.ECONFLICT)
		_, _, err = db.CreateJoinToken(ctx, e.ID, time.Second)
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.CreateJoinToken(ctx, "nope", time.Hour)
		wantCode(t, err, warden.ENOTFOUND)
	})
	t.Run("JoinTokenOfQuarantinedIdentityIsRefusedAndKept", func(t *testing.T) {
		db := open(t)
		id, e := issuerEntry(t, db, "suspect", warden.AttestJoinToken)
		_, secret, err := db.CreateJoinToken(ctx, e.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []warden.Status{warden.StatusQuarantined, warden.StatusDisabled} {
			status := s
			if _, err := db.UpdateIdentity(ctx, id.ID, warden.IdentityUpdate{Status: &status}); err != nil {
				t.Fatal(err)
			}
			_, err = db.ConsumeJoinToken(ctx, secret)
			wantCode(t, err, warden.EFORBIDDEN)
		}
		active := warden.StatusActive
		if _, err := db.UpdateIdentity(ctx, id.ID, warden.IdentityUpdate{Status: &active}); err != nil {
			t.Fatal(err)
		}
		if used, err := db.ConsumeJoinToken(ctx, secret); err != nil || used.UsedAt == nil {
			t.Fatalf("the token was used up while its identity was quarantined: %+v, %v", used, err)
		}
	})
	t.Run("JoinTokenConcurrentUseHasOneWinner", func(t *testing.T) {
		db := open(t)
		_, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		_, secret, err := db.CreateJoinToken(ctx, e.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		const racers = 8
		var wg sync.WaitGroup
		results := make(chan error, racers)
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.ConsumeJoinToken(ctx, secret)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		wins := 0
		for err := range results {
			if err == nil {
				wins++
			} else if code := warden.ErrorCode(err); code != warden.EUNAUTHORIZED && code != warden.EINTERNAL {
				t.Errorf("loser error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d callers consumed one join token, want exactly 1", wins)
		}
	})
	t.Run("IssuedAndRevoked", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		id, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		other, otherEntry := issuerEntry(t, db, "ledger", warden.AttestJoinToken)
		for n := range 5 {
			recordIssued(t, db, fmt.Sprint("jti-", n), id, e)
			c.advance(time.Second)
		}
		recordIssued(t, db, "other-1", other, otherEntry)
		x := &warden.IssuedCredential{ID: "0a1b2c", Kind: warden.IssuedX509SVID, IdentityID: id.ID, EntryID: e.ID, SPIFFEID: e.SPIFFEID,
			Attestation: "x509:prior", IssuedAt: c.now(), ExpiresAt: c.now().Add(time.Hour)}
		if err := db.RecordIssuedCredential(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindIssuedCredential(ctx, "jti-2")
		if err != nil || got.SPIFFEID != e.SPIFFEID || got.Scope[0] != "orders:read" || got.RevokedAt != nil {
			t.Fatalf("find issued: %+v, %v", got, err)
		}
		page, next, err := db.FindIssuedCredentials(ctx, warden.IssuedCredentialFilter{IdentityID: id.ID, Kind: warden.IssuedJWTSVID, Limit: 3})
		if err != nil || len(page) != 3 || next == "" || page[0].ID != "jti-4" {
			t.Fatalf("page 1: %d items, first %v, next %q, %v", len(page), page, next, err)
		}
		page, next, err = db.FindIssuedCredentials(ctx, warden.IssuedCredentialFilter{IdentityID: id.ID, Kind: warden.IssuedJWTSVID, Limit: 3, Cursor: next})
		if err != nil || len(page) != 2 || next != "" || page[1].ID != "jti-0" {
			t.Fatalf("page 2: %+v, %q, %v", page, next, err)
		}
		_, _, err = db.FindIssuedCredentials(ctx, warden.IssuedCredentialFilter{Kind: "password"})
		wantCode(t, err, warden.EINVALID)

		n, err := db.RevokeIssued(actorCtx("soc"), warden.Revocation{CredentialID: "jti-0", Reason: "leaked"})
		if err != nil || n != 1 {
			t.Fatalf("revoke one: %d, %v", n, err)
		}
		if r, _ := db.IsRevoked(ctx, "jti-0"); !r {
			t.Fatal("jti-0 not revoked")
		}
		if r, _ := db.IsRevoked(ctx, "jti-1"); r {
			t.Fatal("jti-1 revoked with jti-0")
		}
		if r, err := db.IsRevoked(ctx, "never-issued"); r || err != nil {
			t.Fatalf("unknown id revoked=%v, %v", r, err)
		}
		n, err = db.RevokeIssued(ctx, warden.Revocation{IdentityID: id.ID, Reason: "quarantine"})
		if err != nil || n != 5 {
			t.Fatalf("revoke by identity: %d (want the 5 still live), %v", n, err)
		}
		if r, _ := db.IsRevoked(ctx, "other-1"); r {
			t.Fatal("another identity's credential was revoked")
		}
		n, err = db.RevokeIssued(ctx, warden.Revocation{EntryID: otherEntry.ID})
		if err != nil || n != 1 {
			t.Fatalf("revoke by entry: %d, %v", n, err)
		}
		serials, err := db.RevokedSerials(ctx)
		if err != nil || len(serials) != 1 || serials[0] != "0a1b2c" {
			t.Fatalf("revoked serials: %v, %v", serials, err)
		}
		_, err = db.RevokeIssued(ctx, warden.Revocation{CredentialID: "nope"})
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.RevokeIssued(ctx, warden.Revocation{CredentialID: "a", IdentityID: "b"})
		wantCode(t, err, warden.EINVALID)
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "issuer.credential.revoke"})
		if err != nil || len(recs) != 3 || recs[0].Actor != "token:tok-soc(soc)" {
			t.Fatalf("revocations audited: %d records, %v", len(recs), err)
		}
		if res, err := db.VerifyAudit(ctx); err != nil || !res.OK {
			t.Fatalf("audit chain: %+v, %v", res, err)
		}
	})
	t.Run("ReplayCache", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		exp := c.now().Add(time.Minute)
		if err := db.UseJTI(ctx, "spiffe://example.org/a", "jti-1", exp); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.UseJTI(ctx, "spiffe://example.org/a", "jti-1", exp), warden.ECONFLICT)
		if err := db.UseJTI(ctx, "spiffe://example.org/b", "jti-1", exp); err != nil {
			t.Fatalf("same jti from another issuer: %v", err)
		}
		wantCode(t, db.UseJTI(ctx, "i", "", exp), warden.EUNAUTHORIZED)
		c.advance(2 * time.Minute) // swept once expired: the token itself is refused by its exp by then
		if err := db.UseJTI(ctx, "spiffe://example.org/a", "jti-1", c.now().Add(time.Minute)); err != nil {
			t.Fatalf("expired id not swept: %v", err)
		}
	})
	t.Run("ReplayCacheInIssuance", func(t *testing.T) { testIssuerJTI(t, open) })
	t.Run("JoinTokenList", func(t *testing.T) { testJoinTokenList(t, open) })
	t.Run("KeyRotation", func(t *testing.T) {
		db := open(t)
		key := func(id, state string) *warden.IssuerKey {
			return &warden.IssuerKey{ID: id, Purpose: warden.KeyPurposeJWT, Algorithm: "ES256", State: state,
				PublicKey: "-----BEGIN PUBLIC KEY-----\n" + id, PrivateSealed: []byte("sealed-" + id)}
		}
		if err := db.RotateIssuerKeys(ctx, warden.KeyPurposeJWT, key("k1", warden.KeyCurrent), key("k2", warden.KeyNext)); err != nil {
			t.Fatal(err)
		}
		states := func() string {
			keys, err := db.IssuerKeys(ctx, warden.KeyPurposeJWT)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, k := range keys {
				s = append(s, k.ID+"="+k.State)
			}
			return strings.Join(s, " ")
		}
		if got := states(); got != "k1=current k2=next" {
			t.Fatalf("after init: %s", got)
		}
		for n, want := range []string{"k1=previous k2=current k3=next", "k2=previous k3=current k4=next"} {
			if err := db.RotateIssuerKeys(ctx, warden.KeyPurposeJWT, key(fmt.Sprint("k", n+3), warden.KeyNext)); err != nil {
				t.Fatal(err)
			}
			if got := states(); got != want {
				t.Fatalf("rotation %d: %s, want %s", n+1, got, want)
			}
		}
		var sealed []byte
		if err := db.SQL().QueryRow(db.Rebind("SELECT private_sealed FROM issuer_keys WHERE id = ?"), "k1").Scan(&sealed); err != nil || len(sealed) != 0 {
			t.Fatalf("retired key keeps its private part: %q, %v", sealed, err)
		}
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "issuer.keys.rotate"})
		if err != nil || len(recs) != 3 || strings.Contains(string(recs[2].After), "sealed-") {
			t.Fatalf("rotation audit: %d records, %v", len(recs), err)
		}
	})
}

func recordIssued(t *testing.T, db *store.DB, id string, identity *warden.Identity, e *warden.RegistrationEntry) {
	t.Helper()
	now := db.Now()
	c := &warden.IssuedCredential{ID: id, Kind: warden.IssuedJWTSVID, IdentityID: identity.ID, EntryID: e.ID, SPIFFEID: e.SPIFFEID,
		Attestation: "join_token:t1", Audience: e.Audiences, Scope: e.Scopes, IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	if err := db.RecordIssuedCredential(context.Background(), c); err != nil {
		t.Fatalf("record issued %s: %v", id, err)
	}
}
