package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testSessions(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("CreateAuthenticateDelete", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		tok, secret, err := db.CreateToken(actorCtx("root"), "console-operator", warden.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		s, cookie, err := db.CreateSession(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenID != tok.ID || s.Role != warden.RoleOperator || !strings.HasPrefix(cookie, "wds_") || strings.Contains(cookie, secret) {
			t.Fatalf("session %+v cookie %q", s, cookie)
		}
		if want := c.now().Truncate(time.Microsecond).Add(warden.SessionMaxAge); !s.ExpiresAt.Equal(want) {
			t.Fatalf("expires %v, want %v", s.ExpiresAt, want)
		}
		c.advance(2 * time.Minute)
		got, err := db.AuthenticateSession(ctx, cookie)
		if err != nil || got.ID != s.ID || got.TokenName != "console-operator" || got.Role != warden.RoleOperator {
			t.Fatalf("authenticate: %+v, %v", got, err)
		}
		if !got.LastSeenAt.Equal(c.now().Truncate(time.Microsecond)) {
			t.Fatalf("last seen %v, want %v", got.LastSeenAt, c.now())
		}
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "session", TargetID: s.ID})
		if err != nil || len(recs) != 1 || recs[0].Action != "session.create" || !strings.Contains(recs[0].Actor, tok.ID) {
			t.Fatalf("audit of sign-in: %+v %v", recs, err)
		}
		if err := db.DeleteSession(ctx, cookie); err != nil {
			t.Fatal(err)
		}
		_, err = db.AuthenticateSession(ctx, cookie)
		wantCode(t, err, warden.EUNAUTHORIZED)
		if err := db.DeleteSession(ctx, cookie); err != nil {
			t.Fatalf("ending an ended session: %v", err)
		}
		recs, _, _ = db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "session", TargetID: s.ID})
		if len(recs) != 2 {
			t.Fatalf("want sign-in and sign-out audited, got %d records", len(recs))
		}
	})
	t.Run("Refused", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		tok, secret, err := db.CreateToken(actorCtx("root"), "reader", warden.RoleAuditor)
		if err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]string{"empty": "", "garbage": "not-a-token", "unknown": "wdn_" + strings.Repeat("A", 43)} {
			if _, _, err := db.CreateSession(ctx, bad); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
				t.Errorf("%s token: error %v, want unauthorized", name, err)
			}
		}
		idle, idleCookie, err := db.CreateSession(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		_ = idle
		c.advance(warden.SessionIdleTimeout)
		_, err = db.AuthenticateSession(ctx, idleCookie)
		wantCode(t, err, warden.EUNAUTHORIZED)

		// A session used every few minutes still ends at its absolute expiry.
		_, busyCookie, err := db.CreateSession(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		for elapsed := time.Duration(0); elapsed < warden.SessionMaxAge-10*time.Minute; elapsed += 10 * time.Minute {
			c.advance(10 * time.Minute)
			if _, err := db.AuthenticateSession(ctx, busyCookie); err != nil {
				t.Fatalf("after %v: %v", elapsed, err)
			}
		}
		c.advance(10 * time.Minute)
		_, err = db.AuthenticateSession(ctx, busyCookie)
		wantCode(t, err, warden.EUNAUTHORIZED)

		// Revoking the token ends its sessions at once.
		_, liveCookie, err := db.CreateSession(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RevokeToken(actorCtx("root"), tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.AuthenticateSession(ctx, liveCookie)
		wantCode(t, err, warden.EUNAUTHORIZED)
		for _, bad := range []string{"", "wds_short", "wds_" + strings.Repeat("x", 200), liveCookie + "x"} {
			if _, err := db.AuthenticateSession(ctx, bad); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
				t.Errorf("session %q: error %v, want unauthorized", bad, err)
			}
		}
	})
	t.Run("CountInventory", func(t *testing.T) {
		db := open(t)
		ids := []*warden.Identity{
			{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::1:role/a", Name: "a", Owner: "team-a", Managed: true},
			{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::1:role/b", Name: "b", Managed: true},
			{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:x:c", Name: "c", Managed: false},
			{Kind: warden.KindAPIKey, Provider: "stripe", ExternalID: "key-d", Name: "d", Owner: "team-d", Managed: true},
		}
		for _, i := range ids {
			mustCreate(t, db, i)
		}
		q := warden.StatusQuarantined
		if _, err := db.UpdateIdentity(actorCtx("t"), ids[0].ID, warden.IdentityUpdate{Status: &q, StatusReason: ptr("test")}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeprovisionIdentity(actorCtx("t"), ids[3].ID, "gone"); err != nil {
			t.Fatal(err)
		}
		c, err := db.CountInventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Total != 3 || c.Unowned != 2 || c.NotOnboarded != 1 {
			t.Fatalf("counts %+v", c)
		}
		if c.ByKind["cloud_role"] != 2 || c.ByKind["service_account"] != 1 || c.ByKind["api_key"] != 0 {
			t.Fatalf("by kind %v", c.ByKind)
		}
		if c.ByProvider["aws"] != 2 || c.ByProvider["kubernetes"] != 1 || c.ByProvider["stripe"] != 0 {
			t.Fatalf("by provider %v", c.ByProvider)
		}
		if c.ByStatus["active"] != 2 || c.ByStatus["quarantined"] != 1 || c.ByStatus["deprovisioned"] != 1 {
			t.Fatalf("by status %v", c.ByStatus)
		}
	})
}
