package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestCachedTokens_RevocationOnAnotherReplicaEndsCaching: two stores on
// one PostgreSQL schema; a token cached by replica B is refused by B as
// soon as replica A revokes it.
func TestCachedTokens_RevocationOnAnotherReplicaEndsCaching(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := openURL(t, url), openURL(t, url)
	if err := b.StartChangeListener(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cached := NewCachedTokens(ctx, b, b, time.Hour)
	tok, secret, err := a.CreateToken(ctx, "proxy", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cached.AuthenticateToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		_, err := cached.AuthenticateToken(ctx, secret)
		if warden.ErrorCode(err) == warden.EUNAUTHORIZED {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked token still accepted after 1s: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openURL(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
