package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func ownerSuggestion(owner string, confidence int, eventID string) *warden.OwnerSuggestion {
	t := time.Date(2026, 2, 27, 22, 10, 31, 0, time.UTC)
	return &warden.OwnerSuggestion{Owner: owner, Confidence: confidence, Evidence: []warden.OwnerEvidence{{
		Kind: warden.OwnerEvidenceCreator, Confidence: confidence, Detail: owner + " created the user",
		EventID: eventID, EventSource: "cloudtrail", Time: &t,
	}}}
}

func testOwnerSuggestions(t *testing.T, open Opener) {
	ctx := actorCtx("alice")
	bg := context.Background()
	t.Run("SaveIsIdempotentAndUpdatesPending", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		res, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{ownerSuggestion("alice@example.com", 80, "ev-1"), ownerSuggestion("team-data", 40, "ev-2")})
		if err != nil || res.Created != 2 {
			t.Fatalf("save = %+v, %v", res, err)
		}
		// The same evidence again changes nothing; the owner compares case-insensitively.
		again := ownerSuggestion("alice@example.com", 80, "ev-1")
		again.Owner = "Alice@Example.com "
		res, err = db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{again})
		if err != nil || res.Unchanged != 1 || res.Created != 0 || again.Owner != "alice@example.com" || again.ID == "" {
			t.Fatalf("save again = %+v, %+v, %v", res, again, err)
		}
		// New evidence updates the pending suggestion in place.
		more := ownerSuggestion("alice@example.com", 92, "ev-1")
		more.Evidence = append(more.Evidence, warden.OwnerEvidence{Kind: warden.OwnerEvidenceKeyCreator, Confidence: 60, Detail: "created its key", EventID: "ev-3", EventSource: "cloudtrail"})
		res, err = db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{more})
		if err != nil || res.Updated != 1 || more.ID != again.ID {
			t.Fatalf("save more = %+v, %+v, %v", res, more, err)
		}
		list, _, err := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{IdentityID: id.ID})
		if err != nil || len(list) != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		got, err := db.FindOwnerSuggestion(bg, again.ID)
		if err != nil || got.Confidence != 92 || len(got.Evidence) != 2 || got.Evidence[0].EventID != "ev-1" || got.Status != warden.OwnerSuggestionPending {
			t.Fatalf("find = %+v, %v", got, err)
		}
		recs, _, err := db.FindAuditRecords(bg, warden.AuditFilter{TargetType: "owner_suggestion", TargetID: again.ID})
		if err != nil || len(recs) != 2 || recs[0].Action != "owner.suggest" || recs[1].Action != "owner.suggest" {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
	})
	t.Run("RejectedIsNeverResurrected", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		s := ownerSuggestion("bob@example.com", 40, "ev-9")
		if _, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{s}); err != nil {
			t.Fatal(err)
		}
		rej, err := db.DecideOwnerSuggestion(actorCtx("carol"), s.ID, warden.OwnerSuggestionRejected, "bob left the team")
		if err != nil || rej.Status != warden.OwnerSuggestionRejected || rej.DecidedBy != "token:tok-carol(carol)" || rej.DecidedAt == nil || rej.Reason != "bob left the team" {
			t.Fatalf("reject = %+v, %v", rej, err)
		}
		again := ownerSuggestion("bob@example.com", 95, "ev-10")
		res, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{again})
		if err != nil || res.Skipped != 1 || res.Created+res.Updated != 0 || again.Status != warden.OwnerSuggestionRejected {
			t.Fatalf("save after reject = %+v, %+v, %v", res, again, err)
		}
		if pending, _, _ := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{IdentityID: id.ID, Status: warden.OwnerSuggestionPending}); len(pending) != 0 {
			t.Fatalf("pending after reject = %+v", pending)
		}
		_, err = db.DecideOwnerSuggestion(ctx, s.ID, warden.OwnerSuggestionAccepted, "")
		wantCode(t, err, warden.ECONFLICT)
		recs, _, _ := db.FindAuditRecords(bg, warden.AuditFilter{TargetType: "owner_suggestion", TargetID: s.ID})
		if len(recs) != 2 || recs[1].Action != "owner.reject" || recs[1].Actor != "token:tok-carol(carol)" {
			t.Fatalf("audit = %+v", recs)
		}
	})
	t.Run("AcceptSupersedesTheOthers", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		other := mustCreate(t, db, sampleRole("billing-bot"))
		a, b := ownerSuggestion("alice@example.com", 80, "ev-1"), ownerSuggestion("team-data", 40, "ev-2")
		if _, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{a, b}); err != nil {
			t.Fatal(err)
		}
		c := ownerSuggestion("team-data", 40, "ev-3")
		if _, err := db.SaveOwnerSuggestions(ctx, other.ID, []*warden.OwnerSuggestion{c}); err != nil {
			t.Fatal(err)
		}
		acc, err := db.DecideOwnerSuggestion(ctx, a.ID, warden.OwnerSuggestionAccepted, "")
		if err != nil || acc.Status != warden.OwnerSuggestionAccepted {
			t.Fatalf("accept = %+v, %v", acc, err)
		}
		if got, _ := db.FindOwnerSuggestion(bg, b.ID); got.Status != warden.OwnerSuggestionSuperseded {
			t.Fatalf("other suggestion of the identity = %s, want superseded", got.Status)
		}
		if got, _ := db.FindOwnerSuggestion(bg, c.ID); got.Status != warden.OwnerSuggestionPending {
			t.Fatalf("suggestion of another identity = %s, want pending", got.Status)
		}
		// A superseded owner comes back pending when suggested again (the identity lost its owner).
		again := ownerSuggestion("team-data", 40, "ev-2")
		if res, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{again}); err != nil || res.Updated != 1 || again.Status != warden.OwnerSuggestionPending {
			t.Fatalf("resuggest superseded = %+v, %+v, %v", res, again, err)
		}
	})
	t.Run("AcceptSetsTheOwnerAndRacingAcceptsChangeNothing", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		owners := []string{"alice@example.com", "bob@example.com", "team-data", "team-billing", "carol@example.com", "team-ops"}
		var suggestions []*warden.OwnerSuggestion
		for i, o := range owners {
			suggestions = append(suggestions, ownerSuggestion(o, 50+i, "ev-race-"+o))
		}
		if _, err := db.SaveOwnerSuggestions(ctx, id.ID, suggestions); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(suggestions))
		for i, s := range suggestions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.DecideOwnerSuggestion(ctx, s.ID, warden.OwnerSuggestionAccepted, "")
			}()
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			switch {
			case err == nil && winner == "":
				winner = owners[i]
			case err == nil:
				t.Fatalf("both %s and %s were accepted", winner, owners[i])
			default:
				wantCode(t, err, warden.ECONFLICT)
			}
		}
		if winner == "" {
			t.Fatalf("no acceptance won: %v", errs)
		}
		got, err := db.FindIdentityByID(bg, id.ID)
		if err != nil || got.Owner != winner {
			t.Fatalf("owner = %q, %v; want the accepted %q", got.Owner, err, winner)
		}
		recs, _, err := db.FindAuditRecords(bg, warden.AuditFilter{TargetType: "identity", TargetID: id.ID, Action: "identity.update"})
		if err != nil || len(recs) != 1 {
			t.Fatalf("identity updates audited = %d (%v), want exactly the winner's", len(recs), err)
		}
		accepted, _, _ := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{IdentityID: id.ID, Status: warden.OwnerSuggestionAccepted})
		superseded, _, _ := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{IdentityID: id.ID, Status: warden.OwnerSuggestionSuperseded})
		if len(accepted) != 1 || accepted[0].Owner != winner || len(superseded) != len(owners)-1 {
			t.Fatalf("accepted %+v and %d superseded, want %s and %d", accepted, len(superseded), winner, len(owners)-1)
		}
	})
	t.Run("AcceptOfADeprovisionedIdentityChangesNothing", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		s := ownerSuggestion("alice@example.com", 80, "ev-gone")
		if _, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{s}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeprovisionIdentity(ctx, id.ID, "decommissioned"); err != nil {
			t.Fatal(err)
		}
		_, err := db.DecideOwnerSuggestion(ctx, s.ID, warden.OwnerSuggestionAccepted, "")
		wantCode(t, err, warden.ECONFLICT)
		if got, _ := db.FindOwnerSuggestion(bg, s.ID); got.Status != warden.OwnerSuggestionPending {
			t.Fatalf("suggestion = %s after a refused accept, want pending", got.Status)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("report-bot"))
		_, err := db.SaveOwnerSuggestions(ctx, "no-such-identity", []*warden.OwnerSuggestion{ownerSuggestion("a@example.com", 50, "e")})
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{ownerSuggestion("a@example.com", 101, "e")})
		wantCode(t, err, warden.EINVALID)
		_, err = db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{{Owner: "a@example.com", Confidence: 50}})
		wantCode(t, err, warden.EINVALID)
		_, err = db.FindOwnerSuggestion(bg, "nope")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.DecideOwnerSuggestion(ctx, "nope", warden.OwnerSuggestionRejected, "")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.DecideOwnerSuggestion(ctx, "nope", warden.OwnerSuggestionPending, "")
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{Status: "maybe"})
		wantCode(t, err, warden.EINVALID)
		if list, _, _ := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{}); len(list) != 0 {
			t.Fatalf("failed saves wrote %+v", list)
		}
	})
	t.Run("Pages", func(t *testing.T) {
		db := open(t)
		var want []string
		for _, name := range []string{"a-bot", "b-bot", "c-bot"} {
			id := mustCreate(t, db, sampleRole(name))
			s := ownerSuggestion("team-"+name, 50, "ev-"+name)
			if _, err := db.SaveOwnerSuggestions(ctx, id.ID, []*warden.OwnerSuggestion{s}); err != nil {
				t.Fatal(err)
			}
			want = append(want, s.ID)
		}
		var got []string
		cursor := ""
		for {
			page, next, err := db.FindOwnerSuggestions(bg, warden.OwnerSuggestionFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page {
				got = append(got, s.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("pages = %v, want %v", got, want)
		}
	})
}
