package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func testTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("BootstrapOnce", func(t *testing.T) {
		db := open(t)
		secret, created, err := db.BootstrapAdminToken(ctx)
		if err != nil || !created || !strings.HasPrefix(secret, "wdn_") {
			t.Fatalf("bootstrap: %q %v %v", secret, created, err)
		}
		tok, err := db.AuthenticateToken(ctx, secret)
		if err != nil || tok.Role != warden.RoleAdmin {
			t.Fatalf("authenticate bootstrap token: %+v, %v", tok, err)
		}
		again, created, err := db.BootstrapAdminToken(ctx)
		if err != nil || created || again != "" {
			t.Fatalf("second bootstrap created a token: %v %v", created, err)
		}
	})
	t.Run("CreateAuthenticateRevoke", func(t *testing.T) {
		db := open(t)
		tok, secret, err := db.CreateToken(actorCtx("root"), "ci-reader", warden.RoleAuditor)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, tok.Prefix) || tok.CreatedBy != "token:tok-root(root)" {
			t.Fatalf("token: %+v", tok)
		}
		got, err := db.AuthenticateToken(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Role != warden.RoleAuditor || got.LastUsedAt == nil {
			t.Fatalf("authenticate: %+v, %v", got, err)
		}
		// The secret is stored only as a hash.
		var n int
		if err := db.SQL().QueryRow(db.Rebind("SELECT COUNT(*) FROM api_tokens WHERE secret_hash = ? OR prefix = ?"), secret, secret).Scan(&n); err != nil || n != 0 {
			t.Fatalf("secret found in plaintext (%d rows, %v)", n, err)
		}
		for _, bad := range []string{"", "wdn_", "Bearer " + secret, secret + "x", strings.Repeat("a", 500)} {
			_, err := db.AuthenticateToken(ctx, bad)
			wantCode(t, err, warden.EUNAUTHORIZED)
		}
		if _, err := db.RevokeToken(actorCtx("root"), tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.AuthenticateToken(ctx, secret)
		wantCode(t, err, warden.EUNAUTHORIZED)
		list, err := db.FindTokens(ctx)
		if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
			t.Fatalf("list: %+v, %v", list, err)
		}
		_, err = db.RevokeToken(ctx, "nope")
		wantCode(t, err, warden.ENOTFOUND)
		_, _, err = db.CreateToken(ctx, "x", "root")
		wantCode(t, err, warden.EINVALID)
	})
}
