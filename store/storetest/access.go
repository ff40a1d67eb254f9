package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func sampleAccessRequest(identityID string) *warden.AccessRequest {
	return &warden.AccessRequest{
		IdentityID: identityID, Requester: "token:tok-alice(alice)", RequesterID: "tok-alice", RequesterKind: warden.RequesterPerson,
		Scope:           warden.AccessScope{Actions: []string{"s3:PutObject"}, Resources: []string{"Bucket::invoices"}},
		DurationSeconds: 3600, Reason: "backfill invoices for INC-4411", Status: warden.AccessPending, RequiredApprovals: 2,
	}
}

func testAccess(t *testing.T, open Opener) {
	ctx := actorCtx("alice")
	t.Run("CreateFindUpdateAudited", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("invoice-writer"))
		r := sampleAccessRequest(id.ID)
		if err := db.CreateAccessRequest(ctx, r, "access.request"); err != nil {
			t.Fatal(err)
		}
		if r.ID == "" || r.CreatedAt.IsZero() {
			t.Fatalf("created = %+v", r)
		}
		got, err := db.FindAccessRequest(context.Background(), r.ID)
		if err != nil || got.Scope.Resources[0] != "Bucket::invoices" || got.Status != warden.AccessPending || got.RequiredApprovals != 2 || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		end := start.Add(time.Hour)
		upd, err := db.UpdateAccessRequest(actorCtx("bob"), r.ID, "access.approve", func(a *warden.AccessRequest) error {
			a.Approvals = append(a.Approvals, warden.AccessApproval{Approver: "token:tok-bob(bob)", ApproverID: "tok-bob", Decision: "approve", Time: start})
			a.Status, a.StartsAt, a.ExpiresAt = warden.AccessApproved, &start, &end
			return nil
		})
		if err != nil || upd.Status != warden.AccessApproved || len(upd.Approvals) != 1 {
			t.Fatalf("update = %+v, %v", upd, err)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "access_request", TargetID: r.ID})
		if err != nil || len(recs) != 2 || recs[0].Action != "access.request" || recs[1].Action != "access.approve" {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		// fn's error aborts the update and writes nothing.
		boom := errors.New("boom")
		if _, err := db.UpdateAccessRequest(ctx, r.ID, "access.revoke", func(a *warden.AccessRequest) error {
			a.Status = warden.AccessRevoked
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("aborted update = %v", err)
		}
		if got, _ := db.FindAccessRequest(context.Background(), r.ID); got.Status != warden.AccessApproved {
			t.Fatalf("after aborted update status = %s", got.Status)
		}
		_, err = db.FindAccessRequest(context.Background(), "nope")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.UpdateAccessRequest(ctx, "nope", "access.approve", func(*warden.AccessRequest) error { return nil })
		wantCode(t, err, warden.ENOTFOUND)
	})
	t.Run("RejectsInvalid", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("x"))
		for name, mut := range map[string]func(*warden.AccessRequest){
			"NoScope":          func(r *warden.AccessRequest) { r.Scope = warden.AccessScope{} },
			"QuoteInResource":  func(r *warden.AccessRequest) { r.Scope.Resources = []string{`Bucket::"x"`} },
			"BadResource":      func(r *warden.AccessRequest) { r.Scope.Resources = []string{"invoices"} },
			"NoReason":         func(r *warden.AccessRequest) { r.Reason = " " },
			"ShortBreakGlass":  func(r *warden.AccessRequest) { r.BreakGlass, r.Reason = true, "prod down" },
			"ZeroDuration":     func(r *warden.AccessRequest) { r.DurationSeconds = 0 },
			"UnknownRequester": func(r *warden.AccessRequest) { r.RequesterKind = "robot" },
			"NoIdentity":       func(r *warden.AccessRequest) { r.IdentityID = "" },
		} {
			r := sampleAccessRequest(id.ID)
			mut(r)
			if err := db.CreateAccessRequest(ctx, r, "access.request"); warden.ErrorCode(err) != warden.EINVALID {
				t.Errorf("%s: err = %v, want invalid", name, err)
			}
		}
		if list, _, _ := db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{}); len(list) != 0 {
			t.Fatalf("invalid requests were stored: %d", len(list))
		}
	})
	t.Run("ListsAndActiveGrants", func(t *testing.T) {
		db := open(t)
		a := mustCreate(t, db, sampleRole("a"))
		b := mustCreate(t, db, sampleRole("b"))
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		mk := func(id string, status warden.AccessStatus, start, end time.Time, breakGlass bool) *warden.AccessRequest {
			r := sampleAccessRequest(id)
			r.Status, r.BreakGlass = status, breakGlass
			if breakGlass {
				r.Review = &warden.AccessReview{Status: "pending"}
			}
			if status == warden.AccessApproved {
				r.StartsAt, r.ExpiresAt = &start, &end
			}
			if err := db.CreateAccessRequest(ctx, r, "access.request"); err != nil {
				t.Fatal(err)
			}
			return r
		}
		active := mk(a.ID, warden.AccessApproved, now.Add(-time.Minute), now.Add(time.Hour), false)
		lapsed := mk(a.ID, warden.AccessApproved, now.Add(-2*time.Hour), now.Add(-time.Hour), false)
		mk(a.ID, warden.AccessPending, now, now, false)
		glass := mk(b.ID, warden.AccessApproved, now.Add(-time.Minute), now.Add(time.Minute), true)
		grants, err := db.FindActiveGrants(context.Background(), a.ID, now)
		if err != nil || len(grants) != 1 || grants[0].ID != active.ID {
			t.Fatalf("active grants of a = %v, %v", grants, err)
		}
		if grants, _ := db.FindActiveGrants(context.Background(), a.ID, now.Add(2*time.Hour)); len(grants) != 0 {
			t.Fatalf("grants after expiry = %v", grants)
		}
		gone, err := db.FindLapsedGrants(context.Background(), now, 10)
		if err != nil || len(gone) != 1 || gone[0].ID != lapsed.ID {
			t.Fatalf("lapsed = %v, %v", gone, err)
		}
		for name, tc := range map[string]struct {
			f    warden.AccessRequestFilter
			want int
		}{
			"All":         {warden.AccessRequestFilter{}, 4},
			"Identity":    {warden.AccessRequestFilter{IdentityID: a.ID}, 3},
			"Pending":     {warden.AccessRequestFilter{Status: warden.AccessPending}, 1},
			"Approved":    {warden.AccessRequestFilter{Status: warden.AccessApproved}, 3},
			"NeedsReview": {warden.AccessRequestFilter{NeedsReview: true}, 1},
		} {
			list, _, err := db.FindAccessRequests(context.Background(), tc.f)
			if err != nil || len(list) != tc.want {
				t.Errorf("%s: %d requests, %v; want %d", name, len(list), err, tc.want)
			}
		}
		page, next, err := db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{Limit: 3})
		if err != nil || len(page) != 3 || next == "" || page[0].ID != glass.ID {
			t.Fatalf("page = %d %q %v", len(page), next, err)
		}
		rest, next, err := db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{Limit: 3, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].ID != active.ID {
			t.Fatalf("page 2 = %d %q %v", len(rest), next, err)
		}
		_, _, err = db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{Status: "maybe"})
		wantCode(t, err, warden.EINVALID)
	})
	t.Run("ConcurrentApprovalsAreSerialised", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("c"))
		r := sampleAccessRequest(id.ID)
		if err := db.CreateAccessRequest(ctx, r, "access.request"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.UpdateAccessRequest(ctx, r.ID, "access.approve", func(a *warden.AccessRequest) error {
					a.Approvals = append(a.Approvals, warden.AccessApproval{ApproverID: string(rune('a' + i)), Decision: "approve"})
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := db.FindAccessRequest(context.Background(), r.ID)
		if len(got.Approvals) != 8 {
			t.Fatalf("approvals = %d, want 8 (an update was lost)", len(got.Approvals))
		}
	})
}
