package owners_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// competingSuggestions creates an unowned identity with n pending
// suggestions, each for a different owner.
func competingSuggestions(t *testing.T, db *store.DB, n int) (*warden.Identity, []*warden.OwnerSuggestion) {
	t.Helper()
	id := &warden.Identity{
		Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::402118867530:role/contested-bot", Name: "contested-bot", Environment: "prod",
	}
	if err := db.CreateIdentity(actorCtx("importer"), id); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	sugs := make([]*warden.OwnerSuggestion, n)
	for i := range sugs {
		owner := fmt.Sprintf("person-%d@northwind.example", i)
		sugs[i] = &warden.OwnerSuggestion{Owner: owner, Confidence: 50, Evidence: []warden.OwnerEvidence{{
			Kind: warden.OwnerEvidenceLabel, Confidence: 50, Detail: "tagged contact=" + owner, Label: "tag/contact=" + owner, Time: &at,
		}}}
	}
	if res, err := db.SaveOwnerSuggestions(actorCtx("importer"), id.ID, sugs); err != nil || res.Created != n {
		t.Fatalf("save suggestions = %+v, %v", res, err)
	}
	return id, sugs
}

// TestAcceptOwnerSuggestion_ConcurrentAcceptsOneWinsLoserChangesNothing:
// many people accept different suggestions for the same identity at
// once. Exactly one accept succeeds; every other one is a conflict that
// changed nothing: the identity's owner is the winner's, its audit shows
// one owner change, the winner is accepted and every other suggestion is
// superseded by it.
func TestAcceptOwnerSuggestion_ConcurrentAcceptsOneWinsLoserChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		const racers = 8
		id, sugs := competingSuggestions(t, db, racers)
		svc := newService(t, db)

		errs := make([]error, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range sugs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = svc.AcceptOwnerSuggestion(actorCtx(fmt.Sprint("approver-", i)), s.ID, "I own it")
			}()
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("accepts %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			case warden.ErrorCode(err) != warden.ECONFLICT:
				t.Fatalf("accept %d: %v, want success or a conflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("no accept succeeded: %v", errs)
		}

		ctx := context.Background()
		got, err := db.FindIdentityByID(ctx, id.ID)
		if err != nil || got.Owner != sugs[winner].Owner {
			t.Fatalf("owner = %q (%v), want the winner's %q", got.Owner, err, sugs[winner].Owner)
		}
		updates, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "identity", TargetID: id.ID, Action: "identity.update"})
		if err != nil || len(updates) != 1 || updates[0].Actor != fmt.Sprintf("token:tok-approver-%d(approver-%d)", winner, winner) {
			t.Fatalf("identity updates in the audit = %d records %+v (%v), want one by the winner", len(updates), updates, err)
		}
		accepts, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "owner_suggestion", Action: "owner.accept"})
		if err != nil || len(accepts) != 1 || accepts[0].TargetID != sugs[winner].ID {
			t.Fatalf("owner.accept audit records = %+v (%v), want one for the winner", accepts, err)
		}
		for i, s := range sugs {
			cur, err := db.FindOwnerSuggestion(ctx, s.ID)
			want := warden.OwnerSuggestionSuperseded
			if i == winner {
				want = warden.OwnerSuggestionAccepted
			}
			if err != nil || cur.Status != want {
				t.Fatalf("suggestion %d = %+v (%v), want %s", i, cur, err, want)
			}
		}
		if res, err := db.VerifyAudit(ctx); err != nil || !res.OK {
			t.Fatalf("verify audit = %+v, %v", res, err)
		}
	})
}

// TestAcceptOwnerSuggestion_FailedOwnerUpdateLeavesSuggestionPending: the
// owner cannot be set on a deprovisioned identity, and the suggestion
// stays pending with no audit record of an acceptance.
func TestAcceptOwnerSuggestion_FailedOwnerUpdateLeavesSuggestionPending(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		id, sugs := competingSuggestions(t, db, 2)
		ctx := actorCtx("operator")
		if _, err := db.DeprovisionIdentity(ctx, id.ID, "decommissioned"); err != nil {
			t.Fatal(err)
		}
		svc := newService(t, db)
		if _, err := svc.AcceptOwnerSuggestion(ctx, sugs[0].ID, ""); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("accept on a deprovisioned identity = %v, want a conflict", err)
		}
		for _, s := range sugs {
			if cur, err := db.FindOwnerSuggestion(ctx, s.ID); err != nil || cur.Status != warden.OwnerSuggestionPending {
				t.Fatalf("suggestion after the failed accept = %+v, %v, want pending", cur, err)
			}
		}
		if recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "owner.accept"}); err != nil || len(recs) != 0 {
			t.Fatalf("owner.accept audit records = %+v, %v, want none", recs, err)
		}
	})
}
