package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

func sampleCampaign(now time.Time) *warden.ReviewCampaign {
	return &warden.ReviewCampaign{Name: "Q1 privileged review", Tier: warden.TierPrivileged, CreatedBy: "token:tok-alice(alice)",
		DueAt: now.Add(14 * 24 * time.Hour), ReminderSeconds: 3 * 86400, GraceSeconds: 7 * 86400, DisableAfterGrace: true, EscalateTo: "security@example.com"}
}

func sampleItem(i *warden.Identity) *warden.ReviewItem {
	return &warden.ReviewItem{IdentityID: i.ID, Identity: i.ExternalID, Name: i.Name, Owner: i.Owner, Tier: warden.TierPrivileged, Why: "open finding admin-permissions",
		Snapshot: warden.ReviewSnapshot{RecentEvents: 12, PermissionsUsed: 2, PermissionsUnused: 1,
			Unused: []warden.GrantedPermission{{Provider: warden.ProviderAWS, Permission: "s3:DeleteObject"}}}}
}

// startCampaign stores a campaign over the identities.
func startCampaign(t *testing.T, db *store.DB, ids ...*warden.Identity) (*warden.ReviewCampaign, []*warden.ReviewItem) {
	t.Helper()
	c := sampleCampaign(db.Now())
	items := make([]*warden.ReviewItem, len(ids))
	for n, i := range ids {
		items[n] = sampleItem(i)
	}
	if err := db.CreateReviewCampaign(actorCtx("alice"), c, items); err != nil {
		t.Fatal(err)
	}
	return c, items
}

func answerKeep(next time.Time) func(*warden.ReviewCampaign, *warden.ReviewItem) (*warden.IdentityUpdate, error) {
	return func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
		if it.Status != warden.ItemPending {
			return nil, warden.Errorf(warden.ECONFLICT, "already %s", it.Status)
		}
		it.Status, it.Answer, it.NextReviewAt = warden.ItemAnswered, warden.AnswerKeep, &next
		return &warden.IdentityUpdate{NextReviewAt: &next}, nil
	}
}

func testReviews(t *testing.T, open Opener) {
	t.Run("CreateFindAudited", func(t *testing.T) {
		db := open(t)
		a, b := mustCreate(t, db, sampleRole("review-a")), mustCreate(t, db, sampleRole("review-b"))
		b2 := sampleRole("review-c")
		b2.Owner = "alice@example.com"
		c3 := mustCreate(t, db, b2)
		c, items := startCampaign(t, db, a, b, c3)
		if c.ID == "" || c.Status != warden.CampaignOpen || c.Progress.Total != 3 || c.Progress.Pending != 3 {
			t.Fatalf("created = %+v", c)
		}
		got, err := db.FindReviewCampaign(context.Background(), c.ID)
		if err != nil || got.Name != c.Name || !got.DueAt.Equal(c.DueAt) || got.Progress.Total != 3 || got.Progress.CompletionRate != 0 {
			t.Fatalf("find = %+v, %v", got, err)
		}
		it, err := db.FindReviewItem(context.Background(), items[0].ID)
		if err != nil || it.CampaignID != c.ID || it.Status != warden.ItemPending || it.Snapshot.Unused[0].Permission != "s3:DeleteObject" {
			t.Fatalf("item = %+v, %v", it, err)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "review_campaign", TargetID: c.ID})
		if err != nil || len(recs) != 1 || recs[0].Action != "review.start" {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		// Items list grouped by owner: alice@ sorts before team-payments.
		list, _, err := db.FindReviewItems(context.Background(), warden.ReviewItemFilter{CampaignID: c.ID})
		if err != nil || len(list) != 3 || list[0].IdentityID != c3.ID || list[1].IdentityID != a.ID || list[2].IdentityID != b.ID {
			t.Fatalf("items = %v, %v", list, err)
		}
		page, next, err := db.FindReviewItems(context.Background(), warden.ReviewItemFilter{CampaignID: c.ID, Limit: 2})
		if err != nil || len(page) != 2 || next == "" {
			t.Fatalf("page = %d %q %v", len(page), next, err)
		}
		rest, next, err := db.FindReviewItems(context.Background(), warden.ReviewItemFilter{CampaignID: c.ID, Limit: 2, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].IdentityID != b.ID {
			t.Fatalf("page 2 = %v %q %v", rest, next, err)
		}
		for name, tc := range map[string]struct {
			f    warden.ReviewItemFilter
			want int
		}{
			"Owner":    {warden.ReviewItemFilter{Owner: "team-payments"}, 2},
			"Identity": {warden.ReviewItemFilter{IdentityID: a.ID}, 1},
			"Pending":  {warden.ReviewItemFilter{Status: warden.ItemPending}, 3},
			"Answered": {warden.ReviewItemFilter{Status: warden.ItemAnswered}, 0},
			"Open":     {warden.ReviewItemFilter{Open: true}, 3},
		} {
			list, _, err := db.FindReviewItems(context.Background(), tc.f)
			if err != nil || len(list) != tc.want {
				t.Errorf("%s: %d items, %v; want %d", name, len(list), err, tc.want)
			}
		}
		_, _, err = db.FindReviewItems(context.Background(), warden.ReviewItemFilter{Status: "maybe"})
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.FindReviewItems(context.Background(), warden.ReviewItemFilter{Cursor: "garbage"})
		wantCode(t, err, warden.EINVALID)
		_, err = db.FindReviewCampaign(context.Background(), "nope")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.FindReviewItem(context.Background(), "nope")
		wantCode(t, err, warden.ENOTFOUND)
	})
	t.Run("IdentitiesInAnOpenReviewAreLeftOut", func(t *testing.T) {
		db := open(t)
		a, b := mustCreate(t, db, sampleRole("busy-a")), mustCreate(t, db, sampleRole("busy-b"))
		startCampaign(t, db, a)
		c, _ := startCampaign(t, db, a, b)
		if c.Progress.Total != 1 {
			t.Fatalf("second campaign has %d items, want 1 (b only)", c.Progress.Total)
		}
		err := db.CreateReviewCampaign(actorCtx("alice"), sampleCampaign(db.Now()), []*warden.ReviewItem{sampleItem(a), sampleItem(b)})
		wantCode(t, err, warden.ECONFLICT)
		bad := sampleCampaign(db.Now())
		bad.Name = ""
		wantCode(t, db.CreateReviewCampaign(actorCtx("alice"), bad, []*warden.ReviewItem{sampleItem(a)}), warden.EINVALID)
	})
	t.Run("AnswerUpdatesIdentityAndClosesCampaign", func(t *testing.T) {
		db := open(t)
		a, b := mustCreate(t, db, sampleRole("ans-a")), mustCreate(t, db, sampleRole("ans-b"))
		c, items := startCampaign(t, db, a, b)
		next := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		it, err := db.UpdateReviewItem(actorCtx("bob"), items[0].ID, "review.answer", answerKeep(next))
		if err != nil || it.Status != warden.ItemAnswered {
			t.Fatalf("answer = %+v, %v", it, err)
		}
		ia, _ := db.FindIdentityByID(context.Background(), a.ID)
		if ia.NextReviewAt == nil || !ia.NextReviewAt.Equal(next) {
			t.Fatalf("identity next review = %v, want %v", ia.NextReviewAt, next)
		}
		got, _ := db.FindReviewCampaign(context.Background(), c.ID)
		if got.Status != warden.CampaignOpen || got.Progress.Answered != 1 || got.Progress.Keep != 1 || got.Progress.CompletionRate != 0.5 {
			t.Fatalf("progress = %+v", got)
		}
		// fn's error aborts: nothing changes, neither item nor identity.
		boom := errors.New("boom")
		disabled := warden.StatusDisabled
		if _, err := db.UpdateReviewItem(actorCtx("bob"), items[1].ID, "review.answer", func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
			it.Status = warden.ItemAnswered
			return &warden.IdentityUpdate{Status: &disabled}, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("aborted update = %v", err)
		}
		if ib, _ := db.FindIdentityByID(context.Background(), b.ID); ib.Status != warden.StatusActive {
			t.Fatalf("identity after aborted update = %s", ib.Status)
		}
		// Removing disables the identity in the same transaction.
		reason := "replaced by the new invoices role"
		if _, err := db.UpdateReviewItem(actorCtx("bob"), items[1].ID, "review.answer", func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
			it.Status, it.Answer = warden.ItemAnswered, warden.AnswerRemove
			return &warden.IdentityUpdate{Status: &disabled, StatusReason: &reason}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if ib, _ := db.FindIdentityByID(context.Background(), b.ID); ib.Status != warden.StatusDisabled || ib.StatusReason != reason {
			t.Fatalf("removed identity = %s %q", ib.Status, ib.StatusReason)
		}
		got, _ = db.FindReviewCampaign(context.Background(), c.ID)
		if got.Status != warden.CampaignClosed || got.ClosedAt == nil || got.Progress.CompletionRate != 1 || got.Progress.Remove != 1 {
			t.Fatalf("campaign after last answer = %+v", got)
		}
		for target, want := range map[string][]string{
			"review_item:" + items[1].ID: {"review.answer"},
			"identity:" + b.ID:           {"identity.create", "identity.update"},
			"review_campaign:" + c.ID:    {"review.start", "review.close"},
		} {
			typ, id, _ := strings.Cut(target, ":")
			recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: typ, TargetID: id})
			if err != nil || len(recs) != len(want) {
				t.Fatalf("%s audit = %+v, %v; want %v", target, recs, err, want)
			}
			for n, r := range recs {
				if r.Action != want[n] {
					t.Errorf("%s audit[%d] = %s, want %s", target, n, r.Action, want[n])
				}
			}
		}
		if list, _, err := db.FindReviewCampaigns(context.Background(), warden.ReviewCampaignFilter{Status: warden.CampaignClosed}); err != nil || len(list) != 1 || list[0].Progress.Total != 2 {
			t.Fatalf("closed campaigns = %v, %v", list, err)
		}
		if list, _, err := db.FindReviewCampaigns(context.Background(), warden.ReviewCampaignFilter{Status: warden.CampaignOpen}); err != nil || len(list) != 0 {
			t.Fatalf("open campaigns = %v, %v", list, err)
		}
	})
	t.Run("ConcurrentAnswersLoseNoUpdate", func(t *testing.T) {
		db := open(t)
		ids := make([]*warden.Identity, 6)
		for n := range ids {
			ids[n] = mustCreate(t, db, sampleRole("conc-"+string(rune('a'+n))))
		}
		c, items := startCampaign(t, db, ids...)
		next := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		// Four answers race for the first item (one wins, the others see
		// it answered) while the other items are answered at once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.UpdateReviewItem(actorCtx("bob"), items[0].ID, "review.answer", answerKeep(next))
				mu.Lock()
				defer mu.Unlock()
				switch warden.ErrorCode(err) {
				case "":
					wins++
				case warden.ECONFLICT:
					conflicts++
				default:
					t.Error(err)
				}
			}()
		}
		for _, it := range items[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.UpdateReviewItem(actorCtx("carol"), it.ID, "review.answer", answerKeep(next)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 3 {
			t.Fatalf("wins %d, conflicts %d; want 1 and 3", wins, conflicts)
		}
		got, _ := db.FindReviewCampaign(context.Background(), c.ID)
		if got.Progress.Answered != 6 || got.Status != warden.CampaignClosed {
			t.Fatalf("progress = %+v (an answer was lost)", got.Progress)
		}
		for _, i := range ids {
			if got, _ := db.FindIdentityByID(context.Background(), i.ID); got.NextReviewAt == nil || !got.NextReviewAt.Equal(next) {
				t.Fatalf("identity %s next review = %v", i.Name, got.NextReviewAt)
			}
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "review_campaign", TargetID: c.ID})
		if len(recs) != 2 {
			t.Fatalf("campaign audit = %d records, want start and one close", len(recs))
		}
	})
	t.Run("ProgrammeCountsCompletionByDueMonth", func(t *testing.T) {
		db := open(t)
		c := newClock() // 2026-03-01
		db.Now = c.now
		a, b, d := mustCreate(t, db, sampleRole("prog-a")), mustCreate(t, db, sampleRole("prog-b")), mustCreate(t, db, sampleRole("prog-c"))
		_, march := startCampaign(t, db, a, b) // due 2026-03-15
		if _, err := db.UpdateReviewItem(actorCtx("bob"), march[0].ID, "review.answer", answerKeep(c.t.AddDate(0, 3, 0))); err != nil {
			t.Fatal(err)
		}
		c.advance(30 * 24 * time.Hour)
		startCampaign(t, db, d) // due 2026-04-14, unanswered
		m, err := db.ProgrammeMetrics(context.Background(), warden.ProgrammeFilter{Months: 3, Until: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][2]int{}
		for _, mo := range m.Months {
			got[mo.Month] = [2]int{mo.ReviewItems, mo.ReviewsAnswered}
		}
		want := map[string][2]int{"2026-02": {0, 0}, "2026-03": {2, 1}, "2026-04": {1, 0}}
		if len(got) != len(want) || got["2026-02"] != want["2026-02"] || got["2026-03"] != want["2026-03"] || got["2026-04"] != want["2026-04"] {
			t.Fatalf("review items by month = %v, want %v", got, want)
		}
		if m.ReviewItems != 3 || m.ReviewsAnswered != 1 || m.ReviewCompletionRate == nil || *m.ReviewCompletionRate < 0.333 || *m.ReviewCompletionRate > 0.334 {
			t.Fatalf("totals = %d/%d, rate %v", m.ReviewsAnswered, m.ReviewItems, m.ReviewCompletionRate)
		}
	})
}
