package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// testIssuerJTI covers the replay cache as the token endpoint uses it: the
// jti recorded in the issuance transaction, a replay that records
// nothing, reuse once expired, concurrent replays with one winner, and
// the background sweep.
func testIssuerJTI(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("RecordWithJTI", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		id, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		rec := func(credID string) *warden.IssuedCredential {
			return &warden.IssuedCredential{ID: credID, Kind: warden.IssuedAccessToken, IdentityID: id.ID, EntryID: e.ID, SPIFFEID: e.SPIFFEID,
				Attestation: "private_key_jwt:x", IssuedAt: c.now(), ExpiresAt: c.now().Add(5 * time.Minute)}
		}
		exp := c.now().Add(time.Minute)
		if err := db.RecordIssuedCredentialUsingJTI(ctx, rec("tok-1"), e.SPIFFEID, "assert-1", exp); err != nil {
			t.Fatal(err)
		}
		if got, err := db.FindIssuedCredential(ctx, "tok-1"); err != nil || got.Kind != warden.IssuedAccessToken {
			t.Fatalf("recorded: %+v, %v", got, err)
		}
		// The replay records nothing: neither the credential nor its audit.
		wantCode(t, db.RecordIssuedCredentialUsingJTI(ctx, rec("tok-2"), e.SPIFFEID, "assert-1", exp), warden.ECONFLICT)
		_, err := db.FindIssuedCredential(ctx, "tok-2")
		wantCode(t, err, warden.ENOTFOUND)
		wantCode(t, db.UseJTI(ctx, e.SPIFFEID, "assert-1", exp), warden.ECONFLICT)
		// A jti used alone cannot be used again for an issuance.
		if err := db.UseJTI(ctx, e.SPIFFEID, "assert-2", exp); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.RecordIssuedCredentialUsingJTI(ctx, rec("tok-3"), e.SPIFFEID, "assert-2", exp), warden.ECONFLICT)
		wantCode(t, db.RecordIssuedCredentialUsingJTI(ctx, rec("tok-4"), e.SPIFFEID, "", exp), warden.EUNAUTHORIZED)
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "issuer.credential.issue"})
		if err != nil || len(recs) != 1 {
			t.Fatalf("issuance audit records: %d, %v; want 1", len(recs), err)
		}
		if res, err := db.VerifyAudit(ctx); err != nil || !res.OK {
			t.Fatalf("audit chain: %+v, %v", res, err)
		}
		// Once expired the id may be recorded again (its token is refused
		// by exp by then), with no sweep in between.
		c.advance(2 * time.Minute)
		if err := db.RecordIssuedCredentialUsingJTI(ctx, rec("tok-5"), e.SPIFFEID, "assert-1", c.now().Add(time.Minute)); err != nil {
			t.Fatalf("expired jti: %v", err)
		}
	})
	t.Run("ConcurrentReplayHasOneWinner", func(t *testing.T) {
		db := open(t)
		id, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
		now := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for n := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &warden.IssuedCredential{ID: fmt.Sprint("tok-", n), Kind: warden.IssuedAccessToken, IdentityID: id.ID, EntryID: e.ID,
					SPIFFEID: e.SPIFFEID, IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
				err := db.RecordIssuedCredentialUsingJTI(ctx, r, e.SPIFFEID, "assert-same", now.Add(time.Minute))
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if warden.ErrorCode(err) != warden.ECONFLICT {
					t.Errorf("concurrent replay: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent requests with one jti were recorded, want exactly 1", wins)
		}
	})
	t.Run("Sweep", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		for n := range 3 {
			if err := db.UseJTI(ctx, "i", fmt.Sprint("j", n), c.now().Add(time.Duration(n+1)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		c.advance(150 * time.Second)
		if n, err := db.SweepUsedJTIs(ctx); err != nil || n != 2 {
			t.Fatalf("swept %d, %v; want 2", n, err)
		}
		wantCode(t, db.UseJTI(ctx, "i", "j2", c.now().Add(time.Minute)), warden.ECONFLICT)
		if n, err := db.SweepUsedJTIs(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: %d, %v", n, err)
		}
	})
}

// testJoinTokenList covers FindJoinTokens: newest first, used and unused,
// only the entry's own, an empty list as [] and ENOTFOUND for an unknown
// entry.
func testJoinTokenList(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	c := newClock()
	db.Now = c.now
	_, e := issuerEntry(t, db, "billing", warden.AttestJoinToken)
	_, other := issuerEntry(t, db, "ledger", warden.AttestJoinToken)
	var ids []string
	for range 3 {
		tok, _, err := db.CreateJoinToken(ctx, e.ID, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tok.ID)
		c.advance(time.Second)
	}
	_, secret, err := db.CreateJoinToken(ctx, other.ID, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ConsumeJoinToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindJoinTokens(ctx, e.ID)
	if err != nil || len(got) != 3 || got[0].ID != ids[2] || got[2].ID != ids[0] || got[0].UsedAt != nil || got[0].EntryID != e.ID {
		t.Fatalf("join tokens of %s: %+v, %v", e.ID, got, err)
	}
	if !got[0].ExpiresAt.Equal(got[0].CreatedAt.Add(10 * time.Minute)) {
		t.Errorf("times: created %v expires %v", got[0].CreatedAt, got[0].ExpiresAt)
	}
	if got, err := db.FindJoinTokens(ctx, other.ID); err != nil || len(got) != 1 || got[0].UsedAt == nil {
		t.Fatalf("used join token: %+v, %v", got, err)
	}
	_, oidc := issuerEntry(t, db, "deployer", warden.AttestOIDC)
	if got, err := db.FindJoinTokens(ctx, oidc.ID); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("entry without join tokens: %#v, %v", got, err)
	}
	_, err = db.FindJoinTokens(ctx, "nope")
	wantCode(t, err, warden.ENOTFOUND)
}
